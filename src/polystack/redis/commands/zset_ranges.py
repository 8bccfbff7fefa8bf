"""Sorted-set range reads (t_zset.c): ZRANGE with BYSCORE/BYLEX/REV/LIMIT, ZRANGESTORE and the
older ZREVRANGE/ZRANGEBYSCORE/ZREVRANGEBYSCORE/ZRANGEBYLEX/ZREVRANGEBYLEX."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from polystack.redis.args import parse_int, small_int
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import single
from polystack.redis.commands.zsets import (
    _ONE_KEY,
    _RO_ACCESS,
    _WRONGTYPE,
    ZGROUP,
    _rank_bounds,
    parse_lex_range,
    parse_score_range,
    store_result,
)
from polystack.redis.errors import SYNTAX, err
from polystack.redis.lookup import lookup_read
from polystack.redis.objects import touch
from polystack.redis.rangememo import RangeMemo
from polystack.redis.wire import bulk_array
from polystack.redis.zset_type import (
    ZSet,
    lex_bounds,
    score_bounds,
    zset_add,
)

# -- ZRANGE and friends -------------------------------------------------------------------------
RANK, SCORE, LEX = "rank", "score", "lex"
_member = itemgetter(1)  # of a (score, member) entry


def select_range(
    z: ZSet, kind: str, bounds: Any, reverse: bool, offset: int, limit: int
) -> list[tuple[float, bytes]]:
    """The entries a ZRANGE-style request selects, in reply order."""
    if kind == RANK:
        r = _rank_bounds(z, bounds[0], bounds[1])
        if r is None:
            return []
        start, end = r
        if reverse:
            n = len(z)
            items = z.range(n - 1 - end, n - start)
            items.reverse()
            return items
        return z.range(start, end + 1)
    if offset > 0 and offset >= len(z):
        return []
    if kind == SCORE:
        lo, hi = score_bounds(z, *bounds)
    else:
        lo_item, lo_ex, hi_item, hi_ex = bounds
        lo, hi = lex_bounds(z, lo_item, lo_ex, hi_item, hi_ex, reverse=reverse)
    if offset < 0:
        return []
    count = hi - lo - offset
    if limit >= 0:
        count = min(count, limit)
    if count <= 0:
        return []
    if reverse:
        items = z.range(hi - offset - count, hi - offset)
        items.reverse()
        return items
    return z.range(lo + offset, lo + offset + count)


def range_reply(client: Any, items: list[tuple[float, bytes]], withscores: bool) -> Any:
    if not withscores:
        return bulk_array(list(map(_member, items)))
    if client.resp3:
        return [[m, s] for s, m in items]
    out: list[Any] = []
    for s, m in items:
        out += [m, s]
    return out


def zrange_generic(
    client: Any, argv: list[bytes], start: int, store: bool, kind: str | None, reverse: bool | None
) -> Any:
    """zrangeGenericCommand: ``start`` is the position of the source key."""
    key = argv[start]
    minidx, maxidx = start + 1, start + 2
    withscores = False
    offset, limit = 0, -1
    j = start + 3
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        left = n - j - 1
        if not store and opt == b"withscores":
            withscores = True
        elif opt == b"limit" and left >= 2:
            offset = parse_int(argv[j + 1])
            limit = parse_int(argv[j + 2])
            j += 2
        elif reverse is None and opt == b"rev":
            reverse = True
        elif kind is None and opt == b"bylex":
            kind = LEX
        elif kind is None and opt == b"byscore":
            kind = SCORE
        else:
            raise SYNTAX
        j += 1
    reverse = bool(reverse)
    kind = kind or RANK
    if limit != -1 and kind == RANK:
        raise err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
        )
    if withscores and kind == LEX:
        raise err("syntax error, WITHSCORES not supported in combination with BYLEX")
    if reverse and kind in (SCORE, LEX):
        minidx, maxidx = maxidx, minidx
    if kind == RANK:
        bounds: Any = (parse_int(argv[minidx]), parse_int(argv[maxidx]))
    elif kind == SCORE:
        bounds = parse_score_range(argv[minidx], argv[maxidx])
    else:
        bounds = parse_lex_range(argv[minidx], argv[maxidx])
    if store:
        return _range_store(client, argv[1], key, kind, bounds, reverse, offset, limit)
    z = lookup_read(client, key)
    if z is None:
        return []
    if type(z) is not ZSet:
        raise _WRONGTYPE
    items = select_range(z, kind, bounds, reverse, offset, limit)
    return range_reply(client, items, withscores)


def _range_store(
    client: Any,
    dst: bytes,
    key: bytes,
    kind: str,
    bounds: Any,
    reverse: bool,
    offset: int,
    limit: int,
) -> int:
    z = lookup_read(client, key)
    if z is not None and type(z) is not ZSet:
        raise _WRONGTYPE
    items = select_range(z, kind, bounds, reverse, offset, limit) if z is not None else []
    limits = client.ks.limits
    # zrangeResultBeginStore: a skiplist from the start when a rank range is known to be long
    length = len(items) if kind == RANK else -1
    result = ZSet(length <= limits.zset_max_listpack_entries)
    for score, member in items:
        zset_add(result, score, member, 0, limits)
    return store_result(client, dst, result if items else None, b"zrangestore")


_RANGE_COMPLEXITY = (
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
    "elements being returned. If M is constant (e.g. always asking for the first 10 elements "
    "with LIMIT), you can consider it O(log(N))."
)


@command(
    "zrange",
    -4,
    "readonly",
    _ONE_KEY,
    ZGROUP,
    "1.2.0",
    "Return a range of members in a sorted set",
    complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the "
    "number of elements returned.",
    arguments="key:key start:string stop:string "
    "sortby:oneof?@6.2.0{byscore:pure-token'BYSCORE' bylex:pure-token'BYLEX'} "
    "rev:pure-token'REV'?@6.2.0 offset_count:block'LIMIT'?@6.2.0{offset:integer count:integer} "
    "withscores:pure-token'WITHSCORES'?",
    history=(("6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options."),),
    specs=_RO_ACCESS,
)
def zrange(client: Any, argv: list[bytes]) -> Any:
    if len(argv) == 4:  # ZRANGE key start stop (by rank, no option): zrange_generic, inline
        start = small_int(argv[2])
        if start is None:
            start = parse_int(argv[2])
        end = small_int(argv[3])
        if end is None:
            end = parse_int(argv[3])
        key = argv[1]
        db = client.db
        z = db.data.get(key)
        if z is None or (db.expires and key in db.expires):
            z = lookup_read(client, key)
            if z is None:
                return []
        else:  # (lookup_read's common case, inline)
            client.ks.keyspace_hits += 1
            server = client.server
            if server.lfu:
                touch(client, key)
            else:
                db.lru[key] = server.lruclock
        if type(z) is not ZSet:
            raise _WRONGTYPE
        n = len(z.sl)  # _rank_bounds, inline
        if start < 0:
            start += n
        if end < 0:
            end += n
        if start < 0:
            start = 0
        if start > end or start >= n:
            return []
        return _ZRANGE.members(z.sl[start : end + 1])
    return zrange_generic(client, argv, 1, False, None, None)


_ZRANGE = RangeMemo()  # the last reply (an unchanged range is not encoded again)


@command(
    "zrangestore",
    -5,
    "write denyoom",
    (1, 2, 1),
    ZGROUP,
    "6.2.0",
    "Store a range of members from sorted set into another key",
    complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the "
    "number of elements stored into the destination key.",
    arguments="dst:key src:key min:string max:string "
    "sortby:oneof?{byscore:pure-token'BYSCORE' bylex:pure-token'BYLEX'} rev:pure-token'REV'? "
    "offset_count:block'LIMIT'?{offset:integer count:integer}",
    specs=(single("OW UPDATE"), single("RO ACCESS", 2)),
)
def zrangestore(client: Any, argv: list[bytes]) -> Any:
    return zrange_generic(client, argv, 2, True, None, None)


@command(
    "zrevrange",
    -4,
    "readonly",
    _ONE_KEY,
    ZGROUP,
    "1.2.0",
    "Return a range of members in a sorted set, by index, with scores ordered from high to low",
    complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the "
    "number of elements returned.",
    arguments="key:key start:integer stop:integer withscores:pure-token'WITHSCORES'?",
    deprecated=("6.2.0", "`ZRANGE` with the `REV` argument"),
    specs=_RO_ACCESS,
)
def zrevrange(client: Any, argv: list[bytes]) -> Any:
    return zrange_generic(client, argv, 1, False, RANK, True)


@command(
    "zrangebyscore",
    -4,
    "readonly",
    _ONE_KEY,
    ZGROUP,
    "1.0.5",
    "Return a range of members in a sorted set, by score",
    complexity=_RANGE_COMPLEXITY,
    arguments="key:key min:double max:double withscores:pure-token'WITHSCORES'?@2.0.0 "
    "offset_count:block'LIMIT'?{offset:integer count:integer}",
    history=(("2.0.0", "Added the `WITHSCORES` modifier."),),
    deprecated=("6.2.0", "`ZRANGE` with the `BYSCORE` argument"),
    specs=_RO_ACCESS,
)
def zrangebyscore(client: Any, argv: list[bytes]) -> Any:
    return zrange_generic(client, argv, 1, False, SCORE, False)


@command(
    "zrevrangebyscore",
    -4,
    "readonly",
    _ONE_KEY,
    ZGROUP,
    "2.2.0",
    "Return a range of members in a sorted set, by score, with scores ordered from high to low",
    complexity=_RANGE_COMPLEXITY,
    arguments="key:key max:double min:double withscores:pure-token'WITHSCORES'? "
    "offset_count:block'LIMIT'?{offset:integer count:integer}",
    history=(("2.1.6", "`min` and `max` can be exclusive."),),
    deprecated=("6.2.0", "`ZRANGE` with the `REV` and `BYSCORE` arguments"),
    specs=_RO_ACCESS,
)
def zrevrangebyscore(client: Any, argv: list[bytes]) -> Any:
    return zrange_generic(client, argv, 1, False, SCORE, True)


@command(
    "zrangebylex",
    -4,
    "readonly",
    _ONE_KEY,
    ZGROUP,
    "2.8.9",
    "Return a range of members in a sorted set, by lexicographical range",
    complexity=_RANGE_COMPLEXITY,
    arguments="key:key min:string max:string offset_count:block'LIMIT'?{offset:integer "
    "count:integer}",
    deprecated=("6.2.0", "`ZRANGE` with the `BYLEX` argument"),
    specs=_RO_ACCESS,
)
def zrangebylex(client: Any, argv: list[bytes]) -> Any:
    return zrange_generic(client, argv, 1, False, LEX, False)


@command(
    "zrevrangebylex",
    -4,
    "readonly",
    _ONE_KEY,
    ZGROUP,
    "2.8.9",
    "Return a range of members in a sorted set, by lexicographical range, ordered from higher "
    "to lower strings.",
    complexity=_RANGE_COMPLEXITY,
    arguments="key:key max:string min:string offset_count:block'LIMIT'?{offset:integer "
    "count:integer}",
    deprecated=("6.2.0", "`ZRANGE` with the `REV` and `BYLEX` arguments"),
    specs=_RO_ACCESS,
)
def zrevrangebylex(client: Any, argv: list[bytes]) -> Any:
    return zrange_generic(client, argv, 1, False, LEX, True)
