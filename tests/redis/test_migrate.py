"""MIGRATE against a real redis-server 7.0: the same commands run on polystack and on a
real Redis as sources, both migrating into a second real Redis; the replies, what the
target holds afterwards (DUMP payloads, TTLs) and what the source keeps must be the same.
Also polystack as the target of a real Redis's MIGRATE, redis-py's client and the key
finder.  MIGRATE itself is the redis-cluster room's (commands/cluster.py); the deviations
these tests found (key finder, port parsing, a refused connection's wording, COMMAND DOCS)
are fixed there."""

from __future__ import annotations

import pytest
import redis

from polystack.redis.commands.cluster import _migrate_keys as migrate_keys  # (redis-cluster)
from tests.redis import realredis
from tests.redis.realredis import free_port
from tests.redis.scenarios import check

pytestmark = pytest.mark.differential


@pytest.fixture(scope="module")
def target():
    """A second real redis-server that both sources migrate into."""
    if not realredis.available():
        pytest.skip("redis-server is not installed (scripts/install-test-deps installs it)")
    rr = realredis.RealRedis()
    yield rr
    rr.stop()


def _scenario(target_port: int) -> list[list]:
    t = str(target_port)
    return [
        ["SET", "s", "hello"],
        ["RPUSH", "l", "a", "b", "c"],
        ["HSET", "h", "f", "v", "g", "w"],
        ["ZADD", "z", "1", "a", "2.5", "b"],
        ["SADD", "set", "1", "2", "x"],
        ["SET", "ttl", "v", "PX", "100000"],
        ["SET", "busy", "here"],
        ["MIGRATE", "127.0.0.1", t, "s", "0", "5000"],
        ["EXISTS", "s"],
        ["MIGRATE", "127.0.0.1", t, "s", "0", "5000"],
        ["MIGRATE", "127.0.0.1", t, "", "0", "5000", "KEYS", "l", "h", "nokey"],
        ["EXISTS", "l", "h"],
        ["MIGRATE", "127.0.0.1", t, "", "3", "5000", "COPY", "KEYS", "z", "set"],
        ["EXISTS", "z", "set"],
        ["MIGRATE", "127.0.0.1", t, "z", "3", "5000"],
        ["EXISTS", "z"],
        ["MIGRATE", "127.0.0.1", t, "z", "3", "5000", "REPLACE"],
        ["EXISTS", "z"],
        ["MIGRATE", "127.0.0.1", t, "ttl", "0", "5000"],
        ["MIGRATE", "127.0.0.1", t, "busy", "0", "5000"],
        ["EXISTS", "busy"],
        ["MIGRATE", "127.0.0.1", t, "", "0", "5000", "KEYS"],
        ["MIGRATE", "127.0.0.1", t, "busy", "0", "5000", "KEYS", "busy"],
        ["MIGRATE", "127.0.0.1", t, "busy", "0", "5000", "BOGUS"],
        ["MIGRATE", "127.0.0.1", t, "busy", "0", "5000", "AUTH"],
        ["MIGRATE", "127.0.0.1", t, "busy", "0", "5000", "AUTH2", "u"],
        ["MIGRATE", "127.0.0.1", t, "busy", "0", "x"],
        ["MIGRATE", "127.0.0.1", t, "busy", "x", "5000"],
        ["MIGRATE", "127.0.0.1", t, "busy", "99", "5000", "REPLACE"],
        ["MIGRATE", "127.0.0.1", t, "busy", "0", "5000", "AUTH", "secret"],
        ["MIGRATE", "127.0.0.1", t, "busy", "0", "5000", "AUTH2", "u", "p"],
        ["MIGRATE", "127.0.0.1", t, "busy"],
        ["EXISTS", "busy"],
        ["COMMAND", "INFO", "MIGRATE"],
    ]  # fmt: skip


def _target_state(port: int) -> list[bytes]:
    cmds = []
    for db in ("0", "3"):
        cmds.append(["SELECT", db])
        for key in ("s", "l", "h", "z", "ttl", "busy"):
            cmds += [["DUMP", key]]
        cmds.append(["SORT", "set", "ALPHA"])  # (a hash table's order is the server's own)
    cmds += [["SELECT", "0"], ["PTTL", "ttl"]]
    replies = realredis.exchange(port, cmds)
    pttl = int(replies[-1][1:-2])
    assert 90000 < pttl <= 100000
    return replies[:-1]


