"""DUMP/RESTORE: the RDB codec (CRC64, LZF, string encodings) as units, DUMP payloads
byte-identical to the real server's for many values, and RESTORE of real payloads."""

from __future__ import annotations

import os
import random

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis import rdb


def test_crc64_check_value() -> None:
    assert rdb.crc64(b"123456789") == 0xE9C6D914C4B8D9CA
    assert rdb.crc64(b"") == 0


def test_string_encodings() -> None:
    assert rdb.save_string(b"0") == b"\xc0\x00"
    assert rdb.save_string(b"-1") == b"\xc0\xff"
    assert rdb.save_string(b"127") == b"\xc0\x7f"
    assert rdb.save_string(b"128") == b"\xc1\x80\x00"
    assert rdb.save_string(b"-32768") == b"\xc1\x00\x80"
    assert rdb.save_string(b"32768") == b"\xc2\x00\x80\x00\x00"
    assert rdb.save_string(b"2147483648") == b"\x0a2147483648"
    assert rdb.save_string(b"007") == b"\x03007"
    assert rdb.save_string(b"-0") == b"\x02-0"
    assert rdb.save_string(b"a" * 20) == b"\x14" + b"a" * 20
    assert rdb.save_string(b"a" * 64)[:1] == b"\xc3"
    assert rdb.save_string(b"a" * 64, compress=False) == b"\x40\x40" + b"a" * 64
    assert rdb.save_len(16383) == b"\x7f\xff"
    assert rdb.save_len(16384) == b"\x80\x00\x00\x40\x00"
    assert rdb.save_len(1 << 32) == b"\x81" + (1 << 32).to_bytes(8, "big")


def test_payload_layout() -> None:
    payload = rdb.dump_payload(b"hello")
    assert payload[:7] == b"\x00\x05hello"
    assert payload[7:9] == b"\x0a\x00"
    assert payload[9:] == rdb.crc64(payload[:9]).to_bytes(8, "little")
    assert rdb.verify_payload(payload)
    assert rdb.load_payload(payload) == b"hello"


def test_verify_rejects() -> None:
    payload = rdb.dump_payload(b"hello")
    assert not rdb.verify_payload(payload[:-1] + bytes([payload[-1] ^ 1]))
    assert not rdb.verify_payload(b"short")
    newer = b"\x00\x01x\x0b\x00"
    assert not rdb.verify_payload(newer + rdb.crc64(newer).to_bytes(8, "little"))
    older = b"\x00\x01x\x09\x00"
    assert rdb.verify_payload(older + rdb.crc64(older).to_bytes(8, "little"))


def test_load_rejects_malformed() -> None:
    for body in (b"\x63\x01x", b"\x00\x20abc", b"\x00\xc3\x05\x10abc", b"\x00\xc4", b"\x00\xbf"):
        payload = body + b"\x0a\x00"
        payload += rdb.crc64(payload).to_bytes(8, "little")
        with pytest.raises(rdb.RDBError):
            rdb.load_payload(payload)


@settings(max_examples=400, deadline=None)
@given(
    st.binary(max_size=600)
    | st.lists(st.sampled_from([b"ab", b"abc", b"x", b"\x00"]), max_size=200).map(b"".join)
)
def test_lzf_round_trip(data: bytes) -> None:
    payload = rdb.dump_payload(data)
    assert rdb.verify_payload(payload)
    assert rdb.load_payload(payload) == data
    if len(data) > 4:
        packed = rdb.lzf_compress(data, len(data) - 4)
        if packed is not None:
            assert len(packed) < len(data) - 4
            assert rdb.lzf_decompress(packed, len(data)) == data


def _values() -> list[bytes]:
    rng = random.Random(7)
    values = [
        b"",
        b"0",
        b"1",
        b"-1",
        b"127",
        b"128",
        b"-128",
        b"-129",
        b"255",
        b"32767",
        b"32768",
        b"-32769",
        b"2147483647",
        b"2147483648",
        b"-2147483648",
        b"-2147483649",
        b"12345678901",
        b"123456789012",
        b"9223372036854775807",
        b"007",
        b"-0",
        b"+1",
        b" 1",
        b"hello",
        b"x" * 20,
        b"x" * 21,
        b"x" * 25,
        b"x" * 100,
        b"x" * 5000,
        b"ab" * 3000,
        b"hello world hello world hello world",
        bytes(range(256)) * 20,
        os.urandom(25),
        os.urandom(300),
        os.urandom(70000),
    ]
    for _ in range(200):
        alphabet = rng.choice([b"ab", b"abc", b"abcdefgh", bytes(range(256)), b"the quick fox "])
        n = rng.choice([rng.randint(0, 64), rng.randint(0, 2000), rng.randint(8000, 20000)])
        values.append(bytes(rng.choice(alphabet) for _ in range(n)))
    return values


def test_dump_identical_to_real_server(server, real_redis) -> None:
    ours = redis.Redis(port=server.redis_port)
    real = redis.Redis(port=real_redis.port)
    ours.flushall()
    real.flushall()
    try:
        for i, value in enumerate(_values()):
            ours.set("k", value)
            real.set("k", value)
            expected = real.dump("k")
            assert ours.dump("k") == expected, (i, value[:40])
            # RESTORE of the real server's payload gives the same value and DUMP again
            ours.restore("r", 0, expected, replace=True)
            assert ours.get("r") == value
            assert ours.dump("r") == expected
            assert rdb.dump_payload(value) == expected
    finally:
        ours.close()
        real.close()


def test_dump_after_counters_and_append(server, real_redis) -> None:
    """Values made by INCR, INCRBYFLOAT, APPEND and SETRANGE dump as Redis dumps them."""
    ops = [
        ("INCR", "c"),
        ("INCRBY", "c", "100000"),
        ("INCRBY", "c", "9999999999"),
        ("INCRBYFLOAT", "f", "1.5"),
        ("APPEND", "a", "12"),
        ("APPEND", "a", "34"),
        ("SETRANGE", "s", "30", "tail"),
        ("SET", "n", "-2147483649"),
    ]
    dumps = []
    for port in (server.redis_port, real_redis.port):
        client = redis.Redis(port=port)
        client.flushall()
        for op in ops:
            client.execute_command(*op)
        dumps.append([client.dump(k) for k in ("c", "f", "a", "s", "n")])
        client.close()
    assert dumps[0] == dumps[1]


def test_restore_via_redis_py(r) -> None:
    r.set("k", "value")
    payload = r.dump("k")
    assert r.dump("missing") is None
    with pytest.raises(redis.ResponseError, match="^BUSYKEY Target key name already exists.$"):
        r.restore("k", 0, payload)
    assert r.restore("k2", 0, payload)
    assert r.get("k2") == b"value"
    with pytest.raises(redis.ResponseError, match="DUMP payload version or checksum are wrong"):
        r.restore("k3", 0, payload[:-1] + b"\x00")
    with pytest.raises(redis.ResponseError, match="Invalid TTL value, must be >= 0"):
        r.restore("k3", -1, payload)
    assert r.restore("k4", 100000, payload)
    assert 99 <= r.ttl("k4") <= 100
    assert r.restore("k5", 0, payload, idletime=500)
    assert 499 <= r.object("idletime", "k5") <= 501


def test_restore_resp3(r3) -> None:
    r3.set("k", "v")
    payload = r3.dump("k")
    assert r3.restore("k", 0, payload, replace=True)
    assert r3.get("k") == b"v"
    assert r3.dump("nokey") is None
