"""Differential tests: the same raw jute requests to polystack and to Debian's ZooKeeper 3.8.

Replies are compared field by field: error codes, paths, data, children (sorted), every Stat field
(zxids relative to the start of the scenario; times and session ids mapped to placeholders), and
the order in which notifications and replies arrive.
"""

from __future__ import annotations

import socket
import struct

import pytest

from polystack.testing import serve
from polystack.zookeeper.records import (
    AuthPacket,
    CreateRequest,
    CreateTTLRequest,
    PathRequest,
    PathTypeRequest,
    PathVersionRequest,
    PathWatchRequest,
    SetACLRequest,
    SetDataRequest,
)
from polystack.zookeeper.wire import ACL, STAT, Id, read_buffer, read_int, read_ustring

from . import zkproto
from .realzk import RealZooKeeper, missing_reason

pytestmark = pytest.mark.differential

OPEN = [ACL(31, Id("world", "anyone"))]


@pytest.fixture(scope="module")
def servers():
    reason = missing_reason()
    if reason:
        pytest.skip(f"differential tests need the real ZooKeeper: {reason}")
    real = RealZooKeeper()
    try:
        with serve(zookeeper=True) as s:
            yield {"real": ("127.0.0.1", real.port), "polystack": ("127.0.0.1", s.zookeeper_port)}
    finally:
        real.stop()


def _stat(buf, off, ctx):
    s = list(STAT.unpack_from(buf, off))
    for i in (0, 1, 10):  # czxid, mzxid, pzxid
        s[i] = s[i] - ctx["base"] if s[i] > 0 else s[i]
    s[2] = "T" if s[2] else 0
    s[3] = "T" if s[3] else 0
    owner = s[7]
    s[7] = ctx["sessions"].get(owner, owner)
    return tuple(s), off + STAT.size


def _children(buf, off):
    n, off = read_int(buf, off)
    out = []
    for _ in range(max(n, 0)):
        c, off = read_ustring(buf, off)
        out.append(c)
    return sorted(out), off


def parse(op: int, body: bytes, ctx) -> object:
    if op in (1,):
        return read_ustring(body, 0)[0]
    if op in (15, 19, 21):
        p, off = read_ustring(body, 0)
        return p, _stat(body, off, ctx)[0]
    if op in (3, 5, 7):
        return _stat(body, 0, ctx)[0]
    if op == 4:
        d, off = read_buffer(body, 0)
        return d, _stat(body, off, ctx)[0]
    if op == 8:
        return _children(body, 0)[0]
    if op == 12:
        c, off = _children(body, 0)
        return c, _stat(body, off, ctx)[0]
    if op == 6:
        n, off = read_int(body, 0)
        acl = []
        for _ in range(n):
            perms, off = read_int(body, off)
            sch, off = read_ustring(body, off)
            ident, off = read_ustring(body, off)
            acl.append((perms, sch, ident))
        return acl, _stat(body, off, ctx)[0]
    if op in (9,):
        return read_ustring(body, 0)[0]
    if op in (103,):
        return _children(body, 0)[0]
    if op == 104:
        return read_int(body, 0)[0]
    if op in (14, 22):
        out = []
        off = 0
        while True:
            t, done, err = struct.unpack_from(">i?i", body, off)
            off += 9
            if done:
                return out
            if t == 1:
                v, off = read_ustring(body, off)
            elif t == 15:
                p, off = read_ustring(body, off)
                st, off = _stat(body, off, ctx)
                v = (p, st)
            elif t == 5:
                v, off = _stat(body, off, ctx)
            elif t == -1:
                v, off = read_int(body, off)
            elif t == 8:
                v, off = _children(body, off)
            elif t == 4:
                d, off = read_buffer(body, off)
                st, off = _stat(body, off, ctx)
                v = (d, st)
            else:
                v = None
            out.append((t, err, v))
    return body.hex()


def run(addr, steps, clients=("a", "b")):
    ctx = {"sessions": {}, "base": 0}
    conns = {}
    for name in clients:
        c = zkproto.RawClient(*addr)
        conns[name] = c
        ctx["sessions"][c.session.session_id] = "session:" + name
    h, _, _ = conns[clients[0]].call(zkproto.sync, "/")
    ctx["base"] = h[1]
    transcript = []
    for who, op, rec in steps:
        c = conns[who]
        c.xid += 1
        payload = rec.encode() if hasattr(rec, "encode") else rec
        c.sock.sendall(zkproto.packet(c.xid, op, payload))
        while True:
            f = c.recv()
            xid, zxid, err = zkproto.header(f)
            if xid == -1:
                t, state, path = zkproto.parse_event(f)
                transcript.append((who, "event", t, state, path))
                continue
            rel = zxid - ctx["base"] if zxid > 0 else zxid
            value = parse(op, zkproto.body(f), ctx) if err == 0 else None
            transcript.append((who, op, rel, err, value))
            break
    for c in conns.values():
        c.close()
    return transcript


