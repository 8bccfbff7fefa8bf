"""RDB files: polystack loads what Debian's redis-server 7.0 writes (every type and encoding
polystack holds, compressed and not), and what polystack writes passes redis-check-rdb and
loads into a real redis-server with the same dataset (compared key by key with DUMP)."""

from __future__ import annotations

import os
import random
import struct
import time
from pathlib import Path

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

import polystack.redis.commands.table  # noqa: F401  (registers every value type)
from polystack.redis import rdb, rdbfile
from polystack.redis.rdbfile import RDBLoadError, SaveInfo, SaveOptions
from polystack.redis.store import Keyspace
from tests.redis.repl_support import (
    REDIS_SERVER,
    canonical,
    check_rdb,
    dataset,
    need,
    real_server,
)

pytestmark = pytest.mark.differential

NOW = int(time.time() * 1000)


def fill(r: redis.Redis) -> None:
    """Every type polystack holds, in every encoding Redis 7.0 picks, over several databases."""
    rnd = random.Random(7)
    r.set("int:small", 12)
    r.set("int:neg", -40000)
    r.set("int:big", 2**40)
    r.set("int:notcanonical", "012")
    r.set("str:short", "hello")
    r.set("str:empty", "")
    r.set("str:lzf", "abcdefgh" * 40)
    r.set("str:random", bytes(rnd.randrange(256) for _ in range(300)))
    r.set("str:big", "x" * 20000)
    r.set("str:ttl", "soon", px=500_000)
    r.hset("hash:lp", mapping={"a": "1", "b": "two", "c": "3.5"})
    r.hset("hash:ht", mapping={f"f{i}": f"v{i}" for i in range(300)})
    r.hset("hash:long", "field", "v" * 100)
    r.sadd("set:intset", 1, 2, 3, -5, 70000)
    r.sadd("set:intset64", 1, 2**40)
    r.sadd("set:ht", "a", "b", "c")
    r.sadd("set:many", *range(600))
    r.expire("set:ht", 1000)
    r.zadd("zset:lp", {"a": 1, "b": 2.5, "c": -3})
    r.zadd("zset:sl", {f"m{i}": i / 7 for i in range(200)})
    r.zadd("zset:inf", {"lo": float("-inf"), "hi": float("inf")})
    if rdb.RDB_TYPE_LIST_QUICKLIST_2 in rdb.READERS:  # lists (redis-ds)
        r.rpush("list:small", "a", "b", 1, 2)
        r.rpush("list:big", *[f"element-{i}" * 3 for i in range(3000)])
        r.rpush("list:huge-item", "x" * 10000, "y")
    if rdb.RDB_TYPE_STREAM_LISTPACKS_2 in rdb.READERS:  # streams (redis-ds)
        for i in range(5):
            r.xadd("stream", {"f": i, "g": "v" * i})
        r.xgroup_create("stream", "grp", id="0")
        r.xreadgroup("grp", "alice", {"stream": ">"}, count=2)
    for db in (1, 5, 15):
        r.execute_command("SELECT", db)
        r.set(f"db{db}", f"value in {db}")
        r.hset(f"h{db}", "k", "v")
    r.execute_command("SELECT", 0)


def registered(payload: bytes) -> bool:
    return payload[0] in rdb.READERS


@pytest.mark.parametrize("compression", ["yes", "no"])
def test_load_files_written_by_real_redis(tmp_path: Path, compression: str) -> None:
    with real_server("--rdbcompression", compression, dir=str(tmp_path)) as real:
        r = real.client()
        fill(r)
        expected = dataset(r)
        r.save()
        data = (tmp_path / "dump.rdb").read_bytes()
    ks = Keyspace(16)
    result = rdbfile.load_bytes(data, ks, NOW)
    assert result.aux[b"redis-ver"] == b"7.0.15"
    assert result.keys == len(expected)
    for (db, key), (payload, has_ttl) in expected.items():
        value = ks.dbs[db].data[key]
        if compression == "no" and isinstance(payload, bytes):
            # DUMP follows rdbcompression: compare the decoded values
            payload = rdb.dump_payload(rdb.load_payload(payload, ks.limits))
        assert canonical(rdb.dump_payload(value)) == payload, (db, key)
        assert (key in ks.dbs[db].expires) == has_ttl


