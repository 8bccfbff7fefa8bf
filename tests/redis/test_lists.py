"""Lists through redis-py (sync and asyncio, blocking calls included), and the quicklist
model against a plain Python list (hypothesis): same elements, node sizes exact."""

from __future__ import annotations

import asyncio
import threading
import time

import redis
import redis.asyncio
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis import listpack, rdb
from polystack.redis.quicklist import Quicklist
from polystack.redis.store import EncodingLimits


def test_list_commands(r) -> None:
    assert r.rpush("l", "a", "b", "c") == 3
    assert r.lpush("l", "z") == 4
    assert r.lrange("l", 0, -1) == [b"z", b"a", b"b", b"c"]
    assert r.lindex("l", -1) == b"c"
    assert r.linsert("l", "BEFORE", "b", "x") == 5
    assert r.lset("l", 0, "first") is True
    assert r.lpos("l", "b") == 3
    assert r.lrem("l", 0, "x") == 1
    assert r.ltrim("l", 1, -1) is True
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c"]
    assert r.lpop("l") == b"a"
    assert r.rpop("l", 5) == [b"c", b"b"]
    assert r.exists("l") == 0
    r.rpush("m", 1, 2)
    assert r.lmove("m", "n", "LEFT", "RIGHT") == b"1"
    assert r.rpoplpush("m", "n") == b"2"
    assert r.lrange("n", 0, -1) == [b"2", b"1"]
    assert r.lmpop(2, "nokey", "n", direction="LEFT", count=5) == [b"n", [b"2", b"1"]]


def test_blocking_calls_through_redis_py(server) -> None:
    c = redis.Redis(port=server.redis_port)
    waiter = redis.Redis(port=server.redis_port)
    c.delete("bq", "bdst")
    got: list = []
    t = threading.Thread(target=lambda: got.append(waiter.blpop(["bq"], timeout=5)))
    t.start()
    deadline = time.monotonic() + 5
    while c.info("clients")["blocked_clients"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    c.rpush("bq", "job")
    t.join(5)
    assert got == [(b"bq", b"job")]
    assert waiter.blpop(["bq"], timeout=0.05) is None
    assert waiter.brpoplpush("bq", "bdst", timeout=0.05) is None
    c.zadd("bz", {"m": 1})
    assert waiter.bzpopmin("bz", timeout=1) == (b"bz", b"m", 1.0)
    for x in (c, waiter):
        x.close()


def test_asyncio_blocking(server) -> None:
    async def main() -> None:
        a = redis.asyncio.Redis(port=server.redis_port)
        b = redis.asyncio.Redis(port=server.redis_port)
        try:
            await a.delete("aq")
            task = asyncio.ensure_future(a.brpop(["aq"], timeout=5))
            for _ in range(500):
                if (await b.info("clients"))["blocked_clients"] >= 1:
                    break
                await asyncio.sleep(0.01)
            await b.lpush("aq", "x", "y")
            assert tuple(await task) == (b"aq", b"x")
            assert await b.lrange("aq", 0, -1) == [b"y"]
        finally:
            await a.aclose()
            await b.aclose()

    asyncio.run(main())


# -- the model -----------------------------------------------------------------------------------
_VALUES = st.one_of(
    st.integers(-(10**6), 10**6).map(lambda i: b"%d" % i),
    st.binary(max_size=40),
    st.binary(min_size=200, max_size=2500),
)
_OPS = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["lpush", "rpush"]), _VALUES),
        st.tuples(st.just("insert"), st.integers(0, 60), st.booleans(), _VALUES),
        st.tuples(st.just("set"), st.integers(-60, 60), _VALUES),
        st.tuples(st.sampled_from(["lpop", "rpop"])),
        st.tuples(st.just("delrange"), st.integers(-30, 30), st.integers(0, 10)),
    ),
    max_size=80,
)


def _check_nodes(q: Quicklist, model: list[bytes]) -> None:
    assert list(q) == model
    assert list(q.reversed()) == model[::-1]
    assert q.count == len(model) == sum(len(n) for n in q.nodes)
    for node in q.nodes:
        assert node.items, "empty nodes are dropped"
        if node.plain:
            assert len(node.items) == 1 and node.sz == len(node.items[0])
        else:
            assert node.sz == len(listpack.encode(node.items))


@settings(max_examples=120, deadline=None)
@given(_OPS, st.sampled_from([-1, -2, -5, 0, 2, 5]), st.sampled_from([1 << 30, 300]))
def test_quicklist_matches_a_python_list(ops, fill, threshold) -> None:
    q = Quicklist(fill)
    model: list[bytes] = []
    for op in ops:
        kind = op[0]
        if kind == "lpush":
            q.push_head(op[1], threshold)
            model.insert(0, op[1])
        elif kind == "rpush":
            q.push_tail(op[1], threshold)
            model.append(op[1])
        elif kind == "insert" and model:
            index = op[1] % len(model)
            ni, off = q.locate(index)
            q.insert(ni, off, op[3], op[2], threshold)
            model.insert(index + 1 if op[2] else index, op[3])
        elif kind == "set":
            ok = q.replace(op[1], op[2], threshold)
            assert ok == (-len(model) <= op[1] < len(model))
            if ok:
                model[op[1]] = op[2]
        elif kind in ("lpop", "rpop") and model:
            assert (q.pop_head() if kind == "lpop" else q.pop_tail()) == model.pop(
                0 if kind == "lpop" else -1
            )
        elif kind == "delrange":
            start, count = op[1], op[2]
            q.delete_range(start, count)
            s = max(len(model) + start, 0) if start < 0 else start
            del model[s : s + count]
        _check_nodes(q, model)
        for i in range(-len(model), len(model)):
            assert q.index(i) == model[i]
    if model:
        back = rdb.load_payload(rdb.dump_payload(q), EncodingLimits(list_max_listpack_size=fill))
        assert list(back) == model
        assert [n.items for n in back.nodes] == [n.items for n in q.nodes]


def test_range_memo_answers_equal_ranges_and_keeps_small_replies_only() -> None:
    from polystack.redis.rangememo import MAX_ITEMS, RangeMemo

    memo = RangeMemo()
    first = memo.bulk_array([b"a", b"bc"])
    assert first == b"*2\r\n$1\r\na\r\n$2\r\nbc\r\n"
    assert memo.bulk_array([b"a", b"bc"]) is first  # equal elements, other objects
    assert memo.bulk_array([b"a", b"bd"]) == b"*2\r\n$1\r\na\r\n$2\r\nbd\r\n"
    assert memo.bulk_array([]) == b"*0\r\n"
    big = [b"x"] * (MAX_ITEMS + 1)
    assert memo.bulk_array(big).startswith(b"*%d\r\n" % len(big))
    assert memo.items is not big  # not kept
    zs = RangeMemo()
    entries = [(1.0, b"m"), (2.0, b"n")]
    assert zs.members(entries) == b"*2\r\n$1\r\nm\r\n$1\r\nn\r\n"
    assert zs.members([(1.0, b"m"), (3.0, b"n")]) == b"*2\r\n$1\r\nm\r\n$1\r\nn\r\n"
    assert zs.members([(1.0, b"n"), (2.0, b"m")]) == b"*2\r\n$1\r\nn\r\n$1\r\nm\r\n"