def test_migrate_like_redis(server, real_redis, target) -> None:
    cmds = _scenario(target.port)
    results = []
    for source in (server.redis_port, real_redis.port):
        for port in (source, target.port):
            realredis.exchange(port, [["FLUSHALL"]])
        realredis.exchange(target.port, [["SET", "busy", "there"]])
        replies = realredis.exchange(source, cmds)
        results.append((replies, _target_state(target.port)))
    (ours, ours_target), (theirs, theirs_target) = results
    for cmd, a, b in zip(cmds, ours, theirs, strict=True):
        assert a == b, cmd
    assert ours_target == theirs_target


def test_polystack_as_migrate_target(server, real_redis) -> None:
    realredis.exchange(server.redis_port, [["FLUSHALL"]])
    realredis.exchange(real_redis.port, [["FLUSHALL"], ["RPUSH", "l", "x", "y"], ["SET", "e", "1", "EX", "50"]])  # fmt: skip
    (reply,) = realredis.exchange(
        real_redis.port,
        [["MIGRATE", "127.0.0.1", str(server.redis_port), "", "2", "5000", "KEYS", "l", "e"]],
    )
    assert reply == b"+OK\r\n"
    r = redis.Redis(port=server.redis_port, db=2)
    try:
        assert r.lrange("l", 0, -1) == [b"x", b"y"]
        assert 0 < r.ttl("e") <= 50
    finally:
        r.close()


def test_migrate_through_redis_py(r, target) -> None:
    realredis.exchange(target.port, [["FLUSHALL"]])
    r.set("a", "1")
    r.set("b", "2")
    assert r.migrate("127.0.0.1", target.port, ["a", "b"], 0, 5000, copy=True) == b"OK"
    assert r.exists("a", "b") == 2
    assert r.migrate("127.0.0.1", target.port, "a", 0, 5000, replace=True) == b"OK"
    assert r.exists("a") == 0
    assert r.migrate("127.0.0.1", target.port, "gone", 0, 5000) == b"NOKEY"
    with pytest.raises(redis.ResponseError, match="IOERR"):
        r.migrate("127.0.0.1", free_port(), "b", 0, 100)


def test_migrate_introspection_like_redis(differ) -> None:
    check(differ, [
        ["COMMAND", "DOCS", "MIGRATE"],
        ["COMMAND", "GETKEYSANDFLAGS", "MIGRATE", "h", "1", "", "0", "5", "AUTH", "keys", "KEYS", "a"],
        ["COMMAND", "GETKEYSANDFLAGS", "MIGRATE", "h", "1", "k", "0", "5", "COPY"],
    ])  # fmt: skip


def test_migrate_key_finder() -> None:
    assert migrate_keys([b"MIGRATE", b"h", b"1", b"k", b"0", b"5"]) == [3]
    argv = [b"MIGRATE", b"h", b"1", b"", b"0", b"5", b"COPY", b"KEYS", b"a", b"b"]
    assert migrate_keys(argv) == [8, 9]


def test_migrate_key_finder_skips_auth_arguments() -> None:
    argv = [b"MIGRATE", b"h", b"1", b"", b"0", b"5", b"AUTH2", b"keys", b"x", b"KEYS", b"a"]
    assert migrate_keys(argv) == [10]


def test_migrate_to_a_closed_port_like_redis(server, real_redis) -> None:
    closed = str(free_port())
    cmds = [["SET", "k", "v"], ["MIGRATE", "127.0.0.1", closed, "k", "0", "200"], ["EXISTS", "k"]]
    ours = realredis.exchange(server.redis_port, [["FLUSHALL"], *cmds])
    theirs = realredis.exchange(real_redis.port, [["FLUSHALL"], *cmds])
    assert ours == theirs


def test_migrate_key_finder_refuses_key_and_keys() -> None:
    assert migrate_keys([b"MIGRATE", b"h", b"1", b"k", b"0", b"5", b"KEYS", b"a"]) == []


def test_migrate_port_read_as_atoi_like_redis(server, real_redis) -> None:
    cmds = [["SET", "k", "v"], ["MIGRATE", "127.0.0.1", "notaport", "k", "0", "200"]]
    ours = realredis.exchange(server.redis_port, [["FLUSHALL"], *cmds])
    theirs = realredis.exchange(real_redis.port, [["FLUSHALL"], *cmds])
    assert ours == theirs
