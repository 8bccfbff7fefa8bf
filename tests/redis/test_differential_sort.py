"""SORT and SORT_RO against a real redis-server 7.0: numeric and ALPHA orders, BY weights
(strings and hash fields, missing ones), constant BY (no sorting), GET projections with
``#``, LIMIT edge values, STORE (overwrite, TTL cleared, empty result deletes), errors, the
listpack-to-skiplist conversion of a sorted set, and the introspection of both commands."""

from __future__ import annotations

import pytest

from tests.redis.scenarios import check

pytestmark = pytest.mark.differential

_USERS = [
    ["RPUSH", "uids", "3", "1", "2", "10"],
    ["MSET", "w_1", "30", "w_2", "10", "w_3", "20", "w_10", "-5"],
    ["MSET", "name_1", "carol", "name_2", "alice", "name_3", "bob", "name_10", "dave"],
    ["HSET", "user:1", "age", "41", "nick", "zed"],
    ["HSET", "user:2", "age", "27", "nick", "amy"],
    ["HSET", "user:3", "age", "35"],
]

SORTS: dict[str, list[list]] = {
    "numeric_and_alpha": [
        ["RPUSH", "l", "3", "1", "2", "10", "-1.5", "0x10", " 7", "1e2", ""],
        ["SORT", "l"],
        ["SORT", "l", "DESC"],
        ["SORT", "l", "ALPHA"],
        ["SORT", "l", "ALPHA", "DESC"],
        ["SORT_RO", "l"],
        ["RPUSH", "bad", "1", "two", "3"],
        ["SORT", "bad"],
        ["SORT", "bad", "ALPHA"],
        ["RPUSH", "nan", "1", "nan"],
        ["SORT", "nan"],
        ["RPUSH", "ties", "b", "a", "c"],
        ["SORT", "ties", "BY", "nokey_*"],
        ["SORT", "ties", "BY", "nokey_*", "ALPHA"],
        ["SORT", "ties", "BY", "nokey_*", "DESC"],
        ["SORT", "ties", "BY", "nokey_*", "ALPHA", "DESC"],
        ["RPUSH", "mixed", "01", "1", "1.0", "+1"],
        ["SORT", "mixed"],
        ["SORT", "mixed", "DESC"],
        # last: Redis 7.0 never clears errno before its strtod, so after an overflow the
        # numeric SORTs that follow in the same read batch fail too (not a behaviour to copy)
        ["RPUSH", "huge", "1", "1e400"],
        ["SORT", "huge"],
    ],
    "by_and_get": [
        *_USERS,
        ["SORT", "uids", "BY", "w_*"],
        ["SORT", "uids", "BY", "w_*", "DESC"],
        ["SORT", "uids", "BY", "name_*", "ALPHA"],
        ["SORT", "uids", "BY", "name_*"],
        ["SORT", "uids", "BY", "user:*->age"],
        ["SORT", "uids", "BY", "user:*->nick", "ALPHA"],
        ["SORT", "uids", "BY", "user:*->nick", "ALPHA", "DESC"],
        ["SORT", "uids", "GET", "name_*"],
        ["SORT", "uids", "GET", "#", "GET", "name_*", "GET", "user:*->age", "GET", "nokey_*"],
        ["SORT", "uids", "GET", "name"],
        ["SORT", "uids", "GET", "user:*->"],
        ["SORT", "uids", "BY", "w_*", "GET", "#", "GET", "w_*"],
        ["SORT", "uids", "BY", "uids"],
        ["SORT", "uids", "BY", "uids", "DESC"],
        ["SORT", "uids", "BY", "uids", "LIMIT", "1", "2"],
        ["SORT", "uids", "BY", "uids", "LIMIT", "1", "2", "DESC"],
        ["SORT", "uids", "BY", "uids", "BY", "w_*"],
        ["SORT", "uids", "BY", "w_*", "BY", "uids"],
        ["SORT", "uids", "GET", "uids"],
        ["SET", "w_x", "abc"],
        ["RPUSH", "withx", "1", "x"],
        ["SORT", "withx", "BY", "w_*"],
        ["SORT", "withx", "BY", "w_*", "ALPHA"],
    ],
    "limit": [
        ["RPUSH", "l", "5", "3", "9", "1", "7"],
        ["SORT", "l", "LIMIT", "0", "2"],
        ["SORT", "l", "LIMIT", "1", "-1"],
        ["SORT", "l", "LIMIT", "-3", "2"],
        ["SORT", "l", "LIMIT", "3", "100"],
        ["SORT", "l", "LIMIT", "5", "1"],
        ["SORT", "l", "LIMIT", "100", "1"],
        ["SORT", "l", "LIMIT", "2", "0"],
        ["SORT", "l", "LIMIT", "9223372036854775807", "9223372036854775807"],
        ["SORT", "l", "LIMIT", "1", "9223372036854775807"],
        ["SORT", "l", "LIMIT", "-9223372036854775808", "-9223372036854775808"],
        ["SORT", "l", "LIMIT", "1", "2", "DESC"],
        ["SORT", "l", "LIMIT", "x", "2"],
        ["SORT", "l", "LIMIT", "1"],
        ["SORT", "l", "LIMIT", "1", "2", "GET", "#", "GET", "nokey_*"],
        ["SORT", "nokey", "LIMIT", "0", "10"],
        ["SORT", "nokey"],
        ["SORT_RO", "nokey", "LIMIT", "5", "5"],
    ],
    "sets_and_zsets": [
        ["SADD", "s", "5", "1", "3"],
        ["SORT", "s"],
        ["SORT", "s", "DESC", "LIMIT", "0", "2"],
        ["SADD", "hs", "pear", "apple", "fig"],
        ["SORT", "hs", "ALPHA"],
        ["SORT", "hs"],
        ["SORT", "hs", "BY", "const", "STORE", "dst"],
        ["LRANGE", "dst", "0", "-1"],
        ["ZADD", "z", "3", "c", "1", "a", "2", "b"],
        ["OBJECT", "ENCODING", "z"],
        ["SORT", "z", "ALPHA"],
        ["OBJECT", "ENCODING", "z"],
        ["SORT", "z", "BY", "const"],
        ["SORT", "z", "BY", "const", "DESC"],
        ["SORT", "z", "BY", "const", "LIMIT", "1", "1"],
        ["SORT", "z", "BY", "const", "LIMIT", "1", "5", "DESC"],
        ["SORT", "z", "BY", "const", "LIMIT", "0", "1", "DESC"],
        ["ZADD", "zn", "1", "10", "2", "9", "3", "8"],
        ["SORT", "zn"],
        ["SORT", "zn", "BY", "nosort", "GET", "#"],
    ],
    "store": [
        *_USERS,
        ["SET", "dst", "old"],
        ["EXPIRE", "dst", "100"],
        ["SORT", "uids", "BY", "w_*", "STORE", "dst"],
        ["TYPE", "dst"],
        ["TTL", "dst"],
        ["LRANGE", "dst", "0", "-1"],
        ["SORT", "uids", "GET", "name_*", "GET", "nokey_*", "STORE", "dst"],
        ["LRANGE", "dst", "0", "-1"],
        ["OBJECT", "ENCODING", "dst"],
        ["SORT", "nokey", "STORE", "dst"],
        ["EXISTS", "dst"],
        ["SORT", "nokey", "STORE", "dst"],
        ["SORT", "uids", "STORE", "uids"],
        ["LRANGE", "uids", "0", "-1"],
        ["SORT", "uids", "STORE", "a", "STORE", "b"],
        ["EXISTS", "a", "b"],
        ["SORT_RO", "uids", "STORE", "a"],
        ["SORT", "uids", "STORE"],
    ],
    "errors": [
        ["SET", "str", "x"],
        ["HSET", "h", "f", "v"],
        ["SORT", "str"],
        ["SORT", "h"],
        ["SORT"],
        ["SORT_RO"],
        ["RPUSH", "l", "1"],
        ["SORT", "l", "BOGUS"],
        ["SORT", "l", "BY"],
        ["SORT", "l", "GET"],
        ["SORT", "l", "ASC", "DESC", "ASC"],
        ["SORT", "str", "BOGUS"],
        ["SORT", "str", "LIMIT", "a", "b"],
    ],
    "introspection": [
        ["COMMAND", "INFO", "SORT", "SORT_RO"],
        ["COMMAND", "DOCS", "SORT", "SORT_RO"],
        ["COMMAND", "GETKEYS", "SORT", "a", "LIMIT", "0", "1", "STORE", "b"],
        ["COMMAND", "GETKEYS", "SORT", "a", "GET", "store", "BY", "x"],
        ["COMMAND", "GETKEYSANDFLAGS", "SORT", "a", "STORE", "b", "STORE", "c"],
        ["COMMAND", "GETKEYSANDFLAGS", "SORT_RO", "a", "BY", "x_*"],
    ],
}


