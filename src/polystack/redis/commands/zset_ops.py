"""Sorted set commands (t_zset.c), part two: ZUNION/ZINTER/ZDIFF (with WEIGHTS and
AGGREGATE, and their STORE forms), ZINTERCARD, ZPOPMIN/ZPOPMAX, ZMPOP, ZRANDMEMBER and ZSCAN."""

from __future__ import annotations

import random
from typing import Any

from polystack.redis import scan
from polystack.redis.args import (
    LLONG_MAX,
    parse_double,
    parse_int,
    parse_positive,
    parse_range,
    parse_timeout_ms,
)
from polystack.redis.blocking import Block
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import single, spec
from polystack.redis.commands.zset_ranges import range_reply
from polystack.redis.commands.zsets import ZGROUP, store_result
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.lookup import db_delete, lookup_read, read_typed, write_typed
from polystack.redis.notify import NOTIFY_ZSET, modified, notify
from polystack.redis.set_type import RedisSet
from polystack.redis.wire import NULL_ARRAY
from polystack.redis.zset_type import ZSet, ld2string_auto, listpack_score

_WRONGTYPE = RedisError("WRONGTYPE", "Operation against a key holding the wrong kind of value")
UNION, INTER, DIFF = "union", "inter", "diff"
_SUM, _MIN, _MAX = 0, 1, 2
# A negative ZRANDMEMBER count beyond this is refused (polystack builds replies in memory).
MAX_RANDOM_REPLY = 1 << 24


class _Source:
    """One input of the algebra: a sorted set or a set (every member scoring 1), or nothing."""

    __slots__ = ("value", "weight")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.weight = 1.0

    def __len__(self) -> int:
        return 0 if self.value is None else len(self.value)

    def items(self) -> list[tuple[bytes, float]]:
        v = self.value
        if v is None:
            return []
        if type(v) is ZSet:
            return [(m, s) for s, m in v.sl]
        return [(m, 1.0) for m in v.members()]

    def find(self, member: bytes) -> float | None:
        v = self.value
        if type(v) is ZSet:
            return v.dict.get(member)
        return 1.0 if member in v else None


def _aggregate(target: float, value: float, how: int) -> float:
    if how == _SUM:
        target = target + value
        return 0.0 if target != target else target
    if how == _MIN:
        return value if value < target else target
    return value if value > target else target


def compute(sources: list[_Source], op: str, how: int, limit: int = 0) -> list[tuple[float, bytes]]:
    """The (score, member) result of the operation, unordered."""
    if op == INTER:
        srcs = sorted(sources, key=len)
        if not len(srcs[0]):
            return []
        first = srcs[0]
        out = []
        for member, base in first.items():
            score = first.weight * base
            if score != score:
                score = 0.0
            for src in srcs[1:]:
                if src.value is first.value:
                    score = _aggregate(score, base * src.weight, how)
                    continue
                found = src.find(member)
                if found is None:
                    break
                score = _aggregate(score, found * src.weight, how)
            else:
                out.append((score, member))
                if limit and len(out) >= limit:
                    break
        return out
    if op == UNION:
        acc: dict[bytes, float] = {}
        for src in sorted(sources, key=len):
            w = src.weight
            for member, base in src.items():
                score = w * base
                if score != score:
                    score = 0.0
                old = acc.get(member)
                acc[member] = score if old is None else _aggregate(old, score, how)
        return [(s, m) for m, s in acc.items()]
    first = sources[0]
    if not len(first) or any(s.value is first.value for s in sources[1:]):
        return []
    others = [s for s in sources[1:] if s.value is not None]
    return [(s, m) for m, s in first.items() if not any(o.find(m) is not None for o in others)]


