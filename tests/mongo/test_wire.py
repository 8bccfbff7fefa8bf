"""The wire codec and the session, driven with raw bytes (no sockets)."""

from __future__ import annotations

import struct
import zlib

import bson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polystack.mongo import wire
from polystack.mongo.errors import MongoError, ProtocolViolation

from .fakepeer import make_session, op_msg, op_query, read_replies


def test_op_msg_kind0_raw_bytes():
    body = bson.encode({"ping": 1, "$db": "admin"})
    payload = b"\x00\x00\x00\x00" + b"\x00" + body
    req = wire.parse_op_msg(7, payload)
    assert req.body == {"ping": 1, "$db": "admin"}
    assert req.flags == 0 and req.sequences == {}
    assert req.command_name == "ping"


def test_op_msg_kind1_sequence_is_kept_raw():
    docs = [{"_id": 1, "a": "x"}, {"_id": 2}]
    msg = op_msg({"insert": "c", "$db": "d"}, sequences={"documents": docs})
    length, rid, rto, op = struct.unpack_from("<iiii", msg)
    assert length == len(msg) and op == wire.OP_MSG
    req = wire.parse_op_msg(rid, msg[16:])
    assert req.sequences["documents"] == [bson.encode(d) for d in docs]


def test_op_msg_checksum_verified():
    msg = op_msg({"ping": 1, "$db": "admin"}, checksum=True)
    req = wire.parse_message(1, wire.OP_MSG, msg[16:])
    assert req.body["ping"] == 1
    bad = msg[:-1] + bytes([msg[-1] ^ 0xFF])
    with pytest.raises(ProtocolViolation, match="checksum"):
        wire.parse_message(1, wire.OP_MSG, bad[16:])


def test_op_msg_illegal_flag_closes():
    payload = struct.pack("<I", 1 << 5) + b"\x00" + bson.encode({"ping": 1})
    with pytest.raises(ProtocolViolation, match="illegal flags"):
        wire.parse_op_msg(1, payload)


def test_op_msg_section_errors():
    body = bson.encode({"ping": 1, "$db": "a"})
    with pytest.raises(MongoError) as e:
        wire.parse_op_msg(1, b"\x00\x00\x00\x00\x00" + body + b"\x00" + body)
    assert e.value.code == 40430
    with pytest.raises(MongoError) as e:
        wire.parse_op_msg(1, b"\x00\x00\x00\x00\x07" + body)
    assert e.value.code == 40432
    with pytest.raises(MongoError) as e:
        wire.parse_op_msg(1, b"\x00\x00\x00\x00")
    assert e.value.code in (40587,)


def test_duplicate_field_between_body_and_sequence():
    msg = op_msg({"insert": "c", "documents": [], "$db": "d"}, sequences={"documents": [{}]})
    with pytest.raises(MongoError) as e:
        wire.parse_op_msg(1, msg[16:])
    assert e.value.code == 40433


def test_decoder_rejects_bad_length():
    dec = wire.MessageDecoder()
    dec.feed(struct.pack("<iiii", 5, 1, 0, wire.OP_MSG))
    with pytest.raises(ProtocolViolation, match="msgLen 5 is invalid"):
        dec.next_message()
    dec = wire.MessageDecoder()
    dec.feed(struct.pack("<iiii", 48_000_001, 1, 0, wire.OP_MSG))
    with pytest.raises(ProtocolViolation, match="Max: 48000000"):
        dec.next_message()


def test_decoder_reassembles_split_messages():
    dec = wire.MessageDecoder()
    msg = op_msg({"ping": 1, "$db": "admin"})
    for b in msg:
        assert dec.next_message() is None
        dec.feed(bytes([b]))
    got = dec.next_message()
    assert got is not None and got[2] == wire.OP_MSG


