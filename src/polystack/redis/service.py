"""The Redis server: keyspace, clients, persistence, and its place in the runtime."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polystack.redis import persist
from polystack.redis.commands import table  # noqa: F401  (registers every command)
from polystack.redis.session import Client, encode_log_batch
from polystack.redis.store import Keyspace
from polystack.runtime.clock import Clock
from polystack.runtime.log import Journal, RecordLog
from polystack.runtime.server import ListenerSpec, Service

if TYPE_CHECKING:
    from polystack.config import Config
    from polystack.runtime.connection import Peer

log = logging.getLogger(__name__)

REDIS_VERSION = "7.0.15"


class NullPeer:
    """Stands in for a socket when commands run without a client (log replay)."""

    id = 0
    peername = None
    sockname = None
    closed = False

    def write(self, data: bytes) -> None:
        pass

    def write_after(self, log: Any, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


class RedisService(Service):
    name = "redis"

    def __init__(self, config: Config, data_dir: Path, clock: Clock) -> None:
        super().__init__(config, data_dir, clock)
        self.root_config = config
        self.config = config.redis
        self.keyspace = Keyspace(self.config.databases)
        self.clients: dict[int, Client] = {}
        self.journal: Journal | None = None
        self.start_time = clock.time()
        self.lastsave = int(clock.time())
        self.last_bgsave_status = "ok"
        self.rdb_changes_since_last_save = 0
        self.aof_base_size = 0
        self.aof_rewrites = 0
        self.total_commands = 0
        self.unknown_commands = 0
        self.loading = False
        self.shutdown_requested: str | None = None
        self.run_id = _run_id()
        self.extra_config: dict[str, bytes] = {}
        self._cron: Any = None
        self.hz_cycles = 0

    # -- runtime hooks -------------------------------------------------------
    def listeners(self) -> list[ListenerSpec]:
        return [
            ListenerSpec(
                "redis",
                self.config.port,
                self.new_client,
                max_clients=self.config.maxclients,
                reject=b"-ERR max number of clients reached\r\n",
                flag="--redis-port",
            )
        ]

    def new_client(self, peer: Peer) -> Client:
        return Client(self, peer)

    async def start(self) -> None:
        self.recover()
        self._schedule_cron()

    async def stop(self) -> None:
        if self._cron is not None:
            self._cron.cancel()
            self._cron = None
        if self.journal is not None:
            self.journal.close()

    def status(self) -> dict:
        return {"keys": sum(len(db) for db in self.keyspace.dbs), "clients": len(self.clients)}

    # -- persistence ---------------------------------------------------------
    def recover(self) -> None:
        if not self.config.appendonly:
            return
        self.journal = Journal(self.data_dir, fsync=self.config.appendfsync, name="appendonly")
        self.loading = True
        started = time.perf_counter()
        snap, records = self.journal.open()
        keys = persist.load_keyspace(self.keyspace, snap) if snap is not None else 0
        client = Client(self, NullPeer())  # type: ignore[arg-type]
        self.clients.pop(client.id, None)
        commands = persist.replay(client, records)
        self.keyspace.dirty = 0
        self.loading = False
        self.aof_base_size = self.journal.log.size
        if snap is not None or commands:
            log.info(
                "redis: loaded %d keys from the snapshot and replayed %d commands in %.3f s",
                keys,
                commands,
                time.perf_counter() - started,
            )

    def log_commands(self, entries: list[tuple[int, list[bytes]]]) -> RecordLog | None:
        """Append a batch of write commands; returns the log when replies must wait for its fsync."""
        self.rdb_changes_since_last_save += len(entries)
        journal = self.journal
        if journal is None:
            return None
        journal.append(encode_log_batch(entries))
        return journal.log if journal.policy == "always" else None

    def save(self) -> None:
        """Write a snapshot of every database and start a fresh log (SAVE, BGSAVE, BGREWRITEAOF)."""
        payload = persist.dump_keyspace(self.keyspace)
        if self.journal is not None:
            self.journal.compact(payload)
            self.aof_base_size = self.journal.log.size
        self.lastsave = int(self.clock.time())
        self.rdb_changes_since_last_save = 0
        self.keyspace.dirty = 0
        self.aof_rewrites += 1

    def flushall(self) -> None:
        """Empty every database (used by the test fixtures; logged like FLUSHALL)."""
        self.keyspace.flushall()
        if self.journal is not None:
            self.journal.append(encode_log_batch([(0, [b"FLUSHALL"])]))

    # -- periodic work -------------------------------------------------------
    def _schedule_cron(self) -> None:
        self._cron = self.clock.call_later(1.0 / self.config.hz, self._server_cron)

    def _server_cron(self) -> None:
        self.hz_cycles += 1
        try:
            self.keyspace.active_expire_cycle(self.clock.time_ms(), budget_s=0.25 / self.config.hz)
            self._maybe_rewrite()
            if self.config.timeout:
                self._close_idle_clients()
        except Exception:
            log.exception("redis: periodic task failed")
        self._schedule_cron()

    def _maybe_rewrite(self) -> None:
        j = self.journal
        if j is None or not self.config.auto_aof_rewrite_percentage:
            return
        size = j.log.size
        if size < self.config.auto_aof_rewrite_min_size:
            return
        base = self.aof_base_size or 1
        if (size - base) * 100 // base >= self.config.auto_aof_rewrite_percentage:
            log.info("redis: log grew to %d bytes; rewriting it behind a snapshot", size)
            self.save()

    def _close_idle_clients(self) -> None:
        now = self.clock.time()
        for c in list(self.clients.values()):
            if now - c.last_interaction > self.config.timeout and not c.slow & 4:
                c.peer.close()

    def client_gone(self, client: Client) -> None:
        pass


def _run_id() -> str:
    import secrets

    return secrets.token_hex(20)