def _algebra(client: Any, argv: list[bytes], dst: bytes | None, numidx: int, op: str, card: bool):
    setnum = parse_int(argv[numidx])
    if setnum < 1:
        name = argv[0].decode("latin-1").lower()
        raise err(f"at least 1 input key is needed for '{name}' command")
    if setnum > len(argv) - (numidx + 1):
        raise SYNTAX
    sources = []
    j = numidx + 1
    for _ in range(setnum):
        v = lookup_read(client, argv[j])
        if v is not None and type(v) is not ZSet and type(v) is not RedisSet:
            raise _WRONGTYPE
        sources.append(_Source(v))
        j += 1
    how = _SUM
    withscores = False
    limit = 0
    n = len(argv)
    while j < n:
        remaining = n - j
        opt = argv[j].lower()
        if op != DIFF and not card and remaining >= setnum + 1 and opt == b"weights":
            j += 1
            for src in sources:
                src.weight = parse_double(argv[j], "weight value is not a float")
                j += 1
        elif op != DIFF and not card and remaining >= 2 and opt == b"aggregate":
            how_arg = argv[j + 1].lower()
            if how_arg == b"sum":
                how = _SUM
            elif how_arg == b"min":
                how = _MIN
            elif how_arg == b"max":
                how = _MAX
            else:
                raise SYNTAX
            j += 2
        elif remaining >= 1 and dst is None and not card and opt == b"withscores":
            withscores = True
            j += 1
        elif card and remaining >= 2 and opt == b"limit":
            limit = parse_positive(argv[j + 1], "LIMIT can't be negative")
            j += 2
        else:
            raise SYNTAX
    result = compute(sources, op, how, limit if card else 0)
    if card:
        return len(result)
    result.sort()
    if dst is None:
        return range_reply(client, result, withscores)
    z = ZSet(False)
    for score, member in result:
        z.insert(member, score)
    z.convert_if_small(client.ks.limits)
    return store_result(client, dst, z, b"z" + op.encode() + b"store")


def _algebra_specs(store: bool) -> tuple:
    keys = ("index", 2 if store else 1), ("keynum", 0, 1, 1)
    if store:
        return (single("OW UPDATE"), spec("RO ACCESS", *keys))
    return (spec("RO ACCESS", *keys),)


_WEIGHTS = (
    "weight:integer'WEIGHTS'?+ "
    "aggregate:oneof'AGGREGATE'?{sum:pure-token'SUM' min:pure-token'MIN' max:pure-token'MAX'}"
)
_UNION_COMPLEXITY = (
    "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M "
    "being the number of elements in the resulting sorted set."
)
_INTER_COMPLEXITY = (
    "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
    "number of input sorted sets and M being the number of elements in the resulting sorted "
    "set."
)
_DIFF_COMPLEXITY = (
    "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N "
    "is the size of the first set, and K is the size of the result set."
)


@command(
    "zunion",
    -3,
    "readonly movablekeys",
    (0, 0, 0),
    ZGROUP,
    "6.2.0",
    "Add multiple sorted sets",
    complexity=_UNION_COMPLEXITY,
    arguments=f"numkeys:integer key:key+ {_WEIGHTS} withscores:pure-token'WITHSCORES'?",
    specs=_algebra_specs(False),
)
def zunion(client: Any, argv: list[bytes]) -> Any:
    return _algebra(client, argv, None, 1, UNION, False)


@command(
    "zunionstore",
    -4,
    "write denyoom movablekeys",
    (1, 1, 1),
    ZGROUP,
    "2.0.0",
    "Add multiple sorted sets and store the resulting sorted set in a new key",
    complexity="O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, "
    "and M being the number of elements in the resulting sorted set.",
    arguments=f"destination:key numkeys:integer key:key+ {_WEIGHTS}",
    specs=_algebra_specs(True),
)
def zunionstore(client: Any, argv: list[bytes]) -> Any:
    return _algebra(client, argv, argv[1], 2, UNION, False)


@command(
    "zinter",
    -3,
    "readonly movablekeys",
    (0, 0, 0),
    ZGROUP,
    "6.2.0",
    "Intersect multiple sorted sets",
    complexity=_INTER_COMPLEXITY,
    arguments=f"numkeys:integer key:key+ {_WEIGHTS} withscores:pure-token'WITHSCORES'?",
    specs=_algebra_specs(False),
)
def zinter(client: Any, argv: list[bytes]) -> Any:
    return _algebra(client, argv, None, 1, INTER, False)


@command(
    "zinterstore",
    -4,
    "write denyoom movablekeys",
    (1, 1, 1),
    ZGROUP,
    "2.0.0",
    "Intersect multiple sorted sets and store the resulting sorted set in a new key",
    complexity=_INTER_COMPLEXITY,
    arguments=f"destination:key numkeys:integer key:key+ {_WEIGHTS}",
    specs=_algebra_specs(True),
)
def zinterstore(client: Any, argv: list[bytes]) -> Any:
    return _algebra(client, argv, argv[1], 2, INTER, False)


