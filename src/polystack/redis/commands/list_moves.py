"""List commands that move elements between lists or wait for them (t_list.c): LMOVE,
RPOPLPUSH, LMPOP, and the blocking family BLPOP/BRPOP/BLMOVE/BRPOPLPUSH/BLMPOP."""

from __future__ import annotations

from typing import Any

from polystack.redis.args import (
    LLONG_MAX,
    parse_range,
    parse_timeout_ms,
)
from polystack.redis.blocking import Block
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import single, spec
from polystack.redis.commands.lists import (
    _LIST,
    HEAD,
    TAIL,
    elements_removed,
    pop_range,
)
from polystack.redis.errors import SYNTAX
from polystack.redis.lookup import db_add, db_delete, write_typed
from polystack.redis.notify import NOTIFY_LIST, modified, notify
from polystack.redis.quicklist import Quicklist
from polystack.redis.wire import NULL_ARRAY


# -- LMOVE / RPOPLPUSH / LMPOP -------------------------------------------------------------------
def parse_where(arg: bytes) -> int:
    w = arg.lower()
    if w == b"left":
        return HEAD
    if w == b"right":
        return TAIL
    raise SYNTAX


def move(client: Any, src: bytes, q: Quicklist, dst: bytes, wherefrom: int, whereto: int) -> Any:
    """lmoveGenericCommand once the source holds elements: WRONGTYPE if the destination is
    not a list, else pop, push and the events."""
    dq = write_typed(client, dst, Quicklist)
    value = q.pop_head() if wherefrom == HEAD else q.pop_tail()
    if dq is None:
        dq = Quicklist.create(client.ks.limits)
        db_add(client, dst, dq)
    modified(client, dst)
    threshold = client.ks.limits.packed_threshold
    if whereto == HEAD:
        dq.push_head(value, threshold)
    else:
        dq.push_tail(value, threshold)
    notify(client, NOTIFY_LIST, b"lpush" if whereto == HEAD else b"rpush", dst)
    notify(client, NOTIFY_LIST, b"lpop" if wherefrom == HEAD else b"rpop", src)
    if not q.count:
        db_delete(client, src)
    modified(client, src)
    client.ks.dirty += 1
    return value


_SIDES = b"LEFT", b"RIGHT"


def _lmove(client: Any, src: bytes, dst: bytes, wherefrom: int, whereto: int) -> Any:
    q = write_typed(client, src, Quicklist)
    if q is None:
        return None
    return move(client, src, q, dst, wherefrom, whereto)


_MOVE_SPECS = (single("RW ACCESS DELETE"), single("RW INSERT", 2))
_SIDE = "oneof{left:pure-token'LEFT' right:pure-token'RIGHT'}"


@command(
    "lmove",
    5,
    "write denyoom",
    (1, 2, 1),
    _LIST,
    "6.2.0",
    "Pop an element from a list, push it to another list and return it",
    complexity="O(1)",
    arguments=f"source:key destination:key wherefrom:{_SIDE} whereto:{_SIDE}",
    specs=_MOVE_SPECS,
)
def lmove(client: Any, argv: list[bytes]) -> Any:
    wherefrom, whereto = parse_where(argv[3]), parse_where(argv[4])
    return _lmove(client, argv[1], argv[2], wherefrom, whereto)


@command(
    "rpoplpush",
    3,
    "write denyoom",
    (1, 2, 1),
    _LIST,
    "1.2.0",
    "Remove the last element in a list, prepend it to another list and return it",
    complexity="O(1)",
    arguments="source:key destination:key",
    deprecated=("6.2.0", "`LMOVE` with the `RIGHT` and `LEFT` arguments"),
    specs=_MOVE_SPECS,
)
def rpoplpush(client: Any, argv: list[bytes]) -> Any:
    return _lmove(client, argv[1], argv[2], TAIL, HEAD)


