"""basic.*: publish (with mandatory returns, confirms, direct reply-to), consume, cancel, get,
ack / nack / reject, recover, qos."""

from __future__ import annotations

import secrets
import struct
from typing import Any

from pamqp.commands import Basic as B

from .. import flow
from ..constants import REPLY_TO_QUEUE
from ..errors import AMQPError
from ..message import intern_bytes
from ..queue import Consumer
from ..table import INTEGER_TYPES, TYPE_NAMES
from ..wire import (
    build,
    content_frames,
    decode_properties,
    deliver_method,
    encode_properties,
    return_method,
    summarize,
)
from . import method
from .queue import queue_name

REPLY_PREFIX = REPLY_TO_QUEUE + "."


# -- publish --------------------------------------------------------------------------------------


class PublishTarget:
    """What a connection learnt about one basic.publish method (exchange, routing key, flags):
    checked once and reused by every publish with the same method bytes while the broker's
    definitions (``broker.version``) stay the same.  ``queues``/``passed`` are the route of a
    message without headers (the exchanges it passes are counted), found on first use."""

    __slots__ = ("version", "exchange", "routing_key", "rkname", "mandatory", "reply", "queues",
                 "passed")  # fmt: skip

    def __init__(self, version: int, x: Any, m: Any) -> None:
        self.version = version
        self.exchange = x
        self.routing_key = m.routing_key
        self.rkname = intern_bytes(m.rkname)
        self.mandatory = m.mandatory
        # direct reply-to: published to the default exchange with the pseudo-queue's name
        self.reply = x.name == "" and m.routing_key.startswith(REPLY_PREFIX)
        self.queues: list[Any] | None = None
        self.passed: list[Any] = []


def publish_target(conn: Any, m: Any) -> PublishTarget:
    """The checks RabbitMQ makes before it looks at the content, in its order: write permission
    on the exchange, the exchange exists, it is not internal."""
    vhost = conn.vhost
    broker = conn.broker
    broker.check(conn.user, vhost, "write", "exchange", m.exchange)
    x = vhost.exchanges.get(m.exchange)
    if x is None:
        raise AMQPError(404, f"no exchange '{m.exchange}' in vhost '{vhost.name}'")
    if x.internal:
        raise AMQPError(
            403, f"cannot publish to internal exchange '{x.name}' in vhost '{vhost.name}'"
        )
    return PublishTarget(broker.version, x, m)


_size_of = struct.Struct(">Q").unpack_from


@method(60, 40, content=True)
def basic_publish(conn: Any, ch: Any, t: PublishTarget, header: bytes, bodies: list[bytes]) -> None:
    """Publish one message, or a run of messages that share method and content header."""
    broker = conn.broker
    info = conn.header_info.get(header)
    if info is None:
        info = conn.learn_header(header)
    hdr, props, s = info
    if s.reply_to is not None and s.reply_to == REPLY_TO_QUEUE:
        if ch.reply_name is None:
            raise AMQPError(406, "fast reply consumer does not exist")
        p = decode_properties(props)
        p.reply_to = ch.reply_name
        props = encode_properties(p)  # a new header: the properties changed
        hdr = None
        s = summarize(props)
    if s.user_id is not None and conn.user is not None and s.user_id != conn.user.name:
        raise AMQPError(
            406,
            f"user_id property set to '{s.user_id}' but authenticated user was '{conn.user.name}'",
        )
    x = t.exchange
    if hdr is not None and len(bodies[0]) != _size_of(hdr, 4)[0]:
        hdr = None  # body frames longer than announced: a header with the real size
    n = len(bodies)
    ch.stats.publish += n
    broker.counters.published += n
    rk = t.routing_key
    if ch.tx or t.reply or s.has_headers:
        if conn.deferred:
            flush_deferred(conn)
        bcc: list[str] = []
        if s.has_headers and b"\x03BCC" in props:
            props, bcc = _strip_bcc(props)
            hdr = None
            s = summarize(props)
        new = broker.new_message
        for body in bodies:
            msg = new(x.name, rk, props, body, x.ename, t.rkname, hdr, s)
            if ch.tx:
                ch.tx_ops.append(("publish", x, rk, t.mandatory, msg, bcc))
            elif t.reply:
                _direct_reply(conn, ch, rk, t.mandatory, msg)
            else:
                route_message(conn, ch, x, rk, t.mandatory, msg, bcc)
        return
    queues = t.queues
    if queues is None:
        queues = _static_route(conn.vhost, t)
    for ex in t.passed:
        ex.messages_in += n
    if len(queues) == 1 and hdr is not None and queues[0].overflow == "drop-head":
        # the common case: one queue that takes every message
        if n == 1:
            # a publish unlike the one before (publishers alternating between queues): kept
            # until the batch of frames ends, then enqueued and logged with its neighbours
            conn.deferred.append((ch, t, queues[0], props, hdr, s, bodies[0]))
            return
        if conn.deferred:
            flush_deferred(conn)
        msgs = broker.new_messages(x, t.rkname, rk, props, hdr, s, bodies)
        wait = broker.enqueue_run(queues[0], msgs, n * len(bodies[0]))
        x.messages_out += n
        if ch.confirm:
            ch.confirm_run(n, wait, False)
        q = queues[0]
        if len(q.ready) > flow.HIGH and q.consumers:
            flow.hold(conn, q)
        return
    if conn.deferred:
        flush_deferred(conn)
    new = broker.new_message
    for body in bodies:
        msg = new(x.name, rk, props, body, x.ename, t.rkname, hdr, s)
        _enqueue(conn, ch, x, queues, t.mandatory, msg)


