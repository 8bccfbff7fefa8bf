"""The connection state machine driven with raw frames (no sockets, a ManualClock)."""

from __future__ import annotations

import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pamqp.commands import Basic, Channel, Queue
from pamqp.commands import Connection as C

from .harness import Client, make_broker


def test_wrong_protocol_header_gets_ours_and_close():
    b = make_broker()
    c = Client(b)
    out = c.feed(b"AMQP\x00\x00\x08\x00")
    assert out == [(0, b"AMQP\x00\x00\x09\x01")]
    assert c.peer.closed


def test_http_request_is_refused_with_security_log(caplog):
    b = make_broker()
    c = Client(b)
    with caplog.at_level(logging.WARNING):
        assert c.feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") == []
    assert c.peer.closed
    assert any("SECURITY" in r.message for r in caplog.records)
    c2 = Client(b)
    c2.feed(b"POST")
    assert c2.peer.closed


def test_start_offers_rabbitmq_identity_and_capabilities():
    c = Client(make_broker())
    ((_, start),) = c.feed(b"AMQP\x00\x00\x09\x01")
    assert isinstance(start, C.Start)
    assert start.mechanisms == "AMQPLAIN PLAIN" and start.locales == "en_US"
    props = start.server_properties
    assert props["product"] == "RabbitMQ"
    for cap in ("publisher_confirms", "exchange_exchange_bindings", "basic.nack",
                "consumer_cancel_notify", "connection.blocked", "authentication_failure_close",
                "per_consumer_qos", "direct_reply_to"):  # fmt: skip
        assert props["capabilities"][cap] is True


def test_bad_password_with_authentication_failure_close():
    c = Client(make_broker())
    out = c.handshake(password="wrong")
    ((_, close),) = out
    assert isinstance(close, C.Close) and close.reply_code == 403
    assert close.reply_text == (
        "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. "
        "For details see the broker logfile."
    )


def test_bad_password_without_capability_closes_socket():
    c = Client(make_broker())
    assert c.handshake(password="wrong", caps={}) == []
    assert c.peer.closed


def test_guest_only_from_loopback():
    b = make_broker()
    c = Client(b, host="10.1.2.3")
    ((_, close),) = c.handshake()
    assert close.reply_code == 403
    b.put_user("bob", __import__("polystack.amqp.auth").amqp.auth.hash_password("pw"), [])
    b.set_permissions("bob", "/", ".*", ".*", ".*")
    c2 = Client(b, host="10.1.2.3")
    assert isinstance(c2.handshake(user="bob", password="pw")[-1][1], C.OpenOk)


def test_amqplain_mechanism():
    from polystack.amqp.table import encode_table

    c = Client(make_broker())
    c.feed(b"AMQP\x00\x00\x09\x01")
    resp = encode_table({"LOGIN": "guest", "PASSWORD": "guest"})[4:].decode()
    ((_, tune),) = c.send(0, C.StartOk(client_properties={}, mechanism="AMQPLAIN", response=resp))
    assert isinstance(tune, C.Tune)
    assert (tune.channel_max, tune.frame_max, tune.heartbeat) == (2047, 131072, 60)


def test_unknown_vhost_and_refused_vhost():
    b = make_broker()
    ((_, close),) = Client(b).handshake(vhost="nope")
    assert (close.reply_code, close.reply_text) == (530, "NOT_ALLOWED - vhost nope not found")
    b.add_vhost("other")
    ((_, close),) = Client(b).handshake(vhost="other")
    assert close.reply_text == "NOT_ALLOWED - access to vhost 'other' refused for user 'guest'"


def test_heartbeats_sent_and_missed_heartbeats_close():
    b = make_broker()
    c = Client(b).open(heartbeat=10)
    b.clock.advance(5.1)  # something was sent in this interval: no heartbeat needed
    c.peer.written.clear()
    c.seen = 0
    b.clock.advance(5)
    assert c.peer.written == [b"\x08\x00\x00\x00\x00\x00\x00\xce"]
    c.feed(b"\x08\x00\x00\x00\x00\x00\x00\xce")  # the client's heartbeat keeps it alive
    b.clock.advance(20)
    assert not c.peer.closed
    b.clock.advance(20)  # nothing from the client for two intervals
    assert c.peer.closed
    assert c.conn not in b.connections