@pytest.mark.parametrize("compressor", ["zlib", "snappy", "zstd"])
def test_op_compressed_request_gets_compressed_reply(compressor):
    sess, peer, _ = make_session()
    cid = wire.COMPRESSOR_IDS[compressor]
    inner = op_msg({"ping": 1, "$db": "admin"}, request_id=9)
    data = wire.compress(cid, inner[16:])
    payload = struct.pack("<iiB", wire.OP_MSG, len(inner) - 16, cid) + data
    sess.feed(struct.pack("<iiii", 16 + len(payload), 9, 0, wire.OP_COMPRESSED) + payload)
    out = peer.take()
    assert struct.unpack_from("<i", out, 12)[0] == wire.OP_COMPRESSED
    ((rto, op, flags, doc),) = read_replies(out)
    assert rto == 9 and op == wire.OP_MSG and doc["ok"] == 1.0


def test_zlib_decompress_size_mismatch():
    data = zlib.compress(b"x" * 10)
    with pytest.raises(MongoError):
        wire.decompress(wire.ZLIB, data, 11)


def test_op_query_hello_answered_with_op_reply():
    sess, peer, server = make_session()
    sess.feed(op_query("admin.$cmd", {"isMaster": 1, "client": {"driver": {"name": "x"}}}, 3))
    ((rto, op, flags, doc),) = read_replies(peer.take())
    assert op == wire.OP_REPLY and rto == 3
    assert doc["ismaster"] is True and doc["setName"] == "rs0"
    assert doc["hosts"] == ["127.0.0.1:27017"] and doc["me"] == "127.0.0.1:27017"
    assert doc["maxWireVersion"] >= 21


def test_op_query_other_command_and_find_rejected():
    sess, peer, _ = make_session()
    sess.feed(op_query("admin.$cmd", {"find": "x"}, 4))
    ((_, op, _, doc),) = read_replies(peer.take())
    assert doc["code"] == 352 and doc["codeName"] == "UnsupportedOpQueryCommand"
    assert doc["errmsg"].startswith("Unsupported OP_QUERY command: find.")
    sess.feed(op_query("test.coll", {}, 5))
    ((_, op, flags, doc),) = read_replies(peer.take())
    assert op == wire.OP_REPLY and flags == 2
    assert doc["code"] == 5739101
    assert doc["$err"].startswith("OP_QUERY is no longer supported.")


def test_missing_db_and_unknown_command():
    sess, peer, _ = make_session()
    sess.feed(op_msg({"ping": 1}))
    ((_, _, _, doc),) = read_replies(peer.take())
    assert doc["code"] == 40571
    sess.feed(op_msg({"frobnicate": 1, "$db": "x"}))
    ((_, _, _, doc),) = read_replies(peer.take())
    assert (doc["ok"], doc["code"], doc["codeName"]) == (0.0, 59, "CommandNotFound")
    assert doc["errmsg"] == "no such command: 'frobnicate'"


def test_more_to_come_gets_no_reply():
    sess, peer, server = make_session()
    sess.feed(
        op_msg(
            {"insert": "c", "documents": [{"a": 1}], "$db": "d", "writeConcern": {"w": 0}},
            flags=wire.MORE_TO_COME,
        )
    )
    assert peer.take() == b""
    assert len(server.storage.collection("d", "c")) == 1


def test_http_request_closes_with_security_log(caplog):
    sess, peer, _ = make_session()
    with caplog.at_level("WARNING", logger="polystack.security"):
        sess.feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert peer.closed
    assert b"trying to access MongoDB over HTTP" in peer.take()
    assert any("HTTP request" in r.getMessage() for r in caplog.records)


def test_illegal_flags_close_connection_only():
    sess, peer, _ = make_session()
    payload = struct.pack("<I", 1 << 3) + b"\x00" + bson.encode({"ping": 1, "$db": "a"})
    sess.feed(struct.pack("<iiii", 16 + len(payload), 1, 0, wire.OP_MSG) + payload)
    assert peer.closed