@command(
    "zintercard",
    -3,
    "readonly movablekeys",
    (0, 0, 0),
    ZGROUP,
    "7.0.0",
    "Intersect multiple sorted sets and return the cardinality of the result",
    complexity="O(N*K) worst case with N being the smallest input sorted set, K being the "
    "number of input sorted sets.",
    arguments="numkeys:integer key:key+ limit:integer'LIMIT'?",
    specs=_algebra_specs(False),
)
def zintercard(client: Any, argv: list[bytes]) -> Any:
    return _algebra(client, argv, None, 1, INTER, True)


@command(
    "zdiff",
    -3,
    "readonly movablekeys",
    (0, 0, 0),
    ZGROUP,
    "6.2.0",
    "Subtract multiple sorted sets",
    complexity=_DIFF_COMPLEXITY,
    arguments="numkeys:integer key:key+ withscores:pure-token'WITHSCORES'?",
    specs=_algebra_specs(False),
)
def zdiff(client: Any, argv: list[bytes]) -> Any:
    return _algebra(client, argv, None, 1, DIFF, False)


@command(
    "zdiffstore",
    -4,
    "write denyoom movablekeys",
    (1, 1, 1),
    ZGROUP,
    "6.2.0",
    "Subtract multiple sorted sets and store the resulting sorted set in a new key",
    complexity=_DIFF_COMPLEXITY,
    arguments="destination:key numkeys:integer key:key+",
    specs=_algebra_specs(True),
)
def zdiffstore(client: Any, argv: list[bytes]) -> Any:
    return _algebra(client, argv, argv[1], 2, DIFF, False)


# -- pops --------------------------------------------------------------------------------------
MIN, MAX = 0, 1


def pop(client: Any, key: bytes, z: ZSet, where: int, count: int) -> list[tuple[float, bytes]]:
    """genericZpopCommand's removal: up to ``count`` entries from one end of ``z``."""
    n = min(count, len(z))
    items = z.range(0, n) if where == MIN else z.range(len(z) - n, len(z))[::-1]
    for _, m in items:
        z.delete(m)
    client.ks.dirty += n
    notify(client, NOTIFY_ZSET, b"zpopmax" if where == MAX else b"zpopmin", key)
    modified(client, key)
    if not len(z):
        db_delete(client, key)
    return items


def first_nonempty(client: Any, keys: list[bytes]) -> tuple[bytes, ZSet] | None:
    """The first key holding a sorted set (WRONGTYPE stops at a key of another type)."""
    for key in keys:
        z = write_typed(client, key, ZSet)
        if z is not None:
            return key, z
    return None


def popped_reply(client: Any, items: list[tuple[float, bytes]], nested: bool) -> list:
    if nested:
        return [[m, s] for s, m in items]
    out: list[Any] = []
    for s, m in items:
        out += [m, s]
    return out


def _zpop(client: Any, argv: list[bytes], where: int) -> Any:
    if len(argv) > 3:
        raise SYNTAX
    count = -1
    if len(argv) == 3:
        count = parse_positive(argv[2])
    nested = client.resp3 and count != -1
    found = first_nonempty(client, [argv[1]])
    if found is None or count == 0:
        return []
    items = pop(client, found[0], found[1], where, 1 if count == -1 else count)
    return popped_reply(client, items, nested)


_POP_SPECS = (single("RW ACCESS DELETE"),)
_POP_COMPLEXITY = (
    "O(log(N)*M) with N being the number of elements in the sorted set, and M being the "
    "number of elements popped."
)


@command(
    "zpopmin",
    -2,
    "write fast",
    (1, 1, 1),
    ZGROUP,
    "5.0.0",
    "Remove and return members with the lowest scores in a sorted set",
    complexity=_POP_COMPLEXITY,
    arguments="key:key count:integer?",
    specs=_POP_SPECS,
)
def zpopmin(client: Any, argv: list[bytes]) -> Any:
    return _zpop(client, argv, MIN)


@command(
    "zpopmax",
    -2,
    "write fast",
    (1, 1, 1),
    ZGROUP,
    "5.0.0",
    "Remove and return members with the highest scores in a sorted set",
    complexity=_POP_COMPLEXITY,
    arguments="key:key count:integer?",
    specs=_POP_SPECS,
)
def zpopmax(client: Any, argv: list[bytes]) -> Any:
    return _zpop(client, argv, MAX)


