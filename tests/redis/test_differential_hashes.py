"""Hash commands against a real redis-server 7.0: replies byte for byte in RESP2 and RESP3,
errors included; encodings, their thresholds and DUMP payloads too."""

from __future__ import annotations

import pytest

from tests.redis import realredis
from tests.redis.scenarios import check, parse

pytestmark = pytest.mark.differential

LONG = "x" * 65
BIG = "9223372036854775807"

HASHES: dict[str, list[list]] = {
    "set_get": [
        ["HSET", "h", "f", "v"],
        ["HSET", "h", "f", "v2", "g", "w"],
        ["HGET", "h", "f"],
        ["HGET", "h", "nope"],
        ["HGET", "nokey", "f"],
        ["HGETALL", "h"],
        ["HGETALL", "nokey"],
        ["HMSET", "h", "a", "1", "b", "2"],
        ["HKEYS", "h"],
        ["HVALS", "h"],
        ["HKEYS", "nokey"],
        ["HVALS", "nokey"],
        ["HLEN", "h"],
        ["HLEN", "nokey"],
        ["HSTRLEN", "h", "f"],
        ["HSTRLEN", "h", "nope"],
        ["HSTRLEN", "h", "a"],
        ["HEXISTS", "h", "a"],
        ["HEXISTS", "h", "zz"],
        ["HEXISTS", "nokey", "zz"],
        ["HMGET", "h", "f", "nope", "a"],
        ["HMGET", "nokey", "a", "b"],
        ["HSETNX", "h", "f", "x"],
        ["HSETNX", "h", "new", "x"],
        ["HSETNX", "fresh", "new", "x"],
        ["HGETALL", "fresh"],
        ["HSET", "h", "", ""],
        ["HGET", "h", ""],
        ["HSET", "h", "bin\x00\r\n", "v\x00"],
        ["HGETALL", "h"],
    ],
    "arity_and_syntax": [
        ["HSET", "h"],
        ["HSET", "h", "a"],
        ["HSET", "h", "a", "b", "c"],
        ["HMSET", "h", "a"],
        ["HMSET", "h", "a", "b", "c"],
        ["HSETNX", "h", "a"],
        ["HGET", "h"],
        ["HMGET", "h"],
        ["HDEL", "h"],
        ["HLEN"],
        ["HGETALL", "h", "x"],
        ["HINCRBY", "h", "a"],
        ["HRANDFIELD"],
        ["HSCAN", "h"],
        ["HSTRLEN", "h"],
        ["HEXISTS", "h"],
    ],
    "counters": [
        ["HSET", "h", "a", "5", "s", "str", "fl", "1.5", "sp", " 1"],
        ["HINCRBY", "h", "a", "5"],
        ["HINCRBY", "h", "a", "-15"],
        ["HINCRBY", "h", "s", "1"],
        ["HINCRBY", "h", "fl", "1"],
        ["HINCRBY", "h", "sp", "1"],
        ["HINCRBY", "h", "new", BIG],
        ["HINCRBY", "h", "new", "1"],
        ["HINCRBY", "h", "neg", "-9223372036854775808"],
        ["HINCRBY", "h", "neg", "-1"],
        ["HINCRBY", "h", "a", "x"],
        ["HINCRBY", "h", "a", "1.5"],
        ["HINCRBY", "h", "a", "99999999999999999999"],
        ["HINCRBY", "nokey", "a", "3"],
        ["HINCRBYFLOAT", "h", "a", "1.5"],
        ["HINCRBYFLOAT", "h", "fl", "10.5"],
        ["HINCRBYFLOAT", "h", "fl", "0.1"],
        ["HINCRBYFLOAT", "h", "fl", "-0.1"],
        ["HINCRBYFLOAT", "h", "fl", "1e3"],
        ["HINCRBYFLOAT", "h", "fl", "inf"],
        ["HINCRBYFLOAT", "h", "fl", "-inf"],
        ["HINCRBYFLOAT", "h", "fl", "nan"],
        ["HINCRBYFLOAT", "h", "fl", "abc"],
        ["HINCRBYFLOAT", "h", "s", "1"],
        ["HINCRBYFLOAT", "h", "nf", "3.0"],
        ["HINCRBYFLOAT", "h", "nf2", "1e-5"],
        ["HINCRBYFLOAT", "h", "big", "1.7e308"],
        ["HINCRBYFLOAT", "h", "big", "1.7e308"],
        ["HINCRBYFLOAT", "h", "big", "1e4932"],
        ["HINCRBYFLOAT", "h", "hex", "0x10"],
        ["HMGET", "h", "a", "s", "fl", "sp", "new", "neg", "nf", "nf2", "big", "hex"],
        ["OBJECT", "ENCODING", "h"],
    ],
    "delete": [
        ["HSET", "h", "a", "1", "b", "2", "c", "3"],
        ["HDEL", "h", "a", "nope", "a"],
        ["HDEL", "nokey", "a"],
        ["HGETALL", "h"],
        ["HDEL", "h", "b", "c", "d"],
        ["EXISTS", "h"],
        ["HSET", "h", "x", "1"],
        ["HDEL", "h", "x"],
        ["TYPE", "h"],
        ["HSET", "h", "a", "1", "b", "2", "c", "3"],
        ["HDEL", "h", "b"],
        ["HSET", "h", "b", "4"],
        ["HGETALL", "h"],
        ["DUMP", "h"],
    ],
    "wrongtype": [
        ["SET", "s", "x"],
        ["HSET", "s", "a", "b"],
        ["HSETNX", "s", "a", "b"],
        ["HMSET", "s", "a", "b"],
        ["HGET", "s", "a"],
        ["HMGET", "s", "a"],
        ["HGETALL", "s"],
        ["HKEYS", "s"],
        ["HVALS", "s"],
        ["HLEN", "s"],
        ["HDEL", "s", "a"],
        ["HEXISTS", "s", "a"],
        ["HSTRLEN", "s", "a"],
        ["HINCRBY", "s", "a", "1"],
        ["HINCRBY", "s", "a", "x"],
        ["HINCRBYFLOAT", "s", "a", "1"],
        ["HRANDFIELD", "s"],
        ["HRANDFIELD", "s", "0"],
        ["HRANDFIELD", "s", "1", "WITHVALUES"],
        ["HSCAN", "s", "0"],
        ["HSCAN", "s", "x"],
        ["HSET", "h", "a", "b"],
        ["GET", "h"],
        ["INCR", "h"],
        ["APPEND", "h", "x"],
    ],
    "randfield": [
        ["HRANDFIELD", "nokey"],
        ["HRANDFIELD", "nokey", "5"],
        ["HRANDFIELD", "nokey", "-5", "WITHVALUES"],
        ["HSET", "h", "a", "1", "b", "2", "c", "3"],
        ["HRANDFIELD", "h", "0"],
        ["HRANDFIELD", "h", "0", "WITHVALUES"],
        ["HRANDFIELD", "h", "3"],
        ["HRANDFIELD", "h", "5", "WITHVALUES"],
        ["HRANDFIELD", "h", "5", "withvalues"],
        ["HRANDFIELD", "h", "5", "bogus"],
        ["HRANDFIELD", "h", "5", "WITHVALUES", "x"],
        ["HRANDFIELD", "h", "x"],
        ["HRANDFIELD", "h", "-9223372036854775808"],
        ["HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"],
        ["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"],
        ["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"],
        ["HRANDFIELD", "h", "4611686018427387903"],
    ],
    "scan": [
        ["HSCAN", "nokey", "0"],
        ["HSCAN", "nokey", "0", "COUNT", "0"],
        ["HSCAN", "nokey", "x"],
        ["HSET", "h", "f1", "1", "f2", "2", "g", "3"],
        ["HSCAN", "h", "0"],
        ["HSCAN", "h", "0", "MATCH", "f*"],
        ["HSCAN", "h", "0", "MATCH", "*"],
        ["HSCAN", "h", "0", "COUNT", "1"],
        ["HSCAN", "h", "0", "COUNT", "0"],
        ["HSCAN", "h", "0", "COUNT", "-1"],
        ["HSCAN", "h", "0", "COUNT", "x"],
        ["HSCAN", "h", "0", "MATCH"],
        ["HSCAN", "h", "0", "BOGUS", "1"],
        ["HSCAN", "h", "0", "TYPE", "string"],
        ["HSCAN", "h", "-1"],
        ["HSCAN", "h", "18446744073709551616"],
        ["HSCAN", "h", " 1"],
    ],
    "encodings": [
        ["HSET", "h", "a", "1"],
        ["OBJECT", "ENCODING", "h"],
        ["HSET", "h", "long", LONG],
        ["OBJECT", "ENCODING", "h"],
        ["HDEL", "h", "long"],
        ["OBJECT", "ENCODING", "h"],
        ["HSET", "h2", LONG, "1"],
        ["OBJECT", "ENCODING", "h2"],
        ["HSET", "h3", "a", "x" * 64],
        ["OBJECT", "ENCODING", "h3"],
        ["HINCRBYFLOAT", "h3", "x" * 65, "1"],
        ["OBJECT", "ENCODING", "h3"],
        ["HSETNX", "h4", "a", LONG],
        ["OBJECT", "ENCODING", "h4"],
        ["CONFIG", "SET", "hash-max-listpack-entries", "2"],
        ["HSET", "h5", "a", "1", "b", "2"],
        ["OBJECT", "ENCODING", "h5"],
        ["HSET", "h5", "c", "3"],
        ["OBJECT", "ENCODING", "h5"],
        ["HDEL", "h5", "c", "b"],
        ["OBJECT", "ENCODING", "h5"],
        ["CONFIG", "SET", "hash-max-listpack-entries", "0"],
        ["HSET", "h6", "a", "1"],
        ["OBJECT", "ENCODING", "h6"],
        ["CONFIG", "SET", "hash-max-listpack-value", "3"],
        ["CONFIG", "SET", "hash-max-listpack-entries", "512"],
        ["HSET", "h7", "abc", "def"],
        ["OBJECT", "ENCODING", "h7"],
        ["HSET", "h7", "abcd", "1"],
        ["OBJECT", "ENCODING", "h7"],
        ["CONFIG", "GET", "hash-max-*"],
        ["CONFIG", "GET", "hash-max-ziplist-value"],
        ["CONFIG", "SET", "hash-max-ziplist-value", "64"],
        ["CONFIG", "GET", "hash-max-listpack-value"],
        ["CONFIG", "SET", "hash-max-listpack-entries", "-1"],
        ["CONFIG", "SET", "hash-max-listpack-entries", "x"],
        ["CONFIG", "SET", "hash-max-listpack-value", "1kb"],
        ["CONFIG", "GET", "hash-max-listpack-value"],
        ["CONFIG", "SET", "hash-max-listpack-value", "64"],
    ],
    "dump_listpack": [
        ["HSET", "h", "a", "1", "b", "-2", "c", "300", "d", "70000", "e", "5000000000"],
        ["HSET", "h", "f", "str", "g", "x" * 63, "i", "-4096", "j", "4095", "k", "-4097"],
        ["HSET", "h", "l", "32767", "m", "-32768", "n", "8388607", "o", "-8388608"],
        ["HSET", "h", "p", "2147483647", "q", "-2147483648", "r", BIG, "s", "-9223372036854775808"],
        ["HSET", "h", "t", "9223372036854775808", "u", "007", "v", "-0", "w", "+1", "x", "1.0"],
        ["DUMP", "h"],
        ["HSET", "h2", "a" * 30, "b" * 30],
        ["DUMP", "h2"],
        ["HSET", "h3", "f", "v"],
        ["DUMP", "h3"],
    ],
}


