"""Sorted set commands (t_zset.c), part one: ZADD/ZINCRBY, removal, scores and ranks, and
the ZRANGE family (by rank, score and lex; REV, LIMIT, WITHSCORES; ZRANGESTORE).  The set
algebra, pops and random members are in zset_ops.py."""

from __future__ import annotations

from bisect import insort
from operator import itemgetter
from typing import Any

from polystack.redis.args import parse_double, parse_int, small_float, small_int, strtod_whole
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import single
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.lookup import db_add, db_delete, lookup_read, read_typed, write_typed
from polystack.redis.notify import NOTIFY_GENERIC, NOTIFY_ZSET, key_changed, modified, notify
from polystack.redis.objects import new_stamp, touch
from polystack.redis.rangememo import RangeMemo
from polystack.redis.wire import bulk_array
from polystack.redis.zset_type import (
    ADD_GT,
    ADD_INCR,
    ADD_LT,
    ADD_NX,
    ADD_XX,
    MAX_STRING,
    MIN_STRING,
    OUT_ADDED,
    OUT_NAN,
    OUT_NOP,
    OUT_UPDATED,
    ZSet,
    lex_bounds,
    new_for,
    score_bounds,
    zset_add,
)

ZGROUP = "sorted-set"
_ONE_KEY = (1, 1, 1)
_RO_ACCESS = (single("RO ACCESS"),)
_WRONGTYPE = RedisError("WRONGTYPE", "Operation against a key holding the wrong kind of value")
_NOT_FLOAT_RANGE = err("min or max is not a float")
_NOT_LEX_RANGE = err("min or max not valid string range item")
_OPTIONS = {b"nx": ADD_NX, b"xx": ADD_XX, b"gt": ADD_GT, b"lt": ADD_LT, b"incr": ADD_INCR}


def changed(client: Any, key: bytes, event: bytes, dirty: int) -> None:
    """signalModifiedKey, the keyspace event and dirty (skipped at once when nothing
    listens: the hot path)."""
    ks = client.ks
    if ks.key_listeners or ks.notify_classes or ks.new_candidates:
        key_changed(client, client.db, key, NOTIFY_ZSET, event)
    ks.dirty += dirty


def store_result(client: Any, dst: bytes, z: ZSet | None, event: bytes) -> int:
    """setKey of a non-empty result (TTL cleared), else DEL of the destination."""
    db = client.db
    if z is None or not len(z):
        if db.get(dst, client.now_ms()) is not None:
            db_delete(client, dst)
            modified(client, dst)
            client.ks.dirty += 1
        return 0
    if db.get(dst, client.now_ms()) is not None:
        db.set(dst, z)
        db.lru[dst] = new_stamp(client)
    else:
        db_add(client, dst, z)
    modified(client, dst)
    notify(client, NOTIFY_ZSET, event, dst)
    client.ks.dirty += 1
    return len(z)


# -- ZADD / ZINCRBY -----------------------------------------------------------------------------
_NUMERIC_START = frozenset(b"0123456789-+.")


def zadd_generic(client: Any, argv: list[bytes], flags: int) -> Any:
    key = argv[1]
    ch = False
    idx = 2
    n = len(argv)
    if n == 4 and not flags and argv[2][:1] and argv[2][0] in _NUMERIC_START:
        return _zadd_one(client, key, parse_double(argv[2]), argv[3])
    while idx < n:
        opt = argv[idx].lower()
        bit = _OPTIONS.get(opt)
        if bit is not None:
            flags |= bit
        elif opt == b"ch":
            ch = True
        else:
            break
        idx += 1
    elements = n - idx
    if elements % 2 or not elements:
        raise SYNTAX
    elements //= 2
    if flags & ADD_NX and flags & ADD_XX:
        raise err("XX and NX options at the same time are not compatible")
    if (
        (flags & ADD_GT and flags & ADD_NX)
        or (flags & ADD_LT and flags & ADD_NX)
        or (flags & ADD_GT and flags & ADD_LT)
    ):
        raise err("GT, LT, and/or NX options at the same time are not compatible")
    incr = flags & ADD_INCR
    if incr and elements > 1:
        raise err("INCR option supports a single increment-element pair")
    scores = [parse_double(argv[idx + 2 * j]) for j in range(elements)]
    db = client.db
    z = db.data.get(key)
    if z is None or (db.expires and key in db.expires):
        z = write_typed(client, key, ZSet)
    elif type(z) is not ZSet:
        raise _WRONGTYPE
    else:
        touch(client, key)
    added = updated = processed = 0
    score = 0.0
    limits = client.ks.limits
    if z is None:
        if flags & ADD_XX:
            return None if incr else 0
        z = new_for(argv[idx + 1], limits)
        db_add(client, key, z)
    error = None
    for j in range(elements):
        out, score = zset_add(z, scores[j], argv[idx + 1 + 2 * j], flags, limits)
        if out & OUT_NAN:
            error = err("resulting score is not a number (NaN)")
            break
        if out & OUT_ADDED:
            added += 1
        elif out & OUT_UPDATED:
            updated += 1
        if not out & OUT_NOP:
            processed += 1
    if added or updated:
        changed(client, key, b"zincr" if incr else b"zadd", added + updated)
    if error is not None:
        raise error
    if incr:
        return score if processed else None
    return added + updated if ch else added


