"""Blocking a client (blocked.c): a command handler that cannot answer yet returns
:data:`BLOCKED`; the session then holds the client's further input until something calls
``client.unblock(reply)`` (WAIT: enough replica acknowledgements, or its timeout)."""

from __future__ import annotations


class _Blocked:
    __slots__ = ()

    def __repr__(self) -> str:
        return "BLOCKED"


BLOCKED = _Blocked()
