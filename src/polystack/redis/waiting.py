"""A client's waits (a mixin of the session's Client, using its state as session.py keeps it):
blocking on keys (blocked_keys.py) and on WAIT/FAILOVER/busy scripts (blocked.py), the FAILOVER
and CLIENT PAUSE pause of a write, the output's back-pressure, and the late reply of a command
that waited (``deliver``): the input that arrived meanwhile runs when the wait ends.
"""

from __future__ import annotations

from typing import Any

from polystack.redis import blocked_keys, wire
from polystack.redis.blocked import BLOCKED
from polystack.redis.blocking import Block
from polystack.redis.errors import RedisError

_encode = wire.encode


class Waiting:
    """Client's blocking, pausing and late-reply methods."""

    # (the Client's, declared for the type checker)
    server: Any
    peer: Any
    ks: Any
    blocked: Any
    is_master: Any
    repl: Any
    reply_flags: Any
    resp3: Any
    propagate: Any
    db_id: Any
    woff: Any
    _log: Any
    _out: Any
    _pending: Any
    _requeue: Any
    feed: Any
    _finish_batch: Any
    _count_error: Any
    _late_reply_dropped: Any

    # -- blocking (blocked.py) ----------------------------------------------------
    def flush_writes(self) -> None:
        """Hand this batch's writes to the log and the replicas now (WAIT must count them)."""
        if self._log:
            self.server.log_commands(self._log)
            self._log = []
        self.woff = self.server.repl_offset()

    def block(self, what: Any) -> Any:
        """Block on ``what`` (the handler returns the result: BLOCKED)."""
        self.blocked = what
        return BLOCKED

    def pause(self, argv: list[bytes]) -> bool:
        """A write while FAILOVER pauses writes: it waits (with the input after it) and runs
        when the pause ends.  The master's and replicas' links are never paused."""
        if self.is_master or self.repl is not None:
            return False
        self._requeue = [argv]
        self.blocked = "pause"
        self.server.paused_clients.add(self)
        return True

    def unpause(self) -> None:
        if self.blocked == "pause":
            self.blocked = None
            if self._pending is not None and not self.peer.closed:
                self.feed(b"")

    def unblock(self, reply: bytes) -> None:
        """Answer the blocked command and run the input held meanwhile."""
        if self.blocked is None:
            return
        self.blocked = None
        if not (self.reply_flags and self._late_reply_dropped()):
            self.peer.write(reply)
        if self._pending is not None and not self.peer.closed:
            self.feed(b"")

    def resume_writing(self) -> None:
        """The output drained: run the requests held back while it was full."""
        if self._pending is not None:
            self.feed(b"")

    # -- blocking on keys (blocked_keys.py) ------------------------------------------------------
    def _serve_blocked(self) -> None:
        """Keys became ready: write what this client's batch logged so far first (the
        served clients' writes follow it in the log), then serve the waiting clients."""
        if self._log:
            self.server.log_commands(self._log)
            self._log = []
        blocked_keys.handle_ready_keys(self.ks)

    def deliver(self, reply: Any) -> None:
        """The reply of the blocking command this client waited in (served, timed out or
        unblocked), with its write logged; its queued input runs on the next loop turn."""
        mark = len(self._out)
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
        if self.reply_flags and self._late_reply_dropped():
            del self._out[mark:]
        self._finish_batch()
        if self._pending is not None:
            self.server.clock.call_later(0, self._resume)

    def unblock_by_client(self, error: bool) -> bool:
        """CLIENT UNBLOCK of a client blocked on keys (a timeout's reply, or -UNBLOCKED)."""
        if type(self.blocked) is not Block:
            return False
        return blocked_keys.kill(self, error)

    def _resume(self) -> None:
        if self.blocked is None and self._pending is not None and not self.peer.closed:
            self.feed(b"")
