"""Go's time.Time for templates: an instant shown in a zone, with Go's methods
(Format and String through time_layout.py), and time.Parse."""

from __future__ import annotations

import datetime as _dt
import time as _time
from dataclasses import dataclass

from polystack.helm.golang.calendar import (
    _START,
    _UTC,
    MS,
    SECOND,
    US,
    civil_from_days,
    days_from_civil,
    format_duration,
    load_location,
    local_zone,
    parse_duration,
    zone_at,
)
from polystack.helm.golang.time_layout import TimeParseError, go_format, parse_fields
from polystack.helm.golang.types import GoStruct

__all__ = [
    "GoTime",
    "TimeParseError",
    "format_duration",
    "parse_duration",
    "go_format",
    "go_parse",
    "load_location",
    "local_zone",
    "now",
    "unix",
    "zero_time",
]


@dataclass(slots=True, eq=False)
class GoTime(GoStruct):
    """A time.Time: an instant (UTC seconds + ns) shown in a zone."""

    sec: int  # seconds since Unix epoch
    nsec: int  # 0..999999999
    zone: _dt.tzinfo
    mono: int | None = None  # monotonic reading (ns since process start), for now()

    go_type_name = "time.Time"
    go_kind = "struct"

    def zone_name_offset(self) -> tuple[str, int]:
        return zone_at(self.zone, self.sec)

    def fields(self) -> tuple[int, int, int, int, int, int, int, int]:
        """(year, month, day, hour, minute, second, weekday 0=Sunday, yday) in the zone."""
        _, off = self.zone_name_offset()
        local = self.sec + off
        days, rem = divmod(local, 86400)
        y, m, d = civil_from_days(days)
        yday = days - days_from_civil(y, 1, 1) + 1
        return y, m, d, rem // 3600, rem % 3600 // 60, rem % 60, (days + 4) % 7, yday

    def In(self, zone: _dt.tzinfo) -> GoTime:  # noqa: N802
        return GoTime(self.sec, self.nsec, zone, self.mono)

    def Unix(self) -> int:  # noqa: N802
        return self.sec

    def UnixMilli(self) -> int:  # noqa: N802
        return self.sec * 1000 + self.nsec // MS

    def UnixMicro(self) -> int:  # noqa: N802
        return self.sec * 1000_000 + self.nsec // US

    def Year(self) -> int:  # noqa: N802
        return self.fields()[0]

    def Day(self) -> int:  # noqa: N802
        return self.fields()[2]

    def Hour(self) -> int:  # noqa: N802
        return self.fields()[3]

    def Minute(self) -> int:  # noqa: N802
        return self.fields()[4]

    def Second(self) -> int:  # noqa: N802
        return self.fields()[5]

    def Nanosecond(self) -> int:  # noqa: N802
        return self.nsec

    def YearDay(self) -> int:  # noqa: N802
        return self.fields()[7]

    def IsZero(self) -> bool:  # noqa: N802
        return self.is_zero()

    def UTC(self) -> GoTime:  # noqa: N802
        return GoTime(self.sec, self.nsec, _UTC, self.mono)

    def Local(self) -> GoTime:  # noqa: N802
        return GoTime(self.sec, self.nsec, local_zone(), self.mono)

    def UnixNano(self) -> int:  # noqa: N802
        return self.sec * SECOND + self.nsec

    def Add(self, d: int) -> GoTime:  # noqa: N802
        total = self.sec * SECOND + self.nsec + d
        mono = None if self.mono is None else self.mono + d
        return GoTime(total // SECOND, total % SECOND, self.zone, mono)

    def Format(self, layout: str) -> str:  # noqa: N802
        return go_format(self, layout)

    def is_zero(self) -> bool:
        return self.sec == _ZERO_SEC and self.nsec == 0

    def String(self) -> str:  # noqa: N802
        s = go_format(self, "2006-01-02 15:04:05.999999999 -0700 MST")
        if self.mono is not None:
            m = self.mono
            sign = "+" if m >= 0 else "-"
            m = abs(m)
            s += f" m={sign}{m // SECOND}.{m % SECOND:09d}"
        return s

    def go_json(self) -> str:
        return go_format(self, "2006-01-02T15:04:05.999999999Z07:00")

    def __eq__(self, o: object) -> bool:
        return isinstance(o, GoTime) and (self.sec, self.nsec, self.zone) == (o.sec, o.nsec, o.zone)

    def __hash__(self) -> int:
        return hash((self.sec, self.nsec))


_ZERO_SEC = -62135596800  # 0001-01-01T00:00:00Z


def zero_time() -> GoTime:
    return GoTime(_ZERO_SEC, 0, _UTC)


def now() -> GoTime:
    ns = _time.time_ns()
    return GoTime(ns // SECOND, ns % SECOND, local_zone(), _time.monotonic_ns() - _START)


def unix(sec: int) -> GoTime:
    return GoTime(sec, 0, local_zone())


def go_parse(layout: str, value: str, loc: _dt.tzinfo | None = None) -> GoTime:
    """time.ParseInLocation(layout, value, loc or Local)."""
    sec, nsec, zone = parse_fields(layout, value, loc)
    return GoTime(sec, nsec, zone)