@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("name", sorted(SORTS))
def test_sort(differ, name: str, resp: int) -> None:
    check(differ, SORTS[name], resp)


def test_sort_acl_patterns(differ) -> None:
    """BY and GET patterns read keys nobody named: a user without access to every key is
    refused them, while a plain SORT of a key it may read still works."""
    cmds = [
        ["RPUSH", "l", "2", "1"],
        ["ACL", "SETUSER", "u", "on", "nopass", "+@all", "~l", "~w_*"],
        ["ACL", "SETUSER", "r", "on", "nopass", "+@all", "%R~*", "~dst"],
        ["AUTH", "u", "x"],
        ["SORT", "l"],
        ["SORT", "l", "BY", "w_*"],
        ["SORT", "l", "GET", "w_*"],
        ["SORT", "l", "GET", "#"],
        ["SORT", "l", "BY", "nosort"],
        ["AUTH", "r", "x"],
        ["SORT", "l", "BY", "w_*", "GET", "#"],
        ["SORT_RO", "l", "BY", "w_*"],
        ["SORT", "l", "BY", "w_*", "STORE", "dst"],
        ["AUTH", "default", "x"],
        ["ACL", "DELUSER", "u", "r"],
    ]
    check(differ, cmds)


def test_sort_in_scripts_and_notifications(differ) -> None:
    """A set sorted with a constant BY in a script (or stored) is sorted ALPHA for a
    deterministic result; STORE sends "sortstore"."""
    members = [f"m{i}" for i in range(40)]
    cmds = [
        ["SADD", "s", *members],
        ["EVAL", "return redis.call('SORT', KEYS[1], 'BY', 'nosort')", "1", "s"],
        ["EVAL", "return redis.call('SORT', KEYS[1], 'BY', 'nosort', 'LIMIT', 5, 3)", "1", "s"],
        ["SORT", "s", "BY", "nosort", "STORE", "dst"],
        ["LRANGE", "dst", "0", "-1"],
    ]
    check(differ, cmds)


