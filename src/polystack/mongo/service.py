"""The MongoDB service: its listener, recovery, TTL and cursor-timeout timers, metrics."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polystack.runtime import metrics
from polystack.runtime.clock import Clock
from polystack.runtime.log import Journal
from polystack.runtime.server import ListenerSpec, Service

from . import persist
from .mongod import MongoServer, Settings
from .session import MongoSession
from .ttl import expire_ttl

if TYPE_CHECKING:
    from polystack.config import Config
    from polystack.runtime.connection import Peer

log = logging.getLogger(__name__)

COMPACT_MIN_BYTES = 64 * 1024 * 1024


class MongoService(Service):
    name = "mongo"

    def __init__(self, config: Config, data_dir: Path, clock: Clock) -> None:
        super().__init__(config, data_dir, clock)
        mc = config.mongo
        self.port = mc.port
        fsync = getattr(mc, "fsync", "everysec")
        self.settings = Settings(
            host=config.bind, port=mc.port, data_dir=str(data_dir), fsync=fsync
        )
        self.server = MongoServer(self.settings, clock)
        self.journal = Journal(data_dir, fsync, name="mongo")
        self._ttl: Any = None
        self._cursors: Any = None
        self._compact: Any = None
        self._snapshot_size = 0

    # -- runtime hooks -------------------------------------------------------------------------
    def listeners(self) -> list[ListenerSpec]:
        return [
            ListenerSpec(
                "mongo", self.port, self.new_connection, max_clients=1_000_000, flag="--mongo-port"
            )
        ]

    def new_connection(self, peer: Peer) -> MongoSession:
        return MongoSession(self.server, peer)

    async def start(self) -> None:
        self.settings.port = self.bound_ports.get("mongo", self.port)
        snap, records = self.journal.open()
        storage = self.server.storage
        n = persist.load(storage, snap, records)
        self._snapshot_size = len(snap) if snap else 0
        storage.log = persist.StoreLog(self.journal)
        storage.log.records_since_snapshot = n
        self._ttl = self.clock.call_later(self._ttl_interval(), self._on_ttl)
        self._cursors = self.clock.call_later(60.0, self._on_cursor_timeout)
        self._compact = self.clock.call_later(10.0, self._on_compact)
        metrics.register(self._collect)
        log.info(
            "MongoDB serving on port %s (replica set %s, %d collections, %d records replayed)",
            self.settings.port,
            self.settings.set_name,
            len(storage.all_collections()),
            n,
        )

    async def stop(self) -> None:
        metrics.unregister(self._collect)
        for t in (self._ttl, self._cursors, self._compact):
            if t is not None:
                t.cancel()
        self._ttl = self._cursors = self._compact = None
        server = self.server
        server.shutting_down = True
        for sess in list(server.connections.values()):
            sess.interrupt(11600, "interrupted at shutdown")
        try:
            log_ = server.storage.log
            if log_ is not None and log_.records_since_snapshot and log_.size > COMPACT_MIN_BYTES:
                log_.compact(server.storage)
        finally:
            self.journal.close()

    def status(self) -> dict:
        storage = self.server.storage
        return {
            "databases": len(storage.databases),
            "collections": len(storage.all_collections()),
            "documents": sum(len(c) for c in storage.all_collections()),
            "connections": len(self.server.connections),
            "cursors": len(self.server.cursors.cursors),
        }

    # -- timers --------------------------------------------------------------------------------
    def _ttl_interval(self) -> float:
        return float(self.server.parameters.get("ttlMonitorSleepSecs", 60))

    def _on_ttl(self) -> None:
        self._ttl = self.clock.call_later(self._ttl_interval(), self._on_ttl)
        if not self.server.parameters.get("ttlMonitorEnabled", True):
            return
        try:
            expire_ttl(self.server.storage)
        except Exception:
            log.exception("TTL monitor pass failed")

    def _on_cursor_timeout(self) -> None:
        self._cursors = self.clock.call_later(60.0, self._on_cursor_timeout)
        self.server.cursors.expire(self.settings.cursor_timeout_ms)

    def _on_compact(self) -> None:
        self._compact = self.clock.call_later(10.0, self._on_compact)
        log_ = self.server.storage.log
        if log_ is None:
            return
        if log_.size > max(COMPACT_MIN_BYTES, 2 * self._snapshot_size):
            try:
                log_.compact(self.server.storage)
                self._snapshot_size = self.journal.snapshot_path.stat().st_size
            except OSError:
                log.exception("mongo: snapshot failed; the log keeps growing")

    # -- metrics -------------------------------------------------------------------------------
    def _collect(self) -> list[tuple[str, str, str, dict[str, str], float]]:
        from .metrics import collect

        return collect(self.server)
