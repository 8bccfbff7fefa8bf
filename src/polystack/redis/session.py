"""One Redis client connection (sans-I/O): parse requests, check them against the
command table, run them, encode the replies, and hand writes to the log.

``_run`` is the fast path for a client with nothing special about it.  Any state bit in
``Client.slow`` (not authenticated, inside MULTI, subscribed, restricted by ACL, a
server-wide condition such as maxmemory or MONITOR ...) sends its commands through
``_execute_slow``, which checks them in the order server.c's processCommand does.
"""

from __future__ import annotations

import logging
import marshal
import time
from typing import TYPE_CHECKING, Any

from polystack.redis import blocked_keys, wire
from polystack.redis.acl import default_authenticated, slow_bits
from polystack.redis.blocked import BLOCKED
from polystack.redis.blocking import Block
from polystack.redis.cluster.routing import redirect
from polystack.redis.cluster.slots import key_crc16
from polystack.redis.commands.acl import refusal as acl_refusal
from polystack.redis.commands.monitor import (
    feed_monitors,
    record_slow_command,
    stop_monitoring,
)
from polystack.redis.commands.table import Command
from polystack.redis.commands.tracking import pauses, remember_read, stop_tracking
from polystack.redis.errors import RedisError
from polystack.redis.flags import (
    SLOW_ACL,
    SLOW_ASKING,
    SLOW_AUTH,
    SLOW_BLOCKED,
    SLOW_CLOSING,
    SLOW_MISCONF,
    SLOW_MULTI,
    SLOW_PUBSUB,
    SLOW_REPLY,
    SLOW_SERVER,
    SLOW_TRACKING,
)
from polystack.redis.getread import GET_HEAD, TWO_GETS, GetRead
from polystack.redis.memory import OOM_ERROR, perform_evictions
from polystack.redis.notify import NOTIFY_NEW
from polystack.redis.objects import refresh_lru_clock
from polystack.redis.plainbatch import PlainBatch
from polystack.redis.replies import Replies
from polystack.redis.scriptpath import (
    EXEC_ENTRIES,
    MULTI_ENTRIES,
    ScriptPath,
    script_commands,
)
from polystack.redis.security import DEBUG_NOT_ALLOWED, allow_protected_action
from polystack.redis.store import Database
from polystack.redis.transaction import Transaction
from polystack.redis.waiting import Waiting

if TYPE_CHECKING:
    from polystack.runtime.connection import Peer

log = logging.getLogger(__name__)

_encode = wire.encode
_OK = wire.OK
_dumps = marshal.dumps
_BULK_PREFIX = [b"$%d\r\n" % n for n in range(4096)]
# the log entries that wrap one command's propagated writes (_wrap_multi), by database; shared
# by every wrap (read, never changed)
_MULTI = MULTI_ENTRIES
_EXEC = EXEC_ENTRIES

