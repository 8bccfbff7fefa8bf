"""Sentinel's commands against a real redis-sentinel (same requests, same replies where no id
or time is involved), its configuration file (read, rewritten with its state as Sentinel
does), and ``polystack serve --only sentinel --sentinel-config`` with Debian's stock
sentinel.conf."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import redis

import polystack.testing
from polystack.redis import conf
from tests.processes import ServeProcess, free_port
from tests.redis.realredis import RawClient
from tests.redis.repl_support import REDIS_SENTINEL, RealServer, need, real_server, wait_for

pytestmark = pytest.mark.differential


def write_conf(d: str, master_port: int, quorum: int = 1) -> str:
    p = Path(d) / "sentinel.conf"
    p.write_text(
        f"sentinel monitor mymaster 127.0.0.1 {master_port} {quorum}\n"
        "sentinel down-after-milliseconds mymaster 5000\n"
    )
    return str(p)


SAME = [
    ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nope"],
    ["SENTINEL", "MASTER", "nope"],
    ["SENTINEL", "REPLICAS", "nope"],
    ["SENTINEL", "FOO"],
    ["SENTINEL", "MONITOR", "mymaster", "127.0.0.1", "6379", "1"],
    ["SENTINEL", "MONITOR", "other", "127.0.0.1", "6379", "0"],
    ["SENTINEL", "SET", "mymaster", "quorum", "0"],
    ["SENTINEL", "SET", "mymaster", "bogus", "1"],
    ["SENTINEL", "SET", "mymaster", "notification-script", "/bin/true"],
    ["SENTINEL", "CKQUORUM", "mymaster"],
    ["SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "1", "0", "*"],
    ["SENTINEL", "RESET", "nomatch*"],
    ["SENTINEL", "REMOVE", "nope"],
    ["SENTINEL", "PENDING-SCRIPTS"],
    ["SENTINEL", "HELP"],
    ["ROLE"],
    ["PING"],
    ["GET", "x"],
    ["PUBLISH", "chan", "msg"],
    ["SUBSCRIBE", "+switch-master"],
]


def test_replies_match_real_sentinel() -> None:
    need(REDIS_SENTINEL)
    with real_server() as master, tempfile.TemporaryDirectory() as d1:
        with tempfile.TemporaryDirectory() as d2:
            real = RealServer(config=write_conf(d1, master.port), dir=d1, sentinel=True)
            try:
                with polystack.testing.serve(
                    sentinel=True,
                    config_overrides={"sentinel.sentinel_config": write_conf(d2, master.port)},
                ) as s:
                    theirs = [RawClient(real.port).call(*c) for c in SAME]
                    ours = [RawClient(s.sentinel_port).call(*c) for c in SAME]
            finally:
                real.close()
    mismatched = [(c, a, b) for c, a, b in zip(SAME, ours, theirs, strict=True) if a != b]
    assert mismatched == []


def test_masters_replicas_and_events(tmp_path) -> None:
    with real_server() as master, real_server() as replica:
        replica.client().replicaof("127.0.0.1", master.port)
        wait_for(
            lambda: replica.client().info("replication")["master_link_status"] == "up", 20, "link"
        )
        with polystack.testing.serve(
            sentinel=True,
            config_overrides={"sentinel.sentinel_config": write_conf(str(tmp_path), master.port)},
        ) as s:
            r = redis.Redis(port=s.sentinel_port, decode_responses=True)
            wait_for(lambda: r.sentinel_master("mymaster")["num-slaves"] == 1, 20, "replica")
            wait_for(
                lambda: r.sentinel_slaves("mymaster")[0]["master-link-status"] == "ok", 20, "INFO"
            )
            m = r.sentinel_master("mymaster")
            assert m["is_master"] and not m["is_sdown"]
            assert (m["ip"], m["port"], m["quorum"]) == ("127.0.0.1", master.port, 1)
            assert m["runid"] == master.client().info("server")["run_id"]
            reps = r.sentinel_slaves("mymaster")
            assert reps[0]["port"] == replica.port and reps[0]["master-link-status"] == "ok"
            assert r.sentinel_get_master_addr_by_name("mymaster") == ("127.0.0.1", master.port)
            assert r.execute_command("SENTINEL", "CKQUORUM", "mymaster").startswith("OK 1 usable")
            info = r.info("sentinel")
            assert info["sentinel_masters"] == 1
            assert info["master0"]["status"] == "ok"
            # Monitor, set, remove; events published on the Sentinel's own pub/sub.
            sub = redis.Redis(port=s.sentinel_port).pubsub()
            sub.psubscribe("*")
            assert r.execute_command("SENTINEL", "MONITOR", "two", "127.0.0.1", replica.port, 2)
            r.execute_command("SENTINEL", "SET", "two", "down-after-milliseconds", "2000")
            assert r.sentinel_master("two")["down-after-milliseconds"] == 2000
            events = []
            while (msg := sub.get_message(timeout=0.5)) is not None:
                if msg["type"] == "pmessage":
                    events.append(msg["channel"])
            assert b"+monitor" in events and b"+set" in events
            text = (tmp_path / "sentinel.conf").read_text()
            assert "sentinel monitor two 127.0.0.1" in text
            assert re.search(r"sentinel myid [0-9a-f]{40}", text)
            assert "sentinel known-replica mymaster 127.0.0.1" in text
            r.execute_command("SENTINEL", "REMOVE", "two")
            assert "two" not in (tmp_path / "sentinel.conf").read_text()
            myid = r.execute_command("SENTINEL", "MYID")
    # A restart keeps the identity.
    with polystack.testing.serve(
        sentinel=True,
        config_overrides={"sentinel.sentinel_config": str(tmp_path / "sentinel.conf")},
    ) as s:
        r = redis.Redis(port=s.sentinel_port, decode_responses=True)
        assert r.execute_command("SENTINEL", "MYID") == myid


def test_serve_only_sentinel_with_debian_stock_sentinel_conf(tmp_path) -> None:
    stock = Path("/etc/redis/sentinel.conf")
    if not stock.exists():
        pytest.skip("Debian's redis-sentinel is not installed")
    port = free_port()
    text = stock.read_text()
    text = re.sub(r"(?m)^port 26379$", f"port {port}", text)
    text = re.sub(r"(?m)^dir /var/lib/redis$", f"dir {tmp_path}", text)
    p = tmp_path / "sentinel.conf"
    p.write_text(text)
    proc = ServeProcess(tmp_path / "data", "--sentinel-config", str(p), only="sentinel")
    proc.ports["sentinel"] = port
    proc.start()
    try:
        r = redis.Redis(port=port, decode_responses=True)
        assert r.execute_command("ROLE") == ["sentinel", ["mymaster"]]
        assert r.sentinel_master("mymaster")["down-after-milliseconds"] == 30000
        wait_for(lambda: "sentinel myid" in p.read_text(), 10, "the state to be written")
    finally:
        out = proc.terminate()
    assert "Traceback" not in out
    rewritten = conf.read(str(p), sentinel=True)
    assert any(d.args[:1] == ["current-epoch"] for d in rewritten.all("sentinel"))


def test_plain_serve_does_not_start_a_sentinel() -> None:
    from polystack import systems

    spec = systems.specs()["sentinel"]
    assert spec.default is False and spec.default_port == 26379
    with polystack.testing.serve() as s:
        assert "sentinel" not in s.server.services
