"""Date expressions with time zones (Olson names and UTC offsets)."""

from __future__ import annotations

import datetime
import re
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bson.datetime_ms import DatetimeMS
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from ..bsontypes import is_integral, is_numeric, type_name
from ..errors import MongoError
from ..keystring import MISSING, datetime_ms
from .arith_ops import ms_to_date
from .core import ExprContext, Fn, compile_expression, nullish, operator

UTC = datetime.UTC
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})?$")


@lru_cache(maxsize=256)
def parse_timezone(tz: str) -> datetime.tzinfo:
    if tz in ("UTC", "GMT", "Z"):
        return UTC
    m = _OFFSET.match(tz)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        hours = int(m.group(2))
        minutes = int(m.group(3) or 0)
        return datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise MongoError(40485, f'unrecognized time zone identifier: "{tz}"') from None


def _tz(v: Any) -> datetime.tzinfo:
    if nullish(v):
        return UTC
    if not isinstance(v, str):
        raise MongoError(40517, f"timezone must evaluate to a string, found {type_name(v)}")
    return parse_timezone(v)


def to_aware(v: Any, name: str) -> datetime.datetime:
    """A BSON date (or Timestamp/ObjectId) as an aware UTC datetime."""
    if type(v) is datetime.datetime:
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    if type(v) is DatetimeMS:
        return EPOCH + datetime.timedelta(milliseconds=int(v))
    if type(v) is Timestamp:
        return EPOCH + datetime.timedelta(seconds=v.time)
    if type(v) is ObjectId:
        return v.generation_time
    raise MongoError(16006, f"can't convert from BSON type {type_name(v)} to Date")


