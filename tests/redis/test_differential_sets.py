"""Set commands against a real redis-server 7.0: replies byte for byte in RESP2 and RESP3
(hash-table order, which is Redis's own and random, compared as multisets), errors,
encodings (intset width upgrades, conversions) and DUMP payloads."""

from __future__ import annotations

import pytest

from tests.redis import realredis
from tests.redis.scenarios import check, parse

pytestmark = pytest.mark.differential

SETS: dict[str, list[list]] = {
    "walkthrough": [
        ["SADD", "s", "1", "2", "3"],
        ["SADD", "s", "2", "4"],
        ["SMEMBERS", "s"],
        ["OBJECT", "ENCODING", "s"],
        ["DUMP", "s"],
        ["SADD", "s", "70000"],
        ["DUMP", "s"],
        ["SREM", "s", "70000"],
        ["DUMP", "s"],
        ["SADD", "s", "5000000000"],
        ["DUMP", "s"],
        ["SADD", "s", "a"],
        ["OBJECT", "ENCODING", "s"],
        ["SCARD", "s"],
        ["SISMEMBER", "s", "a"],
        ["SISMEMBER", "s", "1"],
        ["SISMEMBER", "s", "9"],
        ["SISMEMBER", "nokey", "1"],
        ["SMISMEMBER", "s", "a", "b", "1"],
        ["SMISMEMBER", "nokey", "a", "b"],
        ["SREM", "s", "a", "1", "2", "3", "4", "5000000000"],
        ["EXISTS", "s"],
        ["SADD", "i", "3", "1", "2", "-5"],
        ["SMEMBERS", "i"],
        ["SMEMBERS", "nokey"],
        ["SPOP", "nokey"],
        ["SPOP", "nokey", "3"],
        ["SPOP", "i", "0"],
        ["SPOP", "i", "-1"],
        ["SPOP", "i", "x"],
        ["SPOP", "i", "1", "2"],
        ["SRANDMEMBER", "nokey"],
        ["SRANDMEMBER", "nokey", "3"],
        ["SRANDMEMBER", "i", "0"],
        ["SRANDMEMBER", "i", "100"],
        ["SRANDMEMBER", "i", "-9223372036854775808"],
        ["SRANDMEMBER", "i", "x"],
        ["SRANDMEMBER", "i", "1", "2"],
        ["SPOP", "i", "100"],
        ["EXISTS", "i"],
        ["SADD", "a", "1", "2", "3", "4"],
        ["SADD", "b", "3", "4", "5"],
        ["SADD", "c", "x", "3", "4"],
        ["SINTER", "a", "b"],
        ["SINTER", "a", "b", "c"],
        ["SINTER", "a", "nokey"],
        ["SINTER", "a", "a"],
        ["SUNION", "a", "b"],
        ["SUNION", "a", "b", "nokey"],
        ["SUNION", "a", "c"],
        ["SDIFF", "a", "b"],
        ["SDIFF", "a", "a"],
        ["SDIFF", "nokey", "a"],
        ["SDIFF", "a", "nokey", "b"],
        ["SINTERSTORE", "d", "a", "b"],
        ["SMEMBERS", "d"],
        ["OBJECT", "ENCODING", "d"],
        ["SINTERSTORE", "d", "a", "nokey"],
        ["EXISTS", "d"],
        ["SUNIONSTORE", "d", "a", "b"],
        ["SMEMBERS", "d"],
        ["SDIFFSTORE", "d", "a", "b"],
        ["SMEMBERS", "d"],
        ["SDIFFSTORE", "d", "a", "a"],
        ["EXISTS", "d"],
        ["SINTERCARD", "2", "a", "b"],
        ["SINTERCARD", "2", "a", "b", "LIMIT", "1"],
        ["SINTERCARD", "2", "a", "b", "LIMIT", "0"],
        ["SINTERCARD", "2", "a", "b", "LIMIT", "-1"],
        ["SINTERCARD", "2", "a", "b", "LIMIT", "x"],
        ["SINTERCARD", "0", "a"],
        ["SINTERCARD", "x", "a"],
        ["SINTERCARD", "3", "a", "b"],
        ["SINTERCARD", "1", "a", "b"],
        ["SINTERCARD", "1", "a", "LIMIT"],
        ["SINTERCARD", "1", "nokey"],
        ["SET", "str", "x"],
        ["SINTER", "a", "str"],
        ["SINTER", "nokey", "str"],
        ["SUNION", "str"],
        ["SINTERCARD", "1", "str"],
        ["SMOVE", "a", "b", "1"],
        ["SMOVE", "a", "b", "1"],
        ["SMOVE", "a", "b", "3"],
        ["SMOVE", "nokey", "b", "1"],
        ["SMOVE", "a", "str", "2"],
        ["SMOVE", "str", "a", "2"],
        ["SMOVE", "nokey", "str", "2"],
        ["SMOVE", "a", "a", "2"],
        ["SMOVE", "a", "a", "99"],
        ["SMOVE", "a", "newdst", "2"],
        ["OBJECT", "ENCODING", "newdst"],
        ["SMOVE", "c", "newdst2", "x"],
        ["OBJECT", "ENCODING", "newdst2"],
        ["SMEMBERS", "a"],
        ["SMEMBERS", "b"],
        ["SADD", "str", "x"],
        ["SSCAN", "a", "0"],
        ["SSCAN", "a", "0", "MATCH", "4"],
        ["SSCAN", "nokey", "0"],
        ["SSCAN", "str", "0"],
        ["SADD", "z", "007"],
        ["OBJECT", "ENCODING", "z"],
        ["SADD", "z2", "-0"],
        ["OBJECT", "ENCODING", "z2"],
        ["SADD", "big", "9223372036854775807", "-9223372036854775808"],
        ["DUMP", "big"],
        ["SMEMBERS", "big"],
        ["SADD", "big", "9223372036854775808"],
        ["OBJECT", "ENCODING", "big"],
    ],
    "arity": [
        ["SADD", "s"],
        ["SREM", "s"],
        ["SMOVE", "a", "b"],
        ["SISMEMBER", "s"],
        ["SMISMEMBER", "s"],
        ["SCARD"],
        ["SMEMBERS"],
        ["SPOP"],
        ["SRANDMEMBER"],
        ["SINTER"],
        ["SINTERSTORE", "d"],
        ["SINTERCARD", "1"],
        ["SUNION"],
        ["SDIFFSTORE", "d"],
        ["SSCAN", "s"],
    ],
    "intset_limits": [
        ["CONFIG", "SET", "set-max-intset-entries", "3"],
        ["SADD", "s", "1", "2", "3"],
        ["OBJECT", "ENCODING", "s"],
        ["SADD", "s", "4"],
        ["OBJECT", "ENCODING", "s"],
        ["SADD", "t", "1", "2", "3", "4"],
        ["OBJECT", "ENCODING", "t"],
        ["SUNIONSTORE", "u", "s"],
        ["OBJECT", "ENCODING", "u"],
        ["SREM", "u", "4"],
        ["SINTERSTORE", "v", "u", "u"],
        ["OBJECT", "ENCODING", "v"],
        ["SMEMBERS", "v"],
        ["CONFIG", "SET", "set-max-intset-entries", "0"],
        ["SADD", "w", "1"],
        ["OBJECT", "ENCODING", "w"],
        ["CONFIG", "GET", "set-max-intset-entries"],
        ["CONFIG", "SET", "set-max-intset-entries", "512"],
    ],
    "store_overwrites_and_clears_ttl": [
        ["SADD", "a", "1", "2"],
        ["SET", "d", "string"],
        ["EXPIRE", "d", "1000"],
        ["SUNIONSTORE", "d", "a"],
        ["TTL", "d"],
        ["TYPE", "d"],
        ["SINTERSTORE", "e", "a", "missing"],
        ["EXISTS", "e"],
        ["SDIFFSTORE", "a", "a", "nothing"],
        ["SMEMBERS", "a"],
        ["SUNIONSTORE", "a", "missing"],
        ["EXISTS", "a"],
    ],
}


