"""ZooKeeper durability under failure: a log ending in zero bytes, the barrier (no reply before
the log sync) with a slow fsync, a full disk (RLIMIT_FSIZE) that stops the server from
acknowledging and closes sessions until it recovers, clients that never read."""

from __future__ import annotations

import json
import os
import resource
import socket
import struct
import threading
import time
import urllib.error
import urllib.request

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.handlers.threading import KazooTimeoutError

from polystack.runtime import log as logmod
from polystack.testing import serve
from tests.processes import ServeProcess

from . import zkproto


def _health(admin_port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/healthz", timeout=10) as r:
            json.load(r)
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _wait(pred, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def _kazoo(port: int) -> KazooClient:
    zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=10)
    zk.start(timeout=20)
    return zk


@pytest.mark.slow
def test_log_ending_in_zero_bytes_starts(tmp_path):
    """A power loss can leave the log's tail zero-filled: it is a torn tail, not 16 bytes of
    empty records (which made start-up fail with struct.error)."""
    proc = ServeProcess(tmp_path, only="zookeeper").start()
    zk = _kazoo(proc.ports["zookeeper"])
    zk.create("/a", b"1")
    zk.create("/a/b", b"2")
    zk.stop()
    zk.close()
    proc.kill9()
    log_file = sorted((tmp_path / "zookeeper").glob("zookeeper.log.*"))[-1]
    with open(log_file, "ab") as f:
        f.write(bytes(16))
    proc.start()
    zk = _kazoo(proc.ports["zookeeper"])
    assert zk.get("/a")[0] == b"1" and zk.get("/a/b")[0] == b"2"
    zk.create("/c", b"3")
    zk.stop()
    zk.close()
    out = proc.terminate()
    assert "truncated a torn tail of 16 bytes" in out and "zero-filled tail" in out


class BlockingFsync:
    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.real = os.fsync

    def __call__(self, fd: int) -> None:
        self.entered.set()
        self.gate.wait(30)
        self.real(fd)


def test_no_reply_reveals_a_transaction_before_its_log_sync(monkeypatch):
    with serve(zookeeper=True) as s:
        a = zkproto.RawClient("127.0.0.1", s.zookeeper_port)
        b = zkproto.RawClient("127.0.0.1", s.zookeeper_port)
        fake = BlockingFsync()
        monkeypatch.setattr(logmod, "fsync", fake)
        try:
            a.sock.sendall(zkproto.create(1, "/d", b"x"))
            assert fake.entered.wait(10)  # the transaction is applied and written, not synced
            b.sock.sendall(zkproto.get_data(1, "/d"))
            early = []
            for c in (a, b):
                c.sock.settimeout(0.5)
                try:
                    early.append(c.sock.recv(100))
                except TimeoutError:
                    pass
            fake.gate.set()
            for c in (a, b):
                c.sock.settimeout(10)
            assert early == []
            assert zkproto.header(a.recv())[2] == 0
            reply = b.recv()
            assert zkproto.header(reply)[2] == 0
            assert zkproto.parse_data(zkproto.body(reply))[0] == b"x"
        finally:
            fake.gate.set()
            a.sock.close()
            b.sock.close()


@pytest.mark.slow
def test_full_disk_stops_acknowledging_closes_sessions_and_recovers(tmp_path):
    proc = ServeProcess(tmp_path, only="zookeeper", fsize=96 * 1024).start()
    port, admin = proc.ports["zookeeper"], proc.ports["admin"]
    acked: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=10)
        zk.start(timeout=20)
        i = 0
        try:
            while not stop.is_set():
                path = f"/n{i}"
                try:
                    zk.create(path, b"v" * 200)
                except (KazooException, KazooTimeoutError):
                    return
                acked.append(path)
                i += 1
        finally:
            zk.stop()
            zk.close()

    t = threading.Thread(target=writer)
    t.start()
    try:
        assert _wait(lambda: _health(admin) == 503), "the failure never showed on /healthz"
        t.join(30)
        assert not t.is_alive()  # its connection was closed: no acknowledgement came
        # A new connection is closed at once while the log cannot be written.
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(zkproto.connect())
        try:
            assert s.recv(100) == b""
        except ConnectionResetError:
            pass
        s.close()
        proc.set_fsize(resource.RLIM_INFINITY)
        assert _wait(lambda: _health(admin) == 200), "no recovery after the disk came back"
        zk = _kazoo(port)
        zk.create("/after", b"yes")
        zk.stop()
        zk.close()
    finally:
        stop.set()
        t.join(30)
    assert len(acked) > 100
    proc.kill9()
    proc.fsize = None
    proc.start()
    zk = _kazoo(port)
    missing = [p for p in acked if zk.exists(p) is None]
    assert missing == []
    assert zk.get("/after")[0] == b"yes"
    zk.stop()
    zk.close()
    proc.terminate()


@pytest.mark.slow
def test_pipelined_getdata_of_a_big_znode_to_a_client_that_never_reads(tmp_path):
    """21 KB of pipelined getData requests for a 1 MB znode ask for 1 GB of replies; the server
    builds replies only while the client's output is below its limit, so its memory stays
    bounded and other clients are served."""
    proc = ServeProcess(tmp_path, only="zookeeper").start()
    port = proc.ports["zookeeper"]
    zk = _kazoo(port)
    zk.create("/big", b"x" * 1_000_000)
    before = proc.rss()
    raw = zkproto.RawClient("127.0.0.1", port)
    raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    pipeline = b"".join(zkproto.get_data(i, "/big") for i in range(1, 1000))
    assert len(pipeline) > 20_000
    raw.sock.settimeout(2)
    try:
        raw.sock.sendall(pipeline)
    except TimeoutError:
        pass
    time.sleep(1.0)
    grown = proc.rss() - before
    assert zk.exists("/big") is not None  # another client is served meanwhile
    zk.stop()
    zk.close()
    raw.sock.close()
    proc.terminate()
    assert grown < 200 * 1024 * 1024, grown


def _add_watch(xid: int, path: str, mode: int = 1) -> bytes:
    body = struct.pack(">i", len(path)) + path.encode() + struct.pack(">i", mode)
    return zkproto.packet(xid, 106, body)  # addWatch, PERSISTENT_RECURSIVE


def test_watcher_that_never_reads_is_disconnected():
    """50k watch events to a client that reads none: its output passes the limit and it is
    disconnected, as a client that does not keep up; the server does not grow with it."""
    with serve(zookeeper=True, config_overrides={"zookeeper.client_output_limit": 256 * 1024}) as s:
        watcher = zkproto.RawClient("127.0.0.1", s.zookeeper_port)
        watcher.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        h, _, _ = watcher.call(_add_watch, "/")
        assert h[2] == 0
        writer = zkproto.RawClient("127.0.0.1", s.zookeeper_port)
        path = "/w" + "x" * 1000  # each event carries the path: 50k events are 50 MB
        writer.call(zkproto.create, path, b"")
        batch = b"".join(zkproto.set_data(i, path, b"d") for i in range(2, 1002))
        for _ in range(50):
            writer.sock.sendall(batch)
            for _ in range(1000):
                writer.recv()
        state = next(st for st in s.server.listener_states if st.name == "zookeeper")
        assert state.output_limit_disconnections == 1
        watcher.sock.settimeout(10)
        got = 0
        try:
            while chunk := watcher.sock.recv(65536):
                got += len(chunk)
        except ConnectionResetError:
            pass
        assert got < 50_000 * 1000  # far from every event: it was cut off
        assert writer.call(zkproto.exists, path)[0][2] == 0
        writer.sock.close()
        watcher.sock.close()
