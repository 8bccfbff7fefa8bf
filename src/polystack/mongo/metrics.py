"""MongoDB metrics for /metrics: commands, documents, cursors, collection and index sizes."""

from __future__ import annotations

from typing import Any

Sample = tuple[str, str, str, dict[str, str], float]


def collect(server: Any) -> list[Sample]:
    out: list[Sample] = []
    for name, n in sorted(server.command_counts.items()):
        out.append(
            (
                "polystack_mongo_commands_total",
                "counter",
                "Commands run, by command name",
                {"command": name},
                n,
            )
        )
    for name, n in sorted(server.command_failures.items()):
        out.append(
            (
                "polystack_mongo_command_failures_total",
                "counter",
                "Commands that failed, by command name",
                {"command": name},
                n,
            )
        )
    for op, n in sorted(server.opcounters.items()):
        out.append(
            (
                "polystack_mongo_opcounters_total",
                "counter",
                "Operations by type (serverStatus opcounters)",
                {"type": op},
                n,
            )
        )
    for kind, n in sorted(server.storage.stats.items()):
        out.append(
            (
                "polystack_mongo_documents_total",
                "counter",
                "Documents returned, inserted, updated and deleted",
                {"op": kind},
                n,
            )
        )
    out.append(
        (
            "polystack_mongo_open_cursors",
            "gauge",
            "Open server-side cursors",
            {},
            len(server.cursors.cursors),
        )
    )
    out.append(
        (
            "polystack_mongo_connections",
            "gauge",
            "Open client connections",
            {},
            len(server.connections),
        )
    )
    for coll in server.storage.all_collections():
        labels = {"db": coll.db_name, "collection": coll.name}
        out.append(
            (
                "polystack_mongo_collection_documents",
                "gauge",
                "Documents per collection",
                labels,
                len(coll),
            )
        )
        out.append(
            (
                "polystack_mongo_collection_size_bytes",
                "gauge",
                "BSON bytes stored per collection",
                labels,
                coll.data_size,
            )
        )
        out.append(
            (
                "polystack_mongo_index_entries",
                "gauge",
                "Entries per index",
                {**labels, "index": "_id_"},
                len(coll.records),
            )
        )
        for ix in coll.indexes.values():
            out.append(
                (
                    "polystack_mongo_index_entries",
                    "gauge",
                    "Entries per index",
                    {**labels, "index": ix.name},
                    len(ix.entries),
                )
            )
    return out