def test_file_written_by_polystack_passes_check_and_loads_into_real_redis(tmp_path: Path) -> None:
    # Build the dataset in a real server, load its file into a polystack keyspace, write that
    # keyspace as polystack's own RDB, then start a fresh real server on polystack's file.
    src = tmp_path / "src"
    src.mkdir()
    with real_server(dir=str(src)) as real:
        r = real.client()
        fill(r)
        expected = dataset(r)
        r.save()
    ks = Keyspace(16)
    rdbfile.load_bytes((src / "dump.rdb").read_bytes(), ks, NOW)
    out = tmp_path / "out"
    out.mkdir()
    opts = SaveOptions(ctime=NOW // 1000, used_mem=1 << 20, now_ms=NOW)
    size = rdbfile.write_file(str(out / "dump.rdb"), rdbfile.rdb_chunks(ks, opts))
    assert size == (out / "dump.rdb").stat().st_size
    checked = check_rdb(str(out / "dump.rdb"))
    assert checked.returncode == 0, checked.stdout
    assert "RDB looks OK" in checked.stdout
    assert "Checksum OK" in checked.stdout
    with real_server(dir=str(out)) as real:
        got = dataset(real.client())
    assert got == expected


@pytest.mark.parametrize("compress", [True, False])
def test_round_trip_and_aux_fields(compress: bool) -> None:
    ks = Keyspace(4)
    ks.dbs[0].data[b"a"] = b"1"
    ks.dbs[0].data[b"b"] = b"z" * 100
    ks.dbs[0].set_expire(b"b", NOW + 10_000)
    ks.dbs[3].data[b"c"] = b"-17"
    info = SaveInfo(repl_stream_db=3, repl_id="f" * 40, repl_offset=12345)
    data = rdbfile.dump_bytes(ks, SaveOptions(compress=compress, save_info=info, now_ms=NOW))
    assert data.startswith(b"REDIS0010\xfa")
    assert (b"z" * 100 not in data) == compress  # the 100-byte string is LZF-compressed
    ks2 = Keyspace(4)
    result = rdbfile.load_bytes(data, ks2, NOW)
    assert result.keys == 3
    assert ks2.dbs[0].data == {b"a": b"1", b"b": b"z" * 100}
    assert ks2.dbs[0].expires == {b"b": NOW + 10_000}
    assert ks2.dbs[3].data == {b"c": b"-17"}
    assert result.save_info == info
    assert result.aux[b"aof-base"] == b"0"


def test_checksum_disabled_writes_zero_and_loads() -> None:
    ks = Keyspace(1)
    ks.dbs[0].data[b"k"] = b"v"
    data = rdbfile.dump_bytes(ks, SaveOptions(checksum=False))
    assert data.endswith(b"\xff" + b"\0" * 8)
    assert rdbfile.load_bytes(data, Keyspace(1), NOW).keys == 1


def test_expired_keys_are_skipped_by_a_master_and_kept_by_a_replica() -> None:
    ks = Keyspace(1)
    ks.dbs[0].data[b"old"] = b"v"
    ks.dbs[0].set_expire(b"old", NOW - 1000)
    ks.dbs[0].data[b"live"] = b"v"
    data = rdbfile.dump_bytes(ks, SaveOptions())
    master = Keyspace(1)
    result = rdbfile.load_bytes(data, master, NOW)
    assert list(master.dbs[0].data) == [b"live"] and result.expired_skipped == 1
    replica = Keyspace(1)
    rdbfile.load_bytes(data, replica, NOW, skip_expired=False)
    assert set(replica.dbs[0].data) == {b"old", b"live"}


def test_lru_and_lfu_stamps_are_written_under_those_policies() -> None:
    ks = Keyspace(1)
    ks.dbs[0].data[b"k"] = b"v"
    ks.dbs[0].lru[b"k"] = NOW // 1000 - 30
    data = rdbfile.dump_bytes(ks, SaveOptions(policy="allkeys-lru", now_ms=NOW))
    assert bytes((rdbfile.OPCODE_IDLE, 30)) in data
    ks2 = Keyspace(1)
    rdbfile.load_bytes(data, ks2, NOW)
    assert ks2.dbs[0].lru[b"k"] == NOW // 1000 - 30
    data = rdbfile.dump_bytes(ks, SaveOptions(policy="allkeys-lfu", now_ms=NOW))
    assert bytes((rdbfile.OPCODE_FREQ,)) in data


def _good_file() -> bytes:
    ks = Keyspace(1)
    for i in range(50):
        ks.dbs[0].data[b"key%d" % i] = b"value %d" % i
    return rdbfile.dump_bytes(ks, SaveOptions())


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: b"REDIX" + d[5:], "Wrong signature"),
        (lambda d: b"REDIS0011" + d[9:], "Can't handle RDB format version 11"),
        (lambda d: d[:-9] + bytes([d[-9] ^ 1]) + d[-8:], ""),
        (lambda d: d[:-8] + bytes([d[-8] ^ 1]) + d[-7:], "Wrong RDB checksum"),
        (lambda d: d[: len(d) // 2], "Short read"),
        (lambda d: d[:200] + b"\x63" + d[201:], ""),
    ],
)
def test_corrupt_files_are_refused(mutate, message: str) -> None:
    data = mutate(_good_file())
    ks = Keyspace(1)
    with pytest.raises(RDBLoadError) as e:
        rdbfile.load_bytes(data, ks, NOW)
    assert message in str(e.value)


