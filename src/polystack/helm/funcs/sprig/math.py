"""Sprig integer and float math (numeric.go, functions.go)."""

from __future__ import annotations

import decimal
import math as _m
from typing import Any

from polystack.helm.funcs.sprig._conv import (
    GoError,
    IntList,
    parse_int,
    sprint_v,
    to_float64,
    to_int64,
    wrap64,
)
from polystack.helm.golang.runtime import check_items, check_size
from polystack.helm.golang.types import Int64, signature


def _i64(n: int) -> Int64:
    return Int64(wrap64(n))


@signature("...interface {}")
def add(*args: Any) -> Int64:
    return _i64(sum(to_int64(a) for a in args))


@signature("interface {}")
def add1(a: Any) -> Int64:
    return _i64(to_int64(a) + 1)


@signature("interface {}", "interface {}")
def sub(a: Any, b: Any) -> Int64:
    return _i64(to_int64(a) - to_int64(b))


def _go_div(a: int, b: int) -> int:
    if b == 0:
        raise GoError("runtime error: integer divide by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


@signature("interface {}", "interface {}")
def div(a: Any, b: Any) -> Int64:
    return _i64(_go_div(to_int64(a), to_int64(b)))


@signature("interface {}", "interface {}")
def mod(a: Any, b: Any) -> Int64:
    x, y = to_int64(a), to_int64(b)
    if y == 0:
        raise GoError("runtime error: integer divide by zero")
    r = abs(x) % abs(y)
    return _i64(r if x >= 0 else -r)


@signature("interface {}", "...interface {}")
def mul(a: Any, *rest: Any) -> Int64:
    v = to_int64(a)
    for b in rest:
        v = wrap64(v * to_int64(b))
    return _i64(v)


@signature("int", "int")
def rand_int(lo: int, hi: int) -> int:
    import secrets  # the rand* functions only: not at start-up

    n = hi - lo
    if n <= 0:
        raise GoError("invalid argument to Intn")
    return secrets.randbelow(n) + lo


# -- float math through shopspring/decimal ------------------------------------

_CTX = decimal.Context(prec=400, rounding=decimal.ROUND_HALF_UP, Emax=999999, Emin=-999999)


def _dec(v: Any) -> decimal.Decimal:
    """decimal.NewFromFloat(toFloat64(v)): the shortest decimal of the float."""
    f = to_float64(v)
    if _m.isnan(f) or _m.isinf(f):
        raise GoError(f"Cannot create a Decimal from {sprint_v(f)}")
    return decimal.Decimal(repr(f))


def _to_float(d: decimal.Decimal) -> float:
    return float(d)


def _decimal_op(a: Any, rest: tuple[Any, ...], op: str) -> float:
    acc = _dec(a)
    for x in rest:
        d = _dec(x)
        if op == "+":
            acc = _CTX.add(acc, d)
        elif op == "-":
            acc = _CTX.subtract(acc, d)
        elif op == "*":
            acc = _CTX.multiply(acc, d)
        else:
            if d == 0:
                raise GoError("decimal division by 0")
            q = _CTX.divide(acc, d)
            try:
                acc = q.quantize(decimal.Decimal(1).scaleb(-16), context=_CTX)
            except decimal.InvalidOperation:
                acc = q  # too many digits to hold 16 places: already exact enough
    return _to_float(acc)


@signature("interface {}")
def add1f(a: Any) -> float:
    return _decimal_op(a, (1,), "+")


@signature("...interface {}")
def addf(*args: Any) -> float:
    return _decimal_op(0.0, args, "+")


@signature("interface {}", "...interface {}")
def subf(a: Any, *rest: Any) -> float:
    return _decimal_op(a, rest, "-")


@signature("interface {}", "...interface {}")
def divf(a: Any, *rest: Any) -> float:
    return _decimal_op(a, rest, "/")


@signature("interface {}", "...interface {}")
def mulf(a: Any, *rest: Any) -> float:
    return _decimal_op(a, rest, "*")


@signature("interface {}", "...interface {}")
def max_(a: Any, *rest: Any) -> Int64:
    v = to_int64(a)
    for b in rest:
        v = max(v, to_int64(b))
    return Int64(v)


@signature("interface {}", "...interface {}")
def min_(a: Any, *rest: Any) -> Int64:
    v = to_int64(a)
    for b in rest:
        v = min(v, to_int64(b))
    return Int64(v)


def _go_max(a: float, b: float) -> float:
    if _m.isinf(a) and a > 0 or _m.isinf(b) and b > 0:
        return _m.inf
    if _m.isnan(a) or _m.isnan(b):
        return _m.nan
    if a == 0 and b == 0:
        return a if _m.copysign(1, a) > 0 else b
    return a if a > b else b


def _go_min(a: float, b: float) -> float:
    if _m.isinf(a) and a < 0 or _m.isinf(b) and b < 0:
        return -_m.inf
    if _m.isnan(a) or _m.isnan(b):
        return _m.nan
    if a == 0 and b == 0:
        return a if _m.copysign(1, a) < 0 else b
    return a if a < b else b


@signature("interface {}", "...interface {}")
def maxf(a: Any, *rest: Any) -> float:
    v = to_float64(a)
    for b in rest:
        v = _go_max(v, to_float64(b))
    return v


@signature("interface {}", "...interface {}")
def minf(a: Any, *rest: Any) -> float:
    v = to_float64(a)
    for b in rest:
        v = _go_min(v, to_float64(b))
    return v


@signature("interface {}")
def floor(a: Any) -> float:
    f = to_float64(a)
    return f if _m.isinf(f) or _m.isnan(f) else float(_m.floor(f))


@signature("interface {}")
def ceil(a: Any) -> float:
    f = to_float64(a)
    return f if _m.isinf(f) or _m.isnan(f) else float(_m.ceil(f))


@signature("interface {}", "int", "...float64")
def round_(a: Any, p: int, *opt: float) -> float:
    round_on = opt[0] if opt else 0.5
    val = to_float64(a)
    try:
        pow_ = _m.pow(10, float(p))
    except OverflowError:
        pow_ = _m.inf
    digit = pow_ * val
    if _m.isinf(digit) or _m.isnan(digit):
        frac = _m.nan if _m.isnan(digit) else 0.0
    else:
        frac = _m.modf(digit)[0]
    if frac >= round_on:
        r = _m.ceil(digit) if not (_m.isinf(digit) or _m.isnan(digit)) else digit
    else:
        r = _m.floor(digit) if not (_m.isinf(digit) or _m.isnan(digit)) else digit
    try:
        return float(r) / pow_
    except ZeroDivisionError:
        return _m.copysign(_m.inf, r) if r else _m.nan


@signature("interface {}")
def to_decimal(v: Any) -> Int64:
    """Octal string to int64 (``toDecimal "0777"`` is 511)."""
    try:
        return Int64(parse_int(sprint_v(v), 8, 64))
    except ValueError:
        return Int64(0)


def until_step(start: int, stop: int, step: int) -> IntList:
    v = IntList()
    if stop < start:
        if step >= 0:
            return v
    elif step <= 0:
        return v
    r = range(start, stop, step)
    check_items(len(r), "list")
    v.extend(r)
    return v


@signature("int")
def until(count: int) -> IntList:
    return until_step(0, count, -1 if count < 0 else 1)


@signature("int", "int", "int")
def until_step_(start: int, stop: int, step: int) -> IntList:
    return until_step(start, stop, step)


def _ints(v: list[int]) -> str:
    check_size(len(v) * 8, "seq output")
    return " ".join(str(i) for i in v)


@signature("...int")
def seq(*params: int) -> str:
    n = len(params)
    if n == 1:
        start, end = 1, params[0]
        inc = -1 if end < start else 1
        return _ints(until_step(start, end + inc, inc))
    if n == 2:
        start, end = params
        step = -1 if end < start else 1
        return _ints(until_step(start, end + step, step))
    if n == 3:
        start, step, end = params
        inc = 1
        if end < start:
            inc = -1
            if step > 0:
                return ""
        return _ints(until_step(start, end + inc, step))
    return ""


@signature("interface {}")
def int64_(v: Any) -> Int64:
    return Int64(to_int64(v))


@signature("interface {}")
def int_(v: Any) -> int:
    return to_int64(v)


@signature("interface {}")
def float64_(v: Any) -> float:
    return to_float64(v)


FUNCS = {
    "add1": add1,
    "add": add,
    "sub": sub,
    "div": div,
    "mod": mod,
    "mul": mul,
    "randInt": rand_int,
    "add1f": add1f,
    "addf": addf,
    "subf": subf,
    "divf": divf,
    "mulf": mulf,
    "biggest": max_,
    "max": max_,
    "min": min_,
    "maxf": maxf,
    "minf": minf,
    "ceil": ceil,
    "floor": floor,
    "round": round_,
    "toDecimal": to_decimal,
    "until": until,
    "untilStep": until_step_,
    "seq": seq,
    "int64": int64_,
    "int": int_,
    "float64": float64_,
}
