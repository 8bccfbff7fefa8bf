"""The CLUSTER commands, ASKING/READONLY/READWRITE and MIGRATE on a lone cluster-enabled node,
polystack and redis-server 7.0 side by side: the same requests, the same reply bytes (the
node's own id and port, which must differ, are masked).  And MIGRATE through redis-py between
polystack and a real redis-server, both directions, with its options."""

from __future__ import annotations

import re

import pytest
import redis

import polystack.testing
from tests.redis.realredis import RawClient, RealRedis, available, free_port

pytestmark = pytest.mark.skipif(not available(), reason="redis-server is not installed")

OTHER = "f" * 40  # a node id neither node knows


@pytest.fixture(scope="module")
def real():
    server = RealRedis(
        "--cluster-enabled", "yes", "--cluster-node-timeout", "2000",
        "--cluster-port", str(free_port()),  # the client port + 10000 may be beyond 65535
    )  # fmt: skip
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ours():
    with polystack.testing.serve(
        redis=True,
        config_overrides={
            "redis.cluster_enabled": True,
            "redis.cluster_node_timeout": 2000,
            "redis.cluster_port": free_port(),
        },
    ) as handle:
        yield handle.service("redis").listening_port()


def masked(reply: bytes, myid: bytes, port: int, cport: int) -> bytes:
    reply = reply.replace(myid, b"<myid>")
    reply = re.sub(rb"\b%d\b" % port, b"<port>", reply)
    return re.sub(rb"\b%d\b" % cport, b"<cport>", reply)


def run(port: int, commands: list[list]) -> list[bytes]:
    c = RawClient(port)
    try:
        myid = c.call("CLUSTER", "MYID").split(b"\r\n")[1]
        cport = int(re.search(rb"@(\d+)", c.call("CLUSTER", "NODES")).group(1))  # type: ignore[union-attr]
        out = []
        for cmd in commands:
            cmd = [myid if a == "<myid>" else a for a in cmd]
            out.append(masked(c.call(*cmd), myid, port, cport))
        return out
    finally:
        c.close()


def compare(real_port: int, our_port: int, commands: list[list]) -> None:
    theirs = run(real_port, commands)
    mine = run(our_port, commands)
    for cmd, a, b in zip(commands, mine, theirs, strict=True):
        assert a == b, (cmd, a, b)


SLOT_COMMANDS = [
    ["CLUSTER", "KEYSLOT", "foo"],
    ["CLUSTER", "KEYSLOT", "{user1000}.following"],
    ["CLUSTER", "KEYSLOT", "{}x"],
    ["CLUSTER", "KEYSLOT"],
    ["CLUSTER", "ADDSLOTS", "0", "1", "2"],
    ["CLUSTER", "ADDSLOTS", "1"],
    ["CLUSTER", "ADDSLOTS", "16384"],
    ["CLUSTER", "ADDSLOTS", "-1"],
    ["CLUSTER", "ADDSLOTS", "abc"],
    ["CLUSTER", "ADDSLOTS", "5", "5"],
    ["CLUSTER", "ADDSLOTS"],
    ["CLUSTER", "ADDSLOTSRANGE", "10", "20"],
    ["CLUSTER", "ADDSLOTSRANGE", "30", "25"],
    ["CLUSTER", "ADDSLOTSRANGE", "10"],
    ["CLUSTER", "ADDSLOTSRANGE", "15", "40"],
    ["CLUSTER", "ADDSLOTSRANGE", "100", "110", "105", "120"],
    ["CLUSTER", "DELSLOTS", "0"],
    ["CLUSTER", "DELSLOTS", "0"],
    ["CLUSTER", "DELSLOTS", "3", "3"],
    ["CLUSTER", "DELSLOTSRANGE", "10", "15"],
    ["CLUSTER", "DELSLOTSRANGE", "10", "15"],
    ["CLUSTER", "DELSLOTSRANGE", "16", "16"],
    ["CLUSTER", "SLOTS"],
    ["CLUSTER", "COUNTKEYSINSLOT", "1"],
    ["CLUSTER", "COUNTKEYSINSLOT", "-1"],
    ["CLUSTER", "COUNTKEYSINSLOT", "16384"],
    ["CLUSTER", "COUNTKEYSINSLOT", "abc"],
    ["CLUSTER", "GETKEYSINSLOT", "1", "10"],
    ["CLUSTER", "GETKEYSINSLOT", "1", "-1"],
    ["CLUSTER", "GETKEYSINSLOT", "16384", "1"],
    ["CLUSTER", "GETKEYSINSLOT", "x", "1"],
    ["CLUSTER", "SETSLOT", "1", "STABLE"],
    ["CLUSTER", "SETSLOT", "1", "MIGRATING", OTHER],
    ["CLUSTER", "SETSLOT", "99", "MIGRATING", "<myid>"],
    ["CLUSTER", "SETSLOT", "1", "IMPORTING", "<myid>"],
    ["CLUSTER", "SETSLOT", "99", "IMPORTING", OTHER],
    ["CLUSTER", "SETSLOT", "1", "NODE", OTHER],
    ["CLUSTER", "SETSLOT", "1", "FOO"],
    ["CLUSTER", "SETSLOT", "1"],
    ["CLUSTER", "SETSLOT", "99999", "STABLE"],
    ["CLUSTER", "SETSLOT", "200", "NODE", "<myid>"],
    ["CLUSTER", "SLOTS"],
]

