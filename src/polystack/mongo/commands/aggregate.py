"""aggregate, and reads of views."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import wire
from ..aggregate.stages import (
    PipelineContext,
    check_pipeline,
    collection_source,
    compile_pipeline,
    run_stages,
)
from ..cursors import DEFAULT_FIRST_BATCH, Cursor
from ..errors import MongoError
from ..query.plan import explain_plan
from . import command
from .context import CommandContext, get_bool, get_doc
from .reads import _budget, _register, _server_info, expr_context


def pipeline_context(ctx: CommandContext, cmd: dict, coll_name: str) -> PipelineContext:
    allow = cmd.get("allowDiskUse")
    if allow is not None:
        allow = get_bool(cmd, "allowDiskUse")
    params = ctx.server.parameters
    return PipelineContext(
        ctx.storage,
        ctx.db,
        expr_context(ctx, cmd.get("let")),
        allow,
        coll_name,
        server=ctx.server,
        sort_limit=params["internalQueryMaxBlockingSortMemoryUsageBytes"],
        group_limit=params["internalDocumentSourceGroupMaxMemoryBytes"],
    )


def _encoded(docs: Iterator[dict]) -> Iterator[bytes]:
    encode = wire.encode_document
    for d in docs:
        yield encode(d)


@command("aggregate", "run an aggregation pipeline", read=True, in_transaction=True)
def aggregate(ctx: CommandContext, cmd: dict) -> Any:
    target = cmd.get("aggregate")
    if target == 1 or target == 1.0:
        coll_name = None
    elif isinstance(target, str):
        coll_name = target
        if not coll_name:
            raise MongoError(73, f"Invalid namespace specified '{ctx.db}.'")
    else:
        raise MongoError(
            2,
            "Invalid {aggregate: " + str(target) + "}: the aggregate field must be a "
            "collection name string or 1",
        )
    if "pipeline" not in cmd:
        raise MongoError(40414, "BSON field 'aggregate.pipeline' is missing but a required field")
    pipeline = check_pipeline(cmd["pipeline"])
    explain = get_bool(cmd, "explain")
    cursor_spec = get_doc(cmd, "cursor", None)
    if cursor_spec is None and not explain:
        raise MongoError(
            9, "The 'cursor' option is required, except for aggregate with the explain argument"
        )
    batch_size = DEFAULT_FIRST_BATCH
    if cursor_spec and "batchSize" in cursor_spec:
        batch_size = int(cursor_spec["batchSize"])
        if batch_size < 0:
            raise MongoError(
                51024, f"BSON field 'batchSize' value must be >= 0, actual value '{batch_size}'"
            )
    pctx = pipeline_context(ctx, cmd, coll_name or "")
    budget = _budget(ctx, cmd)
    if budget is not None:
        pctx.check = budget.check
    if coll_name is None:
        first = next(iter(pipeline[0]), "") if pipeline else ""
        if first not in (
            "$documents",
            "$currentOp",
            "$listLocalSessions",
            "$changeStream",
            "$listSessions",
        ):
            raise MongoError(
                73, f"{{aggregate: 1}} is not valid for '{first}'; a collection is required."
            )
    if explain:
        return _explain_aggregate(ctx, pctx, coll_name, pipeline, cmd)
    ns = f"{ctx.db}.{coll_name if coll_name is not None else '$cmd.aggregate'}"
    if coll_name is not None:
        source, used, _ = collection_source(pctx, coll_name, pipeline)
    else:
        source, used = iter([{}]), 0
    stages = compile_pipeline(pipeline[used:], pctx)
    docs = run_stages(stages, source)
    writes = any(next(iter(s)) in ("$out", "$merge") for s in pipeline)
    if writes:
        list(docs)
        if pctx.writes:
            ctx.write_ts = max(pctx.writes)
        return wire.cursor_reply([], 0, ns)
    cursor = Cursor(
        0,
        ns,
        _encoded(docs),
        kind="aggregate",
        comment=cmd.get("comment"),
        command=dict(cmd),
        budget=budget,
    )
    first = cursor.next_batch(batch_size)
    ctx.storage.stats["returned"] += len(first)
    cid = 0 if cursor.exhausted else _register(ctx, cursor)
    return wire.cursor_reply(first, cid, ns)


def _explain_aggregate(
    ctx: CommandContext, pctx: PipelineContext, coll_name: str | None, pipeline: list, cmd: dict
) -> dict:
    stages_out: list[dict[str, Any]] = []
    if coll_name is not None:
        coll = ctx.storage.collection(ctx.db, coll_name)
        _, used, plan = collection_source(pctx, coll_name, pipeline)
        from ..query.matcher import compile_filter
        from ..query.sort import parse_sort

        flt_spec = pipeline[0].get("$match", {}) if pipeline and used else {}
        sort = parse_sort(pipeline[1]["$sort"]) if used >= 2 else []
        winning: dict[str, Any] = {"stage": "EOF"}
        if coll is not None and plan is not None:
            winning = explain_plan(coll, plan, compile_filter(flt_spec), sort, 0, 0)
        cursor_stage: dict[str, Any] = {
            "$cursor": {
                "queryPlanner": {
                    "namespace": f"{ctx.db}.{coll_name}",
                    "parsedQuery": flt_spec,
                    "winningPlan": winning,
                    "rejectedPlans": [],
                }
            }
        }
        stages_out.append(cursor_stage)
        rest = pipeline[used:]
    else:
        rest = pipeline
    compile_pipeline(rest, pctx)
    stages_out.extend(rest)

    return {
        "explainVersion": "1",
        "stages": stages_out,
        "serverInfo": _server_info(ctx),
        "command": cmd,
    }


def view_find(
    ctx: CommandContext,
    cmd: dict,
    name: str,
    flt: dict,
    sort: list,
    proj: Any,
    skip: int,
    limit: int,
    batch_size: int,
    single_batch: bool,
) -> Any:
    """A find on a view runs the view's pipeline followed by the query as stages."""
    pipeline: list[dict[str, Any]] = []
    if flt:
        pipeline.append({"$match": flt})
    if sort:
        pipeline.append({"$sort": dict(sort)})
    if skip:
        pipeline.append({"$skip": skip})
    if limit:
        pipeline.append({"$limit": limit})
    if proj:
        pipeline.append({"$project": proj})
    agg = {"aggregate": name, "pipeline": pipeline, "cursor": {"batchSize": batch_size}}
    return aggregate(ctx, agg)
