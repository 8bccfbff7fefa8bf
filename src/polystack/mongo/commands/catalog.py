"""create, drop, dropDatabase, listDatabases, listCollections, renameCollection, collMod,
collStats, dbStats, validate."""

from __future__ import annotations

from typing import Any

from bson.binary import Binary
from bson.int64 import Int64

from .. import wire
from ..collection import collection_stats
from ..errors import MongoError
from ..query.matcher import compile_filter
from . import command
from .context import CommandContext, get_bool, get_doc, ns_of

CREATE_OPTIONS = frozenset(
    {
        "capped", "size", "max", "validator", "validationLevel", "validationAction",
        "storageEngine", "indexOptionDefaults", "viewOn", "pipeline", "collation",
        "writeConcern", "comment", "timeseries", "expireAfterSeconds", "clusteredIndex",
        "changeStreamPreAndPostImages", "encryptedFields", "autoIndexId", "flags",
        "idIndex", "temp",
    }
)  # fmt: skip


def _check_validator_options(cmd: dict) -> None:
    level = cmd.get("validationLevel")
    if level is not None and level not in ("off", "strict", "moderate"):
        raise MongoError(
            2,
            f"Enumeration value '{level}' for field 'validationLevel' is not a valid value.",
        )
    action = cmd.get("validationAction")
    if action is not None and action not in ("error", "warn", "errorAndLog"):
        raise MongoError(
            2,
            f"Enumeration value '{action}' for field 'validationAction' is not a valid value.",
        )
    v = cmd.get("validator")
    if v is not None:
        if not isinstance(v, dict):
            raise MongoError(
                14, "BSON field 'create.validator' is the wrong type, expected type 'object'"
            )
        for k in v:
            if k in ("$near", "$nearSphere", "$text", "$where"):
                raise MongoError(72, f"{k} is not allowed in collection validators")
        compile_filter(v)


