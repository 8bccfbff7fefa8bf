"""The Redis server: keyspace, clients, persistence, and its place in the runtime."""

from __future__ import annotations

import functools
import logging
import os
import secrets
from typing import TYPE_CHECKING, Any

from polystack.redis import conf, notify, persist
from polystack.redis import metrics as redis_metrics
from polystack.redis.commands import config as config_params
from polystack.redis.commands.acl import build_acl, load_users_at_startup
from polystack.redis.commands.functions import functions_of
from polystack.redis.commands.table import server_table
from polystack.redis.flags import SLOW_MISCONF, SLOW_PUBSUB
from polystack.redis.limits import (
    OutputLimit,
    format_output_limits,
    parse_output_limits,
    parse_save_points,
)
from polystack.redis.pubsub import PubSub
from polystack.redis.rdbfile import RDBLoadError, SaveInfo
from polystack.redis.rdbsave import RDBSaver
from polystack.redis.session import Client, encode_log_batch
from polystack.redis.store import Keyspace
from polystack.redis.watch import Watches
from polystack.runtime.journal import Journal
from polystack.runtime.service import ListenerSpec, ServerContext, Service

if TYPE_CHECKING:
    from polystack.runtime.connection import Peer
    from polystack.runtime.log import RecordLog

log = logging.getLogger(__name__)


class NullPeer:
    """Stands in for a socket when commands run without a client (log replay)."""

    id = 0
    peername = None
    sockname = None
    closed = False
    pending_output = 0

    def write(self, data: bytes) -> None:
        pass

    def write_stateless(self, data: bytes) -> None:
        pass

    def write_after(self, log: Any, data: bytes) -> None:
        pass

    def output_room(self) -> int:
        return 1 << 62

    def output_full(self, extra: int = 0) -> bool:
        return False

    def set_output_limits(self, hard: int, soft: int = 0, soft_seconds: float = 0) -> None:
        pass

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


