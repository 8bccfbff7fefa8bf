"""The sans-I/O codec: frames, hand-decoded hot methods, tables that keep their types."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pamqp import frame, header
from pamqp.commands import Basic, Exchange, Queue

from polystack.amqp import table, wire
from polystack.amqp.errors import AMQPError, FrameError


def payload(method, channel: int = 1) -> bytes:
    return frame.marshal(method, channel)[7:-1]


def test_publish_fast_path_matches_pamqp():
    idx, m = wire.decode_method(
        payload(Basic.Publish(exchange="ex", routing_key="r.k", mandatory=True))
    )
    assert idx == wire.BASIC_PUBLISH
    assert (m.exchange, m.routing_key, m.mandatory, m.immediate) == ("ex", "r.k", True, False)


@pytest.mark.parametrize(
    "method,expected",
    [
        (Basic.Ack(7, True), (7, True, None)),
        (Basic.Nack(9, False, True), (9, False, True)),
        (Basic.Nack(9, True, False), (9, True, False)),
        (Basic.Reject(3, False), (3, False, False)),
        (Basic.Reject(3, True), (3, False, True)),
    ],
)
def test_ack_family(method, expected):
    _, m = wire.decode_method(payload(method))
    assert (m.delivery_tag, m.multiple, m.requeue) == expected


def test_generic_methods_keep_table_types():
    _, m = wire.decode_method(
        payload(Queue.Declare(queue="q", durable=True, arguments={"x-message-ttl": 100, "s": "v"}))
    )
    assert m.queue == "q" and m.durable and not m.exclusive
    assert m.arguments == {"x-message-ttl": 100, "s": "v"}
    assert m.arguments.types == {"x-message-ttl": "b", "s": "S"}
    _, m = wire.decode_method(
        payload(Exchange.Declare(exchange="x", exchange_type="topic", durable=True, internal=True))
    )
    assert (m.exchange, m.exchange_type, m.durable, m.auto_delete, m.internal) == (
        "x",
        "topic",
        True,
        False,
        True,
    )


def test_unknown_method_is_a_hard_error():
    with pytest.raises(AMQPError) as e:
        wire.decode_method(b"\x00\x63\x00\x01")
    assert e.value.reply_code == 540 and e.value.connection


def test_truncated_method_is_a_syntax_error():
    raw = payload(Queue.Declare(queue="abcdef"))
    with pytest.raises(AMQPError) as e:
        wire.decode_method(raw[:8])
    assert e.value.reply_code == 502


def test_frame_reader_splits_and_checks_end_marker():
    r = wire.FrameReader(131072)
    data = frame.marshal(Basic.Ack(1), 1) + frame.marshal(Basic.Ack(2), 2)
    frames: list = []
    assert r.feed(data[:5], lambda *f: frames.append(f)) == 0
    assert r.feed(data[5:], lambda *f: frames.append(f), limit=1) == 1
    assert r.has_frame()
    assert r.feed(b"", lambda *f: frames.append(f)) == 1
    assert [(t, c) for t, c, _ in frames] == [(1, 1), (1, 2)]
    with pytest.raises(FrameError):
        r.feed(b"\x01\x00\x01\x00\x00\x00\x01\x00\xcd", lambda *f: None)


def test_frame_reader_rejects_oversized_frames():
    r = wire.FrameReader(4096)
    with pytest.raises(FrameError):
        r.feed(b"\x03\x00\x01\x00\x01\x00\x00", lambda *f: None)


def test_properties_summary_and_decode():
    props = Basic.Properties(
        content_type="text/plain",
        headers={"a": 1},
        delivery_mode=2,
        priority=5,
        reply_to="rq",
        expiration="1000",
        user_id="guest",
        timestamp=None,
    )
    raw = frame.marshal(header.ContentHeader(0, 3, props), 1)[7 + 12 : -1]
    s = wire.summarize(raw)
    assert (s.delivery_mode, s.priority, s.reply_to, s.expiration, s.user_id, s.has_headers) == (
        2,
        5,
        "rq",
        "1000",
        "guest",
        True,
    )
    p = wire.decode_properties(raw)
    assert p.content_type == "text/plain" and p.headers == {"a": 1}
    assert wire.decode_properties(wire.encode_properties(p)).as_dict() == p.as_dict()


values = st.recursive(
    st.one_of(
        st.booleans(),
        st.integers(-(2**63), 2**63 - 1),
        st.text(max_size=20),
        st.floats(allow_nan=False),
        st.none(),
        st.binary(max_size=10),
    ),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=20), values, max_size=6))
def test_table_round_trip(d):
    raw = table.encode_table(d)
    decoded, end = table.decode_table(raw)
    assert end == len(raw)
    assert decoded == d
    assert table.encode_table(decoded) == raw


@given(st.binary(max_size=200))
def test_table_decoder_never_crashes(data):
    try:
        table.decode_table(data)
    except (ValueError, IndexError, UnicodeDecodeError, Exception) as e:  # noqa: BLE001
        assert not isinstance(e, (RecursionError, MemoryError))
