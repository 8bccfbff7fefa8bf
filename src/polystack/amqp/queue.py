"""Queues: ready messages in order, consumers served round-robin within QoS limits.

A queue knows nothing of the wire.  It calls ``consumer.channel.deliver(consumer, queue, entry)``
to hand a message to a consumer, and its ``host`` (the virtual host) for time, timers, dead-letter
routing, persistence and deletion.  RabbitMQ's rules kept here: requeued messages go back to
their original position (marked redelivered); per-queue and per-message TTL expire messages at
the head; ``x-max-length``/``x-max-length-bytes`` count ready messages only; ``x-overflow``
drop-head / reject-publish / reject-publish-dlx; ``x-max-priority`` buckets; consumer priorities;
single active consumer; quorum queues' delivery limit.
"""

from __future__ import annotations

import bisect
import logging
from collections import deque
from collections.abc import Iterator
from typing import Any

from . import flow
from .message import Entry, Message

log = logging.getLogger(__name__)

RUN = 128  # deliveries encoded into one write to one consumer
RUN_BYTES = 256 * 1024  # ... or this many bytes of bodies


class Consumer:
    __slots__ = (
        "tag",
        "etag",
        "channel",
        "queue",
        "no_ack",
        "exclusive",
        "priority",
        "arguments",
        "prefetch",
        "unacked",
        "delivered",
        "deliver_prefix",
    )

    def __init__(
        self,
        tag: str,
        channel: Any,
        queue: Queue,
        no_ack: bool,
        exclusive: bool,
        priority: int,
        arguments: dict[str, Any],
        prefetch: int,
    ) -> None:
        self.tag = tag
        raw = tag.encode()
        self.etag = bytes((len(raw),)) + raw
        self.deliver_prefix = b"\x00\x3c\x00\x3c" + self.etag  # basic.deliver + consumer tag
        self.channel = channel
        self.queue = queue
        self.no_ack = no_ack
        self.exclusive = exclusive
        self.priority = priority
        self.arguments = arguments
        self.prefetch = prefetch
        self.unacked = 0
        self.delivered = 0

    def room(self) -> int:
        """How many deliveries this consumer can take now (its channel's output and QoS)."""
        ch = self.channel
        if ch.blocked:
            return 0
        if self.no_ack:
            return RUN
        r = self.prefetch - self.unacked if self.prefetch else RUN
        g = ch.global_prefetch
        if g and g - ch.consumer_unacked < r:
            r = g - ch.consumer_unacked
        return r if r > 0 else 0

    def can_take(self) -> bool:
        ch = self.channel
        if ch.blocked:
            return False
        if self.no_ack:
            return True
        if self.prefetch and self.unacked >= self.prefetch:
            return False
        g = ch.global_prefetch
        return not (g and ch.consumer_unacked >= g)


