"""Process-wide resource alarms: resident memory above a watermark, free disk below a limit.

Like RabbitMQ's memory and disk alarms: a service subscribes (``ctx.alarms.subscribe(fn)``) and
is called with ``fn(resource, active)`` when an alarm is raised or cleared — the basis for AMQP
``connection.blocked`` and Redis ``maxmemory``.  The thresholds come from the config
(``memory_high_watermark``, ``disk_free_limit``) and, with the measured values and the alarm
states, are on ``/metrics``.  Checked every ``interval`` seconds on the server's clock.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from polystack.runtime.clock import Clock

log = logging.getLogger(__name__)

MEMORY = "memory"
DISK = "disk"
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
    "t": 1000**4,
    "tb": 1000**4,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str | int | float) -> int:
    """``"50MB"`` -> 50_000_000, ``"1GiB"`` -> 1073741824, ``"123"`` -> 123."""
    if isinstance(text, int | float):
        return int(text)
    m = _SIZE.match(text)
    if m is None or m.group(2).lower() not in _UNITS:
        raise ValueError(f"expected a size such as 512MB or 2GiB, got {text!r}")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def parse_watermark(text: str | int | float, total: int) -> int:
    """A memory watermark: a fraction of ``total`` (``"0.4"``) or an absolute size; 0 = off."""
    if isinstance(text, str):
        t = text.strip()
        try:
            value = float(t)
        except ValueError:
            return parse_size(t)
    else:
        value = float(text)
    if 0 < value <= 1:
        return int(total * value)
    return int(value)


def total_memory() -> int:
    """Physical memory, or the cgroup limit when one is set and lower."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 0
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < (total or 1 << 62):
            total = int(text)
        break
    return total


def resident_memory() -> int:
    """This process's resident set size in bytes."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def free_disk(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


class ResourceAlarms:
    """The memory and disk alarms of one server."""

    def __init__(
        self,
        clock: Clock,
        data_dir: Path,
        memory_high_watermark: str | int | float = "0.4",
        disk_free_limit: str | int | float = "50MB",
        interval: float = 1.0,
    ) -> None:
        self.clock = clock
        self.data_dir = Path(data_dir)
        self.total_memory = total_memory()
        self.memory_limit = parse_watermark(memory_high_watermark, self.total_memory)
        self.disk_limit = parse_size(disk_free_limit)
        self.interval = interval
        self.active: dict[str, bool] = {MEMORY: False, DISK: False}
        self.rss = 0
        self.disk_free = 0
        self._subscribers: list[Callable[[str, bool], None]] = []
        self._timer: Any = None
        # Tests and tools can replace the probes.
        self.measure_memory: Callable[[], int] = resident_memory
        self.measure_disk: Callable[[Path], int] = free_disk

    def subscribe(self, fn: Callable[[str, bool], None]) -> None:
        """``fn(resource, active)`` whenever the memory or disk alarm is raised or cleared."""
        self._subscribers.append(fn)

    def start(self) -> None:
        self.check()
        self._timer = self.clock.call_later(self.interval, self._tick)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        self._timer = self.clock.call_later(self.interval, self._tick)
        self.check()

    def check(self) -> None:
        self.rss = self.measure_memory()
        try:
            self.disk_free = self.measure_disk(self.data_dir)
        except OSError:
            self.disk_free = 0
        self._set(MEMORY, self.memory_limit > 0 and self.rss > self.memory_limit)
        self._set(DISK, self.disk_limit > 0 and self.disk_free < self.disk_limit)

    def _set(self, resource: str, on: bool) -> None:
        if self.active[resource] == on:
            return
        self.active[resource] = on
        if resource == MEMORY:
            what = f"resident memory {self.rss} bytes, watermark {self.memory_limit}"
        else:
            what = f"free disk {self.disk_free} bytes, limit {self.disk_limit}"
        if on:
            log.warning("%s resource alarm set (%s)", resource, what)
        else:
            log.warning("%s resource alarm cleared (%s)", resource, what)
        for fn in list(self._subscribers):
            try:
                fn(resource, on)
            except Exception:
                log.exception("resource alarm subscriber failed")

    @property
    def any_active(self) -> bool:
        return any(self.active.values())
