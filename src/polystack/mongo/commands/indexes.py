"""createIndexes, dropIndexes, listIndexes."""

from __future__ import annotations

from typing import Any

from .. import wire
from ..display import value as _disp
from ..errors import MongoError
from ..index import IndexSpec, parse_index_spec
from . import command
from .context import CommandContext, ns_of


def _same(a: IndexSpec, b: IndexSpec) -> bool:
    return (
        [(f, float(d)) for f, d in a.key] == [(f, float(d)) for f, d in b.key]
        and a.unique == b.unique
        and a.sparse == b.sparse
        and a.partial == b.partial
        and a.expire_after_seconds == b.expire_after_seconds
    )


@command("createIndexes", "create indexes", write=True)
def create_indexes(ctx: CommandContext, cmd: dict) -> dict:
    name = ns_of(ctx, cmd, "createIndexes")
    specs = cmd.get("indexes")
    if not isinstance(specs, list):
        raise MongoError(
            40414, "BSON field 'createIndexes.indexes' is missing but a required field"
        )
    if not specs:
        raise MongoError(2, "Must specify at least one index to create")
    parsed = [parse_index_spec(s) for s in specs]
    storage = ctx.storage
    created_coll = storage.collection(ctx.db, name) is None
    db = storage.database(ctx.db)
    if db is not None and name in db.views:
        raise MongoError(166, f"Namespace {ctx.db}.{name} is a view, not a collection")
    coll = storage.get_or_create(ctx.db, name)
    before = 1 + len(coll.indexes)
    note = None
    for spec in parsed:
        if spec.name == "_id_" or [f for f, _ in spec.key] == ["_id"] and len(spec.key) == 1:
            if spec.name not in ("_id_",) and [(f, float(d)) for f, d in spec.key] == [
                ("_id", 1.0)
            ]:
                note = "all indexes already exist"
                continue
            if spec.name == "_id_":
                note = "all indexes already exist"
                continue
        existing = coll.indexes.get(spec.name)
        if existing is not None:
            if _same(existing.spec, spec):
                note = "all indexes already exist"
                continue
            raise MongoError(
                86 if [tuple(x) for x in existing.spec.key] != [tuple(x) for x in spec.key] else 85,
                f"An existing index has the same name as the requested index. When index names "
                f"are not specified, they are auto generated and can cause conflicts. Please "
                f"refer to our documentation. Requested index: {_disp(spec.to_doc())}, existing "
                f"index: {_disp(existing.spec.to_doc())}",
            )
        same_key = [
            ix
            for ix in coll.indexes.values()
            if [(f, float(d)) for f, d in ix.spec.key] == [(f, float(d)) for f, d in spec.key]
        ]
        for other in same_key:
            if _same(other.spec, spec):
                raise MongoError(
                    85,
                    f"Index already exists with a different name: {other.name}",
                )
            if other.spec.partial == spec.partial and other.spec.unique == spec.unique:
                raise MongoError(
                    85,
                    f"An equivalent index already exists with the same name but different "
                    f"options. Requested index: {_disp(spec.to_doc())}, existing index: "
                    f"{_disp(other.spec.to_doc())}"
                    if other.name == spec.name
                    else f"Index already exists with a different name: {other.name}",
                )
        storage.create_index(coll, spec)
    out: dict[str, Any] = {
        "numIndexesBefore": before,
        "numIndexesAfter": 1 + len(coll.indexes),
    }
    if created_coll:
        out["createdCollectionAutomatically"] = True
    else:
        out["createdCollectionAutomatically"] = False
    if note and out["numIndexesAfter"] == before:
        out["note"] = note
    return out


@command("dropIndexes", "drop indexes for a collection", write=True, aliases=("deleteIndexes",))
def drop_indexes(ctx: CommandContext, cmd: dict) -> dict:
    name = ns_of(ctx, cmd, next(iter(cmd)))
    coll = ctx.storage.collection(ctx.db, name)
    if coll is None:
        raise MongoError(26, f"ns not found {ctx.db}.{name}")
    which = cmd.get("index")
    before = 1 + len(coll.indexes)
    targets: list[str] = []
    if which == "*":
        targets = list(coll.indexes)
    elif isinstance(which, str):
        if which == "_id_":
            raise MongoError(72, "cannot drop _id index")
        if which not in coll.indexes:
            raise MongoError(27, f"index not found with name [{which}]")
        targets = [which]
    elif isinstance(which, dict):
        if [(f, float(d)) for f, d in which.items()] == [("_id", 1.0)]:
            raise MongoError(72, "cannot drop _id index")
        found = [
            ix.name
            for ix in coll.indexes.values()
            if [(f, float(d)) for f, d in ix.spec.key]
            == [(f, float(d)) if not isinstance(d, str) else (f, d) for f, d in which.items()]
        ]
        if not found:
            raise MongoError(27, f"can't find index with key: {_disp(which)}")
        targets = found[:1]
    elif isinstance(which, list):
        for n in which:
            if n == "_id_":
                raise MongoError(72, "cannot drop _id index")
            if n not in coll.indexes:
                raise MongoError(27, f"index not found with name [{n}]")
        targets = list(which)
    else:
        raise MongoError(40414, "BSON field 'dropIndexes.index' is missing but a required field")
    for t in targets:
        ctx.storage.drop_index(coll, t)
    out: dict[str, Any] = {"nIndexesWas": before}
    if which == "*":
        out["msg"] = "non-_id indexes dropped for collection"
    return out


@command("listIndexes", "list indexes for a collection", read=True)
def list_indexes(ctx: CommandContext, cmd: dict) -> Any:
    name = ns_of(ctx, cmd, "listIndexes")
    coll = ctx.storage.collection(ctx.db, name)
    if coll is None:
        raise MongoError(26, f"ns does not exist: {ctx.db}.{name}")
    docs = [wire.encode_document(s.to_doc()) for s in coll.index_specs()]
    return wire.cursor_reply(docs, 0, f"{ctx.db}.{name}")
