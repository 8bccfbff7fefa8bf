"""Message and data rates as RabbitMQ's management plugin computes them.

Every ``collect_statistics_interval`` (RabbitMQ's default: 5 s) the broker takes a sample of the
counters of every queue, exchange, channel, connection and virtual host, and of the node as a
whole, on the runtime's clock.  A rate is computed from the last two samples, per second, and
only while the last sample is recent (RabbitMQ's ``rate_from_last_increment``: the sample must
be at or after ``(now div interval) * interval - interval``, else the rate is 0.0).  A request
with ``msg_rates_age``/``msg_rates_incr`` (or ``lengths_*``, ``data_rates_*``) also gets the
samples over that range, their average rate and average (``avg_rate``, ``avg``).

The counters themselves are reported live (RabbitMQ reports the last sample's totals, so its
counts lag by up to one interval); only the rates come from the samples.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

# RabbitMQ's stat names, in the order the samples keep them
FINE = ("publish", "confirm", "return_unroutable", "drop_unroutable")
DELIVER = ("get", "get_no_ack", "deliver", "deliver_no_ack", "redeliver", "ack", "deliver_get",
           "get_empty")  # fmt: skip
CHANNEL = FINE + DELIVER
QUEUE = ("publish", *DELIVER)
LENGTHS = ("messages_ready", "messages_unacknowledged", "messages")
EXCHANGE = ("publish_in", "publish_out")
OCTETS = ("recv_oct", "send_oct")
CHURN = ("connection_created", "connection_closed", "channel_created", "channel_closed",
         "queue_declared", "queue_created", "queue_deleted")  # fmt: skip

KEEP_OBJECT = 13  # samples kept per queue, exchange, channel, connection (one minute at 5 s)
KEEP_GLOBAL = 121  # per virtual host and for the node (RabbitMQ's 605 s at 5 s)


class Samples:
    """One object's samples: (timestamp ms, values) at each collection (an exometer slide)."""

    __slots__ = ("points",)

    def __init__(self, keep: int) -> None:
        self.points: deque[tuple[int, tuple]] = deque(maxlen=keep)

    def add(self, ts: int, values: tuple) -> None:
        points = self.points
        if points:
            last_ts, last = points[-1]
            if last == values:
                values = last  # share the tuple: an idle object costs one small pair
            if last_ts == ts:  # a late timer rounded to the same instant
                points[-1] = (ts, values)
                return
        points.append((ts, values))


def add_samples(obj: Any, ts: int, values: tuple, keep: int = KEEP_OBJECT) -> None:
    s = obj.samples
    if s is None:
        s = obj.samples = Samples(keep)
    s.add(ts, values)