class RedisService(Service):
    name = "redis"

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        self.bind = ctx.bind
        # redis.conf (--redis-config): read before anything uses the section's values
        self.config_file: str | None = None
        conf_rest: list[conf.Directive] = []
        if self.config.redis_config:
            self.config_file = os.path.abspath(self.config.redis_config)
            conf_rest = conf.apply(self.config, conf.read(self.config_file))
            self.config.validate()
        self.keyspace = Keyspace(self.config.databases)
        # this server's copy of the command table: its counters are not shared with other servers
        self.commands, self.dispatch = server_table()
        self.clients: dict[int, Client] = {}
        self.journal: Journal | None = None
        self.start_time = self.clock.time()
        self.rdb_changes_since_last_save = 0
        self.rdb = RDBSaver(self)  # dump.rdb: SAVE, BGSAVE, save points, start-up load
        self.loaded_save_info: SaveInfo | None = None
        self.aof_last_bgrewrite_status = "ok"
        self.shutdown_save: bool | None = None  # SHUTDOWN SAVE/NOSAVE decided it already
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
        self.save_points: list[tuple[int, int]] = parse_save_points(self.config.save)
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
        self.last_save_duration = -1
        # Pub/Sub (keyspace notifications are published there), WATCH, and the slow-path
        # bits every client carries while a server-wide condition holds (flags.py).
        self.pubsub = PubSub()
        self.watches = Watches(self)
        self.slow_all = 0
        self.slow_reasons: set[str] = set()
        self.scripting: Any = None  # the EVAL script cache, made on first use
        self.functions: Any = None  # FUNCTION libraries, made on first use
        self.acl = build_acl(self)  # users, their rules and the ACL log
        self.acl_conf_users: list = []  # redis.conf's ``user`` lines, loaded after the rest
        self.lua_rand: Any = None  # math.random's state, shared by scripts and functions
        self.busy_script: Any = None  # the script running past busy-reply-threshold
        self.keyspace.event_sink = notify.publisher(self.pubsub, self.keyspace)
        self.keyspace.set_expired_listener(functools.partial(notify.key_expired, self.keyspace))
        # -MISCONF while the log cannot be written (aof_last_write_status:err)
        self.aof_write_error: str = ""
        self.output_limits: dict[str, OutputLimit] = parse_output_limits(
            self.config.client_output_buffer_limit
        )
        ctx.logs.subscribe_failures(self._on_log_failure)
        redis_metrics.register_service(self, self.commands)
        if self.config_file is not None:
            self._apply_conf_params(conf_rest)
            try:
                load_users_at_startup(self)
            except ValueError as e:
                raise conf.ConfigFileError(f"{self.config_file}: {e}") from None

    def _apply_conf_params(self, rest: list[conf.Directive]) -> None:
        """The redis.conf directives that are CONFIG SET parameters; the ones polystack does
        not apply are named in one warning line."""
        unsupported: list[str] = []
        for d in rest:
            args = [a.encode("utf-8", "surrogateescape") for a in d.args]
            try:
                live = config_params.load_directive(self, d.name, args)
            except config_params.InvalidValue as e:
                raise conf.ConfigFileError(
                    f"{d.path}:{d.lineno}: >>> '{d.text.strip()}': {e}"
                ) from None
            if not live and d.name not in unsupported:
                unsupported.append(d.name)
        if unsupported:
            log.warning(
                "%s: directives polystack does not support, ignored: %s",
                self.config_file,
                ", ".join(unsupported),
            )

    def request_server_stop(self) -> None:
        """SHUTDOWN: ask the whole process to shut down gracefully."""
        self.ctx.request_stop("SHUTDOWN")

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
        client = Client(self, peer)
        if self.aof_write_error:
            client.slow |= SLOW_MISCONF
        self.apply_output_limits(client)
        return client

    async def recover(self) -> None:
        self.recover_data()

    def start(self) -> None:
        self._schedule_cron()
        self._schedule_stats_sampler()

    def shutdown(self, reason: str) -> None:
        for timer in (self._cron, self._sampler):
            if timer is not None:
                timer.cancel()
        self._cron = self._sampler = None

    async def stop(self) -> None:
        self.shutdown("stop")
        self.rdb.kill_child()
        if self.shutdown_save is None and self.save_points:
            # prepareForShutdown: with save points configured, a final synchronous SAVE
            try:
                self.rdb.save()
            except OSError as e:
                log.warning("Error trying to save the DB, can't exit: %s", e)
        if self.journal is not None:
            self.journal.close()

    def status(self) -> dict:
        return {"keys": sum(len(db) for db in self.keyspace.dbs), "clients": len(self.clients)}

    def reset_for_test(self) -> None:
        """The pytest fixture's reset: an empty dataset."""
        self.flushall()

    # -- persistence ---------------------------------------------------------
    def _open_journal(self) -> Journal:
        return self.ctx.logs.journal(
            self.data_dir, self.config.appendfsync, "appendonly", barrier=True
        )

    def recover_data(self) -> None:
        """Read the dataset back: the journal (snapshot + log) when ``appendonly`` is on, else
        dump.rdb as Redis loads it.  A brand-new journal next to a dump.rdb (a user bringing a
        snapshot from a real Redis) starts from that file."""
        self.loading = True
        try:
            if not self.config.appendonly:
                self._load_rdb()
                return
            self.journal = self._open_journal()
            started = self.clock.monotonic()
            snap, records = self.journal.open()
            keys = (
                persist.load_keyspace(self.keyspace, snap, self._snapshot_header)
                if snap is not None
                else 0
            )
            client = Client(self, NullPeer())  # type: ignore[arg-type]
            self.clients.pop(client.id, None)
            commands = persist.replay(client, records)
            self.keyspace.dirty = 0
            self.aof_base_size = self.journal.log.size
            if snap is not None or commands:
                log.info(
                    "redis: loaded %d keys from the snapshot and replayed %d commands in %.3f s",
                    keys,
                    commands,
                    self.clock.monotonic() - started,
                )
            elif self._load_rdb():
                self.save()  # the journal starts from the loaded dataset
        finally:
            self.loading = False

    def function_codes(self) -> list[bytes]:
        """Each function library's code (what a snapshot or dump.rdb keeps)."""
        return self.functions.codes() if self.functions is not None else []

    def load_function_codes(self, codes: list[bytes]) -> None:
        if codes:
            functions_of(self).load_codes(codes)

    def _snapshot_header(self, header: dict) -> None:
        self.load_function_codes(header.get("functions", []))

    def _load_rdb(self) -> bool:
        try:
            result = self.rdb.load(self.keyspace)
        except RDBLoadError as e:
            raise RDBLoadError(f"{self.rdb.path()}: {e}") from None
        if result is None:
            return False
        self.loaded_save_info = result.save_info
        return True

    def rdb_dir(self) -> str:
        """Where dump.rdb lives: ``dir``, else the Redis data directory."""
        return os.path.abspath(self.config.dir or self.data_dir)

    def save_info(self) -> SaveInfo | None:
        """rdbPopulateSaveInfo: the replication state an RDB carries (none yet)."""
        return None

    def log_commands(self, entries: list[tuple[int, list[bytes]]]) -> None:
        """Append a batch of write commands.  Replies need no special handling: under
        ``appendfsync always`` the log is a barrier (every reply waits for its fsync), and
        otherwise every reply goes out after the record's write()."""
        self.rdb_changes_since_last_save += len(entries)
        journal = self.journal
        if journal is not None:
            journal.append(encode_log_batch(entries))

    def save(self, background: bool = False) -> None:
        """Write a snapshot of every database and start a fresh log (SAVE; BGSAVE and
        BGREWRITEAOF with ``background``: the file writes and fsyncs then run off the loop)."""
        chunks = persist.dump_keyspace(self.keyspace, {"functions": self.function_codes()})
        journal = self.journal
        if journal is not None:
            if background:
                if journal.compacting:
                    return
                fut = journal.compact_in_background(chunks)
                fut.add_done_callback(self._background_saved)
            else:
                journal.compact(chunks)
            self.aof_base_size = journal.log.size
        self.aof_rewrites += 1

    def _background_saved(self, fut: Any) -> None:
        exc = fut.exception()
        self.aof_last_bgrewrite_status = "ok" if exc is None else "err"
        if exc is not None:
            log.error("redis: background AOF rewrite failed: %s", exc)

    def flushall(self) -> None:
        """Empty every database (used by the test fixtures; logged like FLUSHALL)."""
        self.keyspace.flushall()
        if self.journal is not None:
            self.journal.append(encode_log_batch([(0, [b"FLUSHALL"])]))

    def _on_log_failure(self, rlog: RecordLog, error: OSError | None) -> None:
        """A log write or fsync failed (or works again): refuse writes with -MISCONF
        meanwhile, as Redis does after a failed AOF write."""
        if error is not None:
            self.aof_write_error = os.strerror(error.errno) if error.errno else str(error)
            for c in self.clients.values():
                c.slow |= SLOW_MISCONF
            log.warning(
                "redis: refusing writes until the log can be written again (%s)",
                self.aof_write_error,
            )
        elif not self.ctx.logs.failed:
            self.aof_write_error = ""
            for c in self.clients.values():
                c.slow &= ~SLOW_MISCONF
            log.warning("redis: AOF write error looks solved, Redis can write again.")

    def health(self) -> list[str]:
        if self.aof_write_error:
            return [f"Errors writing to the AOF file: {self.aof_write_error}"]
        return []

    # -- output buffer limits ---------------------------------------------------
    def apply_output_limits(self, client: Client) -> None:
        """The client-output-buffer-limit of the client's class (pubsub while subscribed)."""
        cls = "pubsub" if client.slow & SLOW_PUBSUB else "normal"
        limit = self.output_limits.get(cls)
        if limit is not None:
            client.peer.set_output_limits(limit.hard, limit.soft, limit.soft_seconds)

    def set_output_limits(self, limits: dict[str, OutputLimit]) -> None:
        """CONFIG SET client-output-buffer-limit: classes not named keep their limits."""
        self.output_limits.update(limits)
        self.config.client_output_buffer_limit = format_output_limits(self.output_limits)
        for c in self.clients.values():
            self.apply_output_limits(c)

    # -- periodic work -------------------------------------------------------
    def _schedule_cron(self) -> None:
        self._cron = self.clock.call_later(1.0 / self.config.hz, self._server_cron)

    def _server_cron(self) -> None:
        self.hz_cycles += 1
        try:
            # DEBUG SET-ACTIVE-EXPIRE 0 turns this off; a busy script owns the data meanwhile
            if self.active_expire and self.busy_script is None:
                self.keyspace.active_expire_cycle(
                    self.clock.time_ms(), 0.25 / self.config.hz, self.clock.monotonic
                )
            self._maybe_rewrite()
            if self.config.timeout:
                self._close_idle_clients()
        except Exception:
            log.exception("redis: periodic task failed")
        self._schedule_cron()

    def _maybe_rewrite(self) -> None:
        j = self.journal
        if j is None or not self.config.auto_aof_rewrite_percentage or j.compacting:
            return
        size = j.log.size
        if size < self.config.auto_aof_rewrite_min_size:
            return
        base = self.aof_base_size or 1
        if (size - base) * 100 // base >= self.config.auto_aof_rewrite_percentage:
            log.info("redis: log grew to %d bytes; rewriting it behind a snapshot", size)
            self.save(background=True)

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
        if self.journal is not None:
            self.journal.set_policy(policy)

    def set_appendonly(self, on: bool) -> None:
        """Start logging (writing a snapshot of the current data first) or stop it."""
        if on and self.journal is None:
            journal = self._open_journal()
            _, records = journal.open()
            for _ in records:  # whatever an older run left is superseded by the snapshot below
                pass
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
        for cmd in self.commands.values():
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
        for cmd in self.commands.values():
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
        """``save <seconds> <changes>``: BGSAVE when enough changes are that old."""
        self.rdb.check_save_points(now, self.save_points)


def _run_id() -> str:
    return secrets.token_hex(20)
