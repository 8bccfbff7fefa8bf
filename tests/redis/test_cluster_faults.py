"""Faults of a cluster whose nodes are processes of their own, polystack and real Redis side
by side (the same scenario against a redis-server 7.0 cluster, so the behaviour compared is
Redis's): a master cut off from the majority of masters stops accepting writes after
node-timeout and takes them again when the partition heals; no write acknowledged with WAIT 1
is lost when its master is SIGKILLed and its replica elected.  And ``polystack serve
--redis-cluster 3 --redis-cluster-replicas 1`` comes back after a SIGKILL with its node ids,
slot map, replicas and data."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import tempfile

import pytest
import redis
from redis.cluster import ClusterNode, RedisCluster

from tests.redis.cluster_procs import (
    NODE_TIMEOUT,
    REDIS_CLI,
    REDIS_SERVER,
    Node,
    cluster_ok,
    free_cluster_port,
    raw,
    wait_for,
)

pytestmark = [
    pytest.mark.skipif(
        REDIS_SERVER is None or REDIS_CLI is None, reason="redis-server/redis-cli not installed"
    ),
    pytest.mark.slow,
]


@pytest.fixture(scope="module", params=["real", "polystack"])
def cluster(request):
    """Three masters and three replicas, all of one kind, built with redis-cli."""
    kind = request.param
    root = tempfile.mkdtemp(prefix=f"faults-{kind}-")
    nodes: list[Node] = []
    try:
        for _ in range(6):
            nodes.append(Node(kind, root))
        proc = subprocess.run(
            [REDIS_CLI, "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in nodes),
             "--cluster-replicas", "1", "--cluster-yes"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
        for n in nodes:
            wait_for(lambda n=n: cluster_ok(n), what=f"cluster_state:ok on {n.port}")
        yield nodes
    finally:
        for n in nodes:
            n.stop()
        shutil.rmtree(root, ignore_errors=True)


def healthy(nodes: list[Node]) -> None:
    """Every node up and cluster_state:ok everywhere (after a test that broke something)."""
    for n in nodes:
        n.signal(signal.SIGCONT)
        if not n.alive:
            n.start()
    for n in nodes:
        wait_for(lambda n=n: cluster_ok(n), what=f"cluster_state:ok on {n.port}")


def masters(nodes: list[Node]) -> list[Node]:
    return [n for n in nodes if n.role() == "master"]


def key_of(node: Node, prefix: str) -> str:
    """A key whose slot ``node`` serves."""
    slots = node.client().cluster("slots")
    ranges = [(a, b) for a, b, owner, *_ in slots if owner[1] == node.port]
    probe = redis.Redis(port=node.port)
    for i in range(100000):
        key = f"{prefix}:{i}"
        slot = probe.execute_command("CLUSTER KEYSLOT", key)
        if any(a <= slot <= b for a, b in ranges):
            return key
    raise AssertionError("no key found")


def test_minority_master_stops_writes_after_node_timeout(cluster) -> None:
    healthy(cluster)
    alone, *others = masters(cluster)
    key = key_of(alone, "minority")
    assert raw(alone.port, "SET", key, "1") == b"+OK\r\n"
    for n in others:  # two of three masters unreachable: alone is in the minority
        n.signal(signal.SIGSTOP)
    try:
        wait_for(
            lambda: not cluster_ok(alone), timeout=NODE_TIMEOUT / 1000 + 20, what="cluster fail"
        )
        assert raw(alone.port, "SET", key, "2") == b"-CLUSTERDOWN The cluster is down\r\n"
        assert raw(alone.port, "GET", key) == b"-CLUSTERDOWN The cluster is down\r\n"
        info = alone.client().cluster("info")
        assert info["cluster_state"] == "fail"
    finally:
        for n in others:
            n.signal(signal.SIGCONT)
    wait_for(lambda: cluster_ok(alone), what="cluster ok after the partition healed")
    assert raw(alone.port, "GET", key) == b"$1\r\n1\r\n"  # the refused write did not happen
    assert raw(alone.port, "SET", key, "3") == b"+OK\r\n"
    healthy(cluster)


def test_writes_acknowledged_with_wait_1_survive_failover(cluster) -> None:
    healthy(cluster)
    victim = masters(cluster)[0]
    victim_id = victim.myid()
    replica = next(
        n for n in cluster if n.role() == "slave"
        and n.client().execute_command("ROLE")[2] == victim.port
    )  # fmt: skip
    wait_for(lambda: replica.client().execute_command("ROLE")[3] == "connected")
    direct = redis.Redis(port=victim.port, socket_timeout=5)
    prefix = key_of(victim, "waited")  # as a hash tag: every key in the victim's slot
    acknowledged = []
    for i in range(300):
        k = f"{{{prefix}}}:{i}"
        direct.set(k, i)
        if i % 10 == 9:
            assert direct.wait(1, 0) >= 1
            acknowledged = [f"{{{prefix}}}:{j}" for j in range(i + 1)]
    victim.kill()  # right after the last acknowledgement
    wait_for(lambda: replica.role() == "master", what="the replica elected")
    rc = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", replica.port)])
    try:
        values = [rc.get(k) for k in acknowledged]
    finally:
        rc.close()
    assert values == [str(i).encode() for i in range(len(acknowledged))]
    assert replica.myid() != victim_id
    victim.start()  # comes back a replica of the new master
    wait_for(lambda: victim.role() == "slave", what="the old master turns replica")
    healthy(cluster)


def consecutive_ports(n: int) -> int:
    while True:
        base = free_cluster_port()
        if base + n + 10000 >= 65536:
            continue
        socks = []
        try:
            for p in [base + i for i in range(n)] + [base + 10000 + i for i in range(n)]:
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()


def test_in_process_cluster_restarts_with_its_slot_map_and_data(tmp_path) -> None:
    base = consecutive_ports(6)
    ports = [base + i for i in range(6)]
    argv = [
        sys.executable, "-m", "polystack.cli", "serve", "--only", "redis",
        "--redis-port", str(base), "--redis-cluster", "3", "--redis-cluster-replicas", "1",
        "--appendfsync", "always", "--data-dir", str(tmp_path / "data"), "--admin-port", "0",
    ]  # fmt: skip

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "log", "a"))
        for p in ports:
            wait_for(lambda p=p: redis.Redis(port=p).ping(), what=f"node on {p}")
        for p in ports:
            wait_for(
                lambda p=p: (
                    redis.Redis(port=p, decode_responses=True).cluster("info")["cluster_state"]
                    == "ok"
                ),
                what=f"cluster ok on {p}",
            )
        return proc

    def layout() -> list[tuple]:
        out = []
        for p in ports:
            r = redis.Redis(port=p, decode_responses=True)
            nodes = r.execute_command("CLUSTER NODES")
            out.append(
                sorted(
                    (addr, v["node_id"], v["master_id"], tuple(map(tuple, v["slots"])))
                    for addr, v in nodes.items()
                )
            )
        return out

    proc = start()
    try:
        rc = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", base)])
        keys = [f"restart:{i}" for i in range(200)]
        for k in keys:
            rc.set(k, k)
        rc.close()
        before = layout()
        assert all(view == before[0] for view in before)
        roles = [redis.Redis(port=p).execute_command("ROLE")[0] for p in ports]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc = start()
        assert layout() == before
        assert [redis.Redis(port=p).execute_command("ROLE")[0] for p in ports] == roles
        rc = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", base + 1)])
        try:
            assert [rc.get(k) for k in keys] == [k.encode() for k in keys]
        finally:
            rc.close()
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
