"""One AMQP channel's state: consumers, unacknowledged deliveries, QoS, confirms, transactions.

The channel writes through its connection (``conn.send``) and knows the broker only through the
connection.  Deliveries are written with the hand encoders of :mod:`.wire`; the content header
payload is the one the message built once, so a delivery costs three frame headers and a join.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .errors import AMQPError
from .message import Entry
from .queue import Consumer, Queue
from .table import Table
from .wire import (
    FRAME_HEADER_S,
    U64,
    Properties,
    content_frames,
    deliver_method,
    encode_properties,
    get_ok_method,
    header_payload,
    method_frame,
)

_pack_hdr = FRAME_HEADER_S.pack
_pack_tag = U64.pack
_END = b"\xce"


def _END_HDR2(channel: int, size: int) -> bytes:  # noqa: N802
    """The frame end of the method frame, then a content header frame's header."""
    return b"\xce" + _pack_hdr(2, channel, size)


def _END_HDR3(channel: int, size: int) -> bytes:  # noqa: N802
    return b"\xce" + _pack_hdr(3, channel, size)


OPEN = 1
CLOSING = 2  # we sent channel.close and wait for close-ok
CLOSED = 3


class Delivery:
    __slots__ = ("tag", "queue", "entry", "consumer")

    def __init__(self, tag: int, queue: Queue, entry: Entry, consumer: Consumer | None) -> None:
        self.tag = tag
        self.queue = queue
        self.entry = entry
        self.consumer = consumer