def compare(servers, steps, clients=("a", "b")):
    real = run(servers["real"], steps, clients)
    ours = run(servers["polystack"], steps, clients)
    for i, (r, o) in enumerate(zip(real, ours, strict=False)):
        assert o == r, f"step {i}: real {r!r} polystack {o!r}"
    assert len(ours) == len(real)


def C(path, data=b"", flags=0, acl=None, op=1):
    return (op, CreateRequest(path, data, OPEN if acl is None else acl, flags))


def test_create_variants_and_errors(servers):
    r = "/dcreate"
    steps = [
        ("a", *C(r, b"root")),
        ("a", *C(r + "/p", b"x", op=15)),
        ("a", *C(r + "/p/s-", b"", flags=2)),
        ("a", *C(r + "/p/s-", b"", flags=2, op=15)),
        ("a", *C(r + "/p/e-", b"", flags=3)),
        ("a", *C(r + "/p", b"dup")),  # NodeExists
        ("a", *C(r + "/missing/x")),  # NoNode
        ("a", *C(r + "/bad//x")),  # BadArguments
        ("a", *C(r + "/bad/")),
        ("a", *C("nope")),
        ("a", *C(r + "/noacl", acl=[])),  # InvalidACL
        ("a", *C(r + "/badscheme", acl=[ACL(31, Id("digest", "nocolon"))])),
        ("a", *C(r + "/authnoid", acl=[ACL(31, Id("auth", ""))])),
        ("a", *C(r + "/flag", flags=9)),
        ("a", *C(r + "/eph", flags=1)),
        ("a", *C(r + "/eph/child")),  # NoChildrenForEphemerals
        ("a", *C(r + "/nulldata", None)),
        ("a", 4, PathWatchRequest(r + "/nulldata", False)),
        ("a", 12, PathWatchRequest(r + "/p", False)),
        ("a", 12, PathWatchRequest(r, False)),
        ("b", 3, PathWatchRequest(r + "/eph", False)),
        ("a", 103, PathRequest(r)),
        ("b", 103, PathRequest("/")),
        ("a", 104, PathRequest(r)),
        ("a", 104, PathRequest(r + "/none")),
        ("a", 3, PathWatchRequest("/", False)),
        ("a", 12, PathWatchRequest("/zookeeper", False)),
        ("a", 4, PathWatchRequest("/zookeeper/config", False)),
        ("a", 6, PathRequest("/zookeeper/config")),
    ]
    compare(servers, steps)


def test_set_delete_acl_versions(servers):
    r = "/dset"
    steps = [
        ("a", *C(r)),
        ("a", *C(r + "/n", b"v0")),
        ("a", 5, SetDataRequest(r + "/n", b"v1", 0)),
        ("a", 5, SetDataRequest(r + "/n", b"v2", 0)),  # BadVersion
        ("a", 5, SetDataRequest(r + "/n", b"v2", -1)),
        ("a", 5, SetDataRequest(r + "/none", b"", -1)),
        ("a", 5, SetDataRequest("bad", b"", -1)),
        ("a", 2, PathVersionRequest(r, -1)),  # NotEmpty
        ("a", 2, PathVersionRequest(r + "/n", 7)),  # BadVersion
        ("a", 2, PathVersionRequest("/zookeeper", -1)),  # BadArguments
        ("a", 2, PathVersionRequest("/", -1)),
        ("a", 2, PathVersionRequest(r + "/none", -1)),
        ("a", 7, SetACLRequest(r + "/n", [ACL(1, Id("world", "anyone"))], 5)),  # BadVersion
        ("a", 7, SetACLRequest(r + "/n", [ACL(3, Id("world", "anyone"))], 0)),
        ("a", 7, SetACLRequest(r + "/n", [], -1)),  # InvalidACL
        ("a", 6, PathRequest(r + "/n")),
        ("a", 5, SetDataRequest(r + "/n", b"v3", -1)),
        ("a", 7, SetACLRequest(r + "/n", [ACL(1, Id("world", "anyone"))], -1)),
        ("a", 5, SetDataRequest(r + "/n", b"v4", -1)),  # NoAuth
        ("a", 7, SetACLRequest(r + "/n", OPEN, -1)),  # NoAuth (no ADMIN)
        ("a", 2, PathVersionRequest(r + "/n", 2)),
        ("a", 12, PathWatchRequest(r, False)),
        ("a", 2, PathVersionRequest(r, -1)),
        ("a", 3, PathWatchRequest(r, False)),
    ]
    compare(servers, steps)


