"""Redis durability under failure: the appendfsync-always barrier with a slow fsync, a full
disk (RLIMIT_FSIZE) answered with -MISCONF and recovered from, SIGTERM under load, a corrupt
log that stops start-up until ``polystack repair-log``, output limits for clients that never
read."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
import redis

from polystack.runtime import log as logmod
from polystack.testing import serve
from tests.processes import ServeProcess


def _client(port: int, timeout: float = 30) -> redis.Redis:
    return redis.Redis(port=port, protocol=2, socket_timeout=timeout)


def _health(admin_port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/healthz", timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def _wait(pred, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


class BlockingFsync:
    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.real = os.fsync

    def __call__(self, fd: int) -> None:
        self.entered.set()
        self.gate.wait(30)
        self.real(fd)


def _raw(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def test_appendfsync_always_no_client_sees_a_write_before_its_fsync(monkeypatch):
    """Redis fsyncs in beforeSleep before any reply of that loop turn is sent: with a slow
    disk, another client's GET must not return the new value before the SET is durable."""
    with serve(redis=True, config_overrides={"redis.appendfsync": "always"}) as s:
        _client(s.redis_port).set("k", "old")
        fake = BlockingFsync()
        monkeypatch.setattr(logmod, "fsync", fake)
        writer, reader = _raw(s.redis_port), _raw(s.redis_port)
        try:
            writer.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nnew\r\n")
            assert fake.entered.wait(10)  # the record is written; its fsync is stuck
            reader.sendall(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
            early = []
            for sock in (reader, writer):
                sock.settimeout(0.5)
                try:
                    early.append(sock.recv(100))
                except TimeoutError:
                    pass
            fake.gate.set()
            writer.settimeout(10)
            reader.settimeout(10)
            assert early == []
            assert writer.recv(100) == b"+OK\r\n"
            assert reader.recv(100) == b"$3\r\nnew\r\n"
        finally:
            fake.gate.set()
            writer.close()
            reader.close()


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["everysec", "always"])
def test_full_disk_misconf_then_recovery_loses_nothing_acknowledged(tmp_path, policy):
    proc = ServeProcess(tmp_path, "--appendfsync", policy, fsize=192 * 1024).start()
    port, admin = proc.ports["redis"], proc.ports["admin"]
    acked: dict[str, str] = {}
    stop = threading.Event()
    errors: list[str] = []

    def writer() -> None:
        c = _client(port, timeout=60)
        i = 0
        while not stop.is_set():
            key, value = f"k{i}", "v" * 100 + str(i)
            try:
                c.set(key, value)
            except redis.ResponseError as e:
                errors.append(str(e))
                time.sleep(0.05)
                continue
            except redis.RedisError:
                return
            acked[key] = value
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        assert _wait(lambda: _health(admin)[0] == 503), "the failure never showed on /healthz"
        status, body = _health(admin)
        assert any("File too large" in p for p in body["problems"]), body
        # A raw connection (no CLIENT SETINFO handshake): under "always" every reply that could
        # reveal the failed write waits for the disk; only -MISCONF errors go out.
        other = _raw(port)
        other.sendall(b"*3\r\n$3\r\nSET\r\n$7\r\nrefused\r\n$1\r\nx\r\n*1\r\n$4\r\nPING\r\n")
        misconf = b"-MISCONF Errors writing to the AOF file: File too large\r\n"
        got = b""
        while len(got) < 2 * len(misconf):
            got += other.recv(1000)
        assert got == misconf * 2
        other.close()
        if policy == "everysec":
            assert _client(port, 10).get("k0") == acked["k0"].encode()  # reads go on
            info = _client(port, 10).info("persistence")
            assert info["aof_last_write_status"] == "err"
        proc.set_fsize(resource.RLIM_INFINITY)  # the disk has room again
        assert _wait(lambda: _health(admin)[0] == 200), "no recovery after the disk came back"
        assert _client(port, 10).set("after", "yes")
        n = len(acked)
        assert _wait(lambda: len(acked) > n + 50)  # the writer goes on
    finally:
        stop.set()
        t.join(30)
    proc.kill9()
    proc.fsize = None
    proc.start()
    c = _client(port)
    keys = list(acked)
    values = c.mget(keys)
    lost = [k for k, v in zip(keys, values, strict=True) if v != acked[k].encode()]
    assert lost == []
    assert c.get("after") == b"yes"
    assert c.get("refused") is None
    proc.terminate()