def _zadd_one(client: Any, key: bytes, score: float, member: bytes) -> int:
    """ZADD key score member: the common form, without the option parsing."""
    db = client.db
    z = db.data.get(key)
    if z is None or (db.expires and key in db.expires):
        z = write_typed(client, key, ZSet)
    elif type(z) is not ZSet:
        raise _WRONGTYPE
    else:
        server = client.server
        if server.lfu:
            touch(client, key)
        else:  # (touch's common case, inline)
            db.lru[key] = server.lruclock
    ks = client.ks
    limits = ks.limits
    if z is None:
        z = new_for(member, limits)
        db_add(client, key, z)
    if z.listpack:  # zset_add on a listpack, inline
        sl = z.sl
        i = 0
        for cur, m in sl:
            if m == member:
                if score == cur:
                    return 0
                del sl[i]  # the new score's place: the member moves
                insort(sl, (0.0 if score == 0 else score, member))
                added = 0
                break
            i += 1
        else:
            if (
                len(sl) < limits.zset_max_listpack_entries
                and len(member) <= limits.zset_max_listpack_value
            ):
                insort(sl, (0.0 if score == 0 else score, member))
            else:
                z.to_skiplist()
                z.insert(member, score)
            added = 1
        if ks.key_listeners or ks.notify_classes or ks.new_candidates:
            key_changed(client, client.db, key, NOTIFY_ZSET, b"zadd")
        ks.dirty += 1
        return added
    out, _ = zset_add(z, score, member, 0, limits)
    if out & OUT_NAN:  # pragma: no cover - a parsed score is never NaN
        raise err("resulting score is not a number (NaN)")
    if out & (OUT_ADDED | OUT_UPDATED):
        changed(client, key, b"zadd", 1)
    return 1 if out & OUT_ADDED else 0


@command(
    "zadd",
    -4,
    "write denyoom fast",
    _ONE_KEY,
    ZGROUP,
    "1.2.0",
    "Add one or more members to a sorted set, or update its score if it already exists",
    complexity="O(log(N)) for each item added, where N is the number of elements in the "
    "sorted set.",
    arguments="key:key condition:oneof?@3.0.2{nx:pure-token'NX' xx:pure-token'XX'} "
    "comparison:oneof?@6.2.0{gt:pure-token'GT' lt:pure-token'LT'} "
    "change:pure-token'CH'?@3.0.2 increment:pure-token'INCR'?@3.0.2 "
    "score_member:block+{score:double member:string}",
    history=(
        ("2.4.0", "Accepts multiple elements."),
        ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."),
        ("6.2.0", "Added the `GT` and `LT` options."),
    ),
    specs=(single("RW UPDATE"),),
)
def zadd(client: Any, argv: list[bytes]) -> Any:
    if len(argv) == 4:  # ZADD key score member (zadd_generic's first test, inline)
        score = small_float(argv[2])
        if score is not None:
            return _zadd_one(client, argv[1], score, argv[3])
    return zadd_generic(client, argv, 0)


@command(
    "zincrby",
    4,
    "write denyoom fast",
    _ONE_KEY,
    ZGROUP,
    "1.2.0",
    "Increment the score of a member in a sorted set",
    complexity="O(log(N)) where N is the number of elements in the sorted set.",
    arguments="key:key increment:integer member:string",
    specs=(single("RW ACCESS UPDATE"),),
)
def zincrby(client: Any, argv: list[bytes]) -> Any:
    return zadd_generic(client, argv, ADD_INCR)


