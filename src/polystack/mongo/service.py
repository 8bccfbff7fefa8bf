"""The MongoDB service: its listener, recovery, TTL/cursor/snapshot timers, metrics."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from polystack.runtime.journal import Journal
from polystack.runtime.service import ListenerSpec, ServerContext, Service

from . import persist
from .metrics import register_server
from .mongod import MongoServer, Settings
from .session import MongoSession
from .ttl import expire_ttl

if TYPE_CHECKING:
    from polystack.runtime.connection import Peer
    from polystack.runtime.log import RecordLog

    from .spec import MongoConfig

log = logging.getLogger(__name__)


class MongoService(Service):
    name = "mongo"

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        mc: MongoConfig = ctx.config
        self.port = mc.port
        self.settings = Settings(
            host=ctx.bind,
            port=mc.port,
            data_dir=str(ctx.data_dir),
            fsync=mc.fsync,
            set_name=mc.replica_set,
        )
        self.server = MongoServer(self.settings, self.clock, oplog_window=mc.oplog_window)
        self.journal = Journal(ctx.data_dir, mc.fsync, "mongo", group=ctx.logs)
        self._ttl: Any = None
        self._cursors: Any = None
        self._compact: Any = None
        ctx.logs.subscribe_failures(self._on_log_failure)
        register_server(ctx.registry, self.server)

    # -- runtime hooks -------------------------------------------------------------------------
    def listeners(self) -> list[ListenerSpec]:
        return [
            ListenerSpec(
                "mongo",
                self.port,
                self.new_connection,
                max_clients=self.ctx.config.max_clients,
                flag="--mongo-port",
            )
        ]

    def new_connection(self, peer: Peer) -> MongoSession:
        limit = self.ctx.config.client_output_limit
        if limit:
            peer.set_output_limits(limit)
        return MongoSession(self.server, peer)

    async def recover(self) -> None:
        chunks, records = self.journal.open()
        storage = self.server.storage
        n = persist.load(storage, chunks, records)
        storage.log = persist.StoreLog(self.journal)
        storage.log.records_since_snapshot = n
        log.info(
            "MongoDB recovered %d collections, %d documents (%d log records replayed)",
            len(storage.all_collections()),
            sum(len(c) for c in storage.all_collections()),
            n,
        )

    def start(self) -> None:
        self.settings.port = self.bound_ports.get("mongo", self.port)
        self._ttl = self.clock.call_later(self._ttl_interval(), self._on_ttl)
        self._cursors = self.clock.call_later(60.0, self._on_cursor_timeout)
        self._compact = self.clock.call_later(10.0, self._on_compact)
        log.info(
            "MongoDB serving on port %s (replica set %s)",
            self.settings.port,
            self.settings.set_name,
        )

    def shutdown(self, reason: str) -> None:
        for t in (self._ttl, self._cursors, self._compact):
            if t is not None:
                t.cancel()
        self._ttl = self._cursors = self._compact = None
        self.server.shutting_down = True

    async def stop(self) -> None:
        self.shutdown("stop")
        log_ = self.server.storage.log
        if (
            log_ is not None
            and log_.records_since_snapshot
            and not self.server.log_error
            and log_.size > self.ctx.config.compact_min_bytes
        ):
            try:
                log_.compact(self.server.storage)
            except OSError:
                log.exception("mongo: final snapshot failed; the log keeps every write")

    def status(self) -> dict:
        storage = self.server.storage
        return {
            "databases": len(storage.databases),
            "collections": len(storage.all_collections()),
            "documents": sum(len(c) for c in storage.all_collections()),
            "connections": len(self.server.connections),
            "cursors": len(self.server.cursors.cursors),
        }

    def health(self) -> list[str]:
        if self.server.log_error:
            return [f"writes fail: the log cannot be written ({self.server.log_error})"]
        return []

    def reset_for_test(self) -> None:
        """Drop every database (the pytest fixture calls this before each test)."""
        storage = self.server.storage
        for name in list(storage.databases):
            storage.drop_database(name)
        self.server.cursors.cursors.clear()

    # -- a failing disk --------------------------------------------------------------------------
    def _on_log_failure(self, rlog: RecordLog, error: OSError | None) -> None:
        """Writes fail with MongoDB's error while the log cannot be written; replies already
        waiting for their records keep waiting (nothing unwritten is acknowledged)."""
        if error is not None:
            self.server.log_error = str(error)
            log.error("mongo: the log %s cannot be written: %s; writes fail", rlog.path, error)
        elif not self.ctx.logs.failed:
            log.warning("mongo: the log can be written again")
            self.server.log_error = ""

    # -- timers --------------------------------------------------------------------------------
    def _ttl_interval(self) -> float:
        return float(self.server.parameters.get("ttlMonitorSleepSecs", 60))

    def _on_ttl(self) -> None:
        self._ttl = self.clock.call_later(self._ttl_interval(), self._on_ttl)
        if not self.server.parameters.get("ttlMonitorEnabled", True) or self.server.log_error:
            return
        try:
            expire_ttl(self.server.storage)
        except Exception:
            log.exception("TTL monitor pass failed")

    def _on_cursor_timeout(self) -> None:
        self._cursors = self.clock.call_later(60.0, self._on_cursor_timeout)
        self.server.cursors.expire(self.settings.cursor_timeout_ms)
        self.server.expire_sessions()

    def _on_compact(self) -> None:
        self._compact = self.clock.call_later(10.0, self._on_compact)
        log_ = self.server.storage.log
        if log_ is None or self.journal.compacting or self.server.log_error:
            return
        if log_.size > max(self.ctx.config.compact_min_bytes, 2 * self.journal.snapshot_size):
            try:
                log_.compact_in_background(self.server.storage)
            except (OSError, RuntimeError):
                log.exception("mongo: snapshot failed; the log keeps growing")
