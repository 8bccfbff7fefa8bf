"""Go's time/format.go for templates: reference layouts ("2006-01-02",
"Mon Jan _2 15:04:05 MST 2006" ...), Time.Format and time.Parse /
ParseInLocation, with Go's error texts. Zones and calendar arithmetic are
in calendar.py; the time.Time value (and go_parse) in time.py."""

from __future__ import annotations

import datetime as _dt
from typing import Protocol

from polystack.helm.golang.calendar import (
    _UTC,
    FixedZone,
    _is_leap,
    days_from_civil,
    days_in,
    local_offset,
    local_zone,
    zone_at,
)
from polystack.helm.golang.strconv import quote as go_quote

__all__ = ["TimeParseError", "go_format", "parse_fields"]


# ---------------------------------------------------------------------------
# Layouts
# ---------------------------------------------------------------------------

_LONG_MONTHS = [
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
]  # fmt: skip
_LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def _std_chunks(layout: str) -> list[tuple[str, str]]:
    """Split a layout into (kind, text) chunks; kind "" is a literal."""
    out: list[tuple[str, str]] = []
    lit_start = 0
    i = 0
    n = len(layout)

    def emit(kind: str, end: int) -> None:
        nonlocal lit_start, i
        if lit_start < i:
            out.append(("", layout[lit_start:i]))
        out.append((kind, layout[i:end]))
        i = end
        lit_start = end

    while i < n:
        c = layout[i]
        rest = layout[i:]
        if c == "J" and rest.startswith("Jan"):
            if rest.startswith("January"):
                emit("January", i + 7)
                continue
            if not rest[3:4].islower() or not rest[3:4].isascii():
                emit("Jan", i + 3)
                continue
        elif c == "M":
            if rest.startswith("Mon"):
                if rest.startswith("Monday"):
                    emit("Monday", i + 6)
                    continue
                if not (rest[3:4].isascii() and rest[3:4].islower()):
                    emit("Mon", i + 3)
                    continue
            if rest.startswith("MST"):
                emit("MST", i + 3)
                continue
        elif c == "0":
            if len(rest) >= 2 and "1" <= rest[1] <= "6":
                emit(rest[:2], i + 2)
                continue
            if rest.startswith("002"):
                emit("002", i + 3)
                continue
        elif c == "1":
            if rest.startswith("15"):
                emit("15", i + 2)
                continue
            emit("1", i + 1)
            continue
        elif c == "2":
            if rest.startswith("2006"):
                emit("2006", i + 4)
                continue
            emit("2", i + 1)
            continue
        elif c == "_":
            if rest.startswith("_2"):
                if rest.startswith("_2006"):
                    i += 1
                    emit("2006", i + 4)
                    continue
                emit("_2", i + 2)
                continue
            if rest.startswith("__2"):
                emit("__2", i + 3)
                continue
        elif c in "345":
            emit(c, i + 1)
            continue
        elif c == "P" and rest.startswith("PM"):
            emit("PM", i + 2)
            continue
        elif c == "p" and rest.startswith("pm"):
            emit("pm", i + 2)
            continue
        elif c == "-":
            done = False
            for tok in ("-070000", "-07:00:00", "-0700", "-07:00", "-07"):
                if rest.startswith(tok):
                    emit(tok, i + len(tok))
                    done = True
                    break
            if done:
                continue
        elif c == "Z":
            done = False
            for tok in ("Z070000", "Z07:00:00", "Z0700", "Z07:00", "Z07"):
                if rest.startswith(tok):
                    emit(tok, i + len(tok))
                    done = True
                    break
            if done:
                continue
        elif c in ".," and len(rest) > 1 and rest[1] in "09":
            ch = rest[1]
            j = 1
            while j < len(rest) and rest[j] == ch:
                j += 1
            if not (j < len(rest) and rest[j].isdigit() and rest[j].isascii()):
                emit(("frac0" if ch == "0" else "frac9") + str(j - 1) + c, i + j)
                continue
        i += 1
    if lit_start < n:
        out.append(("", layout[lit_start:]))
    return out


_CHUNK_CACHE: dict[str, list[tuple[str, str]]] = {}


def _chunks(layout: str) -> list[tuple[str, str]]:
    c = _CHUNK_CACHE.get(layout)
    if c is None:
        c = _std_chunks(layout)
        if len(_CHUNK_CACHE) < 256:
            _CHUNK_CACHE[layout] = c
    return c


