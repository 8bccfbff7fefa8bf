"""Arithmetic expressions: $add $subtract $multiply $divide $mod $abs $ceil $floor $round $trunc
$sqrt $pow $exp $ln $log $log10 and the trigonometric family."""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any

from bson.datetime_ms import DatetimeMS
from bson.decimal128 import Decimal128
from bson.int64 import Int64

from .. import arith
from ..bsontypes import is_numeric, type_name
from ..errors import MongoError
from ..keystring import MISSING, datetime_ms
from .core import ExprContext, Fn, arity, compile_args, nullish, operator


def _is_date(v: Any) -> bool:
    return type(v) is datetime.datetime or type(v) is DatetimeMS


def ms_to_date(ms: int) -> Any:
    try:
        return datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)
    except OverflowError:
        return DatetimeMS(ms)


def _num(v: Any) -> bool:
    return is_numeric(v) and not isinstance(v, bool)


@operator("$add")
def _add(args: Any, ctx: ExprContext) -> Fn:
    fns = compile_args(args, ctx)

    def add(root: Any, vars: dict) -> Any:
        total: Any = 0
        date_ms: int | None = None
        for f in fns:
            v = f(root, vars)
            if nullish(v):
                return None
            if _is_date(v):
                if date_ms is not None:
                    raise MongoError(16612, "only one date allowed in an $add expression")
                date_ms = datetime_ms(v)
                continue
            if not _num(v):
                raise MongoError(
                    16554, f"$add only supports numeric or date types, not {type_name(v)}"
                )
            total = arith.add(total, v)
        if date_ms is not None:
            extra = arith.as_float(total)
            if extra != extra:
                raise MongoError(2, "Can't add NaN to a date")
            return ms_to_date(date_ms + int(round(extra)))
        return total

    return add


@operator("$subtract")
def _subtract(args: Any, ctx: ExprContext) -> Fn:
    a, b = compile_args(arity("$subtract", args, 2), ctx)

    def subtract(root: Any, vars: dict) -> Any:
        x, y = a(root, vars), b(root, vars)
        if nullish(x) or nullish(y):
            return None
        if _is_date(x):
            if _is_date(y):
                return Int64(datetime_ms(x) - datetime_ms(y))
            if _num(y):
                return ms_to_date(datetime_ms(x) - int(round(arith.as_float(y))))
            raise MongoError(16613, f"cant $subtract a {type_name(y)} from a Date")
        if _num(x) and _num(y):
            return arith.subtract(x, y)
        if _is_date(y):
            raise MongoError(16556, f"cant $subtract a Date from a {type_name(x)}")
        raise MongoError(16556, f"cant $subtract a {type_name(y)} from a {type_name(x)}")

    return subtract


@operator("$multiply")
def _multiply(args: Any, ctx: ExprContext) -> Fn:
    fns = compile_args(args, ctx)

    def multiply(root: Any, vars: dict) -> Any:
        total: Any = 1
        for f in fns:
            v = f(root, vars)
            if nullish(v):
                return None
            if not _num(v):
                raise MongoError(
                    16555, f"$multiply only supports numeric types, not {type_name(v)}"
                )
            total = arith.multiply(total, v)
        return total

    return multiply


@operator("$divide")
def _divide(args: Any, ctx: ExprContext) -> Fn:
    a, b = compile_args(arity("$divide", args, 2), ctx)

    def divide(root: Any, vars: dict) -> Any:
        x, y = a(root, vars), b(root, vars)
        if nullish(x) or nullish(y):
            return None
        if not _num(x) or not _num(y):
            raise MongoError(
                16609,
                f"$divide only supports numeric types, not {type_name(x)} and {type_name(y)}",
            )
        if arith.is_decimal(x) or arith.is_decimal(y):
            dy = arith.to_dec(y)
            if dy.is_zero():
                raise MongoError(2, "can't $divide by zero")
            with decimal.localcontext(arith.DEC_CTX):
                return arith.make_dec(arith.to_dec(x) / dy)
        fy = float(y)
        if fy == 0:
            raise MongoError(2, "can't $divide by zero")
        return float(x) / fy

    return divide