class ReadyList:
    """FIFO of entries ordered by ``seq``; a requeued entry goes back to its original place."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: deque[Entry] = deque()

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.items)

    def push(self, e: Entry) -> None:
        self.items.append(e)

    def peek(self) -> Entry | None:
        return self.items[0] if self.items else None

    def pop(self) -> Entry:
        return self.items.popleft()

    def put_back(self, e: Entry) -> None:
        items = self.items
        if not items or e.seq < items[0].seq:
            items.appendleft(e)
        elif e.seq > items[-1].seq:
            items.append(e)
        else:
            keys = [x.seq for x in items]
            items.insert(bisect.bisect_left(keys, e.seq), e)

    def clear(self) -> list[Entry]:
        out = list(self.items)
        self.items.clear()
        return out


class PriorityReadyList:
    """``x-max-priority``: one FIFO per priority, highest served first."""

    __slots__ = ("buckets", "count")

    def __init__(self, max_priority: int) -> None:
        self.buckets = [ReadyList() for _ in range(max_priority + 1)]
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Entry]:
        for b in reversed(self.buckets):
            yield from b

    def push(self, e: Entry) -> None:
        self.buckets[e.priority].push(e)
        self.count += 1

    def peek(self) -> Entry | None:
        for b in reversed(self.buckets):
            if b.items:
                return b.items[0]
        return None

    def pop(self) -> Entry:
        for b in reversed(self.buckets):
            if b.items:
                self.count -= 1
                return b.pop()
        raise IndexError("pop from an empty queue")

    def put_back(self, e: Entry) -> None:
        self.buckets[e.priority].put_back(e)
        self.count += 1

    def clear(self) -> list[Entry]:
        out: list[Entry] = []
        for b in reversed(self.buckets):
            out.extend(b.clear())
        self.count = 0
        return out


class Queue:
    __slots__ = (
        "name",
        "qid",
        "vhost",
        "host",
        "durable",
        "exclusive_owner",
        "auto_delete",
        "arguments",
        "type",
        "ready",
        "ready_bytes",
        "unacked_count",
        "unacked_bytes",
        "consumers",
        "_rr",
        "_seq",
        "message_ttl",
        "expires",
        "max_length",
        "max_length_bytes",
        "overflow",
        "dlx",
        "dlrk",
        "max_priority",
        "single_active",
        "delivery_limit",
        "had_consumers",
        "deleted",
        "_ttl_timer",
        "_ttl_due",
        "_expiry_timer",
        "_dispatching",
        "stats",
        "bindings",
        "name_bytes",
        "_prio_mixed",
        "_plain",
        "samples",
        "flow_waiters",
        "flow_mark",
        "flow_stuck",
    )

    def __init__(
        self,
        name: str,
        vhost: str,
        host: Any,
        durable: bool = False,
        exclusive_owner: Any = None,
        auto_delete: bool = False,
        arguments: dict[str, Any] | None = None,
        qid: int = 0,
    ) -> None:
        from .arguments import queue_settings

        self.name = name
        raw = name.encode()
        self.name_bytes = bytes((len(raw),)) + raw
        self.qid = qid
        self.vhost = vhost
        self.host = host
        self.durable = durable
        self.exclusive_owner = exclusive_owner
        self.auto_delete = auto_delete
        self.arguments = arguments or {}
        s = queue_settings(self.arguments)
        self.type = s["type"]
        self.message_ttl: int | None = s["message_ttl"]
        self.expires: int | None = s["expires"]
        self.max_length: int | None = s["max_length"]
        self.max_length_bytes: int | None = s["max_length_bytes"]
        self.overflow: str = s["overflow"]
        self.dlx: str | None = s["dlx"]
        self.dlrk: str | None = s["dlrk"]
        self.max_priority: int | None = s["max_priority"]
        self.single_active: bool = s["single_active"]
        self.delivery_limit: int | None = s["delivery_limit"]
        self.ready: ReadyList | PriorityReadyList = (
            PriorityReadyList(self.max_priority) if self.max_priority is not None else ReadyList()
        )
        self.ready_bytes = 0
        self.unacked_count = 0
        self.unacked_bytes = 0
        self.consumers: list[Consumer] = []
        self._rr = 0
        self._seq = 0
        self.had_consumers = False
        self.deleted = False
        self._ttl_timer: Any = None
        self._ttl_due = 0
        self._expiry_timer: Any = None
        self._dispatching = False
        self._prio_mixed = False
        self._plain = (
            self.message_ttl is None
            and self.max_priority is None
            and self.max_length is None
            and self.max_length_bytes is None
        )
        # publish/deliver/ack counters for the management API and /metrics
        self.stats = QueueStats()
        self.samples = None  # rates.Samples
        self.flow_waiters: set | None = None  # publishers held while this queue is backed up
        self.flow_mark = 0  # deliveries made when the first of them was held
        self.flow_stuck = False  # its consumers took nothing in a whole pause: hold nobody
        self.bindings: dict[tuple, Any] = {}  # bindings whose destination is this queue

    # -- properties ----------------------------------------------------------------------------
    @property
    def exclusive(self) -> bool:
        return self.exclusive_owner is not None

    @property
    def message_count(self) -> int:
        return len(self.ready)

    @property
    def consumer_count(self) -> int:
        return len(self.consumers)

    # -- enqueue -------------------------------------------------------------------------------
    def accepts(self, msg: Message) -> bool:
        """reject-publish(-dlx): is there room for ``msg``?"""
        if self.overflow == "drop-head":
            return True
        if self.max_length is not None and len(self.ready) >= self.max_length:
            return False
        return not (
            self.max_length_bytes is not None
            and self.ready_bytes + msg.size > self.max_length_bytes
        )

    def enqueue(self, msg: Message, now_ms: int = 0) -> Entry:
        self._seq += 1
        if self._plain and msg.summary.expiration is None:
            # no TTL, priorities or length limits: the common case, kept lean
            e = Entry(msg, self._seq)
            msg.refs += 1
            self.ready.items.append(e)  # type: ignore[union-attr]  # plain: a ReadyList
            self.ready_bytes += msg.size
            self.stats.publish += 1
            if self.consumers:
                self.dispatch()
            return e
        if not now_ms:
            now_ms = self.host.now_ms()
        expires = 0
        ttl = self.message_ttl
        exp = msg.summary.expiration
        if exp is not None:
            try:
                mttl = int(exp)
            except ValueError:
                mttl = None
            if mttl is not None and (ttl is None or mttl < ttl):
                ttl = mttl
        if ttl is not None:
            expires = now_ms + ttl
        prio = 0
        if self.max_priority is not None:
            p = msg.summary.priority or 0
            prio = p if p <= self.max_priority else self.max_priority
        e = Entry(msg, self._seq, expires, prio)
        msg.refs += 1
        self.ready.push(e)
        self.ready_bytes += msg.size
        self.stats.publish += 1
        self._enforce_limits()
        if self.consumers:
            self.dispatch()
        if expires and not self.deleted:
            self._expire(now_ms)
            self._arm_ttl()
        return e

    def enqueue_run(self, msgs: list[Message], size: int) -> None:
        """Enqueue a run of new messages (``size`` bytes of bodies in all)."""
        if not self._plain or msgs[0].summary.expiration is not None:
            for m in msgs:
                self.enqueue(m)
            return
        seq = self._seq
        add = self.ready.items.append  # type: ignore[union-attr]  # plain: a ReadyList
        for m in msgs:
            seq += 1
            m.refs += 1
            add(Entry(m, seq))
        self._seq = seq
        self.ready_bytes += size
        self.stats.publish += len(msgs)
        if self.consumers:
            self.dispatch()

    def _enforce_limits(self) -> None:
        if self.overflow != "drop-head":
            return
        ml = self.max_length
        mb = self.max_length_bytes
        dropped: list[Entry] = []
        ready = self.ready
        while ready and (
            (ml is not None and len(ready) > ml) or (mb is not None and self.ready_bytes > mb)
        ):
            e = ready.pop()
            self.ready_bytes -= e.msg.size
            dropped.append(e)
        if dropped:
            self.host.dead_letter(self, dropped, "maxlen")

    # -- consumers -------------------------------------------------------------------------------
    def add_consumer(self, c: Consumer) -> None:
        self.consumers.append(c)
        if c.priority != self.consumers[0].priority or self._prio_mixed:
            self._prio_mixed = True
            self.consumers.sort(key=lambda x: -x.priority)  # stable: registration order kept
        self.had_consumers = True
        self._cancel_expiry()
        self.dispatch()

    def remove_consumer(self, c: Consumer) -> None:
        try:
            self.consumers.remove(c)
        except ValueError:
            return
        if self._rr >= len(self.consumers):
            self._rr = 0
        if not self.consumers:
            if self.flow_waiters is not None or self.flow_stuck:
                flow.drained(self)
            if self.auto_delete and self.had_consumers:
                self.host.delete_queue(self, reason="auto_delete")
                return
            self._arm_expiry()
        elif self.single_active:
            self.dispatch()

    def active_consumer(self) -> Consumer | None:
        if self.single_active:
            return self.consumers[0] if self.consumers else None
        return None

    def _next_consumer(self) -> Consumer | None:
        consumers = self.consumers
        n = len(consumers)
        if n == 0:
            return None
        if self.single_active:
            c = consumers[0]
            return c if c.can_take() else None
        if not self._prio_mixed:
            start = self._rr
            for i in range(n):
                idx = (start + i) % n
                c = consumers[idx]
                if c.can_take():
                    self._rr = idx + 1 if idx + 1 < n else 0
                    return c
            return None
        # consumer priorities: the highest priority group with room, round-robin within it
        i = 0
        while i < n:
            prio = consumers[i].priority
            j = i
            while j < n and consumers[j].priority == prio:
                j += 1
            size = j - i
            start = self._rr - i if i <= self._rr < j else 0
            for k in range(size):
                idx = i + (start + k) % size
                c = consumers[idx]
                if c.can_take():
                    self._rr = idx + 1 if idx + 1 < j else i
                    return c
            i = j
        return None

    def dispatch(self) -> None:
        """Hand ready messages to consumers while one can take a message."""
        if self._dispatching or self.deleted:
            return
        self._dispatching = True
        try:
            ready = self.ready
            now = 0
            consumers = self.consumers
            while ready:
                if len(consumers) == 1 and type(ready) is ReadyList:
                    # one consumer: runs of deliveries, encoded and written together
                    if not self._dispatch_run(consumers[0]):
                        break
                    continue
                c = self._next_consumer()
                if c is None:
                    break
                e = ready.pop()
                if e.expires:
                    if not now:
                        now = self.host.now_ms()
                    if e.expires <= now:
                        self.ready_bytes -= e.msg.size
                        self.host.dead_letter(self, [e], "expired")
                        continue
                self.ready_bytes -= e.msg.size
                if not c.no_ack:
                    self.unacked_count += 1
                    self.unacked_bytes += e.msg.size
                c.delivered += 1
                stats = self.stats
                if c.no_ack:
                    stats.deliver_no_ack += 1
                else:
                    stats.deliver += 1
                if e.redelivered:
                    stats.redeliver += 1
                c.channel.deliver(c, self, e)
                if c.no_ack:
                    self.settled(e)
        finally:
            self._dispatching = False
        if self.flow_waiters is not None or self.flow_stuck:
            flow.drained(self)

    def _dispatch_run(self, c: Consumer) -> bool:
        """Deliver up to a run of ready messages to ``c``; False when it can take none."""
        room = c.room()
        if not room:
            return False
        items = self.ready.items  # type: ignore[union-attr]  # the caller checked: a ReadyList
        take = min(room, RUN, len(items))
        entries: list[Entry] = []
        size = 0
        expired: list[Entry] = []
        now = 0
        pop = items.popleft
        while len(entries) < take and items and size < RUN_BYTES:
            e = pop()
            if e.expires:
                if not now:
                    now = self.host.now_ms()
                if e.expires <= now:
                    self.ready_bytes -= e.msg.size
                    expired.append(e)
                    continue
            entries.append(e)
            size += e.msg.size
        if expired:
            self.host.dead_letter(self, expired, "expired")
        if not entries:
            return True
        count = len(entries)
        self.ready_bytes -= size
        c.delivered += count
        stats = self.stats
        if c.no_ack:
            stats.deliver_no_ack += count
        else:
            stats.deliver += count
        for e in entries:
            if e.redelivered:
                stats.redeliver += 1
        if c.no_ack:
            c.channel.deliver_run(c, self, entries)
            removed = self.host.message_removed
            for e in entries:
                msg = e.msg
                msg.refs -= 1
                removed(self, msg)
        else:
            self.unacked_count += count
            self.unacked_bytes += size
            c.channel.deliver_run(c, self, entries)
        return True

    # -- basic.get -----------------------------------------------------------------------------------
    def get(self) -> Entry | None:
        self.touch()
        ready = self.ready
        now = 0
        while ready:
            e = ready.pop()
            self.ready_bytes -= e.msg.size
            if e.expires:
                if not now:
                    now = self.host.now_ms()
                if e.expires <= now:
                    self.host.dead_letter(self, [e], "expired")
                    continue
            if e.redelivered:
                self.stats.redeliver += 1
            return e
        return None

    def took_unacked(self, e: Entry) -> None:
        self.unacked_count += 1
        self.unacked_bytes += e.msg.size

    # -- settlement ------------------------------------------------------------------------------------
    def acked(self, e: Entry) -> None:
        """An unacknowledged delivery was acknowledged (or rejected without requeue)."""
        self.unacked_count -= 1
        self.unacked_bytes -= e.msg.size
        self.stats.ack += 1
        self.settled(e)

    def settled(self, e: Entry) -> None:
        """``e`` left the queue for good."""
        msg = e.msg
        msg.refs -= 1
        self.host.message_removed(self, msg)

    def requeue(self, entries: list[Entry]) -> None:
        """Return unacknowledged deliveries to their original positions, marked redelivered."""
        now = 0
        limit = self.delivery_limit
        poison: list[Entry] = []
        for e in entries:
            self.unacked_count -= 1
            self.unacked_bytes -= e.msg.size
            if self.deleted:
                self.settled(e)
                continue
            e.redelivered = True
            if self.type == "quorum":
                e.deliveries += 1
                if limit is not None and limit >= 0 and e.deliveries > limit:
                    poison.append(e)
                    continue
            if e.expires:
                if not now:
                    now = self.host.now_ms()
                if e.expires <= now:
                    self.host.dead_letter(self, [e], "expired")
                    continue
            self.ready.put_back(e)
            self.ready_bytes += e.msg.size
        if poison:
            self.host.dead_letter(self, poison, "delivery_limit")
        if not self.deleted:
            self.dispatch()
            self._arm_ttl()

    def reject_discard(self, entries: list[Entry]) -> None:
        """basic.reject / nack with requeue=false: dead-letter (reason ``rejected``) or drop."""
        for e in entries:
            self.unacked_count -= 1
            self.unacked_bytes -= e.msg.size
        if self.deleted:
            for e in entries:
                self.settled(e)
            return
        self.host.dead_letter(self, entries, "rejected")

    # -- purge / delete ------------------------------------------------------------------------------
    def purge(self) -> int:
        entries = self.ready.clear()
        self.ready_bytes = 0
        for e in entries:
            self.settled(e)
        if self.flow_waiters is not None or self.flow_stuck:
            flow.drained(self)
        return len(entries)

    def drain_for_delete(self) -> list[Entry]:
        self.deleted = True
        if self.flow_waiters is not None or self.flow_stuck:
            flow.drained(self)
        for t in (self._ttl_timer, self._expiry_timer):
            if t is not None:
                t.cancel()
        self._ttl_timer = self._expiry_timer = None
        entries = self.ready.clear()
        self.ready_bytes = 0
        return entries

    # -- TTL ---------------------------------------------------------------------------------------------
    def _expire(self, now: int) -> None:
        """Dead-letter expired messages at the head (RabbitMQ only looks at the head)."""
        ready = self.ready
        expired: list[Entry] = []
        while ready:
            e = ready.peek()
            if e is None or not e.expires or e.expires > now:
                break
            ready.pop()
            self.ready_bytes -= e.msg.size
            expired.append(e)
        if expired:
            self.host.dead_letter(self, expired, "expired")

    def _arm_ttl(self) -> None:
        head = self.ready.peek()
        if head is None or not head.expires or self.deleted:
            return
        if self._ttl_timer is not None and self._ttl_due <= head.expires:
            return
        if self._ttl_timer is not None:
            self._ttl_timer.cancel()
        self._ttl_due = head.expires
        delay = max(0, head.expires - self.host.now_ms()) / 1000.0
        self._ttl_timer = self.host.call_later(delay, self._on_ttl)

    def _on_ttl(self) -> None:
        self._ttl_timer = None
        if self.deleted:
            return
        self._expire(self.host.now_ms())
        self._arm_ttl()

    # -- x-expires ---------------------------------------------------------------------------------
    def touch(self) -> None:
        """The queue was used (basic.get, redeclare): restart its x-expires countdown."""
        if self.expires is not None and not self.consumers:
            self._cancel_expiry()
            self._arm_expiry()

    def _arm_expiry(self) -> None:
        if self.expires is None or self.deleted or self.consumers:
            return
        if self._expiry_timer is None:
            self._expiry_timer = self.host.call_later(self.expires / 1000.0, self._on_expiry)

    def _cancel_expiry(self) -> None:
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
            self._expiry_timer = None

    def _on_expiry(self) -> None:
        self._expiry_timer = None
        if not self.deleted and not self.consumers:
            self.host.delete_queue(self, reason="expired")

    def start_timers(self) -> None:
        self._arm_expiry()
        self._arm_ttl()


class QueueStats:
    """A queue's message counters, named as RabbitMQ's management API names them."""

    __slots__ = ("publish", "get", "get_no_ack", "deliver", "deliver_no_ack", "redeliver", "ack",
                 "get_empty")  # fmt: skip
    publish: int
    get: int
    get_no_ack: int
    deliver: int
    deliver_no_ack: int
    redeliver: int
    ack: int
    get_empty: int

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, 0)

    @property
    def deliver_get(self) -> int:
        return self.get + self.get_no_ack + self.deliver + self.deliver_no_ack

    def values(self) -> tuple[int, ...]:
        """In the order of :data:`.rates.QUEUE`."""
        return (self.publish, self.get, self.get_no_ack, self.deliver, self.deliver_no_ack,
                self.redeliver, self.ack, self.deliver_get, self.get_empty)  # fmt: skip
