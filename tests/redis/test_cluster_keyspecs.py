"""Cluster routing finds a command's keys as Redis's getNodeByQuery does, from its key specs
(and its own key finder where the specs are incomplete): XREAD's STREAMS, ZUNION's numkeys,
GEORADIUS's STORE, SORT's STORE ... are routed and get -CROSSSLOT, not only the legacy
(first, last, step) keys.  A lone cluster-enabled node owning slots 0-10000
(cluster-require-full-coverage no), polystack and redis-server 7.0 side by side: the same
requests, the same reply bytes.  Before, polystack ran these commands on whatever node they
reached (XREAD, ZUNION, LMPOP, SINTERCARD: "no keys"; ZUNIONSTORE, GEORADIUS ... STORE, SORT ...
STORE: only their first key checked)."""

from __future__ import annotations

import time

import pytest

import polystack.testing
from polystack.redis.cluster.slots import key_hash_slot
from tests.redis.realredis import RawClient, RealRedis, available, free_port

pytestmark = pytest.mark.skipif(not available(), reason="redis-server is not installed")

# {b} and {c}: two different slots this node serves; {a}: a slot nobody serves
assert key_hash_slot(b"{a}") > 10000 >= max(key_hash_slot(b"{b}"), key_hash_slot(b"{c}"))
assert key_hash_slot(b"{b}") != key_hash_slot(b"{c}")

COMMANDS = [
    ["RPUSH", "{b}l", "3", "1", "2"],
    ["GEOADD", "{b}g", "0", "0", "m"],
    ["XADD", "{b}s", "1-1", "f", "v"],
    ["GET", "{a}x"],
    ["GET", "{b}x"],
    ["XREAD", "STREAMS", "{b}s", "{c}t", "0", "0"],
    ["XREAD", "STREAMS", "{a}s", "0"],
    ["XREAD", "COUNT", "1", "STREAMS", "{b}s", "{b}t", "0", "0"],
    ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "{b}s", "{c}t", ">", ">"],
    ["ZUNION", "2", "{b}x", "{c}y"],
    ["ZUNION", "2", "{a}x", "{a}y"],
    ["ZUNION", "2", "{b}x", "{b}y", "WITHSCORES"],
    ["ZUNIONSTORE", "{b}d", "2", "{b}x", "{c}y"],
    ["ZUNIONSTORE", "{b}d", "1", "{a}x"],
    ["ZINTERSTORE", "{b}d", "1", "{b}x"],
    ["ZDIFFSTORE", "{c}d", "1", "{b}x"],
    ["ZINTER", "2", "{b}x", "{c}y"],
    ["ZDIFF", "2", "{b}x", "{b}y"],
    ["ZINTERCARD", "2", "{b}x", "{c}y"],
    ["ZMPOP", "2", "{b}x", "{c}y", "MIN"],
    ["LMPOP", "2", "{b}x", "{c}y", "LEFT"],
    ["LMPOP", "1", "{a}x", "LEFT"],
    ["SINTERCARD", "2", "{b}x", "{c}y"],
    ["SINTERCARD", "2", "{b}x", "{b}y"],
    ["GEORADIUS", "{b}g", "0", "0", "10", "km", "STORE", "{c}d"],
    ["GEORADIUS", "{b}g", "0", "0", "10", "km", "STOREDIST", "{b}d"],
    ["GEORADIUSBYMEMBER", "{b}g", "m", "10", "km", "STORE", "{a}d"],
    ["SORT", "{b}l", "STORE", "{c}d"],
    ["SORT", "{b}l", "STORE", "{b}d"],
    ["RENAME", "{b}l", "{c}l"],
    ["COPY", "{b}l", "{c}l"],
    ["LMOVE", "{b}l", "{c}l", "LEFT", "LEFT"],
    ["PFMERGE", "{b}h", "{c}h"],
    ["MSET", "{b}1", "v", "{c}2", "v"],
    ["MGET", "{b}1", "{b}2"],
    ["EVAL", "return 1", "2", "{b}x", "{c}y"],
    ["MULTI"],
    ["ZUNION", "2", "{b}x", "{c}y"],
    ["GET", "{b}x"],
    ["EXEC"],
]


def _ready(port: int) -> None:
    c = RawClient(port)
    try:
        assert c.call("CONFIG", "SET", "cluster-require-full-coverage", "no") == b"+OK\r\n"
        assert c.call("CLUSTER", "ADDSLOTSRANGE", "0", "10000") == b"+OK\r\n"
        deadline = time.monotonic() + 30
        while b"cluster_state:ok" not in c.call("CLUSTER", "INFO"):
            assert time.monotonic() < deadline, "cluster_state never became ok"
            time.sleep(0.1)
    finally:
        c.close()


def _run(port: int) -> list[bytes]:
    c = RawClient(port)
    try:
        return [c.call(*cmd) for cmd in COMMANDS]
    finally:
        c.close()


def test_keys_named_by_key_specs_are_routed_as_redis() -> None:
    real = RealRedis("--cluster-enabled", "yes", "--cluster-port", str(free_port()))
    try:
        _ready(real.port)
        theirs = _run(real.port)
    finally:
        real.stop()
    with polystack.testing.serve(
        redis=True,
        config_overrides={"redis.cluster_enabled": True, "redis.cluster_port": free_port()},
    ) as handle:
        port = handle.service("redis").listening_port()
        _ready(port)
        mine = _run(port)
    assert b"CROSSSLOT" in b"".join(theirs)
    for cmd, a, b in zip(COMMANDS, mine, theirs, strict=True):
        assert a == b, (cmd, a, b)
