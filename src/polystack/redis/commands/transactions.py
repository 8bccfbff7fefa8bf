"""Transactions (multi.c): MULTI, EXEC, DISCARD, WATCH, UNWATCH.

Inside MULTI the session queues commands (replying ``+QUEUED``); a command refused while
queueing (unknown, wrong arity, NOAUTH, not allowed ...) dooms the transaction, and EXEC then
answers ``-EXECABORT``.  EXEC runs the queue without rolling back runtime errors; it answers
a null array when a watched key changed (or expired) since WATCH.  The commands a
transaction ran are logged one by one, in one log record, so replay applies all or none.
"""

from __future__ import annotations

from typing import Any

from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import key_specs
from polystack.redis.errors import RedisError, err
from polystack.redis.flags import SLOW_MULTI
from polystack.redis.wire import NULL_ARRAY, OK

_FLAGS = "noscript loading stale fast allow_busy"
_CATS = ("@fast", "@transaction")
EXECABORT = RedisError("EXECABORT", "Transaction discarded because of previous errors.")


@command(
    "multi",
    1,
    _FLAGS,
    group="transactions",
    since="1.2.0",
    summary="Mark the start of a transaction block",
    complexity="O(1)",
    categories=_CATS,
)
def multi(client: Any, argv: list[bytes]) -> Any:
    if client.multi is not None:
        raise err("MULTI calls can not be nested")
    client.multi = []
    client.slow |= SLOW_MULTI
    return OK


@command(
    "exec",
    1,
    "noscript loading stale skip_slowlog",
    group="transactions",
    since="1.2.0",
    summary="Execute all commands issued after MULTI",
    complexity="Depends on commands in the transaction",
    categories=("@slow", "@transaction"),
)
def exec_(client: Any, argv: list[bytes]) -> Any:
    if client.multi is None:
        raise err("EXEC without MULTI")
    if client.watched_keys and client.server.watches.any_expired(client, client.now_ms()):
        client.dirty_cas = True
    if client.multi_error or client.dirty_cas:
        aborted = client.multi_error
        client.discard_transaction()
        if aborted:
            raise EXECABORT
        return NULL_ARRAY
    return client.exec_transaction()


@command(
    "discard",
    1,
    _FLAGS,
    group="transactions",
    since="2.0.0",
    summary="Discard all commands issued after MULTI",
    complexity="O(N), when N is the number of queued commands",
    categories=_CATS,
)
def discard(client: Any, argv: list[bytes]) -> Any:
    if client.multi is None:
        raise err("DISCARD without MULTI")
    client.discard_transaction()
    return OK


@command(
    "watch",
    -2,
    _FLAGS,
    (1, -1, 1),
    group="transactions",
    since="2.2.0",
    summary="Watch the given keys to determine execution of the MULTI/EXEC block",
    complexity="O(1) for every key.",
    categories=_CATS,
)
def watch(client: Any, argv: list[bytes]) -> Any:
    if client.multi is not None:
        raise err("WATCH inside MULTI is not allowed")
    if client.dirty_cas:  # no point in watching more: the next EXEC fails anyway
        return OK
    watches = client.server.watches
    now = client.now_ms()
    for key in argv[1:]:
        watches.watch(client, client.db, key, now)
    return OK


@command(
    "unwatch",
    1,
    _FLAGS,
    group="transactions",
    since="2.2.0",
    summary="Forget about all watched keys",
    complexity="O(1)",
    categories=_CATS,
)
def unwatch(client: Any, argv: list[bytes]) -> Any:
    client.unwatch_all()
    client.dirty_cas = False
    return OK


key_specs("watch", ("RO", ("index", 1), ("range", -1, 1, 0)))