NODE_COMMANDS = [
    ["CLUSTER", "COUNT-FAILURE-REPORTS", OTHER],
    ["CLUSTER", "COUNT-FAILURE-REPORTS", "<myid>"],
    ["CLUSTER", "FORGET", "<myid>"],
    ["CLUSTER", "FORGET", OTHER],
    ["CLUSTER", "REPLICATE", "<myid>"],
    ["CLUSTER", "REPLICATE", OTHER],
    ["CLUSTER", "REPLICAS", OTHER],
    ["CLUSTER", "REPLICAS", "<myid>"],
    ["CLUSTER", "SLAVES", "<myid>"],
    ["CLUSTER", "FAILOVER"],
    ["CLUSTER", "FAILOVER", "FORCE"],
    ["CLUSTER", "FAILOVER", "TAKEOVER"],
    ["CLUSTER", "FAILOVER", "FOO"],
    ["CLUSTER", "MEET", "127.0.0.1", "notaport"],
    ["CLUSTER", "MEET", "1.2.3", "5"],
    ["CLUSTER", "MEET", "127.0.0.1", "7000", "x"],
    ["CLUSTER", "MEET", "127.0.0.1"],
    ["CLUSTER", "LINKS"],
    ["CLUSTER", "SET-CONFIG-EPOCH", "-1"],
    ["CLUSTER", "SET-CONFIG-EPOCH", "x"],
    ["CLUSTER", "SET-CONFIG-EPOCH", "5"],
    ["CLUSTER", "SET-CONFIG-EPOCH", "6"],
    ["CLUSTER", "BUMPEPOCH"],
    ["CLUSTER", "BUMPEPOCH"],
    ["CLUSTER", "SAVECONFIG"],
    ["CLUSTER", "FOO"],
    ["CLUSTER", "HELP"],
    ["CLUSTER"],
    ["ASKING"],
    ["READONLY"],
    ["READWRITE"],
    ["ASKING", "x"],
    ["SELECT", "1"],
    ["SELECT", "0"],
    ["SELECT", "x"],
]

RESET_COMMANDS = [
    ["SET", "{a}foo", "1"],  # slot 15495: not assigned here
    ["CLUSTER", "ADDSLOTS", "15495"],
    ["CLUSTER", "RESET", "FOO"],
    ["CLUSTER", "RESET", "SOFT", "X"],
    ["CLUSTER", "FLUSHSLOTS"],
    ["CLUSTER", "SLOTS"],
    ["CLUSTER", "RESET", "SOFT"],
    ["CLUSTER", "SLOTS"],
    ["CLUSTER", "ADDSLOTSRANGE", "0", "5"],
    ["CLUSTER", "RESET"],
    ["CLUSTER", "SLOTS"],
]