@operator("$mod")
def _mod(args: Any, ctx: ExprContext) -> Fn:
    a, b = compile_args(arity("$mod", args, 2), ctx)

    def mod(root: Any, vars: dict) -> Any:
        x, y = a(root, vars), b(root, vars)
        if nullish(x) or nullish(y):
            return None
        if not _num(x) or not _num(y):
            raise MongoError(
                16611, f"$mod only supports numeric types, not {type_name(x)} and {type_name(y)}"
            )
        k = max(arith.kind(x), arith.kind(y))
        if k == 3:
            dy = arith.to_dec(y)
            if dy.is_zero():
                raise MongoError(16610, "can't $mod by zero")
            with decimal.localcontext(arith.DEC_CTX):
                return arith.make_dec(arith.to_dec(x) % dy)
        if k == 2:
            fy = float(y)
            if fy == 0:
                raise MongoError(16610, "can't $mod by zero")
            return math.fmod(float(x), fy)
        iy = int(y)
        if iy == 0:
            raise MongoError(16610, "can't $mod by zero")
        r = abs(int(x)) % abs(iy)
        if int(x) < 0:
            r = -r
        return arith.typed_int(r, k)

    return mod


def _unary_numeric(name: str, fn_int: Any, fn_float: Any, fn_dec: Any, code: int) -> None:
    @operator(name)
    def compile_unary(args: Any, ctx: ExprContext) -> Fn:
        (a,) = compile_args(arity(name, args, 1), ctx)

        def unary(root: Any, vars: dict) -> Any:
            x = a(root, vars)
            if nullish(x):
                return None
            if not _num(x):
                raise MongoError(code, f"{name} only supports numeric types, not {type_name(x)}")
            k = arith.kind(x)
            if k == 3:
                return fn_dec(x.to_decimal())
            if k == 2:
                return fn_float(x)
            return fn_int(int(x), k)

        return unary


def _dec(d: decimal.Decimal) -> Decimal128:
    return arith.make_dec(d)


_unary_numeric(
    "$abs",
    lambda n, k: arith.typed_int(abs(n), k),
    abs,
    lambda d: _dec(abs(d)),
    28765,
)
_unary_numeric(
    "$ceil",
    lambda n, k: arith.typed_int(n, k),
    lambda f: float(math.ceil(f)) if math.isfinite(f) else f,
    lambda d: _dec(d.to_integral_value(decimal.ROUND_CEILING)),
    28765,
)
_unary_numeric(
    "$floor",
    lambda n, k: arith.typed_int(n, k),
    lambda f: float(math.floor(f)) if math.isfinite(f) else f,
    lambda d: _dec(d.to_integral_value(decimal.ROUND_FLOOR)),
    28765,
)


def _float_fn(name: str, fn: Any, domain: Any = None, msg: str = "") -> None:
    @operator(name)
    def compile_fn(args: Any, ctx: ExprContext) -> Fn:
        (a,) = compile_args(arity(name, args, 1), ctx)

        def float_fn(root: Any, vars: dict) -> Any:
            x = a(root, vars)
            if nullish(x):
                return None
            if not _num(x):
                raise MongoError(28765, f"{name} only supports numeric types, not {type_name(x)}")
            f = arith.as_float(x)
            if domain is not None and f == f and not domain(f):
                raise MongoError(28766 if name == "$ln" else 28714, msg.format(f))
            r = fn(f)
            if arith.is_decimal(x):
                return _dec(decimal.Decimal(r))
            return r

        return float_fn


_float_fn(
    "$sqrt", math.sqrt, lambda f: f >= 0, "$sqrt's argument must be greater than or equal to 0"
)
_float_fn("$exp", lambda f: math.exp(f) if f < 709.8 else math.inf)
_float_fn("$ln", math.log, lambda f: f > 0, "$ln's argument must be a positive number, but is {}")
_float_fn(
    "$log10", math.log10, lambda f: f > 0, "$log10's argument must be a positive number, but is {}"
)
for _n, _f in (
    ("$sin", math.sin),
    ("$cos", math.cos),
    ("$tan", math.tan),
    ("$asin", math.asin),
    ("$acos", math.acos),
    ("$atan", math.atan),
    ("$sinh", math.sinh),
    ("$cosh", math.cosh),
    ("$tanh", math.tanh),
    ("$asinh", math.asinh),
    ("$acosh", math.acosh),
    ("$atanh", math.atanh),
    ("$degreesToRadians", math.radians),
    ("$radiansToDegrees", math.degrees),
):
    _float_fn(_n, _f)


@operator("$log")
def _log(args: Any, ctx: ExprContext) -> Fn:
    a, b = compile_args(arity("$log", args, 2), ctx)

    def log(root: Any, vars: dict) -> Any:
        x, base = a(root, vars), b(root, vars)
        if nullish(x) or nullish(base):
            return None
        if not _num(x):
            raise MongoError(28756, f"$log's argument must be numeric, not {type_name(x)}")
        if not _num(base):
            raise MongoError(28757, f"$log's base must be numeric, not {type_name(base)}")
        fx, fb = arith.as_float(x), arith.as_float(base)
        if fx <= 0:
            raise MongoError(28758, f"$log's argument must be a positive number, but is {fx}")
        if fb <= 0 or fb == 1:
            raise MongoError(
                28759, f"$log's base must be a positive number not equal to 1, but is {fb}"
            )
        return math.log(fx) / math.log(fb)

    return log