@pytest.mark.slow
def test_sigterm_under_load_loses_nothing_acknowledged(tmp_path):
    proc = ServeProcess(tmp_path, "--appendfsync", "everysec").start()
    port = proc.ports["redis"]
    acked: dict[bytes, bytes] = {}
    lock = threading.Lock()

    def writer(n: int) -> None:
        c = _client(port)
        pipe_n = 0
        while True:
            keys = [b"w%d:%d" % (n, pipe_n * 10 + j) for j in range(10)]
            try:
                p = c.pipeline(transaction=False)
                for k in keys:
                    p.set(k, k)
                p.execute()
            except (redis.ConnectionError, redis.TimeoutError):
                return
            with lock:
                for k in keys:
                    acked[k] = k
            pipe_n += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    assert _wait(lambda: len(acked) > 5000)
    assert proc.proc is not None
    proc.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(60)
    out, _ = proc.proc.communicate(timeout=60)
    assert proc.proc.returncode == 0, out
    proc.start()
    c = _client(port)
    keys = list(acked)
    values = c.mget(keys)
    assert [k for k, v in zip(keys, values, strict=True) if v != acked[k]] == []
    proc.terminate()


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYSTACK_")}
    return subprocess.run(
        [sys.executable, "-m", "polystack.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.mark.slow
def test_corrupt_log_stops_start_up_until_repaired(tmp_path):
    proc = ServeProcess(tmp_path, "--appendfsync", "always").start()
    c = _client(proc.ports["redis"])
    for i in range(5):
        c.set(f"k{i}", i)
    proc.terminate()
    log_file = sorted((tmp_path / "redis").glob("appendonly.log.*"))[-1]
    data = bytearray(log_file.read_bytes())
    # Damage the third record's payload: records four and five follow it intact.
    from polystack.runtime.records import LogReader

    offsets, pos = [], 0
    for rec in LogReader(log_file):
        offsets.append(pos)
        pos += 8 + len(rec)
    bad = offsets[2]
    data[bad + 10] ^= 0xFF
    log_file.write_bytes(bytes(data))
    out = _run_cli(
        "serve", "--only", "redis", "--data-dir", str(tmp_path),
        "--redis-port", str(proc.ports["redis"]), "--admin-port", str(proc.ports["admin"]),
    )  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("polystack: redis failed to start: ")
    assert str(log_file) in lines[0] and f"offset {bad}" in lines[0]
    assert "polystack repair-log" in lines[0]
    assert log_file.stat().st_size == len(data)  # nothing dropped
    dry = _run_cli("repair-log", "--dry-run", str(log_file))
    assert dry.returncode == 0 and f"would keep 2 records ({bad} bytes)" in dry.stdout
    fixed = _run_cli("repair-log", str(log_file))
    assert fixed.returncode == 0 and "kept 2 records" in fixed.stdout
    proc.start()
    c = _client(proc.ports["redis"])
    assert c.get("k0") == b"0" and c.get("k1") == b"1"
    assert c.get("k4") is None
    proc.terminate()


@pytest.mark.slow
def test_pipelined_big_replies_to_a_client_that_never_reads_stay_bounded(tmp_path):
    """2000 pipelined GETs of a 1 MB value (2 GB of replies) from a client that reads
    nothing: the server's memory stays bounded, and other clients are served."""
    proc = ServeProcess(tmp_path).start()
    port = proc.ports["redis"]
    _client(port).set("big", b"x" * (1 << 20))
    before = proc.rss()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.settimeout(2)
    request = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 2000
    try:
        s.sendall(request)
    except TimeoutError:
        pass  # the server stopped reading: that is the point
    time.sleep(1.0)
    grown = proc.rss() - before
    assert _client(port, timeout=10).ping()
    s.close()
    proc.terminate()
    assert grown < 200 * 1024 * 1024, grown


def test_client_output_buffer_limit_disconnects_a_normal_client(tmp_path):
    with serve(redis=True) as s:
        admin = _client(s.redis_port)
        assert admin.config_get("client-output-buffer-limit") == {
            "client-output-buffer-limit": (
                "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
            )
        }
        admin.config_set("client-output-buffer-limit", "normal 1mb 0 0")
        assert admin.config_get("client-output-buffer-limit")["client-output-buffer-limit"] == (
            "normal 1048576 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        )
        with pytest.raises(redis.ResponseError, match="Invalid client class"):
            admin.config_set("client-output-buffer-limit", "bogus 1 2 3")
        with pytest.raises(redis.ResponseError, match="Wrong number of arguments"):
            admin.config_set("client-output-buffer-limit", "normal 1 2")
        admin.set("big", b"x" * (300 * 1024))
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", s.redis_port))
        slow.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 40)
        slow.settimeout(10)
        got = 0
        try:
            while chunk := slow.recv(65536):
                got += len(chunk)
        except ConnectionResetError:
            pass
        slow.close()
        assert got < 40 * 300 * 1024  # closed before everything was sent
        assert admin.ping()


def test_failed_fsync_shows_on_healthz_refuses_writes_and_recovers(monkeypatch):
    import errno

    state = {"failing": False}
    real = os.fsync

    def fsync(fd: int) -> None:
        if state["failing"]:
            raise OSError(errno.EIO, "Input/output error")
        real(fd)

    monkeypatch.setattr(logmod, "RETRY_SECONDS", 0.1)
    with serve(redis=True, config_overrides={"redis.appendfsync": "everysec"}) as s:
        c = _client(s.redis_port)
        c.set("before", "1")
        monkeypatch.setattr(logmod, "fsync", fsync)
        state["failing"] = True
        c.set("k", "v")  # written to the OS at once (everysec): acknowledged; fsync within 1 s
        assert _wait(lambda: _health(s.port("admin"))[0] == 503)
        status, body = _health(s.port("admin"))
        assert any("fsync failed" in p and "Input/output error" in p for p in body["problems"])
        with pytest.raises(redis.ResponseError, match="^MISCONF Errors writing to the AOF file"):
            c.set("refused", "x")
        assert c.get("k") == b"v"
        state["failing"] = False
        assert _wait(lambda: _health(s.port("admin"))[0] == 200)
        assert c.set("after", "1")


def test_output_limit_class_follows_the_client():
    from polystack.redis.flags import SLOW_PUBSUB

    with serve(redis=True) as s:
        c = _client(s.redis_port)
        c.client_setname("me")
        svc = s.service("redis")

        def limits() -> list[tuple[int, int, float]]:
            client = next(x for x in svc.clients.values() if x.name == b"me")
            out = [(client.peer._hard, client.peer._soft, client.peer._soft_seconds)]
            client.slow |= SLOW_PUBSUB
            svc.apply_output_limits(client)
            out.append((client.peer._hard, client.peer._soft, client.peer._soft_seconds))
            client.slow &= ~SLOW_PUBSUB
            client.repl = object()  # a replica's link
            svc.apply_output_limits(client)
            out.append((client.peer._hard, client.peer._soft, client.peer._soft_seconds))
            client.repl = None
            svc.apply_output_limits(client)
            return out

        assert s.call(limits) == [
            (0, 0, 0),
            (33554432, 8388608, 60),
            (268435456, 67108864, 60),
        ]