# argument counts clusterCommand does not take, odd values, MIGRATE's own argument errors
ARGUMENT_COMMANDS = [
    ["CLUSTER", "RESET", "SOFT", "X"],
    ["CLUSTER", "FAILOVER", "FORCE", "X"],
    ["CLUSTER", "MEET", "127.0.0.1", "7000", "17000", "x"],
    ["CLUSTER", "SETSLOT", "1", "NODE"],
    ["CLUSTER", "SETSLOT", "1", "STABLE", "x"],
    ["CLUSTER", "SETSLOT", "1", "MIGRATING"],
    ["CLUSTER", "SETSLOT", "1", "IMPORTING", "a", "b"],
    ["CLUSTER", "FORGET", "a", "b"],
    ["CLUSTER", "REPLICATE", "a", "b"],
    ["CLUSTER", "COUNT-FAILURE-REPORTS", "a", "b"],
    ["CLUSTER", "COUNTKEYSINSLOT", "1", "2"],
    ["CLUSTER", "GETKEYSINSLOT", "1", "2", "3"],
    ["CLUSTER", "SET-CONFIG-EPOCH", "1", "2"],
    ["CLUSTER", "BUMPEPOCH", "x"],
    ["CLUSTER", "KEYSLOT", "a", "b"],
    ["CLUSTER", "SAVECONFIG", "x"],
    ["CLUSTER", "FLUSHSLOTS", "x"],
    ["CLUSTER", "MYID", "x"],
    ["CLUSTER", "INFO", "x"],
    ["CLUSTER", "NODES", "x"],
    ["CLUSTER", "SLOTS", "x"],
    ["CLUSTER", "SHARDS", "x"],
    ["CLUSTER", "LINKS", "x"],
    ["CLUSTER", "DELSLOTSRANGE", "1", "2", "3"],
    ["CLUSTER", "ADDSLOTSRANGE", "1", "2", "3"],
    ["CLUSTER", "REPLICAS", "a", "b"],
    ["CLUSTER", "SLAVES", "a", "b"],
    ["CLUSTER", "HELP", "x"],
    ["READONLY", "x"],
    ["READWRITE", "x"],
    ["CLUSTER", "RESET", "HARD"],
    ["CLUSTER", "MEET", "127.0.0.1", "0"],
    ["CLUSTER", "MEET", "127.0.0.1", "70000"],
    ["CLUSTER", "MEET", "::1", "7000"],
    ["CLUSTER", "MEET", "localhost", "7000"],
    ["CLUSTER", "SETSLOT", "1", "migrating", "ffffffffffffffffffffffffffffffffffffffff"],
    ["CLUSTER", "setslot", "1", "node", "abc"],
    ["CLUSTER", "GETKEYSINSLOT", "1", "0"],
    ["CLUSTER", "GETKEYSINSLOT", "1", "abc"],
    ["CLUSTER", "COUNTKEYSINSLOT", "1.5"],
    ["CLUSTER", "ADDSLOTS", "1.5"],
    ["CLUSTER", "ADDSLOTS", " 1"],
    ["MIGRATE"],
    ["MIGRATE", "127.0.0.1", "1", "k", "0", "100", "KEYS", "a"],
    ["MIGRATE", "127.0.0.1", "1", "", "0", "100", "KEYS"],
    ["MIGRATE", "127.0.0.1", "1", "", "0", "100", "FOO"],
    ["MIGRATE", "127.0.0.1", "1", "k", "0", "100", "AUTH"],
    ["MIGRATE", "127.0.0.1", "1", "k", "0", "100", "AUTH2", "u"],
    ["MIGRATE", "127.0.0.1", "1", "k", "x", "100"],
    ["MIGRATE", "127.0.0.1", "1", "k", "0", "x"],
    ["MIGRATE", "127.0.0.1", "1", "k", "0", "-5"],
    ["MIGRATE", "127.0.0.1", "1", "k", "0", "100"],
    ["RESTORE-ASKING", "k", "0", "x"],
]


def test_argument_errors_as_redis(real, ours) -> None:
    compare(real.port, ours, ARGUMENT_COMMANDS)


def test_slot_commands_as_redis(real, ours) -> None:
    compare(real.port, ours, SLOT_COMMANDS)


def test_node_commands_as_redis(real, ours) -> None:
    compare(real.port, ours, NODE_COMMANDS)


def test_reset_and_flushslots_as_redis(real, ours) -> None:
    compare(real.port, ours, RESET_COMMANDS)


def test_cluster_info_fields_as_redis(real, ours) -> None:
    def fields(port: int) -> list[str]:
        info = redis.Redis(port=port, decode_responses=True).execute_command("CLUSTER INFO")
        return list(info)

    assert fields(ours) == fields(real.port)


@pytest.fixture
def plain_real():
    server = RealRedis("--requirepass", "s3cret")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def plain_ours():
    with polystack.testing.serve(redis=True) as handle:
        yield handle.service("redis").listening_port()


