"""Stages that produce documents of their own or only answer with MongoDB's errors:
$documents, $collStats, $indexStats, $changeStream, $geoNear and the Atlas Search stages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import MongoError
from ..expr import compile_expression
from .pipeline import PipelineContext, Stage, stage


@stage("$documents")
def _documents(spec: Any, pctx: PipelineContext) -> Stage:
    fn = compile_expression(spec, pctx.ectx)

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        for _ in docs:
            pass
        v = fn({}, pctx.variables)
        if type(v) is not list:
            raise MongoError(5858203, "error during resolving $documents: an array is expected")
        for d in v:
            if type(d) is not dict:
                raise MongoError(40228, "'newRoot' expression must evaluate to an object")
            yield d

    return run


@stage("$changeStream")
def _change_stream(spec: Any, pctx: PipelineContext) -> Stage:
    raise MongoError(
        40573,
        "$changeStream is not supported by polystack yet",
    )


@stage("$geoNear")
def _geo_near(spec: Any, pctx: PipelineContext) -> Stage:
    raise MongoError(
        291,
        "$geoNear requires a 2d or 2dsphere index, but none were found",
        "NoQueryExecutionPlans",
    )


@stage("$search", "$searchMeta", "$vectorSearch", "$listSearchIndexes")
def _search(spec: Any, pctx: PipelineContext) -> Stage:
    raise MongoError(
        31082,
        "Using Atlas Search Database Commands and the $listSearchIndexes "
        "aggregation stage requires additional configuration.",
        "SearchNotEnabled",
    )


@stage("$collStats")
def _coll_stats(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict):
        raise MongoError(5447000, "$collStats must take a nested object")
    from ..collection import collection_stats

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        for _ in docs:
            pass
        coll = pctx.storage.collection(pctx.db, pctx.coll_name)
        if coll is None:
            raise MongoError(
                26,
                f"Unable to retrieve storageStats in $collStats stage :: caused "
                f"by :: Collection [{pctx.db}.{pctx.coll_name}] not found.",
            )
        out: dict[str, Any] = {
            "ns": f"{pctx.db}.{pctx.coll_name}",
            "host": pctx.server.me if pctx.server else "",
            "localTime": pctx.server.local_time() if pctx.server else None,
        }
        if "latencyStats" in spec:
            out["latencyStats"] = {
                k: {"latency": 0, "ops": 0} for k in ("reads", "writes", "commands", "transactions")
            }
        if "storageStats" in spec:
            stats = collection_stats(coll, int((spec["storageStats"] or {}).get("scale", 1)))
            out["storageStats"] = stats
        if "count" in spec:
            out["count"] = len(coll)
        if "queryExecStats" in spec:
            out["queryExecStats"] = {"collectionScans": {"total": 0, "nonTailable": 0}}
        yield out

    return run


@stage("$indexStats")
def _index_stats(spec: Any, pctx: PipelineContext) -> Stage:
    def run(docs: Iterator[dict]) -> Iterator[dict]:
        for _ in docs:
            pass
        coll = pctx.storage.collection(pctx.db, pctx.coll_name)
        if coll is None:
            return
        host = pctx.server.me if pctx.server else ""
        since = pctx.server.local_time() if pctx.server else None
        from bson.int64 import Int64

        yield {
            "name": "_id_",
            "key": {"_id": 1},
            "host": host,
            "accesses": {"ops": Int64(coll.id_accesses), "since": since},
            "spec": {"v": 2, "key": {"_id": 1}, "name": "_id_"},
        }
        for ix in coll.indexes.values():
            yield {
                "name": ix.name,
                "key": dict(ix.spec.key),
                "host": host,
                "accesses": {"ops": Int64(ix.accesses), "since": since},
                "spec": ix.spec.to_doc(),
            }

    return run


@stage("$currentOp")
def _current_op(spec: Any, pctx: PipelineContext) -> Stage:
    """``{aggregate: 1, pipeline: [{$currentOp: {}}]}`` on admin: the waiting operations."""
    if not isinstance(spec, dict):
        raise MongoError(14, "$currentOp options must be specified in an object")
    if pctx.db != "admin":
        raise MongoError(
            73, "$currentOp must be run against the 'admin' database with {aggregate: 1}"
        )

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        for _ in docs:
            pass
        server = pctx.server
        if server is None:
            return
        for conn_id, sess in list(server.connections.items()):
            info = getattr(sess, "client", None)
            op = getattr(info, "current_op", None)
            if op is not None:
                yield dict(op)
            elif spec.get("idleConnections"):
                yield {
                    "type": "op",
                    "active": False,
                    "connectionId": conn_id,
                    "client": info.remote if info else "",
                }

    return run
