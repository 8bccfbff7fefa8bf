"""Queue arguments and consumer rules, driven with raw frames on a ManualClock."""

from __future__ import annotations

from pamqp.body import ContentBody
from pamqp.commands import Basic, Exchange, Queue
from pamqp.header import ContentHeader

from polystack.amqp.broker import Broker, Settings
from polystack.runtime.clock import ManualClock

from .harness import Client, make_broker


def setup(**kw):
    b = make_broker(**kw)
    return b, Client(b).open()


def get(c: Client, queue: str, no_ack: bool = True):
    """(body, properties, GetOk) or None."""
    out = c.send(1, Basic.Get(queue=queue, no_ack=no_ack))
    if isinstance(out[0][1], Basic.GetEmpty):
        return None
    method = out[0][1]
    hdr = out[1][1]
    body = b"".join(f.value for _, f in out[2:] if isinstance(f, ContentBody))
    assert isinstance(hdr, ContentHeader)
    return body, hdr.properties, method


def dlx_setup(c: Client, **args):
    c.send(1, Exchange.Declare(exchange="dlx", exchange_type="fanout"))
    c.send(1, Queue.Declare(queue="dead"))
    c.send(1, Queue.Bind(queue="dead", exchange="dlx"))
    c.send(1, Queue.Declare(queue="q", arguments={"x-dead-letter-exchange": "dlx", **args}))


def test_queue_ttl_dead_letters_with_x_death():
    b, c = setup()
    dlx_setup(c, **{"x-message-ttl": 1000})
    c.publish(1, b"m1", routing_key="q")
    b.clock.advance(0.5)
    c.publish(1, b"m2", routing_key="q")
    b.clock.advance(0.6)  # m1 expired (1.1s), m2 not yet (0.6s)
    assert b.vhosts["/"].queues["q"].message_count == 1
    body, props, _ = get(c, "dead")
    assert body == b"m1"
    death = props.headers["x-death"][0]
    assert death["reason"] == "expired" and death["queue"] == "q" and death["count"] == 1
    assert props.headers["x-first-death-reason"] == "expired"
    assert props.headers["x-first-death-queue"] == "q"
    b.clock.advance(1)
    assert get(c, "dead")[0] == b"m2"


def test_per_message_expiration_and_original_expiration():
    b, c = setup()
    dlx_setup(c)
    c.publish(1, b"short", routing_key="q", properties=Basic.Properties(expiration="100"))
    b.clock.advance(0.2)
    body, props, _ = get(c, "dead")
    assert body == b"short" and props.expiration is None
    assert props.headers["x-death"][0]["original-expiration"] == "100"


def test_x_expires_deletes_unused_queue():
    b, c = setup()
    c.send(1, Queue.Declare(queue="temp", arguments={"x-expires": 5000}))
    b.clock.advance(4)
    c.send(1, Queue.Declare(queue="temp", arguments={"x-expires": 5000}))  # use resets it
    b.clock.advance(4)
    assert "temp" in b.vhosts["/"].queues
    b.clock.advance(1.5)
    assert "temp" not in b.vhosts["/"].queues


def test_max_length_drop_head_dead_letters_maxlen():
    b, c = setup()
    dlx_setup(c, **{"x-max-length": 2})
    for i in range(4):
        c.publish(1, b"%d" % i, routing_key="q")
    assert [get(c, "q")[0] for _ in range(2)] == [b"2", b"3"]
    body, props, _ = get(c, "dead")
    assert body == b"0" and props.headers["x-death"][0]["reason"] == "maxlen"


def test_max_length_bytes():
    b, c = setup()
    c.send(1, Queue.Declare(queue="q", arguments={"x-max-length-bytes": 10}))
    for i in range(4):
        c.publish(1, b"abcd%d" % i, routing_key="q")  # 5 bytes each: two fit
    assert [get(c, "q")[0] for _ in range(2)] == [b"abcd2", b"abcd3"]
    assert get(c, "q") is None


def test_reject_publish_dlx_nacks_and_dead_letters():
    b, c = setup()
    c.send(1, Basic.Qos(0, 0, False))
    dlx_setup(c, **{"x-max-length": 1, "x-overflow": "reject-publish-dlx"})
    from pamqp.commands import Confirm

    c.send(1, Confirm.Select())
    out = c.publish(1, b"1", routing_key="q") + c.publish(1, b"2", routing_key="q")
    assert [type(f).__name__ for _, f in out] == ["Ack", "Nack"]
    assert get(c, "dead")[0] == b"2"


def test_priorities():
    b, c = setup()
    c.send(1, Queue.Declare(queue="pq", arguments={"x-max-priority": 5}))
    for body, prio in [(b"a", 1), (b"b", None), (b"c", 5), (b"d", 9), (b"e", 1)]:
        c.publish(1, body, routing_key="pq", properties=Basic.Properties(priority=prio))
    assert [get(c, "pq")[0] for _ in range(5)] == [b"c", b"d", b"a", b"e", b"b"]