def test_migrate_to_a_real_redis_with_its_options(plain_ours, plain_real) -> None:
    src = redis.Redis(port=plain_ours)
    dst = redis.Redis(port=plain_real.port, password="s3cret")
    src.flushall()
    src.set("m:one", "1", px=100000)
    src.rpush("m:list", "a", "b")
    src.set("m:two", "2")
    assert src.migrate("127.0.0.1", plain_real.port, "m:one", 0, 5000, auth="s3cret") == b"OK"
    assert src.exists("m:one") == 0 and dst.get("m:one") == b"1"
    assert 0 < dst.pttl("m:one") <= 100000
    # KEYS form, COPY: the keys stay here too
    assert src.migrate("127.0.0.1", plain_real.port, ["m:list", "m:two"], 0, 5000,
                       copy=True, auth="s3cret") == b"OK"  # fmt: skip
    assert dst.lrange("m:list", 0, -1) == [b"a", b"b"] and src.exists("m:list", "m:two") == 2
    with pytest.raises(redis.ResponseError, match="BUSYKEY Target key name already exists"):
        src.migrate("127.0.0.1", plain_real.port, "m:two", 0, 5000, auth="s3cret")
    src.set("m:two", "22")
    assert src.migrate("127.0.0.1", plain_real.port, "m:two", 0, 5000, replace=True,
                       auth="s3cret") == b"OK"  # fmt: skip
    assert dst.get("m:two") == b"22"
    assert src.migrate("127.0.0.1", plain_real.port, "m:absent", 0, 5000, auth="s3cret") == (
        b"NOKEY"
    )
    src.set("m:three", "3")
    with pytest.raises(redis.ResponseError, match="invalid password|WRONGPASS"):
        src.migrate("127.0.0.1", plain_real.port, "m:three", 0, 5000, auth="wrong")
    assert src.get("m:three") == b"3"  # a failed MIGRATE keeps the key
    # AUTH2 username password
    assert src.execute_command(
        "MIGRATE", "127.0.0.1", plain_real.port, "m:three", 0, 5000, "AUTH2", "default", "s3cret"
    ) == b"OK"  # fmt: skip
    assert dst.get("m:three") == b"3"


def test_migrate_from_a_real_redis_to_polystack(plain_ours, plain_real) -> None:
    src = redis.Redis(port=plain_real.port, password="s3cret")
    dst = redis.Redis(port=plain_ours)
    dst.flushall()
    src.hset("m:hash", mapping={"a": "1", "b": "2"})
    src.zadd("m:z", {"x": 1.5})
    assert src.migrate("127.0.0.1", plain_ours, ["m:hash", "m:z"], 0, 5000) == b"OK"
    assert dst.hgetall("m:hash") == {b"a": b"1", b"b": b"2"}
    assert dst.zscore("m:z", "x") == 1.5


def test_cluster_parameters_as_redis(real, ours) -> None:
    """CONFIG GET cluster-* (the bus port, chosen apart, masked) and CONFIG SET of them."""

    def params(port: int) -> dict[str, str]:
        values = redis.Redis(port=port, decode_responses=True).config_get("cluster-*")
        values["cluster-port"] = "<cport>"
        return values

    assert params(ours) == params(real.port)
    settings = [
        ("cluster-node-timeout", "x"),
        ("cluster-enabled", "no"),
        ("cluster-port", "7000"),
        ("cluster-migration-barrier", "x"),
        ("cluster-replica-validity-factor", "-1"),
        ("cluster-require-full-coverage", "maybe"),
        ("cluster-allow-reads-when-down", "no"),
        ("cluster-announce-hostname", ""),
    ]
    for name, value in settings:
        replies = []
        for port in (real.port, ours):
            try:
                replies.append(redis.Redis(port=port).config_set(name, value))
            except redis.ResponseError as e:
                replies.append(str(e))
        assert replies[0] == replies[1], (name, value, replies)


ANNOUNCED = {
    "cluster-announce-ip": "10.1.2.3",
    "cluster-announce-port": "7001",
    "cluster-announce-bus-port": "17001",
    "cluster-announce-hostname": "host.example",
    "cluster-preferred-endpoint-type": "hostname",
}