def test_multi_and_multiread(servers):
    from polystack.zookeeper.records import MultiOperationRecord

    r = "/dmulti"
    ok = MultiOperationRecord(
        [
            (1, CreateRequest(r, b"", OPEN, 0)),
            (15, CreateRequest(r + "/a", b"a", OPEN, 0)),
            (1, CreateRequest(r + "/s", b"", OPEN, 2)),
            (5, SetDataRequest(r, b"root", -1)),
            (13, PathVersionRequest(r, 1)),
        ]
    )
    bad = MultiOperationRecord(
        [
            (1, CreateRequest(r + "/b", b"", OPEN, 0)),
            (2, PathVersionRequest(r + "/a", 0)),
            (13, PathVersionRequest(r, 9)),
            (5, SetDataRequest(r, b"x", -1)),
        ]
    )
    reads = MultiOperationRecord(
        [
            (8, PathWatchRequest(r, False)),
            (4, PathWatchRequest(r + "/a", False)),
            (4, PathWatchRequest(r + "/zz", False)),
        ]
    )
    containers = MultiOperationRecord(
        [
            (19, CreateRequest(r + "/cont", b"", OPEN, 4)),
            (21, CreateTTLRequest(r + "/ttl", b"", OPEN, 5, 5000)),
            (15, CreateRequest(r + "/eph", b"", OPEN, 1)),
            (1, CreateRequest(r + "/c1", b"", OPEN, 4)),
        ]
    )
    steps = [
        ("a", 14, ok),
        ("a", 14, containers),
        ("a", 3, PathWatchRequest(r + "/cont", False)),
        ("a", 3, PathWatchRequest(r + "/ttl", False)),
        ("a", 12, PathWatchRequest(r, False)),
        ("a", 14, bad),
        ("a", 12, PathWatchRequest(r, False)),
        ("a", 22, reads),
        ("a", 14, MultiOperationRecord([])),
        (
            "a",
            14,
            MultiOperationRecord(
                [(2, PathVersionRequest(r + "/a", -1)), (2, PathVersionRequest(r + "/a", -1))]
            ),
        ),
        ("a", 12, PathWatchRequest(r, False)),
    ]
    compare(servers, steps)


def test_watch_event_order(servers):
    r = "/dwatch"
    steps = [
        ("a", *C(r, b"0")),
        ("b", 4, PathWatchRequest(r, True)),
        ("b", 12, PathWatchRequest(r, True)),
        ("b", 3, PathWatchRequest(r + "/c", True)),
        ("a", *C(r + "/c", b"")),
        ("b", 3, PathWatchRequest(r, False)),
        ("a", 5, SetDataRequest(r, b"1", -1)),
        ("b", 4, PathWatchRequest(r, True)),
        ("b", 4, PathWatchRequest(r + "/c", True)),
        ("b", 12, PathWatchRequest(r + "/c", True)),
        ("a", 2, PathVersionRequest(r + "/c", -1)),
        ("b", 3, PathWatchRequest(r, False)),
        ("a", 5, SetDataRequest(r, b"2", -1)),
        ("a", 5, SetDataRequest(r, b"3", -1)),
        ("b", 3, PathWatchRequest(r, False)),
        # persistent and recursive watches
        ("b", 106, PathTypeRequest(r, 1)),
        ("a", *C(r + "/x", b"")),
        ("a", *C(r + "/x/y", b"")),
        ("a", 5, SetDataRequest(r + "/x/y", b"z", -1)),
        ("b", 3, PathWatchRequest(r, False)),
        ("b", 18, PathTypeRequest(r, 5)),
        ("b", 18, PathTypeRequest(r, 5)),  # NoWatcher
        ("b", 17, PathTypeRequest(r, 2)),
        ("b", 106, PathTypeRequest(r, 0)),
        ("a", *C(r + "/p", b"")),
        ("a", 5, SetDataRequest(r, b"4", -1)),
        ("b", 3, PathWatchRequest(r, False)),
        ("b", 17, PathTypeRequest(r, 4)),
        ("b", 18, PathTypeRequest(r, 3)),
        ("b", 17, PathTypeRequest(r, 3)),
    ]
    compare(servers, steps)


