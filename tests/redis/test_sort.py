"""SORT and SORT_RO through redis-py (sync and asyncio), and the pattern lookup and key
finding without a socket."""

from __future__ import annotations

import asyncio

import pytest
import redis
import redis.asyncio

from polystack.redis.commands.sort import sort_key_flags, sort_keys


def test_sort_through_redis_py(r, r3) -> None:
    r.rpush("ids", "3", "1", "2")
    r.mset({"w_1": 30, "w_2": 10, "w_3": 20, "name_1": "c", "name_2": "a", "name_3": "b"})
    r.hset("user:1", "age", 41)
    assert r.sort("ids") == [b"1", b"2", b"3"]
    assert r.sort("ids", desc=True, start=0, num=2) == [b"3", b"2"]
    assert r.sort("ids", by="w_*") == [b"2", b"3", b"1"]
    assert r.sort("ids", by="name_*", alpha=True, get=["#", "name_*"]) == [
        b"2", b"a", b"3", b"b", b"1", b"c",
    ]  # fmt: skip
    assert r.sort("ids", get="user:*->age") == [b"41", None, None]
    assert r.sort("ids", get=["#", "w_*"], groups=True) == [
        (b"1", b"30"),
        (b"2", b"10"),
        (b"3", b"20"),
    ]
    assert r3.sort("ids", by="nosort") == [b"3", b"1", b"2"]
    assert r.sort("ids", by="w_*", store="out") == 3
    assert r.lrange("out", 0, -1) == [b"2", b"3", b"1"]
    assert r.sort_ro("ids", by="w_*", desc=True) == [b"1", b"3", b"2"]
    r.rpush("bad", "1", "x")
    with pytest.raises(redis.ResponseError, match="can't be converted into double"):
        r.sort("bad")
    r.set("str", "v")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.sort("str")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("SORT_RO", "ids", "STORE", "x")


def test_sort_asyncio(server) -> None:
    async def main() -> None:
        c = redis.asyncio.Redis(port=server.redis_port)
        try:
            await c.delete("z")
            await c.zadd("z", {"a": 3, "b": 1, "c": 2})
            assert await c.sort("z", alpha=True, desc=True) == [b"c", b"b", b"a"]
            assert await c.sort("z", by="nosort") == [b"b", b"c", b"a"]
            assert await c.object("encoding", "z") == b"skiplist"
        finally:
            await c.aclose()

    asyncio.run(main())


def test_sort_keys_and_flags() -> None:
    argv = [b"SORT", b"k", b"LIMIT", b"0", b"1", b"GET", b"store", b"STORE", b"d1"]
    assert sort_keys(argv) == [1, 8]
    assert sort_keys([b"SORT", b"k", b"STORE"]) == [1]
    assert sort_keys([b"SORT", b"k", b"STORE", b"a", b"STORE", b"b"]) == [1, 5]
    assert sort_key_flags(argv, 1) == "RO access"
    assert sort_key_flags(argv, 8) == "OW update"
