"""Publisher flow control: a publisher waits while a queue it feeds is backed up.

RabbitMQ's credit flow makes a publishing connection wait (its state shows ``flow``) while the
queue process it publishes to is behind, so that a queue whose consumers cannot keep up does not
grow without bound while the publishers run at full speed.  Here a queue is behind when it has
consumers and more than :data:`HIGH` messages ready: the consumers cannot take what arrives.
Every connection that publishes to it then stops being read (its socket buffer fills, and the
client's writes wait, as with RabbitMQ) until the consumers have brought the queue down to
:data:`LOW` ready messages, its consumers are gone, or it is deleted.

A connection that consumes from the queue itself is never held (its acknowledgements are what
drains the queue), and no publisher is held longer than :data:`MAX_PAUSE` at a time, so an
application that publishes and consumes from one thread on two connections slows down rather
than deadlocks — RabbitMQ's credit is granted when the queue takes a message, not when a
consumer does, so it cannot deadlock either.  A queue whose consumers took nothing during a
whole pause is *stuck* (a consumer that does not read, or holds its prefetch without acking):
its publishers then run free until it drains to :data:`LOW` — as with RabbitMQ, whose queue
keeps accepting publishes while it cannot deliver — and its backlog pages to disk as usual.
"""

from __future__ import annotations

from typing import Any

HIGH = 2000  # ready messages with consumers attached: publishers wait
LOW = 1000  # ... until the consumers brought the queue down to this
MAX_PAUSE = 0.2  # seconds a publisher waits at most before it may publish again


def check(conn: Any, queues: list[Any]) -> None:
    """After ``conn`` published to ``queues``: hold it if one of them is backed up."""
    for q in queues:
        if q.consumers and len(q.ready) > HIGH:
            hold(conn, q)


def _taken(q: Any) -> int:
    s = q.stats
    return s.deliver + s.deliver_no_ack + s.get + s.get_no_ack


def hold(conn: Any, q: Any) -> None:
    held = conn.flow_queues
    if q in held or q.deleted or q.flow_stuck or conn.state_closed():
        return
    for c in q.consumers:
        if c.channel.conn is conn:
            return  # it consumes from the queue: its acks drain it
    waiters = q.flow_waiters
    if waiters is None:
        waiters = q.flow_waiters = set()
        q.flow_mark = _taken(q)
    waiters.add(conn)
    held.add(q)
    if len(held) == 1:
        conn.broker.counters.flow_paused += 1
        conn.peer.pause_reading()
        conn.flow_timer = conn.broker.call_later(MAX_PAUSE, lambda: release_connection(conn, True))


def drained(q: Any) -> None:
    """The queue's consumers took messages (or it lost its consumers, or was deleted): let its
    publishers go once it is down to :data:`LOW`."""
    if q.consumers and len(q.ready) > LOW and not q.deleted:
        return
    q.flow_stuck = False
    waiters = q.flow_waiters
    q.flow_waiters = None
    if waiters:
        for conn in waiters:
            _unhold(conn, q)


def release_connection(conn: Any, timed_out: bool = False) -> None:
    """Let ``conn`` read again whatever holds it (MAX_PAUSE passed, or it is closing)."""
    conn.flow_timer = None
    for q in list(conn.flow_queues):
        if q.flow_waiters is not None:
            q.flow_waiters.discard(conn)
            if timed_out and _taken(q) == q.flow_mark:
                q.flow_stuck = True  # nothing taken in a whole pause: holding helps nobody
            if not q.flow_waiters:
                q.flow_waiters = None
        _unhold(conn, q)


def _unhold(conn: Any, q: Any) -> None:
    held = conn.flow_queues
    held.discard(q)
    if held:
        return
    if conn.flow_timer is not None:
        conn.flow_timer.cancel()
        conn.flow_timer = None
    conn.reading_may_resume()
