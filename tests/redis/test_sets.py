"""Sets through redis-py (sync and asyncio), and the set model (intset widths, conversions,
algebra) against Python's own sets."""

from __future__ import annotations

import asyncio

import pytest
import redis
import redis.asyncio
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis import intset, rdb
from polystack.redis.commands.sets import difference, intersection, union
from polystack.redis.set_type import RedisSet, from_members
from polystack.redis.store import EncodingLimits


def test_set_commands(r, r3) -> None:
    assert r.sadd("s", "a", "b", "c") == 3
    assert r.sadd("s", "a", "d") == 1
    assert r.smembers("s") == {b"a", b"b", b"c", b"d"}
    assert r3.smembers("s") == {b"a", b"b", b"c", b"d"}
    assert r.sismember("s", "a") == 1
    assert r.smismember("s", ["a", "z"]) == [1, 0]
    assert r.scard("s") == 4
    assert r.srem("s", "a", "z") == 1
    assert r.smove("s", "t", "b")
    assert r.smembers("t") == {b"b"}
    r.sadd("u", "c", "x")
    assert r.sinter("s", "u") == {b"c"}
    assert r.sunion("s", "u") == {b"c", b"d", b"x"}
    assert r.sdiff("s", "u") == {b"d"}
    assert r.sintercard(2, ["s", "u"]) == 1
    assert r.sinterstore("dst", ["s", "u"]) == 1
    assert r.sunionstore("dst", ["s", "u"]) == 3
    assert r.sdiffstore("dst", ["s", "u"]) == 1
    assert r.smembers("dst") == {b"d"}
    assert r.srandmember("u") in (b"c", b"x")
    assert sorted(r.srandmember("u", 5)) == [b"c", b"x"]
    assert len(r.srandmember("u", -5)) == 5
    popped = r.spop("u", 2)
    assert sorted(popped) == [b"c", b"x"]
    assert r.exists("u") == 0


def test_sscan_every_member_once(r) -> None:
    r.sadd("s", *[f"m{i}" for i in range(2000)])
    seen: list[bytes] = []
    cursor = 0
    while True:
        cursor, batch = r.sscan("s", cursor, count=100)
        seen += batch
        if cursor == 0:
            break
    assert sorted(seen) == sorted(f"m{i}".encode() for i in range(2000))


def test_random_member_distribution_is_uniform(r) -> None:
    r.sadd("s", *range(10))
    picks = [int(r.srandmember("s")) for _ in range(2000)]
    for i in range(10):
        assert 100 < picks.count(i) < 320  # ~200 each; a broken picker sits far outside


def test_wrongtype(r) -> None:
    r.set("str", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.sadd("str", "a")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.sunion("str")


def test_asyncio(server) -> None:
    async def main() -> None:
        c = redis.asyncio.Redis(port=server.redis_port)
        try:
            await c.delete("as")
            assert await c.sadd("as", 1, 2, 3) == 3
            assert await c.smembers("as") == {b"1", b"2", b"3"}
            assert await c.object("encoding", "as") == b"intset"
        finally:
            await c.aclose()

    asyncio.run(main())


# -- the model -----------------------------------------------------------------------------------
def test_intset_blob() -> None:
    assert intset.encode([1, 2], 2) == b"\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x02\x00"
    assert intset.decode(intset.encode([-5, 70000], 4)) == ([-5, 70000], 4)
    for bad in (b"", b"\x03\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00", intset.encode([], 2)):
        with pytest.raises(intset.IntsetError):
            intset.decode(bad)
    with pytest.raises(intset.IntsetError):
        intset.decode(b"\x02\x00\x00\x00\x02\x00\x00\x00\x02\x00\x01\x00")  # out of order


_MEMBERS = st.one_of(
    st.integers(-(1 << 64), 1 << 64).map(lambda i: b"%d" % i),
    st.sampled_from([b"a", b"007", b"-0", b"", b"+1", b"1.0"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), _MEMBERS), max_size=80), st.integers(0, 20))
def test_set_model_matches_python_sets(ops, max_entries) -> None:
    limits = EncodingLimits(set_max_intset_entries=max_entries)
    s = RedisSet.intset()
    model: set[bytes] = set()
    ever_hashtable = False
    widest = 2
    for add, m in ops:
        if add:
            assert s.add(m, limits) == (m not in model)
            model.add(m)
        else:
            assert s.remove(m) == (m in model)
            model.discard(m)
        ints_only = all(rdb._canonical_int(x) is not None for x in model)
        if not ints_only or len(model) > max_entries:
            ever_hashtable = True
        if not ever_hashtable:
            for x in model:
                widest = max(widest, intset.width_for(int(x)))
            assert s.encoding() == "intset" and s.width >= widest
            assert s.members() == [b"%d" % v for v in sorted(int(x) for x in model)]
        assert set(s.members()) == model
        assert len(s) == len(model)
    if ever_hashtable:
        assert s.encoding() == "hashtable"
    if model:
        back = rdb.load_payload(rdb.dump_payload(s), limits)
        assert set(back.members()) == model


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sets(st.integers(0, 30).map(lambda i: b"%d" % i), max_size=12), min_size=1))
def test_algebra_matches_python(groups) -> None:
    limits = EncodingLimits()
    sets = [from_members(sorted(g), limits) for g in groups]
    assert set(union(sets)) == set().union(*groups)
    if all(groups):
        assert set(intersection(sets)) == set.intersection(*groups)
    assert set(difference(sets)) == groups[0].difference(*groups[1:])
