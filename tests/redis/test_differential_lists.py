"""List commands against a real redis-server 7.0: replies byte for byte in RESP2 and RESP3,
errors, and the quicklist's node layout (random edits under every fill setting and plain
nodes, compared through DUMP and DEBUG OBJECT after each step)."""

from __future__ import annotations

import random
import re

import pytest

from tests.redis import realredis
from tests.redis.scenarios import check, parse

pytestmark = pytest.mark.differential

LISTS: dict[str, list[list]] = {
    "walkthrough": [
        ["LPUSH", "l", "a", "b", "c"],
        ["RPUSH", "l", "d", "e", "f"],
        ["LRANGE", "l", "0", "-1"],
        ["LLEN", "l"],
        ["LINDEX", "l", "0"],
        ["LINDEX", "l", "-1"],
        ["LINDEX", "l", "100"],
        ["LINDEX", "l", "x"],
        ["LPUSHX", "nokey", "a"],
        ["RPUSHX", "nokey", "a"],
        ["LPUSHX", "l", "x", "y"],
        ["RPUSHX", "l", "z"],
        ["LPOP", "l"],
        ["RPOP", "l"],
        ["LPOP", "l", "2"],
        ["RPOP", "l", "2"],
        ["LPOP", "l", "0"],
        ["LPOP", "l", "-1"],
        ["LPOP", "l", "x"],
        ["LPOP", "l", "1", "2"],
        ["LPOP", "nokey"],
        ["LPOP", "nokey", "2"],
        ["LRANGE", "l", "0", "-1"],
        ["DUMP", "l"],
        ["LINSERT", "l", "BEFORE", "b", "X"],
        ["LINSERT", "l", "AFTER", "b", "Y"],
        ["LINSERT", "l", "AFTER", "nope", "Z"],
        ["LINSERT", "l", "MIDDLE", "b", "Z"],
        ["LINSERT", "nokey", "BEFORE", "a", "b"],
        ["LRANGE", "l", "0", "-1"],
        ["LSET", "l", "0", "first"],
        ["LSET", "l", "-1", "last"],
        ["LSET", "l", "100", "x"],
        ["LSET", "nokey", "0", "x"],
        ["LSET", "l", "x", "y"],
        ["LRANGE", "l", "0", "-1"],
        ["RPUSH", "r", "a", "b", "a", "c", "a", "d", "a"],
        ["LREM", "r", "2", "a"],
        ["LRANGE", "r", "0", "-1"],
        ["LREM", "r", "-1", "a"],
        ["LRANGE", "r", "0", "-1"],
        ["LREM", "r", "0", "a"],
        ["LRANGE", "r", "0", "-1"],
        ["LREM", "r", "0", "zz"],
        ["LREM", "nokey", "0", "a"],
        ["LREM", "r", "x", "a"],
        ["RPUSH", "t", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        ["LTRIM", "t", "1", "-2"],
        ["LRANGE", "t", "0", "-1"],
        ["LTRIM", "t", "5", "2"],
        ["EXISTS", "t"],
        ["LTRIM", "nokey", "0", "1"],
        ["RPUSH", "t", "1", "2", "3"],
        ["LTRIM", "t", "-100", "100"],
        ["LRANGE", "t", "0", "-1"],
        ["LTRIM", "t", "x", "1"],
        ["RPUSH", "p", "a", "b", "c", "b", "d", "b"],
        ["LPOS", "p", "b"],
        ["LPOS", "p", "b", "RANK", "2"],
        ["LPOS", "p", "b", "RANK", "-1"],
        ["LPOS", "p", "b", "COUNT", "0"],
        ["LPOS", "p", "b", "COUNT", "2"],
        ["LPOS", "p", "b", "RANK", "-2", "COUNT", "2"],
        ["LPOS", "p", "b", "MAXLEN", "2"],
        ["LPOS", "p", "b", "MAXLEN", "2", "COUNT", "0"],
        ["LPOS", "p", "z"],
        ["LPOS", "p", "z", "COUNT", "1"],
        ["LPOS", "nokey", "a"],
        ["LPOS", "nokey", "a", "COUNT", "1"],
        ["LPOS", "p", "b", "RANK", "0"],
        ["LPOS", "p", "b", "COUNT", "-1"],
        ["LPOS", "p", "b", "MAXLEN", "-1"],
        ["LPOS", "p", "b", "RANK"],
        ["LPOS", "p", "b", "FOO", "1"],
        ["RPUSH", "m", "a", "b", "c"],
        ["LMOVE", "m", "m2", "LEFT", "RIGHT"],
        ["LMOVE", "m", "m2", "RIGHT", "LEFT"],
        ["LMOVE", "m", "m2", "left", "left"],
        ["LMOVE", "m", "m2", "UP", "DOWN"],
        ["LMOVE", "nokey", "m2", "LEFT", "LEFT"],
        ["LRANGE", "m2", "0", "-1"],
        ["EXISTS", "m"],
        ["RPOPLPUSH", "m2", "m2"],
        ["LRANGE", "m2", "0", "-1"],
        ["RPOPLPUSH", "m2", "other"],
        ["RPOPLPUSH", "nokey", "other"],
        ["SET", "str", "x"],
        ["LMOVE", "m2", "str", "LEFT", "LEFT"],
        ["LRANGE", "m2", "0", "-1"],
        ["LPUSH", "str", "x"],
        ["LRANGE", "str", "0", "1"],
        ["LMPOP", "2", "nokey", "m2", "LEFT"],
        ["LMPOP", "2", "nokey", "m2", "RIGHT", "COUNT", "10"],
        ["LMPOP", "1", "nokey", "LEFT"],
        ["LMPOP", "0", "x", "LEFT"],
        ["LMPOP", "1", "x", "UP"],
        ["LMPOP", "1", "x", "LEFT", "COUNT", "0"],
        ["LMPOP", "1", "x"],
        ["LMPOP", "2", "str", "m2", "LEFT"],
        ["BLPOP", "nokey", "0.01"],
        ["BLPOP", "str", "0"],
        ["BLPOP", "nokey", "-1"],
        ["BLPOP", "nokey", "x"],
        ["RPUSH", "b1", "x"],
        ["BLPOP", "nokey", "b1", "0"],
        ["BRPOP", "b1", "0.01"],
        ["BLMPOP", "0.01", "1", "nokey", "LEFT"],
        ["RPUSH", "b2", "1", "2", "3"],
        ["BLMPOP", "0", "2", "nokey", "b2", "RIGHT", "COUNT", "2"],
        ["BLMOVE", "b2", "b3", "LEFT", "RIGHT", "0"],
        ["BRPOPLPUSH", "nokey", "b3", "0.01"],
        ["BLMOVE", "nokey", "b3", "LEFT", "UP", "0"],
        ["LRANGE", "b3", "0", "-1"],
        ["OBJECT", "ENCODING", "b3"],
    ],
    "arity": [
        ["LPUSH", "l"],
        ["LRANGE", "l", "0"],
        ["LINSERT", "l", "BEFORE", "a"],
        ["LSET", "l", "0"],
        ["LREM", "l", "0"],
        ["LTRIM", "l", "0"],
        ["LPOS", "l"],
        ["LMOVE", "a", "b", "LEFT"],
        ["RPOPLPUSH", "a"],
        ["BLPOP", "k"],
        ["BLMOVE", "a", "b", "LEFT", "LEFT"],
        ["BRPOPLPUSH", "a", "b"],
        ["LMPOP", "1", "k"],
        ["BLMPOP", "0", "1", "k"],
        ["RPOP", "a", "1", "2"],
    ],
}


@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("name", sorted(LISTS))
def test_list_commands(differ, name: str, resp: int) -> None:
    check(differ, LISTS[name], resp)


def _random_edits(seed: int, n: int) -> list[list]:
    rng = random.Random(seed)

    def val() -> str:
        r = rng.random()
        if r < 0.3:
            return str(rng.randint(-100000, 100000))
        if r < 0.6:
            return "v" * rng.randint(0, 20)
        if r < 0.9:
            return "x" * rng.randint(20, 300)
        return "y" * rng.randint(300, 3000)

    fill = rng.choice(["-1", "-2", "-3", "-5", "3", "8", "0", "-6"])
    threshold = rng.choice(["0", "1000", "100"])
    cmds = [
        ["CONFIG", "SET", "list-max-listpack-size", fill],
        ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", threshold],
    ]
    k = "l"
    for _ in range(n):
        op = rng.random()
        if op < 0.35:
            cmds.append(
                [rng.choice(["LPUSH", "RPUSH"]), k, *[val() for _ in range(rng.randint(1, 4))]]
            )
        elif op < 0.5:
            cmds.append(["LINSERT", k, rng.choice(["BEFORE", "AFTER"]), "PIVOT", val()])
        elif op < 0.55:
            cmds.append([rng.choice(["LPUSH", "RPUSH"]), k, "PIVOT"])
        elif op < 0.65:
            cmds.append(["LSET", k, str(rng.randint(-20, 20)), val()])
        elif op < 0.72:
            cmds.append(["LREM", k, str(rng.randint(-2, 2)), rng.choice(["PIVOT", "v", "1"])])
        elif op < 0.78:
            cmds.append([rng.choice(["LPOP", "RPOP"]), k, str(rng.randint(1, 3))])
        elif op < 0.82:
            cmds.append(["LTRIM", k, str(rng.randint(0, 3)), str(rng.randint(-5, -1))])
        elif op < 0.86:
            cmds.append(
                ["LMOVE", k, k, rng.choice(["LEFT", "RIGHT"]), rng.choice(["LEFT", "RIGHT"])]
            )
        elif op < 0.9:
            big = "z" * rng.randint(5000, 9000)
            cmds.append(["LINSERT", k, rng.choice(["BEFORE", "AFTER"]), "PIVOT", big])
        else:
            cmds.append(["DUMP", k])
        if rng.random() < 0.2:
            cmds.append(["DEBUG", "OBJECT", k])
    cmds += [["DUMP", k], ["LRANGE", k, "0", "-1"]]
    cmds += [["CONFIG", "SET", "list-max-listpack-size", "-2"]]
    cmds += [["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"]]
    return cmds


_VOLATILE = re.compile(rb"at:0x[0-9a-f]+|lru:\d+ lru_seconds_idle:\d+")


@pytest.mark.parametrize("seed", range(8))
def test_quicklist_layout_matches_after_random_edits(differ, seed: int) -> None:
    cmds = _random_edits(seed, 150)
    ours, theirs = differ(cmds)
    for i, (cmd, a, b) in enumerate(zip(cmds, ours, theirs, strict=True)):
        if cmd[0] == "DEBUG":
            a, b = _VOLATILE.sub(b"", a), _VOLATILE.sub(b"", b)
        assert a == b, f"step {i} {cmd[:4]!r}: polystack {a[:200]!r} != redis {b[:200]!r}"


def test_restore_both_ways_and_old_formats(server, real_redis) -> None:
    setups = {
        "small": ["RPUSH", "k", "a", "1", "-5", "hello"],
        "many_nodes": ["RPUSH", "k", *[f"element-{i:05d}" * 3 for i in range(700)]],
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
            got = realredis.exchange(
                dst, [["RESTORE", "k", "0", payload], ["DUMP", "k"], ["LRANGE", "k", "0", "-1"]]
            )
            assert got[0] == b"+OK\r\n", name
            assert parse(got[1]) == payload, name
            assert parse(got[2]) == [a.encode() for a in setup[2:]], name


def test_debug_reload_keeps_nodes_but_takes_the_new_fill(differ) -> None:
    cmds = [
        ["CONFIG", "SET", "list-max-listpack-size", "2"],
        ["RPUSH", "l", "a", "b", "c", "d", "e"],
        ["DEBUG", "OBJECT", "l"],
        ["CONFIG", "SET", "list-max-listpack-size", "-2"],
        ["RPUSH", "l", "f"],
        ["DEBUG", "OBJECT", "l"],
        ["DEBUG", "RELOAD"],
        ["DEBUG", "OBJECT", "l"],
        ["RPUSH", "l", "g"],
        ["DUMP", "l"],
        ["CONFIG", "SET", "list-compress-depth", "1"],
        ["RPUSH", "l2", "x"],
        ["DEBUG", "OBJECT", "l2"],
        ["CONFIG", "SET", "list-compress-depth", "0"],
        ["CONFIG", "GET", "list-*"],
    ]
    ours, theirs = differ(cmds)
    for cmd, a, b in zip(cmds, ours, theirs, strict=True):
        if cmd[0] == "DEBUG":
            a, b = _VOLATILE.sub(b"", a), _VOLATILE.sub(b"", b)
        if cmd[0] == "CONFIG" and cmd[1] == "GET":
            continue
        assert a == b, f"{cmd!r}: polystack {a!r} != redis {b!r}"


def test_command_info_and_docs(differ) -> None:
    names = [
        "lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lrange", "lindex",
        "lset", "linsert", "lrem", "ltrim", "lpos", "lmove", "rpoplpush", "lmpop", "blpop",
        "brpop", "blmove", "brpoplpush", "blmpop", "bzpopmin", "bzpopmax", "bzmpop",
        "client|unblock",
    ]  # fmt: skip
    for resp in (2, 3):
        check(differ, [["COMMAND", "INFO", n] for n in names], resp)
        check(differ, [["COMMAND", "DOCS", n] for n in names], resp)
    check(
        differ,
        [
            ["COMMAND", "GETKEYS", "BLPOP", "a", "b", "0"],
            ["COMMAND", "GETKEYS", "BLMPOP", "0", "2", "a", "b", "LEFT"],
            ["COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT"],
        ],
    )
