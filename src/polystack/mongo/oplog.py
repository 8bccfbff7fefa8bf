"""The operation log: every write as an entry stamped with a cluster time.

A cluster time is a BSON Timestamp (seconds, increment) that only moves forward: the seconds
come from the runtime clock, the increment counts writes within a second.  Entries follow the
shape of MongoDB's ``local.oplog.rs`` (``op`` i/u/d/c/n, ``ns``, ``ui``, ``o``, ``o2``, ``ts``,
``wall``); the in-memory window is bounded (the record log on disk is the durable copy) and is
what change streams and replication will read.
"""

from __future__ import annotations

import datetime
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bson.timestamp import Timestamp

DEFAULT_WINDOW = 10_000


class ClusterClock:
    """Hands out strictly increasing cluster times."""

    __slots__ = ("clock", "secs", "inc")

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.secs = 0
        self.inc = 0

    def tick(self) -> int:
        """A new cluster time, as ``secs << 32 | inc``."""
        now = int(self.clock.time())
        if now > self.secs:
            self.secs = now
            self.inc = 1
        else:
            self.inc += 1
            if self.inc >= 1 << 32:
                self.secs += 1
                self.inc = 1
        return self.secs << 32 | self.inc

    def reserve(self, n: int) -> int:
        """``n`` consecutive cluster times; returns the first (the last is ``first + n - 1``)."""
        first = self.tick()
        if n > 1:
            self.inc += n - 1
            if self.inc >= 1 << 32:
                self.secs += 1
                self.inc = n
                first = self.secs << 32 | 1
        return first

    def advance_to(self, ts: int) -> None:
        secs, inc = ts >> 32, ts & 0xFFFFFFFF
        if (secs, inc) > (self.secs, self.inc):
            self.secs, self.inc = secs, inc

    @property
    def last(self) -> int:
        return self.secs << 32 | self.inc

    def timestamp(self) -> Timestamp:
        return Timestamp(self.secs, self.inc) if self.secs else Timestamp(int(self.clock.time()), 0)


def to_timestamp(ts: int) -> Timestamp:
    return Timestamp(ts >> 32, ts & 0xFFFFFFFF)


@dataclass(slots=True)
class OplogEntry:
    ts: int
    op: str  # 'i' insert, 'u' update, 'd' delete, 'c' command, 'n' no-op
    ns: str
    o: Any  # i/u: the document's BSON bytes (a list of them for a batch); d: {_id}; c: command
    o2: Any = None  # u: {_id: ...}
    ui: Any = None
    wall_ms: int = 0

    def to_doc(self) -> dict[str, Any]:
        from .wire import decode_document

        o = decode_document(self.o) if isinstance(self.o, bytes) else self.o
        doc: dict[str, Any] = {"op": self.op, "ns": self.ns}
        if self.ui is not None:
            from bson.binary import Binary

            doc["ui"] = Binary.from_uuid(self.ui)
        doc["o"] = o
        if self.o2 is not None:
            doc["o2"] = self.o2
        doc["ts"] = to_timestamp(self.ts)
        doc["t"] = 1
        doc["v"] = 2
        doc["wall"] = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=self.wall_ms)
        return doc


class Oplog:
    """The recent window of oplog entries."""

    __slots__ = ("entries", "window", "total")

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        self.entries: deque[OplogEntry] = deque(maxlen=window)
        self.window = window
        self.total = 0

    def append(self, entry: OplogEntry) -> None:
        self.entries.append(entry)
        self.total += 1

    def since(self, ts: int) -> Iterator[OplogEntry]:
        """Entries after ``ts``, one per document (batched inserts are expanded)."""
        for e in self.entries:
            if type(e.o) is list:
                for i, raw in enumerate(e.o):
                    if e.ts + i > ts:
                        yield OplogEntry(e.ts + i, e.op, e.ns, raw, None, e.ui, e.wall_ms)
            elif e.ts > ts:
                yield e

    @property
    def first_ts(self) -> int:
        return self.entries[0].ts if self.entries else 0

    @property
    def last_ts(self) -> int:
        return self.entries[-1].ts if self.entries else 0