def test_pipelined_requests_answered_in_order():
    sess, peer, _ = make_session()
    sess.feed(op_msg({"ping": 1, "$db": "admin"}, 1) + op_msg({"buildInfo": 1, "$db": "a"}, 2))
    replies = read_replies(peer.take())
    assert [r[0] for r in replies] == [1, 2]
    assert replies[1][3]["version"].startswith("8.0")


def test_awaitable_hello_waits_for_max_await_time():
    from polystack.runtime.clock import ManualClock

    clock = ManualClock(1_700_000_000.0)
    sess, peer, server = make_session(clock)
    sess.feed(op_msg({"hello": 1, "$db": "admin"}, 1))
    ((_, _, _, first),) = read_replies(peer.take())
    tv = first["topologyVersion"]
    sess.feed(
        op_msg({"hello": 1, "$db": "admin", "topologyVersion": tv, "maxAwaitTimeMS": 10000}, 2)
    )
    assert peer.take() == b""
    # a request sent meanwhile waits behind the parked hello
    sess.feed(op_msg({"ping": 1, "$db": "admin"}, 3))
    clock.advance(9.9)
    assert peer.take() == b""
    clock.advance(0.2)
    replies = read_replies(peer.take())
    assert [r[0] for r in replies] == [2, 3]
    assert replies[0][3]["isWritablePrimary"] is True


def test_awaitable_hello_with_other_process_id_answers_now():
    sess, peer, server = make_session()
    tv = {"processId": bson.ObjectId(), "counter": 0}
    sess.feed(
        op_msg({"hello": 1, "$db": "admin", "topologyVersion": tv, "maxAwaitTimeMS": 10000}, 1)
    )
    ((_, _, _, doc),) = read_replies(peer.take())
    assert doc["topologyVersion"]["processId"] == server.process_id


def test_streaming_hello_with_exhaust_allowed_sends_more_to_come():
    from polystack.runtime.clock import ManualClock

    clock = ManualClock(1_700_000_000.0)
    sess, peer, server = make_session(clock)
    tv = server.topology_version()
    sess.feed(
        op_msg(
            {"hello": 1, "$db": "admin", "topologyVersion": tv, "maxAwaitTimeMS": 500},
            1,
            flags=wire.EXHAUST_ALLOWED,
        )
    )
    clock.advance(0.6)
    raw = peer.take()
    ((rto, _, flags, _),) = read_replies(raw)
    first_id = struct.unpack_from("<i", raw, 4)[0]
    assert rto == 1 and flags & wire.MORE_TO_COME
    clock.advance(0.6)
    ((rto2, _, flags2, _),) = read_replies(peer.take())
    assert rto2 == first_id and flags2 & wire.MORE_TO_COME


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=300))
def test_fuzz_random_bytes_never_crash_the_session(data):
    sess, peer, _ = make_session()
    sess.feed(data)  # must not raise: an error reply or a closed connection
    if not peer.closed:
        sess.feed(op_msg({"ping": 1, "$db": "admin"}, 99))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=16, max_value=400),
    st.binary(min_size=0, max_size=400),
    st.sampled_from([wire.OP_MSG, wire.OP_QUERY, wire.OP_COMPRESSED, 2002, 1, 9999]),
)
def test_fuzz_framed_garbage_never_crashes(length, body, op):
    sess, peer, _ = make_session()
    msg = struct.pack("<iiii", length, 1, 0, op) + body
    sess.feed(msg)
    sess.feed(b"\x00" * 64)
    # the server keeps serving others: a fresh session works
    other, other_peer, _ = make_session()
    other.feed(op_msg({"ping": 1, "$db": "admin"}, 5))
    assert read_replies(other_peer.take())[0][3]["ok"] == 1.0


def test_fuzz_mutated_valid_messages():
    import random

    rng = random.Random(1234)
    base = op_msg(
        {"insert": "c", "$db": "d"}, sequences={"documents": [{"a": i} for i in range(3)]}
    )
    for _ in range(500):
        b = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        sess, peer, _ = make_session()
        sess.feed(bytes(b))


