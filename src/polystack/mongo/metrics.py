"""MongoDB's Prometheus families, computed at scrape time from the server's own counters:
operations by command, documents returned/inserted/updated/deleted, open cursors,
connections, and collection and index sizes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from polystack.runtime.metrics import CounterMetricFamily, GaugeMetricFamily, register

if TYPE_CHECKING:
    from prometheus_client.core import Metric


def register_server(registry: Any, server: Any) -> None:
    register(registry, lambda: collect(server))


def collect(server: Any) -> Iterable[Metric]:
    cmds = CounterMetricFamily("mongo_commands", "Commands run, by command.", labels=["command"])
    for name, n in sorted(server.command_counts.items()):
        cmds.add_metric([name], n)
    yield cmds
    failed = CounterMetricFamily(
        "mongo_command_failures",
        "Commands that answered with an error, by command.",
        labels=["command"],
    )
    for name, n in sorted(server.command_failures.items()):
        failed.add_metric([name], n)
    yield failed
    ops = CounterMetricFamily(
        "mongo_opcounters", "Operations by type, as serverStatus opcounters.", labels=["type"]
    )
    for name, n in sorted(server.opcounters.items()):
        ops.add_metric([name], n)
    yield ops
    docs = CounterMetricFamily(
        "mongo_documents", "Documents returned, inserted, updated and deleted.", labels=["op"]
    )
    for name, n in sorted(server.storage.stats.items()):
        docs.add_metric([name], n)
    yield docs
    ttl = CounterMetricFamily("mongo_ttl_deleted_documents", "Documents the TTL monitor deleted.")
    ttl.add_metric([], server.storage.ttl_deleted)
    yield ttl
    yield GaugeMetricFamily(
        "mongo_open_cursors", "Open server-side cursors.", value=len(server.cursors.cursors)
    )
    yield GaugeMetricFamily(
        "mongo_connections", "Open client connections.", value=len(server.connections)
    )
    count = GaugeMetricFamily(
        "mongo_collection_documents", "Documents per collection.", labels=["db", "collection"]
    )
    size = GaugeMetricFamily(
        "mongo_collection_size_bytes",
        "BSON bytes stored per collection.",
        labels=["db", "collection"],
    )
    entries = GaugeMetricFamily(
        "mongo_index_entries", "Entries per index.", labels=["db", "collection", "index"]
    )
    index_bytes = GaugeMetricFamily(
        "mongo_index_size_bytes",
        "Bytes of index keys per index.",
        labels=["db", "collection", "index"],
    )
    for coll in server.storage.all_collections():
        labels = [coll.db_name, coll.name]
        count.add_metric(labels, len(coll))
        size.add_metric(labels, coll.data_size)
        entries.add_metric(labels + ["_id_"], len(coll.records))
        index_bytes.add_metric(labels + ["_id_"], len(coll.records) * 16)
        for ix in coll.indexes.values():
            entries.add_metric(labels + [ix.name], len(ix.entries))
            index_bytes.add_metric(labels + [ix.name], ix.size_bytes())
    yield count
    yield size
    yield entries
    yield index_bytes
    yield GaugeMetricFamily(
        "mongo_oplog_entries",
        "Oplog entries in the in-memory window.",
        value=len(server.storage.oplog.entries),
    )
