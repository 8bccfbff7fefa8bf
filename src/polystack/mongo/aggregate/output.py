"""$out and $merge: pipelines that write their results to a collection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import paths, wire, writeops
from ..bsontypes import type_name
from ..errors import MongoError
from ..keystring import MISSING, encode_key
from .pipeline import PipelineContext, Stage, check_pipeline, compile_pipeline, run_stages, stage


def _string_field(spec: dict, key: str, context: str, default: str) -> str:
    """A string field of a stage's sub-document, with the IDL parser's type error."""
    v = spec.get(key, default)
    if not isinstance(v, str):
        raise MongoError(
            14,
            f"BSON field '{context}.{key}' is the wrong type '{type_name(v)}', "
            "expected type 'string'",
        )
    return v


@stage("$out")
def _out(spec: Any, pctx: PipelineContext) -> Stage:
    db: str = pctx.db
    if isinstance(spec, str):
        coll = spec
    elif isinstance(spec, dict):
        db = _string_field(spec, "db", "$out", pctx.db)
        out_coll = spec.get("coll")
        if not isinstance(out_coll, str):
            raise MongoError(
                16994,
                "If an object is passed to $out it must have exactly 2 fields: 'db' and 'coll'",
            )
        coll = out_coll
    else:
        raise MongoError(
            16990, "$out only supports a string or object argument, not " + type_name(spec)
        )
    storage = pctx.storage
    storage.check_db_name(db)
    storage.check_coll_name(db, coll)

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        items = list(docs)
        target = storage.collection(db, coll)
        # MongoDB writes to a temporary collection and renames it over the target
        tmp_name = f"tmp.agg_out.{id(items):x}"
        tmp = storage.create_collection(db, tmp_name, dict(target.options) if target else {})
        try:
            if target is not None:
                from ..index import IndexSpec

                for ix in target.indexes.values():
                    storage.create_index(
                        tmp,
                        IndexSpec(
                            **{
                                "name": ix.spec.name,
                                "key": list(ix.spec.key),
                                "unique": ix.spec.unique,
                                "sparse": ix.spec.sparse,
                                "partial": ix.spec.partial,
                                "expire_after_seconds": ix.spec.expire_after_seconds,
                                "hidden": ix.spec.hidden,
                                "options": dict(ix.spec.options),
                            }
                        ),
                    )
            for d in items:
                _, ts = writeops.insert_one(storage, tmp, d, None, True)
                pctx.writes.append(ts)
        except MongoError:
            storage.drop_collection(db, tmp_name)
            raise
        storage.rename_collection(db, tmp_name, db, coll, True)
        return iter(())

    return run


@stage("$merge")
def _merge(spec: Any, pctx: PipelineContext) -> Stage:
    if isinstance(spec, str):
        spec = {"into": spec}
    if not isinstance(spec, dict):
        raise MongoError(51182, "$merge only supports a string or object argument")
    into = spec.get("into")
    db: str = pctx.db
    if isinstance(into, str):
        coll = into
    elif isinstance(into, dict):
        db = _string_field(into, "db", "into", pctx.db)
        coll = "" if into.get("coll") is None else _string_field(into, "coll", "into", "")
        if not coll:
            raise MongoError(
                5786801,
                "$merge 'into' field must specify a 'coll' that is not empty, null or undefined",
            )
    else:
        raise MongoError(51178, "$merge 'into' field must be either a string or an object")
    for k in spec:
        if k not in ("into", "on", "let", "whenMatched", "whenNotMatched"):
            raise MongoError(40415, f"BSON field '$merge.{k}' is an unknown field.")
    on = spec.get("on", "_id")
    on_fields = [on] if isinstance(on, str) else list(on)
    when_matched = spec.get("whenMatched", "merge")
    when_not = spec.get("whenNotMatched", "insert")
    if when_not not in ("insert", "discard", "fail"):
        raise MongoError(
            2,
            f"Enumeration value '{when_not}' for field "
            "'$merge.whenNotMatched' is not a valid value.",
        )
    pipeline_update = None
    if isinstance(when_matched, list):
        pipeline_update = check_pipeline(when_matched)
    elif when_matched not in ("replace", "keepExisting", "merge", "fail"):
        raise MongoError(
            2,
            f"Enumeration value '{when_matched}' for field "
            "'$merge.whenMatched' is not a valid value.",
        )
    let = spec.get("let")
    storage = pctx.storage

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        target = storage.get_or_create(db, coll)
        if on_fields != ["_id"]:
            ok = any(
                ix.spec.unique and sorted(f for f, _ in ix.spec.key) == sorted(on_fields)
                for ix in target.indexes.values()
            )
            if not ok:
                raise MongoError(
                    51183,
                    "Cannot find index to verify that join fields will be unique",
                )
        for d in list(docs):
            key_doc = {}
            for f in on_fields:
                v = paths.get_exact(d, paths.split(f))
                if v is MISSING or v is None or type(v) is list:
                    if f == "_id" and v is MISSING:
                        continue
                    raise MongoError(
                        51132,
                        f"$merge write error: 'on' field '{f}' cannot be missing, null, "
                        "undefined or an array",
                    )
                key_doc[f] = v
            existing = _find(storage, target, key_doc) if key_doc else None
            if existing is None:
                if when_not == "discard":
                    continue
                if when_not == "fail":
                    raise MongoError(
                        13113,
                        "$merge could not find a matching document in the "
                        "target collection for at least one document in the "
                        "source collection",
                        "MergeStageNoMatchingDocument",
                    )
                _, ts = writeops.insert_one(storage, target, d, None, True)
                pctx.writes.append(ts)
                continue
            idkey, old = existing
            if when_matched == "keepExisting":
                continue
            if when_matched == "fail":
                raise target.duplicate_key_error(None, {"_id": old.get("_id")})
            if when_matched == "replace":
                new = {"_id": old["_id"], **{k: v for k, v in d.items() if k != "_id"}}
            elif when_matched == "merge":
                new = dict(old)
                new.update({k: v for k, v in d.items() if k != "_id"})
            else:
                sub = PipelineContext(storage, db, pctx.ectx.child(["new"]))
                saved = dict(sub.ectx.variables)
                sub.ectx.variables["new"] = d
                if let:
                    from ..expr import compile_expression

                    for k, v in let.items():
                        sub.ectx.variables[k] = compile_expression(v, pctx.ectx)(d, {"ROOT": d})
                try:
                    new = next(
                        run_stages(compile_pipeline(pipeline_update or [], sub), iter([dict(old)]))
                    )
                finally:
                    sub.ectx.variables.clear()
                    sub.ectx.variables.update(saved)
            raw = wire.encode_document(new)
            ts = storage.replace(target, idkey, old, new, raw)
            pctx.writes.append(ts)
        return iter(())

    return run


def _find(storage: Any, coll: Any, key_doc: dict) -> tuple[bytes, dict] | None:
    if list(key_doc) == ["_id"]:
        k = encode_key(key_doc["_id"])
        raw = coll.records.get(k)
        return (k, wire.decode_document(raw)) if raw is not None else None
    from ..query.matcher import compile_filter
    from ..query.plan import choose_plan, execute

    flt = compile_filter(key_doc)
    plan = choose_plan(coll, flt, [])
    for idkey, raw, doc in execute(coll, flt, plan, [], 1):
        return idkey, doc if doc is not None else wire.decode_document(raw)
    return None
