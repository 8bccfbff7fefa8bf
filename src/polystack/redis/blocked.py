"""Blocking a client on a condition that is not a key (blocked.c: WAIT, a FAILOVER pause):
the command handler returns :data:`BLOCKED`; the session then holds the client's further
input until something calls ``client.unblock(reply)`` (WAIT: enough replica acknowledgements,
or its timeout) or ``client.unpause()``.  Blocking on keys (BLPOP ...) is blocking.py's."""

from __future__ import annotations


class _Blocked:
    __slots__ = ()

    def __repr__(self) -> str:
        return "BLOCKED"


BLOCKED = _Blocked()
