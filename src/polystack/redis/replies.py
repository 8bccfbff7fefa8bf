"""What a client is answered besides its commands' own replies (a mixin of the session's
Client, using its state as session.py keeps it): out-of-band pushes, rejectCommand's errors,
CLIENT REPLY OFF/SKIP's silenced replies, and the cross-protocol (HTTP) request's abort.
"""

from __future__ import annotations

import logging
from typing import Any

from polystack.redis import wire
from polystack.redis.commands.table import Command
from polystack.redis.flags import REPLY_OFF, REPLY_SKIP, REPLY_SKIP_NEXT, SLOW_CLOSING, SLOW_REPLY

log = logging.getLogger(__name__)
_encode = wire.encode


class Replies:
    """Client's pushes, rejections and CLIENT REPLY handling."""

    # (the Client's, declared for the type checker)
    server: Any
    peer: Any
    resp3: Any
    slow: Any
    multi: Any
    multi_error: Any
    blocked: Any
    reply_flags: Any
    _out: Any
    _in_batch: Any
    _abort: Any
    _clock_time: Any
    _execute_slow: Any
    _count_error: Any
    discard_transaction: Any

    def push(self, value: Any) -> None:
        """Send an out-of-band reply (CLIENT KILL notice, invalidation ...)."""
        out: list[bytes] = []
        _encode(value, self.resp3, out)
        self.push_raw(b"".join(out), None)

    def push_raw(self, resp2: bytes, resp3: bytes | None) -> None:
        """Queue a pre-encoded push (``resp3`` for a RESP3 client when given): after the
        replies already produced, in this batch if the client is running one."""
        data = resp3 if (self.resp3 and resp3 is not None) else resp2
        if self._in_batch:
            self._out.append(data)
        else:
            self.peer.write(data)

    def _reject(self, cmd: Command | None, error: bytes, code: str) -> None:
        """rejectCommand: an error reply before the command ran (which also dooms a MULTI;
        a refused EXEC discards the transaction with -EXECABORT and the reason)."""
        if self.multi is not None:
            self.multi_error = True
        if cmd is not None:
            cmd.rejected_calls += 1
        if cmd is not None and cmd.name == "exec" and cmd.parent is None:
            self.discard_transaction()
            # rejectCommandFormat's texts carry no ERR code; shared errors keep theirs
            reason = error[5:] if error.startswith(b"-ERR ") else error[1:]
            error = b"-EXECABORT Transaction discarded because of: " + reason
            code = "EXECABORT"
        self._out.append(error.replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n")
        self._count_error(code)

    def _execute_quietly(self, argv: list[bytes], cmd: Command | None) -> None:
        """A command run under CLIENT REPLY OFF or SKIP: what it answers is dropped (CLIENT
        REPLY ON's own +OK excepted: it clears the flags first)."""
        flags = self.reply_flags
        if flags & REPLY_SKIP_NEXT:  # the command after CLIENT REPLY SKIP
            flags = (flags | REPLY_SKIP) & ~REPLY_SKIP_NEXT
        self.reply_flags = flags
        mark = len(self._out)
        self.slow &= ~SLOW_REPLY
        try:
            self._execute_slow(argv, cmd)
        finally:
            flags = self.reply_flags
            if flags & (REPLY_OFF | REPLY_SKIP):
                del self._out[mark:]
            if self.blocked is None:  # (a waiting command's answer is silenced when it comes)
                self.reply_flags = flags = flags & ~REPLY_SKIP
            if flags:
                self.slow |= SLOW_REPLY

    def _late_reply_dropped(self) -> bool:
        """CLIENT REPLY OFF or SKIP silence the answer of a command that waited, too."""
        flags = self.reply_flags
        if not flags:
            return False
        self.reply_flags = flags & ~REPLY_SKIP
        if not self.reply_flags:
            self.slow &= ~SLOW_REPLY
        return bool(flags & (REPLY_OFF | REPLY_SKIP))

    def _security_warning(self) -> None:
        """securityWarningCommand: ``POST`` and ``Host:`` are an HTTP request sent to the
        Redis port (a web page can make a browser send one to 127.0.0.1).  The connection is
        dropped without a reply and without reading further; logged at most once a minute."""
        server = self.server
        now = self._clock_time()
        if abs(now - server.security_warning_at) > 60:
            server.security_warning_at = now
            log.warning(
                "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or "
                "Host: commands to Redis. This is likely due to an attacker attempting to use "
                "Cross Protocol Scripting to compromise your Redis instance. Connection aborted."
            )
        self._out.clear()
        self.slow |= SLOW_CLOSING
        self._abort = True