# -- removal ------------------------------------------------------------------------------------
@command(
    "zrem",
    -3,
    "write fast",
    _ONE_KEY,
    ZGROUP,
    "1.2.0",
    "Remove one or more members from a sorted set",
    complexity="O(M*log(N)) with N being the number of elements in the sorted set and M the "
    "number of elements to be removed.",
    arguments="key:key member:string+",
    history=(("2.4.0", "Accepts multiple elements."),),
    specs=(single("RW DELETE"),),
)
def zrem(client: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    z = write_typed(client, key, ZSet)
    if z is None:
        return 0
    deleted = 0
    removed = False
    for m in argv[2:]:
        if z.delete(m):
            deleted += 1
        if not len(z):
            client.db.delete(key)
            removed = True
            break
    if deleted:
        notify(client, NOTIFY_ZSET, b"zrem", key)
        if removed:
            notify(client, NOTIFY_GENERIC, b"del", key)
        modified(client, key)
        client.ks.dirty += deleted
    return deleted


def parse_score_range(lo: bytes, hi: bytes) -> tuple[float, bool, float, bool]:
    """zslParseRange: "(" makes a bound exclusive; C strtod reads the rest."""
    out: list[Any] = []
    for arg in (lo, hi):
        ex = arg[:1] == b"("
        v = strtod_whole(arg[1:] if ex else arg)
        if v is None:
            raise _NOT_FLOAT_RANGE
        out += [v, ex]
    return out[0], out[1], out[2], out[3]


def parse_lex_item(arg: bytes) -> tuple[Any, bool]:
    c = arg[:1]
    if c == b"+":
        if len(arg) > 1 and arg[1] != 0:
            raise _NOT_LEX_RANGE
        return MAX_STRING, True
    if c == b"-":
        if len(arg) > 1 and arg[1] != 0:
            raise _NOT_LEX_RANGE
        return MIN_STRING, True
    if c == b"(":
        return arg[1:], True
    if c == b"[":
        return arg[1:], False
    raise _NOT_LEX_RANGE


def parse_lex_range(lo: bytes, hi: bytes) -> tuple[Any, bool, Any, bool]:
    """zslParseLexRange: "(" exclusive, "[" inclusive, "-" and "+" the extremes."""
    a, aex = parse_lex_item(lo)
    b, bex = parse_lex_item(hi)
    return a, aex, b, bex


def _rank_bounds(z: ZSet, start: int, end: int) -> tuple[int, int] | None:
    """Sanitized rank range (inclusive end), or None when empty."""
    n = len(z)
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return None
    return start, min(end, n - 1)


def _remrange(client: Any, argv: list[bytes], kind: str) -> Any:
    key = argv[1]
    if kind == "rank":
        start, end = parse_int(argv[2]), parse_int(argv[3])
        event = b"zremrangebyrank"
    elif kind == "score":
        srange = parse_score_range(argv[2], argv[3])
        event = b"zremrangebyscore"
    else:
        lrange = parse_lex_range(argv[2], argv[3])
        event = b"zremrangebylex"
    z = write_typed(client, key, ZSet)
    if z is None:
        return 0
    if kind == "rank":
        bounds = _rank_bounds(z, start, end)
        if bounds is None:
            return 0
        lo, hi = bounds[0], bounds[1] + 1
    elif kind == "score":
        lo, hi = score_bounds(z, *srange)
    else:
        lo, hi = lex_bounds(z, *lrange)
    doomed = z.range(lo, hi)
    for _, m in doomed:
        z.delete(m)
    removed = not len(z)
    if removed:
        client.db.delete(key)
    if doomed:
        modified(client, key)
        notify(client, NOTIFY_ZSET, event, key)
        if removed:
            notify(client, NOTIFY_GENERIC, b"del", key)
    client.ks.dirty += len(doomed)
    return len(doomed)


_RM = (single("RW DELETE"),)
_RM_COMPLEXITY = (
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
    "elements removed by the operation."
)


@command(
    "zremrangebyrank",
    4,
    "write",
    _ONE_KEY,
    ZGROUP,
    "2.0.0",
    "Remove all members in a sorted set within the given indexes",
    complexity=_RM_COMPLEXITY,
    arguments="key:key start:integer stop:integer",
    specs=_RM,
)
def zremrangebyrank(client: Any, argv: list[bytes]) -> Any:
    return _remrange(client, argv, "rank")


@command(
    "zremrangebyscore",
    4,
    "write",
    _ONE_KEY,
    ZGROUP,
    "1.2.0",
    "Remove all members in a sorted set within the given scores",
    complexity=_RM_COMPLEXITY,
    arguments="key:key min:double max:double",
    specs=_RM,
)
def zremrangebyscore(client: Any, argv: list[bytes]) -> Any:
    return _remrange(client, argv, "score")


@command(
    "zremrangebylex",
    4,
    "write",
    _ONE_KEY,
    ZGROUP,
    "2.8.9",
    "Remove all members in a sorted set between the given lexicographical range",
    complexity=_RM_COMPLEXITY,
    arguments="key:key min:string max:string",
    specs=_RM,
)
def zremrangebylex(client: Any, argv: list[bytes]) -> Any:
    return _remrange(client, argv, "lex")


# -- scores, ranks, counts ----------------------------------------------------------------------
@command(
    "zcard",
    2,
    "readonly fast",
    _ONE_KEY,
    ZGROUP,
    "1.2.0",
    "Get the number of members in a sorted set",
    complexity="O(1)",
    arguments="key:key",
    specs=(single("RO"),),
)
def zcard(client: Any, argv: list[bytes]) -> Any:
    z = read_typed(client, argv[1], ZSet)
    return 0 if z is None else len(z)


@command(
    "zscore",
    3,
    "readonly fast",
    _ONE_KEY,
    ZGROUP,
    "1.2.0",
    "Get the score associated with the given member in a sorted set",
    complexity="O(1)",
    arguments="key:key member:string",
    specs=_RO_ACCESS,
)
def zscore(client: Any, argv: list[bytes]) -> Any:
    z = read_typed(client, argv[1], ZSet)
    if z is None:
        return None
    return z.dict.get(argv[2])


@command(
    "zmscore",
    -3,
    "readonly fast",
    _ONE_KEY,
    ZGROUP,
    "6.2.0",
    "Get the score associated with the given members in a sorted set",
    complexity="O(N) where N is the number of members being requested.",
    arguments="key:key member:string+",
    specs=_RO_ACCESS,
)
def zmscore(client: Any, argv: list[bytes]) -> Any:
    z = read_typed(client, argv[1], ZSet)
    if z is None:
        return [None] * (len(argv) - 2)
    get = z.dict.get
    return [get(m) for m in argv[2:]]


def _rank(client: Any, argv: list[bytes], reverse: bool) -> Any:
    z = read_typed(client, argv[1], ZSet)
    if z is None:
        return None
    r = z.rank(argv[2])
    if r is None:
        return None
    return len(z) - 1 - r if reverse else r


@command(
    "zrank",
    3,
    "readonly fast",
    _ONE_KEY,
    ZGROUP,
    "2.0.0",
    "Determine the index of a member in a sorted set",
    complexity="O(log(N))",
    arguments="key:key member:string",
    specs=_RO_ACCESS,
)
def zrank(client: Any, argv: list[bytes]) -> Any:
    return _rank(client, argv, False)


@command(
    "zrevrank",
    3,
    "readonly fast",
    _ONE_KEY,
    ZGROUP,
    "2.0.0",
    "Determine the index of a member in a sorted set, with scores ordered from high to low",
    complexity="O(log(N))",
    arguments="key:key member:string",
    specs=_RO_ACCESS,
)
def zrevrank(client: Any, argv: list[bytes]) -> Any:
    return _rank(client, argv, True)


@command(
    "zcount",
    4,
    "readonly fast",
    _ONE_KEY,
    ZGROUP,
    "2.0.0",
    "Count the members in a sorted set with scores within the given values",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    arguments="key:key min:double max:double",
    specs=_RO_ACCESS,
)
def zcount(client: Any, argv: list[bytes]) -> Any:
    srange = parse_score_range(argv[2], argv[3])
    z = read_typed(client, argv[1], ZSet)
    if z is None:
        return 0
    lo, hi = score_bounds(z, *srange)
    return hi - lo


@command(
    "zlexcount",
    4,
    "readonly fast",
    _ONE_KEY,
    ZGROUP,
    "2.8.9",
    "Count the number of members in a sorted set between a given lexicographical range",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    arguments="key:key min:string max:string",
    specs=_RO_ACCESS,
)
def zlexcount(client: Any, argv: list[bytes]) -> Any:
    lrange = parse_lex_range(argv[2], argv[3])
    z = read_typed(client, argv[1], ZSet)
    if z is None:
        return 0
    lo, hi = lex_bounds(z, *lrange)
    return hi - lo


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
