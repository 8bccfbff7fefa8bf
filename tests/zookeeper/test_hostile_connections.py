"""Hostile clients on the ZooKeeper port: connections that never send a ConnectRequest
(sessionlessCnxnTimeout), HTTP requests, lengths beyond jute.maxbuffer."""

from __future__ import annotations

import socket
import struct
import time

import pytest
from kazoo.client import KazooClient

import polystack.testing
from polystack.runtime.clock import ManualClock

from .zkproto import connect


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    sock.settimeout(seconds)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
        return True, data
    except TimeoutError:
        return False, data
    except ConnectionResetError:
        return True, data


def wait_until(cond, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


@pytest.fixture
def manual():
    clock = ManualClock()
    with polystack.testing.serve(zookeeper=True, clock=clock) as s:
        yield s


def test_sessionless_connections_are_closed_after_ten_seconds(manual):
    """60 sockets that never send a ConnectRequest held all 60 per-IP slots forever; now they
    are closed after 10 s idle (ZooKeeper's sessionlessCnxnTimeout) and clients get in."""
    zk = manual.service("zookeeper").zk
    squatters = [socket.create_connection(("127.0.0.1", manual.zookeeper_port)) for _ in range(60)]
    try:
        assert wait_until(lambda: manual.call(lambda: len(zk.connections)) == 60)
        # the 61st is refused while they hold the slots
        late = socket.create_connection(("127.0.0.1", manual.zookeeper_port))
        late.sendall(connect())
        assert closed_within(late, 5) == (True, b"")
        manual.advance(9.9)
        time.sleep(0.1)
        assert manual.call(lambda: len(zk.connections)) == 60
        manual.advance(0.2)
        for s in squatters:
            assert closed_within(s, 5)[0]
        assert manual.call(lambda: zk.stats.extra["sessionless_connections_expired"]) == 60
        c = socket.create_connection(("127.0.0.1", manual.zookeeper_port))
        c.sendall(connect())
        c.settimeout(5)
        assert len(c.recv(100)) > 20  # a ConnectResponse
        c.close()
    finally:
        for s in squatters:
            s.close()


def test_input_before_the_handshake_restarts_the_timer(manual):
    s = socket.create_connection(("127.0.0.1", manual.zookeeper_port))
    try:
        s.sendall(b"\x00")  # part of a length: idle time starts again
        time.sleep(0.1)
        manual.advance(6)
        s.sendall(b"\x00")
        time.sleep(0.1)
        manual.advance(6)
        assert closed_within(s, 0.3) == (False, b"")
        manual.advance(4.5)
        assert closed_within(s, 5)[0]
    finally:
        s.close()


def test_connected_sessions_are_not_touched(manual):
    zk = KazooClient(hosts=manual.zookeeper_hosts, timeout=30)
    zk.start()
    try:
        zk.create("/x", b"1", ephemeral=True)
        for _ in range(3):
            manual.advance(4)  # under the session timeout, past the sessionless one
            time.sleep(0.05)
            assert zk.get("/x")[0] == b"1"
    finally:
        zk.stop()
        zk.close()


def test_sessionless_timeout_can_be_configured():
    clock = ManualClock()
    overrides = {"zookeeper.sessionless_cnxn_timeout": 0}
    with polystack.testing.serve(zookeeper=True, clock=clock, config_overrides=overrides) as s:
        c = socket.create_connection(("127.0.0.1", s.zookeeper_port))
        s.advance(3600)
        assert closed_within(c, 0.3) == (False, b"")
        c.close()


# -- cross-protocol and oversized requests -------------------------------------------------------


@pytest.mark.parametrize(
    "blob",
    [
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1:2181\r\nContent-Length: 4\r\n\r\nruok",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\n\r\n",
    ],
)
def test_http_request_is_closed_without_a_reply(blob):
    big = {"zookeeper.jute_maxbuffer": (1 << 31) - 1}  # even with a huge jute.maxbuffer
    with polystack.testing.serve(zookeeper=True, config_overrides=big) as s:
        c = socket.create_connection(("127.0.0.1", s.zookeeper_port))
        c.sendall(blob)
        assert closed_within(c, 5) == (True, b"")
        c.close()
        zk = KazooClient(hosts=s.zookeeper_hosts)
        zk.start()
        assert zk.exists("/") is not None
        zk.stop()
        zk.close()


def test_length_beyond_jute_maxbuffer_closes_before_allocating():
    with polystack.testing.serve(zookeeper=True) as s:
        c = socket.create_connection(("127.0.0.1", s.zookeeper_port))
        c.sendall(connect())
        c.settimeout(5)
        c.recv(100)
        c.sendall(struct.pack(">i", 0x100001) + b"x" * 10)  # one byte over 0xfffff
        assert closed_within(c, 5)[0]
        c.close()


def test_four_letter_words_still_answered():
    with polystack.testing.serve(zookeeper=True) as s:
        c = socket.create_connection(("127.0.0.1", s.zookeeper_port))
        c.sendall(b"srvr")
        closed, data = closed_within(c, 5)
        assert closed and data.startswith(b"Zookeeper version:")
        c.close()