def test_announced_address_in_nodes_slots_and_shards() -> None:
    """cluster-announce-ip/port/bus-port/hostname and cluster-preferred-endpoint-type shape
    CLUSTER NODES, SLOTS and SHARDS as in Redis."""
    argv = [x for k, v in ANNOUNCED.items() for x in (f"--{k}", v)]
    real = RealRedis("--cluster-enabled", "yes", "--cluster-port", str(free_port()), *argv)
    overrides: dict = {f"redis.{k.replace('-', '_')}": v for k, v in ANNOUNCED.items()}
    overrides["redis.cluster_announce_port"] = 7001
    overrides["redis.cluster_announce_bus_port"] = 17001
    overrides.update({"redis.cluster_enabled": True, "redis.cluster_port": free_port()})
    commands = [
        ["CLUSTER", "ADDSLOTS", "0"],
        ["CLUSTER", "NODES"],
        ["CLUSTER", "SLOTS"],
        ["CLUSTER", "SHARDS"],
    ]
    try:
        with polystack.testing.serve(redis=True, config_overrides=overrides) as handle:
            compare(real.port, handle.service("redis").listening_port(), commands)
    finally:
        real.stop()


_MIGRATE = ["COMMAND", "GETKEYS", "MIGRATE", "h", "1"]
MIGRATE_GETKEYS = [
    _MIGRATE + ["", "0", "5", "AUTH", "keys", "KEYS", "a", "b"],
    _MIGRATE + ["", "0", "5", "AUTH2", "keys", "keys", "KEYS", "a"],
    _MIGRATE + ["", "0", "5", "COPY", "REPLACE", "KEYS", "a", "b"],
    _MIGRATE + ["k", "0", "5", "AUTH", "x"],
    _MIGRATE + ["k", "0", "5", "KEYS", "a"],
    _MIGRATE + ["", "0", "5"],
    _MIGRATE + ["", "0", "5", "AUTH", "KEYS"],
    _MIGRATE + ["", "0", "5", "KEYS", "KEYS"],
    _MIGRATE + ["k", "0", "5", "AUTH"],
    _MIGRATE + ["", "0", "5", "AUTH2", "u", "KEYS", "a"],
    _MIGRATE + ["", "0", "5", "keys", "a", "KEYS", "b"],
]


def test_migrate_keys_as_redis_finds_them(real, ours) -> None:
    """migrateGetKeys (what cluster routing and ACLs check): AUTH/AUTH2 arguments skipped,
    KEYS only with an empty key argument.  (A KEYS with nothing after it is left out: there
    redis-server's COMMAND GETKEYS answers the key argument while its routing finds no key,
    which ARGUMENT_COMMANDS checks.)"""
    compare(real.port, ours, MIGRATE_GETKEYS)


def _wait_state(port: int, state: str) -> None:
    import time

    deadline = time.monotonic() + 30
    r = redis.Redis(port=port, decode_responses=True)
    while r.cluster("info")["cluster_state"] != state:
        assert time.monotonic() < deadline, f"cluster_state never {state} on {port}"
        time.sleep(0.1)


def test_down_state_replies_follow_the_coverage_and_read_settings() -> None:
    """A lone node owning slots 0-100: with cluster-require-full-coverage yes the cluster is
    down, and cluster-allow-reads-when-down decides between refusing everything and serving
    reads only; with full coverage not required it serves its slots.  Same replies as Redis."""
    real = RealRedis(
        "--cluster-enabled", "yes", "--cluster-port", str(free_port()),
        "--cluster-allow-reads-when-down", "yes",
    )  # fmt: skip
    overrides = {
        "redis.cluster_enabled": True,
        "redis.cluster_port": free_port(),
        "redis.cluster_allow_reads_when_down": True,
    }
    key = "{06S}k"  # slot 0, this node's
    try:
        with polystack.testing.serve(redis=True, config_overrides=overrides) as handle:
            ours = handle.service("redis").listening_port()
            for port in (real.port, ours):
                RawClient(port).call("CLUSTER", "ADDSLOTSRANGE", "0", "100")
            compare(real.port, ours, [["CLUSTER", "KEYSLOT", key], ["GET", key],
                                      ["SET", key, "v"], ["MGET", key, key], ["DBSIZE"],
                                      ["GET", "foo"]])  # fmt: skip
            for port in (real.port, ours):
                redis.Redis(port=port).config_set("cluster-allow-reads-when-down", "no")
            compare(real.port, ours, [["GET", key], ["SET", key, "v"], ["GET", "foo"]])
            for port in (real.port, ours):
                redis.Redis(port=port).config_set("cluster-require-full-coverage", "no")
                _wait_state(port, "ok")
            compare(real.port, ours, [["SET", key, "v"], ["GET", key], ["GET", "foo"],
                                      ["SET", "foo", "x"], ["MSET", key, "1", "foo", "2"]])  # fmt: skip
    finally:
        real.stop()
