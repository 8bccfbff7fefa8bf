"""find, getMore, killCursors, count and distinct."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bson.int64 import Int64
from bson.objectid import ObjectId

from .. import wire
from ..bsontypes import type_name
from ..cursors import DEFAULT_FIRST_BATCH, Cursor
from ..errors import MongoError
from ..keystring import MISSING, encode_key
from ..query.matcher import compile_filter, matched_array_position
from ..query.plan import choose_plan, execute, explain_plan
from ..query.projection import compile_projection
from ..query.sort import parse_sort
from . import command
from .aggregate import view_find
from .context import CommandContext, Deferred, get_bool, get_doc, get_int, ns_of
from .reads import _budget, _register, _server_info, expr_context

FIND_FIELDS = frozenset(
    {
        "find", "filter", "sort", "projection", "hint", "skip", "limit", "batchSize",
        "singleBatch", "comment", "maxTimeMS", "readConcern", "max", "min", "returnKey",
        "showRecordId", "tailable", "oplogReplay", "noCursorTimeout", "awaitData",
        "allowPartialResults", "collation", "allowDiskUse", "let", "$db", "lsid", "txnNumber",
        "$clusterTime", "$readPreference", "startTransaction", "autocommit", "apiVersion",
        "apiStrict", "apiDeprecationErrors", "readOnce", "requestResumeToken", "$audit",
        "$client", "mirrored", "term", "encryptionInformation", "includeQueryStatsMetrics",
        "rawData",
    }
)  # fmt: skip


def _cursor_ns(ctx: CommandContext, name: str) -> str:
    return f"{ctx.db}.{name}"


def run_find(ctx: CommandContext, cmd: dict, explain: str | None = None) -> Any:
    name = ns_of(ctx, cmd, "find") if not isinstance(cmd.get("find"), object) else cmd["find"]
    if not isinstance(name, str):
        from bson.binary import Binary

        if isinstance(name, Binary) or hasattr(name, "bytes"):
            raise MongoError(26, "UUID-based find is not supported")
        raise MongoError(2, f"collection name has invalid type {type_name(name)}")
    for k in cmd:
        if k not in FIND_FIELDS:
            raise MongoError(40415, f"BSON field 'FindCommandRequest.{k}' is an unknown field.")
    flt_spec = get_doc(cmd, "filter", {}, "FindCommandRequest.filter")
    sort = parse_sort(get_doc(cmd, "sort", None, "FindCommandRequest.sort"))
    proj_spec = get_doc(cmd, "projection", None, "FindCommandRequest.projection")
    skip = get_int(cmd, "skip", 0, "FindCommandRequest.skip")
    if skip < 0:
        raise MongoError(51024, f"BSON field 'skip' value must be >= 0, actual value '{skip}'")
    limit = get_int(cmd, "limit", 0, "FindCommandRequest.limit")
    if limit < 0:
        raise MongoError(51024, f"BSON field 'limit' value must be >= 0, actual value '{limit}'")
    batch_size = get_int(cmd, "batchSize", DEFAULT_FIRST_BATCH, "FindCommandRequest.batchSize")
    if batch_size < 0:
        raise MongoError(
            51024, f"BSON field 'batchSize' value must be >= 0, actual value '{batch_size}'"
        )
    single_batch = get_bool(cmd, "singleBatch")
    tailable = get_bool(cmd, "tailable")
    await_data = get_bool(cmd, "awaitData")
    if await_data and not tailable:
        raise MongoError(
            9,
            "Cannot set awaitData without tailable",
        )
    if tailable and sort:
        raise MongoError(
            2,
            "error processing query: ns=x.y "
            "planner returned error :: caused by :: cannot have a sort with a "
            "tailable cursor",
        )
    max_time = cmd.get("maxTimeMS")
    if max_time is not None:
        mt = get_int(cmd, "maxTimeMS", 0)
        if mt < 0:
            raise MongoError(2, f"BSON field 'maxTimeMS' value must be >= 0, actual value '{mt}'")
    ectx = expr_context(ctx, cmd.get("let"))
    flt = compile_filter(flt_spec, ectx)
    proj = compile_projection(proj_spec, ectx) if proj_spec else None
    ns = _cursor_ns(ctx, name)
    storage = ctx.storage
    db = storage.database(ctx.db)
    if db is not None and name in db.views:
        return view_find(
            ctx, cmd, name, flt_spec, sort, proj_spec, skip, limit, batch_size, single_batch
        )
    coll = storage.collection(ctx.db, name)
    if tailable and coll is not None and not coll.capped:
        raise MongoError(
            2, f"error processing query: ns={ns} tailable cursor requested on non capped collection"
        )
    hint = cmd.get("hint")
    if isinstance(hint, dict) and not hint:
        hint = None
    min_spec = get_doc(cmd, "min", None)
    max_spec = get_doc(cmd, "max", None)
    if (min_spec is not None or max_spec is not None) and hint is None:
        raise MongoError(
            51173, "When using min()/max() a hint of which index to use must be provided"
        )
    if coll is None:
        if explain:
            return _explain_empty(ctx, ns, flt, cmd)
        return wire.cursor_reply([], 0, ns)
    plan = choose_plan(coll, flt, sort, hint)
    if explain:
        return _explain_find(ctx, coll, plan, flt, sort, limit, skip, explain, cmd)
    allow_disk = cmd.get("allowDiskUse")
    sort_limit = ctx.server.parameters["internalQueryMaxBlockingSortMemoryUsageBytes"]
    if allow_disk is None and ctx.server.parameters.get("allowDiskUseByDefault", True):
        allow_disk = None
    budget = _budget(ctx, cmd)
    if budget is not None:
        budget.start()
    rows = execute(
        coll,
        flt,
        plan,
        sort,
        limit,
        skip,
        allow_disk,
        sort_limit,
        check=budget.check if budget is not None else None,
    )
    if min_spec is not None or max_spec is not None:
        rows = _min_max(rows, min_spec, max_spec)
    source = _project(rows, proj, flt)
    cursor = Cursor(
        0,
        ns,
        source,
        limit=limit,
        tailable=tailable,
        await_data=await_data,
        comment=cmd.get("comment"),
        command=dict(cmd),
        budget=budget,
    )
    if budget is not None:
        budget.stop()
    if tailable:
        cursor.resume = _tail_resume(coll, cursor)
        source = _tail_tracking(coll, cursor, source)
        cursor.source = source
    first = cursor.next_batch(batch_size)
    ctx.server.storage.stats["returned"] += len(first)
    ctx.server.opcounters["query"] += 1
    cid = 0
    if (
        not single_batch
        and (not cursor.exhausted or tailable)
        and not (limit and cursor.returned >= limit)
    ):
        if tailable and not first and not coll.records:
            cid = _register(ctx, cursor)
        else:
            cid = _register(ctx, cursor)
    return wire.cursor_reply(first, cid, ns)


def _tail_tracking(coll: Any, cursor: Cursor, source: Iterator[bytes]) -> Iterator[bytes]:
    # remember the insertion sequence of the last document returned
    return source


def _tail_resume(coll: Any, cursor: Cursor) -> Any:
    state = {"seen": set(coll.records)}

    def resume() -> Iterator[bytes]:
        new = [k for k in coll.records if k not in state["seen"]]
        for k in new:
            state["seen"].add(k)
        flt = compile_filter(cursor.command.get("filter") or {})
        for k in new:
            raw = coll.records.get(k)
            if raw is None:
                continue
            if flt.is_empty or flt.match(wire.decode_document(raw)):
                yield raw

    return resume


def _project(
    rows: Iterator[tuple[bytes, bytes, dict | None]], proj: Any, flt: Any
) -> Iterator[bytes]:
    if proj is None:
        for _, raw, _ in rows:
            yield raw
        return
    encode = wire.encode_document
    decode = wire.decode_document
    positional = proj.positional_path is not None
    for _, raw, doc in rows:
        if doc is None:
            doc = decode(raw)
        pos = matched_array_position(flt, doc) if positional else None
        yield encode(proj.apply(doc, pos))


def _min_max(rows: Any, min_spec: Any, max_spec: Any) -> Iterator:
    from ..query.sort import sort_key_fn

    lo = hi = None
    if min_spec:
        fields = [(k, 1) for k in min_spec]
        keyfn = sort_key_fn(fields)
        lo = b"".join(encode_key(v) for v in min_spec.values())
    if max_spec:
        fields = [(k, 1) for k in max_spec]
        keyfn = sort_key_fn(fields)
        hi = b"".join(encode_key(v) for v in max_spec.values())
    for row in rows:
        doc = row[2] if row[2] is not None else wire.decode_document(row[1])
        k = keyfn(doc)
        if lo is not None and k < lo:
            continue
        if hi is not None and k >= hi:
            continue
        yield row


def _explain_empty(ctx: CommandContext, ns: str, flt: Any, cmd: dict) -> dict:
    return {
        "explainVersion": "1",
        "queryPlanner": {
            "namespace": ns,
            "parsedQuery": flt.spec,
            "indexFilterSet": False,
            "winningPlan": {"stage": "EOF"},
            "rejectedPlans": [],
        },
        "command": cmd,
        "serverInfo": _server_info(ctx),
    }


def _explain_find(
    ctx: CommandContext,
    coll: Any,
    plan: Any,
    flt: Any,
    sort: list,
    limit: int,
    skip: int,
    verbosity: str,
    cmd: dict,
) -> dict:
    import time

    winning = explain_plan(coll, plan, flt, sort, limit, skip)
    out: dict[str, Any] = {
        "explainVersion": "1",
        "queryPlanner": {
            "namespace": coll.ns,
            "parsedQuery": flt.spec,
            "indexFilterSet": False,
            "planCacheShapeHash": "00000000",
            "maxIndexedOrSolutionsReached": False,
            "maxIndexedAndSolutionsReached": False,
            "maxScansToExplodeReached": False,
            "prunedSimilarIndexes": False,
            "winningPlan": winning,
            "rejectedPlans": [],
        },
    }
    if verbosity in ("executionStats", "allPlansExecution"):
        t0 = time.perf_counter()
        n = sum(1 for _ in execute(coll, flt, plan, sort, limit, skip))
        elapsed = int((time.perf_counter() - t0) * 1000)
        stats = {
            "executionSuccess": True,
            "nReturned": n,
            "executionTimeMillis": elapsed,
            "totalKeysExamined": plan.keys_examined,
            "totalDocsExamined": plan.docs_examined,
            "executionStages": {**winning, "nReturned": n, "executionTimeMillisEstimate": elapsed},
        }
        if verbosity == "allPlansExecution":
            stats["allPlansExecution"] = []
        out["executionStats"] = stats
    out["command"] = cmd
    out["serverInfo"] = _server_info(ctx)
    out["serverParameters"] = {
        "internalQueryMaxBlockingSortMemoryUsageBytes": ctx.server.parameters[
            "internalQueryMaxBlockingSortMemoryUsageBytes"
        ],
    }
    return out


FAST_FIND_KEYS = frozenset(
    {"find", "filter", "limit", "singleBatch", "batchSize", "lsid", "$clusterTime", "$db",
     "$readPreference", "comment", "projection"}
)  # fmt: skip
FAST_ID_TYPES = (ObjectId, str, int, Int64)


@command("find", "query for documents", read=True, in_transaction=True)
def find(ctx: CommandContext, cmd: dict) -> Any:
    # the commonest query, a lookup by _id, answered without planning
    flt = cmd.get("filter")
    if (
        type(flt) is dict
        and len(flt) == 1
        and type(flt.get("_id")) in FAST_ID_TYPES
        and cmd.keys() <= FAST_FIND_KEYS
        and not cmd.get("projection")
        and type(cmd.get("limit", 0)) is int
        and cmd.get("limit", 0) >= 0
        and type(cmd.get("find")) is str
    ):
        name = cmd["find"]
        coll = ctx.storage.collection(ctx.db, name)
        if coll is not None:
            coll.id_accesses += 1
            ctx.server.opcounters["query"] += 1
            raw = coll.records.get(encode_key(flt["_id"]))
            batch = [raw] if raw is not None else []
            ctx.storage.stats["returned"] += len(batch)
            return wire.cursor_reply(batch, 0, f"{ctx.db}.{name}")
    return run_find(ctx, cmd)


@command("getMore", "retrieve more results from an existing cursor", read=True, in_transaction=True)
def get_more(ctx: CommandContext, cmd: dict) -> Any:
    cid = cmd.get("getMore")
    if not isinstance(cid, int) or isinstance(cid, bool):
        raise MongoError(14, "BSON field 'getMore.getMore' is the wrong type, expected type 'long'")
    coll_name = cmd.get("collection")
    if not isinstance(coll_name, str):
        raise MongoError(40414, "BSON field 'getMore.collection' is missing but a required field")
    ns = _cursor_ns(ctx, coll_name)
    cursor = ctx.server.cursors.get(int(cid), ns)
    batch_size = get_int(cmd, "batchSize", 0)
    if batch_size < 0:
        raise MongoError(
            51024, f"BSON field 'batchSize' value must be >= 0, actual value '{batch_size}'"
        )
    max_await = cmd.get("maxTimeMS")
    if max_await is not None and not cursor.await_data and not cursor.tailable:
        raise MongoError(2, "cannot set maxTimeMS on getMore command for a non-awaitData cursor")
    ctx.server.opcounters["getmore"] += 1
    try:
        batch = cursor.next_batch(batch_size)
    except MongoError as e:
        if e.code == 50:
            ctx.server.cursors.kill(cursor.id)
        raise
    if not batch and cursor.await_data and not cursor.exhausted:
        wait_ms = int(max_await) if max_await is not None else 1000
        coll = ctx.storage.collection(ctx.db, coll_name)

        def later() -> bytes:
            more = cursor.next_batch(batch_size)
            keep = not cursor.exhausted or cursor.tailable
            if ctx.server.cursors.cursors.get(cursor.id) is None:
                keep = False
            if not keep:
                ctx.server.cursors.kill(cursor.id)
            return wire.cursor_reply(more, cursor.id if keep else 0, ns, first=False)

        waiter = Deferred(wait_ms / 1000.0, later)
        if coll is not None:
            coll.tail_waiters.append(waiter.wake)
        return waiter
    ctx.storage.stats["returned"] += len(batch)
    keep = not cursor.exhausted or cursor.tailable
    if cursor.tailable and ctx.storage.collection(ctx.db, coll_name) is None:
        keep = False
    if not keep:
        ctx.server.cursors.kill(cursor.id)
    return wire.cursor_reply(batch, cursor.id if keep else 0, ns, first=False)


@command("killCursors", "Kill a list of cursor ids", in_transaction=True)
def kill_cursors(ctx: CommandContext, cmd: dict) -> dict:
    ns_of(ctx, cmd, "killCursors")
    ids = cmd.get("cursors")
    if not isinstance(ids, list):
        raise MongoError(40414, "BSON field 'killCursors.cursors' is missing but a required field")
    killed, not_found = [], []
    for cid in ids:
        if ctx.server.cursors.kill(int(cid)):
            killed.append(Int64(cid))
        else:
            not_found.append(Int64(cid))
    return {
        "cursorsKilled": killed,
        "cursorsNotFound": not_found,
        "cursorsAlive": [],
        "cursorsUnknown": [],
    }


@command("count", "count the number of documents in a collection", read=True)
def count(ctx: CommandContext, cmd: dict) -> dict:
    name = ns_of(ctx, cmd, "count")
    q = get_doc(cmd, "query", {})
    skip = get_int(cmd, "skip", 0)
    limit = get_int(cmd, "limit", 0)
    if skip < 0:
        raise MongoError(51024, f"BSON field 'skip' value must be >= 0, actual value '{skip}'")
    limit = abs(limit)
    coll = ctx.storage.collection(ctx.db, name)
    if coll is None:
        return {"n": 0}
    flt = compile_filter(q, expr_context(ctx, cmd.get("let")))
    if flt.is_empty:
        n = max(0, len(coll) - skip)
        if limit:
            n = min(n, limit)
        return {"n": n}
    plan = choose_plan(coll, flt, [], cmd.get("hint"))
    budget = _budget(ctx, cmd)
    if budget is not None:
        budget.start()
    check = budget.check if budget is not None else None
    n = sum(1 for _ in execute(coll, flt, plan, [], limit, skip, check=check))
    return {"n": n}


@command("distinct", "get a list of distinct values for a key", read=True, in_transaction=True)
def distinct(ctx: CommandContext, cmd: dict) -> dict:
    name = ns_of(ctx, cmd, "distinct")
    key = cmd.get("key")
    if not isinstance(key, str):
        raise MongoError(
            40414,
            "BSON field 'distinct.key' is missing but a required field"
            if key is None
            else "BSON field 'distinct.key' is the wrong type, expected type 'string'",
        )
    q = get_doc(cmd, "query", {})
    coll = ctx.storage.collection(ctx.db, name)
    if coll is None:
        return {"values": []}
    flt = compile_filter(q, expr_context(ctx, cmd.get("let")))
    plan = choose_plan(coll, flt, [], cmd.get("hint"))
    from .. import paths

    parts = paths.split(key)
    seen: dict[bytes, Any] = {}
    for _, raw, doc in execute(coll, flt, plan, []):
        if doc is None:
            doc = wire.decode_document(raw)
        vals: list = []
        paths.collect(doc, parts, 0, vals)
        for v in vals:
            if v is MISSING:
                continue
            items = v if type(v) is list else [v]
            for x in items:
                k = encode_key(x)
                if k not in seen:
                    seen[k] = x
    values = [seen[k] for k in sorted(seen)]
    return {"values": values}
