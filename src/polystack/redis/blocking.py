"""What a blocking command (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK ...) hands back when it has to
wait: a :class:`Block`.  The session parks the client on the keys (in arrival order, per key)
and, when a key holding a value of the awaited type becomes ready, calls ``serve`` for the
first waiting client, then the next, while the value lasts; or answers ``timeout_reply``
when the deadline passes.  A command never blocks when ``client.deny_blocking`` is set
(inside MULTI/EXEC and scripts): it answers as on a timeout instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# serve() returns this when the client must keep waiting.
NOT_READY = object()


class Block:
    __slots__ = ("keys", "timeout_ms", "kind", "serve", "timeout_reply", "gone")

    def __init__(
        self,
        keys: list[bytes],
        timeout_ms: int,
        kind: type,
        serve: Callable[[Any, bytes, Any], Any],
        timeout_reply: Any,
        gone: Callable[[Any, bytes, Any], Any] | None = None,
    ) -> None:
        self.keys = keys
        self.timeout_ms = timeout_ms  # relative; 0 waits forever
        self.kind = kind  # the value type that can serve it
        self.serve = serve  # fn(client, key, value) -> reply, or NOT_READY
        self.timeout_reply = timeout_reply
        # fn(client, key, value) -> reply or NOT_READY, for a ready key whose value is
        # missing or of another type (XREADGROUP is unblocked with an error then)
        self.gone = gone