def test_containers_and_ttl_creation(servers):
    r = "/dcont"
    steps = [
        ("a", *C(r, b"", flags=4, op=19)),
        ("a", *C(r + "/c", b"", flags=0)),
        ("a", 12, PathWatchRequest(r, False)),
        ("a", 21, CreateTTLRequest(r + "/t", b"", OPEN, 5, 10000)),
        ("a", 21, CreateTTLRequest(r + "/t2", b"", OPEN, 6, 10000)),
        ("a", 21, CreateTTLRequest(r + "/t3", b"", OPEN, 5, 0)),  # BadArguments
        ("a", 21, CreateTTLRequest(r + "/t4", b"", OPEN, 0, 100)),  # BadArguments
        ("a", *C(r + "/t5", b"", flags=5)),  # TTL mode through create: BadArguments
        ("a", 3, PathWatchRequest(r + "/t", False)),
    ]
    compare(servers, steps)


def _drain(sock: socket.socket) -> list:
    """Everything the server sends until it closes (or 3 s of silence)."""
    frames = zkproto.Frames()
    got: list = []
    sock.settimeout(3)
    try:
        while data := sock.recv(1000):
            got += [f.hex() for f in frames.feed(data)]
    except OSError as ex:
        got.append(type(ex).__name__)
    return got


def _recv_or_error(sock: socket.socket) -> object:
    sock.settimeout(2)
    try:
        return sock.recv(100)
    except OSError as ex:
        return type(ex).__name__


def _session_edges(addr):
    out = []

    def call(client, op, rec=b""):
        payload = rec.encode() if hasattr(rec, "encode") else rec
        h, b, _ = client.call(lambda x: zkproto.packet(x, op, payload))
        return h, b

    c = zkproto.RawClient(*addr)
    c.sock.sendall(zkproto.packet(-4, 100, AuthPacket(0, "digest", b"bob:secret").encode()))
    h = zkproto.header(c.recv())
    out.append(("auth", h[0], h[2]))
    h, b = call(c, 107)
    out.append(("whoami", h[2], b.hex()))
    h, b = call(c, 1, CreateRequest("/authz", b"s", [ACL(31, Id("auth", ""))], 0))
    out.append(("create", h[2], b))
    d = zkproto.RawClient(*addr)
    h, b = call(d, 6, PathRequest("/authz"))
    out.append(("getacl-other", h[2], b))
    h, b = call(d, 4, PathWatchRequest("/authz", False))
    out.append(("getdata-other", h[2]))
    h, b = call(c, 6, PathRequest("/authz"))
    out.append(("getacl-owner", h[2], b[:60]))
    h, b = call(c, 7, SetACLRequest("/authz", [ACL(1, Id("digest", "bob:x"))], -1))
    out.append(("setacl", h[2]))
    h, b = call(d, 6, PathRequest("/authz"))
    out.append(("getacl-other2", h[2], b))
    h, b = call(c, 2, PathVersionRequest("/authz", -1))
    out.append(("delete", h[2]))
    d.sock.sendall(zkproto.packet(-2, 11))
    f = d.recv()
    out.append(("ping", zkproto.header(f)[0], zkproto.header(f)[2], len(f)))
    h, b = call(d, 16, b"\xff\xff\xff\xff" * 3 + b"\0" * 8)
    out.append(("reconfig", h[2]))
    h, b = call(d, 55)
    out.append(("unknown", h[2]))
    e = zkproto.RawClient(*addr)
    e.sock.sendall(zkproto.packet(-4, 100, AuthPacket(0, "foo", b"x").encode()))
    h = zkproto.header(e.recv())
    out.append(("badauth", h[0], h[2], _recv_or_error(e.sock)))
    s = socket.create_connection(addr)
    s.sendall(zkproto.connect(session_id=c.session.session_id, passwd=b"x" * 16))
    out.append(("badpass", _drain(s)))
    s = socket.create_connection(addr)
    s.sendall(
        zkproto.connect(
            session_id=c.session.session_id, passwd=c.session.passwd, read_only_flag=False
        )
    )
    frames = zkproto.Frames()
    s.settimeout(3)
    got = frames.feed(s.recv(1000))
    out.append(("resume-oldclient", len(got[0]), got[0][4:8].hex()))
    out.append(("old-conn-after-move", _recv_or_error(c.sock)))
    return out


def test_auth_acl_and_session_edges(servers):
    real = _session_edges(servers["real"])
    ours = _session_edges(servers["polystack"])
    assert ours == real