def parse_mpop(argv: list[bytes], numidx: int) -> tuple[list[bytes], int, int]:
    """ZMPOP/BZMPOP's numkeys, keys, MIN|MAX and COUNT."""
    numkeys = parse_range(argv[numidx], 1, LLONG_MAX, "numkeys should be greater than 0")
    where_idx = numidx + numkeys + 1
    if where_idx >= len(argv):
        raise SYNTAX
    w = argv[where_idx].lower()
    if w == b"min":
        where = MIN
    elif w == b"max":
        where = MAX
    else:
        raise SYNTAX
    count = -1
    j = where_idx + 1
    while j < len(argv):
        if count == -1 and argv[j].lower() == b"count" and j + 1 < len(argv):
            count = parse_range(argv[j + 1], 1, LLONG_MAX, "count should be greater than 0")
            j += 2
        else:
            raise SYNTAX
    return argv[numidx + 1 : where_idx], where, 1 if count == -1 else count


def mpop_reply(client: Any, key: bytes, where: int, count: int, z: ZSet) -> list:
    items = pop(client, key, z, where, count)
    client.propagate = [[b"ZPOPMAX" if where == MAX else b"ZPOPMIN", key, b"%d" % len(items)]]
    return [key, popped_reply(client, items, True)]


@command(
    "zmpop",
    -4,
    "write movablekeys",
    (0, 0, 0),
    ZGROUP,
    "7.0.0",
    "Remove and return members with scores in a sorted set",
    complexity="O(K) + O(M*log(N)) where K is the number of provided keys, N being the number "
    "of elements in the sorted set, and M being the number of elements popped.",
    arguments="numkeys:integer key:key+ where:oneof{min:pure-token'MIN' max:pure-token'MAX'} "
    "count:integer'COUNT'?",
    specs=(spec("RW ACCESS DELETE", ("index", 1), ("keynum", 0, 1, 1)),),
)
def zmpop(client: Any, argv: list[bytes]) -> Any:
    keys, where, count = parse_mpop(argv, 1)
    found = first_nonempty(client, keys)
    if found is None:
        return NULL_ARRAY
    return mpop_reply(client, found[0], where, count, found[1])


# -- ZRANDMEMBER -------------------------------------------------------------------------------
_SUB_STRATEGY_MUL = 3


