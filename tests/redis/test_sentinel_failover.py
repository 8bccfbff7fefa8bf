"""Sentinel failover: three polystack Sentinels fail over a polystack master (SIGKILLed) and a
real redis-server master, and redis-py's Sentinel client writes to the new master; a real
redis-sentinel fails over polystack masters; polystack and real Sentinels in one quorum.
The time from the SIGKILL to the first write accepted by the new master is printed beside
down-after-milliseconds (never asserted: timings are measured in bench/)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator

import pytest
import redis
from redis.sentinel import Sentinel

import polystack.testing
from tests.processes import ServeProcess
from tests.redis.repl_support import REDIS_SENTINEL, RealServer, need, real_server, wait_for

pytestmark = [pytest.mark.differential, pytest.mark.slow]

DOWN_AFTER = 1000


def sentinel_conf(directory: str, master_port: int, quorum: int = 2) -> str:
    path = os.path.join(directory, "sentinel.conf")
    with open(path, "w") as f:
        f.write(
            f"sentinel monitor mymaster 127.0.0.1 {master_port} {quorum}\n"
            f"sentinel down-after-milliseconds mymaster {DOWN_AFTER}\n"
            "sentinel failover-timeout mymaster 10000\n"
            "sentinel parallel-syncs mymaster 1\n"
        )
    return path


@contextlib.contextmanager
def polystack_sentinels(master_port: int, n: int = 3) -> Iterator[list[int]]:
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(n):
            d = stack.enter_context(tempfile.TemporaryDirectory())
            h = stack.enter_context(
                polystack.testing.serve(
                    sentinel=True,
                    config_overrides={"sentinel.sentinel_config": sentinel_conf(d, master_port)},
                )
            )
            ports.append(h.sentinel_port)
        yield ports


@contextlib.contextmanager
def real_sentinels(master_port: int, n: int) -> Iterator[list[RealServer]]:
    need(REDIS_SENTINEL)
    with contextlib.ExitStack() as stack:
        out = []
        for _ in range(n):
            d = stack.enter_context(tempfile.TemporaryDirectory())
            srv = RealServer(config=sentinel_conf(d, master_port), dir=d, sentinel=True)
            stack.callback(srv.close)
            out.append(srv)
        yield out


def wait_discovered(sentinel_ports: list[int], replicas: int) -> None:
    for port in sentinel_ports:
        s = redis.Redis(port=port, decode_responses=True)
        wait_for(
            lambda s=s: (
                s.sentinel_master("mymaster")["num-other-sentinels"] == len(sentinel_ports) - 1
                and s.sentinel_master("mymaster")["num-slaves"] == replicas
            ),
            30,
            "Sentinels to discover each other and the replicas",
        )


def fail_over(sentinel_ports: list[int], kill) -> tuple[tuple[str, int], float]:
    """Kill the master; the seconds until redis-py's Sentinel client writes to the new one."""
    snt = Sentinel([("127.0.0.1", p) for p in sentinel_ports], socket_timeout=0.5)
    old = snt.discover_master("mymaster")
    started = time.monotonic()
    kill()

    def written() -> tuple[str, int] | bool:
        try:
            addr = snt.discover_master("mymaster")
            if addr == old:
                return False
            m = snt.master_for("mymaster", socket_timeout=0.5)
            m.set("after-failover", "1")
            return addr
        except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
            return False
        except redis.sentinel.MasterNotFoundError:
            return False

    addr = wait_for(written, 60, "the failover")
    elapsed = time.monotonic() - started
    print(f"failover: {elapsed:.2f} s after the kill (down-after-milliseconds {DOWN_AFTER})")
    return addr, elapsed


