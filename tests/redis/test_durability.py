"""Durability: kill -9 the server and restart it; nothing acknowledged is lost."""

from __future__ import annotations

import threading

import pytest
import redis

from tests.processes import ServeProcess

pytestmark = pytest.mark.slow


def _client(proc: ServeProcess) -> redis.Redis:
    return redis.Redis(port=proc.ports["redis"], protocol=2, socket_timeout=10)


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_sigkill_loses_no_acknowledged_write(tmp_path, policy):
    proc = ServeProcess(tmp_path, "--appendfsync", policy).start()
    acked: dict[bytes, bytes] = {}
    stop = threading.Event()

    def writer(n: int) -> None:
        c = _client(proc)
        i = 0
        while not stop.is_set():
            key = b"k%d:%d" % (n, i)
            try:
                c.set(key, b"v%d" % i)
            except redis.ConnectionError:
                return
            acked[key] = b"v%d" % i
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    while len(acked) < 3000:
        threads[0].join(0.05)
    proc.kill9()
    stop.set()
    for t in threads:
        t.join()
    proc.start()
    c = _client(proc)
    keys = list(acked)
    pipe = c.pipeline(transaction=False)
    for k in keys:
        pipe.get(k)
    values = pipe.execute()
    lost = [k for k, v in zip(keys, values, strict=True) if v != acked[k]]
    assert lost == []
    proc.terminate()


def test_expiry_deadlines_survive_restart_and_expire_while_down(tmp_path):
    proc = ServeProcess(tmp_path, "--appendfsync", "always").start()
    c = _client(proc)
    c.set("short", "x", px=300)
    c.set("long", "y", ex=1000)
    c.set("plain", "z")
    proc.kill9()
    import time

    time.sleep(0.5)  # the short key's deadline passes while the server is down
    proc.start()
    c = _client(proc)
    assert c.get("short") is None
    assert c.get("long") == b"y"
    assert 990 <= c.ttl("long") <= 1000
    assert c.get("plain") == b"z" and c.ttl("plain") == -1
    proc.terminate()


def test_graceful_shutdown_flushes_with_policy_no(tmp_path):
    proc = ServeProcess(tmp_path, "--appendfsync", "no").start()
    c = _client(proc)
    for i in range(100):
        c.set(f"k{i}", i)
    out = proc.terminate()
    assert "shutting down" in out or out == "" or "ready" in out
    proc.start()
    c = _client(proc)
    assert c.get("k99") == b"99"
    proc.terminate()


def test_torn_log_tail_is_truncated_not_fatal(tmp_path):
    proc = ServeProcess(tmp_path, "--appendfsync", "always").start()
    c = _client(proc)
    c.set("a", "1")
    c.set("b", "2")
    proc.kill9()
    logs = sorted((tmp_path / "redis").glob("appendonly.log.*"))
    with open(logs[-1], "ab") as f:
        f.write(b"\x40\x00\x00\x00garbage-half-record")
    proc.start()
    c = _client(proc)
    assert c.get("a") == b"1" and c.get("b") == b"2"
    c.set("c", "3")
    out = proc.terminate()
    assert "truncated a torn tail" in out
    proc.start()
    assert _client(proc).get("c") == b"3"
    proc.terminate()


def test_compaction_then_kill(tmp_path):
    """A snapshot (the log rewrite) followed by more writes and a kill keeps everything."""
    proc = ServeProcess(tmp_path, "--appendfsync", "always").start()
    c = _client(proc)
    for i in range(50):
        c.set(f"k{i}", i)
    proc_service_compact(c)
    for i in range(50, 80):
        c.set(f"k{i}", i)
    proc.kill9()
    proc.start()
    c = _client(proc)
    assert [c.get(f"k{i}") for i in range(80)] == [str(i).encode() for i in range(80)]
    proc.terminate()


def proc_service_compact(c: redis.Redis) -> None:
    try:
        c.execute_command("BGREWRITEAOF")
    except redis.ResponseError:
        c.execute_command("SAVE")
