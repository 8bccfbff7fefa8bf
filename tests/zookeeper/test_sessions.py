"""Sessions: handshake, resume, expiry on a moved clock, FIFO replies, notification ordering,
setWatches on reconnect, four-letter words on a fresh connection (sans-I/O and through kazoo)."""

from __future__ import annotations

import struct
import threading
import time

from kazoo.client import KazooClient, KazooState

from polystack.runtime.clock import ManualClock
from polystack.testing import serve
from polystack.zookeeper.records import SetWatches
from polystack.zookeeper.sessions import generate_passwd, java_random_bytes

from . import zkproto
from .harness import Conn, make_server, session


def test_java_random_matches_java():
    # values printed by Java 17: new java.util.Random(seed).nextBytes(new byte[16])
    assert java_random_bytes(42, 16).hex() == "359d41baf78afe0de1bbe7ae28c0450c"
    # ZooKeeperServer.generatePasswd(0x100000c07b60000)
    assert generate_passwd(0x100000C07B60000).hex() == "c879b2fab5bb5c98e655fdd8867fb438"


def test_connect_negotiates_timeout():
    zk = make_server(tick_time=2000)
    _, resp = session(zk, timeout=1)
    assert resp.timeout == 4000  # 2 * tickTime
    _, resp = session(zk, timeout=10**9)
    assert resp.timeout == 40000  # 20 * tickTime
    _, resp = session(zk, timeout=12345)
    assert resp.timeout == 12345 and resp.passwd == generate_passwd(resp.session_id)
    assert resp.session_id != 0


def test_resume_and_expired_reply():
    zk = make_server()
    c, resp = session(zk, timeout=6000)
    c.call(zkproto.create(1, "/e", b"", flags=1))
    # resume on a new connection: the old one is closed (session moved)
    c2 = Conn(zk)
    frames = c2.send(zkproto.connect(resp.session_id, resp.passwd, 6000))
    r2 = zkproto.parse_connect(frames[0])
    assert r2.session_id == resp.session_id and c.peer.closed
    # wrong password: the expired reply (timeout 0, session 0, 16 zero bytes), then close
    c3 = Conn(zk)
    frames = c3.send(zkproto.connect(resp.session_id, b"x" * 16))
    r3 = zkproto.parse_connect(frames[0])
    assert (r3.timeout, r3.session_id, r3.passwd) == (0, 0, bytes(16)) and c3.peer.closed
    # expiry: nothing heard for longer than the timeout
    zk.clock.advance(10)
    assert zk.expire_sessions() == 1
    assert zk.tree.get("/e") is None and c2.peer.closed
    c4 = Conn(zk)
    r4 = zkproto.parse_connect(c4.send(zkproto.connect(resp.session_id, resp.passwd))[0])
    assert r4.session_id == 0 and c4.peer.closed


def test_pings_keep_a_session_alive():
    zk = make_server()
    c, resp = session(zk, timeout=6000)
    for _ in range(10):
        zk.clock.advance(3)
        frames = c.send(zkproto.packet(-2, 11))
        assert zkproto.header(frames[0])[0] == -2
        assert zk.expire_sessions() == 0
    zk.clock.advance(9)
    assert zk.expire_sessions() == 1


def test_pipelined_replies_are_fifo_and_events_precede_reads():
    zk = make_server()
    a, _ = session(zk)
    b, _ = session(zk)
    a.call(zkproto.create(1, "/w", b"0"))
    b.call(zkproto.get_data(1, "/w", watch=True))
    # a writes; b's next read must see the notification first
    a.call(zkproto.set_data(2, "/w", b"1"))
    # the notification was written to b when a's write committed, before b's next replies
    (event,) = b.read()
    assert zkproto.parse_event(event) == (3, 3, "/w")
    frames = b.send(zkproto.get_data(2, "/w") + zkproto.exists(3, "/w") + zkproto.sync(4, "/"))
    assert [zkproto.header(f)[0] for f in frames] == [2, 3, 4]


def test_own_write_notification_before_reply():
    zk = make_server()
    a, _ = session(zk)
    a.call(zkproto.create(1, "/x", b""))
    a.send(zkproto.exists(2, "/x", watch=True))
    frames = a.send(zkproto.delete(3, "/x"))
    assert [zkproto.header(f)[0] for f in frames] == [-1, 3]
    assert zkproto.parse_event(frames[0]) == (2, 3, "/x")


def test_set_watches_fires_missed_events():
    zk = make_server()
    a, _ = session(zk)
    a.call(zkproto.create(1, "/sw", b""))
    a.call(zkproto.create(2, "/sw/c", b""))
    h, _ = a.call(zkproto.sync(3, "/"))
    seen = h[1]
    a.call(zkproto.set_data(4, "/sw", b"new"))
    a.call(zkproto.delete(5, "/sw/c"))
    b, _ = session(zk)
    rec = SetWatches(seen, ["/sw", "/gone"], ["/sw/c", "/later"], ["/sw"], [], [])
    frames = b.send(zkproto.packet(-8, 101, rec.encode()))
    events = [zkproto.parse_event(f) for f in frames if zkproto.header(f)[0] == -1]
    assert events == [(3, 3, "/sw"), (2, 3, "/gone"), (4, 3, "/sw")]
    assert zkproto.header(frames[-1])[:1] == (-8,)
    # the exist watch on /later stays registered
    a.call(zkproto.create(6, "/later", b""))
    assert zkproto.parse_event(b.read()[0]) == (1, 3, "/later")


