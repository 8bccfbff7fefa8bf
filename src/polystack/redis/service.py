"""The Redis server: keyspace, clients, persistence, and its place in the runtime."""

from __future__ import annotations

import logging
import marshal
import os
import secrets
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from polystack.redis import conf, notify
from polystack.redis import metrics as redis_metrics
from polystack.redis.cluster import create as cluster_create
from polystack.redis.cluster import routing as cluster_routing
from polystack.redis.cluster.link import Cluster
from polystack.redis.commands import all_commands, fold_all
from polystack.redis.commands import config as config_params
from polystack.redis.commands.acl import build_acl, load_users_at_startup
from polystack.redis.commands.introspection import keys_and_flags
from polystack.redis.commands.keyspecs import specs_for
from polystack.redis.commands.table import server_table
from polystack.redis.flags import SLOW_MISCONF, SLOW_PUBSUB
from polystack.redis.limits import (
    OutputLimit,
    format_output_limits,
    parse_output_limits,
    parse_save_points,
)
from polystack.redis.memory import EvictionState, set_maxmemory
from polystack.redis.objects import policy_changed, refresh_lru_clock
from polystack.redis.ops import LatencyMonitor, SlowLog, update_timing
from polystack.redis.persistence import Persistence
from polystack.redis.plainbatch import lean_shapes, lean_table
from polystack.redis.pubsub import PubSub
from polystack.redis.rdbfile import SaveInfo
from polystack.redis.rdbsave import RDBSaver
from polystack.redis.replica_role import ReplicationRole
from polystack.redis.replication.failover import Failover
from polystack.redis.replication.link import ReplicaSide
from polystack.redis.replication.master import MasterSide
from polystack.redis.replication.state import ReplicationState
from polystack.redis.security import DeniedConnection, protected_mode_denies
from polystack.redis.session import Client
from polystack.redis.store import Keyspace
from polystack.redis.watch import Watches
from polystack.runtime.journal import Journal
from polystack.runtime.service import ListenerSpec, ServerContext, Service

if TYPE_CHECKING:
    from polystack.runtime.connection import Peer

log = logging.getLogger(__name__)
_dumps = marshal.dumps  # (the log's records: encode_log_batch's format)
_calls = attrgetter("calls")
_failed_calls = attrgetter("failed_calls")
_rejected_calls = attrgetter("rejected_calls")


