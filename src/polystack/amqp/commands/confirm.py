"""confirm.select and tx.select / commit / rollback."""

from __future__ import annotations

from typing import Any

from pamqp.commands import Confirm, Tx

from ..errors import AMQPError
from ..wire import build
from . import method


@method(85, 10)
def confirm_select(conn: Any, ch: Any, m: Any) -> None:
    if ch.tx:
        raise AMQPError(406, "cannot switch from tx to confirm mode")
    ch.confirm = True
    if not m.nowait:
        ch.send_method(build(Confirm.SelectOk))


@method(90, 10)
def tx_select(conn: Any, ch: Any, m: Any) -> None:
    if ch.confirm:
        raise AMQPError(406, "cannot switch from confirm to tx mode")
    ch.tx = True
    ch.send_method(build(Tx.SelectOk))


@method(90, 20)
def tx_commit(conn: Any, ch: Any, m: Any) -> None:
    if not ch.tx:
        raise AMQPError(406, "channel is not transactional")
    from .basic import run_tx

    wait = run_tx(conn, ch)
    conn.hold(wait)
    ch.send_method(build(Tx.CommitOk))


@method(90, 30)
def tx_rollback(conn: Any, ch: Any, m: Any) -> None:
    if not ch.tx:
        raise AMQPError(406, "channel is not transactional")
    from .basic import rollback_tx

    rollback_tx(ch)
    ch.send_method(build(Tx.RollbackOk))
