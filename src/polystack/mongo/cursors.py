"""Server-side cursors: batches of raw documents, getMore, tailable and awaitData cursors."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import MongoError

MAX_BATCH_BYTES = 16 * 1024 * 1024
DEFAULT_FIRST_BATCH = 101


class TimeBudget:
    """``maxTimeMS``: the processing time an operation may use, summed over its batches (time a
    cursor sits idle between getMores does not count), checked while documents are examined."""

    __slots__ = ("clock", "limit", "used", "started")

    def __init__(self, clock: Any, limit_ms: int) -> None:
        self.clock = clock
        self.limit = limit_ms / 1000.0
        self.used = 0.0
        self.started: float | None = None

    def start(self) -> None:
        self.started = self.clock.monotonic()

    def stop(self) -> None:
        if self.started is not None:
            self.used += self.clock.monotonic() - self.started
            self.started = None

    def check(self) -> None:
        if self.started is None:
            return
        if self.used + (self.clock.monotonic() - self.started) > self.limit:
            self.stop()
            raise MongoError(50, "operation exceeded time limit")


@dataclass(slots=True, eq=False)
class Cursor:
    id: int
    ns: str
    source: Iterator[bytes]
    limit: int = 0  # documents still allowed (0: no limit)
    tailable: bool = False
    await_data: bool = False
    lsid: Any = None
    created_ms: int = 0
    last_used_ms: int = 0
    comment: Any = None
    command: dict[str, Any] = field(default_factory=dict)
    returned: int = 0
    batches: int = 0
    pinned: bool = False
    exhausted: bool = False
    # tailable cursors: re-open the source after the last document seen
    resume: Callable[[], Iterator[bytes]] | None = None
    no_timeout: bool = False
    kind: str = "find"
    pending: list[bytes] = field(default_factory=list)
    budget: TimeBudget | None = None

    def next_batch(self, batch_size: int) -> list[bytes]:
        """Up to ``batch_size`` documents (0: no count limit), within 16 MB."""
        budget = self.budget
        if budget is None:
            return self._next_batch(batch_size)
        budget.start()
        try:
            return self._next_batch(batch_size)
        finally:
            budget.stop()

    def _next_batch(self, batch_size: int) -> list[bytes]:
        out: list[bytes] = []
        size = 0
        want = batch_size if batch_size > 0 else 1 << 62
        if self.limit:
            want = min(want, self.limit - self.returned)
        pending = self.pending
        while len(out) < want:
            if pending:
                doc = pending.pop(0)
            else:
                try:
                    doc = next(self.source)
                except StopIteration:
                    if self.tailable and self.resume is not None:
                        self.source = self.resume()
                    else:
                        self.exhausted = True
                    break
            if out and size + len(doc) > MAX_BATCH_BYTES:
                pending.insert(0, doc)
                break
            out.append(doc)
            size += len(doc)
        self.returned += len(out)
        self.batches += 1
        if self.limit and self.returned >= self.limit:
            self.exhausted = True
        return out


class CursorManager:
    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.cursors: dict[int, Cursor] = {}
        self.total_opened = 0
        self.timed_out = 0

    def new_id(self) -> int:
        while True:
            cid = random.getrandbits(63)
            if cid and cid not in self.cursors:
                return cid

    def register(self, cursor: Cursor) -> Cursor:
        now = self.clock.time_ms()
        cursor.created_ms = cursor.last_used_ms = now
        self.cursors[cursor.id] = cursor
        self.total_opened += 1
        return cursor

    def get(self, cid: int, ns: str) -> Cursor:
        c = self.cursors.get(cid)
        if c is None:
            raise MongoError(43, f"cursor id {cid} not found")
        if c.ns != ns:
            raise MongoError(
                13,
                f"Requested getMore on namespace '{ns}', but cursor belongs to a different "
                f"namespace {c.ns}",
            )
        c.last_used_ms = self.clock.time_ms()
        return c

    def kill(self, cid: int) -> bool:
        return self.cursors.pop(cid, None) is not None

    def kill_namespace(self, ns: str) -> None:
        for cid in [
            c.id
            for c in self.cursors.values()
            if c.ns == ns or ns.endswith(".*") and c.ns.startswith(ns[:-1])
        ]:
            self.cursors.pop(cid, None)

    def expire(self, timeout_ms: int) -> int:
        """Kill idle cursors (cursorTimeoutMillis, ten minutes by default)."""
        now = self.clock.time_ms()
        dead = [
            c.id
            for c in self.cursors.values()
            if not c.no_timeout and not c.pinned and now - c.last_used_ms > timeout_ms
        ]
        for cid in dead:
            self.cursors.pop(cid, None)
        self.timed_out += len(dead)
        return len(dead)
