"""Insert, update and delete of single statements, shared by the write commands, findAndModify,
bulkWrite and the $out/$merge stages."""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import bson
from bson.objectid import ObjectId
from bson.regex import Regex

from . import wire
from .collection import Collection, id_key
from .errors import MongoError
from .keystring import MISSING, values_equal
from .query.matcher import (
    AndNode,
    Filter,
    PathNode,
    compile_filter,
    matched_array_position,
)
from .query.plan import choose_plan, execute
from .query.sort import parse_sort
from .storage import Storage
from .update import UpdateSpec, parse_update
from .update.modifiers import ApplyContext

log = logging.getLogger(__name__)

_INT32 = struct.Struct("<i")
_ID_FIRST = b"_id\x00"

# An update given as an aggregation pipeline is run by the pipeline layer above this module,
# which installs itself here when it loads (aggregate/stages.py)
PIPELINE_UPDATE: list[Callable[[list, dict, Storage, Any], dict]] = []


def _bson_too_large(size: int, limit: int) -> MongoError:
    return MongoError(
        2,
        f"object to insert too large. size in bytes: {size}, max size: {limit}",
        "BadValue",
    )


def prepare_insert(doc: dict, raw: bytes | None, max_size: int) -> tuple[dict, bytes]:
    """Give the document an ``_id`` (first), check it, and return (doc, stored bytes)."""
    if "_id" not in doc:
        oid = ObjectId()
        if raw is None:
            doc = {"_id": oid, **doc}
            raw = wire.encode_document(doc)
        else:
            raw = _INT32.pack(len(raw) + 17) + b"\x07_id\x00" + oid.binary + raw[4:]
            doc = {"_id": oid, **doc}
    else:
        check_id(doc["_id"])
        if raw is None or raw[5:9] != _ID_FIRST:
            if next(iter(doc)) != "_id":
                doc = {"_id": doc["_id"], **{k: v for k, v in doc.items() if k != "_id"}}
            raw = wire.encode_document(doc)
    if len(raw) > max_size:
        raise _bson_too_large(len(raw), max_size)
    return doc, raw


def check_id(v: Any) -> None:
    t = type(v)
    if t is list:
        raise MongoError(53, "The '_id' value cannot be of type array")
    if t is Regex:
        raise MongoError(53, "can't use a regex for _id")
    if t is dict:
        for k in v:
            if k.startswith("$"):
                raise MongoError(
                    52,
                    f"_id fields may not contain '$'-prefixed fields: {k} is not valid for storage.",
                )


def validate_document(coll: Collection, doc: dict, bypass: bool, old: dict | None = None) -> None:
    """Apply the collection's validator (validationLevel/validationAction)."""
    v = coll.validator
    if v is None or bypass or coll.validation_level == "off":
        return
    if coll.validation_level == "moderate" and old is not None and not v.match(old):
        return
    if v.match(doc):
        return
    if coll.validation_action == "warn":
        log.warning(
            "Document would fail validation collection: %s doc: %r", coll.ns, doc.get("_id")
        )
        return
    raise MongoError(
        121,
        "Document failed validation",
        extra={
            "errInfo": {
                "failingDocumentId": doc.get("_id"),
                "details": _validation_details(coll),
            }
        },
    )


def _validation_details(coll: Collection) -> dict[str, Any]:
    spec = coll.options.get("validator") or {}
    if "$jsonSchema" in spec:
        return {"operatorName": "$jsonSchema", "schemaRulesNotSatisfied": []}
    return {
        "operatorName": "$and" if len(spec) > 1 else next(iter(spec), "$and"),
        "clausesNotSatisfied": [],
    }


def insert_one(
    storage: Storage,
    coll: Collection,
    doc: dict,
    raw: bytes | None,
    bypass: bool = False,
    max_size: int = wire.MAX_BSON_OBJECT_SIZE,
) -> tuple[dict, int]:
    doc, stored = prepare_insert(doc, raw, max_size)
    validate_document(coll, doc, bypass)
    ts = storage.insert(coll, doc, stored)
    return doc, ts