def _events_and_stats(port: int, commands: list[list]) -> tuple[bytes, list[bytes]]:
    """The keyspace events a subscriber sees while ``commands`` run, and the hit/miss
    counters after them."""
    from tests.redis import realredis

    realredis.exchange(port, [["FLUSHALL"], ["CONFIG", "SET", "notify-keyspace-events", "KEA"]])
    sub = realredis.RawClient(port)
    try:
        sub.call("PSUBSCRIBE", "__key*__:*")
        realredis.exchange(port, [["CONFIG", "RESETSTAT"], *commands, ["PUBLISH", "done", "x"]])
        # the confirmation of this subscription comes after every event sent before it
        sub.sock.sendall(b"PSUBSCRIBE done\r\n")
        events = b""
        while True:
            reply = sub._read_reply()
            if reply.startswith(b"*3\r\n$10\r\npsubscribe\r\n$4\r\ndone\r\n"):
                break
            events += reply
        stats = realredis.exchange(port, [["INFO", "stats"]])[0]
        counters = [line for line in stats.split(b"\r\n") if line.startswith(b"keyspace_")]
        return events, counters
    finally:
        sub.close()
        realredis.exchange(port, [["CONFIG", "SET", "notify-keyspace-events", ""]])


def test_sort_events_and_key_lookups(server, real_redis) -> None:
    """STORE sends "sortstore" (or "del" when the result is empty); BY and GET patterns are
    key lookups that count as hits and misses."""
    cmds = [
        ["RPUSH", "l", "2", "1", "3"],
        ["SET", "w_1", "5"],
        ["HSET", "h_2", "f", "1"],
        ["SORT", "l", "BY", "w_*", "GET", "h_*->f", "GET", "#"],
        ["SORT", "l", "STORE", "dst"],
        ["SORT", "nokey", "STORE", "dst"],
        ["SORT", "nokey", "STORE", "dst"],
    ]
    ours = _events_and_stats(server.redis_port, cmds)
    assert b"sortstore" in ours[0] and b"keyspace_misses" in ours[1][1]
    assert ours == _events_and_stats(real_redis.port, cmds)


