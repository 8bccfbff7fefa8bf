"""Stages that read other collections or sub-pipelines: $lookup, $graphLookup, $unionWith,
$facet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import display, paths
from ..bsontypes import type_name
from ..errors import MongoError
from ..expr import compile_expression
from ..expr.core import agg_get
from ..expr.misc_ops import check_var_name
from ..keystring import MISSING, encode_key
from ..query.matcher import compile_filter
from .pipeline import (
    PipelineContext,
    Stage,
    _set_field,
    check_pipeline,
    compile_pipeline,
    run_pipeline,
    run_stages,
    stage,
)


def _coll_docs(pctx: PipelineContext, name: str) -> list[dict]:
    return list(run_pipeline(pctx.sub(), name, []))


def _lookup_values(doc: dict, path: str) -> list:
    vals: list = []
    paths.collect(doc, paths.split(path), 0, vals)
    out = []
    for v in vals:
        if type(v) is list:
            out.extend(v if v else [])
            if not v:
                out.append(MISSING)
        else:
            out.append(v)
    return out or [MISSING]


@stage("$lookup")
def _lookup(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict):
        raise MongoError(
            9, f"the $lookup stage specification must be an object, but found {type_name(spec)}"
        )
    if "from" in spec and not isinstance(spec["from"], str | dict):
        raise MongoError(
            9, f"$lookup 'from' field must be a string, but found {type_name(spec['from'])}"
        )
    for k, v in spec.items():
        if k in ("from", "let", "pipeline"):
            continue
        if not isinstance(v, str):
            raise MongoError(
                9,
                f"$lookup argument '{k}' must be a string, found {k}: {display.value(v)}: "
                f"{type_name(v)}",
            )
        if k not in ("localField", "foreignField", "as"):
            raise MongoError(9, f"unknown argument to $lookup: {k}")
    as_field = spec.get("as")
    if not isinstance(as_field, str):
        raise MongoError(9, "must specify 'as' field for a $lookup")
    from_ = spec.get("from")
    if isinstance(from_, dict):
        from_ = from_.get("coll")
    has_pipeline = "pipeline" in spec
    if not has_pipeline and from_ is None:
        raise MongoError(9, "must specify 'from' field for a $lookup")
    local: str | None = spec.get("localField")
    foreign: str | None = spec.get("foreignField")
    if (local is None) != (foreign is None):
        raise MongoError(
            9, "$lookup requires both or neither of 'localField' and 'foreignField' to be specified"
        )
    if not has_pipeline and local is None:
        raise MongoError(
            9,
            "must specify 'localField' and 'foreignField' for a $lookup",
        )
    let = spec.get("let") or {}
    if not isinstance(let, dict):
        raise MongoError(9, "$lookup argument 'let' must be an object")
    for name in let:
        check_var_name(name)
    sub_pipeline = check_pipeline(spec.get("pipeline", [])) if has_pipeline else []
    let_fns = {k: compile_expression(v, pctx.ectx) for k, v in let.items()}
    sub_ctx = pctx.sub()
    sub_ctx.ectx = pctx.ectx.child(list(let))
    sub_ctx.coll_name = from_ or ""
    variables = pctx.variables
    as_parts = as_field.split(".")

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        foreign_docs = None
        index: dict[bytes, list[dict]] | None = None
        for d in docs:
            matches: list[dict]
            if local is not None:
                if foreign_docs is None:
                    foreign_docs = _coll_docs(pctx, from_) if from_ else []
                    index = {}
                    assert foreign is not None  # both or neither, checked above
                    for fd in foreign_docs:
                        for v in _lookup_values(fd, foreign):
                            key = encode_key(None if v is MISSING else v)
                            bucket = index.setdefault(key, [])
                            if not bucket or bucket[-1] is not fd:
                                bucket.append(fd)
                assert index is not None
                seen: set[int] = set()
                matches = []
                for v in _lookup_values(d, local):
                    for fd in index.get(encode_key(None if v is MISSING else v), ()):
                        if id(fd) not in seen:
                            seen.add(id(fd))
                            matches.append(fd)
                if has_pipeline and matches:
                    matches = _run_sub(matches, d)
            else:
                matches = _run_sub(None, d)
            out = dict(d)
            _set_field(out, as_parts, matches)
            yield out

    def _run_sub(source: list[dict] | None, d: dict) -> list[dict]:
        vars_ = {**variables, "ROOT": d}
        bound = {k: f(d, vars_) for k, f in let_fns.items()}
        inner = PipelineContext(
            sub_ctx.storage,
            sub_ctx.db,
            sub_ctx.ectx,
            sub_ctx.allow_disk_use,
            sub_ctx.coll_name,
            sub_ctx.depth,
            sub_ctx.server,
        )
        inner.ectx = sub_ctx.ectx
        saved = dict(inner.ectx.variables)
        inner.ectx.variables.update({k: (None if v is MISSING else v) for k, v in bound.items()})
        try:
            if source is not None:
                return list(run_stages(compile_pipeline(sub_pipeline, inner), iter(source)))
            return list(run_pipeline(inner, from_, sub_pipeline))
        finally:
            inner.ectx.variables.clear()
            inner.ectx.variables.update(saved)

    return run


@stage("$unionWith")
def _union_with(spec: Any, pctx: PipelineContext) -> Stage:
    coll: str | None
    if isinstance(spec, str):
        coll, pipeline = spec, []
    elif isinstance(spec, dict):
        for k in spec:
            if k not in ("coll", "pipeline"):
                raise MongoError(40415, f"BSON field '$unionWith.{k}' is an unknown field.")
        coll = spec.get("coll")
        if coll is not None and not isinstance(coll, str):
            raise MongoError(
                14,
                f"BSON field '$unionWith.coll' is the wrong type '{type_name(coll)}', "
                "expected type 'string'",
            )
        pipeline = check_pipeline(spec.get("pipeline", []))
        if coll is None and not pipeline:
            raise MongoError(40414, "BSON field '$unionWith.coll' is missing but a required field")
    else:
        raise MongoError(
            40379,
            "the $unionWith stage specification must be an object or "
            "string, but found " + type_name(spec),
        )
    sub = pctx.sub()

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        yield from docs
        yield from run_pipeline(sub, coll, pipeline)

    return run


@stage("$facet")
def _facet(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict) or not spec:
        raise MongoError(40169, "the $facet specification must be a non-empty object")
    facets = []
    for name, pipeline in spec.items():
        check_pipeline(pipeline)
        for st in pipeline:
            op = next(iter(st))
            if op in (
                "$out",
                "$merge",
                "$facet",
                "$collStats",
                "$indexStats",
                "$geoNear",
                "$changeStream",
            ):
                raise MongoError(40600, f"{op} is not allowed to be used within a $facet stage")
        facets.append((name, compile_pipeline(pipeline, pctx.sub())))

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        items = list(docs)
        out = {}
        for name, stages in facets:
            out[name] = list(run_stages(stages, iter(items)))
        yield out

    return run


@stage("$graphLookup")
def _graph_lookup(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict):
        raise MongoError(40327, "the $graphLookup stage specification must be an object")
    for req in ("from", "startWith", "connectFromField", "connectToField", "as"):
        if req not in spec:
            raise MongoError(40105, f"missing '{req}' option to $graphLookup stage specification")
    for k in spec:
        if k not in (
            "from",
            "startWith",
            "connectFromField",
            "connectToField",
            "as",
            "maxDepth",
            "depthField",
            "restrictSearchWithMatch",
        ):
            raise MongoError(40104, f"Unknown argument to $graphLookup: {k}")
    from_ = spec["from"]
    start = compile_expression(spec["startWith"], pctx.ectx)
    cfrom = spec["connectFromField"]
    cto = spec["connectToField"]
    as_field = spec["as"]
    max_depth = spec.get("maxDepth")
    if max_depth is not None:
        max_depth = int(max_depth)
        if max_depth < 0:
            raise MongoError(40101, "maxDepth requires a nonnegative argument")
    depth_field = spec.get("depthField")
    restrict = spec.get("restrictSearchWithMatch")
    restrict_flt = compile_filter(restrict, pctx.ectx) if restrict else None
    variables = pctx.variables

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        foreign = None
        index: dict[bytes, list[dict]] = {}
        for d in docs:
            if foreign is None:
                foreign = _coll_docs(pctx, from_)
                for fd in foreign:
                    if restrict_flt is not None and not restrict_flt.match(fd):
                        continue
                    for v in _lookup_values(fd, cto):
                        index.setdefault(encode_key(None if v is MISSING else v), []).append(fd)
            sv = start(d, {**variables, "ROOT": d})
            frontier = sv if type(sv) is list else [sv]
            found: dict[int, tuple[dict, int]] = {}
            seen_values: set[bytes] = set()
            depth = 0
            while frontier and (max_depth is None or depth <= max_depth):
                nxt = []
                for v in frontier:
                    k = encode_key(None if v is MISSING else v)
                    if k in seen_values:
                        continue
                    seen_values.add(k)
                    for fd in index.get(k, ()):
                        if id(fd) in found:
                            continue
                        found[id(fd)] = (fd, depth)
                        fv = agg_get(fd, tuple(cfrom.split(".")))
                        if fv is MISSING:
                            continue
                        nxt.extend(fv if type(fv) is list else [fv])
                frontier = nxt
                depth += 1
            results = []
            for fd, dep in found.values():
                if depth_field:
                    from bson.int64 import Int64

                    fd = dict(fd)
                    _set_field(fd, depth_field.split("."), Int64(dep))
                results.append(fd)
            out = dict(d)
            _set_field(out, as_field.split("."), results)
            yield out

    return run
