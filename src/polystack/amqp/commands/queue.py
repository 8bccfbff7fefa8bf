"""queue.declare / bind / unbind / purge / delete."""

from __future__ import annotations

from typing import Any

from pamqp.commands import Queue as Q

from ..constants import REPLY_TO_QUEUE
from ..errors import AMQPError
from ..vhost import new_queue_name
from ..wire import build
from . import method


def queue_name(ch: Any, name: str) -> str:
    """An empty queue name means the channel's last declared queue."""
    if name:
        return name
    if not ch.last_queue:
        raise AMQPError(404, "no previously declared queue")
    return ch.last_queue


@method(50, 10)
def queue_declare(conn: Any, ch: Any, m: Any) -> None:
    vhost = conn.vhost
    conn.broker.counters.queue_declare_methods += 1
    name = m.queue
    args = m.arguments
    if name == REPLY_TO_QUEUE or name.startswith(REPLY_TO_QUEUE + "."):
        # the pseudo-queue exists for everyone (RabbitMQ answers a declare with zero counts)
        if not m.nowait:
            ch.send_method(build(Q.DeclareOk, queue=name, message_count=0, consumer_count=0))
        return
    if name == "":
        if args.get("x-queue-type") == "quorum":
            raise AMQPError(406, "Cannot declare a server-named queue for type rabbit_quorum_queue")
        name = new_queue_name()
    elif not m.passive and name.startswith("amq."):
        raise AMQPError(403, f"queue name '{name}' contains reserved prefix 'amq.*'")
    if not m.passive:
        conn.broker.check(conn.user, vhost, "configure", "queue", name)
        dlx = args.get("x-dead-letter-exchange")
        if isinstance(dlx, str):
            conn.broker.check(conn.user, vhost, "read", "exchange", dlx)
    q, created = vhost.declare_queue(
        name,
        passive=m.passive,
        durable=m.durable and not m.exclusive,  # RabbitMQ: exclusive queues are transient
        exclusive=m.exclusive,
        auto_delete=m.auto_delete,
        arguments=args,
        owner=conn,
    )
    if created:
        if q.exclusive_owner is conn:
            conn.exclusive_queues.add(q)
        if q.durable:
            conn.hold_definitions()
    ch.last_queue = q.name
    if not m.nowait:
        ch.send_method(
            build(
                Q.DeclareOk,
                queue=q.name,
                message_count=len(q.ready),
                consumer_count=len(q.consumers),
            )
        )


@method(50, 20)
def queue_bind(conn: Any, ch: Any, m: Any) -> None:
    name = queue_name(ch, m.queue)
    broker, vhost = conn.broker, conn.vhost
    if m.exchange == "":
        raise AMQPError(403, "operation not permitted on the default exchange")
    broker.check(conn.user, vhost, "write", "queue", name)
    broker.check(conn.user, vhost, "read", "exchange", m.exchange)
    vhost.bind(m.exchange, "queue", name, m.routing_key, m.arguments, conn)
    q = vhost.queues.get(name)
    if q is not None and q.durable:
        conn.hold_definitions()
    if not m.nowait:
        ch.send_method(build(Q.BindOk))


@method(50, 50)
def queue_unbind(conn: Any, ch: Any, m: Any) -> None:
    name = queue_name(ch, m.queue)
    broker, vhost = conn.broker, conn.vhost
    if m.exchange == "":
        raise AMQPError(403, "operation not permitted on the default exchange")
    broker.check(conn.user, vhost, "write", "queue", name)
    broker.check(conn.user, vhost, "read", "exchange", m.exchange)
    vhost.unbind(m.exchange, "queue", name, m.routing_key, m.arguments, conn)
    conn.hold_definitions()
    ch.send_method(build(Q.UnbindOk))


@method(50, 30)
def queue_purge(conn: Any, ch: Any, m: Any) -> None:
    name = queue_name(ch, m.queue)
    vhost = conn.vhost
    conn.broker.check(conn.user, vhost, "read", "queue", name)
    q = vhost.lookup_queue(name)
    vhost.check_exclusive(q, conn)
    n = vhost.purge_queue(q)
    if q.durable:
        conn.hold_definitions()
    if not m.nowait:
        ch.send_method(build(Q.PurgeOk, message_count=n))


@method(50, 40)
def queue_delete(conn: Any, ch: Any, m: Any) -> None:
    name = queue_name(ch, m.queue)
    vhost = conn.vhost
    conn.broker.check(conn.user, vhost, "configure", "queue", name)
    q = vhost.queues.get(name)
    n = 0
    if q is not None:
        vhost.check_exclusive(q, conn)
        n = vhost.delete_queue(q, if_unused=m.if_unused, if_empty=m.if_empty)
        conn.exclusive_queues.discard(q)
        if q.durable:
            conn.hold_definitions()
    if not m.nowait:
        ch.send_method(build(Q.DeleteOk, message_count=n))
