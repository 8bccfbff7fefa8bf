"""consumer_timeout: a channel holding a delivery unacknowledged too long is closed with
RabbitMQ's 406 and its deliveries requeued; on a ManualClock, and through pika."""

from __future__ import annotations

import time

import pika
import pytest
from pamqp.commands import Basic, Channel, Queue

from polystack import testing

from .harness import Client, make_broker

TEXT = (
    "PRECONDITION_FAILED - delivery acknowledgement on channel {} timed out. Timeout value "
    "used: {} ms. This timeout value can be configured, see consumers doc guide to learn more"
)


def frames(out, kind):
    return [(ch, f) for ch, f in out if isinstance(f, kind)]


def test_unacked_delivery_closes_its_channel_after_the_timeout_and_is_requeued():
    b = make_broker(consumer_timeout=10_000)
    b.start_stats()
    c = Client(b).open()
    c.send(1, Queue.Declare(queue="q"))
    c.send(2, Channel.Open())
    c.send(1, Basic.Consume(queue="q", consumer_tag="slow"))
    c.send(2, Basic.Consume(queue="q", consumer_tag="fast"))
    c.publish(1, b"a", routing_key="q")  # to "slow" (round-robin)
    c.publish(1, b"b", routing_key="q")  # to "fast"
    c.read()
    c.send(2, Basic.Ack(delivery_tag=1))
    b.clock.advance(9)
    assert c.read() == []
    for _ in range(5):  # "fast" keeps acknowledging in time
        c.publish(1, b"c", routing_key="q")
    b.clock.advance(3)
    out = c.read()
    closes = frames(out, Channel.Close)
    assert [(ch, f.reply_code, f.reply_text, f.class_id, f.method_id) for ch, f in closes] == [
        (1, 406, TEXT.format(1, 10000), 0, 0)
    ]
    # "a" went back to the queue and to the remaining consumer, redelivered
    deliveries = [f for ch, f in frames(out, Basic.Deliver) if ch == 2]
    assert any(f.redelivered for f in deliveries)
    assert 2 in c.conn.channels and c.conn.channels[2].state == 1


def test_basic_get_counts_and_zero_disables():
    b = make_broker(consumer_timeout=2_000)
    b.start_stats()
    c = Client(b).open()
    c.send(1, Queue.Declare(queue="q"))
    c.publish(1, b"a", routing_key="q")
    c.send(1, Basic.Get(queue="q"))
    b.clock.advance(2.5)
    assert frames(c.read(), Channel.Close)[0][1].reply_code == 406
    b2 = make_broker(consumer_timeout=0)
    b2.start_stats()
    c2 = Client(b2).open()
    c2.send(1, Queue.Declare(queue="q"))
    c2.publish(1, b"a", routing_key="q")
    c2.send(1, Basic.Get(queue="q"))
    b2.clock.advance(7200)
    assert frames(c2.read(), Channel.Close) == []


@pytest.mark.slow
def test_pika_consumer_timeout(tmp_path):
    with testing.serve(amqp=True, data_dir=tmp_path,
                       config_overrides={"amqp.consumer_timeout": 500}) as s:  # fmt: skip
        conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", s.ports["amqp"]))
        ch = conn.channel()
        ch.queue_declare("ct")
        ch.basic_publish("", "ct", b"x")
        ch.basic_get("ct")
        deadline = time.monotonic() + 10
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as err:
            while time.monotonic() < deadline:
                time.sleep(0.1)
                ch.queue_declare("ct", passive=True)
        assert err.value.reply_code == 406
        assert err.value.reply_text == TEXT.format(1, 500)
        ch2 = conn.channel()
        assert ch2.queue_declare("ct", passive=True).method.message_count == 1  # requeued
        conn.close()