def test_single_active_consumer_fails_over():
    b, c = setup()
    c.send(1, Queue.Declare(queue="sac", arguments={"x-single-active-consumer": True}))
    c.send(1, Basic.Consume(queue="sac", consumer_tag="first", no_ack=True))
    c.send(1, Basic.Consume(queue="sac", consumer_tag="second", no_ack=True))
    out = c.publish(1, b"1", routing_key="sac") + c.publish(1, b"2", routing_key="sac")
    tags = [f.consumer_tag for _, f in out if isinstance(f, Basic.Deliver)]
    assert tags == ["first", "first"]
    c.send(1, Basic.Cancel(consumer_tag="first"))
    out = c.publish(1, b"3", routing_key="sac")
    assert [f.consumer_tag for _, f in out if isinstance(f, Basic.Deliver)] == ["second"]


def test_consumer_priorities():
    b, c = setup()
    c.send(1, Queue.Declare(queue="cp"))
    c.send(1, Basic.Qos(0, 1, False))
    c.send(1, Basic.Consume(queue="cp", consumer_tag="low", arguments={"x-priority": 1}))
    c.send(1, Basic.Consume(queue="cp", consumer_tag="high", arguments={"x-priority": 10}))
    out = []
    for i in range(3):
        out += c.publish(1, b"%d" % i, routing_key="cp")
    tags = [f.consumer_tag for _, f in out if isinstance(f, Basic.Deliver)]
    assert tags == ["high", "low"]  # the third waits: both are at their prefetch


def test_quorum_delivery_limit_and_delivery_count():
    b, c = setup()
    c.send(1, Exchange.Declare(exchange="dlx", exchange_type="fanout"))
    c.send(1, Queue.Declare(queue="dead"))
    c.send(1, Queue.Bind(queue="dead", exchange="dlx"))
    c.send(
        1,
        Queue.Declare(
            queue="qq",
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": 2,
                "x-dead-letter-exchange": "dlx",
            },  # fmt: skip
        ),
    )
    c.publish(1, b"poison", routing_key="qq")
    counts = []
    for _ in range(3):
        body, props, m = get(c, "qq", no_ack=False)
        counts.append((props.headers or {}).get("x-delivery-count"))
        c.send(1, Basic.Nack(m.delivery_tag, False, True))
    assert counts == [None, 1, 2]
    assert get(c, "qq") is None
    body, props, _ = get(c, "dead")
    assert body == b"poison" and props.headers["x-death"][0]["reason"] == "delivery_limit"


def test_auto_delete_queue_and_exchange():
    b, c = setup()
    c.send(1, Queue.Declare(queue="ad", auto_delete=True))
    c.send(1, Basic.Consume(queue="ad", consumer_tag="t"))
    c.send(1, Basic.Cancel(consumer_tag="t"))
    assert "ad" not in b.vhosts["/"].queues
    c.send(1, Exchange.Declare(exchange="ax", exchange_type="direct", auto_delete=True))
    c.send(1, Queue.Declare(queue="bq"))
    c.send(1, Queue.Bind(queue="bq", exchange="ax", routing_key="k"))
    assert "ax" in b.vhosts["/"].exchanges
    c.send(1, Queue.Unbind(queue="bq", exchange="ax", routing_key="k"))
    assert "ax" not in b.vhosts["/"].exchanges


def test_global_qos_is_shared_by_the_channel():
    b, c = setup()
    c.send(1, Queue.Declare(queue="g1"))
    c.send(1, Queue.Declare(queue="g2"))
    c.send(1, Basic.Qos(0, 2, True))
    c.send(1, Basic.Consume(queue="g1", consumer_tag="a"))
    c.send(1, Basic.Consume(queue="g2", consumer_tag="b"))
    out = []
    for q in ("g1", "g2", "g1", "g2"):
        out += c.publish(1, b"x", routing_key=q)
    delivers = [f for _, f in out if isinstance(f, Basic.Deliver)]
    assert len(delivers) == 2
    out = c.send(1, Basic.Ack(delivers[0].delivery_tag, False))
    assert len([f for _, f in out if isinstance(f, Basic.Deliver)]) == 1


def test_dead_letter_cycle_is_dropped():
    b, c = setup()
    c.send(1, Queue.Declare(queue="loop", arguments={"x-message-ttl": 10,
                                                       "x-dead-letter-exchange": ""}))  # fmt: skip
    c.publish(1, b"x", routing_key="loop")
    b.clock.advance(0.1)
    assert b.vhosts["/"].queues["loop"].message_count == 0