def parse_lmpop(argv: list[bytes], numidx: int) -> tuple[list[bytes], int, int]:
    numkeys = parse_range(argv[numidx], 1, LLONG_MAX, "numkeys should be greater than 0")
    where_idx = numidx + numkeys + 1
    if where_idx >= len(argv):
        raise SYNTAX
    where = parse_where(argv[where_idx])
    count = -1
    j = where_idx + 1
    while j < len(argv):
        if count == -1 and argv[j].lower() == b"count" and j + 1 < len(argv):
            count = parse_range(argv[j + 1], 1, LLONG_MAX, "count should be greater than 0")
            j += 2
        else:
            raise SYNTAX
    return argv[numidx + 1 : where_idx], where, 1 if count == -1 else count


def pop_with_key(client: Any, key: bytes, q: Quicklist, where: int, count: int) -> list:
    """listPopRangeAndReplyWithKey, logged as [LR]POP key count."""
    items = pop_range(q, where, count)
    elements_removed(client, key, q, where, len(items))
    client.propagate = [[b"LPOP" if where == HEAD else b"RPOP", key, b"%d" % len(items)]]
    return [key, items]


def first_list(client: Any, keys: list[bytes]) -> tuple[bytes, Quicklist] | None:
    for key in keys:
        q = write_typed(client, key, Quicklist)
        if q is not None and q.count:
            return key, q
    return None


@command(
    "lmpop",
    -4,
    "write movablekeys",
    (0, 0, 0),
    _LIST,
    "7.0.0",
    "Pop elements from a list",
    complexity="O(N+M) where N is the number of provided keys and M is the number of elements "
    "returned.",
    arguments=f"numkeys:integer key:key+ where:{_SIDE} count:integer'COUNT'?",
    specs=(spec("RW ACCESS DELETE", ("index", 1), ("keynum", 0, 1, 1)),),
)
def lmpop(client: Any, argv: list[bytes]) -> Any:
    keys, where, count = parse_lmpop(argv, 1)
    found = first_list(client, keys)
    if found is None:
        return NULL_ARRAY
    return pop_with_key(client, found[0], found[1], where, count)


# -- blocking ------------------------------------------------------------------------------------
def _serve_pop(where: int, count: int | None) -> Any:
    """BLPOP/BRPOP (count None) and BLMPOP: pop from the ready key."""

    def serve(client: Any, key: bytes, q: Quicklist) -> Any:
        if count is not None:
            return pop_with_key(client, key, q, where, count)
        value = q.pop_head() if where == HEAD else q.pop_tail()
        elements_removed(client, key, q, where, 1)
        client.propagate = [[b"LPOP" if where == HEAD else b"RPOP", key]]
        return [key, value]

    return serve


def blocking_pop(client: Any, keys: list[bytes], where: int, timeout: int, count: int | None):
    """blockingPopGenericCommand: serve at once from the first non-empty list, else block."""
    found = first_list(client, keys)
    if found is not None:
        key, q = found
        return _serve_pop(where, count)(client, key, q)
    if client.deny_blocking:
        return NULL_ARRAY
    return Block(keys, timeout, Quicklist, _serve_pop(where, count), NULL_ARRAY)


_BLOCK_POP_COMPLEXITY = "O(N) where N is the number of provided keys."
_TIMEOUT_HISTORY = (("6.0.0", "`timeout` is interpreted as a double instead of an integer."),)
_BPOP_SPECS = (spec("RW ACCESS DELETE", ("index", 1), ("range", -2, 1, 0)),)


@command(
    "blpop",
    -3,
    "write noscript blocking",
    (1, -2, 1),
    _LIST,
    "2.0.0",
    "Remove and get the first element in a list, or block until one is available",
    complexity=_BLOCK_POP_COMPLEXITY,
    arguments="key:key+ timeout:double",
    history=_TIMEOUT_HISTORY,
    specs=_BPOP_SPECS,
)
def blpop(client: Any, argv: list[bytes]) -> Any:
    timeout = parse_timeout_ms(argv[-1])
    return blocking_pop(client, argv[1:-1], HEAD, timeout, None)