def _random_sorts(seed: int, n: int) -> list[list]:
    """Seeded random lists, sets and sorted sets, weights and hash fields, and SORTs over
    them with every option; only orders Redis fixes are asked for (no constant BY over a set
    or sorted set, no ALPHA by weights with LIMIT or over a hash table, where ties keep an
    order a partial quicksort or Redis's hash table decides)."""
    import random

    rng = random.Random(seed)
    pool = ["1", "2", "10", "-3", "2.5", "1e2", "0x10", "abc", "b", "B", "", " 7", "007", "-0",
            "inf", "-inf", "z1", "9223372036854775807", "1e-3", "é"]  # fmt: skip
    cmds: list[list] = []
    for i in range(n):
        kind = rng.choice(["list", "list", "set", "zset"])
        key = f"{kind}{i}"
        elems = [rng.choice(pool) for _ in range(rng.randint(0, 8))]
        if elems and kind == "list":
            cmds.append(["RPUSH", key, *elems])
        elif elems and kind == "set":
            cmds.append(["SADD", key, *elems])
        elif elems:
            cmds.append(["ZADD", key, *[x for e in elems for x in (str(rng.randint(0, 3)), e)]])
        for e in set(elems):
            if rng.random() < 0.6:
                cmds.append(["SET", f"w_{e}", rng.choice(pool)])
            if rng.random() < 0.4:
                cmds.append(["HSET", f"h_{e}", "f", rng.choice(pool)])
        opts: list[str] = []
        alpha = rng.random() < 0.5
        by = rng.choice([None, "w_*", "h_*->f", "nosort"])
        if kind != "list" and (by == "nosort" or (alpha and by)):
            by = None  # (a hash table's order would decide: Redis's own, not comparable)
        if by:
            opts += ["BY", by]
        limited = rng.random() < 0.4 and not (alpha and by in ("w_*", "h_*->f"))
        if limited:
            opts += ["LIMIT", str(rng.randint(-2, 6)), str(rng.randint(-1, 6))]
        for _ in range(rng.randint(0, 2)):
            opts += ["GET", rng.choice(["#", "w_*", "h_*->f", "none_*"])]
        if rng.random() < 0.5:
            opts.append("DESC")
        if alpha:
            opts.append("ALPHA")
        cmds.append(["SORT", key, *opts])
        if rng.random() < 0.3:
            cmds += [["SORT", key, *opts, "STORE", "dst"], ["LRANGE", "dst", "0", "-1"]]
    return cmds


@pytest.mark.parametrize("seed", range(8))
def test_random_sorts_like_redis(differ, seed: int) -> None:
    check(differ, _random_sorts(seed, 60))