@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("name", sorted(SETS))
def test_set_commands(differ, name: str, resp: int) -> None:
    check(
        differ,
        SETS[name],
        resp,
        loose={"SUNION", "SINTER", "SDIFF", "SMEMBERS", "CONFIG"},
        shape={"SPOP", "SRANDMEMBER"},
    )


def test_hashtable_sets_by_content(differ) -> None:
    members = [f"m{i}" for i in range(300)]
    cmds = [
        ["SADD", "h", *members],
        ["SADD", "i", *[str(i) for i in range(600)]],
        ["OBJECT", "ENCODING", "h"],
        ["OBJECT", "ENCODING", "i"],
        ["SMEMBERS", "h"],
        ["SMEMBERS", "i"],
        ["SINTER", "h", "i"],
        ["SUNION", "h", "i"],
        ["SDIFF", "i", "h"],
        ["SINTERCARD", "2", "h", "i"],
        ["SREM", "i", *[str(i) for i in range(10, 600)]],
        ["OBJECT", "ENCODING", "i"],
        ["SINTERSTORE", "j", "i", "i"],
        ["OBJECT", "ENCODING", "j"],
        ["SMEMBERS", "j"],
        ["DEBUG", "RELOAD"],
        ["OBJECT", "ENCODING", "i"],
        ["SMEMBERS", "i"],
    ]
    check(differ, cmds, loose={"SMEMBERS", "SUNION", "SDIFF", "SINTER"})


