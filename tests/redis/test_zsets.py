"""Sorted sets through redis-py (sync and asyncio), and the model's range queries against a
naive reference (hypothesis), in both encodings."""

from __future__ import annotations

import asyncio
import math

import pytest
import redis
import redis.asyncio
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis import rdb
from polystack.redis.args import strtod_whole
from polystack.redis.commands.zset_ranges import LEX, RANK, SCORE, select_range
from polystack.redis.store import EncodingLimits
from polystack.redis.zset_type import (
    MAX_STRING,
    MIN_STRING,
    ZSet,
    d2string,
    double2ll,
    listpack_score,
    zset_add,
)


def test_zset_commands(r, r3) -> None:
    assert r.zadd("z", {"a": 1, "b": 2, "c": 3}) == 3
    assert r.zadd("z", {"a": 5}, ch=True) == 1
    assert r.zadd("z", {"d": 0.5}, nx=True) == 1
    assert r.zincrby("z", 1.5, "d") == 2.0
    assert r.zscore("z", "d") == 2.0
    assert r.zmscore("z", ["a", "zz"]) == [5.0, None]
    assert r.zrange("z", 0, -1, withscores=True) == [
        (b"b", 2.0),
        (b"d", 2.0),
        (b"c", 3.0),
        (b"a", 5.0),
    ]
    assert r3.zrange("z", 0, 1, withscores=True) == [[b"b", 2.0], [b"d", 2.0]]
    assert r.zrangebyscore("z", "(2", "+inf") == [b"c", b"a"]
    assert r.zrevrangebyscore("z", 10, 0, start=1, num=2) == [b"c", b"d"]
    assert r.zrank("z", "c") == 2
    assert r.zrevrank("z", "c") == 1
    assert r.zcount("z", 2, 3) == 3
    assert r.zrem("z", "a", "nope") == 1
    assert r.zpopmin("z") == [(b"b", 2.0)]
    assert r.zpopmax("z", 2) == [(b"c", 3.0), (b"d", 2.0)]
    assert r.exists("z") == 0
    r.zadd("l", {"a": 0, "b": 0, "c": 0})
    assert r.zrangebylex("l", "[b", "+") == [b"b", b"c"]
    assert r.zlexcount("l", "-", "(c") == 2
    assert r.zremrangebylex("l", "-", "[a") == 1
    assert r.zrangestore("dst", "l", 0, -1) == 2
    r.zadd("m", {"b": 10, "x": 1})
    assert r.zunion(["l", "m"], withscores=True) == [(b"c", 0.0), (b"x", 1.0), (b"b", 10.0)]
    assert r.zinter(["l", "m"], aggregate="MAX", withscores=True) == [(b"b", 10.0)]
    assert r.zdiff(["l", "m"]) == [b"c"]
    assert r.zintercard(2, ["l", "m"]) == 1
    assert r.zmpop(2, ["nokey", "m"], max=True) == [b"m", [[b"b", b"10"]]]
    assert r.zrandmember("m") == b"x"


def test_zscan_every_member_once(r) -> None:
    r.zadd("z", {f"m{i}": i for i in range(1000)})
    seen: dict[bytes, float] = {}
    for member, score in r.zscan_iter("z", count=50):
        assert member not in seen
        seen[member] = score
    assert seen == {f"m{i}".encode(): float(i) for i in range(1000)}


def test_scores_are_formatted_as_redis_does(r) -> None:
    r.zadd("z", {"a": 0.1, "b": 1e17, "c": -0.0, "d": float("inf")})
    raw = r.execute_command("ZRANGE", "z", 0, -1, "WITHSCORES", NEVER_DECODE=True)
    assert raw == [b"c", b"0", b"a", b"0.10000000000000001", b"b", b"1e+17", b"d", b"inf"]


def test_asyncio(server) -> None:
    async def main() -> None:
        c = redis.asyncio.Redis(port=server.redis_port)
        try:
            await c.delete("az")
            assert await c.zadd("az", {"a": 1, "b": 2}) == 2
            assert await c.zrange("az", 0, -1) == [b"a", b"b"]
        finally:
            await c.aclose()

    asyncio.run(main())