def test_four_letter_word_on_fresh_connection_only():
    zk = make_server(four_letter_whitelist=frozenset({"ruok", "srvr"}))
    c = Conn(zk)
    c.cnxn.feed(b"ruok")
    assert c.raw() == b"imok" and c.peer.closed
    c = Conn(zk)
    c.cnxn.feed(b"stat")
    assert c.raw() == b"stat is not executed because it is not in the whitelist.\n"
    # after the handshake the same bytes are a (bad) length: the connection just closes
    c, _ = session(zk)
    c.cnxn.feed(b"ruok")
    assert c.peer.closed and c.raw() == b""


def test_close_session_deletes_ephemerals():
    zk = make_server()
    a, _ = session(zk)
    b, _ = session(zk)
    a.call(zkproto.create(1, "/eph", b"", flags=1))
    b.call(zkproto.exists(1, "/eph", watch=True))
    frames = a.send(zkproto.packet(2, -11))
    assert zkproto.header(frames[0])[:1] == (2,) and a.peer.closed
    assert zkproto.parse_event(b.read()[0]) == (2, 3, "/eph")


def test_kazoo_session_expiry_with_moved_clock():
    clock = ManualClock()
    with serve(zookeeper=True, clock=clock) as s:
        watcher = KazooClient(s.zookeeper_hosts, timeout=40)  # negotiated 40 s (the max)
        watcher.start()
        victim = KazooClient(s.zookeeper_hosts, timeout=4)  # negotiated 4 s (the min)
        states = []
        victim.add_listener(states.append)
        victim.start()
        victim.create("/victim-eph", ephemeral=True)
        gone = threading.Event()
        watcher.exists("/victim-eph", watch=lambda e: gone.set())
        sid = victim.client_id[0]
        # one jump of the server's clock: past the victim's timeout, within the watcher's
        s.advance(8)
        assert gone.wait(10)
        assert watcher.exists("/victim-eph") is None
        deadline = time.monotonic() + 20
        while KazooState.LOST not in states and time.monotonic() < deadline:
            time.sleep(0.05)
        assert KazooState.LOST in states
        # kazoo makes a new session after the expired reply
        deadline = time.monotonic() + 20
        while (not victim.connected or victim.client_id[0] == sid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert victim.connected and victim.client_id[0] != sid
        victim.stop()
        watcher.stop()


def test_kazoo_resumes_session_after_disconnect():
    with serve(zookeeper=True) as s:
        c = KazooClient(s.zookeeper_hosts)
        c.start()
        c.create("/resume-eph", ephemeral=True)
        sid = c.client_id[0]
        changed = threading.Event()
        c.get("/resume-eph", watch=lambda e: changed.set())
        svc = s.service("zookeeper")
        # drop the connection from the server side; the session stays
        s.call(lambda: [x.peer.abort() for x in list(svc.zk.connections)])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            time.sleep(0.1)
            try:
                if c.connected and c.exists("/resume-eph"):
                    break
            except Exception:
                pass
        assert c.client_id[0] == sid and c.exists("/resume-eph")
        other = KazooClient(s.zookeeper_hosts)
        other.start()
        other.set("/resume-eph", b"x")
        # the watch was re-registered with setWatches after the reconnect
        assert changed.wait(10)
        other.stop()
        c.stop()


def test_frames_are_length_prefixed():
    zk = make_server()
    c = Conn(zk)
    c.send(zkproto.connect())
    raw = b"".join(c.peer.written)
    assert struct.unpack(">i", raw[:4])[0] == len(raw) - 4


def test_standard_watches_fire_once_persistent_ones_stay():
    from polystack.zookeeper.records import PathTypeRequest

    zk = make_server()
    a, _ = session(zk)
    b, _ = session(zk)
    a.call(zkproto.create(1, "/o", b""))
    b.call(zkproto.get_data(1, "/o", watch=True))
    a.call(zkproto.set_data(2, "/o", b"1"))
    a.call(zkproto.set_data(3, "/o", b"2"))
    assert [zkproto.parse_event(f) for f in b.read()] == [(3, 3, "/o")]
    # persistent recursive: every change below, never NodeChildrenChanged
    b.call(zkproto.packet(2, 106, PathTypeRequest("/o", 1).encode()))
    a.call(zkproto.create(4, "/o/x", b""))
    a.call(zkproto.set_data(5, "/o/x", b"1"))
    a.call(zkproto.set_data(6, "/o", b"3"))
    a.call(zkproto.delete(7, "/o/x"))
    got = [zkproto.parse_event(f) for f in b.read()]
    assert got == [(1, 3, "/o/x"), (3, 3, "/o/x"), (3, 3, "/o"), (2, 3, "/o/x")]
    # a closed connection's watches are gone
    b.cnxn.connection_lost()
    assert zk.data_watches.size() == 0 and zk.child_watches.size() == 0