@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("name", sorted(HASHES))
def test_hash_commands(differ, name: str, resp: int) -> None:
    check(differ, HASHES[name], resp, loose={"CONFIG"}, shape={"HRANDFIELD"})


def test_hashtable_contents_and_dump_restore(differ, server, real_redis) -> None:
    """A hash-table hash's order is Redis's own; compare contents, and RESTORE each server's
    DUMP on the other."""
    setup = [["HSET", "h", *[x for i in range(600) for x in (f"f{i}", f"v{i}")]]]
    cmds = setup + [["HGETALL", "h"], ["HKEYS", "h"], ["HVALS", "h"], ["OBJECT", "ENCODING", "h"]]
    check(differ, cmds, loose={"HGETALL", "HKEYS", "HVALS"})
    for src, dst in ((server.redis_port, real_redis.port), (real_redis.port, server.redis_port)):
        for port in (src, dst):
            realredis.exchange(port, [["FLUSHALL"]])
        realredis.exchange(src, setup)
        payload = parse(realredis.exchange(src, [["DUMP", "h"]])[0])
        got = realredis.exchange(
            dst,
            [["RESTORE", "h", "0", payload], ["HLEN", "h"], ["OBJECT", "ENCODING", "h"]],
        )
        assert got == [b"+OK\r\n", b":600\r\n", b"$9\r\nhashtable\r\n"]
        fields = parse(realredis.exchange(dst, [["HGETALL", "h"]])[0])
        assert dict(zip(fields[::2], fields[1::2], strict=True)) == {
            f"f{i}".encode(): f"v{i}".encode() for i in range(600)
        }