def test_session_close_and_sequence_edges(servers):
    from polystack.zookeeper.records import MultiOperationRecord

    r = "/dclose"
    steps = [
        ("a", *C(r, b"")),
        ("b", *C(r + "/e1", b"", flags=1)),
        ("b", *C(r + "/e2", b"", flags=3)),
        ("a", 12, PathWatchRequest(r, True)),
        ("a", 3, PathWatchRequest(r + "/e1", True)),
        ("a", 4, PathWatchRequest(r + "/e2" + "0000000001", True)),
        ("b", -11, b""),  # closeSession: both ephemerals go, in one transaction
        ("a", 12, PathWatchRequest(r, False)),
        ("a", *C(r + "/s-", b"", flags=2)),
        ("a", 2, PathVersionRequest(r + "/s-0000000004", -1)),
        ("a", *C(r + "/s-", b"", flags=2)),
        ("a", 12, PathWatchRequest("/", False)),
        ("a", 102, b"\x00\x00\x00\x00"),  # sasl without SASL configured
        (
            "a",
            14,
            MultiOperationRecord(
                [(1, CreateRequest(r + "/m", b"", OPEN, 0)), (4, PathWatchRequest(r, False))]
            ),
        ),
        ("a", 22, MultiOperationRecord([(1, CreateRequest(r + "/m", b"", OPEN, 0))])),
        ("a", *C(r + "/big", b"x" * 500000)),
        ("a", 4, PathWatchRequest(r + "/big", False)),
    ]
    compare(servers, steps)


def test_set_watches_after_reconnect(servers):
    from polystack.zookeeper.records import SetWatches, SetWatches2

    r = "/dsetw"
    steps = [
        ("a", *C(r, b"")),
        ("a", *C(r + "/c", b"")),
        ("a", *C(r + "/d", b"")),
        ("a", 5, SetDataRequest(r + "/d", b"new", -1)),
        ("a", 2, PathVersionRequest(r + "/c", -1)),
        (
            "b",
            101,
            SetWatches(3, [r, r + "/d", r + "/gone"], [r + "/c", r + "/new"], [r], [], []),
        ),
        ("a", *C(r + "/new", b"")),
        ("b", 3, PathWatchRequest(r, False)),
        ("b", 105, SetWatches2(100000, [], [], [], [r + "/new"], [r])),
        ("a", 5, SetDataRequest(r + "/new", b"x", -1)),
        ("b", 3, PathWatchRequest(r, False)),
    ]
    compare(servers, steps)


def _four(addr, word: bytes) -> bytes:
    with socket.create_connection(addr) as s:
        s.sendall(word)
        out = b""
        s.settimeout(5)
        while chunk := s.recv(65536):
            out += chunk
    return out


def test_four_letter_words_match(servers):
    real = RealZooKeeper({"4lw.commands.whitelist": "srvr,ruok,isro,wchs"})
    try:
        ours_overrides = {"zookeeper.four_letter_whitelist": "srvr,ruok,isro,wchs"}
        with serve(zookeeper=True, config_overrides=ours_overrides) as s:
            a = ("127.0.0.1", real.port)
            b = ("127.0.0.1", s.zookeeper_port)
            for word in (b"ruok", b"isro", b"stat", b"mntr", b"wchs", b"dump"):
                assert _four(b, word) == _four(a, word), word
            real_srvr = _four(a, b"srvr").decode().splitlines()
            ours_srvr = _four(b, b"srvr").decode().splitlines()
            assert [line.split(":")[0] for line in ours_srvr] == [
                line.split(":")[0] for line in real_srvr
            ]
            # fresh servers: same zxid and node count
            assert ours_srvr[-3:] == real_srvr[-3:]
    finally:
        real.stop()


def test_multi_watch_events(servers):
    from polystack.zookeeper.records import MultiOperationRecord

    r = "/dmw"
    steps = [
        ("a", *C(r, b"")),
        ("a", *C(r + "/x", b"")),
        ("b", 12, PathWatchRequest(r, True)),
        ("b", 4, PathWatchRequest(r + "/x", True)),
        ("b", 12, PathWatchRequest(r + "/x", True)),
        ("b", 3, PathWatchRequest(r + "/y", True)),
        (
            "a",
            14,
            MultiOperationRecord(
                [
                    (1, CreateRequest(r + "/y", b"", OPEN, 0)),
                    (2, PathVersionRequest(r + "/x", -1)),
                    (5, SetDataRequest(r, b"d", -1)),
                ]
            ),
        ),
        ("b", 3, PathWatchRequest(r, False)),
    ]
    compare(servers, steps)