def rates(samples: Samples | None, width: int, now: int, interval: int) -> Sequence[float]:
    """The per-second rates from the last two samples, when the last one is live."""
    if samples is None or len(samples.points) < 2:
        return (0.0,) * width
    (ts0, a), (ts1, b) = samples.points[-1], samples.points[-2]
    range_point = (now // interval) * interval - interval
    if ts0 < range_point or ts0 == ts1:
        return (0.0,) * width
    span = ts0 - ts1
    return [(x - y) * 1000 / span for x, y in zip(a, b, strict=False)]


class Range:
    """A requested range of samples: ``*_age`` and ``*_incr`` seconds (RabbitMQ's #range)."""

    __slots__ = ("first", "last", "incr")

    def __init__(self, age: int, incr: int, now: int) -> None:
        self.incr = incr * 1000
        self.last = (now // self.incr) * self.incr
        self.first = self.last - age * 1000

    @classmethod
    def parse(cls, query: dict[str, str], prefix: str, now: int) -> Range | None:
        try:
            age = int(query[prefix + "_age"])
            incr = int(query[prefix + "_incr"])
        except (KeyError, ValueError):
            return None
        if age < 0 or incr <= 0:
            return None
        return cls(age, incr, now)

    def points(self, samples: Samples | None, index: int) -> list[tuple[int, float]]:
        """(timestamp, value) at each step of the range, newest first: the latest sample at or
        before the step (counters are cumulative)."""
        if samples is None or not samples.points:
            return []
        pts = samples.points
        out: list[tuple[int, float]] = []
        t = self.last
        i = len(pts) - 1
        while t >= self.first:
            while i >= 0 and pts[i][0] > t:
                i -= 1
            if i < 0:
                break
            out.append((t, pts[i][1][index]))
            t -= self.incr
        return out


def details(
    names: Iterable[str],
    values: Sequence[int],
    samples: Samples | None,
    now: int,
    interval: int,
    rng: Range | None = None,
    offset: int = 0,
) -> dict[str, Any]:
    """``{name: value, name_details: {rate: r, ...}}`` for each stat; the stat ``i`` is at
    ``offset + i`` in the samples."""
    names = tuple(names)
    rs = rates(samples, offset + len(names), now, interval)
    out: dict[str, Any] = {}
    for i, name in enumerate(names):
        d: dict[str, Any] = {"rate": rs[offset + i]}
        if rng is not None:
            pts = rng.points(samples, offset + i)
            d["samples"] = [{"sample": v, "timestamp": t} for t, v in pts]
            if len(pts) > 1:
                (t2, s2), (t1, s1) = pts[0], pts[-1]
                d["avg_rate"] = (s2 - s1) * 1000 / (t2 - t1)
                d["avg"] = sum(v for _, v in pts) / len(pts)
        out[name] = values[i]
        out[name + "_details"] = d
    return out


# -- what is sampled ---------------------------------------------------------------------------


def queue_values(q: Any) -> tuple[int, ...]:
    """QUEUE + LENGTHS of one queue."""
    ready = len(q.ready)
    unacked = q.unacked_count
    return (*q.stats.values(), ready, unacked, ready + unacked)


def vhost_totals(broker: Any) -> dict[str, tuple[list[int], list[int], list[int]]]:
    """Per virtual host: channel counters (CHANNEL, closed channels included), octets (OCTETS,
    closed connections included) and queue lengths (LENGTHS)."""
    out: dict[str, tuple[list[int], list[int], list[int]]] = {}
    for v in broker.vhosts.values():
        lengths = [0, 0, 0]
        for q in v.queues.values():
            ready = len(q.ready)
            lengths[0] += ready
            lengths[1] += q.unacked_count
            lengths[2] += ready + q.unacked_count
        out[v.name] = (list(v.closed_msg), list(v.closed_oct), lengths)
    for c in broker.connections:
        v = c.vhost
        if v is None or v.name not in out:
            continue
        msg, octets, _ = out[v.name]
        octets[0] += c.recv_oct
        octets[1] += c.send_oct
        for ch in c.channels.values():
            if ch.state == 1:  # open (a closed channel's counters went to its vhost)
                for i, x in enumerate(ch.stats.values()):
                    msg[i] += x
    return out


def overview_values(broker: Any, totals: dict | None = None) -> tuple[int, ...]:
    """CHANNEL + LENGTHS + CHURN for the node."""
    totals = vhost_totals(broker) if totals is None else totals
    msg = [0] * len(CHANNEL)
    lengths = [0, 0, 0]
    for m, _, ln in totals.values():
        for i, x in enumerate(m):
            msg[i] += x
        for i, x in enumerate(ln):
            lengths[i] += x
    c = broker.counters
    churn = (c.connections_opened, c.connections_closed, c.channels_opened, c.channels_closed,
             c.queue_declare_methods, c.queues_declared, c.queues_deleted)  # fmt: skip
    return (*msg, *lengths, *churn)


def collect(broker: Any, ts: int) -> None:
    """Take one sample of every object's counters (RabbitMQ's collectors, every interval)."""
    totals = vhost_totals(broker)
    for c in broker.connections:
        if c.vhost is None:
            continue
        add_samples(c, ts, (c.recv_oct, c.send_oct))
        for ch in c.channels.values():
            add_samples(ch, ts, ch.stats.values())
    for v in broker.vhosts.values():
        msg, octets, lengths = totals[v.name]
        add_samples(v, ts, (*msg, *octets, *lengths), KEEP_GLOBAL)
        for q in v.queues.values():
            add_samples(q, ts, queue_values(q))
        for x in v.exchanges.values():
            add_samples(x, ts, (x.messages_in, x.messages_out))
    add_samples(broker, ts, overview_values(broker, totals), KEEP_GLOBAL)
