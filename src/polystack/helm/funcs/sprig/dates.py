"""Sprig date.go: now, date, dateInZone, htmlDate, dateModify, ago, duration,
durationRound, toDate, mustToDate, unixEpoch."""

from __future__ import annotations

from typing import Any

from polystack.helm.funcs.sprig._conv import GoError
from polystack.helm.golang.time import (
    _UTC,
    SECOND,
    GoTime,
    TimeParseError,
    format_duration,
    go_format,
    go_parse,
    load_location,
    now,
    parse_duration,
    unix,
    zero_time,
)
from polystack.helm.golang.types import Int64, signature


def _as_time(date: Any) -> GoTime:
    if isinstance(date, GoTime):
        return date
    if isinstance(date, int) and not isinstance(date, bool) and type(date) in (int, Int64):
        return unix(int(date))
    return now()


def _wrong_type(fn: str, v: Any) -> GoError:
    from polystack.helm.golang.types import type_of

    return GoError(f"wrong type for value; expected time.Time; got {type_of(v)}")


@signature("string", "interface {}", "string")
def date_in_zone(fmt: str, date: Any, zone: str) -> str:
    t = _as_time(date)
    try:
        loc = load_location(zone)
    except ValueError:
        loc = _UTC
    return go_format(t.In(loc), fmt)


@signature("string", "interface {}")
def date(fmt: str, d: Any) -> str:
    return date_in_zone(fmt, d, "Local")


@signature("interface {}")
def html_date(d: Any) -> str:
    return date_in_zone("2006-01-02", d, "Local")


@signature("interface {}", "string")
def html_date_in_zone(d: Any, zone: str) -> str:
    return date_in_zone("2006-01-02", d, zone)


@signature("string", "time.Time")
def date_modify(fmt: str, d: Any) -> GoTime:
    if not isinstance(d, GoTime):
        raise _wrong_type("dateModify", d)
    try:
        return d.Add(parse_duration(fmt))
    except ValueError:
        return d


@signature("string", "time.Time")
def must_date_modify(fmt: str, d: Any) -> GoTime:
    if not isinstance(d, GoTime):
        raise _wrong_type("mustDateModify", d)
    try:
        return d.Add(parse_duration(fmt))
    except ValueError as e:
        raise GoError(str(e)) from None


def _since(t: GoTime) -> int:
    n = now()
    return n.UnixNano() - t.UnixNano()


def _round(d: int, m: int) -> int:
    """time.Duration.Round(m) for m > 0 (halfway values round away from zero)."""
    r = abs(d) % m
    if d < 0:
        if r + r < m:
            return d + r
        return d - m + r
    if r + r < m:
        return d - r
    return d + m - r


@signature("interface {}")
def ago(d: Any) -> str:
    t = _as_time(d) if not (isinstance(d, int) and type(d) not in (int, Int64)) else now()
    return format_duration(_round(_since(t), SECOND))


@signature("interface {}")
def duration(sec: Any) -> str:
    n = 0
    if isinstance(sec, str):
        from polystack.helm.funcs.sprig._conv import parse_int

        try:
            n = parse_int(sec, 10, 64)
        except ValueError:
            n = 0
    elif isinstance(sec, Int64):
        n = int(sec)
    return format_duration(n * SECOND)


_YEAR = 365 * 24 * 3600 * SECOND
_MONTH = 30 * 24 * 3600 * SECOND
_DAY = 24 * 3600 * SECOND


@signature("interface {}")
def duration_round(v: Any) -> str:
    d = 0
    if isinstance(v, str):
        try:
            d = parse_duration(v)
        except ValueError:
            d = 0
    elif isinstance(v, Int64):
        d = int(v)
    elif isinstance(v, GoTime):
        d = _since(v)
    u = abs(d)
    for size, unit in (
        (_YEAR, "y"),
        (_MONTH, "mo"),
        (_DAY, "d"),
        (3600 * SECOND, "h"),
        (60 * SECOND, "m"),
        (SECOND, "s"),
    ):
        if u > size:
            return f"{u // size}{unit}"
    return "0s"


@signature("string", "string")
def to_date(fmt: str, s: str) -> GoTime:
    try:
        return go_parse(fmt, s)
    except TimeParseError:
        return zero_time()


@signature("string", "string")
def must_to_date(fmt: str, s: str) -> GoTime:
    try:
        return go_parse(fmt, s)
    except TimeParseError as e:
        raise GoError(str(e)) from None


@signature("time.Time")
def unix_epoch(d: Any) -> str:
    if not isinstance(d, GoTime):
        raise _wrong_type("unixEpoch", d)
    return str(d.Unix())


def now_() -> GoTime:
    return now()


FUNCS = {
    "ago": ago,
    "date": date,
    "date_in_zone": date_in_zone,
    "date_modify": date_modify,
    "dateInZone": date_in_zone,
    "dateModify": date_modify,
    "duration": duration,
    "durationRound": duration_round,
    "htmlDate": html_date,
    "htmlDateInZone": html_date_in_zone,
    "must_date_modify": must_date_modify,
    "mustDateModify": must_date_modify,
    "mustToDate": must_to_date,
    "now": now_,
    "toDate": to_date,
    "unixEpoch": unix_epoch,
}
