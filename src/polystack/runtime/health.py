"""Event-loop health: how late the loop runs a timer, so /healthz can report a stalled loop."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from polystack.runtime.clock import SYSTEM_CLOCK

TICK = 0.25
WINDOW = 10.0


class LoopMonitor:
    """Measures the loop's lag every :data:`TICK` seconds of real time (a ManualClock does not
    apply here: a stall is real time the loop did not run)."""

    def __init__(self, stall_threshold: float = 2.0) -> None:
        self.stall_threshold = stall_threshold
        self._samples: deque[tuple[float, float]] = deque()
        self._handle: Any = None
        self._due = 0.0
        self.max_lag = 0.0

    def start(self) -> None:
        self._schedule()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _schedule(self) -> None:
        self._due = SYSTEM_CLOCK.monotonic() + TICK
        self._handle = asyncio.get_running_loop().call_later(TICK, self._tick)

    def _tick(self) -> None:
        now = SYSTEM_CLOCK.monotonic()
        lag = max(0.0, now - self._due)
        self.max_lag = max(self.max_lag, lag)
        samples = self._samples
        if lag > 0.01:
            samples.append((now, lag))
        while samples and samples[0][0] < now - WINDOW:
            samples.popleft()
        self._schedule()

    def recent_lag(self) -> float:
        now = SYSTEM_CLOCK.monotonic()
        # A tick that is overdue right now counts too.
        lag = max(0.0, now - self._due) if self._handle is not None else 0.0
        for t, v in self._samples:
            if t >= now - WINDOW and v > lag:
                lag = v
        return lag

    def problems(self) -> list[str]:
        lag = self.recent_lag()
        if lag >= self.stall_threshold:
            return [f"event loop stalled for {lag:.1f} s in the last {WINDOW:g} s"]
        return []
