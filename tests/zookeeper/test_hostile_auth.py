"""SASL without a SASL login, session passwords and digests compared in constant time, and
corrupt data reported as corrupt data."""

from __future__ import annotations

import hmac
import subprocess
import sys
import threading

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import AuthFailedError

import polystack.testing
from polystack.runtime.journal import _snapshot_parts
from polystack.runtime.records import frame

from . import realzk
from .zkproto import connect, packet


def test_sasl_client_fails_and_stops_like_against_zookeeper():
    """A kazoo client given SASL credentials, against a server without a SASL login: ZooKeeper
    answers each SASL token with an empty one and does not renew the session for it, so the
    session expires, the connection drops and kazoo reports AuthFailedError; stop() returns
    (it hung forever)."""
    pytest.importorskip("puresasl")
    with polystack.testing.serve(zookeeper=True) as s:
        zk = KazooClient(
            hosts=s.zookeeper_hosts,
            timeout=4,
            sasl_options={"mechanism": "DIGEST-MD5", "username": "u", "password": "p"},
        )
        zk.start(timeout=10)
        errors: list[BaseException] = []

        def read() -> None:
            try:
                zk.get_children("/")
            except BaseException as e:  # noqa: BLE001 - handed to the test thread
                errors.append(e)

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(30)
        assert not t.is_alive() and isinstance(errors[0], AuthFailedError)
        stopper = threading.Thread(target=lambda: (zk.stop(), zk.close()), daemon=True)
        stopper.start()
        stopper.join(30)
        assert not stopper.is_alive(), "kazoo's stop() hangs"
        plain = KazooClient(hosts=s.zookeeper_hosts)
        plain.start()
        assert plain.exists("/") is not None
        plain.stop()
        plain.close()


def _sasl_exchange(port: int) -> list[bytes]:
    import socket
    import struct

    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(connect())
        out = [s.recv(1000)[:4]]  # the ConnectResponse's length
        for token in (b"", b"x" * 10):
            s.sendall(packet(1, 102, struct.pack(">i", len(token)) + token))
            out.append(s.recv(1000))
        return out
    finally:
        s.close()


@pytest.mark.differential
def test_sasl_reply_like_zookeeper():
    reason = realzk.missing_reason()
    if reason:
        pytest.skip(reason)
    real = realzk.RealZooKeeper()
    try:
        theirs = _sasl_exchange(real.port)
    finally:
        real.stop()
    with polystack.testing.serve(zookeeper=True) as s:
        assert _sasl_exchange(s.zookeeper_port) == theirs


def test_passwords_are_compared_in_constant_time(monkeypatch):
    calls: list[tuple] = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    with polystack.testing.serve(zookeeper=True) as s:
        zk = KazooClient(hosts=s.zookeeper_hosts)
        zk.start()
        sid, passwd = zk.client_id
        zk.stop()  # closes the session
        zk.close()
        again = KazooClient(hosts=s.zookeeper_hosts, client_id=(sid, b"\0" * 16))
        again.start()
        again.stop()
        again.close()
    assert any(len(a) == 16 for a, _ in calls)  # the session password


# -- corrupt data ------------------------------------------------------------------------------


def _start(data_dir) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "polystack.cli", "serve", "--only", "zookeeper", "--data-dir",
         str(data_dir), "--zookeeper-port", "0", "--admin-port", "0"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_corrupt_snapshot_is_named_as_corrupt_data(tmp_path):
    """A snapshot whose checksums match but whose contents are not ZooKeeper data stops
    start-up with the file named and the word corrupt (not as a configuration error)."""
    zdir = tmp_path / "zookeeper"
    zdir.mkdir()
    snap = zdir / "zookeeper.snapshot"
    snap.write_bytes(b"".join(_snapshot_parts([b"ZKSN\x00\x00\x00\x02" + b"\xff" * 40], 1)))
    done = _start(tmp_path)
    assert done.returncode == 2
    assert str(snap) in done.stderr and "corrupt" in done.stderr
    assert "configuration" not in done.stderr


def test_corrupt_log_record_is_named_as_corrupt_data(tmp_path):
    zdir = tmp_path / "zookeeper"
    zdir.mkdir()
    log = zdir / "zookeeper.log.00000000"
    log.write_bytes(frame(b"\x01\x02garbage"))
    done = _start(tmp_path)
    assert done.returncode == 2
    assert str(log) in done.stderr and "corrupt" in done.stderr
