"""The publish and delivery hot paths: runs of publishes handed over at once, cached routes,
deliveries written in runs, confirms kept as ranges — each checked against the frame-by-frame
path and against RabbitMQ's rules (routes follow every change of definitions and permissions)."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pamqp import body as pbody
from pamqp import frame
from pamqp import header as pheader
from pamqp.commands import Basic, Channel, Confirm, Exchange, Queue

from polystack.amqp import wire

from .harness import Client, make_broker


def publish_bytes(
    rk: str, payload: bytes, exchange: str = "", channel: int = 1, props=None, frame_max=131072
) -> bytes:
    data = frame.marshal(Basic.Publish(exchange=exchange, routing_key=rk), channel)
    data += frame.marshal(
        pheader.ContentHeader(0, len(payload), props or Basic.Properties()), channel
    )
    step = frame_max - 8
    for i in range(0, len(payload), step):
        data += frame.marshal(pbody.ContentBody(payload[i : i + step]), channel)
    return data


# -- the frame reader ------------------------------------------------------------------------------

message = st.tuples(
    st.sampled_from(["a", "b"]),
    st.sampled_from([b"", b"xyz", b"xyz", b"0123456789" * 30, b"L" * 5000]),
    st.sampled_from([1, 1, 2]),
    st.booleans(),  # an unrelated frame (basic.ack) before it
)


def _flatten(events: list) -> list:
    out = []
    for ev in events:
        if ev[0] == "content":
            _, ch, m, h, bodies = ev
            for b in bodies:
                out += [(1, ch, m), (2, ch, h)] + ([(3, ch, b)] if b else [])
        else:
            out.append(ev[1:])
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(message, max_size=30), st.integers(1, 400), st.integers(1, 50))
def test_frame_reader_runs_match_frame_by_frame(msgs, chunk, limit):
    stream = b"".join(
        (frame.marshal(Basic.Ack(7), ch) if extra else b"")
        + publish_bytes(rk, body, channel=ch, frame_max=4096)
        for rk, body, ch, extra in msgs
    )
    plain: list = []
    wire.FrameReader(4096).feed(stream, lambda *f: plain.append(("frame", *f)))
    fast: list = []
    r = wire.FrameReader(4096)

    def content(ch, m, h, bodies):
        assert len({len(b) for b in bodies}) == 1  # a run repeats one size
        fast.append(("content", ch, m, h, list(bodies)))

    for i in range(0, len(stream), chunk):
        r.feed(stream[i : i + chunk], lambda *f: fast.append(("frame", *f)), limit, content)
        while r.has_frame():
            handled = r.feed(b"", lambda *f: fast.append(("frame", *f)), limit, content)
            assert handled <= limit + 2  # a whole publish may take it two frames past
    assert _flatten(fast) == _flatten(plain)
    assert r.buf == b""


def test_a_run_stops_where_the_method_or_header_changes():
    stream = (
        publish_bytes("a", b"123") * 3
        + publish_bytes("b", b"123")
        + publish_bytes("b", b"12345") * 2
        + publish_bytes("b", b"12345")[:-1]  # the last one is not complete yet
    )
    got: list = []
    wire.FrameReader(131072).feed(
        stream, lambda *f: got.append(f), 0, lambda ch, m, h, b: got.append((m[-3:-1], len(b)))
    )
    assert [g for g in got if len(g) == 2] == [(b"\x01a", 3), (b"\x01b", 1), (b"\x01b", 2)]


# -- the session: runs against the frame-by-frame path ------------------------------------------

publish_op = st.tuples(
    st.sampled_from(["q1", "q2", "nowhere", "x:t.a", "x:t.b", "missing:k"]),
    st.sampled_from([0, 1, 7, 140_000]),  # body size (the last takes two body frames)
    st.sampled_from(["plain", "persistent", "headers"]),
)
PROPS = {
    "plain": None,
    "persistent": Basic.Properties(delivery_mode=2),
    "headers": Basic.Properties(headers={"h": 1}),
}


def _frames(stream: bytes) -> list[bytes]:
    """The stream cut at frame boundaries (fed one frame at a time: no runs)."""
    out = []
    pos = 0
    while pos < len(stream):
        end = pos + 8 + int.from_bytes(stream[pos + 3 : pos + 7], "big")
        out.append(stream[pos:end])
        pos = end
    return out


def _run_stream(ops, one_by_one: bool) -> list:
    b = make_broker()
    pub = Client(b).open()
    pub.send(1, Confirm.Select())
    pub.send(1, Exchange.Declare(exchange="x", exchange_type="topic"))
    for q in ("q1", "q2"):
        pub.send(1, Queue.Declare(queue=q))
    pub.send(1, Queue.Bind(queue="q1", exchange="x", routing_key="t.*"))
    pub.send(1, Queue.Bind(queue="q2", exchange="x", routing_key="#.b"))
    con = Client(b).open()
    con.send(1, Basic.Qos(prefetch_count=7))
    con.send(1, Basic.Consume(queue="q1", consumer_tag="c1"))
    con.send(1, Basic.Consume(queue="q2", consumer_tag="c2", no_ack=True))
    stream = b""
    for target, size, props in ops:
        x, _, rk = target.rpartition(":")
        stream += publish_bytes(rk, b"b" * size, exchange=x, props=PROPS[props])
    out = []
    for data in _frames(stream) if one_by_one else [stream]:
        out += pub.feed(data)
    confirmed = set()
    frames = []
    last = 0
    for _, f in out:
        if isinstance(f, (Basic.Ack, Basic.Nack)):
            tags = range(last + 1, f.delivery_tag + 1) if f.multiple else [f.delivery_tag]
            confirmed |= {(t, type(f).__name__) for t in tags}
            last = max(last, f.delivery_tag)
        else:
            frames.append((type(f).__name__, getattr(f, "reply_text", None)))
    delivered = [
        (f.consumer_tag, f.delivery_tag, f.routing_key, f.redelivered)
        for _, f in con.read()
        if isinstance(f, Basic.Deliver)
    ]
    con.send(1, Basic.Ack(delivery_tag=0, multiple=True))
    delivered += [
        (f.consumer_tag, f.delivery_tag, f.routing_key)
        for _, f in con.read()
        if hasattr(f, "consumer_tag")
    ]
    queues = b.vhosts["/"].queues
    depth = {n: (len(q.ready), q.unacked_count) for n, q in queues.items()}
    if frames:
        # a channel error: confirms not yet sent are dropped with the channel (as in RabbitMQ,
        # how many were sent before it depends on when the broker got to them)
        confirmed = set()
    return [sorted(confirmed), frames, delivered, depth, b.memory_used]


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(publish_op, min_size=1, max_size=25))
# single publishes alternating between queues consumed on one channel: delivered in publish order
@example(ops=[("q1", 0, "plain"), ("q2", 0, "plain"), ("q1", 0, "plain")])
def test_publish_runs_match_the_frame_by_frame_path(ops):
    """Whatever the mix of routes, sizes, properties and errors, a stream fed at once (runs)
    gets the same confirms, errors, deliveries (tags, order, QoS) and queue depths as the same
    stream fed one byte at a time (every frame on its own)."""
    assert _run_stream(ops, False) == _run_stream(ops, True)


# -- cached routes follow every change ------------------------------------------------------------


def _deliveries(c: Client) -> list[str]:
    return [f.routing_key for _, f in c.read() if isinstance(f, Basic.Deliver)]


def test_cached_route_follows_queues_bindings_and_exchanges():
    b = make_broker()
    pub = Client(b).open()
    one = publish_bytes("k.a", b"m", exchange="x")
    pub.send(1, Exchange.Declare(exchange="x", exchange_type="topic"))
    pub.feed(one)  # routed nowhere: dropped
    pub.send(1, Queue.Declare(queue="first"))
    pub.send(1, Queue.Bind(queue="first", exchange="x", routing_key="k.*"))
    pub.feed(one * 2)
    queues = b.vhosts["/"].queues
    assert len(queues["first"].ready) == 2
    pub.send(1, Queue.Declare(queue="second"))
    pub.send(1, Queue.Bind(queue="second", exchange="x", routing_key="#"))
    pub.feed(one)
    assert (len(queues["first"].ready), len(queues["second"].ready)) == (3, 1)
    pub.send(1, Queue.Unbind(queue="first", exchange="x", routing_key="k.*"))
    pub.feed(one)
    assert (len(queues["first"].ready), len(queues["second"].ready)) == (3, 2)
    # the queue deleted and declared again: the new queue gets the message
    pub.send(1, Queue.Delete(queue="second"))
    pub.send(1, Queue.Declare(queue="second"))
    pub.send(1, Queue.Bind(queue="second", exchange="x", routing_key="#"))
    pub.feed(one)
    assert len(queues["second"].ready) == 1
    assert b.vhosts["/"].exchanges["x"].messages_in == 6
    # the exchange gone: RabbitMQ's 404 on the next publish
    pub.send(1, Exchange.Delete(exchange="x"))
    out = pub.feed(one)
    assert out[0][1].reply_text == "NOT_FOUND - no exchange 'x' in vhost '/'"


def test_default_exchange_route_follows_queue_declare_and_delete():
    b = make_broker()
    pub = Client(b).open()
    con = Client(b).open()
    one = publish_bytes("late", b"m")
    pub.feed(one)
    con.send(1, Queue.Declare(queue="late"))
    con.send(1, Basic.Consume(queue="late", no_ack=True))
    pub.feed(one * 3)
    assert _deliveries(con) == ["late"] * 3
    con.send(1, Queue.Delete(queue="late"))
    pub.feed(one)
    assert "late" not in b.vhosts["/"].queues


def test_revoked_write_permission_applies_to_the_next_publish():
    b = make_broker()
    b.put_user("app", b.users["guest"].password_hash, [])
    b.set_permissions("app", "/", ".*", ".*", ".*")
    pub = Client(b).open(user="app", password="guest")
    pub.send(1, Queue.Declare(queue="q"))
    pub.feed(publish_bytes("q", b"1"))
    b.set_permissions("app", "/", ".*", "^$", ".*")
    out = pub.feed(publish_bytes("q", b"2"))
    assert out[0][1].reply_code == 403
    assert out[0][1].reply_text == (
        "ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user 'app'"
    )
    assert len(b.vhosts["/"].queues["q"].ready) == 1


def test_write_permission_is_checked_before_the_exchange_exists():
    """RabbitMQ checks the permission on the exchange name first: a user who may not write to
    it gets 403 even when it does not exist."""
    b = make_broker()
    b.put_user("app", b.users["guest"].password_hash, [])
    b.set_permissions("app", "/", ".*", "^allowed$", ".*")
    pub = Client(b).open(user="app", password="guest")
    out = pub.feed(publish_bytes("q", b"x", exchange="nope"))
    assert out[0][1].reply_code == 403


# -- deliveries in runs keep QoS and tags exact ----------------------------------------------------


def test_runs_of_deliveries_respect_prefetch_and_global_prefetch():
    b = make_broker()
    pub = Client(b).open()
    pub.send(1, Queue.Declare(queue="r"))
    con = Client(b).open()
    con.send(1, Basic.Qos(prefetch_count=10))
    con.send(1, Basic.Qos(prefetch_count=12, global_=True))
    con.send(1, Basic.Consume(queue="r", consumer_tag="c"))
    pub.feed(publish_bytes("r", b"m") * 25)
    tags = [f.delivery_tag for _, f in con.read() if isinstance(f, Basic.Deliver)]
    assert tags == list(range(1, 11))
    out = con.send(1, Basic.Ack(delivery_tag=5, multiple=True))
    tags = [f.delivery_tag for _, f in out if isinstance(f, Basic.Deliver)]
    assert tags == list(range(11, 16))
    q = b.vhosts["/"].queues["r"]
    assert (len(q.ready), q.unacked_count) == (10, 10)
    con.send(1, Channel.Close(200, "bye", 0, 0))
    assert (len(q.ready), q.unacked_count) == (25 - 5, 0)
    assert [e.redelivered for e in q.ready] == [True] * 10 + [False] * 10


def test_confirms_are_ranges_acked_with_multiple_and_nacked_one_by_one():
    b = make_broker()
    pub = Client(b).open()
    pub.send(1, Queue.Declare(queue="small", arguments={"x-max-length": 2,
                                                        "x-overflow": "reject-publish"}))  # fmt: skip
    pub.send(1, Confirm.Select())
    out = pub.feed(publish_bytes("small", b"m") * 5)
    got = [(type(f).__name__, f.delivery_tag, f.multiple) for _, f in out]
    assert got == [("Ack", 2, True), ("Nack", 3, False), ("Nack", 4, False), ("Nack", 5, False)]
    ch = pub.conn.channels[1]
    assert ch.unconfirmed == 0 and ch.stats.confirm == 2
    out = pub.feed(publish_bytes("nowhere", b"m") * 3)
    assert [(type(f).__name__, f.delivery_tag, f.multiple) for _, f in out] == [("Ack", 8, True)]


# -- single publishes alternating between queues, enqueued at the end of the batch -------------


def test_alternating_publishes_keep_order_confirms_and_take_effect_before_the_next_method(
    tmp_path,
):
    from polystack.amqp.persist import Store

    b = make_broker()
    store = Store(tmp_path / "store")
    b.store = store
    store.open(b)
    c = Client(b).open()
    for q in ("a", "b", "c"):
        c.send(1, Queue.Declare(queue=q, durable=True))
    c.send(1, Confirm.Select())
    persistent = Basic.Properties(delivery_mode=2)
    data = b"".join(
        publish_bytes("abc"[i % 3], f"m{i}".encode(), props=persistent) for i in range(30)
    )
    # the purge in the same read sees the 30 publishes before it (10 of them on "c")
    out = c.feed(data + frame.marshal(Queue.Purge(queue="c"), 1))
    purge = [f for _, f in out if isinstance(f, Queue.PurgeOk)]
    assert purge[0].message_count == 10
    store.logs.flush_all()
    out += c.read()
    acks = [f for _, f in out if isinstance(f, Basic.Ack)]
    assert acks and acks[-1].delivery_tag == 30 and all(a.multiple for a in acks)
    qs = b.vhosts["/"].queues
    assert [e.msg.body for e in qs["a"].ready] == [f"m{i}".encode() for i in range(0, 30, 3)]
    assert [e.msg.body for e in qs["b"].ready] == [f"m{i}".encode() for i in range(1, 30, 3)]
    ids = [e.msg.id for q in ("a", "b") for e in qs[q].ready]
    assert len(set(ids)) == 20
    store.close()
    b2 = make_broker()
    store2 = Store(tmp_path / "store")
    b2.store = store2
    store2.open(b2)
    q2 = b2.vhosts["/"].queues
    assert [e.msg.id for e in q2["a"].ready] == [e.msg.id for e in qs["a"].ready]
    assert len(q2["b"].ready) == 10 and len(q2["c"].ready) == 0
    c2 = Client(b2).open()
    c2.publish(1, b"new", routing_key="a")
    assert q2["a"].ready.items[-1].msg.id > max(ids)  # no id reused after recovery
    store2.close()


def test_a_failing_publish_after_alternating_ones_leaves_them_enqueued():
    b = make_broker()
    c = Client(b).open()
    for q in ("a", "b"):
        c.send(1, Queue.Declare(queue=q))
    bad = publish_bytes("a", b"x", props=Basic.Properties(user_id="someone-else"))
    out = c.feed(publish_bytes("a", b"1") + publish_bytes("b", b"2") + bad)
    assert [type(f).__name__ for _, f in out] == ["Close"]
    qs = b.vhosts["/"].queues
    assert len(qs["a"].ready) == 1 and len(qs["b"].ready) == 1