def test_random_corruption_never_escapes_as_another_exception() -> None:
    good = _good_file()
    rnd = random.Random(3)
    for _ in range(300):
        data = bytearray(good)
        for _ in range(rnd.randrange(1, 4)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        try:
            rdbfile.load_bytes(bytes(data), Keyspace(1), NOW)
        except RDBLoadError:
            pass


def test_duplicate_key_is_an_error() -> None:
    body = b"REDIS0010\xfe\x00\x00\x01k\x01v\x00\x01k\x01w\xff" + b"\0" * 8
    with pytest.raises(RDBLoadError, match="duplicated key 'k'"):
        rdbfile.load_bytes(body, Keyspace(1), NOW)


def test_older_versions_and_second_expiry_opcode() -> None:
    # RDB version 6 (Redis 2.8): EXPIRETIME in seconds, no aux fields.
    when = NOW // 1000 + 100
    body = b"REDIS0006\xfe\x00\xfd" + struct.pack("<i", when) + b"\x00\x01k\x01v\xff"
    body += rdb.crc64(body).to_bytes(8, "little")
    ks = Keyspace(1)
    assert rdbfile.load_bytes(body, ks, NOW).keys == 1
    assert ks.dbs[0].expires[b"k"] == when * 1000


def _ziplist(entries: list[bytes]) -> bytes:
    """A ziplist of string entries (as Redis < 7 wrote hashes and small lists)."""
    body = b""
    prev = 0
    for e in entries:
        prevlen = bytes([prev]) if prev < 254 else b"\xfe" + struct.pack("<I", prev)
        if len(e) < 64:
            enc = bytes([len(e)])
        else:
            enc = bytes([0x40 | (len(e) >> 8), len(e) & 0xFF])
        entry = prevlen + enc + e
        body += entry
        prev = len(entry)
    total = 10 + len(body) + 1
    tail = 10 + len(body) - prev if entries else 10
    return struct.pack("<IIH", total, tail, len(entries)) + body + b"\xff"


def _zipmap(pairs: list[tuple[bytes, bytes]]) -> bytes:
    out = bytes([len(pairs)])
    for k, v in pairs:
        out += bytes([len(k)]) + k + bytes([len(v)]) + b"\x00" + v
    return out + b"\xff"


def test_old_encodings_load_as_real_redis_loads_them(tmp_path: Path) -> None:
    """Hand-built ziplist and zipmap hashes (RDB types 13 and 9): the real server and polystack
    load them into the same values."""
    need(REDIS_SERVER)
    zl = _ziplist([b"f1", b"v1", b"f2", b"v2"])
    zm = _zipmap([(b"a", b"x"), (b"bb", b"yy")])
    body = b"REDIS0009\xfe\x00"
    body += b"\x0d" + b"\x04hzip" + rdb.save_len(len(zl)) + zl
    body += b"\x09" + b"\x04hmap" + rdb.save_len(len(zm)) + zm
    body += b"\xff"
    body += rdb.crc64(body).to_bytes(8, "little")
    (tmp_path / "dump.rdb").write_bytes(body)
    with real_server(dir=str(tmp_path)) as real:
        expected = dataset(real.client())
    assert len(expected) == 2
    ks = Keyspace(16)
    rdbfile.load_bytes(body, ks, NOW)
    for (db, key), (payload, _) in expected.items():
        assert canonical(rdb.dump_payload(ks.dbs[db].data[key])) == payload


def test_write_file_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "dump.rdb"
    target.write_bytes(b"old")

    def chunks():
        yield b"REDIS0010"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        rdbfile.write_file(str(target), chunks())
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["dump.rdb"]


@given(
    st.dictionaries(
        st.tuples(st.integers(0, 3), st.binary(max_size=40)),
        st.tuples(
            st.one_of(
                st.binary(max_size=300), st.integers(-(2**63), 2**63 - 1).map(str).map(str.encode)
            ),
            st.one_of(st.none(), st.integers(NOW, NOW + 10**9)),
        ),
        max_size=30,
    ),
    st.booleans(),
)
def test_any_string_dataset_round_trips(items, compress) -> None:
    ks = Keyspace(4)
    for (db, key), (value, when) in items.items():
        ks.dbs[db].data[key] = value
        if when is not None:
            ks.dbs[db].set_expire(key, when)
    data = rdbfile.dump_bytes(ks, SaveOptions(compress=compress, now_ms=NOW))
    back = Keyspace(4)
    assert rdbfile.load_bytes(data, back, NOW).keys == len(items)
    for i in range(4):
        assert back.dbs[i].data == ks.dbs[i].data
        assert back.dbs[i].expires == ks.dbs[i].expires
