"""Go's time package below time.Time: units, zones (time.LoadLocation,
time.Local, FixedZone), proleptic Gregorian calendar arithmetic, and
Duration.String / ParseDuration with Go's texts."""

from __future__ import annotations

import datetime as _dt
import os
import time as _time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from polystack.helm.golang.strconv import quote as go_quote

__all__ = [
    "format_duration",
    "parse_duration",
    "load_location",
    "local_zone",
]

NS = 1
US = 1000
MS = 1000_000
SECOND = 1000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
_UTC = _dt.UTC
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
_START = _time.monotonic_ns()


class FixedZone(_dt.tzinfo):
    """time.FixedZone(name, offset)."""

    def __init__(self, name: str, offset: int) -> None:
        self.name = name
        self.offset = offset

    def utcoffset(self, dt: _dt.datetime | None) -> _dt.timedelta:
        return _dt.timedelta(seconds=self.offset)

    def dst(self, dt: _dt.datetime | None) -> _dt.timedelta:
        return _dt.timedelta(0)

    def tzname(self, dt: _dt.datetime | None) -> str:
        return self.name


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year, incl. 0)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def _is_leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def days_in(m: int, y: int) -> int:
    if m == 2:
        return 29 if _is_leap(y) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def zone_at(zone: _dt.tzinfo, sec: int) -> tuple[str, int]:
    """(abbreviation, offset seconds) of ``zone`` at instant ``sec``."""
    if zone is _UTC:
        return "UTC", 0
    if isinstance(zone, FixedZone):
        return zone.name, zone.offset
    lo, hi = -62135596800 + 86400, 253402300799 - 86400
    d = (_EPOCH + _dt.timedelta(seconds=min(max(sec, lo), hi))).astimezone(zone)
    off = d.utcoffset()
    return d.tzname() or "", int(off.total_seconds()) if off is not None else 0


def local_offset(zone: _dt.tzinfo, local_sec: int) -> int:
    """The offset that makes wall-clock ``local_sec`` (as if UTC) a real instant in ``zone``."""
    _, off = zone_at(zone, local_sec)
    _, off2 = zone_at(zone, local_sec - off)
    return off2


_local: _dt.tzinfo | None = None


def local_zone() -> _dt.tzinfo:
    """time.Local: $TZ, else /etc/localtime, else UTC."""
    global _local
    if _local is None:
        tz = os.environ.get("TZ")
        zone: _dt.tzinfo = _UTC
        try:
            if tz is None:
                with open("/etc/localtime", "rb") as f:
                    zone = ZoneInfo.from_file(f, key="Local")
            elif tz not in ("", "UTC"):
                zone = ZoneInfo(tz.lstrip(":"))
        except (OSError, ZoneInfoNotFoundError, ValueError):
            zone = _UTC
        _local = zone
    return _local


def load_location(name: str) -> _dt.tzinfo:
    """time.LoadLocation; raises ValueError like Go's unknown time zone."""
    if name in ("", "UTC"):
        return _UTC
    if name == "Local":
        return local_zone()
    if name.startswith("/") or ".." in name.split("/"):
        raise ValueError(f"time: invalid location name {name}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name}") from None


# ---------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------


def _fmt_frac(v: int, prec: int) -> tuple[str, int]:
    digits = []
    printed = False
    for _ in range(prec):
        d = v % 10
        printed = printed or d != 0
        if printed:
            digits.append(str(d))
        v //= 10
    s = "".join(reversed(digits))
    return ("." + s if printed else ""), v


def format_duration(d: int) -> str:
    """time.Duration.String."""
    if d < -(1 << 63) or d >= (1 << 63):
        d = ((d + (1 << 63)) % (1 << 64)) - (1 << 63)
    neg = d < 0
    u = -d if neg else d
    if u < SECOND:
        if u == 0:
            return "0s"
        if u < US:
            prec, unit = 0, "ns"
        elif u < MS:
            prec, unit = 3, "µs"
        else:
            prec, unit = 6, "ms"
        frac, u = _fmt_frac(u, prec)
        s = f"{u}{frac}{unit}"
    else:
        frac, u = _fmt_frac(u, 9)
        s = f"{u % 60}{frac}s"
        u //= 60
        if u > 0:
            s = f"{u % 60}m" + s
            u //= 60
            if u > 0:
                s = f"{u}h" + s
    return ("-" if neg else "") + s


_UNITS = {
    "ns": NS,
    "us": US,
    "µs": US,  # U+00B5
    "μs": US,  # U+03BC
    "ms": MS,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}


def parse_duration(s: str) -> int:
    """time.ParseDuration; raises ValueError with Go's text."""
    orig = s
    q = go_quote(orig)
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if s == "":
        raise ValueError(f"time: invalid duration {q}")
    total = 0
    while s:
        i = 0
        while i < len(s) and s[i].isascii() and s[i].isdigit():
            i += 1
        pre = i > 0
        whole = int(s[:i]) if i else 0
        s = s[i:]
        frac, scale = 0, 1
        post = False
        if s.startswith("."):
            s = s[1:]
            j = 0
            while j < len(s) and s[j].isascii() and s[j].isdigit():
                j += 1
            post = j > 0
            if j:
                frac = int(s[:j])
                scale = 10**j
            s = s[j:]
        if not pre and not post:
            raise ValueError(f"time: invalid duration {q}")
        j = 0
        while j < len(s) and s[j] != "." and not (s[j].isascii() and s[j].isdigit()):
            j += 1
        if j == 0:
            raise ValueError(f"time: missing unit in duration {q}")
        unit_s = s[:j]
        s = s[j:]
        unit = _UNITS.get(unit_s)
        if unit is None:
            raise ValueError(f"time: unknown unit {go_quote(unit_s)} in duration {q}")
        v = whole * unit + (frac * unit) // scale
        total += v
        if total > (1 << 63) - 1 + (1 if neg else 0):
            raise ValueError(f"time: invalid duration {q}")
    return -total if neg else total
