"""Features through pika's BlockingConnection against an in-process polystack."""

from __future__ import annotations

import time
import uuid

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker, UnroutableError


@pytest.fixture
def conn(amqp_port):
    c = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", amqp_port))
    yield c
    if c.is_open:
        c.close()


def wait_for(conn, cond, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.05)


def name(prefix: str = "q") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_publish_get_ack(conn):
    ch = conn.channel()
    q = name()
    ok = ch.queue_declare(q)
    assert ok.method.queue == q and ok.method.message_count == 0
    ch.basic_publish("", q, b"hello", pika.BasicProperties(content_type="text/plain"))
    method, props, body = ch.basic_get(q)
    assert body == b"hello" and props.content_type == "text/plain"
    assert method.message_count == 0 and not method.redelivered
    ch.basic_ack(method.delivery_tag)
    assert ch.basic_get(q) == (None, None, None)


def test_server_named_queue(conn):
    ch = conn.channel()
    ok = ch.queue_declare("", exclusive=True)
    assert ok.method.queue.startswith("amq.gen-") and len(ok.method.queue) == 30


def test_consume_with_prefetch_and_requeue_keeps_order(conn):
    ch = conn.channel()
    q = name()
    ch.queue_declare(q)
    for i in range(5):
        ch.basic_publish("", q, str(i).encode())
    first = [ch.basic_get(q) for _ in range(3)]
    ch.basic_nack(first[2][0].delivery_tag, multiple=True, requeue=True)
    bodies = []
    for _ in range(5):
        m, p, b = ch.basic_get(q, auto_ack=True)
        bodies.append((b, m.redelivered))
    assert bodies == [
        (b"0", True),
        (b"1", True),
        (b"2", True),
        (b"3", False),
        (b"4", False),
    ]


def test_consumer_round_robin_and_qos(conn):
    ch = conn.channel()
    q = name()
    ch.queue_declare(q)
    ch.basic_qos(prefetch_count=1)
    got: list[tuple[str, bytes]] = []

    def on(tag):
        def cb(c, m, p, b):
            got.append((tag, b))

        return cb

    ch.basic_consume(q, on("a"), consumer_tag="a")
    ch.basic_consume(q, on("b"), consumer_tag="b")
    for i in range(4):
        ch.basic_publish("", q, str(i).encode())
    wait_for(conn, lambda: len(got) >= 2)
    conn.process_data_events(time_limit=0.2)
    # prefetch 1: each consumer holds one unacknowledged message
    assert sorted(t for t, _ in got) == ["a", "b"]
    assert ch.queue_declare(q, passive=True).method.message_count == 2


def test_confirms_and_mandatory_return(conn):
    ch = conn.channel()
    ch.confirm_delivery()
    q = name()
    ch.queue_declare(q)
    ch.basic_publish("", q, b"x", mandatory=True)
    with pytest.raises(UnroutableError):
        ch.basic_publish("amq.direct", "nowhere", b"y", mandatory=True)


def test_topic_fanout_headers_routing(conn):
    ch = conn.channel()
    qs = [name() for _ in range(4)]
    for q in qs:
        ch.queue_declare(q, exclusive=True)
    x = name("x")
    ch.exchange_declare(x, "topic")
    ch.queue_bind(qs[0], x, "a.*.c")
    ch.queue_bind(qs[1], x, "a.#")
    ch.queue_bind(qs[2], x, "#")
    ch.queue_bind(qs[3], x, "*.b")
    ch.basic_publish(x, "a.b.c", b"1")
    ch.basic_publish(x, "a", b"2")
    ch.basic_publish(x, "z.b", b"3")
    counts = [ch.queue_declare(q, passive=True).method.message_count for q in qs]
    assert counts == [1, 2, 3, 1]
    hx = name("h")
    ch.exchange_declare(hx, "headers")
    hq = name()
    ch.queue_declare(hq, exclusive=True)
    ch.queue_bind(hq, hx, arguments={"x-match": "any", "k1": "v1", "k2": 2})
    ch.basic_publish(hx, "", b"a", pika.BasicProperties(headers={"k1": "v1"}))
    ch.basic_publish(hx, "", b"b", pika.BasicProperties(headers={"k1": "nope"}))
    ch.basic_publish(hx, "", b"c", pika.BasicProperties(headers={"k2": 2}))
    assert ch.queue_declare(hq, passive=True).method.message_count == 2