def test_three_polystack_sentinels_fail_over_a_sigkilled_polystack_master(tmp_path) -> None:
    master = ServeProcess(tmp_path / "m").start()
    replica = ServeProcess(tmp_path / "r").start()
    try:
        m = redis.Redis(port=master.ports["redis"])
        m.set("before", "1")
        rep = redis.Redis(port=replica.ports["redis"])
        rep.replicaof("127.0.0.1", master.ports["redis"])
        wait_for(lambda: rep.info("replication")["master_link_status"] == "up", 20, "link")
        with polystack_sentinels(master.ports["redis"]) as ports:
            wait_discovered(ports, 1)
            events = redis.Redis(port=ports[0]).pubsub()
            events.subscribe("+switch-master")
            addr, _ = fail_over(ports, master.kill9)
            assert addr == ("127.0.0.1", replica.ports["redis"])
            assert rep.get("before") == b"1" and rep.get("after-failover") == b"1"
            assert rep.role()[0] == b"master"
            got = wait_for(lambda: events.get_message(timeout=0.2), 10, "+switch-master")
            while got and got["type"] != "message":
                got = events.get_message(timeout=1)
            assert (
                got["data"]
                == (
                    f"mymaster 127.0.0.1 {master.ports['redis']} 127.0.0.1 {replica.ports['redis']}"
                ).encode()
            )
            # Every Sentinel agrees and wrote the new master into its configuration.
            for p in ports:
                wait_for(
                    lambda p=p: (
                        redis.Redis(port=p).sentinel_get_master_addr_by_name("mymaster")
                        == (b"127.0.0.1", replica.ports["redis"])
                    ),
                    20,
                    "every Sentinel to switch",
                )
    finally:
        for p in (master, replica):
            if p.proc is not None and p.proc.poll() is None:
                p.proc.kill()
                p.proc.wait(10)


def test_three_polystack_sentinels_fail_over_a_real_master() -> None:
    with real_server() as master, real_server() as replica:
        replica.client().replicaof("127.0.0.1", master.port)
        wait_for(
            lambda: replica.client().info("replication")["master_link_status"] == "up", 20, "link"
        )
        with polystack_sentinels(master.port) as ports:
            wait_discovered(ports, 1)
            addr, _ = fail_over(ports, master.kill)
            assert addr == ("127.0.0.1", replica.port)
            assert replica.client().role()[0] == b"master"


def test_real_sentinels_fail_over_a_polystack_master(tmp_path) -> None:
    master = ServeProcess(tmp_path / "m").start()
    replica = ServeProcess(tmp_path / "r").start()
    try:
        rep = redis.Redis(port=replica.ports["redis"])
        rep.replicaof("127.0.0.1", master.ports["redis"])
        wait_for(lambda: rep.info("replication")["master_link_status"] == "up", 20, "link")
        with real_sentinels(master.ports["redis"], 3) as sentinels:
            ports = [s.port for s in sentinels]
            wait_discovered(ports, 1)
            addr, _ = fail_over(ports, master.kill9)
            assert addr == ("127.0.0.1", replica.ports["redis"])
            assert rep.role()[0] == b"master"
    finally:
        for p in (master, replica):
            if p.proc is not None and p.proc.poll() is None:
                p.proc.kill()
                p.proc.wait(10)


def test_polystack_and_real_sentinels_in_one_quorum() -> None:
    with real_server() as master, real_server() as replica:
        replica.client().replicaof("127.0.0.1", master.port)
        wait_for(
            lambda: replica.client().info("replication")["master_link_status"] == "up", 20, "link"
        )
        with polystack_sentinels(master.port, 2) as ours, real_sentinels(master.port, 1) as real:
            ports = ours + [s.port for s in real]
            wait_discovered(ports, 1)
            addr, _ = fail_over(ports, master.kill)
            assert addr == ("127.0.0.1", replica.port)
            for p in ports:
                wait_for(
                    lambda p=p: (
                        redis.Redis(port=p).sentinel_get_master_addr_by_name("mymaster")
                        == (b"127.0.0.1", replica.port)
                    ),
                    20,
                    "every Sentinel to switch",
                )
