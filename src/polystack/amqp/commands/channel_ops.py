"""channel.open / close / close-ok / flow."""

from __future__ import annotations

from typing import Any

from pamqp.commands import Channel as C

from ..errors import AMQPError
from ..wire import build
from . import method


@method(20, 10)
def channel_open(conn: Any, ch: Any, m: Any) -> None:
    if ch is not None:
        raise AMQPError(504, "second 'channel.open' seen", 20, 10, connection=True)
    ch = conn.open_channel(conn.current_channel)
    ch.send_method(build(C.OpenOk, channel_id=""))


@method(20, 40)
def channel_close(conn: Any, ch: Any, m: Any) -> None:
    conn.close_channel(ch)
    ch.send_method(build(C.CloseOk))


@method(20, 41)
def channel_close_ok(conn: Any, ch: Any, m: Any) -> None:
    conn.close_channel(ch)


@method(20, 20)
def channel_flow(conn: Any, ch: Any, m: Any) -> None:
    if not m.active:
        raise AMQPError(540, "active=false", 20, 20, connection=True)
    ch.send_method(build(C.FlowOk, active=True))


@method(20, 21)
def channel_flow_ok(conn: Any, ch: Any, m: Any) -> None:
    """The client acknowledged a flow change; the broker never sends channel.flow."""