def test_restore_converts_as_redis_loads(differ, real_redis) -> None:
    """RESTORE picks encodings the way rdbLoadObject does: a listpack payload stays one
    unless it has too many fields, a hash-table payload becomes a listpack when small."""
    payloads = realredis.exchange(
        real_redis.port,
        [
            ["FLUSHALL"],
            ["HSET", "small", "a", "1"],
            ["HSET", "longval", "a", LONG],
            ["HSET", "big", *[x for i in range(600) for x in (f"f{i}", "v")]],
            ["CONFIG", "SET", "hash-max-listpack-value", "1000"],
            ["HSET", "lplong", "a", LONG],
            ["CONFIG", "SET", "hash-max-listpack-value", "64"],
            ["HDEL", "big", *[f"f{i}" for i in range(599)]],
            ["DUMP", "small"],
            ["DUMP", "longval"],
            ["DUMP", "big"],
            ["DUMP", "lplong"],
        ],
    )[-4:]
    dumps = [parse(p) for p in payloads]
    cmds = []
    for i, d in enumerate(dumps):
        cmds += [["RESTORE", f"r{i}", "0", d], ["OBJECT", "ENCODING", f"r{i}"], ["HLEN", f"r{i}"]]
    cmds += [["CONFIG", "SET", "hash-max-listpack-entries", "0"], ["RESTORE", "x", "0", dumps[0]]]
    cmds += [["OBJECT", "ENCODING", "x"], ["CONFIG", "SET", "hash-max-listpack-entries", "512"]]
    check(differ, cmds)