# ---------------------------------------------------------------------------------------------
# updates


@dataclass(slots=True)
class UpdateResult:
    matched: int = 0
    modified: int = 0
    upserted_id: Any = MISSING
    ts: int = 0
    doc_before: dict | None = None
    doc_after: dict | None = None


def upsert_seed(flt: Filter) -> dict[str, Any]:
    """The fields an upsert's new document takes from its query (equality predicates)."""
    out: dict[str, Any] = {}

    def visit(node: Any) -> None:
        if isinstance(node, AndNode):
            for c in node.children:
                visit(c)
        elif isinstance(node, PathNode) and node.op == "$eq" and not node.negated:
            _set_path(out, node.path, node.arg)
        elif isinstance(node, PathNode) and node.op == "$in" and not node.negated:
            if isinstance(node.arg, list) and len(node.arg) == 1 and type(node.arg[0]) is not Regex:
                _set_path(out, node.path, node.arg[0])

    visit(flt.root)
    return out


def _set_path(doc: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    cur = doc
    for p in parts[:-1]:
        nxt = cur.get(p)
        if not isinstance(nxt, dict):
            nxt = {}
            cur[p] = nxt
        cur = nxt
    if parts[-1] in cur and isinstance(cur[parts[-1]], dict) and isinstance(value, dict):
        cur[parts[-1]].update(value)
    else:
        cur[parts[-1]] = value


def apply_update(
    upd: UpdateSpec,
    doc: dict,
    flt: Filter | None,
    storage: Storage,
    ctx_vars: Any,
    is_insert: bool = False,
    now: Any = None,
    cluster_time: Any = None,
) -> dict:
    """``doc`` after the update (``doc`` is a fresh decode and may be changed in place)."""
    if upd.kind == "pipeline":
        return PIPELINE_UPDATE[0](upd.pipeline or [], doc, storage, ctx_vars)
    position = None
    if upd.uses_positional and flt is not None and not is_insert:
        position = matched_array_position(flt, doc)
    actx = ApplyContext(
        position=position,
        is_insert=is_insert,
        now=now or _now(storage),
        cluster_time=cluster_time or storage.cluster.timestamp(),
        doc_id=doc.get("_id", MISSING),
    )
    return upd.apply(doc, actx)


def _now(storage: Storage) -> Any:
    import datetime

    ms = storage.clock.time_ms()
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)


def check_immutable_id(old: dict, new: dict) -> None:
    if "_id" not in new:
        new_id = MISSING
    else:
        new_id = new["_id"]
    old_id = old.get("_id", MISSING)
    if (
        new_id is MISSING
        or not values_equal(old_id, new_id)
        or type(new_id) is not type(old_id)
        and (isinstance(new_id, dict) or isinstance(old_id, dict))
    ):
        from .display import value

        raise MongoError(
            66,
            "Performing an update on the path '_id' would modify the immutable field '_id'"
            if new_id is not MISSING
            else "After applying the update, the (immutable) field '_id' was found to have been "
            f"removed --{value(old)}",
        )


def _reorder_id(doc: dict) -> dict:
    if "_id" in doc and next(iter(doc)) != "_id":
        return {"_id": doc["_id"], **{k: v for k, v in doc.items() if k != "_id"}}
    return doc