@command(
    "zrandmember",
    -2,
    "readonly",
    (1, 1, 1),
    ZGROUP,
    "6.2.0",
    "Get one or multiple random elements from a sorted set",
    complexity="O(N) where N is the number of elements returned",
    tips=("nondeterministic_output",),
    arguments="key:key options:block?{count:integer withscores:pure-token'WITHSCORES'?}",
    specs=(single("RO ACCESS"),),
)
def zrandmember(client: Any, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        z = read_typed(client, argv[1], ZSet)
        if z is None:
            return None
        return z.sl[random.randrange(len(z))][1]
    count = parse_range(argv[2], -LLONG_MAX, LLONG_MAX)
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withscores"):
        raise SYNTAX
    withscores = len(argv) == 4
    if withscores and (count < -(LLONG_MAX // 2) or count > LLONG_MAX // 2):
        raise err("value is out of range")
    z = read_typed(client, argv[1], ZSet)
    if z is None or count == 0:
        return []
    size = len(z)
    sl = z.sl
    if count < 0 or count == 1:
        n = -count if count < 0 else 1
        if n > MAX_RANDOM_REPLY:
            raise err(f"count larger than polystack's reply limit of {MAX_RANDOM_REPLY}")
        items = [sl[random.randrange(size)] for _ in range(n)]
    elif count >= size:
        items = list(reversed(sl))  # zuiNext walks a sorted set from its end
    elif count * _SUB_STRATEGY_MUL > size:
        picked = [sl[i] for i in sorted(random.sample(range(size), count))]
        random.shuffle(picked)
        items = picked
    elif z.listpack:
        items = [sl[i] for i in sorted(random.sample(range(size), count))]
    else:
        items = [sl[i] for i in random.sample(range(size), count)]
    return range_reply(client, items, withscores)


# -- blocking pops ------------------------------------------------------------------------------
def _serve_zpop(where: int, count: int, mpop: bool) -> Any:
    """serveClientsBlockedOnSortedSetKey: pop from the ready key (logged as ZPOPMIN/MAX)."""

    def serve(client: Any, key: bytes, z: ZSet) -> Any:
        if mpop:
            return mpop_reply(client, key, where, count, z)
        items = pop(client, key, z, where, 1)
        client.propagate = [[b"ZPOPMAX" if where == MAX else b"ZPOPMIN", key]]
        score, member = items[0]
        return [key, member, score]

    return serve


def blocking_zpop(client: Any, keys: list[bytes], where: int, timeout: int, count: int, mpop: bool):
    """blockingGenericZpopCommand."""
    serve = _serve_zpop(where, count, mpop)
    for key in keys:
        z = write_typed(client, key, ZSet)
        if z is not None and len(z):
            return serve(client, key, z)
    if client.deny_blocking:
        return NULL_ARRAY
    return Block(keys, timeout, ZSet, serve, NULL_ARRAY)


_BZPOP_SPECS = (spec("RW ACCESS DELETE", ("index", 1), ("range", -2, 1, 0)),)
_TIMEOUT_HISTORY = (("6.0.0", "`timeout` is interpreted as a double instead of an integer."),)


@command(
    "bzpopmin",
    -3,
    "write noscript fast blocking",
    (1, -2, 1),
    ZGROUP,
    "5.0.0",
    "Remove and return the member with the lowest score from one or more sorted sets, or block "
    "until one is available",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    arguments="key:key+ timeout:double",
    history=_TIMEOUT_HISTORY,
    specs=_BZPOP_SPECS,
)
def bzpopmin(client: Any, argv: list[bytes]) -> Any:
    timeout = parse_timeout_ms(argv[-1])
    return blocking_zpop(client, argv[1:-1], MIN, timeout, 1, False)


@command(
    "bzpopmax",
    -3,
    "write noscript fast blocking",
    (1, -2, 1),
    ZGROUP,
    "5.0.0",
    "Remove and return the member with the highest score from one or more sorted sets, or block "
    "until one is available",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    arguments="key:key+ timeout:double",
    history=_TIMEOUT_HISTORY,
    specs=_BZPOP_SPECS,
)
def bzpopmax(client: Any, argv: list[bytes]) -> Any:
    timeout = parse_timeout_ms(argv[-1])
    return blocking_zpop(client, argv[1:-1], MAX, timeout, 1, False)


@command(
    "bzmpop",
    -5,
    "write blocking movablekeys",
    (0, 0, 0),
    ZGROUP,
    "7.0.0",
    "Remove and return members with scores in a sorted set or block until one is available",
    complexity="O(K) + O(M*log(N)) where K is the number of provided keys, N being the number "
    "of elements in the sorted set, and M being the number of elements popped.",
    arguments="timeout:double numkeys:integer key:key+ "
    "where:oneof{min:pure-token'MIN' max:pure-token'MAX'} count:integer'COUNT'?",
    specs=(spec("RW ACCESS DELETE", ("index", 2), ("keynum", 0, 1, 1)),),
)
def bzmpop(client: Any, argv: list[bytes]) -> Any:
    timeout = parse_timeout_ms(argv[1])
    keys, where, count = parse_mpop(argv, 2)
    return blocking_zpop(client, keys, where, timeout, count, True)


# -- ZSCAN -------------------------------------------------------------------------------------
@command(
    "zscan",
    -3,
    "readonly",
    (1, 1, 1),
    ZGROUP,
    "2.8.0",
    "Incrementally iterate sorted sets elements and associated scores",
    complexity="O(1) for every call. O(N) for a complete iteration, including enough command "
    "calls for the cursor to return back to 0. N is the number of elements inside the "
    "collection..",
    tips=("nondeterministic_output",),
    arguments="key:key cursor:integer pattern:pattern'MATCH'? count:integer'COUNT'?",
    specs=(single("RO ACCESS"),),
)
def zscan(client: Any, argv: list[bytes]) -> Any:
    from_cursor = scan.parse_cursor(argv[2])
    z = read_typed(client, argv[1], ZSet)
    if z is None:
        return [b"0", []]
    count, match = scan.parse_options(argv, 3)
    items: list[bytes] = []
    if z.listpack:
        for s, m in z.sl:
            score = listpack_score(s)
            items += [m, score if isinstance(score, bytes) else b"%d" % score]
        return scan.reply(0, scan.filter_pairs(items, match))
    d = z.dict
    cursor, members = scan.scan_hashtable(z, from_cursor, count, lambda: list(d), d.__contains__)
    for m in members:
        items += [m, ld2string_auto(d[m])]
    return scan.reply(cursor, scan.filter_pairs(items, match))