def flush_deferred(conn: Any) -> None:
    """Enqueue the single publishes kept by :func:`basic_publish`, in their order: messages
    created in publish order, their store records written in that order at once, each
    queue's messages handed over as one run (in publish order while a queue has consumers, so
    deliveries on a channel consuming several queues keep the order of the frame-by-frame
    path), each channel's confirms as one range."""
    items = conn.deferred
    conn.deferred = []
    broker = conn.broker
    store = broker.store
    new = broker.new_message
    runs: list[tuple[Any, list[Any]]] = []  # consecutive messages to one queue
    groups: dict[Any, list[Any]] = {}  # every message of a queue
    consumed = False
    stored: list[tuple[Any, Any]] = []
    confirms: dict[Any, list[int]] = {}  # channel -> [count, has a logged message]
    last_q: Any = None
    for ch, t, q, props, hdr, s, body in items:
        x = t.exchange
        msg = new(x.name, t.routing_key, props, body, x.ename, t.rkname, hdr, s)
        x.messages_out += 1
        if q is last_q:
            runs[-1][1].append(msg)
        else:
            runs.append((q, [msg]))
            last_q = q
            consumed = consumed or bool(q.consumers)
        g = groups.get(q)
        if g is None:
            groups[q] = [msg]
        else:
            g.append(msg)
        logged = store is not None and q.durable and msg.persistent
        if logged:
            stored.append((msg, q))
        if ch.confirm:
            c = confirms.get(ch)
            if c is None:
                confirms[ch] = [1, logged]
            else:
                c[0] += 1
                c[1] = c[1] or logged
    seq = store.publish_each(stored) if stored else 0  # before any consumer sees them
    for q, msgs in runs if consumed else groups.items():
        q.enqueue_run(msgs, sum(m.size for m in msgs))
    for q in groups:
        if len(q.ready) > flow.HIGH and q.consumers:
            flow.hold(conn, q)
    if broker.memory_used > broker._paging_threshold:
        broker._page_out()
    for ch, (count, logged) in confirms.items():
        ch.confirm_run(count, seq if logged else 0, False)


def _static_route(vhost: Any, t: PublishTarget) -> list[Any]:
    """The route of a message without headers depends on the exchange and routing key only."""
    x = t.exchange
    if x is vhost.default_exchange:
        q = vhost.queues.get(t.routing_key)
        t.queues = [q] if q is not None else []
        t.passed = [x]
    else:
        t.queues, t.passed = vhost.walk(x, t.routing_key, _no_headers)
    return t.queues


def _no_headers() -> None:
    return None


def route_message(
    conn: Any, ch: Any, x: Any, rk: str, mandatory: bool, msg: Any, bcc: list[str] | None = None
) -> int:
    """Route and enqueue; returns the log sequence number the message's confirm waits for.
    ``bcc``: the routing keys of a BCC header already taken out of the message."""
    vhost = conn.vhost
    if x is vhost.default_exchange and rk.startswith(REPLY_PREFIX):
        return _direct_reply(conn, ch, rk, mandatory, msg)
    if msg.summary.has_headers or bcc:
        cc = _cc_keys(msg) + bcc if bcc else _cc_keys(msg)
        queues = vhost.route_keys(x, [rk, *cc], msg) if cc else vhost.route(x, rk, msg)
    else:
        queues = vhost.route(x, rk, msg)
    return _enqueue(conn, ch, x, queues, mandatory, msg)


