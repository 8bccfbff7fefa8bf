"""A 3-master/3-replica polystack cluster in one process (``--redis-cluster 3
--redis-cluster-replicas 1``), with the real clients: redis-py's RedisCluster (sync and
asyncio) and ``redis-cli -c``, resharding with ``redis-cli --cluster reshard``, a manual
failover."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest
import redis
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import ClusterNode, RedisCluster

import polystack.testing

REDIS_CLI = shutil.which("redis-cli")


def raw(port: int, *args: str) -> bytes:
    """One command's reply bytes, exactly as sent."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a.encode()))
        sock.sendall(b"".join(parts))
        data = b""
        while not data.endswith(b"\r\n"):
            data += sock.recv(4096)
        return data


def wait_for(pred, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def cluster_ok(port: int) -> bool:
    try:
        info = redis.Redis(port=port, socket_timeout=2).execute_command("CLUSTER INFO")
    except redis.RedisError:
        return False
    if isinstance(info, dict):
        return info.get("cluster_state") in ("ok", b"ok")
    text = info.decode() if isinstance(info, bytes) else info
    return "cluster_state:ok" in text


@pytest.fixture(scope="module")
def cluster():
    with polystack.testing.serve(
        redis=True,
        config_overrides={
            "redis.cluster_nodes": 3,
            "redis.cluster_replicas": 1,
            "redis.cluster_node_timeout": 2000,
            "redis.enable_debug_command": "yes",
        },
    ) as handle:
        svc = handle.service("redis")
        ports = [svc.listening_port()] + [s.listening_port() for s in svc.siblings]
        for p in ports:
            wait_for(lambda p=p: cluster_ok(p), what=f"cluster_state:ok on {p}")
        yield ports


@pytest.fixture
def rc(cluster):
    client = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", cluster[0])])
    yield client
    client.close()


def test_every_node_agrees_on_the_slot_map(cluster) -> None:
    maps = []
    for p in cluster:
        slots = redis.Redis(port=p).execute_command("CLUSTER SLOTS")
        maps.append(sorted((s[0], s[1], s[2][1]) for s in slots))
    assert all(m == maps[0] for m in maps)
    assert [(a, b) for a, b, _ in maps[0]] == [(0, 5460), (5461, 10922), (10923, 16383)]


def test_reads_writes_pipelines_and_hash_tags(rc) -> None:
    for i in range(200):
        rc.set(f"key:{i}", i)
    assert [int(rc.get(f"key:{i}")) for i in range(200)] == list(range(200))
    rc.mset({"{user1}.name": "ann", "{user1}.age": "7"})
    assert rc.mget("{user1}.name", "{user1}.age") == [b"ann", b"7"]
    pipe = rc.pipeline()
    for i in range(50):
        pipe.incr(f"counter:{i}")
    assert pipe.execute() == [1] * 50
    assert rc.sunionstore("{t}dst", ["{t}a", "{t}b"]) == 0
    rc.delete(*[f"key:{i}" for i in range(200)])


def test_asyncio_cluster_client(cluster) -> None:
    async def run() -> list:
        client = AsyncRedisCluster(host="127.0.0.1", port=cluster[1])
        try:
            await client.set("async:a", "1")
            pipe = client.pipeline()
            for i in range(20):
                pipe.set(f"async:{i}", i)
            await pipe.execute()
            return [await client.get("async:a"), await client.get("async:19")]
        finally:
            await client.aclose()

    assert asyncio.run(run()) == [b"1", b"19"]


def test_redirections_exactly_as_redis(cluster) -> None:
    r = redis.Redis(port=cluster[0])
    with pytest.raises(redis.exceptions.MovedError, match=rf"^12182 127\.0\.0\.1:{cluster[2]}$"):
        r.get("foo")
    assert raw(cluster[0], "MGET", "a", "b") == (
        b"-CROSSSLOT Keys in request don't hash to the same slot\r\n"
    )
    assert raw(cluster[0], "GET", "foo") == b"-MOVED 12182 127.0.0.1:%d\r\n" % cluster[2]
    with pytest.raises(redis.ResponseError, match="SELECT is not allowed in cluster mode"):
        r.execute_command("SELECT", "1")
    assert r.execute_command("SELECT", "0")
    with pytest.raises(redis.ResponseError, match="REPLICAOF not allowed in cluster mode"):
        r.execute_command("REPLICAOF", "NO", "ONE")
    assert r.execute_command("CLUSTER", "KEYSLOT", "{user1000}.following") == 3443


def test_transaction_with_a_foreign_key_is_aborted(cluster) -> None:
    r = redis.Redis(port=cluster[0])
    pipe = r.pipeline(transaction=True)
    pipe.set("{a}x", 1)  # slot 15495: another master's
    with pytest.raises(redis.ResponseError):
        pipe.execute()


def test_readonly_replica_reads(cluster, rc) -> None:
    rc.set("foo", "bar")  # slot 12182, third master; its replica is the sixth node
    replica = redis.Redis(port=cluster[5])
    wait_for(lambda: replica.execute_command("READONLY") and replica.get("foo") == b"bar")
    replica.execute_command("READWRITE")
    with pytest.raises(redis.exceptions.MovedError, match="^12182 "):
        replica.get("foo")
    replica.execute_command("READONLY")
    with pytest.raises(redis.exceptions.MovedError, match="^12182 "):
        replica.set("foo", "x")
    assert replica.get("foo") == b"bar"
    replica.execute_command("RESET")  # a fresh connection's state: READONLY is off again
    with pytest.raises(redis.exceptions.MovedError, match="^12182 "):
        replica.get("foo")


def test_cluster_commands(cluster) -> None:
    r = redis.Redis(port=cluster[0], decode_responses=True)
    myid = r.execute_command("CLUSTER MYID")
    nodes = r.execute_command("CLUSTER NODES")
    me = nodes[f"127.0.0.1:{cluster[0]}"]
    assert len(nodes) == 6 and me["node_id"] == myid and "myself" in me["flags"]
    info = r.execute_command("CLUSTER INFO")
    assert info["cluster_known_nodes"] == "6" and info["cluster_size"] == "3"
    r3 = redis.Redis(port=cluster[0], decode_responses=True, protocol=3)
    shards = r3.execute_command("CLUSTER SHARDS")
    assert len(shards) == 3
    assert all(len(s["nodes"]) == 2 for s in shards)
    r.set("{s}one", 1)
    slot = r.execute_command("CLUSTER KEYSLOT", "{s}one")
    owner = redis.Redis(port=cluster[0] if slot <= 5460 else 0)
    if slot <= 5460:
        assert owner.execute_command("CLUSTER COUNTKEYSINSLOT", slot) == 1
        assert owner.execute_command("CLUSTER GETKEYSINSLOT", slot, 10) == ["{s}one"]
    links = r3.execute_command("CLUSTER LINKS")
    assert {link["direction"] for link in links} == {"to", "from"}
    assert r.execute_command("CLUSTER COUNT-FAILURE-REPORTS", myid) == 0
    replicas = r.execute_command("CLUSTER REPLICAS", myid)
    assert len(replicas) == 1
    with pytest.raises(redis.ResponseError, match="Slot 0 is already busy"):
        r.execute_command("CLUSTER ADDSLOTS", 0)
    with pytest.raises(redis.ResponseError, match="Invalid or out of range slot"):
        r.execute_command("CLUSTER ADDSLOTS", 16384)
    with pytest.raises(redis.ResponseError, match="Unknown node"):
        r.execute_command("CLUSTER FORGET", "0" * 40)
    assert r.execute_command("CLUSTER SAVECONFIG")


@pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli is not installed")
def test_redis_cli_follows_redirections(cluster) -> None:
    def cli(*args: str) -> str:
        return subprocess.run(
            [REDIS_CLI, "-c", "-p", str(cluster[0]), *args],
            capture_output=True, text=True, timeout=20, check=True,
        ).stdout.strip()  # fmt: skip

    assert cli("SET", "cli:foo", "bar") == "OK"
    assert cli("GET", "cli:foo") == "bar"
    assert cli("MSET", "{cli}a", "1", "{cli}b", "2") == "OK"
    assert cli("MGET", "{cli}a", "{cli}b").split() == ["1", "2"]


@pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli is not installed")
def test_reshard_with_redis_cli_moves_keys(cluster, rc) -> None:
    keys = [f"{{r}}k{i}" for i in range(30)] + [f"plain{i}" for i in range(60)]
    for k in keys:
        rc.set(k, k)
    src = redis.Redis(port=cluster[0]).execute_command("CLUSTER MYID").decode()
    dst = redis.Redis(port=cluster[1]).execute_command("CLUSTER MYID").decode()
    proc = subprocess.run(
        [REDIS_CLI, "--cluster", "reshard", f"127.0.0.1:{cluster[0]}",
         "--cluster-from", src, "--cluster-to", dst, "--cluster-slots", "200",
         "--cluster-yes"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    check = subprocess.run(
        [REDIS_CLI, "--cluster", "check", f"127.0.0.1:{cluster[0]}"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "All nodes agree about slots configuration" in check.stdout, check.stdout
    fresh = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", cluster[2])])
    try:
        assert [fresh.get(k) for k in keys] == [k.encode() for k in keys]
    finally:
        fresh.close()
    slots = redis.Redis(port=cluster[2]).execute_command("CLUSTER SLOTS")
    assert any(s[0] == 0 and s[1] == 199 for s in slots)


def test_manual_failover_then_clients_follow(cluster, rc) -> None:
    rc.set("mf:key", "before")
    replica = redis.Redis(port=cluster[3])  # the first master's replica
    master_id = redis.Redis(port=cluster[0]).execute_command("CLUSTER MYID")
    wait_for(lambda: replica.execute_command("ROLE")[0] == b"slave"
             and replica.execute_command("ROLE")[3] == b"connected")  # fmt: skip
    assert replica.execute_command("CLUSTER FAILOVER")
    wait_for(lambda: replica.execute_command("ROLE")[0] == b"master", what="promotion")
    wait_for(lambda: redis.Redis(port=cluster[0]).execute_command("ROLE")[0] == b"slave")
    other = redis.Redis(port=cluster[1], decode_responses=True)

    def old_master_seen_as_replica() -> bool:  # gossip reaches the other nodes a little later
        view = other.execute_command("CLUSTER NODES")[f"127.0.0.1:{cluster[0]}"]
        return view["flags"] == "slave" and view["master_id"] != master_id.decode()

    wait_for(old_master_seen_as_replica, what="the old master seen as a replica")
    wait_for(lambda: all(cluster_ok(p) for p in cluster))
    rc.set("mf:key", "after")
    assert rc.get("mf:key") == b"after"


def test_malformed_bus_input_closes_that_link_only(cluster, caplog) -> None:
    """clusterReadHandler: a bad signature or length frees the link ("Bad message length or
    signature received from Cluster bus."); the node and the cluster carry on."""
    import socket
    import struct

    raw_nodes = raw(cluster[0], "CLUSTER", "NODES").decode()
    myself = next(line for line in raw_nodes.split("\n") if "myself" in line)
    cport = int(myself.split()[1].split("@")[1].split(",")[0])
    garbage = [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"\0" * 16,  # not RCmb
        b"RCmb" + struct.pack(">I", 12) + b"\0" * 16,  # shorter than the header
    ]
    for data in garbage:
        with socket.create_connection(("127.0.0.1", cport), timeout=10) as sock:
            sock.sendall(data)
            assert sock.recv(100) == b""  # closed by the node
    assert raw(cluster[0], "PING") == b"+PONG\r\n"
    assert all(cluster_ok(p) for p in cluster)


def test_failover_force_and_takeover(cluster, rc) -> None:
    """FORCE skips the handshake with the master, TAKEOVER the election too (the replica bumps
    the epoch on its own); each time the clients follow, and the roles come back at the end."""
    replica, master = cluster[4], cluster[1]  # the second master's replica
    r = redis.Redis(port=replica)
    wait_for(lambda: r.execute_command("ROLE")[0] == b"slave"
             and r.execute_command("ROLE")[3] == b"connected")  # fmt: skip
    rc.set("{b}force", "1")  # slot 3300, the first master's: any key works for the check
    for option, new_master, old_master in (("FORCE", replica, master),
                                           ("TAKEOVER", master, replica)):  # fmt: skip
        new = redis.Redis(port=new_master)
        assert new.execute_command("CLUSTER", "FAILOVER", option)
        wait_for(lambda new=new: new.execute_command("ROLE")[0] == b"master", what=option)
        old = redis.Redis(port=old_master)
        wait_for(lambda old=old: old.execute_command("ROLE")[0] == b"slave", what="demotion")
        wait_for(lambda: all(cluster_ok(p) for p in cluster), what="cluster ok")
        key = next(k for k in (f"fo{i}" for i in range(10000))
                   if 5461 <= rc.keyslot(k) <= 10922)  # fmt: skip
        wait_for(lambda k=key, o=option: rc.set(k, o) and rc.get(k) == o.encode())


def test_publish_reaches_subscribers_on_every_node(cluster) -> None:
    """PUBLISH is cluster-wide (a PUBLISH bus message to every node); SPUBLISH goes to the
    channel's shard, where SSUBSCRIBE listens (on the owner or its replica)."""
    subscribers = []
    for p in (cluster[1], cluster[2], cluster[5]):
        ps = redis.Redis(port=p).pubsub()
        ps.subscribe("news")
        ps.get_message(timeout=5)  # the subscribe confirmation
        subscribers.append(ps)
    shard = redis.Redis(port=cluster[2]).pubsub()  # "foo" hashes to 12182, the third master's
    shard.ssubscribe("foo")
    shard.get_message(timeout=5)
    try:
        assert redis.Redis(port=cluster[0]).publish("news", "hello") == 0  # no local subscriber
        for ps in subscribers:
            msg = None
            deadline = time.monotonic() + 10
            while msg is None and time.monotonic() < deadline:
                msg = ps.get_message(timeout=0.5)
            assert msg is not None and msg["data"] == b"hello", msg
        with pytest.raises(redis.exceptions.MovedError, match=r"^12182 "):
            redis.Redis(port=cluster[0]).execute_command("SPUBLISH", "foo", "x")
        assert redis.Redis(port=cluster[2]).execute_command("SPUBLISH", "foo", "shard") == 1
        msg = shard.get_message(timeout=5)
        assert msg is not None and msg["type"] == "smessage" and msg["data"] == b"shard"
    finally:
        for ps in [*subscribers, shard]:
            ps.close()


def test_ask_asking_and_tryagain_while_a_slot_moves(cluster, rc) -> None:
    """A slot MIGRATING here and IMPORTING there (what redis-cli --cluster reshard sets up):
    keys still here are served, missing ones answered -ASK, a mix -TRYAGAIN; the target
    serves the slot only after ASKING, for one command; RedisCluster follows the ASK."""
    from tests.redis.realredis import RawClient

    slot = rc.keyslot("{b}")
    owners = {}
    for start, end, owner, *_ in redis.Redis(port=cluster[1]).execute_command("CLUSTER SLOTS"):
        owners[(start, end)] = owner[1]
    src_port = next(p for (a, b), p in owners.items() if a <= slot <= b)
    dst_port = next(p for (a, b), p in owners.items() if not a <= slot <= b)
    src_id = redis.Redis(port=src_port).execute_command("CLUSTER MYID").decode()
    dst_id = redis.Redis(port=dst_port).execute_command("CLUSTER MYID").decode()
    rc.set("{b}here", "old")
    rc.delete("{b}gone")
    src, dst = RawClient(src_port), RawClient(dst_port)
    try:
        assert dst.call("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id) == b"+OK\r\n"
        assert src.call("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id) == b"+OK\r\n"
        assert src.call("GET", "{b}here") == b"$3\r\nold\r\n"
        assert src.call("GET", "{b}gone") == b"-ASK %d 127.0.0.1:%d\r\n" % (slot, dst_port)
        assert src.call("MGET", "{b}here", "{b}gone") == (
            b"-TRYAGAIN Multiple keys request during rehashing of slot\r\n"
        )
        assert dst.call("GET", "{b}gone") == b"-MOVED %d 127.0.0.1:%d\r\n" % (slot, src_port)
        assert dst.call("ASKING") == b"+OK\r\n"
        assert dst.call("GET", "{b}gone") == b"$-1\r\n"
        assert dst.call("GET", "{b}gone").startswith(b"-MOVED ")  # ASKING held for one command
        assert dst.call("ASKING") == b"+OK\r\n"
        assert dst.call("SET", "{b}gone", "new") == b"+OK\r\n"
        assert dst.call("ASKING") == b"+OK\r\n"
        assert dst.call("MGET", "{b}gone", "{b}absent") == (
            b"-TRYAGAIN Multiple keys request during rehashing of slot\r\n"
        )
        assert rc.get("{b}gone") == b"new"  # redis-py follows the ASK
        assert rc.get("{b}here") == b"old"
        assert dst.call("ASKING") == b"+OK\r\n"
        assert dst.call("DEL", "{b}gone") == b":1\r\n"
    finally:
        for c in (src, dst):
            c.call("CLUSTER", "SETSLOT", slot, "STABLE")
            c.close()
    assert rc.get("{b}here") == b"old"
    assert raw(src_port, "GET", "{b}gone") == b"$-1\r\n"


def test_routing_changes_apply_within_one_pipelined_read(cluster, rc) -> None:
    """The request path's routing map (ClusterState.served) follows a SETSLOT run earlier in
    the same read: the GETs after it are redirected (-ASK), then served again once the slot
    is STABLE, all answered in one batch."""
    from tests.redis.realredis import RawClient, _encode

    slot = rc.keyslot("{p}")
    owners = {}
    for start, end, owner, *_ in redis.Redis(port=cluster[1]).execute_command("CLUSTER SLOTS"):
        owners[(start, end)] = owner[1]
    src_port = next(p for (a, b), p in owners.items() if a <= slot <= b)
    dst_port = next(p for (a, b), p in owners.items() if not a <= slot <= b)
    dst_id = redis.Redis(port=dst_port).execute_command("CLUSTER MYID").decode()
    rc.set("{p}here", "v")
    rc.delete("{p}gone")
    src = RawClient(src_port)
    try:
        src.send_raw(
            b"".join(
                _encode(args)
                for args in [
                    ("GET", "{p}gone"),
                    ("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id),
                    ("GET", "{p}here"),
                    ("GET", "{p}gone"),
                    ("CLUSTER", "SETSLOT", slot, "STABLE"),
                    ("GET", "{p}gone"),
                ]
            )
        )
        replies = [src.read_reply() for _ in range(6)]
    finally:
        src.call("CLUSTER", "SETSLOT", slot, "STABLE")
        src.close()
    assert replies == [
        b"$-1\r\n",
        b"+OK\r\n",
        b"$1\r\nv\r\n",
        b"-ASK %d 127.0.0.1:%d\r\n" % (slot, dst_port),
        b"+OK\r\n",
        b"$-1\r\n",
    ]


def test_one_read_of_plain_commands_is_routed_request_by_request(cluster, rc) -> None:
    """A pipelined read of plain data commands (what redis-benchmark -P sends, and what the
    session runs as one batch) is routed one request at a time, as Redis's processCommand
    does: the keys of this node's slots are served, the others answered -MOVED in their
    place, a multi-key command across slots -CROSSSLOT, an arity error worded as Redis words
    it, and the requests after each of them served again."""
    from tests.redis.realredis import RawClient, _encode

    owners = {}
    for start, end, owner, *_ in redis.Redis(port=cluster[1]).execute_command("CLUSTER SLOTS"):
        owners[(start, end)] = owner[1]

    def port_of(key: str) -> tuple[int, int]:
        slot = rc.keyslot(key)
        return slot, next(p for (a, b), p in owners.items() if a <= slot <= b)

    _, here = port_of("{h}")
    away = next(f"{{x{i}}}" for i in range(1000) if port_of(f"{{x{i}}}")[1] != here)
    away_slot, away_port = port_of(away)
    moved = b"-MOVED %d 127.0.0.1:%d\r\n" % (away_slot, away_port)
    rc.delete("{h}n", "{h}list")
    rc.delete(f"{away}k")
    conn = RawClient(here)
    try:
        requests = [
            ("SET", "{h}k", "v1"),
            ("GET", "{h}k"),
            ("GET", f"{away}k"),
            ("SET", f"{away}k", "x"),
            ("INCR", "{h}n"),
            ("GET",),
            ("RPUSH", "{h}list", "a", "b"),
            ("MGET", "{h}k", "{h}n"),
            ("MGET", "{h}k", f"{away}k"),
            ("LRANGE", f"{away}list", 0, -1),
            ("GET", "{h}k"),
        ]
        conn.send_raw(b"".join(_encode(r) for r in requests))
        replies = [conn.read_reply() for _ in requests]
    finally:
        conn.close()
    assert replies == [
        b"+OK\r\n",
        b"$2\r\nv1\r\n",
        moved,
        moved,
        b":1\r\n",
        b"-ERR wrong number of arguments for 'get' command\r\n",
        b":2\r\n",
        b"*2\r\n$2\r\nv1\r\n$1\r\n1\r\n",
        b"-CROSSSLOT Keys in request don't hash to the same slot\r\n",
        moved,
        b"$2\r\nv1\r\n",
    ]
    assert rc.get("{h}k") == b"v1" and rc.get(f"{away}k") is None


def test_a_pipelined_read_of_served_keys_runs_as_one_batch(cluster, rc, monkeypatch) -> None:
    """A cluster node runs a plain client's pipelined lean commands whose keys it serves in
    the batch path (plainbatch.py, each key routed by one index of the served map), not
    request by request through _run; the first key it does not serve ends the batch."""
    from polystack.redis.session import Client
    from tests.redis.realredis import RawClient, _encode

    owners = {}
    for start, end, owner, *_ in redis.Redis(port=cluster[1]).execute_command("CLUSTER SLOTS"):
        owners[(start, end)] = owner[1]
    slot = rc.keyslot("{batch}")
    here = next(p for (a, b), p in owners.items() if a <= slot <= b)
    away = next(
        f"{{y{i}}}"
        for i in range(1000)
        if not any(a <= rc.keyslot(f"{{y{i}}}") <= b and p == here for (a, b), p in owners.items())
    )
    calls: list[tuple[str, int]] = []
    run, run_plain = Client._run, Client._run_plain

    def spy_run(self, requests):
        if self.name == b"batchprobe":
            calls.append(("_run", len(requests)))
        return run(self, requests)

    def spy_run_plain(self, requests):
        done = run_plain(self, requests)
        if self.name == b"batchprobe":
            calls.append(("_run_plain", done))
        return done

    conn = RawClient(here)
    try:
        assert conn.call("CLIENT", "SETNAME", "batchprobe") == b"+OK\r\n"
        monkeypatch.setattr(Client, "_run", spy_run)
        monkeypatch.setattr(Client, "_run_plain", spy_run_plain)
        served = [("SET", "{batch}a", "1"), ("GET", "{batch}a"), ("INCR", "{batch}a")]
        conn.send_raw(b"".join(_encode(r) for r in served))
        assert [conn.read_reply() for _ in served] == [b"+OK\r\n", b"$1\r\n1\r\n", b":2\r\n"]
        assert calls == [("_run_plain", 3)]
        calls.clear()
        mixed = [("GET", "{batch}a"), ("GET", f"{away}a"), ("GET", "{batch}a")]
        conn.send_raw(b"".join(_encode(r) for r in mixed))
        replies = [conn.read_reply() for _ in mixed]
        assert replies[0] == replies[2] == b"$1\r\n2\r\n" and replies[1].startswith(b"-MOVED ")
        assert calls == [("_run_plain", 1), ("_run", 2)]
    finally:
        monkeypatch.undo()
        conn.close()