def update_docs(
    storage: Storage,
    db: str,
    coll_name: str,
    q: Any,
    u: Any,
    *,
    multi: bool = False,
    upsert: bool = False,
    array_filters: list | None = None,
    hint: Any = None,
    sort: Any = None,
    let: Any = None,
    bypass: bool = False,
    max_size: int = wire.MAX_BSON_OBJECT_SIZE,
    want_docs: bool = False,
) -> UpdateResult:
    from .expr import ExprContext

    ectx = ExprContext(dict(let or {}), now=_now(storage), cluster_time=storage.cluster.timestamp())
    flt = compile_filter(q, ectx)
    upd = parse_update(u, array_filters, upsert, ectx)
    if upd.kind == "replacement" and multi:
        raise MongoError(9, "multi update is not supported for replacement-style update")
    res = UpdateResult()
    coll = storage.collection(db, coll_name)
    if coll is None and not upsert:
        return res
    if coll is not None:
        sort_spec = parse_sort(sort) if sort else []
        plan = choose_plan(coll, flt, sort_spec, hint)
        touched = upd.touched_roots()
        decode = wire.decode_document
        encode = wire.encode_document
        now = ectx.now
        cluster_time = ectx.cluster_time
        for idkey, raw, doc in list(execute(coll, flt, plan, sort_spec, 0 if multi else 1)):
            old = decode(raw)
            work = doc if doc is not None else decode(raw)
            res.matched += 1
            if upd.kind == "replacement":
                new = _replacement(upd, work)
            else:
                new = apply_update(
                    upd, work, flt, storage, ectx, now=now, cluster_time=cluster_time
                )
            check_immutable_id(old, new)
            new = _reorder_id(new)
            new_raw = encode(new)
            if len(new_raw) > max_size:
                raise MongoError(
                    17419, f"Resulting document after update is larger than {max_size}"
                )
            if new_raw != raw:
                validate_document(coll, new, bypass, old)
                res.ts = storage.replace(coll, idkey, old, new, new_raw, touched)
                res.modified += 1
            if want_docs:
                res.doc_before = old
                res.doc_after = new
            if not multi:
                break
    if res.matched == 0 and upsert:
        coll = storage.get_or_create(db, coll_name)
        if upd.kind == "replacement":
            seed = {}
            base = upsert_seed(flt)
            if "_id" in base:
                seed["_id"] = base["_id"]
            new = dict(upd.replacement or {})
            if "_id" in seed and "_id" not in new:
                new = {"_id": seed["_id"], **new}
            elif "_id" in seed and not values_equal(seed["_id"], new["_id"]):
                raise MongoError(
                    66,
                    "After applying the update, the (immutable) field '_id' was found to have "
                    "been altered",
                )
        else:
            seed = upsert_seed(flt)
            new = apply_update(upd, seed, None, storage, ectx, is_insert=True)
        doc, ts = insert_one(storage, coll, new, None, bypass, max_size)
        res.upserted_id = doc["_id"]
        res.ts = ts
        res.doc_after = doc
    return res


def _replacement(upd: UpdateSpec, old: dict) -> dict:
    return upd._replace(old)


def delete_docs(
    storage: Storage,
    db: str,
    coll_name: str,
    q: Any,
    *,
    limit: int = 0,
    hint: Any = None,
    sort: Any = None,
    let: Any = None,
) -> tuple[int, int, dict | None]:
    """Delete matching documents; returns (count, last cluster time, the first deleted doc)."""
    from .expr import ExprContext

    coll = storage.collection(db, coll_name)
    ectx = ExprContext(dict(let or {}), now=_now(storage))
    flt = compile_filter(q, ectx)
    if coll is None:
        return 0, 0, None
    sort_spec = parse_sort(sort) if sort else []
    plan = choose_plan(coll, flt, sort_spec, hint)
    n = 0
    ts = 0
    first = None
    for idkey, raw, doc in list(execute(coll, flt, plan, sort_spec, limit)):
        if idkey not in coll.records:
            continue
        if doc is None and (coll.indexes or first is None):
            doc = wire.decode_document(raw)
        if first is None:
            first = doc
        ts = storage.delete(coll, idkey, doc)
        n += 1
        if limit and n >= limit:
            break
    return n, ts, first


def encode(doc: dict) -> bytes:
    return bson.encode(doc, False, wire.CODEC_OPTIONS)


__all__ = ["id_key", "insert_one", "update_docs", "delete_docs", "prepare_insert"]
