"""The Redis server: keyspace, clients, persistence, and its place in the runtime."""

from __future__ import annotations

import functools
import logging
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polystack.redis import notify, persist
from polystack.redis.commands.table import COMMANDS
from polystack.redis.flags import SLOW_PUBSUB
from polystack.redis.pubsub import PubSub
from polystack.redis.session import Client, encode_log_batch
from polystack.redis.store import Keyspace
from polystack.redis.watch import Watches
from polystack.runtime.clock import Clock
from polystack.runtime.log import Journal, RecordLog
from polystack.runtime.server import ListenerSpec, Service

if TYPE_CHECKING:
    from polystack.config import Config
    from polystack.runtime.connection import Peer

log = logging.getLogger(__name__)


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
        # Server state the connection/server/introspection commands keep (CONFIG, INFO, DEBUG).
        self.save_points: list[tuple[int, int]] = []
        self.notify_keyspace_events = 0
        self.lfu_log_factor = 10
        self.lfu_decay_time = 1
        self.active_expire = True
        self.closed_bytes_in = 0
        self.closed_bytes_out = 0
        self.connections_at_reset = 0
        self.expired_at_reset = 0
        self.error_counts: dict[str, int] = {}
        self.ops_samples: list[float] = []
        self._ops_last: tuple[float, int] | None = None
        self._sampler: Any = None
        self._save_timer: Any = None
        self.last_bgsave_time = -1
        self.last_save_duration = -1
        # Pub/Sub (keyspace notifications are published there), WATCH, and the slow-path
        # bits every client carries while a server-wide condition holds (flags.py).
        self.pubsub = PubSub()
        self.watches = Watches(self)
        self.slow_all = 0
        self.slow_reasons: set[str] = set()
        self.scripting: Any = None  # the EVAL script cache, made on first use
        self.busy_script: Any = None  # the script running past busy-reply-threshold
        self.keyspace.event_sink = notify.publisher(self.pubsub, self.keyspace)
        self.keyspace.set_expired_listener(functools.partial(notify.key_expired, self.keyspace))

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
        self._schedule_stats_sampler()

    async def stop(self) -> None:
        if self._cron is not None:
            self._cron.cancel()
            self._cron = None
        if self._sampler is not None:
            self._sampler.cancel()
            self._sampler = None
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
            # DEBUG SET-ACTIVE-EXPIRE 0 turns this off; a busy script owns the data meanwhile
            if self.active_expire and self.busy_script is None:
                self.keyspace.active_expire_cycle(
                    self.clock.time_ms(), budget_s=0.25 / self.config.hz
                )
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
            if now - c.last_interaction > self.config.timeout and not c.slow & SLOW_PUBSUB:
                c.peer.close()

    def client_gone(self, client: Client) -> None:
        self.closed_bytes_in += getattr(client.peer, "bytes_in", 0)
        self.closed_bytes_out += getattr(client.peer, "bytes_out", 0)

    # -- live configuration (CONFIG SET) ----------------------------------------
    def set_appendfsync(self, policy: str) -> None:
        """Switch the log's fsync policy now (CONFIG SET appendfsync)."""
        self.config.appendfsync = policy
        journal = self.journal
        if journal is None:
            return
        journal.policy = policy
        rlog = journal.log
        if rlog.policy == policy:
            return
        rlog.flush(sync=True)  # settle what was written under the old policy
        rlog.policy = policy
        timer = getattr(rlog, "_everysec", None)
        if policy != "everysec" and timer is not None:
            timer.cancel()
            rlog._everysec = None
        elif policy == "everysec" and timer is None and getattr(rlog, "_loop", None) is not None:
            rlog._everysec = rlog._loop.call_later(1.0, rlog._everysec_tick)

    def set_appendonly(self, on: bool) -> None:
        """Start logging (writing a snapshot of the current data first) or stop it."""
        if on and self.journal is None:
            journal = Journal(self.data_dir, fsync=self.config.appendfsync, name="appendonly")
            journal.open()  # whatever an older run left is superseded by the snapshot below
            self.journal = journal
            self.config.appendonly = True
            self.save()
        elif not on and self.journal is not None:
            self.journal.close()
            self.journal = None
        self.config.appendonly = on

    def command_totals(self) -> tuple[int, int, int]:
        """(calls, failed, rejected) over every command and subcommand."""
        calls = failed = rejected = 0
        for cmd in COMMANDS.values():
            calls += cmd.calls
            failed += cmd.failed_calls
            rejected += cmd.rejected_calls
            for sub in cmd.subcommands.values():
                calls += sub.calls
                failed += sub.failed_calls
                rejected += sub.rejected_calls
        return calls, failed, rejected

    def reset_stats(self) -> None:
        """CONFIG RESETSTAT: zero the counters INFO reports."""
        for cmd in COMMANDS.values():
            for c in (cmd, *cmd.subcommands.values()):
                c.calls = c.failed_calls = c.rejected_calls = 0
        ks = self.keyspace
        ks.keyspace_hits = ks.keyspace_misses = 0
        for db in ks.dbs:
            db.expired_keys = 0
        self.unknown_commands = 0
        self.total_commands = 0
        self.error_counts.clear()
        self.connections_at_reset = self.total_connections()
        self.closed_bytes_in = self.closed_bytes_out = 0
        for c in self.clients.values():
            peer = c.peer
            if hasattr(peer, "bytes_in"):
                peer.bytes_in = peer.bytes_out = 0
        self.ops_samples.clear()
        self._ops_last = None

    def total_connections(self) -> int:
        for c in self.clients.values():
            listener = getattr(c.peer, "listener", None)
            if listener is not None:
                return listener.total_connections
        return self.connections_at_reset

    # -- instantaneous_ops_per_sec: sampled 10 times a second, averaged over 16 samples -----
    def _schedule_stats_sampler(self) -> None:
        self._sampler = self.clock.call_later(0.1, self._sample_stats)

    def _sample_stats(self) -> None:
        now = self.clock.time()
        calls = self.command_totals()[0]
        last = self._ops_last
        if last is not None and now > last[0]:
            self.ops_samples.append(max(0, calls - last[1]) / (now - last[0]))
            del self.ops_samples[:-16]
        self._ops_last = (now, calls)
        self._check_save_points(now)
        self._schedule_stats_sampler()

    def instantaneous_ops(self) -> int:
        s = self.ops_samples
        return int(sum(s) / len(s)) if s else 0

    def _check_save_points(self, now: float) -> None:
        """``save <seconds> <changes>``: snapshot when enough changes are that old."""
        if not self.save_points:
            return
        changes = self.rdb_changes_since_last_save
        elapsed = now - self.lastsave
        for seconds, needed in self.save_points:
            if changes >= needed and elapsed >= seconds:
                log.info("redis: %d changes in %d seconds; saving", changes, int(elapsed))
                try:
                    self.save()
                    self.last_bgsave_status = "ok"
                except OSError:
                    log.exception("redis: background save failed")
                    self.last_bgsave_status = "err"
                return


def _run_id() -> str:
    return secrets.token_hex(20)
