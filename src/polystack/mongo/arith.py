"""Arithmetic on BSON numbers with MongoDB's type rules.

The result takes the widest operand type in the order int32 < int64 < double < decimal128; an
int32 result that overflows becomes int64, an int64 result that overflows becomes a double
(``$add``/``$multiply``; ``$inc``/``$mul`` in updates follow the same promotion).
"""

from __future__ import annotations

import decimal
from typing import Any

from bson.decimal128 import Decimal128, create_decimal128_context
from bson.int64 import Int64

from .bsontypes import INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN

DEC_CTX = create_decimal128_context()
_INT, _LONG, _DOUBLE, _DECIMAL = 0, 1, 2, 3


def kind(v: Any) -> int:
    t = type(v)
    if t is int:
        return _INT if INT32_MIN <= v <= INT32_MAX else _LONG
    if t is Int64:
        return _LONG
    if t is float:
        return _DOUBLE
    if t is Decimal128:
        return _DECIMAL
    if isinstance(v, bool):
        raise TypeError("bool is not a number")
    if isinstance(v, int):
        return _INT if INT32_MIN <= v <= INT32_MAX else _LONG
    if isinstance(v, float):
        return _DOUBLE
    raise TypeError("not a number")


def to_dec(v: Any) -> decimal.Decimal:
    t = type(v)
    if t is Decimal128:
        return v.to_decimal()
    if t is float:
        return DEC_CTX.create_decimal_from_float(v)
    return decimal.Decimal(int(v))


def make_dec(d: decimal.Decimal) -> Decimal128:
    with decimal.localcontext(DEC_CTX) as ctx:
        return Decimal128(ctx.create_decimal(d))


def wrap32(n: int) -> int:
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n >= 1 << 31 else n


def wrap64(n: int) -> int:
    n &= (1 << 64) - 1
    return n - (1 << 64) if n >= 1 << 63 else n


def typed_int(n: int, k: int) -> Any:
    """An integer result of kind ``k`` (or wider when it overflows)."""
    if k == _INT and INT32_MIN <= n <= INT32_MAX:
        return n
    if INT64_MIN <= n <= INT64_MAX:
        return Int64(n)
    return float(n)


def to_kind(v: Any, k: int) -> Any:
    if k == _DECIMAL:
        return make_dec(to_dec(v))
    if k == _DOUBLE:
        return float(v.to_decimal()) if type(v) is Decimal128 else float(v)
    if k == _LONG:
        return Int64(int(v))
    return int(v)


def add(a: Any, b: Any) -> Any:
    k = max(kind(a), kind(b))
    if k <= _LONG:
        return typed_int(int(a) + int(b), k)
    if k == _DOUBLE:
        return float(a) + float(b)
    with decimal.localcontext(DEC_CTX):
        return make_dec(to_dec(a) + to_dec(b))


def subtract(a: Any, b: Any) -> Any:
    k = max(kind(a), kind(b))
    if k <= _LONG:
        return typed_int(int(a) - int(b), k)
    if k == _DOUBLE:
        return float(a) - float(b)
    with decimal.localcontext(DEC_CTX):
        return make_dec(to_dec(a) - to_dec(b))


def multiply(a: Any, b: Any) -> Any:
    k = max(kind(a), kind(b))
    if k <= _LONG:
        return typed_int(int(a) * int(b), k)
    if k == _DOUBLE:
        return float(a) * float(b)
    with decimal.localcontext(DEC_CTX):
        return make_dec(to_dec(a) * to_dec(b))


def zero_like(v: Any) -> Any:
    k = kind(v)
    if k == _DECIMAL:
        return Decimal128("0")
    if k == _DOUBLE:
        return 0.0
    if k == _LONG:
        return Int64(0)
    return 0


def as_float(v: Any) -> float:
    if type(v) is Decimal128:
        return float(v.to_decimal())
    return float(v)


def is_decimal(v: Any) -> bool:
    return type(v) is Decimal128