def test_oversized_command_body_is_refused_with_bson_object_too_large():
    big = {"ping": 1, "$db": "admin", "pad": "x" * (16 * 1024 * 1024 + 20_000)}
    payload = struct.pack("<I", 0) + b"\x00" + bson.encode(big)
    with pytest.raises(MongoError) as e:
        wire.parse_op_msg(1, payload)
    assert e.value.code == 10334 and "BSONObj size" in e.value.errmsg


def test_kill_op_interrupts_a_waiting_operation():
    from polystack.runtime.clock import ManualClock

    clock = ManualClock(1_700_000_000.0)
    sess, peer, server = make_session(clock)
    sess.feed(op_msg({"hello": 1, "$db": "admin"}, 1))
    ((_, _, _, first),) = read_replies(peer.take())
    sess.feed(
        op_msg(
            {
                "hello": 1,
                "$db": "admin",
                "topologyVersion": first["topologyVersion"],
                "maxAwaitTimeMS": 60000,
            },
            2,
        )
    )
    assert peer.take() == b""
    opid = sess.client.current_op["opid"]
    other, other_peer, _ = make_session(clock)
    other.server = server
    other.feed(op_msg({"currentOp": 1, "$db": "admin"}, 3))
    sess.kill_current()
    ((rto, _, _, doc),) = read_replies(peer.take())
    assert rto == 2 and doc["code"] == 11601
    assert opid > 0


def test_hello_ok_and_idle_sessions_expire():
    from polystack.runtime.clock import ManualClock

    clock = ManualClock(1_700_000_000.0)
    sess, peer, server = make_session(clock)
    sess.feed(op_query("admin.$cmd", {"isMaster": 1, "helloOk": True}, 1))
    ((_, _, _, doc),) = read_replies(peer.take())
    assert doc["helloOk"] is True
    lsid = {"id": bson.Binary(b"s" * 16, 4)}
    sess.feed(op_msg({"ping": 1, "$db": "admin", "lsid": lsid}, 2))
    assert len(server.sessions) == 1
    clock.advance(29 * 60)
    assert server.expire_sessions() == 0
    clock.advance(2 * 60)
    assert server.expire_sessions() == 1 and not server.sessions


def test_retried_write_is_not_applied_twice():
    sess, peer, server = make_session()
    lsid = {"id": bson.Binary(b"r" * 16, 4)}
    body = {
        "update": "c",
        "updates": [{"q": {"_id": 1}, "u": {"$inc": {"n": 1}}, "upsert": True}],
        "$db": "d",
        "lsid": lsid,
        "txnNumber": bson.Int64(7),
    }
    sess.feed(op_msg(body, 1))
    ((_, _, _, first),) = read_replies(peer.take())
    sess.feed(op_msg(body, 2))  # the driver retries after a network error
    ((_, _, _, again),) = read_replies(peer.take())
    assert again["n"] == first["n"] == 1 and again["upserted"] == first["upserted"]
    sess.feed(op_msg({"find": "c", "filter": {}, "$db": "d"}, 3))
    ((_, _, _, found),) = read_replies(peer.take())
    assert found["cursor"]["firstBatch"] == [{"_id": 1, "n": 1}]
    sess.feed(op_msg({**body, "txnNumber": bson.Int64(6)}, 4))
    ((_, _, _, old),) = read_replies(peer.take())
    assert old["code"] == 225 and old["codeName"] == "TransactionTooOld"
    sess.feed(op_msg({**body, "txnNumber": bson.Int64(8)}, 5))
    read_replies(peer.take())
    sess.feed(op_msg({"find": "c", "filter": {}, "$db": "d"}, 6))
    ((_, _, _, found),) = read_replies(peer.take())
    assert found["cursor"]["firstBatch"] == [{"_id": 1, "n": 2}]
