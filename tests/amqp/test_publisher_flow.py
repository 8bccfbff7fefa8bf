"""Publisher flow control on a ManualClock: a publisher stops being read while a queue it feeds
has consumers that cannot keep up, and is read again once they drain it, the consumers go, the
queue goes, or MAX_PAUSE passed."""

from __future__ import annotations

import pytest
from pamqp.commands import Basic, Queue

from polystack.amqp import flow
from polystack.amqp.management_format import format_connection

from .harness import Client, make_broker


class _M:
    def __init__(self, broker) -> None:
        self.broker = broker
        self.ranges: dict = {}
        self.node = "n"


@pytest.fixture(autouse=True)
def small_marks(monkeypatch):
    monkeypatch.setattr(flow, "HIGH", 20)
    monkeypatch.setattr(flow, "LOW", 10)


def setup(prefetch: int = 5):
    b = make_broker()
    cons = Client(b).open()
    cons.send(1, Queue.Declare(queue="q"))
    cons.send(1, Basic.Qos(prefetch_count=prefetch))
    cons.send(1, Basic.Consume(queue="q", consumer_tag="c"))
    pub = Client(b).open()
    return b, cons, pub


def publish(pub: Client, n: int, rk: str = "q") -> None:
    for _ in range(n):
        pub.publish(1, b"m" * 10, routing_key=rk)


def test_publisher_waits_while_consumers_are_behind_and_resumes_when_they_drain():
    b, cons, pub = setup()
    publish(pub, 25)  # 5 delivered (prefetch), 20 ready: at the mark
    assert pub.peer.reading
    publish(pub, 1)
    assert not pub.peer.reading
    assert format_connection(_M(b), pub.conn)["state"] == "flow"
    assert b.counters.flow_paused == 1
    q = b.vhosts["/"].queues["q"]
    # the consumer acknowledges: the queue drains to LOW, the publisher is read again
    tag = 5
    while len(q.ready) > 10:
        assert not pub.peer.reading
        cons.send(1, Basic.Ack(delivery_tag=tag, multiple=True))
        tag += 5
    assert pub.peer.reading
    assert format_connection(_M(b), pub.conn)["state"] == "running"
    assert q.flow_waiters is None and not pub.conn.flow_queues


def test_no_flow_without_consumers_and_for_a_connection_consuming_the_queue():
    b = make_broker()
    pub = Client(b).open()
    pub.send(1, Queue.Declare(queue="backlog"))
    publish(pub, 50, "backlog")  # a queue without consumers: a backlog is normal
    assert pub.peer.reading
    pub.send(1, Basic.Qos(prefetch_count=1))
    pub.send(1, Basic.Consume(queue="backlog", consumer_tag="self"))
    publish(pub, 50, "backlog")  # it consumes the queue itself: its acks drain it
    assert pub.peer.reading and not pub.conn.flow_queues


def test_cancel_delete_purge_and_max_pause_let_publishers_go():
    b, cons, pub = setup()
    publish(pub, 30)
    assert not pub.peer.reading
    cons.send(1, Basic.Cancel(consumer_tag="c"))  # no consumers: nobody is behind
    assert pub.peer.reading
    cons.send(1, Basic.Consume(queue="q", consumer_tag="c2"))
    publish(pub, 1)
    assert not pub.peer.reading
    cons.send(1, Queue.Purge(queue="q"))
    assert pub.peer.reading
    publish(pub, 30)
    assert not pub.peer.reading
    cons.send(1, Queue.Delete(queue="q"))
    assert pub.peer.reading
    assert b.vhosts["/"].queues.get("q") is None


def test_a_pause_bounds_the_hold_and_a_stuck_queue_holds_nobody():
    b, cons, pub = setup()
    q = b.vhosts["/"].queues["q"]
    publish(pub, 30)
    assert not pub.peer.reading
    cons.send(1, Basic.Ack(delivery_tag=5, multiple=True))  # progress, but still behind
    assert not pub.peer.reading
    b.clock.advance(flow.MAX_PAUSE)  # nobody is held longer than a pause
    assert pub.peer.reading and not pub.conn.flow_queues and not q.flow_stuck
    publish(pub, 1)
    assert not pub.peer.reading  # the consumer is slow, not stuck: held again
    b.clock.advance(flow.MAX_PAUSE)  # a whole pause in which the consumer took nothing
    assert pub.peer.reading and q.flow_stuck
    publish(pub, 100)  # as RabbitMQ: a queue that cannot deliver keeps taking publishes
    assert pub.peer.reading and len(q.ready) > 100
    cons.send(1, Queue.Purge(queue="q"))  # drained: flow control applies again
    assert not q.flow_stuck
    publish(pub, 30)
    assert not pub.peer.reading


def test_a_closing_publisher_is_let_go():
    b, cons, pub = setup()
    q = b.vhosts["/"].queues["q"]
    publish(pub, 30)
    assert pub.conn.flow_queues
    pub.conn.connection_lost()
    assert q.flow_waiters is None and not q.flow_stuck


def test_frames_read_before_the_hold_are_handled_after_it():
    b, cons, pub = setup()
    publish(pub, 25)
    q = b.vhosts["/"].queues["q"]
    before = q.stats.publish
    # one read carrying many publishes: those after the mark wait in the reader, not lost
    from .test_hotpath import publish_bytes

    pub.feed(publish_bytes("q", b"x") * 400)
    assert not pub.peer.reading
    assert q.stats.publish < before + 400
    cons.send(1, Basic.Cancel(consumer_tag="c"))
    for _ in range(10):
        b.clock.advance(0.01)
    assert q.stats.publish == before + 400
    assert pub.peer.reading
