"""Type expressions: $type, $isNumber, $convert and the $toX shorthands."""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any

from bson.binary import Binary
from bson.datetime_ms import DatetimeMS
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from .. import arith
from ..bsontypes import (
    INT32_MAX,
    INT32_MIN,
    INT64_MAX,
    INT64_MIN,
    TYPE_ALIASES,
    TYPE_NAMES,
    bson_type,
    is_numeric,
    type_name,
)
from ..errors import MongoError
from ..keystring import MISSING, datetime_ms
from .core import ExprContext, Fn, arity, compile_args, compile_expression, nullish, operator


@operator("$type")
def _type(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$type", args, 1), ctx)
    return lambda root, vars: type_name(a(root, vars))


@operator("$isNumber")
def _is_number(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$isNumber", args, 1), ctx)

    def is_number(root: Any, vars: dict) -> Any:
        v = a(root, vars)
        return is_numeric(v) and not isinstance(v, bool)

    return is_number


def number_to_string(v: Any) -> str:
    t = type(v)
    if t is float:
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if v == int(v) and abs(v) < 1e15:
            return str(int(v)) if v != 0 or math.copysign(1, v) > 0 else "-0"
        r = repr(v)
        if "e" in r:
            mant, exp = r.split("e")
            exp_i = int(exp)
            return f"{mant}e{'+' if exp_i >= 0 else '-'}{abs(exp_i):02d}"
        return r
    if t is Decimal128:
        return str(v)
    return str(int(v))


class _ConvertError(Exception):
    pass


def _fail(v: Any, target: str, why: str = "") -> _ConvertError:
    return _ConvertError(
        why
        or f"Unsupported conversion from {type_name(v)} to {target} in "
        "$convert with no onError value"
    )


def _to_double(v: Any) -> Any:
    t = bson_type(v)
    if t == 1:
        return v
    if t in (16, 18):
        return float(int(v))
    if t == 19:
        d = v.to_decimal()
        f = float(d)
        if d.is_finite() and math.isinf(f):
            raise _fail(
                v,
                "double",
                "Conversion would overflow target type in $convert with no onError value: {v}",
            )
        return f
    if t == 8:
        return 1.0 if v else 0.0
    if t == 9:
        return float(datetime_ms(v))
    if t == 2:
        s = v.strip()
        try:
            if s.lower() in ("nan", "inf", "-inf", "infinity", "-infinity") or s != v:
                if s != v:
                    raise ValueError
            return float(s)
        except ValueError:
            raise _ConvertError(
                f"Failed to parse number '{v}' in $convert with no onError value: "
                "Did not consume whole string."
            ) from None
    raise _fail(v, "double")


def _to_int(v: Any, long_: bool) -> Any:
    lo, hi = (INT64_MIN, INT64_MAX) if long_ else (INT32_MIN, INT32_MAX)
    target = "long" if long_ else "int"
    t = bson_type(v)
    if t in (16, 18):
        n = int(v)
    elif t == 1:
        if math.isnan(v) or math.isinf(v):
            raise _ConvertError(
                "Attempt to convert NaN value to integer type in $convert with no onError value"
                if math.isnan(v)
                else "Attempt to convert infinity value to integer type in $convert "
                "with no onError value"
            )
        n = int(v)
        if not lo <= n <= hi:
            raise _ConvertError(
                f"Conversion would overflow target type in $convert with no onError value: {v}"
            )
    elif t == 19:
        d = v.to_decimal()
        if not d.is_finite():
            raise _ConvertError(
                "Attempt to convert NaN value to integer type in $convert with no onError value"
            )
        n = int(d)
        if not lo <= n <= hi:
            raise _ConvertError(
                f"Conversion would overflow target type in $convert with no onError value: {v}"
            )
    elif t == 8:
        n = 1 if v else 0
    elif t == 9 and long_:
        n = datetime_ms(v)
    elif t == 2:
        s = v
        if not s or not (s.lstrip("-").isdigit()) or s.startswith("+"):
            raise _ConvertError(
                f"Failed to parse number '{v}' in $convert with no onError value:"
                " Did not consume whole string."
            )
        n = int(s)
    else:
        raise _fail(v, target)
    if not lo <= n <= hi:
        raise _ConvertError(
            f"Conversion would overflow target type in $convert with no onError value: {v}"
        )
    return Int64(n) if long_ else n


def _to_decimal(v: Any) -> Any:
    t = bson_type(v)
    if t == 19:
        return v
    if t in (16, 18):
        return Decimal128(decimal.Decimal(int(v)))
    if t == 1:
        return arith.make_dec(
            decimal.Decimal(repr(v))
            if math.isfinite(v)
            else decimal.Decimal(str(v).replace("inf", "Infinity"))
        )
    if t == 8:
        return Decimal128("1" if v else "0")
    if t == 9:
        return Decimal128(decimal.Decimal(datetime_ms(v)))
    if t == 2:
        try:
            d = decimal.Decimal(v)
        except decimal.InvalidOperation:
            raise _ConvertError(
                f"Failed to parse number '{v}' in $convert with no onError value: "
                "Failed to parse string to decimal"
            ) from None
        return arith.make_dec(d)
    raise _fail(v, "decimal")


def _to_bool(v: Any) -> Any:
    t = bson_type(v)
    if t == 8:
        return v
    if t in (1, 16, 18):
        return v != 0
    if t == 19:
        return not v.to_decimal().is_zero()
    if t in (10, 0, 6):
        return None
    return True


def _to_string(v: Any) -> Any:
    t = bson_type(v)
    if t == 2:
        return v
    if t in (1, 16, 18, 19):
        return number_to_string(v)
    if t == 8:
        return "true" if v else "false"
    if t == 7:
        return str(v)
    if t == 9:
        from .date_ops import format_date

        return format_date(v, "%Y-%m-%dT%H:%M:%S.%LZ", None)
    if t == 5:
        b = bytes(v)
        if isinstance(v, Binary) and v.subtype == 4 and len(b) == 16:
            import uuid

            return str(uuid.UUID(bytes=b))
        import base64

        return base64.b64encode(b).decode()
    raise _fail(v, "string")


def _to_date(v: Any) -> Any:
    t = bson_type(v)
    if t == 9:
        return v
    if t in (1, 18, 19):
        ms = int(_to_double(v)) if t != 18 else int(v)
        from .arith_ops import ms_to_date

        return ms_to_date(ms)
    if t == 17:
        from .arith_ops import ms_to_date

        return ms_to_date(v.time * 1000)
    if t == 7:
        return v.generation_time.replace(tzinfo=None)
    if t == 2:
        from .date_ops import parse_date_string

        try:
            return parse_date_string(v, None, None)
        except MongoError as e:
            raise _ConvertError(e.errmsg) from None
    raise _fail(v, "date")


def _to_oid(v: Any) -> Any:
    if type(v) is ObjectId:
        return v
    if isinstance(v, str):
        try:
            return ObjectId(v)
        except Exception:
            raise _ConvertError(
                f"Failed to parse objectId '{v}' in $convert with no onError "
                "value: Invalid string length for parsing to OID, expected 24 "
                f"but found {len(v)}"
            ) from None
    raise _fail(v, "objectId")


CONVERTERS = {
    1: _to_double,
    2: _to_string,
    7: _to_oid,
    8: _to_bool,
    9: _to_date,
    16: lambda v: _to_int(v, False),
    18: lambda v: _to_int(v, True),
    19: _to_decimal,
}


def convert(v: Any, target: int) -> Any:
    if nullish(v):
        return None
    if target == 3 and type(v) is dict:
        return v
    if target == 4 and type(v) is list:
        return v
    if target == 10:
        return None
    fn = CONVERTERS.get(target)
    if fn is None:
        if bson_type(v) == target:
            return v
        raise _fail(v, TYPE_NAMES.get(target, str(target)))
    return fn(v)


def _target_code(t: Any) -> int:
    if isinstance(t, str):
        if t not in TYPE_ALIASES:
            raise MongoError(2, f"Unknown type name: {t}")
        return TYPE_ALIASES[t]
    if is_numeric(t):
        code = int(t)
        if code not in TYPE_NAMES:
            raise MongoError(
                2, f"In $convert, numeric value for 'to' does not correspond to a BSON type: {code}"
            )
        return code
    if isinstance(t, dict) and "type" in t:
        return _target_code(t["type"])
    raise MongoError(
        2, f"$convert's 'to' argument must be a string or number, but is {type_name(t)}"
    )


@operator("$convert")
def _convert(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict):
        raise MongoError(
            34520, "$convert expects an object of named arguments but found: " + type_name(args)
        )
    for k in args:
        if k not in ("input", "to", "onError", "onNull", "format", "base", "byteOrder"):
            raise MongoError(34519, f"$convert found an unknown argument: {k}")
    if "input" not in args:
        raise MongoError(34523, "Missing 'input' parameter to $convert")
    if "to" not in args:
        raise MongoError(34524, "Missing 'to' parameter to $convert")
    inp = compile_expression(args["input"], ctx)
    to = compile_expression(args["to"], ctx)
    on_error = compile_expression(args["onError"], ctx) if "onError" in args else None
    on_null = compile_expression(args["onNull"], ctx) if "onNull" in args else None

    def convert_fn(root: Any, vars: dict) -> Any:
        v = inp(root, vars)
        t = to(root, vars)
        if nullish(t):
            return None
        code = _target_code(t)
        if nullish(v):
            return on_null(root, vars) if on_null is not None else None
        try:
            return convert(v, code)
        except _ConvertError as e:
            if on_error is not None:
                return on_error(root, vars)
            raise MongoError(241, str(e), "ConversionFailure") from None

    return convert_fn


def _shorthand(name: str, code: int) -> None:
    @operator(name)
    def compile_to(args: Any, ctx: ExprContext) -> Fn:
        (a,) = compile_args(arity(name, args, 1), ctx)

        def to_fn(root: Any, vars: dict) -> Any:
            v = a(root, vars)
            try:
                return convert(v, code)
            except _ConvertError as e:
                raise MongoError(241, str(e), "ConversionFailure") from None

        return to_fn


for _n, _c in (
    ("$toDouble", 1),
    ("$toString", 2),
    ("$toObjectId", 7),
    ("$toBool", 8),
    ("$toDate", 9),
    ("$toInt", 16),
    ("$toLong", 18),
    ("$toDecimal", 19),
):
    _shorthand(_n, _c)


@operator("$tsSecond")
def _ts_second(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$tsSecond", args, 1), ctx)

    def ts(root: Any, vars: dict) -> Any:
        v = a(root, vars)
        if nullish(v):
            return None
        if type(v) is not Timestamp:
            raise MongoError(
                5687301, f"$tsSecond requires a timestamp argument, found: {type_name(v)}"
            )
        return Int64(v.time)

    return ts


@operator("$tsIncrement")
def _ts_increment(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$tsIncrement", args, 1), ctx)

    def ts(root: Any, vars: dict) -> Any:
        v = a(root, vars)
        if nullish(v):
            return None
        if type(v) is not Timestamp:
            raise MongoError(
                5687302, f"$tsIncrement requires a timestamp argument, found: {type_name(v)}"
            )
        return Int64(v.inc)

    return ts


_ = (datetime, DatetimeMS, MISSING)
