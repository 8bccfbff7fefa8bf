"""A Sentinel's connections to the instances it watches (sans-I/O): the command link (PING,
INFO, PUBLISH of hellos, the failover's MULTI ... EXEC, SENTINEL is-master-down-by-addr to
other Sentinels) where each reply goes to the callback its command named, and the pub/sub
link subscribed to ``__sentinel__:hello``."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import hiredis

log = logging.getLogger(__name__)

Reply = Any
Callback = Callable[[Reply], None] | None


def encode(args: tuple[Any, ...]) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        parts.append(b"$%d\r\n%b\r\n" % (len(a), a))
    return b"".join(parts)


def is_error(reply: Reply) -> bool:
    return isinstance(reply, hiredis.ReplyError)


class InstanceLink:
    """One connection from the Sentinel to an instance (``kind`` "cmd" or "pubsub")."""

    def __init__(self, owner: Any, kind: str, peer: Any) -> None:
        self.owner = owner  # the Instance this link belongs to
        self.kind = kind
        self.peer = peer
        self.reader = hiredis.Reader()
        self.callbacks: deque[Callback] = deque()
        self.closed = False
        self.on_message: Callable[[list[Any]], None] | None = None
        owner.link_connected(self)

    @property
    def pending(self) -> int:
        return len(self.callbacks)

    def command(self, *args: Any, cb: Callback = None) -> None:
        if self.closed:
            return
        self.callbacks.append(cb)
        self.peer.write_stateless(encode(args))

    def feed(self, data: bytes) -> None:
        self.reader.feed(data)
        while True:
            try:
                reply = self.reader.gets()
            except hiredis.ProtocolError:
                self.close()
                return
            if reply is False:
                return
            if self.kind == "pubsub" and isinstance(reply, list) and reply[:1] == [b"message"]:
                if self.on_message is not None:
                    self.on_message(reply)
                continue
            cb = self.callbacks.popleft() if self.callbacks else None
            if cb is not None:
                try:
                    cb(reply)
                except Exception:  # one bad reply must not take the Sentinel down
                    log.exception("sentinel: handling a reply failed")

    def connection_lost(self) -> None:
        if not self.closed:
            self.closed = True
            self.owner.link_closed(self)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.peer.abort()
            self.owner.link_closed(self)
