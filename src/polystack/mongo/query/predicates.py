"""Predicates on one value for the filter matcher: equality, comparisons within MongoDB's
type brackets, $in, $type, $regex, $size, $mod and the bit tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bson.binary import Binary
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.regex import Regex

from ..bsontypes import INT64_MAX, INT64_MIN, TYPE_ALIASES, bson_type, is_integral, is_numeric
from ..errors import MongoError
from ..keystring import (
    MISSING,
    RANK_MAXKEY,
    RANK_MINKEY,
    RANK_NULL,
    RANK_NUMBER,
    RANK_STRING,
    encode_key,
    type_rank,
)
from .regex import compile_regex, regex_flags_string

Pred = Callable[[Any], bool]
_FAST_NUM = (int, float, Int64)


def _bad(msg: str) -> MongoError:
    return MongoError(2, msg)


def is_operator_object(value: Any) -> bool:
    if type(value) is not dict or not value:
        return False
    for k in value:
        return k.startswith("$")
    return False


def _exists_pred(v: Any) -> bool:
    return v is not MISSING


def _eq_pred(x: Any) -> Pred:
    t = type(x)
    if t is str:

        def eq_str(v: Any) -> bool:
            return v == x and type(v) is str

        return eq_str
    if t is int or t is Int64 or (t is float and x == x):
        key = encode_key(x)

        def eq_num(v: Any) -> bool:
            tv = type(v)
            if tv is int or tv is float or tv is Int64:
                return v == x
            if tv is Decimal128:
                return encode_key(v) == key
            return False

        return eq_num
    if x is None:

        def eq_null(v: Any) -> bool:
            return v is None or v is MISSING

        return eq_null
    if t is bool:

        def eq_bool(v: Any) -> bool:
            return v is x

        return eq_bool
    if t is MinKey or t is MaxKey:

        def eq_minmax(v: Any) -> bool:
            return type(v) is t

        return eq_minmax
    rank = type_rank(x)
    key = encode_key(x)

    def eq_generic(v: Any) -> bool:
        if v is MISSING:
            return False
        try:
            return type_rank(v) == rank and encode_key(v) == key
        except TypeError:
            return False

    return eq_generic


def _cmp_pred(op: str, x: Any) -> Pred:
    rank = type_rank(x)
    if rank == RANK_MINKEY or rank == RANK_MAXKEY:
        # every value (a missing one counts as null) compares against MinKey/MaxKey
        if rank == RANK_MINKEY:
            if op == "$gt":
                return lambda v: type(v) is not MinKey
            if op == "$gte":
                return lambda v: True
            if op == "$lt":
                return lambda v: False
            return lambda v: type(v) is MinKey
        if op == "$lt":
            return lambda v: type(v) is not MaxKey
        if op == "$lte":
            return lambda v: True
        if op == "$gt":
            return lambda v: False
        return lambda v: type(v) is MaxKey
    if rank == RANK_NULL:
        if op in ("$gte", "$lte"):
            return lambda v: v is None or v is MISSING
        return lambda v: False
    key = encode_key(x)
    if rank == RANK_NUMBER:
        xnan = type(x) is float and x != x
        if type(x) is Decimal128:
            xnan = x.to_decimal().is_nan()
        if xnan:
            if op in ("$gte", "$lte"):
                return lambda v: is_numeric(v) and encode_key(v) == key
            return lambda v: False
        if type(x) in _FAST_NUM:
            return _fast_num_cmp(op, x, key)
    if rank == RANK_STRING and type(x) is str:
        return _fast_str_cmp(op, x)
    return _generic_cmp(op, rank, key)


def _fast_num_cmp(op: str, x: Any, key: bytes) -> Pred:
    slow = _generic_cmp(op, RANK_NUMBER, key)
    if op == "$gt":

        def gt(v: Any) -> bool:
            tv = type(v)
            if tv is int or tv is float or tv is Int64:
                return v > x
            return tv is Decimal128 and slow(v)

        return gt
    if op == "$gte":

        def gte(v: Any) -> bool:
            tv = type(v)
            if tv is int or tv is float or tv is Int64:
                return v >= x
            return tv is Decimal128 and slow(v)

        return gte
    if op == "$lt":

        def lt(v: Any) -> bool:
            tv = type(v)
            if tv is int or tv is float or tv is Int64:
                return v < x
            return tv is Decimal128 and slow(v)

        return lt

    def lte(v: Any) -> bool:
        tv = type(v)
        if tv is int or tv is float or tv is Int64:
            return v <= x
        return tv is Decimal128 and slow(v)

    return lte


def _fast_str_cmp(op: str, x: str) -> Pred:
    if op == "$gt":
        return lambda v: type(v) is str and v > x
    if op == "$gte":
        return lambda v: type(v) is str and v >= x
    if op == "$lt":
        return lambda v: type(v) is str and v < x
    return lambda v: type(v) is str and v <= x


def _generic_cmp(op: str, rank: int, key: bytes) -> Pred:
    nan_key = encode_key(float("nan"))

    def cmp(v: Any) -> bool:
        if v is MISSING:
            return False
        try:
            if type_rank(v) != rank:
                return False
            k = encode_key(v)
        except TypeError:
            return False
        if rank == RANK_NUMBER and k == nan_key:
            return False
        if op == "$gt":
            return k > key
        if op == "$gte":
            return k >= key
        if op == "$lt":
            return k < key
        return k <= key

    return cmp


def _in_pred(values: list) -> Pred:
    preds: list[Pred] = []
    fast: set = set()
    has_null = False
    for x in values:
        if type(x) is Regex:
            preds.append(_regex_value_pred(x.pattern, regex_flags_string(x.flags)))
        elif isinstance(x, dict) and is_operator_object(x):
            raise _bad("cannot nest $ under $in")
        elif type(x) is str:
            fast.add(x)
        else:
            if x is None:
                has_null = True
            preds.append(_eq_pred(x))
    if fast and not preds:

        def in_str(v: Any) -> bool:
            return type(v) is str and v in fast

        return in_str
    if fast:
        preds.append(lambda v: type(v) is str and v in fast)
    _ = has_null

    def in_any(v: Any) -> bool:
        for p in preds:
            if p(v):
                return True
        return False

    return in_any


def _type_pred(arg: Any) -> Pred:
    wanted = arg if isinstance(arg, list) else [arg]
    if isinstance(arg, list) and not arg:
        raise _bad("$type must match at least one type")
    codes: set[int] = set()
    number = False
    for w in wanted:
        if isinstance(w, str):
            if w == "number":
                number = True
                continue
            if w not in TYPE_ALIASES:
                raise _bad(f"Unknown type name alias: {w}")
            codes.add(TYPE_ALIASES[w])
        elif is_numeric(w) and not isinstance(w, bool):
            if not is_integral(w):
                raise _bad(f"Invalid numerical type code: {w}")
            code = int(w.to_decimal()) if type(w) is Decimal128 else int(w)
            if code not in TYPE_ALIASES.values() and code != 255:
                raise _bad(f"Invalid numerical type code: {code}")
            codes.add(-1 if code == 255 else code)
        else:
            raise _bad(f"type must be represented as a number or a string, not {type(w)}")

    def type_pred(v: Any) -> bool:
        if v is MISSING:
            return False
        t = bson_type(v)
        if t in codes:
            return True
        return number and t in (1, 16, 18, 19)

    return type_pred


def _regex_value_pred(pattern: str, options: str) -> Pred:
    rx = compile_regex(pattern, options)
    search = rx.search

    def regex_pred(v: Any) -> bool:
        if type(v) is str:
            return search(v) is not None
        if type(v) is Regex:
            return v.pattern == pattern and regex_flags_string(v.flags) == "".join(sorted(options))
        return False

    return regex_pred


def _size_pred(arg: Any) -> Pred:
    if not is_numeric(arg) or isinstance(arg, bool):
        raise _bad("$size needs a number")
    if not is_integral(arg):
        raise _bad("$size must be a whole number")
    n = int(arg.to_decimal()) if type(arg) is Decimal128 else int(arg)
    if n < 0:
        raise _bad("$size may not be negative")

    def size_pred(v: Any) -> bool:
        return type(v) is list and len(v) == n

    return size_pred


def _mod_pred(arg: Any) -> Pred:
    if not isinstance(arg, list):
        raise _bad("malformed mod, needs to be an array")
    if len(arg) < 2:
        raise _bad("malformed mod, not enough elements")
    if len(arg) > 2:
        raise _bad("malformed mod, too many elements")
    d, r = arg
    if not is_numeric(d) or isinstance(d, bool):
        raise _bad("malformed mod, divisor not a number")
    if not is_numeric(r) or isinstance(r, bool):
        raise _bad("malformed mod, remainder not a number")
    div = _trunc(d)
    rem = _trunc(r)
    if div is None or rem is None:
        raise _bad("malformed mod, divisor value is invalid :: caused by :: Out of bounds")
    if div == 0:
        raise _bad("divisor cannot be 0")

    def mod_pred(v: Any) -> bool:
        if not is_numeric(v) or isinstance(v, bool):
            return False
        n = _trunc(v)
        if n is None:
            return False
        m = abs(n) % abs(div)
        if n < 0:
            m = -m
        return m == rem

    return mod_pred


def _trunc(v: Any) -> int | None:
    try:
        if type(v) is Decimal128:
            d = v.to_decimal()
            if not d.is_finite():
                return None
            n = int(d)
        elif isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                return None
            n = int(v)
        else:
            n = int(v)
    except (ValueError, OverflowError):
        return None
    if n < INT64_MIN or n > INT64_MAX:
        return None
    return n


def _bits_pred(op: str, arg: Any) -> Pred:
    mask = 0
    if isinstance(arg, list):
        for pos in arg:
            if not is_numeric(pos) or isinstance(pos, bool) or not is_integral(pos):
                raise _bad(f"bit positions must be an integer but got: {pos}")
            p = int(pos)
            if p < 0:
                raise _bad(f"bit positions must be >= 0 but got: {pos}")
            mask |= 1 << p
    elif isinstance(arg, bytes | Binary):
        mask = int.from_bytes(bytes(arg), "little")
    elif is_numeric(arg) and not isinstance(arg, bool):
        if not is_integral(arg):
            raise _bad(f"{op} takes an Array, a number, or a BinData but received: {arg}")
        n = int(arg)
        if n < 0:
            raise _bad(f"{op} takes an Array, a number, or a BinData but received: {arg}")
        mask = n
    else:
        raise _bad(f"{op} takes an Array, a number, or a BinData but received: {arg}")

    def value_bits(v: Any) -> int | None:
        if isinstance(v, bytes | Binary):
            return int.from_bytes(bytes(v), "little")
        if not is_numeric(v) or isinstance(v, bool) or not is_integral(v):
            return None
        n = int(v.to_decimal()) if type(v) is Decimal128 else int(v)
        if n < INT64_MIN or n > INT64_MAX:
            return None
        return n & ((1 << 64) - 1) if n >= 0 else n + (1 << 64) | (~((1 << 64) - 1))

    if op == "$bitsAllSet":
        return lambda v: (b := value_bits(v)) is not None and (b & mask) == mask
    if op == "$bitsAnySet":
        return lambda v: (b := value_bits(v)) is not None and (b & mask) != 0
    if op == "$bitsAllClear":
        return lambda v: (b := value_bits(v)) is not None and (b & mask) == 0
    return lambda v: (b := value_bits(v)) is not None and (b & mask) != mask