class Channel:
    __slots__ = (
        "conn",
        "number",
        "state",
        "consumers",
        "unacked",
        "next_tag",
        "prefetch",
        "global_prefetch",
        "consumer_unacked",
        "blocked",
        "confirm",
        "publish_seq",
        "pending_confirms",
        "tx",
        "tx_ops",
        "pending_method",
        "pending_header",
        "body_parts",
        "body_remaining",
        "reply_tag",
        "reply_name",
        "last_queue",
        "stats",
        "created_ms",
        "_consumer_seq",
        "samples",
        "tag_marks",
    )

    def __init__(self, conn: Any, number: int) -> None:
        self.conn = conn
        self.number = number
        self.state = OPEN
        self.consumers: dict[str, Consumer] = {}
        self.unacked: dict[int, Delivery] = {}
        self.next_tag = 0
        self.prefetch = 0  # basic.qos global=false: applies to consumers created after it
        self.global_prefetch = 0  # basic.qos global=true: shared by the channel's consumers
        self.consumer_unacked = 0
        self.blocked = False  # the connection cannot take more output right now
        self.confirm = False
        self.publish_seq = 0
        self.pending_confirms: deque[list] = deque()  # [first, last, log seq, nack]
        self.tx = False
        self.tx_ops: list[tuple] = []
        self.pending_method: Any = None  # basic.publish waiting for its content
        self.pending_header: bytes | None = None
        self.body_parts: list[bytes] = []
        self.body_remaining = 0
        self.reply_tag: str | None = None  # direct reply-to consumer
        self.reply_name: str | None = None
        self.last_queue = ""  # "no previously declared queue"
        self.stats = ChannelStats()
        self.created_ms = conn.broker.now_ms()
        self._consumer_seq = 0
        self.samples = None  # rates.Samples
        self.tag_marks: Any = None  # consumer_timeout's (time, last tag) notes

    # -- output ----------------------------------------------------------------------------------
    def send_method(self, method: Any) -> None:
        self.conn.send(method_frame(self.number, method))

    # -- consumers --------------------------------------------------------------------------------
    def new_consumer_tag(self) -> str:
        import secrets

        return "amq.ctag-" + secrets.token_urlsafe(16)

    def deliver(self, consumer: Consumer, queue: Queue, entry: Entry) -> None:
        self.next_tag += 1
        tag = self.next_tag
        msg = entry.msg
        conn = self.conn
        body = msg.body
        if body is None:
            body = conn.broker.body_of(msg)
        header = msg.header
        if entry.deliveries and queue.type == "quorum":
            header = _with_delivery_count(msg, entry.deliveries, len(body))
        n = self.number
        blen = len(body)
        if blen and blen <= conn.frame_max - 8:
            # the whole delivery (method, header, one body frame) in one join
            prefix = consumer.deliver_prefix
            xr = msg.xname + msg.rkname
            conn.send(
                b"".join(
                    (
                        _pack_hdr(1, n, len(prefix) + 9 + len(xr)),
                        prefix,
                        _pack_tag(tag),
                        b"\x01" if entry.redelivered else b"\x00",
                        xr,
                        _END_HDR2(n, len(header)),
                        header,
                        _END_HDR3(n, blen),
                        body,
                        _END,
                    )
                )
            )
        else:
            frames = content_frames(n, header, body, conn.frame_max)
            frames.insert(
                0,
                deliver_method(n, consumer.etag, tag, entry.redelivered, msg.xname, msg.rkname),
            )
            conn.send(b"".join(frames))
        if not consumer.no_ack:
            self.unacked[tag] = Delivery(tag, queue, entry, consumer)
            consumer.unacked += 1
            self.consumer_unacked += 1
            self.stats.deliver += 1
            if msg.stored and queue.durable and not entry.redelivered:
                conn.broker.store.delivered(queue, msg)
        else:
            self.stats.deliver_no_ack += 1
        if entry.redelivered:
            self.stats.redeliver += 1

    def deliver_run(self, consumer: Consumer, queue: Queue, entries: list[Entry]) -> None:
        """Several deliveries to one consumer, encoded into one write."""
        conn = self.conn
        n = self.number
        max_body = conn.frame_max - 8
        prefix = consumer.deliver_prefix
        no_ack = consumer.no_ack
        tag = self.next_tag
        parts: list[bytes] = []
        add = parts.extend
        method_hdr: dict[int, bytes] = {}  # length of the method payload -> its frame header
        hdr2: dict[int, bytes] = {}
        end_hdr3: dict[int, bytes] = {}
        body_of = conn.broker.body_of
        quorum = queue.type == "quorum"
        redelivered = 0
        for e in entries:
            tag += 1
            msg = e.msg
            body = msg.body
            if body is None:
                body = body_of(msg)
            header = msg.header
            if quorum and e.deliveries:
                header = _with_delivery_count(msg, e.deliveries, len(body))
            blen = len(body)
            xr = msg.xname + msg.rkname
            if e.redelivered:
                redelivered += 1
            if blen and blen <= max_body:
                mlen = len(prefix) + 9 + len(xr)
                mh = method_hdr.get(mlen)
                if mh is None:
                    mh = method_hdr[mlen] = _pack_hdr(1, n, mlen)
                hl = len(header)
                h2 = hdr2.get(hl)
                if h2 is None:
                    h2 = hdr2[hl] = _END_HDR2(n, hl)
                h3 = end_hdr3.get(blen)
                if h3 is None:
                    h3 = end_hdr3[blen] = _END_HDR3(n, blen)
                add(
                    (
                        mh,
                        prefix,
                        _pack_tag(tag),
                        b"\x01" if e.redelivered else b"\x00",
                        xr,
                        h2,
                        header,
                        h3,
                        body,
                        _END,
                    )
                )
            else:
                frames = content_frames(n, header, body, conn.frame_max)
                frames.insert(
                    0, deliver_method(n, consumer.etag, tag, e.redelivered, msg.xname, msg.rkname)
                )
                add(frames)
        count = len(entries)
        if not no_ack:
            unacked = self.unacked
            store = conn.broker.store
            t = self.next_tag
            for e in entries:
                t += 1
                unacked[t] = Delivery(t, queue, e, consumer)
                msg = e.msg
                if msg.stored and queue.durable and not e.redelivered:
                    store.delivered(queue, msg)
            consumer.unacked += count
            self.consumer_unacked += count
            self.stats.deliver += count
        else:
            self.stats.deliver_no_ack += count
        self.stats.redeliver += redelivered
        self.next_tag = tag
        conn.send(b"".join(parts))

    def deliver_get(self, queue: Queue, entry: Entry, no_ack: bool) -> None:
        self.next_tag += 1
        tag = self.next_tag
        msg = entry.msg
        conn = self.conn
        body = msg.body
        if body is None:
            body = conn.broker.body_of(msg)
        header = msg.header
        if entry.deliveries and queue.type == "quorum":
            header = _with_delivery_count(msg, entry.deliveries, len(body))
        frames = content_frames(self.number, header, body, conn.frame_max)
        frames.insert(
            0,
            get_ok_method(
                self.number, tag, entry.redelivered, msg.xname, msg.rkname, len(queue.ready)
            ),
        )
        conn.send(b"".join(frames))
        if no_ack:
            queue.settled(entry)
            self.stats.get_no_ack += 1
            queue.stats.get_no_ack += 1
        else:
            queue.took_unacked(entry)
            self.unacked[tag] = Delivery(tag, queue, entry, None)
            self.stats.get += 1
            queue.stats.get += 1
            if msg.stored and queue.durable and not entry.redelivered:
                conn.broker.store.delivered(queue, msg)

    def consumer_cancelled_by_server(self, c: Consumer) -> None:
        """The queue went away: basic.cancel to clients that asked for consumer_cancel_notify."""
        if self.consumers.pop(c.tag, None) is None:
            return
        conn = self.conn
        if self.state == OPEN and conn.capabilities.get("consumer_cancel_notify"):
            from pamqp.commands import Basic

            from .wire import build

            self.send_method(build(Basic.Cancel, consumer_tag=c.tag, nowait=True))

    # -- settlement -------------------------------------------------------------------------------
    def take(self, tag: int, multiple: bool) -> list[Delivery]:
        unacked = self.unacked
        if multiple:
            if tag == 0:
                out = list(unacked.values())
                unacked.clear()
                return out
            if tag not in unacked and (not unacked or tag < next(iter(unacked))):
                raise AMQPError(406, f"unknown delivery tag {tag}")
            out = []
            while unacked:
                first = next(iter(unacked))
                if first > tag:
                    break
                out.append(unacked.pop(first))
            return out
        d = unacked.pop(tag, None)
        if d is None:
            raise AMQPError(406, f"unknown delivery tag {tag}")
        return [d]

    def release(self, ds: list[Delivery]) -> set[Queue]:
        """Return consumer credit for settled deliveries; the queues to dispatch again."""
        kick: set[Queue] = set()
        for d in ds:
            c = d.consumer
            if c is not None:
                c.unacked -= 1
                self.consumer_unacked -= 1
                kick.add(d.queue)
        if self.global_prefetch and kick:
            for c in self.consumers.values():
                kick.add(c.queue)
        return kick

    def ack(self, ds: list[Delivery]) -> None:
        for d in ds:
            d.queue.acked(d.entry)
        self.stats.ack += len(ds)
        for q in self.release(ds):
            q.dispatch()

    def reject(self, ds: list[Delivery], requeue: bool) -> None:
        kick = self.release(ds)
        by_queue: dict[Queue, list[Entry]] = {}
        for d in ds:
            by_queue.setdefault(d.queue, []).append(d.entry)
        for q, entries in by_queue.items():
            if requeue:
                entries.sort(key=lambda e: e.seq)
                q.requeue(entries)
            else:
                q.reject_discard(entries)
            kick.discard(q)
        for q in kick:
            q.dispatch()

    def requeue_all(self) -> None:
        """Channel closed or basic.recover: every unacknowledged delivery goes back."""
        ds = list(self.unacked.values())
        self.unacked.clear()
        if ds:
            self.reject(ds, True)

    # -- confirms ---------------------------------------------------------------------------------
    def confirm_run(self, n: int, wait: int, nack: bool) -> None:
        """``n`` more publishes to confirm once store record ``wait`` is durable (0: at once),
        or to nack.  Kept as ranges [first, last, wait, nack] of publish sequence numbers."""
        first = self.publish_seq + 1
        self.publish_seq += n
        pending = self.pending_confirms
        if pending:
            tail = pending[-1]
            if tail[2] == wait and tail[3] == nack:
                tail[1] = self.publish_seq
                return
        pending.append([first, self.publish_seq, wait, nack])

    @property
    def unconfirmed(self) -> int:
        return sum(r[1] - r[0] + 1 for r in self.pending_confirms)

    def flush_confirms(self, durable_seq: int) -> None:
        """Send basic.ack/nack for confirmed publishes, in order, coalescing with ``multiple``."""
        pending = self.pending_confirms
        if not pending or self.state != OPEN:
            return
        from .wire import confirm_frame

        out: list[bytes] = []
        run_end = 0
        run_len = 0
        acked = 0
        number = self.number
        while pending:
            first, last, wait, nack = pending[0]
            if wait > durable_seq:
                break
            pending.popleft()
            if nack:
                if run_len:
                    out.append(confirm_frame(number, run_end, run_len > 1))
                    run_len = 0
                for seq in range(first, last + 1):
                    out.append(confirm_frame(number, seq, False, nack=True))
            else:
                run_end = last
                run_len += last - first + 1
                acked += last - first + 1
        if run_len:
            # multiple=true acks every earlier unconfirmed tag: only safe from the oldest one
            out.append(confirm_frame(number, run_end, run_len > 1))
        if out:
            self.stats.confirm += acked
            self.conn.send(b"".join(out))

    # -- closing ----------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Release everything the channel holds (consumers cancelled, deliveries requeued)."""
        if self.state == OPEN and self.conn.vhost is not None:
            self.conn.vhost.channel_closed(self.stats)  # its counters stay in the vhost's
        self.state = CLOSED
        for c in list(self.consumers.values()):
            c.queue.remove_consumer(c)
        self.consumers.clear()
        self.requeue_all()
        self.pending_confirms.clear()
        self.tx_ops.clear()
        if self.reply_name is not None:
            self.conn.broker.reply_to.pop(self.reply_name, None)
            self.reply_name = self.reply_tag = None


