"""exchange.declare / delete / bind / unbind."""

from __future__ import annotations

from typing import Any

from pamqp.commands import Exchange as X

from ..wire import build
from . import method


@method(40, 10)
def exchange_declare(conn: Any, ch: Any, m: Any) -> None:
    vhost = conn.vhost
    if not m.passive:
        conn.broker.check(conn.user, vhost, "configure", "exchange", m.exchange)
    x, created = vhost.declare_exchange(
        m.exchange,
        m.exchange_type,
        passive=m.passive,
        durable=m.durable,
        auto_delete=m.auto_delete,
        internal=m.internal,
        arguments=m.arguments,
    )
    if created and x.durable:
        conn.hold_definitions()
    if not m.nowait:
        ch.send_method(build(X.DeclareOk))


@method(40, 20)
def exchange_delete(conn: Any, ch: Any, m: Any) -> None:
    vhost = conn.vhost
    if m.exchange != "":
        conn.broker.check(conn.user, vhost, "configure", "exchange", m.exchange)
    existed = m.exchange in vhost.exchanges
    vhost.delete_exchange(m.exchange, if_unused=m.if_unused)
    if existed:
        conn.hold_definitions()
    if not m.nowait:
        ch.send_method(build(X.DeleteOk))


def _check_bind(conn: Any, source: str, dest_kind: str, destination: str) -> None:
    broker, user, vhost = conn.broker, conn.user, conn.vhost
    broker.check(user, vhost, "write", dest_kind, destination)
    broker.check(user, vhost, "read", "exchange", source)


@method(40, 30)
def exchange_bind(conn: Any, ch: Any, m: Any) -> None:
    _check_bind(conn, m.source, "exchange", m.destination)
    conn.vhost.bind(m.source, "exchange", m.destination, m.routing_key, m.arguments, conn)
    conn.hold_definitions()
    if not m.nowait:
        ch.send_method(build(X.BindOk))


@method(40, 40)
def exchange_unbind(conn: Any, ch: Any, m: Any) -> None:
    _check_bind(conn, m.source, "exchange", m.destination)
    conn.vhost.unbind(m.source, "exchange", m.destination, m.routing_key, m.arguments, conn)
    conn.hold_definitions()
    if not m.nowait:
        ch.send_method(build(X.UnbindOk))
