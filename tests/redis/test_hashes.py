"""Hashes through redis-py (sync and asyncio, RESP2 and RESP3), and the hash model's
encoding rules and DUMP format as units."""

from __future__ import annotations

import asyncio

import pytest
import redis
import redis.asyncio
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis import hash_type, listpack, rdb
from polystack.redis.hash_type import RedisHash
from polystack.redis.store import EncodingLimits


def test_hset_hget_family(r) -> None:
    assert r.hset("h", mapping={"a": "1", "b": "2"}) == 2
    assert r.hset("h", "a", "3") == 0
    assert r.hget("h", "a") == b"3"
    assert r.hget("h", "zz") is None
    assert r.hgetall("h") == {b"a": b"3", b"b": b"2"}
    assert r.hkeys("h") == [b"a", b"b"]
    assert r.hvals("h") == [b"3", b"2"]
    assert r.hlen("h") == 2
    assert r.hmget("h", ["a", "zz", "b"]) == [b"3", None, b"2"]
    assert r.hexists("h", "a") is True
    assert r.hexists("h", "zz") is False
    assert r.hstrlen("h", "a") == 1
    assert r.hsetnx("h", "a", "x") == 0
    assert r.hsetnx("h", "c", "x") == 1
    assert r.hdel("h", "a", "b", "zz") == 2
    assert r.hgetall("h") == {b"c": b"x"}
    assert r.hdel("h", "c") == 1
    assert r.exists("h") == 0
    assert r.hmset("m", {"x": "1"}) is True


def test_counters(r) -> None:
    assert r.hincrby("h", "n", 5) == 5
    assert r.hincrby("h", "n", -7) == -2
    assert r.hincrbyfloat("h", "f", 10.5) == 10.5
    assert r.hincrbyfloat("h", "f", 0.1) == pytest.approx(10.6)
    assert r.hget("h", "f") == b"10.6"
    r.hset("h", "s", "abc")
    with pytest.raises(redis.ResponseError, match="hash value is not an integer"):
        r.hincrby("h", "s", 1)
    with pytest.raises(redis.ResponseError, match="hash value is not a float"):
        r.hincrbyfloat("h", "s", 1)
    r.hset("h", "big", str((1 << 63) - 1))
    with pytest.raises(redis.ResponseError, match="increment or decrement would overflow"):
        r.hincrby("h", "big", 1)