def test_requeue_then_dead_letter_retry_pattern():
    """reject -> wait queue (TTL) -> back to work queue: rejected in the cycle, so not dropped."""
    b, c = setup()
    c.send(1, Exchange.Declare(exchange="retry", exchange_type="fanout"))
    c.send(1, Queue.Declare(queue="work", arguments={"x-dead-letter-exchange": "retry"}))
    c.send(1, Queue.Declare(queue="wait", arguments={"x-message-ttl": 100,
                                                       "x-dead-letter-exchange": "",
                                                       "x-dead-letter-routing-key": "work"}))  # fmt: skip
    c.send(1, Queue.Bind(queue="wait", exchange="retry"))
    c.publish(1, b"job", routing_key="work")
    for _attempt in (1, 2):
        body, props, m = get(c, "work", no_ack=False)
        c.send(1, Basic.Reject(m.delivery_tag, False))
        b.clock.advance(0.2)
    body, props, _ = get(c, "work")
    deaths = {(d["queue"], d["reason"]): d["count"] for d in props.headers["x-death"]}
    assert deaths == {("work", "rejected"): 2, ("wait", "expired"): 2}


def test_paging_bodies_to_disk_and_back(tmp_path):
    """Bodies beyond the watermark go to the store and come back intact, before and after a
    restart (persistent ones)."""
    from polystack.amqp.persist import Store

    b = make_broker(memory_high_watermark=1 << 20, paging_ratio=0.5)
    store = Store(tmp_path / "store")
    b.store = store
    store.open(b)
    c = Client(b).open()
    c.send(1, Queue.Declare(queue="pg", durable=True))
    bodies = [bytes([i % 251]) * 20_000 for i in range(120)]  # 2.4 MB
    for i, body in enumerate(bodies):
        mode = 2 if i % 2 else 1
        c.publish(1, body, routing_key="pg", properties=Basic.Properties(delivery_mode=mode))
    store.logs.flush_all()
    assert b.memory_used <= 1 << 20
    q = b.vhosts["/"].queues["pg"]
    assert sum(1 for e in q.ready if e.msg.body is None) > 60  # most were paged out
    got = [get(c, "pg")[0] for _ in range(60)]
    assert got == bodies[:60]
    store.close()
    b2 = make_broker()
    store2 = Store(tmp_path / "store")
    b2.store = store2
    store2.open(b2)
    c2 = Client(b2).open()
    rest = []
    while (r := get(c2, "pg")) is not None:
        rest.append(r[0])
    assert rest == [bodies[i] for i in range(60, 120) if i % 2]  # persistent ones survived
    store2.close()


def test_arguments_typed_L_are_integers_as_rabbitmq_reads_them():
    """py-amqp (kombu, Celery) writes 64-bit integers with the 'L' type letter; RabbitMQ reads
    'l' and 'L' alike as a signed long (Celery's delayed-delivery queues failed before)."""
    from polystack.amqp.table import Table

    b, c = setup()
    args = Table({"x-message-ttl": 1000, "x-max-length": 5})
    args.types.update({"x-message-ttl": "L", "x-max-length": "L"})
    ((_, ok),) = c.send(1, Queue.Declare(queue="typed", arguments=args))
    assert isinstance(ok, Queue.DeclareOk)
    q = b.vhosts["/"].queues["typed"]
    assert (q.message_ttl, q.max_length) == (1000, 5)


def test_recovered_message_ttl_counts_from_its_first_enqueue(tmp_path):
    """A persistent message's x-message-ttl runs across a restart: 10 s of TTL, 6 s spent before
    the restart, so it expires 4 s after it (it lived another 10 s before the fix)."""
    from polystack.amqp.persist import Store

    clock = ManualClock(start=1_700_000_000.0)
    b = Broker(Settings(), clock)
    store = Store(tmp_path / "store")
    b.store = store
    store.open(b)
    c = Client(b).open()
    c.send(1, Queue.Declare(queue="ttl", durable=True, arguments={"x-message-ttl": 10_000}))
    c.send(1, Queue.Declare(queue="keep", durable=True))
    persistent = Basic.Properties(delivery_mode=2)
    c.publish(1, b"old", routing_key="ttl", properties=persistent)
    c.publish(1, b"kept", routing_key="keep", properties=persistent)
    clock.advance(6)
    c.publish(1, b"new", routing_key="ttl", properties=persistent)
    store.logs.flush_all()
    store.close()
    clock = ManualClock(start=1_700_000_007.0)  # a new process a second later
    b2 = Broker(Settings(), clock)
    store2 = Store(tmp_path / "store")
    b2.store = store2
    store2.open(b2)
    q = b2.vhosts["/"].queues["ttl"]
    assert len(q.ready) == 2
    clock.advance(3.5)  # 10.5 s after "old" was published, 4.5 s after "new"
    c2 = Client(b2).open()
    assert [get(c2, "ttl")[0] for _ in range(1)] == [b"new"]
    assert get(c2, "ttl") is None
    assert get(c2, "keep")[0] == b"kept"
    store2.close()
