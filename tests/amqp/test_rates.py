"""Management message rates on a ManualClock: samples every collect_statistics_interval, rates
from the last two samples (0.0 once the last sample is stale), ranges with ``msg_rates_age``."""

from __future__ import annotations

import base64
import json

from pamqp.commands import Basic, Channel, Confirm, Queue

from polystack.amqp.management import Management, Request

from .harness import Client, make_broker


def get(m: Management, path: str, **query: str) -> dict:
    token = base64.b64encode(b"guest:guest").decode()
    req = Request("GET", "/api/" + path, query=query, headers={"authorization": "Basic " + token})
    resp = m.handle(req)
    assert resp.status == 200, resp.body
    return json.loads(resp.body)


def setup():
    b = make_broker(collect_statistics_interval=5000)
    b.start_stats()
    c = Client(b).open()
    c.send(1, Queue.Declare(queue="q"))
    return b, c, Management(b)


def test_publish_rate_per_queue_exchange_channel_connection_vhost_and_overview():
    b, c, m = setup()
    assert "message_stats" not in get(m, "queues/%2F/q")  # nothing happened yet: no stats
    for _ in range(10):
        c.publish(1, b"x" * 100, routing_key="q")
    b.clock.advance(5)
    for _ in range(20):
        c.publish(1, b"x" * 100, routing_key="q")
    b.clock.advance(5)
    q = get(m, "queues/%2F/q")
    assert q["message_stats"]["publish"] == 30
    assert q["message_stats"]["publish_details"] == {"rate": 4.0}  # 20 messages in 5 s
    assert q["messages"] == 30 and q["messages_details"]["rate"] == 4.0
    assert "deliver_get" not in q["message_stats"]  # nothing delivered: only publish stats
    x = get(m, "exchanges/%2F/amq.default")
    assert x["message_stats"]["publish_in_details"]["rate"] == 4.0
    assert x["message_stats"]["publish_out_details"]["rate"] == 4.0
    (ch,) = get(m, "channels")
    assert ch["message_stats"]["publish"] == 30
    assert ch["message_stats"]["publish_details"]["rate"] == 4.0
    assert "deliver_get" not in ch["message_stats"]
    (conn,) = get(m, "connections")
    assert conn["recv_oct_details"]["rate"] > 0
    v = get(m, "vhosts/%2F")
    assert v["message_stats"]["publish_details"]["rate"] == 4.0
    o = get(m, "overview")
    assert o["message_stats"]["publish_details"]["rate"] == 4.0
    assert o["queue_totals"]["messages_ready_details"]["rate"] == 4.0
    assert o["churn_rates"]["queue_declared"] == 1
    # an idle interval: the rate falls to 0.0 at the next sample
    b.clock.advance(5)
    assert get(m, "queues/%2F/q")["message_stats"]["publish_details"]["rate"] == 0.0
    assert get(m, "overview")["message_stats"]["publish_details"]["rate"] == 0.0


def test_deliver_ack_and_get_rates_and_stale_samples_read_zero():
    b, c, m = setup()
    for _ in range(10):
        c.publish(1, b"m", routing_key="q")
    b.clock.advance(5)
    c.send(1, Basic.Get(queue="q"), Basic.Get(queue="q", no_ack=True))
    c.send(1, Basic.Consume(queue="q", consumer_tag="t"))
    c.send(1, Basic.Ack(delivery_tag=0, multiple=True))
    b.clock.advance(5)
    s = get(m, "queues/%2F/q")["message_stats"]
    assert (s["get"], s["get_no_ack"], s["deliver"], s["ack"], s["deliver_get"]) == (1, 1, 8, 9, 10)
    assert s["deliver_get_details"]["rate"] == 2.0 and s["ack_details"]["rate"] == 1.8
    (ch,) = get(m, "channels")
    assert ch["message_stats"]["deliver_details"]["rate"] == 1.6
    # the timer stops (as when statistics are not collected): the last sample goes stale and
    # RabbitMQ reports 0.0 rather than an old rate
    b.stop_stats()
    b.clock.advance(10)
    s = get(m, "queues/%2F/q")["message_stats"]
    assert s["ack"] == 9 and s["ack_details"]["rate"] == 0.0


def test_closed_channels_stay_in_vhost_totals_and_confirm_rate():
    b, c, m = setup()
    c.send(2, Channel.Open())
    c.send(2, Confirm.Select())
    for _ in range(5):
        c.publish(2, b"m", routing_key="q")
    c.publish(2, b"m", routing_key="nowhere")
    b.clock.advance(5)
    c.send(2, Channel.Close(200, "bye", 0, 0))
    b.clock.advance(5)
    v = get(m, "vhosts/%2F")["message_stats"]
    assert v["publish"] == 6 and v["confirm"] == 6 and v["drop_unroutable"] == 1
    o = get(m, "overview")["message_stats"]
    assert o["confirm"] == 6 and o["drop_unroutable"] == 1


def test_msg_rates_age_returns_samples_and_averages():
    b, c, m = setup()
    for step in range(4):
        for _ in range(step * 5):
            c.publish(1, b"m", routing_key="q")
        b.clock.advance(5)
    d = get(m, "queues/%2F/q", msg_rates_age="15", msg_rates_incr="5", lengths_age="10",
            lengths_incr="5")["message_stats"]["publish_details"]  # fmt: skip
    samples = [s["sample"] for s in d["samples"]]
    assert samples == [30, 15, 5, 0]  # newest first, cumulative
    ts = [s["timestamp"] for s in d["samples"]]
    assert all(t % 5000 == 0 for t in ts) and ts == sorted(ts, reverse=True)
    assert d["avg_rate"] == 2.0  # 30 messages over 15 s
    assert d["avg"] == 12.5
    q = get(m, "queues/%2F/q", lengths_age="10", lengths_incr="5")
    assert [s["sample"] for s in q["messages_details"]["samples"]] == [30, 15, 5]
