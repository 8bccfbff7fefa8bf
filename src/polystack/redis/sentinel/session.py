"""One client of the Sentinel (sans-I/O): requests parsed as Redis parses them, dispatched to
Sentinel's command table, and the pub/sub a client uses to follow Sentinel's events
(``+switch-master`` ...)."""

from __future__ import annotations

import logging
from typing import Any

from polystack.redis import wire
from polystack.redis.errors import RedisError
from polystack.redis.glob import stringmatch
from polystack.redis.sentinel.commands import COMMANDS

log = logging.getLogger(__name__)

_SUBSCRIBER_OK = frozenset(
    (b"subscribe", b"psubscribe", b"unsubscribe", b"punsubscribe", b"ping", b"quit", b"reset")
)


class SentinelSession:
    def __init__(self, service: Any, peer: Any) -> None:
        self.service = service
        self.sentinel = service.sentinel
        self.peer = peer
        self.parser = wire.RequestParser()
        self.resp3 = False
        self.name = b""
        self.last_cmd = "NULL"
        self.channels: set[bytes] = set()
        self.patterns: set[bytes] = set()
        self.authenticated = not service.config.requirepass
        self.closing = False
        service.sessions[peer.id] = self

    @property
    def subscribed(self) -> bool:
        return bool(self.channels or self.patterns)

    # -- the runtime's interface ------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        out: list[bytes] = []
        try:
            requests = self.parser.feed(data)
            error = None
        except wire.ProtocolError as e:
            requests, error = e.requests, e
        for argv in requests:
            if self.closing:
                break
            self._dispatch(argv, out)
        if error is not None:
            out.append(error.reply())
            self.closing = True
        if out:
            self.peer.write(b"".join(out))
        if self.closing:
            self.peer.close()

    def connection_lost(self) -> None:
        self.service.sessions.pop(self.peer.id, None)

    def shutdown(self, reason: str) -> None:
        self.peer.close()

    # -- dispatch -----------------------------------------------------------------------------
    def _dispatch(self, argv: list[bytes], out: list[bytes]) -> None:
        bad = wire.non_bulk_error(argv)
        if bad is not None:
            out.append(bad.reply())
            self.closing = True
            return
        name = argv[0].lower()
        self.last_cmd = name.decode("latin-1")
        if name == b"quit":
            out.append(b"+OK\r\n")
            self.closing = True
            return
        if not self.authenticated and name not in (b"auth", b"hello"):
            out.append(b"-NOAUTH Authentication required.\r\n")
            return
        if self.subscribed and not self.resp3 and name not in _SUBSCRIBER_OK:
            out.append(
                b"-ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT "
                b"/ RESET are allowed in this context\r\n" % name
            )
            return
        if name in (b"subscribe", b"psubscribe", b"unsubscribe", b"punsubscribe"):
            self._pubsub(name, argv, out)
            return
        entry = COMMANDS.get(name)
        if entry is None:
            args = b"".join(b"'%b' " % a[:128] for a in argv[1:])[:128]
            out.append(
                (b"-ERR unknown command '%b', with args beginning with: %b" % (argv[0][:128], args))
                .replace(b"\r", b" ")
                .replace(b"\n", b" ")
                + b"\r\n"
            )
            return
        arity, fn = entry
        if (arity > 0 and len(argv) != arity) or len(argv) < -arity:
            out.append(b"-ERR wrong number of arguments for '%s' command\r\n" % name)
            return
        try:
            reply = fn(self, argv)
        except RedisError as e:
            out.append(e.encode())
            return
        wire.encode(reply, self.resp3, out)

    def _pubsub(self, name: bytes, argv: list[bytes], out: list[bytes]) -> None:
        service = self.service
        if name == b"subscribe" or name == b"psubscribe":
            if len(argv) < 2:
                out.append(b"-ERR wrong number of arguments for '%s' command\r\n" % name)
                return
            target = self.channels if name == b"subscribe" else self.patterns
            for ch in argv[1:]:
                target.add(ch)
                service.subscribe(self, ch, name == b"psubscribe")
                self._push([name, ch, len(self.channels) + len(self.patterns)], out)
            return
        target = self.channels if name == b"unsubscribe" else self.patterns
        names = argv[1:] or sorted(target)
        if not names:
            self._push([name, None, len(self.channels) + len(self.patterns)], out)
            return
        for ch in names:
            target.discard(ch)
            service.unsubscribe(self, ch, name == b"punsubscribe")
            self._push([name, ch, len(self.channels) + len(self.patterns)], out)

    def _push(self, value: list[Any], out: list[bytes]) -> None:
        wire.encode(wire.Push(value), self.resp3, out)

    def deliver(self, channel: bytes, message: bytes, pattern: bytes | None) -> None:
        out: list[bytes] = []
        if pattern is None:
            self._push([b"message", channel, message], out)
        else:
            self._push([b"pmessage", pattern, channel, message], out)
        self.peer.write(b"".join(out))


def matches(pattern: bytes, channel: bytes) -> bool:
    return stringmatch(pattern, channel)