@command("create", "create a collection or a view", write=True)
def create(ctx: CommandContext, cmd: dict) -> dict:
    name = ns_of(ctx, cmd, "create")
    for k in cmd:
        if (
            k != "create"
            and k not in CREATE_OPTIONS
            and not k.startswith("$")
            and k
            not in (
                "lsid",
                "txnNumber",
                "autocommit",
                "startTransaction",
                "apiVersion",
                "apiStrict",
                "apiDeprecationErrors",
            )
        ):
            raise MongoError(40415, f"BSON field 'create.{k}' is an unknown field.")
    _check_validator_options(cmd)
    storage = ctx.storage
    if "viewOn" in cmd:
        view_on = cmd["viewOn"]
        if not isinstance(view_on, str):
            raise MongoError(
                14, "BSON field 'create.viewOn' is the wrong type, expected type 'string'"
            )
        pipeline = cmd.get("pipeline", [])
        if not isinstance(pipeline, list):
            raise MongoError(
                14, "BSON field 'create.pipeline' is the wrong type, expected type 'array'"
            )
        storage.create_view(ctx.db, name, view_on, pipeline)
        return {}
    if "pipeline" in cmd:
        raise MongoError(9, "'pipeline' requires 'viewOn' to also be specified")
    options: dict[str, Any] = {}
    capped = get_bool(cmd, "capped")
    if capped:
        size = cmd.get("size")
        if size is None:
            raise MongoError(72, "the 'size' field is required when 'capped' is true")
        size = int(size)
        if size <= 0 and False:
            raise MongoError(2, "size must be positive")
        options["capped"] = True
        # MongoDB rounds capped sizes up to a multiple of 256 bytes
        options["size"] = max(4096, (size + 255) // 256 * 256) if size else 4096
        if cmd.get("max") is not None:
            options["max"] = int(cmd["max"])
    elif cmd.get("size") is not None or cmd.get("max") is not None:
        pass
    for k in (
        "validator",
        "validationLevel",
        "validationAction",
        "collation",
        "expireAfterSeconds",
        "timeseries",
        "clusteredIndex",
        "changeStreamPreAndPostImages",
        "storageEngine",
        "indexOptionDefaults",
    ):
        if k in cmd:
            options[k] = cmd[k]
    existing = storage.collection(ctx.db, name)
    if existing is not None:
        if existing.options == options:
            return {}
        raise MongoError(48, f"Collection {ctx.db}.{name} already exists.")
    storage.create_collection(ctx.db, name, options)
    return {}


@command("drop", "drop a collection", write=True)
def drop(ctx: CommandContext, cmd: dict) -> dict:
    name = ns_of(ctx, cmd, "drop")
    storage = ctx.storage
    coll = storage.collection(ctx.db, name)
    db = storage.database(ctx.db)
    if coll is None and not (db is not None and name in db.views):
        # MongoDB 7.0+: dropping a missing collection succeeds
        return {}
    n_indexes = 1 + len(coll.indexes) if coll is not None else 0
    ctx.server.cursors.kill_namespace(f"{ctx.db}.{name}")
    storage.drop_collection(ctx.db, name)
    out: dict[str, Any] = {"ns": f"{ctx.db}.{name}"}
    if coll is not None:
        out["nIndexesWas"] = n_indexes
    return out


@command("dropDatabase", "drop (delete) this database", write=True)
def drop_database(ctx: CommandContext, cmd: dict) -> dict:
    if ctx.db in ("admin", "local", "config") and ctx.db != "config":
        raise MongoError(20, f"Dropping the '{ctx.db}' database is prohibited.")
    ctx.server.cursors.kill_namespace(f"{ctx.db}.*")
    dropped = ctx.storage.drop_database(ctx.db)
    return {"dropped": ctx.db} if dropped else {}


def _db_size(db: Any) -> int:
    return sum(c.data_size for c in db.collections.values())


@command("listDatabases", "list databases on this server", admin_only=True, read=True)
def list_databases(ctx: CommandContext, cmd: dict) -> dict:
    name_only = get_bool(cmd, "nameOnly")
    flt_spec = get_doc(cmd, "filter", None)
    flt = compile_filter(flt_spec) if flt_spec else None
    dbs = []
    total = 0
    for name in sorted(ctx.storage.databases):
        db = ctx.storage.databases[name]
        size = max(_db_size(db), 8192)
        entry: dict[str, Any] = {"name": name}
        if not name_only:
            entry.update({"sizeOnDisk": Int64(size), "empty": False})
        if flt is not None:
            probe = {"name": name, "sizeOnDisk": Int64(size), "empty": False}
            if not flt.match(probe):
                continue
        total += size
        dbs.append(entry)
    out: dict[str, Any] = {"databases": dbs}
    if not name_only:
        out["totalSize"] = Int64(total)
        out["totalSizeMb"] = Int64(total // (1024 * 1024))
    return out


def collection_info(ctx: CommandContext, coll: Any) -> dict[str, Any]:
    options = {k: v for k, v in coll.options.items()}
    return {
        "name": coll.name,
        "type": "collection",
        "options": options,
        "info": {"readOnly": False, "uuid": Binary.from_uuid(coll.uuid)},
        "idIndex": {"v": 2, "key": {"_id": 1}, "name": "_id_"},
    }


@command("listCollections", "list collections for this db", read=True)
def list_collections(ctx: CommandContext, cmd: dict) -> Any:
    flt_spec = get_doc(cmd, "filter", None)
    flt = compile_filter(flt_spec) if flt_spec else None
    name_only = get_bool(cmd, "nameOnly")
    db = ctx.storage.database(ctx.db)
    docs: list[bytes] = []
    if db is not None:
        entries: list[dict[str, Any]] = []
        for name in sorted(db.collections):
            entries.append(collection_info(ctx, db.collections[name]))
        for name in sorted(db.views):
            v = db.views[name]
            entries.append(
                {
                    "name": name,
                    "type": "view",
                    "options": {"viewOn": v["viewOn"], "pipeline": v["pipeline"]},
                    "info": {"readOnly": True},
                }
            )
        for e in entries:
            if flt is not None and not flt.match(e):
                continue
            if name_only:
                e = {"name": e["name"], "type": e["type"]}
            docs.append(wire.encode_document(e))
    return wire.cursor_reply(docs, 0, f"{ctx.db}.$cmd.listCollections")


@command("renameCollection", "rename a collection", admin_only=True, write=True)
def rename_collection(ctx: CommandContext, cmd: dict) -> dict:
    src = cmd.get("renameCollection")
    dst = cmd.get("to")
    if not isinstance(src, str) or not isinstance(dst, str):
        raise MongoError(
            2 if src is not None else 40414,
            "'renameCollection' must be of type String"
            if src is not None
            else "BSON field 'renameCollection.to' is missing but a required field",
        )
    if "." not in src or "." not in dst:
        raise MongoError(
            73,
            f"Invalid source namespace: {src}"
            if "." not in src
            else f"Invalid target namespace: {dst}",
        )
    sdb, sname = src.split(".", 1)
    ddb, dname = dst.split(".", 1)
    if src == dst:
        raise MongoError(20, "Can't rename a collection to itself")
    storage = ctx.storage
    if storage.collection(sdb, sname) is None:
        raise MongoError(26, "Source collection " + src + " does not exist")
    storage.rename_collection(sdb, sname, ddb, dname, get_bool(cmd, "dropTarget"))
    ctx.server.cursors.kill_namespace(src)
    return {}


@command("collMod", "modify collection options", write=True)
def coll_mod(ctx: CommandContext, cmd: dict) -> dict:
    name = ns_of(ctx, cmd, "collMod")
    storage = ctx.storage
    coll = storage.collection(ctx.db, name)
    db = storage.database(ctx.db)
    if coll is None:
        if db is not None and name in db.views:
            if "viewOn" in cmd or "pipeline" in cmd:
                db.views[name] = {
                    "viewOn": cmd.get("viewOn", db.views[name]["viewOn"]),
                    "pipeline": cmd.get("pipeline", db.views[name]["pipeline"]),
                }
            return {}
        raise MongoError(26, "ns does not exist")
    _check_validator_options(cmd)
    options = dict(coll.options)
    out: dict[str, Any] = {}
    for k in ("validator", "validationLevel", "validationAction"):
        if k in cmd:
            options[k] = cmd[k]
    if "index" in cmd:
        spec = cmd["index"]
        if not isinstance(spec, dict):
            raise MongoError(
                14, "BSON field 'collMod.index' is the wrong type, expected type 'object'"
            )
        ix = None
        if "name" in spec:
            ix = coll.indexes.get(spec["name"])
        elif "keyPattern" in spec:
            for cand in coll.indexes.values():
                if dict(cand.spec.key) == dict(spec["keyPattern"]):
                    ix = cand
        if ix is None:
            raise MongoError(
                27, f"cannot find index {spec.get('name', spec.get('keyPattern'))} for ns {coll.ns}"
            )
        if "expireAfterSeconds" in spec:
            old = ix.spec.expire_after_seconds
            ix.spec.expire_after_seconds = spec["expireAfterSeconds"]
            out["expireAfterSeconds_old"] = old
            out["expireAfterSeconds_new"] = spec["expireAfterSeconds"]
        if "hidden" in spec:
            old_h = ix.spec.hidden
            ix.spec.hidden = bool(spec["hidden"])
            out["hidden_old"] = old_h
            out["hidden_new"] = ix.spec.hidden
        storage.drop_index(coll, ix.name, replay=True)
        coll.indexes[ix.name] = ix
        if storage.log is not None:
            storage.log.command(
                storage._stamp(),
                {
                    "createIndexes": coll.name,
                    "db": coll.db_name,
                    "spec": ix.spec.to_doc(),
                    "replace": True,
                },
            )
    storage.set_options(coll, options)
    return out


@command("collStats", "get collection statistics", read=True)
def coll_stats_cmd(ctx: CommandContext, cmd: dict) -> dict:
    name = ns_of(ctx, cmd, "collStats")
    scale = int(cmd.get("scale", 1) or 1)
    if scale < 1:
        raise MongoError(2, "scale has to be >= 1")
    coll = ctx.storage.collection(ctx.db, name)
    if coll is None:
        raise MongoError(26, f"Collection [{ctx.db}.{name}] not found.")
    return collection_stats(coll, scale)


@command("dbStats", "get database statistics", read=True)
def db_stats(ctx: CommandContext, cmd: dict) -> dict:
    scale = int(cmd.get("scale", 1) or 1)
    if scale < 1:
        raise MongoError(2, "Scale factor must be greater than zero")
    db = ctx.storage.database(ctx.db)
    colls = list(db.collections.values()) if db is not None else []
    objects = sum(len(c) for c in colls)
    data = sum(c.data_size for c in colls)
    indexes = sum(1 + len(c.indexes) for c in colls)
    index_size = sum(collection_stats(c)["totalIndexSize"] for c in colls)
    return {
        "db": ctx.db,
        "collections": len(colls),
        "views": len(db.views) if db is not None else 0,
        "objects": objects,
        "avgObjSize": (data / objects) if objects else 0,
        "dataSize": data / scale,
        "storageSize": data / scale,
        "indexes": indexes,
        "indexSize": index_size / scale,
        "totalSize": (data + index_size) / scale,
        "scaleFactor": scale,
        "fsUsedSize": 0,
        "fsTotalSize": 0,
    }


@command("validate", "validate a collection", read=True)
def validate(ctx: CommandContext, cmd: dict) -> dict:
    name = ns_of(ctx, cmd, "validate")
    coll = ctx.storage.collection(ctx.db, name)
    if coll is None:
        raise MongoError(26, f"Collection '{ctx.db}.{name}' does not exist to validate.")
    errors = []
    for raw in coll.records.values():
        try:
            wire.decode_document(raw)
        except MongoError as e:
            errors.append(str(e))
    keys = {"_id_": len(coll.records)}
    for ix in coll.indexes.values():
        keys[ix.name] = len(ix.entries)
    return {
        "ns": coll.ns,
        "uuid": Binary.from_uuid(coll.uuid),
        "nInvalidDocuments": len(errors),
        "nNonCompliantDocuments": 0,
        "nrecords": len(coll.records),
        "nIndexes": 1 + len(coll.indexes),
        "keysPerIndex": keys,
        "indexDetails": {k: {"valid": True} for k in keys},
        "valid": not errors,
        "repaired": False,
        "warnings": [],
        "errors": errors,
        "extraIndexEntries": [],
        "missingIndexEntries": [],
        "corruptRecords": [],
    }
