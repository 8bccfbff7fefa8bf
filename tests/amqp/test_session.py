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


def test_deliveries_stop_at_the_output_high_water_mark_and_resume():
    b = make_broker()
    c = Client(b).open()
    c.peer.high_water = 1 << 20
    c.send(1, Queue.Declare(queue="big"))
    for _ in range(300):
        c.publish(1, b"x" * 10_000, routing_key="big")
    c.read()
    c.peer.written.clear()
    c.seen = 0
    out = c.send(1, Basic.Consume(queue="big", no_ack=True))
    delivered = sum(1 for _, f in out if isinstance(f, Basic.Deliver))
    assert 100 <= delivered < 300  # stopped near 1 MiB of output, the rest stays queued
    assert b.vhosts["/"].queues["big"].message_count == 300 - delivered
    c.peer.written.clear()
    c.seen = 0
    c.conn.resume_writing()  # the runtime calls this once the client drained its output
    more = sum(1 for _, f in c.read() if isinstance(f, Basic.Deliver))
    assert more > 0 and b.vhosts["/"].queues["big"].message_count == 300 - delivered - more


def test_memory_alarm_blocks_publishers_with_connection_blocked():
    b = make_broker(memory_high_watermark=1 << 20)
    pub = Client(b).open()
    pub.send(1, Queue.Declare(queue="mem"))
    other = Client(b).open()
    out = []
    for _ in range(200):
        out += pub.publish(1, b"y" * 10_000, routing_key="mem")
    blocked = [f for _, f in out if isinstance(f, C.Blocked)]
    assert blocked and blocked[0].reason == "low on memory"
    assert not pub.peer.reading  # the publisher is no longer read from
    # a consumer-only connection keeps working and draining clears the alarm
    got = 0
    while True:
        r = other.send(1, Basic.Get(queue="mem", no_ack=True))
        if isinstance(r[0][1], Basic.GetEmpty):
            break
        got += 1
    assert got > 0
    assert any(isinstance(f, C.Unblocked) for _, f in pub.read())
    assert pub.peer.reading


def test_publish_fast_path_matches_frame_by_frame():
    """A publish whose three frames arrive together takes one call; the replies are the same as
    when the frames arrive one by one (including errors and an empty body)."""
    from pamqp import body as pbody
    from pamqp import frame
    from pamqp import header as pheader

    def publish_bytes(exchange: str, rk: str, payload: bytes) -> bytes:
        data = frame.marshal(Basic.Publish(exchange=exchange, routing_key=rk), 1)
        data += frame.marshal(pheader.ContentHeader(0, len(payload), Basic.Properties()), 1)
        if payload:
            data += frame.marshal(pbody.ContentBody(payload), 1)
        return data

    stream = b"".join(
        [
            frame.marshal(Queue.Declare(queue="fp"), 1),
            publish_bytes("", "fp", b"one"),
            publish_bytes("", "fp", b""),
            publish_bytes("missing", "fp", b"lost"),
            publish_bytes("", "fp", b"dropped on a closing channel"),
        ]
    )
    outputs = []
    for chunk in (len(stream), 1):
        b = make_broker()
        c = Client(b).open()
        out = []
        for i in range(0, len(stream), chunk):
            out += c.feed(stream[i : i + chunk])
        out += c.send(1, Channel.CloseOk()) + c.send(1, Channel.Open())
        out += c.send(1, Basic.Get(queue="fp", no_ack=True)) + c.send(
            1, Basic.Get(queue="fp", no_ack=True)
        )
        outputs.append([(ch, type(f).__name__, getattr(f, "reply_text", None)) for ch, f in out])
    assert outputs[0] == outputs[1]
    assert outputs[0][1][2] == "NOT_FOUND - no exchange 'missing' in vhost '/'"


def test_input_beyond_the_turn_budget_is_always_continued():
    """A connection that handled its budget of frames yields the loop and continues on the next
    turn — also when a whole publish (three frames) took it past the budget (it stalled: the
    client waited for confirms the broker never got to)."""
    from pamqp import body as pbody
    from pamqp import frame
    from pamqp import header as pheader

    from polystack.amqp import session as S

    b = make_broker()
    c = Client(b).open()
    c.send(1, Queue.Declare(queue="budget"))
    one = (
        frame.marshal(Basic.Publish(exchange="", routing_key="budget"), 1)
        + frame.marshal(pheader.ContentHeader(0, 3, Basic.Properties()), 1)
        + frame.marshal(pbody.ContentBody(b"abc"), 1)
    )
    n = S.FRAME_BUDGET  # one single frame first: the publishes cross the budget mid-publish
    c.feed(frame.marshal(Basic.Qos(0, 0, False), 1) + one * n)
    for _ in range(10):
        b.clock.advance(0)
    assert b.vhosts["/"].queues["budget"].message_count == n
    assert c.peer.reading  # reading resumed once the buffer was drained