def from_aware(d: datetime.datetime) -> Any:
    ms = int((d - EPOCH) // datetime.timedelta(milliseconds=1))
    return ms_to_date(ms)


def _date_args(name: str, args: Any, ctx: ExprContext) -> tuple[Fn, Fn | None]:
    if isinstance(args, dict) and "date" in args:
        for k in args:
            if k not in ("date", "timezone"):
                raise MongoError(40535, f'unrecognized option to {name}: "{k}"')
        tz = compile_expression(args["timezone"], ctx) if "timezone" in args else None
        return compile_expression(args["date"], ctx), tz
    if isinstance(args, list):
        if len(args) != 1:
            raise MongoError(
                40536,
                f"{name} accepts exactly one argument if given an array, but was given {len(args)}",
            )
        args = args[0]
    return compile_expression(args, ctx), None


def _part(name: str, fn: Any) -> None:
    @operator(name)
    def compile_part(args: Any, ctx: ExprContext) -> Fn:
        d, tz = _date_args(name, args, ctx)

        def part(root: Any, vars: dict) -> Any:
            v = d(root, vars)
            if nullish(v):
                return None
            zone = _tz(tz(root, vars)) if tz is not None else UTC
            local = to_aware(v, name).astimezone(zone)
            return fn(local)

        return part


_part("$year", lambda d: d.year)
_part("$month", lambda d: d.month)
_part("$dayOfMonth", lambda d: d.day)
_part("$hour", lambda d: d.hour)
_part("$minute", lambda d: d.minute)
_part("$second", lambda d: d.second)
_part("$millisecond", lambda d: d.microsecond // 1000)
_part("$dayOfYear", lambda d: d.timetuple().tm_yday)
_part("$dayOfWeek", lambda d: (d.weekday() + 1) % 7 + 1)
_part("$week", lambda d: int(d.strftime("%U")))
_part("$isoWeek", lambda d: d.isocalendar()[1])
_part("$isoWeekYear", lambda d: Int64(d.isocalendar()[0]))
_part("$isoDayOfWeek", lambda d: d.isoweekday())


def format_date(v: Any, fmt: str, zone: datetime.tzinfo | None) -> str:
    d = to_aware(v, "$dateToString").astimezone(zone or UTC)
    out = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= len(fmt):
            raise MongoError(18535, "Unmatched '%' at end of format string")
        c = fmt[i + 1]
        i += 2
        if c == "Y":
            out.append(f"{d.year:04d}")
        elif c == "m":
            out.append(f"{d.month:02d}")
        elif c == "d":
            out.append(f"{d.day:02d}")
        elif c == "H":
            out.append(f"{d.hour:02d}")
        elif c == "M":
            out.append(f"{d.minute:02d}")
        elif c == "S":
            out.append(f"{d.second:02d}")
        elif c == "L":
            out.append(f"{d.microsecond // 1000:03d}")
        elif c == "j":
            out.append(f"{d.timetuple().tm_yday:03d}")
        elif c == "w":
            out.append(str((d.weekday() + 1) % 7 + 1))
        elif c == "u":
            out.append(str(d.isoweekday()))
        elif c == "U":
            out.append(f"{int(d.strftime('%U')):02d}")
        elif c == "V":
            out.append(f"{d.isocalendar()[1]:02d}")
        elif c == "G":
            out.append(f"{d.isocalendar()[0]:04d}")
        elif c == "z":
            off = d.utcoffset() or datetime.timedelta(0)
            mins = int(off.total_seconds() // 60)
            sign = "+" if mins >= 0 else "-"
            out.append(f"{sign}{abs(mins) // 60:02d}{abs(mins) % 60:02d}")
        elif c == "Z":
            off = d.utcoffset() or datetime.timedelta(0)
            out.append(str(int(off.total_seconds() // 60)))
        elif c == "b":
            out.append(d.strftime("%b"))
        elif c == "B":
            out.append(d.strftime("%B"))
        elif c == "%":
            out.append("%")
        else:
            raise MongoError(18536, f"Invalid format character '%{c}' in format string")
    return "".join(out)


@operator("$dateToString")
def _date_to_string(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict):
        raise MongoError(18629, "$dateToString only supports an object as its argument")
    for k in args:
        if k not in ("date", "format", "timezone", "onNull"):
            raise MongoError(18534, f"Unrecognized argument to $dateToString: {k}")
    if "date" not in args:
        raise MongoError(18628, "Missing 'date' parameter to $dateToString")
    d = compile_expression(args["date"], ctx)
    fmt = compile_expression(args["format"], ctx) if "format" in args else None
    tz = compile_expression(args["timezone"], ctx) if "timezone" in args else None
    on_null = compile_expression(args["onNull"], ctx) if "onNull" in args else None

    def to_string(root: Any, vars: dict) -> Any:
        v = d(root, vars)
        if nullish(v):
            return on_null(root, vars) if on_null is not None else None
        f = fmt(root, vars) if fmt is not None else "%Y-%m-%dT%H:%M:%S.%LZ"
        if nullish(f):
            return None
        if not isinstance(f, str):
            raise MongoError(
                18533, f"$dateToString requires that 'format' be a string, found: {type_name(f)}"
            )
        zone = _tz(tz(root, vars)) if tz is not None else UTC
        return format_date(v, f, zone)

    return to_string


_PARSE_FORMAT = {
    "%Y": r"(?P<Y>\d{4})", "%m": r"(?P<m>\d{1,2})", "%d": r"(?P<d>\d{1,2})",
    "%H": r"(?P<H>\d{1,2})", "%M": r"(?P<M>\d{1,2})", "%S": r"(?P<S>\d{1,2})",
    "%L": r"(?P<L>\d{1,3})", "%z": r"(?P<z>[+-]\d{2}:?\d{2})", "%Z": r"(?P<Z>[+-]?\d+)",
    "%j": r"(?P<j>\d{1,3})", "%%": "%",
}  # fmt: skip


def parse_date_string(s: str, fmt: str | None, zone: datetime.tzinfo | None) -> Any:
    if fmt is None:
        iso = s.strip()
        m = re.match(
            r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
            r"\s*(Z|[+-]\d{2}:?\d{2})?$",
            iso,
        )
        if not m:
            raise MongoError(
                241,
                f"Error parsing date string '{s}'; 0: passing a time zone "
                "identifier as part of the string is not allowed",
                "ConversionFailure",
            )
        y, mo, d, h, mi, se, frac, tzs = m.groups()
        ms = int((frac or "0").ljust(3, "0")[:3])
        tzinfo = zone or UTC
        if tzs:
            tzinfo = (
                UTC
                if tzs == "Z"
                else parse_timezone(tzs if ":" in tzs else tzs[:3] + ":" + tzs[3:])
            )
        try:
            local = datetime.datetime(
                int(y),
                int(mo),
                int(d),
                int(h or 0),
                int(mi or 0),
                int(se or 0),
                ms * 1000,
                tzinfo=tzinfo,
            )
        except ValueError as e:
            raise MongoError(
                241, f"Error parsing date string '{s}'; {e}", "ConversionFailure"
            ) from None
        return from_aware(local.astimezone(UTC))
    pattern = ""
    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            tok = fmt[i : i + 2]
            if tok not in _PARSE_FORMAT:
                raise MongoError(18536, f"Invalid format character '{tok}' in format string")
            pattern += _PARSE_FORMAT[tok]
            i += 2
        else:
            pattern += re.escape(fmt[i])
            i += 1
    m = re.fullmatch(pattern, s)
    if not m:
        raise MongoError(241, f"Error parsing date string '{s}'", "ConversionFailure")
    g = m.groupdict()
    tzinfo = zone or UTC
    if g.get("z"):
        z = g["z"]
        tzinfo = parse_timezone(z if ":" in z else z[:3] + ":" + z[3:])
    if g.get("Z"):
        tzinfo = datetime.timezone(datetime.timedelta(minutes=int(g["Z"])))
    year = int(g.get("Y") or 1970)
    if g.get("j"):
        base = datetime.datetime(year, 1, 1, tzinfo=tzinfo) + datetime.timedelta(
            days=int(g["j"]) - 1
        )
        month, day = base.month, base.day
    else:
        month, day = int(g.get("m") or 1), int(g.get("d") or 1)
    try:
        local = datetime.datetime(
            year,
            month,
            day,
            int(g.get("H") or 0),
            int(g.get("M") or 0),
            int(g.get("S") or 0),
            int((g.get("L") or "0").ljust(3, "0")) * 1000,
            tzinfo=tzinfo,
        )
    except ValueError as e:
        raise MongoError(
            241, f"Error parsing date string '{s}'; {e}", "ConversionFailure"
        ) from None
    return from_aware(local.astimezone(UTC))


@operator("$dateFromString")
def _date_from_string(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict):
        raise MongoError(40540, "$dateFromString only supports an object as an argument")
    for k in args:
        if k not in ("dateString", "format", "timezone", "onError", "onNull"):
            raise MongoError(40541, f"Unrecognized argument to $dateFromString: {k}")
    if "dateString" not in args:
        raise MongoError(40542, "Missing 'dateString' parameter to $dateFromString")
    ds = compile_expression(args["dateString"], ctx)
    fmt = compile_expression(args["format"], ctx) if "format" in args else None
    tz = compile_expression(args["timezone"], ctx) if "timezone" in args else None
    on_error = compile_expression(args["onError"], ctx) if "onError" in args else None
    on_null = compile_expression(args["onNull"], ctx) if "onNull" in args else None

    def from_string(root: Any, vars: dict) -> Any:
        s = ds(root, vars)
        if nullish(s):
            return on_null(root, vars) if on_null is not None else None
        try:
            if not isinstance(s, str):
                raise MongoError(
                    241,
                    f"$dateFromString requires that 'dateString' be a string, "
                    f"found: {type_name(s)} with value {s!r}",
                    "ConversionFailure",
                )
            zone = _tz(tz(root, vars)) if tz is not None else None
            f = fmt(root, vars) if fmt is not None else None
            return parse_date_string(s, f if isinstance(f, str) else None, zone)
        except MongoError:
            if on_error is not None:
                return on_error(root, vars)
            raise

    return from_string


@operator("$dateToParts")
def _date_to_parts(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict) or "date" not in args:
        raise MongoError(40522, "Missing 'date' parameter to $dateToParts")
    d = compile_expression(args["date"], ctx)
    tz = compile_expression(args["timezone"], ctx) if "timezone" in args else None
    iso = compile_expression(args["iso8601"], ctx) if "iso8601" in args else None

    def to_parts(root: Any, vars: dict) -> Any:
        v = d(root, vars)
        if nullish(v):
            return None
        zone = _tz(tz(root, vars)) if tz is not None else UTC
        local = to_aware(v, "$dateToParts").astimezone(zone)
        ms = local.microsecond // 1000
        if iso is not None and iso(root, vars):
            y, w, dow = local.isocalendar()
            return {
                "isoWeekYear": y,
                "isoWeek": w,
                "isoDayOfWeek": dow,
                "hour": local.hour,
                "minute": local.minute,
                "second": local.second,
                "millisecond": ms,
            }
        return {
            "year": local.year,
            "month": local.month,
            "day": local.day,
            "hour": local.hour,
            "minute": local.minute,
            "second": local.second,
            "millisecond": ms,
        }

    return to_parts


@operator("$dateFromParts")
def _date_from_parts(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict):
        raise MongoError(40519, "$dateFromParts only supports an object as its argument")
    fields = (
        "year",
        "month",
        "day",
        "hour",
        "minute",
        "second",
        "millisecond",
        "isoWeekYear",
        "isoWeek",
        "isoDayOfWeek",
        "timezone",
    )
    for k in args:
        if k not in fields:
            raise MongoError(40518, f"Unrecognized argument to $dateFromParts: {k}")
    iso = "isoWeekYear" in args
    if iso and "year" in args:
        raise MongoError(40489, "$dateFromParts does not allow mixing natural dates with ISO dates")
    if not iso and "year" not in args:
        raise MongoError(
            40516, "$dateFromParts requires either 'year' or 'isoWeekYear' to be present"
        )
    fns = {k: compile_expression(v, ctx) for k, v in args.items()}

    def from_parts(root: Any, vars: dict) -> Any:
        vals: dict[str, Any] = {}
        for k, f in fns.items():
            v = f(root, vars)
            if nullish(v):
                return None
            if k != "timezone":
                if not is_numeric(v) or not is_integral(v):
                    raise MongoError(
                        40515,
                        f"'{k}' must evaluate to an integer, found {type_name(v)} with value {v}",
                    )
                v = int(v)
            vals[k] = v
        zone = _tz(vals.get("timezone"))
        if iso:
            base = datetime.datetime.fromisocalendar(vals["isoWeekYear"], 1, 1)
            base += datetime.timedelta(
                weeks=vals.get("isoWeek", 1) - 1, days=vals.get("isoDayOfWeek", 1) - 1
            )
        else:
            year = vals["year"]
            if not 1 <= year <= 9999:
                raise MongoError(
                    40523,
                    f"'year' must evaluate to an integer in the range 1 to 9999, found {year}",
                )
            base = datetime.datetime(year, 1, 1)
            month = vals.get("month", 1) - 1
            base = _add_months(base, month)
            base += datetime.timedelta(days=vals.get("day", 1) - 1)
        base += datetime.timedelta(
            hours=vals.get("hour", 0),
            minutes=vals.get("minute", 0),
            seconds=vals.get("second", 0),
            milliseconds=vals.get("millisecond", 0),
        )
        local = base.replace(tzinfo=zone)
        return from_aware(local.astimezone(UTC))

    return from_parts


def _add_months(d: datetime.datetime, months: int) -> datetime.datetime:
    total = d.year * 12 + (d.month - 1) + months
    y, m = divmod(total, 12)
    import calendar

    day = min(d.day, calendar.monthrange(y, m + 1)[1])
    return d.replace(year=y, month=m + 1, day=day)


_UNITS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond")
_FIXED = {
    "week": 7 * 86400000,
    "day": 86400000,
    "hour": 3600000,
    "minute": 60000,
    "second": 1000,
    "millisecond": 1,
}


def _unit(v: Any) -> str:
    if v not in _UNITS:
        raise MongoError(
            5439014 if isinstance(v, str) else 5439013,
            f"unit is invalid: {v}"
            if isinstance(v, str)
            else f"unit must be a string, found {type_name(v)}",
        )
    return v


def add_units(d: datetime.datetime, unit: str, amount: int) -> datetime.datetime:
    if unit in ("year", "quarter", "month"):
        months = amount * {"year": 12, "quarter": 3, "month": 1}[unit]
        return _add_months(d, months)
    if unit in ("day", "week"):
        # calendar days in the time zone
        return d + datetime.timedelta(days=amount * (7 if unit == "week" else 1))
    return d + datetime.timedelta(milliseconds=amount * _FIXED[unit])


def _date_add(name: str, sign: int) -> None:
    @operator(name)
    def compile_add(args: Any, ctx: ExprContext) -> Fn:
        if not isinstance(args, dict):
            raise MongoError(5166400, f"{name} expects an object as its argument")
        for k in ("startDate", "unit", "amount"):
            if k not in args:
                raise MongoError(
                    5166402, f"{name} requires startDate, unit, and amount to be present"
                )
        sd = compile_expression(args["startDate"], ctx)
        un = compile_expression(args["unit"], ctx)
        am = compile_expression(args["amount"], ctx)
        tz = compile_expression(args["timezone"], ctx) if "timezone" in args else None

        def add(root: Any, vars: dict) -> Any:
            s, u, a = sd(root, vars), un(root, vars), am(root, vars)
            if nullish(s) or nullish(u) or nullish(a):
                return None
            if not is_numeric(a) or not is_integral(a):
                raise MongoError(
                    5166405, f"{name} requires an integer 'amount', found {type_name(a)}"
                )
            unit = _unit(u)
            zone = _tz(tz(root, vars)) if tz is not None else UTC
            start = to_aware(s, name)
            if unit in ("millisecond", "second", "minute", "hour"):
                out = start + datetime.timedelta(milliseconds=sign * int(a) * _FIXED[unit])
            else:
                local = start.astimezone(zone).replace(tzinfo=None)
                local = add_units(local, unit, sign * int(a))
                out = _localize(local, zone)
            return from_aware(out.astimezone(UTC))

        return add


def _localize(local: datetime.datetime, zone: datetime.tzinfo) -> datetime.datetime:
    return local.replace(tzinfo=zone)


_date_add("$dateAdd", 1)
_date_add("$dateSubtract", -1)


def _trunc(
    local: datetime.datetime, unit: str, bin_size: int, start_of_week: str
) -> datetime.datetime:
    if unit == "year":
        y = (local.year - 2000) // bin_size * bin_size + 2000 if bin_size > 1 else local.year
        return local.replace(year=y, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit in ("quarter", "month"):
        per = 3 if unit == "quarter" else 1
        months = (local.year - 2000) * 12 + local.month - 1
        months = months // (per * bin_size) * per * bin_size
        y, m = divmod(months, 12)
        return datetime.datetime(2000 + y, m + 1, 1)
    if unit == "week":
        days = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
        sow = days.index(start_of_week.lower()) if start_of_week.lower() in days else 0
        ref = datetime.datetime(2000, 1, 2) + datetime.timedelta(days=(sow - 0) % 7)
        delta = (local.replace(hour=0, minute=0, second=0, microsecond=0) - ref).days
        return ref + datetime.timedelta(days=delta // (7 * bin_size) * 7 * bin_size)
    ref = datetime.datetime(2000, 1, 1)
    span = datetime.timedelta(milliseconds=_FIXED[unit] * bin_size)
    n = (local - ref) // span
    return ref + n * span


@operator("$dateTrunc")
def _date_trunc(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict) or "date" not in args or "unit" not in args:
        raise MongoError(5439007, "$dateTrunc requires 'date' and 'unit' parameters")
    d = compile_expression(args["date"], ctx)
    un = compile_expression(args["unit"], ctx)
    bs = compile_expression(args.get("binSize", 1), ctx)
    tz = compile_expression(args["timezone"], ctx) if "timezone" in args else None
    sow = compile_expression(args.get("startOfWeek", "sunday"), ctx)

    def trunc(root: Any, vars: dict) -> Any:
        v, u, b = d(root, vars), un(root, vars), bs(root, vars)
        if nullish(v) or nullish(u) or nullish(b):
            return None
        unit = _unit(u)
        zone = _tz(tz(root, vars)) if tz is not None else UTC
        local = to_aware(v, "$dateTrunc").astimezone(zone).replace(tzinfo=None)
        out = _trunc(local, unit, int(b), str(sow(root, vars)))
        return from_aware(out.replace(tzinfo=zone).astimezone(UTC))

    return trunc


@operator("$dateDiff")
def _date_diff(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict):
        raise MongoError(5166301, "$dateDiff only supports an object as its argument")
    for k in ("startDate", "endDate", "unit"):
        if k not in args:
            raise MongoError(5166302, f"Missing '{k}' parameter to $dateDiff")
    sd = compile_expression(args["startDate"], ctx)
    ed = compile_expression(args["endDate"], ctx)
    un = compile_expression(args["unit"], ctx)
    tz = compile_expression(args["timezone"], ctx) if "timezone" in args else None
    sow = compile_expression(args.get("startOfWeek", "sunday"), ctx)

    def diff(root: Any, vars: dict) -> Any:
        s, e, u = sd(root, vars), ed(root, vars), un(root, vars)
        if nullish(s) or nullish(e) or nullish(u):
            return None
        unit = _unit(u)
        zone = _tz(tz(root, vars)) if tz is not None else UTC
        a = to_aware(s, "$dateDiff").astimezone(zone).replace(tzinfo=None)
        b = to_aware(e, "$dateDiff").astimezone(zone).replace(tzinfo=None)
        if unit in ("year", "quarter", "month"):
            months = (b.year - a.year) * 12 + (b.month - a.month)
            n = (
                months // {"year": 12, "quarter": 3, "month": 1}[unit]
                if unit != "month"
                else months
            )
            if unit == "year":
                n = b.year - a.year
            elif unit == "quarter":
                n = (b.year * 4 + (b.month - 1) // 3) - (a.year * 4 + (a.month - 1) // 3)
            return Int64(n)
        if unit == "week":
            ta = _trunc(a, "week", 1, str(sow(root, vars)))
            tb = _trunc(b, "week", 1, str(sow(root, vars)))
            return Int64((tb - ta).days // 7)
        ta = _trunc(a, unit, 1, "sunday")
        tb = _trunc(b, unit, 1, "sunday")
        return Int64((tb - ta) // datetime.timedelta(milliseconds=_FIXED[unit]))

    return diff


_ = (MISSING, datetime_ms)