@operator("$atan2")
def _atan2(args: Any, ctx: ExprContext) -> Fn:
    a, b = compile_args(arity("$atan2", args, 2), ctx)

    def atan2(root: Any, vars: dict) -> Any:
        y, x = a(root, vars), b(root, vars)
        if nullish(x) or nullish(y):
            return None
        return math.atan2(arith.as_float(y), arith.as_float(x))

    return atan2


@operator("$pow")
def _pow(args: Any, ctx: ExprContext) -> Fn:
    a, b = compile_args(arity("$pow", args, 2), ctx)

    def pow_(root: Any, vars: dict) -> Any:
        x, y = a(root, vars), b(root, vars)
        if nullish(x) or nullish(y):
            return None
        if not _num(x):
            raise MongoError(28762, f"$pow's base must be numeric, not {type_name(x)}")
        if not _num(y):
            raise MongoError(28763, f"$pow's exponent must be numeric, not {type_name(y)}")
        k = max(arith.kind(x), arith.kind(y))
        if k <= 1:
            bx, ey = int(x), int(y)
            if bx == 0 and ey < 0:
                raise MongoError(28764, "$pow cannot take a base of 0 and a negative exponent")
            if ey >= 0:
                return arith.typed_int(bx**ey, k)
            return float(bx) ** ey
        if k == 3:
            with decimal.localcontext(arith.DEC_CTX):
                return _dec(arith.to_dec(x) ** arith.to_dec(y))
        try:
            return math.pow(float(x), float(y))
        except (OverflowError, ValueError):
            return math.inf if float(x) > 0 else math.nan

    return pow_


def _round_like(name: str, mode: str) -> None:
    @operator(name)
    def compile_round(args: Any, ctx: ExprContext) -> Fn:
        lst = arity(name, args, 1, 2)
        fns = compile_args(lst, ctx)

        def round_fn(root: Any, vars: dict) -> Any:
            x = fns[0](root, vars)
            place = fns[1](root, vars) if len(fns) > 1 else 0
            if nullish(x) or nullish(place):
                return None
            if not _num(x):
                raise MongoError(51081, f"{name} only supports numeric types, not {type_name(x)}")
            p = int(place)
            if not -20 <= p <= 100:
                raise MongoError(
                    51083,
                    f"cannot apply {name} with precision value {p} value must be in [-20, 100]",
                )
            k = arith.kind(x)
            d = arith.to_dec(x) if k != 2 else decimal.Decimal(repr(float(x)))
            if k == 2 and not math.isfinite(float(x)):
                return x
            q = decimal.Decimal(1).scaleb(-p)
            rounding = decimal.ROUND_HALF_EVEN if mode == "round" else decimal.ROUND_DOWN
            with decimal.localcontext(decimal.Context(prec=200)):
                r = (
                    d.quantize(q, rounding=rounding)
                    if p >= 0
                    else ((d / q).to_integral_value(rounding) * q)
                )
            if k == 3:
                return _dec(r)
            if k == 2:
                return float(r)
            return arith.typed_int(int(r), k)

        return round_fn


_round_like("$round", "round")
_round_like("$trunc", "trunc")
_ = MISSING


def _bitwise(name: str, fn: Any, unary: bool = False) -> None:
    @operator(name)
    def compile_bits(args: Any, ctx: ExprContext) -> Fn:
        fns = compile_args(arity(name, args, 1) if unary else args, ctx)

        def bits(root: Any, vars: dict) -> Any:
            vals = [f(root, vars) for f in fns]
            if any(nullish(v) for v in vals):
                return None
            long_ = False
            for v in vals:
                t = type(v)
                if t is Int64:
                    long_ = True
                elif t is not int:
                    raise MongoError(
                        10038,
                        f"{name} only supports int and long operands.",
                    )
            if unary:
                n = ~int(vals[0])
            else:
                n = fn([int(v) for v in vals])
            return Int64(arith.wrap64(n)) if long_ else arith.wrap32(n)

        return bits


def _fold(op: Any, start: int) -> Any:
    def f(values: list[int]) -> int:
        acc = start
        for v in values:
            acc = op(acc, v)
        return acc

    return f


_bitwise("$bitAnd", _fold(lambda a, b: a & b, -1))
_bitwise("$bitOr", _fold(lambda a, b: a | b, 0))
_bitwise("$bitXor", _fold(lambda a, b: a ^ b, 0))
_bitwise("$bitNot", None, unary=True)