def _with_delivery_count(msg: Any, count: int, size: int) -> bytes:
    """A quorum queue redelivery carries ``x-delivery-count`` in its headers."""
    p = msg.properties
    newp = Properties(**p.as_dict())
    h = Table(p.headers or {})
    if isinstance(p.headers, Table):
        h.types.update(p.headers.types)
    h["x-delivery-count"] = count
    h.types["x-delivery-count"] = "l"
    newp.headers = h
    return header_payload(size, encode_properties(newp))


class ChannelStats:
    """A channel's message counters, named as RabbitMQ's management API names them."""

    __slots__ = ("publish", "confirm", "return_unroutable", "drop_unroutable", "get",
                 "get_no_ack", "deliver", "deliver_no_ack", "redeliver", "ack", "get_empty")  # fmt: skip
    publish: int
    confirm: int
    return_unroutable: int
    drop_unroutable: int
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

    def values(self) -> tuple[int, ...]:
        """In the order of :data:`.rates.CHANNEL` (``deliver_get`` summed)."""
        return (self.publish, self.confirm, self.return_unroutable, self.drop_unroutable,
                self.get, self.get_no_ack, self.deliver, self.deliver_no_ack, self.redeliver,
                self.ack, self.get + self.get_no_ack + self.deliver + self.deliver_no_ack,
                self.get_empty)  # fmt: skip
