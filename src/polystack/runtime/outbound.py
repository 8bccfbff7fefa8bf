"""Outbound connections (a Redis replica's link to its master, a Sentinel's links to the
instances it monitors): the same :class:`~polystack.runtime.connection.Peer` and sans-I/O
session contract as a listener's clients, opened by this server instead of accepted."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from polystack.runtime.clock import Clock
from polystack.runtime.connection import ListenerState, Peer, Session
from polystack.runtime.log import LogGroup


def outbound_state(
    name: str, factory: Callable[[Peer], Session], logs: LogGroup, clock: Clock
) -> ListenerState:
    """A ListenerState for connections this server opens (no client limit)."""
    return ListenerState(name, factory, max_clients=1 << 30, reject=b"", logs=logs, clock=clock)


async def connect(
    host: str,
    port: int,
    factory: Callable[[Peer], Session],
    *,
    logs: LogGroup,
    clock: Clock,
    name: str = "outbound",
    timeout: float = 10.0,
) -> Peer:
    """Open a TCP connection to ``host:port``; ``factory(peer)`` makes its session (called once
    connected, as for an accepted client).  Raises OSError (or TimeoutError)."""
    loop = asyncio.get_running_loop()
    state = outbound_state(name, factory, logs, clock)
    _, peer = await asyncio.wait_for(
        loop.create_connection(lambda: Peer(state), host, port), timeout
    )
    return peer