def _enqueue(conn: Any, ch: Any, x: Any, queues: list[Any], mandatory: bool, msg: Any) -> int:
    broker = conn.broker
    seq = 0
    rejected = False
    if queues:
        _, rejected, seq = broker.deliver_to_queues(conn.vhost, msg, queues)
        x.messages_out += 1
        if not ch.tx:
            flow.check(conn, queues)
    else:
        broker.memory_used -= msg.size  # nothing holds it: it dies with this call
        if not x.name:
            x.messages_out += 1  # RabbitMQ counts the default exchange's publishes out anyway
        if mandatory:
            send_return(ch, 312, "NO_ROUTE", msg)
        else:
            broker.counters.dropped_unroutable += 1
            ch.stats.drop_unroutable += 1
    if ch.confirm:
        ch.confirm_run(1, seq, rejected)
    return seq


def _cc_keys(msg: Any) -> list[str]:
    if not msg.summary.has_headers:
        return []
    v = (msg.properties.headers or {}).get("CC")
    return [k for k in v if isinstance(k, str)] if isinstance(v, list) else []


def _strip_bcc(props: bytes) -> tuple[bytes, list[str]]:
    """RabbitMQ routes by a BCC header's keys and removes it before delivery."""
    p = decode_properties(props)
    h = p.headers
    if not h or "BCC" not in h:
        return props, []
    v = h.pop("BCC")
    keys = [k for k in v if isinstance(k, str)] if isinstance(v, list) else []
    return encode_properties(p), keys


def send_return(ch: Any, code: int, text: str, msg: Any) -> None:
    conn = ch.conn
    body = conn.broker.body_of(msg)
    frames = content_frames(ch.number, msg.header, body, conn.frame_max)
    frames.insert(0, return_method(ch.number, code, text, msg.xname, msg.rkname))
    conn.send(b"".join(frames))
    ch.stats.return_unroutable += 1
    conn.broker.counters.returned += 1


def _direct_reply(conn: Any, ch: Any, rk: str, mandatory: bool, msg: Any) -> int:
    target = conn.broker.reply_to.get(rk)
    if target is None or target.state != 1:
        if mandatory:
            send_return(ch, 312, "NO_ROUTE", msg)
    else:
        target.next_tag += 1
        tconn = target.conn
        body = msg.body if msg.body is not None else b""
        frames = content_frames(target.number, msg.header, body, tconn.frame_max)
        etag = target.reply_tag.encode()
        frames.insert(
            0,
            deliver_method(
                target.number,
                bytes((len(etag),)) + etag,
                target.next_tag,
                False,
                msg.xname,
                msg.rkname,
            ),
        )
        tconn.send(b"".join(frames))
    conn.broker.memory_used -= msg.size
    if ch.confirm:
        ch.confirm_run(1, 0, False)
    return 0


# -- consume / cancel / get ----------------------------------------------------------------------


@method(60, 20)
def basic_consume(conn: Any, ch: Any, m: Any) -> None:
    vhost = conn.vhost
    tag = m.consumer_tag
    if tag and (tag in ch.consumers or tag == ch.reply_tag):
        raise AMQPError(530, f"attempt to reuse consumer tag '{tag}'", 60, 20, connection=True)
    if m.queue == REPLY_TO_QUEUE:
        if not m.no_ack:
            raise AMQPError(406, "reply consumer cannot acknowledge")
        if ch.reply_tag is not None:
            raise AMQPError(406, "reply consumer already set")
        tag = tag or ch.new_consumer_tag()
        ch.reply_tag = tag
        ch.reply_name = REPLY_PREFIX + secrets.token_urlsafe(24)
        conn.broker.reply_to[ch.reply_name] = ch
        if not m.nowait:
            ch.send_method(build(B.ConsumeOk, consumer_tag=tag))
        return
    name = queue_name(ch, m.queue)
    conn.broker.check(conn.user, vhost, "read", "queue", name)
    q = vhost.lookup_queue(name)
    vhost.check_exclusive(q, conn)
    args = m.arguments
    priority = 0
    if "x-priority" in args:
        t = args.types.get("x-priority") if hasattr(args, "types") else None
        if t is not None and t not in INTEGER_TYPES:
            raise AMQPError(
                406,
                f"invalid arg 'x-priority' for queue '{q.name}' in vhost '{vhost.name}': "
                f'"expected integer, got {TYPE_NAMES.get(t, t)}"',
            )
        priority = int(args["x-priority"])
    if q.consumers and (m.exclusive or any(c.exclusive for c in q.consumers)):
        raise AMQPError(403, f"queue '{q.name}' in vhost '{vhost.name}' in exclusive use")
    tag = tag or ch.new_consumer_tag()
    c = Consumer(tag, ch, q, m.no_ack, m.exclusive, priority, args, ch.prefetch)
    ch.consumers[tag] = c
    if not m.nowait:
        ch.send_method(build(B.ConsumeOk, consumer_tag=tag))
    q.add_consumer(c)


