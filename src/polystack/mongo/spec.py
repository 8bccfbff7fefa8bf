"""MongoDB's declaration for the runtime: its config section, port, flags and fixture."""

from __future__ import annotations

from dataclasses import dataclass

from polystack.runtime.spec import Option, Port, SystemSpec, check_choice, check_range


@dataclass(slots=True)
class MongoConfig:
    port: int = 27017
    # When the log fsyncs on its own; w:1 writes are acknowledged once written to the OS (as
    # mongod acknowledges before its journal commit), j:true and w:"majority" after the fsync.
    fsync: str = "everysec"
    replica_set: str = "rs0"
    # Recent oplog entries kept in memory (the log on disk holds every write).
    oplog_window: int = 10_000
    # A snapshot replaces the log once the log is larger than this and twice the snapshot.
    compact_min_bytes: int = 64 * 1024 * 1024
    max_clients: int = 1_000_000
    # Pending output after which a client that does not read is disconnected (0: no limit).
    client_output_limit: int = 256 * 1024 * 1024

    def validate(self) -> None:
        check_choice("mongo.fsync", self.fsync, ("always", "everysec", "no"))
        check_range("mongo.oplog_window", self.oplog_window, 1, 1 << 30)
        check_range("mongo.compact_min_bytes", self.compact_min_bytes, 0, 1 << 50)
        check_range("mongo.max_clients", self.max_clients, 1, 1 << 30)
        check_range("mongo.client_output_limit", self.client_output_limit, 0, 1 << 40)
        if not self.replica_set or "/" in self.replica_set:
            raise ValueError(f"mongo.replica_set: not a replica set name: {self.replica_set!r}")


SPEC = SystemSpec(
    name="mongo",
    title="MongoDB",
    config=MongoConfig,
    service="polystack.mongo.service:MongoService",
    ports=(Port("mongo", "port", 27017, "mongodb"),),
    options=(
        Option(
            "--mongo-fsync",
            "fsync",
            "MongoDB log fsync policy (j:true writes always wait for their fsync).",
            choices=("always", "everysec", "no"),
        ),
    ),
    fixture="polystack_mongo_url",
    description="MongoDB wire protocol (OP_MSG, BSON) document database",
)