def test_wrongtype(r) -> None:
    r.set("s", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.hset("s", "a", "b")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.hgetall("s")
    r.hset("h", "a", "b")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.get("h")
    assert r.type("h") == b"hash"


def test_hrandfield(r, r3) -> None:
    assert r.hrandfield("nokey") is None
    r.hset("h", mapping={f"f{i}": str(i) for i in range(10)})
    assert r.hrandfield("h") in {f"f{i}".encode() for i in range(10)}
    picked = r.hrandfield("h", 5)
    assert len(picked) == len(set(picked)) == 5
    assert len(r.hrandfield("h", -30)) == 30
    flat = r.hrandfield("h", 3, withvalues=True)
    assert len(flat) == 6
    for f, v in zip(flat[::2], flat[1::2], strict=True):
        assert f == b"f" + v
    pairs = r3.hrandfield("h", 3, withvalues=True)
    assert len(pairs) == 3 and all(len(p) == 2 for p in pairs)
    assert sorted(r.hrandfield("h", 100)) == sorted(r.hkeys("h"))


def test_hscan_iterates_every_field_once(r) -> None:
    fields = {f"f{i}".encode(): str(i).encode() for i in range(1000)}
    r.hset("h", mapping=fields)
    assert r.object("encoding", "h") == b"hashtable"
    seen: dict[bytes, bytes] = {}
    cursor = 0
    calls = 0
    while True:
        cursor, batch = r.hscan("h", cursor, count=50)
        for f, v in batch.items():
            assert f not in seen
            seen[f] = v
        calls += 1
        if cursor == 0:
            break
        r.hset("h", f"new{calls}", "x")  # changes between calls do not disturb the iteration
    assert {k: v for k, v in seen.items() if k in fields} == fields
    assert calls > 5
    assert dict(r.hscan_iter("h", match="f99*")) == {b"f99": b"99"} | {
        f"f99{i}".encode(): f"99{i}".encode() for i in range(10)
    }


def test_resp3_types(r3) -> None:
    r3.hset("h", mapping={"a": "1"})
    assert r3.hgetall("h") == {b"a": b"1"}
    assert r3.hgetall("nokey") == {}


def test_asyncio_client(server) -> None:
    async def main() -> None:
        c = redis.asyncio.Redis(port=server.redis_port)
        try:
            await c.delete("ah")
            assert await c.hset("ah", mapping={"a": "1", "b": "2"}) == 2
            assert await c.hgetall("ah") == {b"a": b"1", b"b": b"2"}
            assert await c.hincrby("ah", "a", 2) == 3
            pipe = c.pipeline(transaction=False)
            pipe.hget("ah", "a").hlen("ah").hdel("ah", "a")
            assert await pipe.execute() == [b"3", 2, 1]
        finally:
            await c.aclose()

    asyncio.run(main())


def test_encoding_thresholds(r) -> None:
    r.hset("h", "a", "x" * 64)
    assert r.object("encoding", "h") == b"listpack"
    r.hset("h", "b", "x" * 65)
    assert r.object("encoding", "h") == b"hashtable"
    r.hdel("h", "b")
    assert r.object("encoding", "h") == b"hashtable"  # one-way
    r.config_set("hash-max-listpack-entries", 3)
    try:
        r.hset("g", mapping={"a": 1, "b": 2, "c": 3})
        assert r.object("encoding", "g") == b"listpack"
        r.hset("g", "d", 4)
        assert r.object("encoding", "g") == b"hashtable"
    finally:
        r.config_set("hash-max-listpack-entries", 512)


# -- units ---------------------------------------------------------------------------------------
def test_listpack_entry_encodings() -> None:
    cases = {
        b"0": b"\x00\x01",
        b"127": b"\x7f\x01",
        b"128": b"\xc0\x80\x02",
        b"-1": b"\xdf\xff\x02",
        b"-4096": b"\xd0\x00\x02",
        b"4096": b"\xf1\x00\x10\x03",
        b"-32768": b"\xf1\x00\x80\x03",
        b"32768": b"\xf2\x00\x80\x00\x04",
        b"8388608": b"\xf3\x00\x00\x80\x00\x05",
        b"2147483648": b"\xf4\x00\x00\x00\x80\x00\x00\x00\x00\x09",
        b"abc": b"\x83abc\x04",
        b"": b"\x80\x01",
        b"007": b"\x83007\x04",
        b"-0": b"\x82-0\x03",
    }
    for element, encoded in cases.items():
        assert listpack.encode_element(element) == encoded, element
        assert listpack.element_size(element) == len(encoded)
    long = b"x" * 200
    assert listpack.encode_element(long)[:2] == b"\xe0\xc8"
    assert listpack.encode_element(long)[-2:] == bytes((202 >> 7, (202 & 127) | 128))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=5000), st.integers(-(1 << 63), (1 << 63) - 1))))
def test_listpack_round_trip(elements) -> None:
    blob = listpack.encode(elements)
    assert len(blob) == listpack.size_of(elements)
    expected = [b"%d" % e if isinstance(e, int) else e for e in elements]
    assert listpack.decode(blob) == expected


def test_listpack_rejects_corruption() -> None:
    blob = listpack.encode([b"a", b"bb", b"123"])
    for bad in (blob[:-1], blob[:5], b"\x00" + blob[1:], blob[:-2] + b"\x09\xff"):
        with pytest.raises(listpack.ListpackError):
            listpack.decode(bad)


_FIELDS = st.binary(min_size=0, max_size=80)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["set", "del"]), _FIELDS, _FIELDS), max_size=60),
    st.integers(0, 10),
    st.integers(0, 70),
)
def test_encoding_is_one_way_and_dump_round_trips(ops, max_entries, max_value) -> None:
    """Whatever the operations, a hash converts to a hash table exactly when a threshold is
    first crossed, never back; DUMP then RESTORE gives the same fields."""
    limits = EncodingLimits(
        hash_max_listpack_entries=max_entries, hash_max_listpack_value=max_value
    )
    h = RedisHash()
    crossed = False
    for op, f, v in ops:
        if op == "set":
            hash_type.try_conversion(h, [b"HSET", b"k", f, v], 2, limits)
            hash_type.set_field(h, f, v, limits)
            crossed = crossed or len(f) > max_value or len(v) > max_value or len(h) > max_entries
        else:
            h.pop(f, None)
        assert h.listpack == (not crossed)
    if not h:
        return
    payload = rdb.dump_payload(h)
    assert rdb.verify_payload(payload)
    back = rdb.load_payload(payload, limits)
    assert dict(back) == dict(h)
    assert list(back) == list(h) or not h.listpack
