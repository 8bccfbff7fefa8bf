"""Pipelines: parsing stages, running them over a collection, and the simple stages.

A stage compiles to ``fn(docs: Iterator[dict]) -> Iterator[dict]``.  A leading ``$match`` (and a
``$sort``/``$limit`` right after it) goes to the query planner so that indexes are used, as
MongoDB pushes them down into the find layer.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..bsontypes import type_name
from ..errors import MongoError
from ..expr import ExprContext, compile_expression
from ..keystring import MISSING
from ..query.matcher import compile_filter
from ..query.projection import compile_projection
from ..query.sort import parse_sort, sort_key_fn
from ..wire import decode_document

Stage = Callable[[Iterator[dict]], Iterator[dict]]
STAGES: dict[str, Callable[[Any, PipelineContext], Stage]] = {}
DEFAULT_MEMORY_LIMIT = 100 * 1024 * 1024


def stage(*names: str) -> Callable:
    def register(fn: Callable) -> Callable:
        for n in names:
            STAGES[n] = fn
        return fn

    return register


@dataclass
class PipelineContext:
    storage: Any
    db: str
    ectx: ExprContext = field(default_factory=ExprContext)
    allow_disk_use: bool | None = None
    coll_name: str = ""
    depth: int = 0
    server: Any = None
    explain: bool = False
    writes: list[int] = field(default_factory=list)  # cluster times of $out/$merge writes
    sort_limit: int = DEFAULT_MEMORY_LIMIT
    group_limit: int = DEFAULT_MEMORY_LIMIT
    check: Callable[[], None] | None = None  # maxTimeMS

    def sub(self) -> PipelineContext:
        if self.depth >= 20:
            raise MongoError(
                232,
                "Maximum number of nested sub-pipelines exceeded. Limit is 20",
                "MaxSubPipelineDepthExceeded",
            )
        return PipelineContext(
            self.storage,
            self.db,
            self.ectx,
            self.allow_disk_use,
            self.coll_name,
            self.depth + 1,
            self.server,
            self.explain,
            self.writes,
            self.sort_limit,
            self.group_limit,
        )

    @property
    def variables(self) -> dict[str, Any]:
        return self.ectx.initial_vars()


def check_pipeline(pipeline: Any) -> list[dict]:
    if not isinstance(pipeline, list):
        raise MongoError(14, "'pipeline' option must be specified as an array")
    for st in pipeline:
        if not isinstance(st, dict):
            raise MongoError(14, "Each element of the 'pipeline' array must be an object")
        if len(st) != 1:
            raise MongoError(
                40323, "A pipeline stage specification object must contain exactly one field."
            )
    return pipeline


def compile_pipeline(pipeline: list, pctx: PipelineContext) -> list[tuple[str, Any, Stage]]:
    check_pipeline(pipeline)
    out = []
    for i, st in enumerate(pipeline):
        name = next(iter(st))
        make = STAGES.get(name)
        if make is None:
            raise MongoError(40324, f"Unrecognized pipeline stage name: '{name}'", "Location40324")
        if name in ("$out", "$merge") and i != len(pipeline) - 1:
            raise MongoError(40601, f"{name} can only be the final stage in the pipeline")
        if (
            name
            in (
                "$collStats",
                "$indexStats",
                "$documents",
                "$changeStream",
                "$currentOp",
                "$listSessions",
                "$geoNear",
            )
            and i != 0
        ):
            raise MongoError(40602, f"{name} is only valid as the first stage in a pipeline")
        out.append((name, st[name], make(st[name], pctx)))
    return out


def run_stages(stages: list[tuple[str, Any, Stage]], source: Iterator[dict]) -> Iterator[dict]:
    it = source
    for _, _, fn in stages:
        it = fn(it)
    return it


def collection_source(
    pctx: PipelineContext, coll_name: str, pipeline: list
) -> tuple[Iterator[dict], int, Any]:
    """Documents of a collection for a pipeline; a leading $match/$sort/$limit is pushed into the
    planner.  Returns (docs, number of stages consumed, the plan or None)."""
    from ..query.plan import choose_plan, execute

    storage = pctx.storage
    db = storage.database(pctx.db)
    if db is not None and coll_name in db.views:
        view = db.views[coll_name]
        inner = pctx.sub()
        docs, used, _ = collection_source(inner, view["viewOn"], view["pipeline"] + pipeline)
        # every stage of the view is consumed here together with those of the query
        stages = compile_pipeline((view["pipeline"] + pipeline)[used:], inner)
        return run_stages(stages, docs), len(pipeline), None
    coll = storage.collection(pctx.db, coll_name)
    if coll is None:
        return iter(()), 0, None
    used = 0
    flt_spec: dict = {}
    sort: list = []
    limit = 0
    if pipeline and "$match" in pipeline[0]:
        flt_spec = pipeline[0]["$match"]
        if not isinstance(flt_spec, dict):
            raise MongoError(15959, "the match filter must be an expression in an object")
        used = 1
    if len(pipeline) > used and "$sort" in pipeline[used]:
        sort = parse_sort(pipeline[used]["$sort"])
        used += 1
        if len(pipeline) > used and "$limit" in pipeline[used]:
            lim = pipeline[used]["$limit"]
            if isinstance(lim, int) and not isinstance(lim, bool) and lim > 0:
                limit = lim
                used += 1
    flt = compile_filter(flt_spec, pctx.ectx)
    plan = choose_plan(coll, flt, sort)
    rows = execute(
        coll,
        flt,
        plan,
        sort,
        limit,
        0,
        pctx.allow_disk_use,
        pctx.sort_limit,
        want_docs=True,
        check=pctx.check,
    )

    def planned_docs() -> Iterator[dict]:
        for _, raw, doc in rows:
            yield doc if doc is not None else decode_document(raw)

    return planned_docs(), used, plan


def run_pipeline(
    pctx: PipelineContext,
    coll_name: str | None,
    pipeline: list,
    source: Iterator[dict] | None = None,
) -> Iterator[dict]:
    check_pipeline(pipeline)
    used = 0
    if source is None:
        if coll_name is None:
            source = iter(())
        else:
            source, used, _ = collection_source(pctx, coll_name, pipeline)
    stages = compile_pipeline(pipeline[used:], pctx)
    return run_stages(stages, source)


def apply_pipeline_update(pipeline: list, doc: dict, storage: Any, ectx: Any) -> dict:
    """An update given as an aggregation pipeline ($set/$unset/$project/$replaceWith ...)."""
    allowed = {"$addFields", "$set", "$project", "$unset", "$replaceRoot", "$replaceWith"}
    for st in check_pipeline(pipeline):
        name = next(iter(st))
        if name not in allowed:
            raise MongoError(
                72,
                f"{name} is not allowed to be used within an update",
            )
    pctx = PipelineContext(storage, "", ectx if isinstance(ectx, ExprContext) else ExprContext())
    out = list(run_stages(compile_pipeline(pipeline, pctx), iter([doc])))
    return out[0]


# ---------------------------------------------------------------------------------------------
# simple stages


@stage("$match")
def _match(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict):
        raise MongoError(15959, "the match filter must be an expression in an object")
    flt = compile_filter(spec, pctx.ectx)
    match = flt.match

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        return (d for d in docs if match(d))

    return run


@stage("$project")
def _project(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict):
        raise MongoError(15969, "$project specification must be an object")
    proj = compile_projection(spec, pctx.ectx, stage="$project")
    variables = pctx.variables

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        for d in docs:
            yield proj.apply(d, None, {**variables, "ROOT": d})

    return run


@stage("$unset")
def _unset(spec: Any, pctx: PipelineContext) -> Stage:
    fields = [spec] if isinstance(spec, str) else spec
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        raise MongoError(
            31002, "$unset specification must be a string or an array containing only string values"
        )
    return _project({f: 0 for f in fields}, pctx)


@stage("$addFields")
def _add_fields(spec: Any, pctx: PipelineContext) -> Stage:
    return _add_fields_as("$addFields", spec, pctx)


@stage("$set")
def _set(spec: Any, pctx: PipelineContext) -> Stage:
    return _add_fields_as("$set", spec, pctx)


def _add_fields_as(name: str, spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict):
        raise MongoError(
            40272, f"{name} specification stage must be an object, got {type_name(spec)}"
        )
    items = []
    for k, v in spec.items():
        if k.startswith("$"):
            raise MongoError(
                16410,
                "FieldPath field names may not start with '$'. Consider "
                "using $getField or $setField.",
            )
        items.append((k.split("."), _compile_value(v, pctx)))
    variables = pctx.variables

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        for d in docs:
            out = dict(d)
            vars_ = {**variables, "ROOT": d}
            for parts, fn in items:
                _set_field(out, parts, fn(d, vars_))
            yield out

    return run


def _compile_value(v: Any, pctx: PipelineContext) -> Callable:
    if isinstance(v, dict) and v and not next(iter(v)).startswith("$"):
        # a nested object of expressions merges into an existing sub-document
        sub = [(k.split("."), _compile_value(x, pctx)) for k, x in v.items()]

        def nested(root: Any, vars_: dict) -> Any:
            return _Nested([(p, f(root, vars_)) for p, f in sub])

        return nested
    return compile_expression(v, pctx.ectx)


class _Nested:
    __slots__ = ("items",)

    def __init__(self, items: list) -> None:
        self.items = items


def _set_field(doc: dict, parts: list[str], value: Any) -> None:
    cur: Any = doc
    for p in parts[:-1]:
        nxt = cur.get(p) if type(cur) is dict else None
        if type(nxt) is list:
            cur[p] = [_set_in(e, parts[parts.index(p) + 1 :], value) for e in nxt]
            return
        if type(nxt) is not dict:
            nxt = {}
            cur[p] = nxt
        else:
            nxt = dict(nxt)
            cur[p] = nxt
        cur = nxt
    last = parts[-1]
    if type(value) is _Nested:
        base = cur.get(last)
        if type(base) is list:
            cur[last] = [
                _apply_nested(e, value) if type(e) is dict else _apply_nested({}, value)
                for e in base
            ]
            return
        cur[last] = _apply_nested(base if type(base) is dict else {}, value)
        return
    if value is MISSING:
        cur.pop(last, None)
    else:
        cur[last] = value


def _apply_nested(base: dict, value: _Nested) -> dict:
    out = dict(base)
    for parts, v in value.items:
        _set_field(out, parts, v)
    return out


def _set_in(elem: Any, rest: list[str], value: Any) -> Any:
    if type(elem) is not dict:
        elem = {}
    else:
        elem = dict(elem)
    _set_field(elem, rest, value)
    return elem


@stage("$replaceRoot", "$replaceWith")
def _replace_root(spec: Any, pctx: PipelineContext) -> Stage:
    if isinstance(spec, dict) and "newRoot" in spec and len(spec) == 1:
        expr = spec["newRoot"]
    elif (
        isinstance(spec, dict)
        and "newRoot" not in spec
        and not any(k.startswith("$") for k in spec)
        and False
    ):
        expr = spec
    else:
        expr = spec
        if isinstance(spec, dict) and "newRoot" in spec:
            raise MongoError(40415, "BSON field '$replaceRoot.x' is an unknown field.")
    fn = compile_expression(expr, pctx.ectx)
    variables = pctx.variables

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        for d in docs:
            v = fn(d, {**variables, "ROOT": d})
            if type(v) is not dict:
                from ..display import value as disp

                raise MongoError(
                    40228,
                    "'newRoot' expression must evaluate to an object, but resulting value was: "
                    f"{disp(None if v is MISSING else v)}. Type of resulting value: "
                    f"'{_tn(v)}'. Input document: {_disp(d)}",
                )
            yield v

    return run


def _tn(v: Any) -> str:
    return type_name(v)


def _disp(v: Any) -> str:
    from ..display import value

    return value(v)


@stage("$limit")
def _limit(spec: Any, pctx: PipelineContext) -> Stage:
    n = _positive_int(
        spec,
        "$limit",
        15957,
        "the limit must be specified as a number",
        15958,
        "the limit must be positive",
    )

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        for i, d in enumerate(docs):
            if i >= n:
                return
            yield d

    return run


def _positive_int(
    spec: Any,
    name: str,
    type_code: int,
    type_msg: str,
    pos_code: int,
    pos_msg: str,
    allow_zero: bool = False,
) -> int:
    from ..bsontypes import is_integral, is_numeric

    if not is_numeric(spec) or isinstance(spec, bool):
        raise MongoError(type_code, type_msg)
    if not is_integral(spec):
        raise MongoError(
            2,
            f"invalid argument to {name} stage: Cannot represent as a 64-bit "
            f"integer: {name}: {spec}",
        )
    n = int(spec)
    if n < 0 or (n == 0 and not allow_zero):
        raise MongoError(pos_code, pos_msg)
    return n


@stage("$skip")
def _skip(spec: Any, pctx: PipelineContext) -> Stage:
    n = _positive_int(
        spec,
        "$skip",
        15972,
        "Argument to $skip must be a number",
        15956,
        "Argument to $skip cannot be negative",
        allow_zero=True,
    )

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        for i, d in enumerate(docs):
            if i >= n:
                yield d

    return run


@stage("$sort")
def _sort(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict):
        raise MongoError(15973, "the $sort key specification must be an object")
    if not spec:
        raise MongoError(15976, "$sort stage must have at least one sort key")
    keyfn = sort_key_fn(parse_sort(spec))
    limit = pctx.sort_limit

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        rows = []
        used = 0
        for i, d in enumerate(docs):
            rows.append((keyfn(d), i, d))
            if pctx.allow_disk_use is False:
                used += _approx_size(d)
                if used > limit:
                    raise MongoError(
                        292,
                        "PlanExecutor error during aggregation :: caused by :: Sort exceeded "
                        f"memory limit of {limit} bytes, but did not opt in to external "
                        "sorting. Aborting operation. Pass allowDiskUse:true to opt in.",
                    )
        rows.sort(key=lambda r: (r[0], r[1]))
        for r in rows:
            yield r[2]

    return run


def _approx_size(d: dict) -> int:
    from ..wire import encode_document

    try:
        return len(encode_document(d))
    except Exception:
        return 1024


@stage("$count")
def _count(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, str):
        raise MongoError(40156, "the count field must be a non-empty string")
    if not spec:
        raise MongoError(40157, "the count field must be a non-empty string")
    if spec.startswith("$"):
        raise MongoError(40158, "the count field cannot be a $-prefixed path")
    if "." in spec:
        raise MongoError(40160, "the count field cannot contain '.'")

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        n = sum(1 for _ in docs)
        if n:
            yield {spec: n}

    return run


@stage("$unwind")
def _unwind(spec: Any, pctx: PipelineContext) -> Stage:
    if isinstance(spec, str):
        spec = {"path": spec}
    if not isinstance(spec, dict):
        raise MongoError(
            15981, "expected either a string or an object as specification for $unwind stage"
        )
    path = spec.get("path")
    if not isinstance(path, str):
        raise MongoError(28812, "no path specified to $unwind stage")
    if not path.startswith("$"):
        raise MongoError(
            28818, f"path option to $unwind stage should be prefixed with a '$': {path}"
        )
    for k in spec:
        if k not in ("path", "includeArrayIndex", "preserveNullAndEmptyArrays"):
            raise MongoError(28811, f"unrecognized option to $unwind stage: {k}")
    preserve = bool(spec.get("preserveNullAndEmptyArrays", False))
    index_field = spec.get("includeArrayIndex")
    if index_field is not None and (
        not isinstance(index_field, str) or not index_field or index_field.startswith("$")
    ):
        raise MongoError(
            28822,
            "includeArrayIndex option to $unwind stage should not be "
            "prefixed with a '$': " + str(index_field),
        )
    parts = path[1:].split(".")
    from ..expr.core import agg_get

    tparts = tuple(parts)

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        for d in docs:
            v = agg_get(d, tparts) if len(parts) > 1 else d.get(parts[0], MISSING)
            if type(v) is list:
                if not v:
                    if preserve:
                        out = dict(d)
                        _remove_path(out, parts)
                        if index_field:
                            _set_field(out, index_field.split("."), None)
                        yield out
                    continue
                for i, e in enumerate(v):
                    out = dict(d)
                    _set_field(out, parts, e)
                    if index_field:
                        from bson.int64 import Int64

                        _set_field(out, index_field.split("."), Int64(i))
                    yield out
            elif v is MISSING or v is None:
                if preserve:
                    out = dict(d)
                    if index_field:
                        _set_field(out, index_field.split("."), None)
                    yield out
            else:
                out = dict(d)
                if index_field:
                    _set_field(out, index_field.split("."), None)
                yield out

    return run


def _remove_path(doc: dict, parts: list[str]) -> None:
    cur: Any = doc
    for p in parts[:-1]:
        nxt = cur.get(p)
        if type(nxt) is not dict:
            return
        nxt = dict(nxt)
        cur[p] = nxt
        cur = nxt
    cur.pop(parts[-1], None)


@stage("$sample")
def _sample(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict) or "size" not in spec:
        raise MongoError(28749, "$sample stage must specify a size")
    size = spec["size"]
    from ..bsontypes import is_numeric

    if not is_numeric(size) or isinstance(size, bool):
        raise MongoError(28746, "size argument to $sample must be a number")
    if size < 0:
        raise MongoError(28747, "size argument to $sample must not be negative")
    n = int(size)

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        pool = list(docs)
        if n >= len(pool):
            random.shuffle(pool)
            yield from pool
            return
        yield from random.sample(pool, n)

    return run


@stage("$sortByCount")
def _sort_by_count(spec: Any, pctx: PipelineContext) -> Stage:
    if isinstance(spec, dict) and spec and not next(iter(spec)).startswith("$"):
        raise MongoError(
            40147,
            "the sortByCount field must be defined as a $-prefixed path or an expression object",
        )
    if isinstance(spec, str) and not spec.startswith("$"):
        raise MongoError(
            40148,
            "the sortByCount field must be defined as a $-prefixed path or an expression object",
        )
    group = STAGES["$group"]({"_id": spec, "count": {"$sum": 1}}, pctx)
    sort = _sort({"count": -1}, pctx)
    return lambda docs: sort(group(docs))


@stage("$redact")
def _redact(spec: Any, pctx: PipelineContext) -> Stage:
    fn = compile_expression(spec, pctx.ectx)
    variables = pctx.variables

    def redact(value: Any, root: dict) -> Any:
        r = fn(value, {**variables, "ROOT": root})
        if r == "$$PRUNE":
            return MISSING
        if r == "$$KEEP":
            return value
        if r != "$$DESCEND":
            raise MongoError(
                17053,
                "$redact's expression should not return anything aside from the variables "
                "$$KEEP, $$DESCEND, and $$PRUNE, but returned "
                + _disp(None if r is MISSING else r),
            )
        out = {}
        for k, v in value.items():
            if type(v) is dict:
                sub = redact(v, root)
                if sub is not MISSING:
                    out[k] = sub
            elif type(v) is list:
                items = []
                for e in v:
                    if type(e) is dict:
                        sub = redact(e, root)
                        if sub is not MISSING:
                            items.append(sub)
                    else:
                        items.append(e)
                out[k] = items
            else:
                out[k] = v
        return out

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        for d in docs:
            r = redact(d, d)
            if r is not MISSING:
                yield r

    return run
