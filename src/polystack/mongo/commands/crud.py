"""insert, update, delete and findAndModify."""

from __future__ import annotations

from typing import Any

from .. import wire, writeops
from ..errors import MongoError
from ..keystring import MISSING
from ..query.projection import compile_projection
from . import command
from .context import CommandContext, get_bool, get_doc, ns_of

INSERT_CHUNK = 1000


def statements(ctx: CommandContext, cmd: dict, name: str, raw: bool = False) -> list:
    """A write command's statements, from its document sequence or its body array."""
    seq = ctx.request.sequences.get(name)
    if seq is not None:
        if raw:
            return seq
        merged = cmd.get(name)
        if isinstance(merged, list) and len(merged) == len(seq):
            return merged  # already decoded when the sequence was merged into the body
        return [wire.decode_document(d) for d in seq]
    v = cmd.get(name)
    if v is None:
        raise MongoError(
            40414, f"BSON field '{next(iter(cmd))}.{name}' is missing but a required field"
        )
    if not isinstance(v, list):
        raise MongoError(
            14,
            f"BSON field '{next(iter(cmd))}.{name}' is the wrong type '{_tn(v)}', expected type "
            "'array'",
        )
    if raw:
        return [wire.encode_document(d) if isinstance(d, dict) else d for d in v]
    return v


def _tn(v: Any) -> str:
    from ..bsontypes import type_name

    return type_name(v)


def _check_batch(ctx: CommandContext, n: int) -> None:
    limit = ctx.server.settings.max_write_batch_size
    if n == 0 or n > limit:
        raise MongoError(
            16, f"Write batch sizes must be between 1 and {limit}. Got {n} operations."
        )


@command("insert", "insert documents", write=True, in_transaction=True)
def insert(ctx: CommandContext, cmd: dict) -> dict:
    name = ns_of(ctx, cmd, "insert")
    raws = statements(ctx, cmd, "documents", raw=True)
    _check_batch(ctx, len(raws))
    ordered = get_bool(cmd, "ordered", True)
    bypass = get_bool(cmd, "bypassDocumentValidation")
    storage = ctx.storage
    coll = storage.get_or_create(ctx.db, name)
    max_size = ctx.server.settings.max_bson_object_size
    for raw in raws:
        if not isinstance(raw, bytes | bytearray):
            raise MongoError(14, "BSON field 'insert.documents' must be an array of objects")

    def prepare(doc: dict, raw: bytes) -> tuple[dict, bytes]:
        return writeops.prepare_insert(doc, raw, max_size)

    def check(c: Any, doc: dict) -> None:
        writeops.validate_document(c, doc, bypass)

    # decoded in chunks so that the decoded copies (only needed for checks) stay few
    n = 0
    failed: list[tuple[int, MongoError]] = []
    for start in range(0, len(raws), INSERT_CHUNK):
        chunk = raws[start : start + INSERT_CHUNK]
        docs = wire.decode_all(chunk)
        got, errs, ts = storage.insert_batch(coll, chunk, docs, ordered, prepare, check)
        del docs
        n += got
        if ts:
            ctx.write_ts = ts
        failed.extend((start + i, e) for i, e in errs)
        if errs and ordered:
            break
    errors = [e.write_error(i) for i, e in failed]
    ctx.server.opcounters["insert"] += len(raws)
    reply: dict[str, Any] = {"n": n}
    if errors:
        reply["writeErrors"] = errors
    return reply


@command("update", "update documents", write=True, in_transaction=True)
def update(ctx: CommandContext, cmd: dict) -> dict:
    name = ns_of(ctx, cmd, "update")
    stmts = statements(ctx, cmd, "updates")
    _check_batch(ctx, len(stmts))
    ordered = get_bool(cmd, "ordered", True)
    bypass = get_bool(cmd, "bypassDocumentValidation")
    let = get_doc(cmd, "let", None)
    n = 0
    modified = 0
    upserted: list[dict] = []
    errors: list[dict] = []
    for i, st in enumerate(stmts):
        try:
            if not isinstance(st, dict):
                raise MongoError(14, "BSON field 'update.updates' must contain objects")
            for req in ("q", "u"):
                if req not in st:
                    raise MongoError(
                        40414, f"BSON field 'update.updates.{req}' is missing but a required field"
                    )
            for k in st:
                if k not in (
                    "q",
                    "u",
                    "upsert",
                    "multi",
                    "arrayFilters",
                    "hint",
                    "collation",
                    "c",
                    "sort",
                    "upsertSupplied",
                ):
                    raise MongoError(40415, f"BSON field 'update.updates.{k}' is an unknown field.")
            multi = get_bool(st, "multi")
            if multi and st.get("sort") is not None:
                raise MongoError(72, "Cannot specify sort with multi=true")
            stmt_let = dict(let or {})
            if st.get("c"):
                stmt_let.update(st["c"])
            res = writeops.update_docs(
                ctx.storage,
                ctx.db,
                name,
                st["q"],
                st["u"],
                multi=multi,
                upsert=get_bool(st, "upsert"),
                array_filters=st.get("arrayFilters"),
                hint=st.get("hint"),
                sort=st.get("sort"),
                let=stmt_let,
                bypass=bypass,
                max_size=ctx.server.settings.max_bson_object_size,
            )
            if res.ts:
                ctx.write_ts = res.ts
            if res.upserted_id is not MISSING:
                n += 1
                upserted.append({"index": i, "_id": res.upserted_id})
            else:
                n += res.matched
                modified += res.modified
        except MongoError as e:
            errors.append(e.write_error(i))
            if ordered:
                break
    ctx.server.opcounters["update"] += len(stmts)
    reply: dict[str, Any] = {"n": n, "nModified": modified}
    if upserted:
        reply["upserted"] = upserted
    if errors:
        reply["writeErrors"] = errors
    return reply