# -- units ------------------------------------------------------------------------------------
def test_score_text_helpers() -> None:
    assert d2string(-0.0) == b"-0"
    assert d2string(1.5) == b"1.5"
    assert d2string(1e17) == b"100000000000000000"
    assert d2string(1e300) == b"1.0000000000000001e+300"
    assert double2ll(4611686018427387904.0) == 4611686018427387904
    assert double2ll(9.3e18) is None
    assert listpack_score(3.0) == 3
    assert listpack_score(0.25) == b"0.25"
    assert strtod_whole(b"") == 0.0
    assert strtod_whole(b"  5") == 5.0
    assert strtod_whole(b"5 ") is None
    assert strtod_whole(b"nan") is None
    assert strtod_whole(b"1e999") == math.inf


_MEMBER = st.binary(min_size=0, max_size=4)
_SCORE = st.one_of(st.integers(-5, 5).map(float), st.sampled_from([-math.inf, math.inf, 0.5, -0.0]))


def _reference(entries, kind, bounds, reverse, offset, limit):
    """The selection as Redis describes it, computed naively."""
    items = sorted((s, m) for m, s in entries.items())
    if kind == RANK:
        n = len(items)
        start, end = bounds
        start = start + n if start < 0 else start
        end = end + n if end < 0 else end
        start = max(start, 0)
        if start > end or start >= n:
            return []
        seq = items[::-1] if reverse else items
        return seq[start : min(end, n - 1) + 1]
    if kind == SCORE:
        lo, loex, hi, hiex = bounds

        def inside(s):
            return (s > lo if loex else s >= lo) and (s < hi if hiex else s <= hi)

    else:
        lo, loex, hi, hiex = bounds

        def gte(m):
            return lo is MIN_STRING or (lo is not MAX_STRING and (m > lo if loex else m >= lo))

        def lte(m):
            return hi is MAX_STRING or (hi is not MIN_STRING and (m < hi if hiex else m <= hi))

        def inside(m):
            return gte(m) and lte(m)

    key = 0 if kind == SCORE else 1
    chosen = [it for it in items if inside(it[key])]
    if reverse:
        chosen.reverse()
    if offset < 0 or (offset > 0 and offset >= len(items)):
        return []
    chosen = chosen[offset:]
    return chosen if limit < 0 else chosen[:limit]


_BOUND = st.one_of(st.integers(-6, 6).map(float), st.sampled_from([-math.inf, math.inf]))
_LEX = st.one_of(st.sampled_from([MIN_STRING, MAX_STRING]), _MEMBER)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(_MEMBER, _SCORE, max_size=25),
    st.booleans(),
    st.sampled_from([RANK, SCORE, LEX]),
    st.tuples(_BOUND, st.booleans(), _BOUND, st.booleans()),
    st.tuples(_LEX, st.booleans(), _LEX, st.booleans()),
    st.tuples(st.integers(-30, 30), st.integers(-30, 30)),
    st.booleans(),
    st.integers(-2, 5),
    st.integers(-1, 6),
)
def test_ranges_match_reference(entries, packed, kind, srange, lrange, rrange, rev, off, lim):
    z = ZSet(packed)
    if kind == LEX:
        entries = dict.fromkeys(entries, 0.0)  # lex ranges are for equal scores
    for m, s in entries.items():
        z.insert(m, s)
    bounds = {RANK: rrange, SCORE: srange, LEX: lrange}[kind]
    if kind == RANK:
        off, lim = 0, -1
    got = select_range(z, kind, bounds, rev, off, lim)
    want = _reference(dict(z.dict), kind, bounds, rev, off, lim)
    assert [m for _, m in got] == [m for _, m in want]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_MEMBER, _SCORE), max_size=40), st.integers(0, 8), st.integers(0, 4))
def test_encoding_one_way_and_dump_round_trip(adds, max_entries, max_value) -> None:
    limits = EncodingLimits(
        zset_max_listpack_entries=max_entries, zset_max_listpack_value=max_value
    )
    z = ZSet(max_entries > 0)
    crossed = max_entries == 0
    for m, s in adds:
        new = m not in z.dict
        zset_add(z, s, m, 0, limits)
        if new and (len(z) > max_entries or len(m) > max_value):
            crossed = True
        assert z.listpack == (not crossed)
    if not len(z):
        return
    back = rdb.load_payload(rdb.dump_payload(z), limits)
    assert list(back.sl) == list(z.sl) or not z.listpack
    assert {m: s for s, m in back.sl} == {m: (0.0 if s == 0 else s) for s, m in z.sl} or (
        not z.listpack and back.dict == z.dict
    )


def test_wrongtype(r) -> None:
    r.set("s", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.zadd("s", {"a": 1})
