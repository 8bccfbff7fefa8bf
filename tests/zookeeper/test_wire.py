"""Jute codec and framing, with raw bytes, property-based round trips and a decoder fuzz."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.zookeeper import wire
from polystack.zookeeper.errors import JuteError
from polystack.zookeeper.records import (
    CreateRequest,
    CreateTTLRequest,
    MultiOperationRecord,
    PathVersionRequest,
    PathWatchRequest,
    SetACLRequest,
    SetDataRequest,
    SetWatches,
    SetWatches2,
)
from polystack.zookeeper.wire import ACL, ConnectRequest, FrameDecoder, Id

from .harness import Conn, make_server


def test_connect_request_raw_bytes():
    raw = (
        b"\x00\x00\x00\x00"  # protocolVersion
        b"\x00\x00\x00\x00\x00\x00\x00\x07"  # lastZxidSeen
        b"\x00\x00\x27\x10"  # timeOut 10000
        b"\x00\x00\x00\x00\x00\x00\x00\x00"  # sessionId
        b"\x00\x00\x00\x10" + bytes(16) + b"\x00"  # passwd, readOnly
    )
    req = ConnectRequest.decode(raw)
    assert (req.protocol_version, req.last_zxid_seen, req.timeout, req.session_id) == (
        0,
        7,
        10000,
        0,
    )
    assert req.passwd == bytes(16) and req.read_only is False
    assert req.encode() == raw
    old = ConnectRequest.decode(raw[:-1])  # old clients omit readOnly
    assert old.read_only is False


def test_reply_and_event_framing():
    assert wire.reply(5, 0x10, -101) == struct.pack(">iiqi", 16, 5, 0x10, -101)
    ev = wire.watcher_event(3, 3, "/a")
    assert ev == struct.pack(">iiqiiii", 30, -1, -1, 0, 3, 3, 2) + b"/a"


def test_null_buffer_and_string():
    assert wire.write_buffer(None) == b"\xff\xff\xff\xff"
    assert wire.read_buffer(b"\xff\xff\xff\xff", 0) == (None, 4)
    assert wire.read_ustring(b"\x00\x00\x00\x02hi", 0) == ("hi", 6)
    with pytest.raises(JuteError):
        wire.read_ustring(b"\x00\x00\x00\x09hi", 0)


def test_frame_decoder_splits_and_joins():
    d = FrameDecoder()
    stream = wire.frame(b"abc") + wire.frame(b"") + wire.frame(b"xyz")
    got = []
    for i in range(len(stream)):
        d.feed(stream[i : i + 1])
        while (f := d.next_frame()) is not None:
            got.append(f)
    assert got == [b"abc", b"", b"xyz"]


def test_frame_decoder_enforces_jute_maxbuffer():
    d = FrameDecoder(max_buffer=10)
    d.feed(struct.pack(">i", 11))
    with pytest.raises(JuteError, match="Len error 11"):
        d.next_frame()
    d = FrameDecoder(max_buffer=10)
    d.feed(struct.pack(">i", -1))
    with pytest.raises(JuteError):
        d.next_frame()


def test_oversize_packet_closes_connection():
    zk = make_server(max_buffer=64)
    c = Conn(zk)
    c.send(struct.pack(">i", 65) + b"x" * 65)
    assert c.peer.closed


paths = st.text(alphabet="abc/-_0123456789é", max_size=20).map(lambda s: "/" + s)
blobs = st.one_of(st.none(), st.binary(max_size=50))
acls = st.lists(
    st.builds(
        ACL,
        st.integers(0, 31),
        st.builds(Id, st.sampled_from(["world", "digest", "ip"]), st.text(max_size=10)),
    ),
    max_size=3,
)


@given(paths, blobs, acls, st.integers(-(2**31), 2**31 - 1))
def test_create_request_round_trip(path, data, acl, flags):
    rec = CreateRequest(path, data, acl, flags)
    out, off = CreateRequest.decode(rec.encode(), 0)
    assert (out.path, out.data, list(out.acl), out.flags) == (path, data, acl, flags)
    assert off == len(rec.encode())
    again, _ = CreateRequest.decode(rec.encode(), 0)  # the cached ACL path gives the same
    assert list(again.acl) == acl and again.flags == flags


@given(paths, blobs, acls, st.integers(0, 6), st.integers(-(2**63), 2**63 - 1))
def test_create_ttl_round_trip(path, data, acl, flags, ttl):
    rec = CreateTTLRequest(path, data, acl, flags, ttl)
    assert CreateTTLRequest.decode(rec.encode(), 0)[0] == rec


@given(paths, st.integers(-(2**31), 2**31 - 1), st.booleans(), blobs)
def test_simple_records_round_trip(path, version, watch, data):
    for rec in (
        PathVersionRequest(path, version),
        PathWatchRequest(path, watch),
        SetDataRequest(path, data, version),
        SetACLRequest(path, [ACL(31, Id("world", "anyone"))], version),
    ):
        assert type(rec).decode(rec.encode(), 0)[0] == rec


@given(st.integers(-(2**63), 2**63 - 1), st.lists(paths, max_size=3), st.lists(paths, max_size=3))
def test_set_watches_round_trip(zxid, a, b):
    rec = SetWatches(zxid, a, b, a, [], [])
    assert SetWatches.decode(rec.encode(), 0)[0] == rec
    rec2 = SetWatches2(zxid, a, b, a, b, a)
    got = SetWatches2.decode(rec2.encode(), 0)[0]
    assert (got.persistent_watches, got.persistent_recursive_watches) == (b, a)


@given(st.lists(st.tuples(paths, blobs), max_size=4))
def test_multi_round_trip(items):
    ops = [(1, CreateRequest(p, d, [], 0)) for p, d in items] + [(2, PathVersionRequest("/x", 1))]
    rec = MultiOperationRecord(ops)
    got = MultiOperationRecord.decode(rec.encode(), 0)[0]
    assert [(t, r.path) for t, r in got.ops] == [(t, r.path) for t, r in ops]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_fresh_connection_never_crashes(data):
    zk = make_server()
    c = Conn(zk)
    c.send(data)  # must not raise: garbage closes this connection only


@settings(max_examples=300, deadline=None)
@given(st.integers(-20, 120), st.binary(max_size=120))
def test_fuzz_requests_after_handshake(op, payload):
    from .zkproto import connect, packet

    zk = make_server()
    c = Conn(zk)
    c.send(connect())
    c.send(packet(1, op, payload))
    # the server stays usable for others
    other = Conn(zk)
    assert other.send(connect())


def _decode_field_by_field(record, buf: bytes):
    """The general reader, one jute field at a time (what the fast paths shortcut)."""
    if record is PathWatchRequest:
        path, off = wire.read_path(buf, 0)
        watch, off = wire.read_bool(buf, off)
        return (path, watch), off
    path, off = wire.read_path(buf, 0)
    data, off = wire.read_buffer(buf, off)
    version, off = wire.read_int(buf, off)
    return (path, data, version), off


@pytest.mark.parametrize("record", [PathWatchRequest, SetDataRequest])
@given(st.binary(max_size=40), st.integers(-3, 40), st.integers(-3, 40), st.booleans())
def test_one_step_decoders_agree_with_field_by_field(record, tail, n, m, memview):
    """The one-step decoders of getData/exists/getChildren and setData read exactly what the
    field-by-field reader reads (or fail as it fails) on any bytes, whole, short or null."""
    buf = struct.pack(">i", n) + tail[: max(n, 0)] + struct.pack(">i", m) + tail
    for cut in (len(buf), len(buf) - 1, 4 + max(n, 0), 4 + max(n, 0) + 1, 3, 0):
        raw = buf[: max(cut, 0)]
        try:
            expected = _decode_field_by_field(record, raw)
        except JuteError:
            with pytest.raises(JuteError):
                record.decode(memoryview(raw) if memview else raw, 0)
            continue
        req, off = record.decode(memoryview(raw) if memview else raw, 0)
        fields = (
            (req.path, req.watch)
            if record is PathWatchRequest
            else tuple(getattr(req, f) for f in ("path", "data", "version"))
        )
        assert (fields, off) == expected