@command("delete", "delete documents", write=True, in_transaction=True)
def delete(ctx: CommandContext, cmd: dict) -> dict:
    name = ns_of(ctx, cmd, "delete")
    stmts = statements(ctx, cmd, "deletes")
    _check_batch(ctx, len(stmts))
    ordered = get_bool(cmd, "ordered", True)
    let = get_doc(cmd, "let", None)
    n = 0
    errors: list[dict] = []
    for i, st in enumerate(stmts):
        try:
            if not isinstance(st, dict):
                raise MongoError(14, "BSON field 'delete.deletes' must contain objects")
            if "q" not in st:
                raise MongoError(
                    40414, "BSON field 'delete.deletes.q' is missing but a required field"
                )
            if "limit" not in st:
                raise MongoError(
                    40414, "BSON field 'delete.deletes.limit' is missing but a required field"
                )
            limit = st["limit"]
            if limit not in (0, 1):
                raise MongoError(
                    9, f"The limit field in delete objects must be 0 or 1. Got {limit}"
                )
            count, ts, _ = writeops.delete_docs(
                ctx.storage,
                ctx.db,
                name,
                st["q"],
                limit=int(limit),
                hint=st.get("hint"),
                let=let,
            )
            if ts:
                ctx.write_ts = ts
            n += count
        except MongoError as e:
            errors.append(e.write_error(i))
            if ordered:
                break
    ctx.server.opcounters["delete"] += len(stmts)
    reply: dict[str, Any] = {"n": n}
    if errors:
        reply["writeErrors"] = errors
    return reply


@command(
    "findAndModify",
    "find a document and update or remove it",
    write=True,
    aliases=("findandmodify",),
    in_transaction=True,
)
def find_and_modify(ctx: CommandContext, cmd: dict) -> dict:
    name = ns_of(ctx, cmd, next(iter(cmd)))
    query = get_doc(cmd, "query", {})
    sort = get_doc(cmd, "sort", None)
    remove = get_bool(cmd, "remove")
    new = get_bool(cmd, "new")
    upsert = get_bool(cmd, "upsert")
    fields = get_doc(cmd, "fields", None)
    upd = cmd.get("update")
    if remove and upd is not None:
        raise MongoError(9, "Cannot specify both an update and remove=true")
    if remove and upsert:
        raise MongoError(9, "Cannot specify both upsert=true and remove=true ")
    if remove and new:
        raise MongoError(
            9,
            "Cannot specify both new=true and remove=true; 'remove' always returns the "
            "deleted document",
        )
    if not remove and upd is None:
        raise MongoError(9, "Either an update or remove=true must be specified")
    proj = compile_projection(fields) if fields else None
    storage = ctx.storage
    last_error: dict[str, Any]
    value: Any = None
    if remove:
        n, ts, doc = writeops.delete_docs(
            storage,
            ctx.db,
            name,
            query,
            limit=1,
            sort=sort,
            hint=cmd.get("hint"),
            let=cmd.get("let"),
        )
        if ts:
            ctx.write_ts = ts
        last_error = {"n": n}
        value = doc
        ctx.server.opcounters["delete"] += 1
    else:
        res = writeops.update_docs(
            storage,
            ctx.db,
            name,
            query,
            upd,
            upsert=upsert,
            array_filters=cmd.get("arrayFilters"),
            hint=cmd.get("hint"),
            sort=sort,
            let=cmd.get("let"),
            bypass=get_bool(cmd, "bypassDocumentValidation"),
            max_size=ctx.server.settings.max_bson_object_size,
            want_docs=True,
        )
        if res.ts:
            ctx.write_ts = res.ts
        ctx.server.opcounters["update"] += 1
        if res.upserted_id is not MISSING:
            last_error = {"n": 1, "updatedExisting": False, "upserted": res.upserted_id}
            value = res.doc_after if new else None
        else:
            last_error = {"n": res.matched, "updatedExisting": res.matched > 0}
            value = res.doc_after if new else res.doc_before
    if value is not None and proj is not None:
        value = proj.apply(value)
    return {"lastErrorObject": last_error, "value": value}