@method(60, 30)
def basic_cancel(conn: Any, ch: Any, m: Any) -> None:
    tag = m.consumer_tag
    c = ch.consumers.pop(tag, None)
    if c is None and tag == ch.reply_tag and tag is not None:
        conn.broker.reply_to.pop(ch.reply_name, None)
        ch.reply_tag = ch.reply_name = None
    if not m.nowait:
        ch.send_method(build(B.CancelOk, consumer_tag=tag))
    if c is not None:
        c.queue.remove_consumer(c)


@method(60, 70)
def basic_get(conn: Any, ch: Any, m: Any) -> None:
    vhost = conn.vhost
    name = queue_name(ch, m.queue)
    conn.broker.check(conn.user, vhost, "read", "queue", name)
    q = vhost.lookup_queue(name)
    vhost.check_exclusive(q, conn)
    e = q.get()
    if e is None:
        ch.send_method(build(B.GetEmpty, cluster_id=""))
        conn.broker.counters.get_empty += 1
        ch.stats.get_empty += 1
        q.stats.get_empty += 1
        return
    ch.deliver_get(q, e, m.no_ack)


# -- settlement --------------------------------------------------------------------------------------


@method(60, 80)
def basic_ack(conn: Any, ch: Any, m: Any) -> None:
    ds = ch.take(m.delivery_tag, m.multiple)
    if ch.tx:
        ch.tx_ops.append(("ack", ds))
        return
    ch.ack(ds)
    conn.broker.counters.acked += len(ds)


@method(60, 120)
def basic_nack(conn: Any, ch: Any, m: Any) -> None:
    ds = ch.take(m.delivery_tag, m.multiple)
    if ch.tx:
        ch.tx_ops.append(("reject", ds, m.requeue))
        return
    ch.reject(ds, m.requeue)


@method(60, 90)
def basic_reject(conn: Any, ch: Any, m: Any) -> None:
    ds = ch.take(m.delivery_tag, False)
    if ch.tx:
        ch.tx_ops.append(("reject", ds, m.requeue))
        return
    ch.reject(ds, m.requeue)


@method(60, 110)
def basic_recover(conn: Any, ch: Any, m: Any) -> None:
    if not m.requeue:
        raise AMQPError(540, "requeue=false", 60, 110, connection=True)
    ch.requeue_all()
    ch.send_method(build(B.RecoverOk))


@method(60, 100)
def basic_recover_async(conn: Any, ch: Any, m: Any) -> None:
    if not m.requeue:
        raise AMQPError(540, "requeue=false", 60, 100, connection=True)
    ch.requeue_all()


@method(60, 10)
def basic_qos(conn: Any, ch: Any, m: Any) -> None:
    if m.prefetch_size != 0:
        raise AMQPError(540, f"prefetch_size!=0 ({m.prefetch_size})", 60, 10, connection=True)
    if m.global_:
        ch.global_prefetch = m.prefetch_count
    else:
        ch.prefetch = m.prefetch_count
    ch.send_method(build(B.QosOk))
    if m.global_:
        for q in {c.queue for c in ch.consumers.values()}:
            q.dispatch()


# -- transactions ------------------------------------------------------------------------------------


def run_tx(conn: Any, ch: Any) -> int:
    """Apply a transaction's publishes and acknowledgements; the log seq the commit waits for."""
    ops, ch.tx_ops = ch.tx_ops, []
    wait = 0
    for op in ops:
        if op[0] == "publish":
            _, x, rk, mandatory, msg, bcc = op
            wait = max(wait, route_message(conn, ch, x, rk, mandatory, msg, bcc))
        elif op[0] == "ack":
            ch.ack(op[1])
        else:
            ch.reject(op[1], op[2])
    return wait


def rollback_tx(ch: Any) -> None:
    """tx.rollback: publishes are dropped; acknowledged deliveries become unacknowledged again."""
    returned = []
    for op in ch.tx_ops:
        if op[0] != "publish":
            returned.extend(op[1])
    ch.tx_ops = []
    if returned:
        merged = {d.tag: d for d in returned}
        merged.update(ch.unacked)
        ch.unacked = dict(sorted(merged.items()))