def test_exchange_to_exchange_and_alternate(conn):
    ch = conn.channel()
    src, dst, ae = name("x"), name("x"), name("x")
    ch.exchange_declare(ae, "fanout")
    ch.exchange_declare(src, "direct", arguments={"alternate-exchange": ae})
    ch.exchange_declare(dst, "fanout")
    ch.exchange_bind(dst, src, "k")
    q1, q2 = name(), name()
    ch.queue_declare(q1, exclusive=True)
    ch.queue_declare(q2, exclusive=True)
    ch.queue_bind(q1, dst)
    ch.queue_bind(q2, ae)
    ch.basic_publish(src, "k", b"routed")
    ch.basic_publish(src, "other", b"alternate")
    assert ch.basic_get(q1, auto_ack=True)[2] == b"routed"
    assert ch.basic_get(q2, auto_ack=True)[2] == b"alternate"


def test_precondition_failed_text(conn):
    ch = conn.channel()
    q = name()
    ch.queue_declare(q)
    with pytest.raises(ChannelClosedByBroker) as e:
        ch.queue_declare(q, durable=True)
    assert e.value.reply_code == 406
    assert e.value.reply_text == (
        f"PRECONDITION_FAILED - inequivalent arg 'durable' for queue '{q}' in vhost '/': "
        "received 'true' but current is 'false'"
    )


def test_transactions(conn):
    ch = conn.channel()
    q = name()
    ch.queue_declare(q)
    ch.tx_select()
    ch.basic_publish("", q, b"a")
    assert ch.queue_declare(q, passive=True).method.message_count == 0
    ch.tx_rollback()
    ch.basic_publish("", q, b"b")
    ch.tx_commit()
    assert ch.basic_get(q, auto_ack=True)[2] == b"b"


def test_direct_reply_to(conn):
    ch = conn.channel()
    server_q = name()
    ch.queue_declare(server_q, exclusive=True)
    replies = []
    ch.basic_consume("amq.rabbitmq.reply-to", lambda c, m, p, b: replies.append(b), auto_ack=True)
    ch.basic_publish("", server_q, b"ping", pika.BasicProperties(reply_to="amq.rabbitmq.reply-to"))
    m, p, b = ch.basic_get(server_q, auto_ack=True)
    assert p.reply_to.startswith("amq.rabbitmq.reply-to.")
    ch2 = conn.channel()
    ch2.basic_publish("", p.reply_to, b"pong")
    wait_for(conn, lambda: replies)
    assert replies == [b"pong"]


def test_dead_letter_on_reject_with_x_death(conn):
    ch = conn.channel()
    dlx, dlq, q = name("x"), name(), name()
    ch.exchange_declare(dlx, "fanout")
    ch.queue_declare(dlq, exclusive=True)
    ch.queue_bind(dlq, dlx)
    ch.queue_declare(q, exclusive=True, arguments={"x-dead-letter-exchange": dlx})
    ch.basic_publish("", q, b"dead", pika.BasicProperties(headers={"h": "v"}))
    m, _, _ = ch.basic_get(q)
    ch.basic_reject(m.delivery_tag, requeue=False)
    m, p, b = ch.basic_get(dlq, auto_ack=True)
    assert b == b"dead" and p.headers["h"] == "v"
    death = p.headers["x-death"][0]
    assert death["count"] == 1 and death["reason"] == "rejected" and death["queue"] == q
    assert death["exchange"] == "" and death["routing-keys"] == [q]
    assert p.headers["x-first-death-reason"] == "rejected"


def test_select_connection_publish_consume(amqp_port):
    """pika's asynchronous SelectConnection: declare, confirm, consume, ack, close."""
    q = name()
    result: dict = {"got": [], "acks": 0}
    params = pika.ConnectionParameters("127.0.0.1", amqp_port)

    def on_open(conn):
        conn.channel(on_open_callback=on_channel)

    def on_channel(ch):
        result["ch"] = ch
        ch.confirm_delivery(on_confirm)
        ch.queue_declare(q, exclusive=True, callback=on_declared)

    def on_confirm(frame):
        # basic.ack with ``multiple`` confirms every tag up to this one
        result["acks"] = max(result["acks"], frame.method.delivery_tag)

    def on_declared(_frame):
        ch = result["ch"]
        for i in range(3):
            ch.basic_publish("", q, b"s%d" % i)
        ch.basic_consume(q, on_message)

    def on_message(ch, method, props, body):
        result["got"].append(body)
        ch.basic_ack(method.delivery_tag)
        if len(result["got"]) == 3:
            ch.connection.close()

    conn = pika.SelectConnection(params, on_open_callback=on_open,
                                 on_close_callback=lambda c, r: c.ioloop.stop())  # fmt: skip
    conn.ioloop.call_later(10, conn.ioloop.stop)
    conn.ioloop.start()
    assert result["got"] == [b"s0", b"s1", b"s2"]
    assert result["acks"] == 3
