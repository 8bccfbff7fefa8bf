"""bulkWrite (MongoDB 8.0): inserts, updates and deletes across namespaces in one command."""

from __future__ import annotations

from typing import Any

from .. import wire, writeops
from ..cursors import Cursor
from ..errors import MongoError
from ..keystring import MISSING
from . import command
from .context import CommandContext, get_bool, get_doc
from .crud import statements


def _ns(ns_info: list, idx: Any) -> tuple[str, str]:
    if not isinstance(idx, int) or isinstance(idx, bool) or not 0 <= idx < len(ns_info):
        raise MongoError(2, f"BulkWrite ops entry has an invalid nsInfo index {idx}")
    ns = ns_info[idx].get("ns") if isinstance(ns_info[idx], dict) else None
    if not isinstance(ns, str) or "." not in ns:
        raise MongoError(73, f"Invalid namespace specified '{ns}'")
    db, coll = ns.split(".", 1)
    return db, coll


@command(
    "bulkWrite", "run inserts, updates and deletes on many namespaces", write=True, admin_only=True
)
def bulk_write(ctx: CommandContext, cmd: dict) -> Any:
    ops = statements(ctx, cmd, "ops")
    ns_info = statements(ctx, cmd, "nsInfo")
    if not ops:
        raise MongoError(
            16,
            f"Write batch sizes must be between 1 and "
            f"{ctx.server.settings.max_write_batch_size}. Got 0 operations.",
        )
    ordered = get_bool(cmd, "ordered", True)
    bypass = get_bool(cmd, "bypassDocumentValidation")
    errors_only = get_bool(cmd, "errorsOnly")
    let = get_doc(cmd, "let", None)
    storage = ctx.storage
    max_size = ctx.server.settings.max_bson_object_size
    results: list[dict[str, Any]] = []
    counts = {
        "nErrors": 0,
        "nInserted": 0,
        "nMatched": 0,
        "nModified": 0,
        "nUpserted": 0,
        "nDeleted": 0,
    }
    for i, op in enumerate(ops):
        if not isinstance(op, dict) or not op:
            raise MongoError(14, "BSON field 'bulkWrite.ops' must contain objects")
        kind = next(iter(op))
        try:
            if kind == "insert":
                db, name = _ns(ns_info, op["insert"])
                doc = op.get("document")
                if not isinstance(doc, dict):
                    raise MongoError(
                        40414, "BSON field 'bulkWrite.ops.document' is missing but a required field"
                    )
                coll = storage.get_or_create(db, name)
                _, ts = writeops.insert_one(storage, coll, doc, None, bypass, max_size)
                ctx.write_ts = ts
                counts["nInserted"] += 1
                reply: dict[str, Any] = {"ok": 1.0, "idx": i, "n": 1}
            elif kind == "update":
                db, name = _ns(ns_info, op["update"])
                mods = op.get("updateMods")
                if mods is None:
                    raise MongoError(
                        40414,
                        "BSON field 'bulkWrite.ops.updateMods' is missing but a required field",
                    )
                stmt_let = dict(let or {})
                if op.get("constants"):
                    stmt_let.update(op["constants"])
                res = writeops.update_docs(
                    storage,
                    db,
                    name,
                    op.get("filter", {}),
                    mods,
                    multi=get_bool(op, "multi"),
                    upsert=get_bool(op, "upsert"),
                    array_filters=op.get("arrayFilters"),
                    hint=op.get("hint"),
                    sort=op.get("sort"),
                    let=stmt_let,
                    bypass=bypass,
                    max_size=max_size,
                )
                if res.ts:
                    ctx.write_ts = res.ts
                reply = {"ok": 1.0, "idx": i}
                if res.upserted_id is not MISSING:
                    counts["nUpserted"] += 1
                    reply.update({"n": 1, "nModified": 0, "upserted": {"_id": res.upserted_id}})
                else:
                    counts["nMatched"] += res.matched
                    counts["nModified"] += res.modified
                    reply.update({"n": res.matched, "nModified": res.modified})
            elif kind == "delete":
                db, name = _ns(ns_info, op["delete"])
                n, ts, _ = writeops.delete_docs(
                    storage,
                    db,
                    name,
                    op.get("filter", {}),
                    limit=0 if get_bool(op, "multi") else 1,
                    hint=op.get("hint"),
                    let=let,
                )
                if ts:
                    ctx.write_ts = ts
                counts["nDeleted"] += n
                reply = {"ok": 1.0, "idx": i, "n": n}
            else:
                raise MongoError(40415, f"BSON field 'bulkWrite.ops.{kind}' is an unknown field.")
            if not errors_only:
                results.append(reply)
        except MongoError as e:
            counts["nErrors"] += 1
            err: dict[str, Any] = {
                "ok": 0.0,
                "idx": i,
                "code": e.code,
                "codeName": e.code_name,
                "errmsg": e.errmsg,
                "n": 0,
            }
            if e.extra:
                err.update(e.extra)
            results.append(err)
            if ordered:
                break
    ns = "admin.$cmd.bulkWrite"
    encoded = [wire.encode_document(r) for r in results]
    batch_size = 101
    cursor_spec = cmd.get("cursor")
    if isinstance(cursor_spec, dict) and isinstance(cursor_spec.get("batchSize"), int):
        batch_size = cursor_spec["batchSize"]
    cursor = Cursor(0, ns, iter(encoded), kind="bulkWrite")
    first = cursor.next_batch(batch_size)
    cid = 0
    if not cursor.exhausted:
        from .reads import _register

        cid = _register(ctx, cursor)
    body = wire.cursor_reply(first, cid, ns)
    return wire.append_fields(body, dict(counts))