@command(
    "brpop",
    -3,
    "write noscript blocking",
    (1, -2, 1),
    _LIST,
    "2.0.0",
    "Remove and get the last element in a list, or block until one is available",
    complexity=_BLOCK_POP_COMPLEXITY,
    arguments="key:key+ timeout:double",
    history=_TIMEOUT_HISTORY,
    specs=_BPOP_SPECS,
)
def brpop(client: Any, argv: list[bytes]) -> Any:
    timeout = parse_timeout_ms(argv[-1])
    return blocking_pop(client, argv[1:-1], TAIL, timeout, None)


@command(
    "blmpop",
    -5,
    "write blocking movablekeys",
    (0, 0, 0),
    _LIST,
    "7.0.0",
    "Pop elements from a list, or block until one is available",
    complexity="O(N+M) where N is the number of provided keys and M is the number of elements "
    "returned.",
    arguments=f"timeout:double numkeys:integer key:key+ where:{_SIDE} count:integer'COUNT'?",
    specs=(spec("RW ACCESS DELETE", ("index", 2), ("keynum", 0, 1, 1)),),
)
def blmpop(client: Any, argv: list[bytes]) -> Any:
    keys, where, count = parse_lmpop(argv, 2)
    timeout = parse_timeout_ms(argv[1])
    return blocking_pop(client, keys, where, timeout, count)


def _serve_move(dst: bytes, wherefrom: int, whereto: int, brpoplpush: bool) -> Any:
    def serve(client: Any, key: bytes, q: Quicklist) -> Any:
        value = move(client, key, q, dst, wherefrom, whereto)
        if brpoplpush:
            client.propagate = [[b"RPOPLPUSH", key, dst]]
        else:
            client.propagate = [[b"LMOVE", key, dst, _SIDES[wherefrom], _SIDES[whereto]]]
        return value

    return serve


def blocking_move(
    client: Any, argv: list[bytes], wherefrom: int, whereto: int, timeout: int, brpoplpush: bool
) -> Any:
    src, dst = argv[1], argv[2]
    serve = _serve_move(dst, wherefrom, whereto, brpoplpush)
    q = write_typed(client, src, Quicklist)
    if q is not None:
        return serve(client, src, q)
    if client.deny_blocking:
        return None
    return Block([src], timeout, Quicklist, serve, NULL_ARRAY)


@command(
    "blmove",
    6,
    "write denyoom noscript blocking",
    (1, 2, 1),
    _LIST,
    "6.2.0",
    "Pop an element from a list, push it to another list and return it; or block until one is "
    "available",
    complexity="O(1)",
    arguments=f"source:key destination:key wherefrom:{_SIDE} whereto:{_SIDE} timeout:double",
    specs=_MOVE_SPECS,
)
def blmove(client: Any, argv: list[bytes]) -> Any:
    wherefrom, whereto = parse_where(argv[3]), parse_where(argv[4])
    timeout = parse_timeout_ms(argv[5])
    return blocking_move(client, argv, wherefrom, whereto, timeout, False)


@command(
    "brpoplpush",
    4,
    "write denyoom noscript blocking",
    (1, 2, 1),
    _LIST,
    "2.2.0",
    "Pop an element from a list, push it to another list and return it; or block until one is "
    "available",
    complexity="O(1)",
    arguments="source:key destination:key timeout:double",
    history=_TIMEOUT_HISTORY,
    deprecated=("6.2.0", "`BLMOVE` with the `RIGHT` and `LEFT` arguments"),
    specs=_MOVE_SPECS,
)
def brpoplpush(client: Any, argv: list[bytes]) -> Any:
    timeout = parse_timeout_ms(argv[3])
    return blocking_move(client, argv, TAIL, HEAD, timeout, True)