def test_debug_reload_reencodes(differ) -> None:
    cmds = [
        ["HSET", "h", *[x for i in range(600) for x in (f"f{i}", "v")]],
        ["HDEL", "h", *[f"f{i}" for i in range(599)]],
        ["HSET", "l", "a", LONG],
        ["HDEL", "l", "a"],
        ["HSET", "l", "b", LONG, "c", "1"],
        ["HDEL", "l", "b"],
        ["OBJECT", "ENCODING", "h"],
        ["OBJECT", "ENCODING", "l"],
        ["DEBUG", "RELOAD"],
        ["OBJECT", "ENCODING", "h"],
        ["OBJECT", "ENCODING", "l"],
        ["HGETALL", "h"],
        ["HGETALL", "l"],
    ]
    check(differ, cmds)


def test_command_info_and_docs(differ) -> None:
    names = [
        "hset", "hsetnx", "hget", "hmget", "hmset", "hgetall", "hdel", "hexists", "hlen",
        "hkeys", "hvals", "hincrby", "hincrbyfloat", "hstrlen", "hrandfield", "hscan",
    ]  # fmt: skip
    for resp in (2, 3):
        check(differ, [["COMMAND", "INFO", n] for n in names], resp)
        check(differ, [["COMMAND", "DOCS", n] for n in names], resp)
