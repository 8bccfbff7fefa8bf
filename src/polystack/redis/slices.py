"""Long reads that yield the event loop: every system of the process shares one loop, so a
command that Redis runs in one go (and during which Redis serves no one) is walked here in
slices, one per loop turn, over a copy of what it reads taken when the command runs.  The
client waits (blocked, its further input held) and gets the same reply Redis would have given
at that moment; the other clients and systems are served meanwhile.

Used by KEYS on a large database (README "Security": the loop-hold bounds)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

SLICE = 20_000  # items per loop turn (about 20 ms of KEYS matching)


def can_yield(client: Any) -> bool:
    """A client that may wait: not inside EXEC or a script, with a loop running."""
    if client.deny_blocking or not hasattr(client.peer, "transport"):
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def walk(
    client: Any,
    items: Sequence[Any],
    visit: Callable[[Sequence[Any]], None],
    finish: Callable[[], bytes],
) -> Any:
    """Call ``visit`` on ``items`` a slice per loop turn, then answer the client with
    ``finish()``.  Returns what the command handler returns (BLOCKED)."""
    loop = asyncio.get_running_loop()

    def step(start: int) -> None:
        if client.peer.closed:
            return
        end = start + SLICE
        visit(items[start:end])
        if end < len(items):
            loop.call_soon(step, end)
        else:
            client.unblock(finish())

    loop.call_soon(step, 0)
    return client.block("walk")