class RedisService(Persistence, ReplicationRole, Service):
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
        self._all_commands = all_commands(self.commands)  # (the cron's folds and sums)
        for name in (b"debug", b"DEBUG"):  # checked against enable-debug-command (slow path)
            self.dispatch.pop(name, None)
        for name, cmd in list(self.dispatch.items()):  # (the session's slow path finds them)
            if cmd.subcommands:
                del self.dispatch[name]
        self.clients: dict[int, Client] = {}
        self.journal: Journal | None = None
        self.start_time = self.clock.time()
        self.rdb_changes_since_last_save = 0
        self.rdb = RDBSaver(self)  # dump.rdb: SAVE, BGSAVE, save points, start-up load
        self.loaded_save_info: SaveInfo | None = None
        self._resume: tuple[str, int] | None = None
        self.aof_last_bgrewrite_status = "ok"
        self.shutdown_save: bool | None = None  # SHUTDOWN SAVE/NOSAVE decided it already
        # Replication: the ids/offset/backlog, the replicas we feed, the link to our master.
        self.repl = ReplicationState(self.config.repl_backlog_size)
        self.master_side = MasterSide(self, self.repl)
        self.link = ReplicaSide(self, self.repl)
        self.link.connect_fn = self._connect_to_master
        self.master_client: Client | None = None
        self.write_denied: bytes | None = None  # -READONLY / -NOREPLICAS for client writes
        self.failover = Failover(self)
        self.writes_paused = False  # FAILOVER pauses clients' writes
        self.master_down = False  # replica-serve-stale-data no and the link is down
        self.paused_clients: set[Client] = set()
        self._repl_cron_at = 0.0
        self.current_client: Client | None = None  # the client whose batch is running
        self.keyspace.set_expired_listener(self._key_expired)
        self.aof_base_size = 0
        self.aof_rewrites = 0
        self.total_commands = 0
        self.unknown_commands = 0
        self.loading = False
        self.shutdown_requested: str | None = None
        self.security_warning_at = float("-inf")  # the last "Possible SECURITY ATTACK" log
        self._listener: Any = None  # the runtime's ListenerState (connection counters)
        self.rejected_at_reset = 0
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
        self.accountant: Any = None  # the dataset's size while maxmemory is set (memory.py)
        self.eviction = EvictionState()
        self.pre_command_oom_state = False  # OOM when the running script started
        # SLOWLOG, the latency monitor, MONITOR clients (ops.py, commands/monitor.py)
        self.slowlog = SlowLog()
        self.latency = LatencyMonitor()
        self.monitors: list[Any] = []
        self.tracking: Any = None  # CLIENT TRACKING's table, made on first use
        self.client_pause_mode: str | None = None  # CLIENT PAUSE: "write" or "all"
        self.client_pause_end = 0.0
        self.client_pause_timer: Any = None
        self.timing_threshold = 0.01
        update_timing(self)
        # The LRU clock (server.lruclock) and whether accesses count LFU frequency instead.
        self.lruclock = 0
        self.lru_from = self.lru_until = 0.0
        refresh_lru_clock(self, self.clock.time())
        self.lfu = False
        policy_changed(self)
        self.keyspace.event_sink = notify.publisher(self.pubsub, self.keyspace)
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
        # Redis Cluster: this node's cluster state; with --redis-cluster N, the other nodes
        self.cluster: Cluster | None = None
        # the cluster's slot -> keys index's backlog while it has one (cluster/slotkeys.py)
        self.slot_keys_backlog: list[tuple[int, list[bytes]]] | None = None
        # This loop turn's writes, not yet in the journal (log_commands, append_journal_turn)
        self._journal_turn: list[tuple[int, list[bytes]]] | None = None
        self.siblings: list[RedisService] = []
        if self.config.cluster_nodes:
            self.config.cluster_enabled = True
            self.siblings = cluster_create.make_siblings(self, RedisService)
        if self.config.cluster_enabled:
            self.cluster = Cluster(self)
            self.cluster.key_finders = cluster_routing.prepare_dispatch(
                self.commands.values(), self.dispatch, specs_for, _key_positions
            )
        # the commands a plain client's batch runs itself (session.py's _run_plain)
        self.lean = lean_table(self.dispatch)
        self.lean_shapes = lean_shapes(self.lean)

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
        """SHUTDOWN: stop the Redis service (``shutdown_scope = "redis"``, the default) or the
        whole process (``"process"``)."""
        if self.config.shutdown_scope == "process":
            self.ctx.request_stop("SHUTDOWN")
        else:
            self.ctx.stop_service("SHUTDOWN")

    # -- runtime hooks -------------------------------------------------------
    def listeners(self) -> list[ListenerSpec]:
        specs = [
            ListenerSpec(
                "redis",
                self.config.port,
                self.new_client,
                max_clients=self.config.maxclients,
                reject=b"-ERR max number of clients reached\r\n",
                flag="--redis-port",
            )
        ]
        if self.cluster is not None:
            cport = cluster_create.bus_port(self.config, self.config.port)
            specs.append(ListenerSpec("redis-bus", cport, self.cluster.accept, flag="cluster-port"))
        for i, sibling in enumerate(self.siblings, 1):
            for spec in sibling.listeners():
                spec.name = spec.name.replace("redis", f"redis-node{i}", 1)
                specs.append(spec)
        return specs

    def new_client(self, peer: Peer) -> Client | DeniedConnection:
        self._listener = getattr(peer, "listener", None)
        if protected_mode_denies(self.config, peer):
            return DeniedConnection(peer)
        client = Client(self, peer)
        if self.misconf_reply() is not None:
            client.slow |= SLOW_MISCONF
        self.apply_output_limits(client)
        return client

    async def recover(self) -> None:
        if self.cluster is not None:
            self.cluster.load()
        self.recover_data()
        for sibling in self.siblings:
            await sibling.recover()

    def start(self) -> None:
        if self.config.maxmemory:
            set_maxmemory(self, self.config.maxmemory)
        for i, sibling in enumerate(self.siblings, 1):
            for name in ("redis", "redis-bus"):
                port = self.bound_ports.get(name.replace("redis", f"redis-node{i}", 1))
                if port is not None:
                    sibling.bound_ports[name] = port
            sibling.start()
        if self.cluster is not None:
            self.config.replicaof = ""  # a cluster replica's master is in nodes.conf
            self.cluster.start(self.listening_port(), self.bound_ports.get("redis-bus", 0))
        if self.config.cluster_nodes:  # --redis-cluster N (a single master too)
            nodes = [self, *self.siblings]
            cluster_create.join(nodes, self.config.cluster_nodes, _host(self.bind))
        self._schedule_cron()
        self._schedule_stats_sampler()
        self.repl.hard_limit = (
            self.output_limits["slave"].hard if "slave" in self.output_limits else 0
        )
        if self.config.replicaof:
            resume = self._resume or self.loaded_save_info
            if resume is not None:  # PSYNC from where we stopped (a partial resync if possible)
                replid, offset = (
                    resume if isinstance(resume, tuple) else (resume.repl_id, resume.repl_offset)
                )
                self.repl.replid, self.repl.offset = replid, offset
            self._resume = None
            host, port = self.config.replicaof.split()
            self.set_master(host, int(port))

    def shutdown(self, reason: str) -> None:
        for sibling in self.siblings:
            sibling.shutdown(reason)
        if self.cluster is not None:
            self.cluster.stop()
        if self.is_replica() and self.link.repl_state == "connected":
            self._resume = (self.repl.replid, self.repl.offset)
        self.link.unset_master()
        for timer in (self._cron, self._sampler):
            if timer is not None:
                timer.cancel()
        self._cron = self._sampler = None

    async def stop(self) -> None:
        for sibling in self.siblings:
            await sibling.stop()
        self.shutdown("stop")
        self.rdb.kill_child()
        if self.shutdown_save is None and self.save_points:
            # prepareForShutdown: with save points configured, a final synchronous SAVE
            try:
                self.rdb.save()
            except OSError as e:
                log.warning("Error trying to save the DB, can't exit: %s", e)
        if self.journal is not None:
            self.append_journal_turn()
            self.journal.close()
            if self._resume is not None:
                self._write_resume(*self._resume)

    def status(self) -> dict:
        return {"keys": sum(len(db) for db in self.keyspace.dbs), "clients": len(self.clients)}

    def reset_for_test(self) -> None:
        """The pytest fixture's reset: an empty dataset."""
        self.flushall()

    def log_commands(self, entries: list[tuple[int, list[bytes]]]) -> None:
        """Append a batch of write commands.  Replies need no special handling: under
        ``appendfsync always`` the log is a barrier (every reply waits for its fsync), and
        otherwise every reply goes out after the record's write()."""
        self.rdb_changes_since_last_save += len(entries)
        backlog = self.slot_keys_backlog
        if backlog is not None:  # a cluster's slot -> keys index follows the writes
            backlog.extend(entries)
        journal = self.journal
        if journal is not None:
            # One record per loop turn (as Redis writes its AOF buffer once, in beforeSleep):
            # the turn's batches are gathered and appended just before the group's write
            # (LogGroup.defer), replies waiting for it; under appendfsync always each batch
            # is its own record at once (the barrier holds replies behind those records).
            turn = self._journal_turn
            if turn is not None:
                turn += entries
            elif journal.log.policy == "always":
                journal.log.append(_dumps(entries, 2))  # (encode_log_batch)
            else:
                self._journal_turn = list(entries)
                journal.log.group.defer(journal.log, self.append_journal_turn)
        repl = self.repl
        if (repl.replicas or repl.backlog is not None) and self.link.master_host is None:
            repl.feed_commands(entries)  # a replica's own writes stay local

    def plain_turn(self) -> list[tuple[int, list[bytes]]] | None:
        """The list a plain client's write record may join directly, doing log_commands'
        work for it (the one-request read, plainbatch._run_one): this loop turn's journal
        record, started if need be; None when log_commands must take the record (no journal,
        ``appendfsync always``, replicas or a replication backlog to feed).  (The caller
        extends the slot index's backlog itself.)"""
        if self.repl.backlog is not None or self.repl.replicas:
            return None
        turn = self._journal_turn
        if turn is None:
            journal = self.journal
            if journal is None or journal.log.policy == "always":
                return None
            turn = self._journal_turn = []
            journal.log.group.defer(journal.log, self.append_journal_turn)
        return turn

    def append_journal_turn(self) -> None:
        """Append the writes this loop turn gathered (log_commands) to the journal as one
        record; whatever uses the journal otherwise calls it first, so the log's order is
        the order the writes ran in."""
        entries = self._journal_turn
        if entries is None:
            return
        self._journal_turn = None
        if not entries:  # (plain_turn started it for a record that went to log_commands)
            return
        journal = self.journal
        if journal is not None:
            journal.log.append(_dumps(entries, 2))  # (encode_log_batch)

    def requires_auth(self) -> bool:
        return bool(self.config.requirepass)

    def health(self) -> list[str]:
        if self.aof_write_error:
            return [f"Errors writing to the AOF file: {self.aof_write_error}"]
        return []

    # -- output buffer limits ---------------------------------------------------
    def apply_output_limits(self, client: Client) -> None:
        """The client-output-buffer-limit of the client's class: ``slave`` for a replica,
        ``pubsub`` while subscribed, else ``normal``.  Whatever changes a client's class
        (SUBSCRIBE, UNSUBSCRIBE, RESET, a replica's SYNC/PSYNC) calls this again."""
        cls = (
            "slave"
            if client.repl is not None
            else "pubsub"
            if client.slow & SLOW_PUBSUB
            else "normal"
        )
        limit = self.output_limits.get(cls)
        if limit is not None:
            client.peer.set_output_limits(limit.hard, limit.soft, limit.soft_seconds)

    def set_output_limits(self, limits: dict[str, OutputLimit]) -> None:
        """CONFIG SET client-output-buffer-limit: classes not named keep their limits."""
        self.output_limits.update(limits)
        slave = self.output_limits.get("slave")
        self.repl.hard_limit = slave.hard if slave is not None else 0
        self.config.client_output_buffer_limit = format_output_limits(self.output_limits)
        for c in self.clients.values():
            self.apply_output_limits(c)

    # -- periodic work -------------------------------------------------------
    def _schedule_cron(self) -> None:
        self._cron = self.clock.call_later(1.0 / self.config.hz, self._server_cron)

    def _server_cron(self) -> None:
        self.hz_cycles += 1
        refresh_lru_clock(self, self.clock.time())
        if not self.hz_cycles % max(1, self.config.hz // 10):  # ten times a second
            fold_all(self._all_commands)  # the calls' durations into commandstats and histograms
        try:
            # DEBUG SET-ACTIVE-EXPIRE 0 turns this off; a replica's master expires its keys; a
            # busy script owns the data meanwhile
            if self.active_expire and self.link.master_host is None and self.busy_script is None:
                self.keyspace.active_expire_cycle(
                    self.clock.time_ms(), 0.25 / self.config.hz, self.clock.monotonic
                )
            self._maybe_rewrite()
            if self.config.timeout:
                self._close_idle_clients()
            now = self.clock.monotonic()
            if now - self._repl_cron_at >= 1.0:
                self._repl_cron_at = now
                self.replication_cron()
        except Exception:
            log.exception("redis: periodic task failed")
        self._schedule_cron()

    def _close_idle_clients(self) -> None:
        now = self.clock.time()
        for c in list(self.clients.values()):
            if now - c.last_interaction > self.config.timeout and not c.slow & SLOW_PUBSUB:
                c.peer.close()

    def client_gone(self, client: Client) -> None:
        self.closed_bytes_in += getattr(client.peer, "bytes_in", 0)
        self.closed_bytes_out += getattr(client.peer, "bytes_out", 0)
        if client.repl is not None:
            self.master_side.replica_gone(client)
            self.update_write_denied()
        if client.blocked is not None:
            self.master_side.forget_waiter(client)
            self.paused_clients.discard(client)

    def _key_expired(self, db: Any, key: bytes) -> None:
        """propagateDeletion: an expired key's deletion goes to the log and the replicas as a
        DEL, in order with the writes of the batch that found it expired."""
        notify.key_expired(self.keyspace, db, key)
        if self.loading:
            return
        client = self.current_client
        if client is not None:
            client.log_write(db.id, [b"DEL", key])
        else:
            self.log_commands([(db.id, [b"DEL", key])])

    def command_totals(self) -> tuple[int, int, int]:
        """(calls, failed, rejected) over every command and subcommand."""
        cmds = self._all_commands
        return (
            sum(map(_calls, cmds)),
            sum(map(_failed_calls, cmds)),
            sum(map(_rejected_calls, cmds)),
        )

    def reset_stats(self) -> None:
        """CONFIG RESETSTAT: zero the counters INFO reports."""
        for cmd in self.commands.values():
            for c in (cmd, *cmd.subcommands.values()):
                c.calls = c.failed_calls = c.rejected_calls = 0
                c.usec = 0.0
                if c.hist is not None:
                    c.hist[:] = [0] * len(c.hist)
        ks = self.keyspace
        ks.keyspace_hits = ks.keyspace_misses = 0
        for db in ks.dbs:
            db.expired_keys = 0
        self.unknown_commands = 0
        self.total_commands = 0
        self.error_counts.clear()
        self.connections_at_reset = self.total_connections()
        self.rejected_at_reset += self.rejected_connections()
        self.closed_bytes_in = self.closed_bytes_out = 0
        for client in self.clients.values():
            peer = client.peer
            if hasattr(peer, "bytes_in"):
                peer.bytes_in = peer.bytes_out = 0
        self.ops_samples.clear()
        self._ops_last = None

    def rejected_connections(self) -> int:
        """stat_rejected_conn: refused at accept (maxclients, protected mode)."""
        listener = self._listener
        return listener.rejected_connections - self.rejected_at_reset if listener else 0

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
        calls = sum(map(_calls, self._all_commands))  # (command_totals' calls)
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


def _key_positions(cmd: Any, argv: list[bytes]) -> list[int]:
    """The positions of a command's keys as its key specs name them (COMMAND GETKEYS)."""
    return [i for i, _ in keys_and_flags(cmd, argv)]


def _host(bind: str) -> str:
    """The address the nodes of an in-process cluster announce."""
    return "127.0.0.1" if bind in ("", "0.0.0.0", "::", "localhost") else bind


def _run_id() -> str:
    return secrets.token_hex(20)
