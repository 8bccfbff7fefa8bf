"""One Redis client connection (sans-I/O): parse requests, check them against the
command table, run them, encode the replies, and hand writes to the log."""

from __future__ import annotations

import logging
import marshal
from typing import TYPE_CHECKING, Any

from polystack.redis import blocked, wire
from polystack.redis.blocking import Block
from polystack.redis.commands.table import Command
from polystack.redis.errors import RedisError
from polystack.redis.flags import SLOW_AUTH, SLOW_CLOSING, SLOW_MISCONF, SLOW_MULTI, SLOW_PUBSUB
from polystack.redis.store import Database

if TYPE_CHECKING:
    from polystack.runtime.connection import Peer

log = logging.getLogger(__name__)

_encode = wire.encode
_OK = wire.OK
_dumps = marshal.dumps
_BULK_PREFIX = [b"$%d\r\n" % n for n in range(4096)]

__all__ = [
    "SLOW_AUTH",
    "SLOW_CLOSING",
    "SLOW_MISCONF",
    "SLOW_MULTI",
    "SLOW_PUBSUB",
    "Client",
    "encode_log_batch",
]


class Client:
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
        self.user = "default"
        self.authenticated = not server.config.requirepass
        self.slow = 0 if self.authenticated else SLOW_AUTH
        self.created = server.clock.time()
        self.last_interaction = self.created
        self.last_cmd = "NULL"
        self.no_evict = False
        # Blocking commands: the Block this client waits on (and the db it waits in), its
        # timeout timer; deny_blocking makes them answer at once (MULTI/EXEC, scripts).
        self.blocked: Block | None = None
        self.blocked_db: Database | None = None
        self.block_timer: Any = None
        self.deny_blocking = False
        self.propagate: list[list[bytes]] | None = None
        self.multi: list[list[bytes]] | None = None
        self._out: list[bytes] = []
        self._log: list[tuple[int, list[bytes]]] = []
        # Requests parsed but not run because the connection's output is full (flow control).
        self._pending: list[list[bytes]] | None = None
        self._misconf_replies = 0  # -MISCONF replies in this batch (they reveal no state)
        self._parser = wire.RequestParser(server.config.client_query_buffer_limit)
        self._clock_time = server.clock.time
        self.ks = server.keyspace
        # This server's own command table (its call counters are per server).
        self._commands_get = server.commands.get
        self._dispatch_get = server.dispatch.get
        server.clients[self.id] = self

    # -- the runtime's interface -------------------------------------------
    def feed(self, data: bytes) -> None:
        self.last_interaction = self._clock_time()
        try:
            requests = self._parser.feed(data)
            error = None
        except wire.ProtocolError as e:
            requests = e.requests
            error = e
        if self._pending is not None:
            requests = self._pending + requests
            self._pending = None
        if self.blocked is not None:  # input waits until the client is served or times out
            if requests:
                self._pending = requests
            requests = []
        if requests:
            try:
                self._run(requests)
            except wire.ProtocolError as e:
                error = e
            except (TypeError, AttributeError):
                # A read command tripped over an item that is not a bulk string (see _run).
                error = next(filter(None, map(wire.non_bulk_error, requests)), None)
                if error is None:
                    raise
        if error is not None:
            self._out.append(error.reply())
            self.slow |= SLOW_CLOSING
        self._finish_batch()
        if self.slow & SLOW_CLOSING:
            self.peer.close()

    def connection_lost(self) -> None:
        if self.blocked is not None:
            blocked.unblock(self)
        self.server.clients.pop(self.id, None)
        self.server.client_gone(self)

    def resume_writing(self) -> None:
        """The output drained: run the requests held back while it was full."""
        if self._pending is not None:
            self.feed(b"")

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

    def push(self, value: Any) -> None:
        """Send an out-of-band reply (pub/sub message, CLIENT KILL notice) outside a batch."""
        out: list[bytes] = []
        _encode(value, self.resp3, out)
        self.peer.write(b"".join(out))

    # -- executing -----------------------------------------------------------
    def _run(self, requests: list[list[bytes]]) -> None:
        """Run a batch of requests and queue their replies (the hot path: keep it lean)."""
        out = self._out
        extend = out.extend
        ks = self.ks
        budget = self.peer.output_room()
        produced = 0
        commands_get = self._commands_get
        dispatch_get = self._dispatch_get
        it = iter(requests)
        for argv in it:
            if self.slow:
                blk = self._execute_slow(argv, commands_get(argv[0].lower()))
                if blk is not None:
                    self._block(blk, it)
                    return
                continue
            cmd = dispatch_get(argv[0])
            if cmd is None or cmd.subcommands:
                blk = self._execute_slow(argv, commands_get(argv[0].lower()))
                if blk is not None:
                    self._block(blk, it)
                    return
                continue
            n = len(argv)
            arity = cmd.arity
            if (arity > 0 and arity != n) or n < -arity:
                out.append(
                    b"-ERR wrong number of arguments for '%s' command\r\n" % cmd.name.encode()
                )
                cmd.rejected_calls += 1
                continue
            if cmd.write:
                for a in argv:
                    if type(a) is not bytes:
                        raise wire.non_bulk_error(argv)  # type: ignore[misc]
            dirty = ks.dirty
            self.last_cmd = cmd
            try:
                reply = cmd.handler(self, argv)
            except RedisError as e:
                out.append(e.encode())
                cmd.failed_calls += 1
                self._count_error(e.code)
            else:
                if reply is _OK:
                    out.append(b"+OK\r\n")
                elif type(reply) is bytes and len(reply) < 4096:
                    extend((_BULK_PREFIX[len(reply)], reply, b"\r\n"))
                elif type(reply) is int:
                    out.append(b":%d\r\n" % reply)
                else:
                    if type(reply) is Block:
                        cmd.calls += 1
                        self._block(reply, it)
                        return
                    start = len(out)
                    _encode(reply, self.resp3, out)
                    # Stop before building more once the output is full (flow control).
                    produced += sum(map(len, out[start:]))
                    if produced >= budget and self.peer.output_full(produced):
                        self._pending = list(it)  # drains ``it``: the loop ends here
            cmd.calls += 1
            if ks.dirty != dirty:
                if self.propagate is None:  # the common case, inline: this is the hot path
                    self._log.append((self.db_id, argv))
                else:
                    self._record_write(argv)
                if ks.ready_keys:
                    self._serve_blocked()

    def _record_write(self, argv: list[bytes]) -> None:
        """Queue a command that changed the dataset for the log (its propagated form, if any)."""
        if self.propagate is None:
            self._log.append((self.db_id, argv))
        else:
            for p in self.propagate:
                self._log.append((self.db_id, p))
            self.propagate = None

    def _count_error(self, code: str) -> None:
        counts = self.server.error_counts
        counts[code] = counts.get(code, 0) + 1

    def _call(self, cmd: Command, argv: list[bytes]) -> Block | None:
        ks = self.ks
        dirty = ks.dirty
        self.last_cmd = cmd
        try:
            reply = cmd.handler(self, argv)
        except RedisError as e:
            self._out.append(e.encode())
            cmd.failed_calls += 1
            self._count_error(e.code)
        else:
            if type(reply) is Block:
                cmd.calls += 1
                return reply
            _encode(reply, self.resp3, self._out)
        cmd.calls += 1
        if ks.dirty != dirty:
            self._record_write(argv)
            if ks.ready_keys:
                self._serve_blocked()
        return None

    # -- blocking commands ---------------------------------------------------------------------
    def _block(self, blk: Block, rest: Any) -> None:
        """Park this client; the requests after the blocking one wait for it."""
        remaining = list(rest)
        if remaining:
            self._pending = remaining + (self._pending or [])
        blocked.block(self, blk)

    def _serve_blocked(self) -> None:
        """Keys became ready: write what this client's batch logged so far first (the
        served clients' pops follow it in the log), then serve the waiting clients."""
        if self._log:
            self.server.log_commands(self._log)
            self._log = []
        blocked.handle_ready_keys(self.ks)

    def deliver(self, reply: Any) -> None:
        """The reply of the command this client was blocked in (served, timed out or
        unblocked), with its write logged; its queued input runs on the next loop turn."""
        if isinstance(reply, RedisError):
            self._out.append(reply.encode())
            self._count_error(reply.code)
            self.propagate = None
        else:
            _encode(reply, self.resp3, self._out)
            if self.propagate is not None:
                for p in self.propagate:
                    self._log.append((self.db_id, p))
                self.propagate = None
        self._finish_batch()
        if self._pending is not None:
            self.server.clock.call_later(0, self._resume)

    def unblock_by_client(self, error: bool) -> bool:
        """CLIENT UNBLOCK of this client (a timeout's reply, or -UNBLOCKED)."""
        return blocked.kill(self, error)

    def _resume(self) -> None:
        if self.blocked is None and self._pending is not None and not self.peer.closed:
            self.feed(b"")

    def _execute_slow(self, argv: list[bytes], cmd: Command | None) -> Block | None:
        out = self._out
        if self.slow & SLOW_CLOSING:
            return
        bad = wire.non_bulk_error(argv)
        if bad is not None:
            raise bad
        if cmd is None:
            name = argv[0]
            args = b""
            for a in argv[1:]:
                if len(args) >= 128:
                    break
                args += b"'%b' " % a[: 128 - len(args)]
            err = b"-ERR unknown command '%b', with args beginning with: %b" % (name[:128], args)
            out.append(err.replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n")
            self.server.unknown_commands += 1
            self._count_error("ERR")
            return
        if cmd.subcommands and len(argv) >= 2:
            sub = cmd.subcommands.get(argv[1].lower())
            if sub is None:
                msg = b"-ERR unknown subcommand '%b'. Try %b HELP." % (
                    argv[1][:128],
                    cmd.name.upper().encode(),
                )
                out.append(msg.replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n")
                return
            cmd = sub
        n = len(argv)
        if (cmd.arity > 0 and cmd.arity != n) or n < -cmd.arity:
            out.append(
                b"-ERR wrong number of arguments for '%s' command\r\n" % cmd.full_name.encode()
            )
            cmd.rejected_calls += 1
            self._count_error("ERR")
            return
        if self.slow & SLOW_AUTH and not cmd.noauth:
            out.append(b"-NOAUTH Authentication required.\r\n")
            cmd.rejected_calls += 1
            self._count_error("NOAUTH")
            return
        if self.slow & SLOW_MISCONF and (cmd.write or cmd.name == "ping"):
            error = self.server.aof_write_error
            if error:
                out.append(b"-MISCONF Errors writing to the AOF file: %s\r\n" % error.encode())
                self._misconf_replies += 1
                cmd.rejected_calls += 1
                self._count_error("MISCONF")
                return
        return self._call(cmd, argv)

    def replay_command(self, db_id: int, argv: list[bytes]) -> bool:
        """Run a command read back from the log (no reply); False when it is unknown."""
        cmd = self._commands_get(argv[0].lower())
        if cmd is None:
            log.warning("log names an unknown command %r; skipped", argv[0])
            return False
        if cmd.subcommands and len(argv) > 1:
            cmd = cmd.subcommands.get(argv[1].lower(), cmd)
        if self.db_id != db_id:
            self.select(db_id)
        try:
            cmd.handler(self, argv)
        except Exception as e:  # a logged command that fails now must not stop recovery
            log.warning("replaying %s failed: %s", argv[0], e)
        self.propagate = None
        return True

    # -- state changes commands make -------------------------------------
    def select(self, db_id: int) -> None:
        self.db_id = db_id
        self.db = self.server.keyspace.dbs[db_id]

    def set_authenticated(self, user: str = "default") -> None:
        self.authenticated = True
        self.user = user
        self.slow &= ~SLOW_AUTH

    def close_after_reply(self) -> None:
        self.slow |= SLOW_CLOSING

    def now_ms(self) -> int:
        return self.server.clock.time_ms()


def encode_log_batch(entries: list[tuple[int, list[bytes]]]) -> bytes:
    return _dumps(entries)