def test_spop_count_strategies(differ) -> None:
    """SPOP with a count: the whole set (reply sorted like an intset), few picks, or most of
    the set (the rest is rebuilt as a new set: a hash table of integers becomes an intset)."""
    cmds = [
        ["SADD", "a", *[str(i) for i in range(10)]],
        ["SPOP", "a", "20"],
        ["EXISTS", "a"],
        ["SADD", "h", *[str(i) for i in range(600)]],
        ["OBJECT", "ENCODING", "h"],
        ["SPOP", "h", "590"],
        ["SCARD", "h"],
        ["OBJECT", "ENCODING", "h"],
        ["SADD", "b", *[str(i) for i in range(100)]],
        ["SPOP", "b", "3"],
        ["SCARD", "b"],
        ["SPOP", "b"],
        ["SCARD", "b"],
    ]
    check(differ, cmds, shape={"SPOP"})


def test_dump_restore_both_ways(server, real_redis) -> None:
    setups = {
        "int16": ["SADD", "k", "1", "-3", "300"],
        "int32": ["SADD", "k", "1", "70000"],
        "int64": ["SADD", "k", "1", "5000000000", "-9223372036854775808"],
        "compressible": ["SADD", "k", *[str(i) for i in range(40)]],
        "hashtable": ["SADD", "k", *[f"member{i}" for i in range(50)]],
    }
    for name, setup in setups.items():
        for src, dst in (
            (server.redis_port, real_redis.port),
            (real_redis.port, server.redis_port),
        ):
            for port in (src, dst):
                realredis.exchange(port, [["FLUSHALL"]])
            realredis.exchange(src, [setup])
            payload = parse(realredis.exchange(src, [["DUMP", "k"]])[0])
            if name != "hashtable":
                other = parse(realredis.exchange(dst, [setup, ["DUMP", "k"], ["DEL", "k"]])[1])
                assert payload == other, name
            got = realredis.exchange(dst, [["RESTORE", "k", "0", payload]])
            assert got == [b"+OK\r\n"], name
            members = sorted(parse(realredis.exchange(dst, [["SMEMBERS", "k"]])[0]))
            assert members == sorted(a.encode() for a in setup[2:]), name


def test_command_info_and_docs(differ) -> None:
    names = [
        "sadd", "srem", "smembers", "sismember", "smismember", "scard", "spop",
        "srandmember", "smove", "sinter", "sintercard", "sinterstore", "sunion",
        "sunionstore", "sdiff", "sdiffstore", "sscan",
    ]  # fmt: skip
    for resp in (2, 3):
        check(differ, [["COMMAND", "INFO", n] for n in names], resp)
        check(differ, [["COMMAND", "DOCS", n] for n in names], resp)
    check(
        differ,
        [
            ["COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1"],
            ["COMMAND", "GETKEYS", "SINTERSTORE", "d", "a", "b"],
            ["COMMAND", "GETKEYSANDFLAGS", "SMOVE", "a", "b", "m"],
        ],
    )