# What a RESP2 subscriber may still run (server.c's processCommand).
_PUBSUB_CONTEXT = frozenset(
    (b"ping", b"subscribe", b"ssubscribe", b"unsubscribe", b"sunsubscribe", b"psubscribe")
    + (b"punsubscribe", b"quit", b"reset")
)
# What runs at once inside MULTI instead of being queued.
_NOT_QUEUED = frozenset((b"exec", b"discard", b"multi", b"watch", b"quit", b"reset"))
_QUEUED = b"+QUEUED\r\n"
# Commands that may run a script: they run in a greenlet of their own, so that a script past
# busy-reply-threshold can yield to the event loop (and be killed) as Redis's scripts do.
YIELDING = frozenset(("eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "exec"))
_perf = time.perf_counter
_SLOW_EVAL = (
    b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
)
_SLOW_SCRIPT = (
    b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
)
# An HTTP request's request line or Host header read as a command (processCommand).
_CROSS_PROTOCOL = frozenset((b"post", b"host:"))

__all__ = [
    "SLOW_ACL",
    "SLOW_AUTH",
    "SLOW_BLOCKED",
    "SLOW_CLOSING",
    "SLOW_MISCONF",
    "SLOW_MULTI",
    "SLOW_PUBSUB",
    "SLOW_SERVER",
    "SLOW_TRACKING",
    "Client",
    "encode_log_batch",
]


class Client(PlainBatch, GetRead, Waiting, Replies, Transaction, ScriptPath):
    """A connected client: its database, protocol version, name and state."""

    def __init__(self, server: Any, peer: Peer) -> None:
        self.server = server
        self.peer = peer
        self.id = peer.id
        self.db_id = 0
        self.db: Database = server.keyspace.dbs[0]
        self.resp3 = False
        self.name: bytes = b""
        self.lib_name: bytes = b""
        self.lib_ver: bytes = b""
        self.user = "default"  # the ACL user's name (CLIENT LIST, CLIENT KILL USER)
        self.acl_user = server.acl.default
        self.authenticated = default_authenticated(server)
        self.slow = slow_bits(server, self) | server.slow_all
        self.reply_flags = 0  # CLIENT REPLY (flags.REPLY_*)
        self.created = server.clock.time()
        self.last_interaction = self.created
        self.last_cmd: Any = "NULL"
        self.no_evict = False
        self.monitor = False  # MONITOR: every command the server runs is fed to it
        self.tracking: Any = None  # CLIENT TRACKING state (tracking.py)
        self.executing = False  # running a command (a tracking push waits for its reply)
        self.pending_pushes: list[bytes] = []
        self.propagate: list[list[bytes]] | None = None
        # What the client waits for: WAIT/a FAILOVER pause/a busy script (blocked.py), or a
        # blocking command's Block (BLPOP, XREAD BLOCK ...: blocked_keys.py, with the db it
        # waits in and its timeout timer).
        self.blocked: Any = None
        self.blocked_db: Database | None = None
        self.block_timer: Any = None
        self.woff = 0  # the replication offset after this client's last write (WAIT)
        self.repl: Any = None  # a replica's record on its master (replication/state.py)
        self.is_master = False  # the client applying our master's stream (a replica's)
        self._requeue: list[list[bytes]] = []  # a paused write, run again when unpaused
        # MULTI/EXEC and WATCH (multi.c)
        self.multi: list[tuple[Command, list[bytes]]] | None = None
        self.multi_error = False  # CLIENT_DIRTY_EXEC: a command failed to queue
        self.dirty_cas = False  # CLIENT_DIRTY_CAS: a watched key changed
        self.watched_keys: list[Any] = []
        self.in_exec = False
        self.deny_blocking = False  # CLIENT_DENY_BLOCKING (inside EXEC and scripts)
        # Pub/Sub (pubsub.c)
        self.channels: dict[bytes, None] = {}
        self.patterns: dict[bytes, None] = {}
        self.shard_channels: dict[bytes, None] = {}
        self._out: list[bytes] = []
        self._in_batch = False
        # Requests held back while the client waits (``blocked``) or its output is full.
        self._pending: list[list[bytes]] | None = None
        self._script: Any = None  # the greenlet of a script that yielded
        self._worker: Any = None  # the greenlet scripts run in (see _call_yielding)
        self._root: Any = None  # the greenlet to return to from the worker
        self.yield_to_loop: Any = None  # set while a yielding command runs
        self.script_client: Any = None  # what its scripts' commands run as (scriptrun.py)
        self._log: list[tuple[int, list[bytes]]] = []
        self._misconf_replies = 0  # -MISCONF replies in this batch (they reveal no state)
        self._abort = False  # close without sending the replies (a cross-protocol request)
        self._unauth_feed = False  # feed() runs inside _feed_unauthenticated's loop
        self._parser = wire.RequestParser(
            server.config.client_query_buffer_limit, server.config.proto_max_bulk_len
        )
        self._clock_time = server.clock.time
        # The time in milliseconds (expiry, the LRU clock): the clock's own method, one call.
        self.now_ms = server.clock.time_ms
        self.ks = server.keyspace
        # This server's own command table (its call counters are per server).
        self._commands_get = server.commands.get
        self._dispatch_get = server.dispatch.get
        self._lean = server.lean  # the commands of the plain batch (plainbatch.py)
        self._shapes = server.lean_shapes
        self._get_cmd = server.commands[b"get"]
        self._set_cmd = server.commands[b"set"]
        self._sadd_cmd = server.commands[b"sadd"]
        self._incr_cmd = server.commands[b"incr"]
        self._zadd_cmd = server.commands[b"zadd"]
        self._lpush_cmd = server.commands[b"lpush"]
        self._rpush_cmd = server.commands[b"rpush"]
        self._scripts_get = script_commands(server.commands).get
        # Redis Cluster: the node's cluster (None when off), ASKING and READONLY
        self._cluster = server.cluster
        # (the served map: a list changed in place, see ClusterState.served)
        self._served = server.cluster.state.served if server.cluster is not None else None
        self.asking = False
        self.readonly = False
        server.clients[self.id] = self

    # -- the runtime's interface -------------------------------------------
    def feed(self, data: bytes) -> None:
        """Client input (or ``b""``: run what was held back), its replies written."""
        reply = self.receive(data)
        if reply is not None:
            self.peer.write(reply)

    def receive(self, data: bytes) -> bytes | None:
        """The runtime's read: run the requests in ``data`` and return their replies for the
        runtime to send after anything written meanwhile (None when there are none or they
        went out another way: waiting for -MISCONF, a closing connection, a broadcast)."""
        if not self.authenticated and not self._unauth_feed:
            self._feed_unauthenticated(data)
            return None
        server = self.server
        now = self.last_interaction = self._clock_time()
        if now >= server.lru_until or now < server.lru_from:
            refresh_lru_clock(server, now)  # the LRU clock's second changed
        server.current_client = self
        error: wire.ProtocolError | None = None
        if (
            not self.slow  # a read of GETs of a plain client, whole: getread.py
            and len(data) >= TWO_GETS
            and data.startswith(GET_HEAD)
            and self._pending is None
            and not self._out
            and self._parser.idle
        ):
            reply = self._read_gets(data)
            if reply is not None:  # (nothing logged, nothing else to send or to close)
                server.current_client = None
                return reply
        try:
            requests = self._parser.feed(data)
        except wire.ProtocolError as e:
            requests = e.requests
            error = e
        if self._pending is not None:
            requests, self._pending = self._pending + requests, None
        if self.blocked is not None:  # a blocked client's input waits for unblock()
            self._pending, requests = requests, []
        self._in_batch = True
        try:
            if requests:
                try:
                    # a plain client's lean requests: one batch (plainbatch.py) from 3 on
                    if len(requests) == 1:
                        self._run_one(requests[0])  # one request per read (-c 50)
                    elif not self.slow and len(requests) > 2:
                        done = self._run_plain(requests)
                        if done < len(requests):
                            self._run(requests[done:] if done else requests)
                    else:
                        self._run(requests)
                except wire.ProtocolError as e:
                    error = e
            if error is not None:
                self._out.append(error.reply())
                self.slow |= SLOW_CLOSING
        finally:
            self._in_batch = False
        out = self._out
        reply = None
        if out and not self._misconf_replies:  # _finish_batch's common case, inline
            if self._log:
                server.log_commands(self._log)  # the log orders the replies (see write)
                self._log = []
            reply = b"".join(out) if len(out) > 1 else out[0]
            out.clear()
        else:
            self._finish_batch()
        server.current_client = None
        tracking = server.tracking
        if tracking is not None and tracking.prefixes and tracking.pending_broadcast():
            if reply is not None:  # the replies go first, as beforeSleep has them buffered
                self.peer.write(reply)
                reply = None
            tracking.broadcast()  # beforeSleep's BCAST invalidations
        if self.slow & SLOW_CLOSING:
            if reply is not None:
                self.peer.write(reply)
                reply = None
            if self._abort:
                self.peer.abort()
            else:
                self.peer.close()
        return reply

    def _feed_unauthenticated(self, data: bytes) -> None:
        """Before AUTH the parser applies Redis's unauthenticated limits and hands over one
        request at a time: what follows an AUTH is read as the authenticated client's."""
        parser = self._parser
        parser.unauthenticated = True
        self._unauth_feed = True
        try:
            left = -1
            while (
                parser.buffered != left
                and not self.slow & SLOW_CLOSING
                and self.blocked is None
                and self._pending is None
                and not self.peer.closed
            ):
                left = parser.buffered + len(data)
                self.feed(data)
                data = b""
                parser.unauthenticated = not self.authenticated
                if not parser.buffered:
                    break
        finally:
            self._unauth_feed = False

    def connection_lost(self) -> None:
        if type(self.blocked) is Block:
            blocked_keys.unblock(self)
        server = self.server
        if server.current_client is self:
            server.current_client = None
        server.clients.pop(self.id, None)
        self._pending = None
        self.script_client = None
        self.unwatch_all()
        if self.monitor:
            stop_monitoring(server, self)
        if self.tracking is not None:
            stop_tracking(self)
        if self.channels or self.patterns or self.shard_channels:
            server.pubsub.forget(self)
        server.client_gone(self)

    # -- batches -----------------------------------------------------------
    def _finish_batch(self) -> None:
        out = self._out
        if self._log:
            self.server.log_commands(self._log)  # the log orders the replies (see write)
            self._log = []
            self._misconf_replies = 0
            if out:
                self.peer.write(b"".join(out) if len(out) > 1 else out[0])
                out.clear()
        elif out:
            data = b"".join(out) if len(out) > 1 else out[0]
            if self._misconf_replies:
                # Only -MISCONF errors: they reveal nothing, so no barrier holds them.
                if self._misconf_replies == len(out):
                    self.peer.write_stateless(data)
                else:
                    self.peer.write(data)
                self._misconf_replies = 0
            else:
                self.peer.write(data)
            out.clear()

    # -- executing -----------------------------------------------------------
    def _run(self, requests: list[list[bytes]]) -> None:
        """Run a batch of requests and queue their replies (the hot path: keep it lean)."""
        out = self._out
        extend = out.extend
        ks = self.ks
        budget = -1  # the output's room, read once a reply is not a small one
        produced = 0
        commands_get = self._commands_get
        dispatch_get = self._dispatch_get
        scripts_get = self._scripts_get
        threshold = self.server.timing_threshold
        perf = _perf
        served = self._served
        it = iter(requests)
        # Each command's duration runs from the end of the one before (one clock read per
        # command): the fast path's dispatch and checks count as part of the command.
        t0 = perf()
        for argv in it:
            if self.slow:
                self._execute_slow(argv, commands_get(argv[0].lower()))
                if self.blocked is not None:
                    self._pending = self._requeue + list(it)
                    self._requeue = []
                    return
                t0 = perf()
                continue
            cmd = dispatch_get(argv[0])  # (commands with subcommands are not in it)
            if cmd is None:
                cmd = scripts_get(argv[0])  # EVAL, EVALSHA, FCALL ...: _run_script
                if cmd is not None and served is None and len(argv) >= -cmd.arity:
                    self._run_script(cmd, argv)
                    if self.blocked is not None:  # the script yielded
                        self._pending = self._requeue + list(it)
                        self._requeue = []
                        return
                    t0 = perf()  # (_run_script times the script itself)
                    continue
                self._execute_slow(argv, commands_get(argv[0].lower()))
                if self.blocked is not None:
                    self._pending = self._requeue + list(it)
                    self._requeue = []
                    return
                t0 = perf()
                continue
            arity = cmd.arity
            if len(argv) != arity and (arity > 0 or len(argv) < -arity):
                self._execute_slow(argv, cmd)  # the arity error, as processCommand words it
                t0 = perf()
                continue
            # Redis Cluster: in cluster mode the dispatch table holds keyless commands and
            # commands whose one key is argv[1] (routing.prepare_dispatch); one whose key's
            # slot this node serves (routing.serves, inline) runs here, any other takes
            # routing.redirect's full check (so does every command after ASKING: SLOW_ASKING).
            # The key's CRC16 indexes the map (which repeats every 16384); a hash-tagged key's
            # is remembered (TAG_CRCS: one dict probe, the exception only on a first sight).
            if served is not None and cmd.first_key:
                if not served[key_crc16(argv[1])]:
                    self._execute_slow(argv, cmd)  # cluster routing (redirections, ASKING)
                    if self.blocked is not None:
                        self._pending = self._requeue + list(it)
                        self._requeue = []
                        return
                    t0 = perf()
                    continue
            if cmd.write:  # (the parser hands over bulk strings only)
                if self.server.writes_paused and self.pause(argv):  # FAILOVER
                    self._pending = self._requeue + list(it)
                    self._requeue = []
                    return
                denied = self.server.write_denied  # -READONLY replica, -NOREPLICAS
                if denied is not None:
                    out.append(denied)
                    cmd.rejected_calls += 1
                    self._count_error(denied[1 : denied.index(b" ")].decode())
                    t0 = perf()
                    continue
            dirty = ks.dirty
            mark = len(self._log)
            self.last_cmd = cmd
            try:
                reply = cmd.handler(self, argv)
            except RedisError as e:
                out.append(e.encode())
                cmd.failed_calls += 1
                self._count_error(e.code)
            else:
                t = type(reply)
                if t is bytes and len(reply) < 4096:
                    extend((_BULK_PREFIX[len(reply)], reply, b"\r\n"))
                elif reply is _OK:
                    out.append(b"+OK\r\n")
                elif t is int:
                    out.append(b":%d\r\n" % reply)
                elif reply is None:
                    out.append(b"_\r\n" if self.resp3 else b"$-1\r\n")
                elif reply is BLOCKED:
                    self._pending = list(it)
                elif t is Block:
                    blocked_keys.block(self, reply)
                    self._pending = list(it)
                else:
                    start = len(out)
                    _encode(reply, self.resp3, out)
                    # Stop before building more once the output is full (flow control).
                    produced += sum(map(len, out[start:]))
                    if budget < 0:
                        budget = self.peer.output_room()
                    if produced >= budget and self.peer.output_full(produced):
                        self._pending = list(it)  # drains ``it``: the loop ends here
            t1 = perf()
            took = t1 - t0
            t0 = t1
            cmd.durations.append(took)  # commandstats' usec and the histogram (folded later)
            if took >= threshold:
                self._slow_command(cmd, argv, took)
                t0 = perf()
            cmd.calls += 1
            if ks.dirty != dirty:
                if self.propagate is None:  # the common case, inline: this is the hot path
                    self._log.append((self.db_id, argv))
                else:
                    self._record_write(argv)
                if len(self._log) - mark > 1:
                    self._wrap_multi(mark)
                if ks.ready_keys:
                    self._serve_blocked()
                    t0 = perf()  # (the clients it served are not this client's next command)

    def _after_tracked(self, cmd: Command, argv: list[bytes]) -> None:
        """A tracking client's command ran: remember the keys it read, send the invalidations
        it caused itself (after its reply), end CLIENT CACHING's one-command window."""
        state = self.tracking
        if "readonly" in cmd.flags and not state.bcast:
            remember_read(self, cmd, argv)
        if self.pending_pushes and not self.executing:
            self._out.extend(self.pending_pushes)
            self.pending_pushes.clear()
        if state.caching and (cmd.parent or cmd).name != "client" and self.multi is None:
            state.caching = False

    def _slow_command(self, cmd: Command, argv: list[bytes], took: float) -> None:
        """A command past slowlog-log-slower-than or latency-monitor-threshold."""
        record_slow_command(self.server, self, cmd, argv, took)

    def _record_write(self, argv: list[bytes]) -> None:
        """Queue a command that changed the dataset for the log (its propagated form, if any)."""
        if self.propagate is None:
            self._log.append((self.db_id, argv))
        else:
            for p in self.propagate:
                self._log.append((self.db_id, p))
            self.propagate = None

    def _wrap_multi(self, mark: int) -> None:
        """propagatePendingCommands: what one command propagated (EXEC's queue, a script's
        effects, an expired key's DEL before a write) reaches the log and the replicas as one
        MULTI ... EXEC."""
        entries = self._log
        db_id = entries[mark][0]
        entries.insert(mark, _MULTI[db_id] if db_id < 16 else (db_id, [b"MULTI"]))
        db_id = entries[-1][0]
        entries.append(_EXEC[db_id] if db_id < 16 else (db_id, [b"EXEC"]))

    def log_write(self, db_id: int, argv: list[bytes]) -> None:
        """Log a write made on this client's behalf (a script's commands), in its batch."""
        self._log.append((db_id, argv))

    def log_writes(self, entries: list[tuple[int, list[bytes]]]) -> None:
        """:meth:`log_write` of each (db_id, argv) of ``entries`` (a script's effects)."""
        self._log.extend(entries)

    def _count_error(self, code: str) -> None:
        counts = self.server.error_counts
        counts[code] = counts.get(code, 0) + 1

    def _call(self, cmd: Command, argv: list[bytes]) -> Any:
        """call(): run ``cmd`` and queue its reply."""
        if cmd.name in YIELDING and self.yield_to_loop is None and cmd.parent is None:
            return self._call_yielding(cmd, argv)
        ks = self.ks
        dirty = ks.dirty
        mark = len(self._log)
        self.last_cmd = cmd
        server = self.server
        t0 = _perf()
        executing = self.executing
        self.executing = True
        if ks.notify_classes & NOTIFY_NEW and cmd.write:
            data = self.db.data
            ks.new_candidates = [
                (self.db, argv[i]) for i in cmd.key_indexes(argv) if argv[i] not in data
            ]
        try:
            reply = cmd.handler(self, argv)
        except RedisError as e:
            self._out.append(e.encode())
            cmd.failed_calls += 1
            self._count_error(e.code)
        else:
            if type(reply) is Block:
                blocked_keys.block(self, reply)
            elif reply is not BLOCKED:
                _encode(reply, self.resp3, self._out)
        finally:
            if ks.new_candidates:
                ks.new_candidates = []
        self.executing = executing
        if server.monitors and "skip_monitor" not in cmd.flags and "admin" not in cmd.flags:
            feed_monitors(server, self, argv, cmd)  # after the command, as 7.0's call() does
        if self.tracking is not None:
            self._after_tracked(cmd, argv)
        took = _perf() - t0
        cmd.durations.append(took)
        if took >= server.timing_threshold:
            self._slow_command(cmd, argv, took)
        cmd.calls += 1
        if ks.dirty != dirty:
            self._record_write(argv)
            if len(self._log) - mark > 1 and not self.in_exec:
                self._wrap_multi(mark)
            # After a top-level command (a whole EXEC or script too): serve the clients
            # blocked on keys it made ready.
            if ks.ready_keys and not self.in_exec:
                self._serve_blocked()
        else:
            self.propagate = None

    def _execute_slow(self, argv: list[bytes], cmd: Command | None) -> Any:
        if self._cluster is None:
            return self._process_command(argv, cmd)
        asking = self.asking
        result = self._process_command(argv, cmd)
        # resetClient: ASKING holds for the next command only (and inside MULTI)
        if asking and self.multi is None and not (cmd is not None and cmd.name == "asking"):
            self.asking = False
            self.slow &= ~SLOW_ASKING
        return result

    def _process_command(self, argv: list[bytes], cmd: Command | None) -> Any:
        """processCommand: every check Redis makes before running a command, in its order."""
        if self.slow & SLOW_REPLY:
            return self._execute_quietly(argv, cmd)
        if self.slow & SLOW_CLOSING:
            return
        bad = wire.non_bulk_error(argv)
        if bad is not None:
            raise bad
        if cmd is None:
            name = argv[0]
            if name.lower() in _CROSS_PROTOCOL:
                self._security_warning()
                return
            args = b""
            for a in argv[1:]:
                if len(args) >= 128:
                    break
                args += b"'%b' " % a[: 128 - len(args)]
            self.server.unknown_commands += 1
            self._reject(
                None, b"-ERR unknown command '%b', with args beginning with: %b" % (name[:128], args),
                "ERR",
            )  # fmt: skip
            return
        if cmd.subcommands and len(argv) >= 2:
            sub = cmd.subcommands.get(argv[1].lower())
            if sub is None:
                self._reject(
                    None,
                    b"-ERR unknown subcommand '%b'. Try %b HELP."
                    % (argv[1][:128], cmd.name.upper().encode()),
                    "ERR",
                )
                return
            cmd = sub
        n = len(argv)
        if (cmd.arity > 0 and cmd.arity != n) or n < -cmd.arity:
            self._reject(
                cmd,
                b"-ERR wrong number of arguments for '%s' command" % cmd.full_name.encode(),
                "ERR",
            )
            return
        if cmd.name == "debug" and not allow_protected_action(
            self.server.config.enable_debug_command, self.peer
        ):
            self._reject(cmd, DEBUG_NOT_ALLOWED, "ERR")
            return
        slow = self.slow
        if slow & SLOW_AUTH and not cmd.noauth:
            self._reject(cmd, b"-NOAUTH Authentication required.", "NOAUTH")
            return
        if self.multi is not None and "no_multi" in cmd.flags:
            self._reject(cmd, b"-ERR Command not allowed inside a transaction", "ERR")
            return
        if slow & SLOW_ACL:
            refused = acl_refusal(self, cmd, argv)
            if refused is not None:
                self._reject(cmd, refused, "NOPERM")
                return
        if self._cluster is not None and not self.is_master and (
            cmd.first_key or cmd.getkeys is not None or cmd.name == "exec"
            or (cmd.parent is None and (
                cmd.name in ("ssubscribe", "sunsubscribe", "spublish")
                or cmd.name in self._cluster.key_finders  # keys only its key specs name
            ))
        ):  # fmt: skip
            error = redirect(self._cluster, self, cmd, argv)
            if error is not None:
                if cmd.name == "exec" and cmd.parent is None:
                    self.discard_transaction()
                elif self.multi is not None:
                    self.multi_error = True
                cmd.rejected_calls += 1
                self._out.append(error + b"\r\n")
                self._count_error(error[1 : error.index(b" ")].decode())
                return
        server = self.server
        if server.config.maxmemory and server.busy_script is None:
            out_of_memory = not perform_evictions(server, self)
            top = (cmd.parent or cmd).name
            reject = "denyoom" in cmd.flags or (
                top == "exec" and any("denyoom" in c.flags for c, _ in self.multi or ())
            )
            if self.multi is not None and top not in ("exec", "discard", "quit", "reset"):
                reject = True  # queuing takes memory too
            if out_of_memory and reject:
                self._reject(cmd, OOM_ERROR, "OOM")
                return
            server.pre_command_oom_state = out_of_memory
        if slow & SLOW_MISCONF and (cmd.write or cmd.name == "ping"):
            error = self.server.misconf_reply()
            if error:
                if self.multi is None:
                    self._misconf_replies += 1
                self._reject(cmd, error, "MISCONF")
                return
        if cmd.write and self.server.writes_paused and self.pause(argv):  # FAILOVER
            return
        if cmd.write and self.server.write_denied is not None:  # -NOREPLICAS, -READONLY
            denied = self.server.write_denied.rstrip(b"\r\n")
            self._reject(cmd, denied, denied[1 : denied.index(b" ")].decode())
            return
        if self.server.master_down and "stale" not in cmd.flags and not self.is_master:
            self._reject(
                cmd,
                b"-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to "
                b"'no'.",
                "MASTERDOWN",
            )
            return
        if slow & SLOW_PUBSUB and not self.resp3:
            top_name = (cmd.parent or cmd).name.encode()
            if top_name not in _PUBSUB_CONTEXT:
                self._reject(
                    cmd,
                    b"-ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING "
                    b"/ QUIT / RESET are allowed in this context" % cmd.full_name.encode(),
                    "ERR",
                )
                return
        busy = self.server.busy_script
        if busy is not None and "allow_busy" not in cmd.flags:
            self._reject(cmd, _SLOW_EVAL if busy.eval_mode else _SLOW_SCRIPT, "BUSY")
            return
        if server.client_pause_mode is not None and pauses(server, cmd, self.multi):
            if self.pause(argv):  # CLIENT PAUSE: it runs (from scratch) when the pause ends
                return
        if self.multi is not None and (cmd.parent or cmd).name.encode() not in _NOT_QUEUED:
            if not (self.multi_error or self.dirty_cas):
                self.multi.append((cmd, argv))
            self._out.append(_QUEUED)
            return
        return self._call(cmd, argv)

    # -- state changes commands make -------------------------------------
    def select(self, db_id: int) -> None:
        self.db_id = db_id
        self.db = self.server.keyspace.dbs[db_id]

    def set_authenticated(self) -> None:
        """An internal client (the master's link) that no ACL restricts (Redis's NULL user)."""
        self.authenticated = True
        self.acl_user = self.server.acl.superuser
        self.slow &= ~(SLOW_AUTH | SLOW_ACL)

    def close_after_reply(self) -> None:
        self.slow |= SLOW_CLOSING


def encode_log_batch(entries: list[tuple[int, list[bytes]]]) -> bytes:
    """One log record: the batch's ``(db, argv)`` pairs in marshal's version 2, which has no
    back-references (versions 3 and 4 hash every object into a table of them first: four
    times the cost for a batch of small byte strings); ``marshal.loads`` reads every version."""
    return _dumps(entries, 2)
