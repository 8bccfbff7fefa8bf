"""The Redis server: keyspace, clients, persistence, and its place in the runtime."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from typing import TYPE_CHECKING, Any

from polystack.redis import conf, notify, persist, rdbfile
from polystack.redis import metrics as redis_metrics
from polystack.redis.cluster import create as cluster_create
from polystack.redis.cluster import routing as cluster_routing
from polystack.redis.cluster.link import Cluster
from polystack.redis.commands import config as config_params
from polystack.redis.commands import fold_all
from polystack.redis.commands.acl import build_acl, load_users_at_startup
from polystack.redis.commands.functions import functions_of
from polystack.redis.commands.introspection import keys_and_flags
from polystack.redis.commands.keyspecs import specs_for
from polystack.redis.commands.table import server_table
from polystack.redis.flags import SLOW_MISCONF, SLOW_PUBSUB, set_server_condition
from polystack.redis.limits import (
    OutputLimit,
    format_output_limits,
    parse_output_limits,
    parse_save_points,
)
from polystack.redis.memory import EvictionState, set_maxmemory
from polystack.redis.objects import policy_changed, refresh_lru_clock
from polystack.redis.ops import LatencyMonitor, SlowLog, update_timing
from polystack.redis.pubsub import PubSub
from polystack.redis.rdbfile import RDBLoadError, SaveInfo
from polystack.redis.rdbsave import RDBSaver
from polystack.redis.replication.failover import Failover
from polystack.redis.replication.link import MasterLink, ReplicaSide
from polystack.redis.replication.master import MasterSide
from polystack.redis.replication.state import ReplicationState
from polystack.redis.security import DeniedConnection, protected_mode_denies
from polystack.redis.session import Client, encode_log_batch
from polystack.redis.store import Keyspace
from polystack.redis.watch import Watches
from polystack.runtime import outbound
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
        self.lru_until = 0
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
        self.siblings: list[RedisService] = []
        if self.config.cluster_nodes:
            self.config.cluster_enabled = True
            self.siblings = cluster_create.make_siblings(self, RedisService)
        if self.config.cluster_enabled:
            self.cluster = Cluster(self)
            self.cluster.key_finders = cluster_routing.prepare_dispatch(
                self.commands.values(), self.dispatch, specs_for, _key_positions
            )

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
            self.journal.close()
            if self._resume is not None:
                self._write_resume(*self._resume)

    # A replica's replication id and offset at a clean stop (its journal holds exactly the
    # data up to that offset): the next start PSYNCs from there, as Redis does with the
    # repl-id/repl-offset of the RDB it saves at shutdown.
    RESUME_FILE = "replication.state"

    def _write_resume(self, replid: str, offset: int) -> None:
        path = os.path.join(self.data_dir, self.RESUME_FILE)
        try:
            with open(path, "w") as f:
                f.write(f"{replid} {offset}\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            log.warning("redis: could not record the replication offset: %s", e)

    def _read_resume(self) -> tuple[str, int] | None:
        """The state a clean stop recorded; removed at once, so that after a crash (the
        journal may then hold more) the next start does a full sync."""
        path = os.path.join(self.data_dir, self.RESUME_FILE)
        try:
            with open(path) as f:
                words = f.read().split()
            os.unlink(path)
        except OSError:
            return None
        if len(words) == 2 and len(words[0]) == 40 and words[1].isdigit():
            return words[0], int(words[1])
        return None

    def status(self) -> dict:
        return {"keys": sum(len(db) for db in self.keyspace.dbs), "clients": len(self.clients)}

    def reset_for_test(self) -> None:
        """The pytest fixture's reset: an empty dataset."""
        self.flushall()

    # -- persistence ---------------------------------------------------------
    def _open_journal(self) -> Journal:
        return Journal(
            self.data_dir, self.config.appendfsync, "appendonly", group=self.ctx.logs, barrier=True
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
            self._resume = self._read_resume()
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
            journal.log.append(encode_log_batch(entries))
        repl = self.repl
        if (repl.replicas or repl.backlog is not None) and self.link.master_host is None:
            repl.feed_commands(entries)  # a replica's own writes stay local

    def save(self, background: bool = False) -> None:
        """Write a snapshot of every database and start a fresh log (SAVE; BGSAVE and
        BGREWRITEAOF with ``background``: the file writes and fsyncs then run off the loop)."""
        chunks = persist.dump_keyspace(self.keyspace, {"functions": self.function_codes()})
        journal = self.journal
        if journal is not None:
            if background:
                if journal.compacting:
                    return
                fut = journal.compact_forked(chunks)  # the loop never walks the keyspace
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
            self.update_misconf()
            log.warning(
                "redis: refusing writes until the log can be written again (%s)",
                self.aof_write_error,
            )
        elif not self.ctx.logs.failed:
            self.aof_write_error = ""
            self.update_misconf()
            log.warning("redis: AOF write error looks solved, Redis can write again.")

    def misconf_reply(self) -> bytes | None:
        """writeCommandsDeniedByDiskError: why writes (and PING) get -MISCONF, or None: a
        failed BGSAVE with save points and stop-writes-on-bgsave-error, then a failing log."""
        cfg = self.config
        if (
            cfg.stop_writes_on_bgsave_error
            and self.save_points
            and self.rdb.last_bgsave_status == "err"
            and not self.is_replica()
        ):
            return _RDB_MISCONF
        if self.aof_write_error:
            return b"-MISCONF Errors writing to the AOF file: %s" % self.aof_write_error.encode()
        return None

    def update_misconf(self) -> None:
        """Send every client through the -MISCONF check while a disk error holds."""
        on = self.misconf_reply() is not None
        for c in self.clients.values():
            if on:
                c.slow |= SLOW_MISCONF
            else:
                c.slow &= ~SLOW_MISCONF

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
            fold_all(self.commands)  # the calls' durations into commandstats and histograms
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
        if client.repl is not None:
            self.master_side.replica_gone(client)
            self.update_write_denied()
        if client.blocked is not None:
            self.master_side.forget_waiter(client)
            self.paused_clients.discard(client)

    # -- replication -------------------------------------------------------------------------
    def is_replica(self) -> bool:
        return self.link.master_host is not None

    def repl_offset(self) -> int:
        return self.repl.offset

    def listening_port(self) -> int:
        return self.bound_ports.get("redis", self.config.port)

    def save_info(self) -> SaveInfo | None:
        """rdbPopulateSaveInfo: the replication state an RDB carries (a master with a backlog,
        or a replica: its master's id and offset)."""
        st = self.repl
        if st.backlog is None and not self.is_replica():
            return None
        return SaveInfo(max(st.seldb, 0), st.replid, st.offset)

    def replica_attached(self, client: Client) -> None:
        """A client became a replica: the replica class's output limits apply to it."""
        self.apply_output_limits(client)
        self.update_write_denied()

    def set_master(self, host: str, port: int) -> None:
        """REPLICAOF host port."""
        self.rdb_kill_replication_child()
        self.master_side.waiters_fail_on_replica()
        self.replicas_must_resync()
        self.link.set_master(host, port)
        self.config.replicaof = f"{host} {port}"
        for db in self.keyspace.dbs:
            db.replica = 1
        self.update_write_denied()

    def unset_master(self) -> None:
        """REPLICAOF NO ONE: promoted, with a new replication id (the old one stays valid as
        replid2 up to the current offset, so siblings can PSYNC from us)."""
        if self.link.master_host is None:
            return
        self.link.unset_master()
        for db in self.keyspace.dbs:
            db.replica = 0
        self.repl.shift_replid()
        self.replicas_must_resync()
        self.repl.seldb = -1
        self.config.replicaof = ""
        self._forget_master_client()
        self.update_write_denied()

    def rdb_kill_replication_child(self) -> None:
        if self.master_side.child_kind:
            self.rdb.kill_child()

    def replicas_must_resync(self) -> None:
        """disconnectSlaves: our replicas reconnect (and PSYNC) to learn what changed."""
        for r in list(self.repl.replicas):
            r.client.peer.close()
            self.master_side.replica_gone(r.client)

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

    @property
    def failover_state(self) -> str:
        return self.failover.state

    def pause_writes(self, on: bool) -> None:
        self.writes_paused = on
        if not on:
            paused, self.paused_clients = self.paused_clients, set()
            for c in paused:
                c.unpause()

    def failover_to(self, host: str, port: int) -> None:
        """FAILOVER: follow the target, asking it to take over (PSYNC ... FAILOVER)."""
        self.link.failover_psync = True
        self.set_master(host, port)

    def unset_master_after_failed_failover(self) -> None:
        self.link.failover_psync = False
        self.unset_master()

    def master_link_up(self, peer: Any) -> None:
        """The master client (CLIENT LIST flags=M; CLIENT KILL TYPE master closes the link)."""
        self._forget_master_client()
        client = self.master_client = Client(self, peer)
        client.is_master = True
        client.set_authenticated()

    def master_link_down(self) -> None:
        self._forget_master_client()
        self.update_write_denied()

    def _forget_master_client(self) -> None:
        client = self.master_client
        if client is not None:
            self.clients.pop(client.id, None)
            self.master_client = None

    def update_write_denied(self) -> None:
        """What a client's write gets instead of running (-READONLY on a read-only replica,
        -NOREPLICAS below min-replicas-to-write), or None."""
        if self.is_replica() and self.config.replica_read_only:
            self.write_denied = b"-READONLY You can't write against a read only replica.\r\n"
        elif (
            not self.is_replica()
            and self.config.min_replicas_to_write
            and self.master_side.good_replicas() < self.config.min_replicas_to_write
        ):
            self.write_denied = b"-NOREPLICAS Not enough good replicas to write.\r\n"
        else:
            self.write_denied = None
        down = (
            self.is_replica()
            and not self.config.replica_serve_stale_data
            and self.link.repl_state != "connected"
        )
        if down != self.master_down:
            self.master_down = down
            set_server_condition(self, "masterdown", down)  # every client on the slow path

    def replication_cron(self) -> None:
        self.update_misconf()
        self.master_side.cron()
        self.link.cron()
        self.update_write_denied()

    def _connect_to_master(self, host: str, port: int) -> None:
        async def run() -> None:
            try:
                await outbound.connect(
                    host,
                    port,
                    lambda peer: MasterLink(self.link, peer),
                    logs=self.ctx.logs,
                    clock=self.clock,
                    name="redis-master-link",
                    timeout=self.config.repl_timeout,
                )
            except (OSError, TimeoutError) as e:
                self.link.connect_failed(str(e) or type(e).__name__)

        asyncio.get_running_loop().create_task(run())

    def load_synced_rdb(self, payload: bytes) -> bool:
        """A full sync's RDB: loaded into a fresh keyspace; swapped in only if it loaded."""
        fresh = Keyspace(len(self.keyspace.dbs))
        fresh.limits = self.keyspace.limits
        try:
            rdbfile.load_bytes(payload, fresh, self.clock.time_ms(), skip_expired=False)
        except rdbfile.RDBLoadError as e:
            log.warning("Failed trying to load the MASTER synchronization DB from socket: %s", e)
            return False
        for old, new in zip(self.keyspace.dbs, fresh.dbs, strict=True):
            old.data, old.expires, old.heap, old.lru = new.data, new.expires, new.heap, new.lru
        self.keyspace.dirty += 1
        if self.journal is not None:  # the log starts again from the master's dataset
            self.save(background=False)
        return True

    def apply_from_master(self, batch: list[tuple[int, list[bytes]]]) -> None:
        """Run commands from our master's stream (no replies) and log what they changed."""
        client = self.master_client
        if client is None:  # (the link is up before any command arrives)
            return
        ks = self.keyspace
        logged = []
        dbs = ks.dbs
        for d in dbs:
            d.replica = 2  # the master's commands see keys past their deadline
        try:
            for db, argv in batch:
                dirty = ks.dirty
                client.replay_command(db, argv)
                if ks.dirty != dirty:
                    logged.append((db, argv))
        finally:
            for d in dbs:
                d.replica = 1
        if logged:
            self.rdb_changes_since_last_save += len(logged)
            if self.journal is not None:
                self.journal.append(encode_log_batch(logged))

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


_RDB_MISCONF = (
    b"-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
    b"to disk. Commands that may modify the data set are disabled, because this instance is "
    b"configured to report errors during writes if RDB snapshotting fails "
    b"(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
    b"RDB error."
)


def _key_positions(cmd: Any, argv: list[bytes]) -> list[int]:
    """The positions of a command's keys as its key specs name them (COMMAND GETKEYS)."""
    return [i for i, _ in keys_and_flags(cmd, argv)]


def _host(bind: str) -> str:
    """The address the nodes of an in-process cluster announce."""
    return "127.0.0.1" if bind in ("", "0.0.0.0", "::", "localhost") else bind


def _run_id() -> str:
    return secrets.token_hex(20)
