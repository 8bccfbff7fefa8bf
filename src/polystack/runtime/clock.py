"""The one source of time.

Every server reads wall-clock and monotonic time and schedules timers through a
:class:`Clock`, so tests can substitute a :class:`ManualClock` and move time
forward without sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable

_time = time.time
_monotonic = time.monotonic


class TimerHandle:
    """A scheduled call that can be cancelled."""

    __slots__ = ("_handle", "cancelled")

    def __init__(self, handle: asyncio.TimerHandle | None = None) -> None:
        self._handle = handle
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        if self._handle is not None:
            self._handle.cancel()


class Clock:
    """Real time; timers run on the running asyncio loop."""

    # The C functions themselves (no Python frame: a session reads the time on every read).
    time = staticmethod(_time)

    def time_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def time_us(self) -> int:
        return time.time_ns() // 1_000

    monotonic = staticmethod(_monotonic)

    def call_later(self, delay: float, fn: Callable[[], None]) -> TimerHandle:
        loop = asyncio.get_running_loop()
        return TimerHandle(loop.call_later(max(0.0, delay), fn))


class ManualClock(Clock):
    """A clock that only moves when told to; due timers fire inside :meth:`advance`."""

    def __init__(self, start: float | None = None) -> None:
        self._start = time.time() if start is None else start
        self._now = self._start
        self._mono = 1000.0
        self._timers: list[tuple[float, int, TimerHandle, Callable[[], None]]] = []
        self._seq = itertools.count()

    def time(self) -> float:
        return self._now

    def time_ms(self) -> int:
        return int(self._now * 1000)

    def time_us(self) -> int:
        return int(self._now * 1_000_000)

    def monotonic(self) -> float:
        return self._mono

    def call_later(self, delay: float, fn: Callable[[], None]) -> TimerHandle:
        handle = TimerHandle()
        heapq.heappush(self._timers, (self._mono + max(0.0, delay), next(self._seq), handle, fn))
        return handle

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, running every timer that falls due, in order."""
        target = self._mono + seconds
        while self._timers and self._timers[0][0] <= target:
            due, _, handle, fn = heapq.heappop(self._timers)
            if due > self._mono:
                self._mono = due
                self._now = self._start + (due - 1000.0)
            if not handle.cancelled:
                fn()
        self._mono = target
        self._now = self._start + (target - 1000.0)


SYSTEM_CLOCK = Clock()