def _pad(v: int, width: int) -> str:
    if v < 0:
        return "-" + str(-v).rjust(width, "0")
    return str(v).rjust(width, "0")


class _Time(Protocol):
    """What Time.Format reads of a time.Time (time.GoTime)."""

    nsec: int

    def zone_name_offset(self) -> tuple[str, int]: ...

    def fields(self) -> tuple[int, int, int, int, int, int, int, int]: ...


def go_format(t: _Time, layout: str) -> str:
    name, offset = t.zone_name_offset()
    year, month, day, hour, minute, second, wday, yday = t.fields()
    out: list[str] = []
    for kind, text in _chunks(layout):
        if kind == "":
            out.append(text)
        elif kind == "2006":
            out.append(_pad(year, 4))
        elif kind == "06":
            out.append(_pad(year % 100, 2))
        elif kind == "January":
            out.append(_LONG_MONTHS[month - 1])
        elif kind == "Jan":
            out.append(_LONG_MONTHS[month - 1][:3])
        elif kind == "1":
            out.append(str(month))
        elif kind == "01":
            out.append(_pad(month, 2))
        elif kind == "Monday":
            out.append(_LONG_DAYS[wday])
        elif kind == "Mon":
            out.append(_LONG_DAYS[wday][:3])
        elif kind == "2":
            out.append(str(day))
        elif kind == "_2":
            out.append(str(day).rjust(2))
        elif kind == "02":
            out.append(_pad(day, 2))
        elif kind == "__2":
            out.append(str(yday).rjust(3))
        elif kind == "002":
            out.append(_pad(yday, 3))
        elif kind == "15":
            out.append(_pad(hour, 2))
        elif kind == "3":
            out.append(str(hour % 12 or 12))
        elif kind == "03":
            out.append(_pad(hour % 12 or 12, 2))
        elif kind == "4":
            out.append(str(minute))
        elif kind == "04":
            out.append(_pad(minute, 2))
        elif kind == "5":
            out.append(str(second))
        elif kind == "05":
            out.append(_pad(second, 2))
        elif kind == "PM":
            out.append("PM" if hour >= 12 else "AM")
        elif kind == "pm":
            out.append("pm" if hour >= 12 else "am")
        elif kind == "MST":
            if name:
                out.append(name)
            else:
                z = offset // 60
                sign = "-" if z < 0 else "+"
                z = abs(z)
                out.append(f"{sign}{_pad(z // 60, 2)}{_pad(z % 60, 2)}")
        elif kind.startswith("frac"):
            digits = int(kind[5:-1])
            sep = kind[-1]
            frac = f"{t.nsec:09d}"[:digits]
            if kind.startswith("frac9"):
                frac = frac.rstrip("0")
                if frac:
                    out.append(sep + frac)
            else:
                out.append(sep + frac)
        else:  # numeric zones
            iso = kind.startswith("Z")
            if offset == 0 and iso:
                out.append("Z")
                continue
            z = offset // 60 if offset >= 0 else -((-offset) // 60)
            absoff = abs(offset)
            out.append("-" if offset < 0 else "+")
            z = abs(z)
            out.append(_pad(z // 60, 2))
            body = kind[1:]
            if ":" in body:
                out.append(":")
            if body not in ("07",):
                out.append(_pad(z % 60, 2))
            if body in ("070000", "07:00:00"):
                if ":" in body:
                    out.append(":")
                out.append(_pad(absoff % 60, 2))
    return "".join(out)


# ---------------------------------------------------------------------------
# Parsing (time.Parse / ParseInLocation)
# ---------------------------------------------------------------------------


class TimeParseError(ValueError):
    pass


def _perr(layout: str, value: str, elem: str, velem: str, msg: str = "") -> TimeParseError:
    if msg:
        return TimeParseError(f"parsing time {go_quote(value)}{msg}")
    return TimeParseError(
        f"parsing time {go_quote(value)} as {go_quote(layout)}: cannot parse {go_quote(velem)} as {go_quote(elem)}"
    )


def _getnum(s: str, fixed: bool) -> tuple[int, str] | None:
    if not s or not s[0].isdigit() or not s[0].isascii():
        return None
    if len(s) < 2 or not (s[1].isdigit() and s[1].isascii()):
        if fixed:
            return None
        return int(s[0]), s[1:]
    return int(s[:2]), s[2:]


def _getnum3(s: str, fixed: bool) -> tuple[int, str] | None:
    n = 0
    i = 0
    while i < 3 and i < len(s) and s[i].isascii() and s[i].isdigit():
        n = n * 10 + int(s[i])
        i += 1
    if i == 0 or (fixed and i != 3):
        return None
    return n, s[i:]


def _lookup(names: list[str], s: str) -> tuple[int, str] | None:
    for i, nm in enumerate(names):
        if len(s) >= len(nm) and s[: len(nm)].lower() == nm.lower():
            return i, s[len(nm) :]
    return None


def parse_fields(
    layout: str, value: str, loc: _dt.tzinfo | None = None
) -> tuple[int, int, _dt.tzinfo]:
    """time.ParseInLocation(layout, value, loc or Local): (seconds, nanoseconds, zone)
    of the time (see time.go_parse)."""
    if loc is None:
        loc = local_zone()
    alayout, avalue = layout, value
    year, month, day, yday = 0, -1, -1, -1
    hour = minute = sec = nsec = 0
    pm_set = am_set = False
    z_offset: int | None = None
    z_name = ""
    for kind, text in _chunks(layout):
        if kind == "":
            lit = text
            # Go skips leading spaces in both before comparing literal text
            v = value
            while lit and v and lit[0] == " " and v[0] == " ":
                lit, v = lit.lstrip(" "), v.lstrip(" ")
                break
            if not v.startswith(lit):
                raise _perr(alayout, avalue, text, value)
            value = v[len(lit) :]
            continue
        hold = value
        try:
            if kind == "2006":
                if len(value) < 4 or not value[:4].isdigit():
                    raise ValueError
                year, value = int(value[:4]), value[4:]
            elif kind == "06":
                if len(value) < 2 or not value[:2].isdigit():
                    raise ValueError
                y = int(value[:2])
                year = y + (1900 if y >= 69 else 2000)
                value = value[2:]
            elif kind in ("January", "Jan"):
                r = _lookup(
                    _LONG_MONTHS if kind == "January" else [m[:3] for m in _LONG_MONTHS], value
                )
                if r is None:
                    raise ValueError
                month, value = r[0] + 1, r[1]
            elif kind in ("1", "01"):
                r = _getnum(value, kind == "01")
                if r is None or not 1 <= r[0] <= 12:
                    raise (
                        _perr(alayout, avalue, "", "", ": month out of range") if r else ValueError
                    )
                month, value = r
            elif kind in ("Monday", "Mon"):
                r = _lookup(_LONG_DAYS if kind == "Monday" else [d[:3] for d in _LONG_DAYS], value)
                if r is None:
                    raise ValueError
                value = r[1]
            elif kind in ("2", "_2", "02"):
                if kind == "_2" and value[:1] == " ":
                    value = value[1:]
                r = _getnum(value, kind == "02")
                if r is None:
                    raise ValueError
                day, value = r
            elif kind in ("__2", "002"):
                if kind == "__2":
                    value = value.lstrip(" ") if value[:1] == " " else value
                r = _getnum3(value, kind == "002")
                if r is None:
                    raise ValueError
                yday, value = r
            elif kind in ("15", "3", "03"):
                r = _getnum(value, kind == "03")
                if r is None:
                    raise ValueError
                hour, value = r
                if hour < 0 or (kind == "15" and hour >= 24) or (kind != "15" and hour > 12):
                    raise _perr(alayout, avalue, "", "", ": hour out of range")
            elif kind in ("4", "04"):
                r = _getnum(value, kind == "04")
                if r is None:
                    raise ValueError
                minute, value = r
                if minute >= 60:
                    raise _perr(alayout, avalue, "", "", ": minute out of range")
            elif kind in ("5", "05"):
                r = _getnum(value, kind == "05")
                if r is None:
                    raise ValueError
                sec, value = r
                if sec >= 60:
                    raise _perr(alayout, avalue, "", "", ": second out of range")
                # fractional second not in layout
                if len(value) >= 2 and value[0] in ".," and value[1].isdigit():
                    nxt = _chunks(layout)
                    j = 1
                    while j < len(value) and value[j].isdigit():
                        j += 1
                    if not any(k.startswith("frac") for k, _ in nxt):
                        nsec = int((value[1:j] + "000000000")[:9])
                        value = value[j:]
            elif kind in ("PM", "pm"):
                p = value[:2]
                if p.upper() == "PM":
                    pm_set = True
                elif p.upper() == "AM":
                    am_set = True
                else:
                    raise ValueError
                value = value[2:]
            elif kind == "MST":
                if len(value) >= 3 and value[:3] == "UTC":
                    z_name, z_offset, value = "UTC", 0, value[3:]
                else:
                    j = 0
                    while j < len(value) and value[j].isupper() and value[j].isascii():
                        j += 1
                    if j < 3:
                        raise ValueError
                    z_name, value = value[:j], value[j:]
            elif kind.startswith("frac"):
                ndig = int(kind[5:-1])
                if kind.startswith("frac0"):
                    if len(value) < ndig + 1 or value[0] != kind[-1]:
                        raise ValueError
                    digits = value[1 : ndig + 1]
                    if not digits.isdigit():
                        raise ValueError
                    nsec = int((digits + "000000000")[:9])
                    value = value[ndig + 1 :]
                elif len(value) >= 2 and value[0] in ".," and value[1].isdigit():
                    j = 1
                    while j < len(value) and value[j].isdigit():
                        j += 1
                    nsec = int((value[1:j] + "000000000")[:9])
                    value = value[j:]
            else:  # numeric zones
                if kind.startswith("Z") and value[:1] == "Z":
                    z_offset, z_name, value = 0, "UTC", value[1:]
                else:
                    body = kind[1:]
                    if not value or value[0] not in "+-":
                        raise ValueError
                    sign = -1 if value[0] == "-" else 1
                    fmt = {
                        "070000": "hhmmss",
                        "07:00:00": "hh:mm:ss",
                        "0700": "hhmm",
                        "07:00": "hh:mm",
                        "07": "hh",
                    }[body]
                    v = value[1:]
                    if len(v) < len(fmt):
                        raise ValueError
                    part = v[: len(fmt)]
                    for f, ch in zip(fmt, part, strict=True):
                        if (f == ":") != (ch == ":") or (f != ":" and not ch.isdigit()):
                            raise ValueError
                    digits = part.replace(":", "")
                    hh, mm, ss = int(digits[0:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
                    # Go checks with > (offsets of 24 hours or 60 minutes occur)
                    for part_v, what in ((hh, "hour"), (mm, "minute"), (ss, "second")):
                        if part_v > (24 if what == "hour" else 60):
                            raise _perr(
                                alayout, avalue, "", "", f": time zone offset {what} out of range"
                            )
                    z_offset = sign * (hh * 3600 + mm * 60 + ss)
                    value = v[len(fmt) :]
        except ValueError as e:
            if isinstance(e, TimeParseError):
                raise
            raise _perr(alayout, avalue, text, hold) from None
    if value:
        raise TimeParseError(f"parsing time {go_quote(avalue)}: extra text: {go_quote(value)}")
    if pm_set and hour < 12:
        hour += 12
    elif am_set and hour == 12:
        hour = 0
    if yday >= 0:
        if yday < 1 or yday > (366 if _is_leap(year) else 365):
            raise TimeParseError(f"parsing time {go_quote(avalue)}: day-of-year out of range")
        y_m, y_d = 1, yday
        while y_d > days_in(y_m, year):
            y_d -= days_in(y_m, year)
            y_m += 1
        if month >= 0 and month != y_m or day >= 0 and day != y_d:
            raise TimeParseError(
                f"parsing time {go_quote(avalue)}: day-of-year does not match month"
            )
        month, day = y_m, y_d
    if month < 0:
        month = 1
    if day < 0:
        day = 1
    if day < 1 or day > days_in(month, year):
        raise TimeParseError(f"parsing time {go_quote(avalue)}: day out of range")
    wall = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + sec
    if z_offset is not None:
        secs = wall - z_offset
        if z_name == "UTC" and z_offset == 0:
            # "Z" or "UTC" in the value: Go's parse sets z = UTC, whatever loc is
            return (secs, nsec, _UTC)
        if zone_at(loc, secs)[1] == z_offset:
            return (secs, nsec, loc)
        return (secs, nsec, FixedZone("", z_offset))
    if z_name:
        off = local_offset(loc, wall)
        if zone_at(loc, wall - off)[0] == z_name:
            return (wall - off, nsec, loc)
        return (wall, nsec, FixedZone(z_name, 0))
    return (wall - local_offset(loc, wall), nsec, loc)