def test_handshake_timeout_closes():
    b = make_broker()
    c = Client(b)
    c.feed(b"AMQP\x00\x00\x09\x01")
    b.clock.advance(11)
    assert c.peer.closed


def test_graceful_close_both_ways():
    b = make_broker()
    c = Client(b).open()
    c.send(1, Queue.Declare(queue="q", exclusive=True))
    ((_, ok),) = c.send(0, C.Close(200, "bye", 0, 0))
    assert isinstance(ok, C.CloseOk) and c.peer.closed
    assert "q" not in b.vhosts["/"].queues  # exclusive queue went with its connection
    c2 = Client(b).open()
    c2.conn.shutdown()
    ((_, close),) = c2.read()
    assert close.reply_code == 320
    assert close.reply_text == (
        "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'"
    )
    c2.send(0, C.CloseOk())
    assert c2.peer.closed


def test_channel_error_discards_frames_until_close_ok():
    b = make_broker()
    c = Client(b).open()
    ((_, close),) = c.send(1, Queue.Declare(queue="missing", passive=True))
    assert close.reply_code == 404
    assert c.send(1, Queue.Declare(queue="x")) == []
    assert c.publish(1, b"dropped", routing_key="x") == []
    c.send(1, Channel.CloseOk())
    ((_, ok),) = c.send(1, Channel.Open())
    assert isinstance(ok, Channel.OpenOk)


def test_large_message_split_into_frames():
    b = make_broker()
    c = Client(b).open()
    c.send(1, Queue.Declare(queue="big"))
    payload = bytes(range(256)) * 2000  # 512000 bytes, several frames
    c.publish(1, payload, routing_key="big")
    out = c.send(1, Basic.Get(queue="big", no_ack=True))
    bodies = [f.value for _, f in out if hasattr(f, "value") and isinstance(f.value, bytes)]
    assert len(bodies) == 4 and b"".join(bodies) == payload


def test_message_over_max_size():
    b = make_broker(max_message_size=100)
    c = Client(b).open()
    ((_, close),) = c.publish(1, b"x" * 200, routing_key="q")
    assert close.reply_code == 406
    assert close.reply_text == (
        "PRECONDITION_FAILED - message size 200 is larger than configured max size 100"
    )


def test_consumer_cancel_notify_on_queue_delete():
    b = make_broker()
    c = Client(b).open()
    c.send(1, Queue.Declare(queue="q"))
    c.send(1, Basic.Consume(queue="q", consumer_tag="ct"))
    other = Client(b).open()
    other.send(1, Queue.Delete(queue="q"))
    ((_, cancel),) = c.read()
    assert isinstance(cancel, Basic.Cancel) and cancel.consumer_tag == "ct"


frames = st.lists(
    st.tuples(st.sampled_from([1, 2, 3, 8, 0, 9]), st.integers(0, 3), st.binary(max_size=40)),
    max_size=8,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(frames, st.binary(max_size=30))
def test_fuzz_frames_never_crash_the_broker(fs, tail):
    """Malformed frames end in an error reply or a closed connection; others keep working."""
    import struct

    b = make_broker()
    bystander = Client(b).open()
    bystander.send(1, Queue.Declare(queue="safe"))
    c = Client(b).open()
    data = b"".join(struct.pack(">BHI", t, ch, len(p)) + p + b"\xce" for t, ch, p in fs) + tail
    c.conn.feed(data)  # must not raise
    out = bystander.publish(1, b"ok", routing_key="safe")
    assert out == []
    got = bystander.send(1, Basic.Get(queue="safe", no_ack=True))
    assert isinstance(got[0][1], Basic.GetOk)


def test_frame_too_large_text():
    c = Client(make_broker()).open()
    ((_, close),) = c.feed(b"\x03\x00\x01\x00\x03\x00\x00" + b"x" * 100)
    assert close.reply_code == 501
    assert close.reply_text == (
        "FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,196608,131064}"
    )
