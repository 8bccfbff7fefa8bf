"""BSON type numbers and aliases (``$type``, ``$convert``, ``bsonType``), and value helpers."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from bson.binary import Binary
from bson.code import Code
from bson.datetime_ms import DatetimeMS
from bson.dbref import DBRef
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp

from .keystring import MISSING, Missing

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

TYPE_ALIASES: dict[str, int] = {
    "double": 1,
    "string": 2,
    "object": 3,
    "array": 4,
    "binData": 5,
    "undefined": 6,
    "objectId": 7,
    "bool": 8,
    "date": 9,
    "null": 10,
    "regex": 11,
    "dbPointer": 12,
    "javascript": 13,
    "symbol": 14,
    "javascriptWithScope": 15,
    "int": 16,
    "timestamp": 17,
    "long": 18,
    "decimal": 19,
    "minKey": -1,
    "maxKey": 127,
}
TYPE_NAMES: dict[int, str] = {v: k for k, v in TYPE_ALIASES.items()}
TYPE_NAMES[-1] = "minKey"


def bson_type(v: Any) -> int:
    """The BSON type number a decoded value encodes as."""
    t = type(v)
    if t is float:
        return 1
    if t is str:
        return 2
    if t is dict:
        return 3
    if t is list:
        return 4
    if t is int:
        return 16 if INT32_MIN <= v <= INT32_MAX else 18
    if t is Int64:
        return 18
    if t is bool:
        return 8
    if v is None:
        return 10
    if t is ObjectId:
        return 7
    if t is datetime.datetime or t is DatetimeMS:
        return 9
    if t is bytes or t is Binary:
        return 5
    if t is Decimal128:
        return 19
    if t is Timestamp:
        return 17
    if t is Regex:
        return 11
    if t is Code:
        return 15 if v.scope is not None else 13
    if t is MinKey:
        return -1
    if t is MaxKey:
        return 127
    if t is DBRef:
        return 3
    if t is Missing:
        return 0
    if isinstance(v, bool):
        return 8
    if isinstance(v, int):
        return 16 if INT32_MIN <= v <= INT32_MAX else 18
    if isinstance(v, float):
        return 1
    if isinstance(v, str):
        return 2
    if isinstance(v, dict):
        return 3
    if isinstance(v, list | tuple):
        return 4
    if isinstance(v, datetime.datetime):
        return 9
    return 3


def type_name(v: Any) -> str:
    """MongoDB's name of a value's type (as ``$type`` returns it; ``"missing"`` for no value)."""
    if v is MISSING:
        return "missing"
    return TYPE_NAMES[bson_type(v)]


def is_numeric(v: Any) -> bool:
    t = type(v)
    return t is int or t is float or t is Int64 or t is Decimal128


def to_decimal(v: Any) -> decimal.Decimal:
    t = type(v)
    if t is Decimal128:
        return v.to_decimal()
    if t is float:
        return decimal.Decimal(v)
    return decimal.Decimal(int(v))


def to_double(v: Any) -> float:
    if type(v) is Decimal128:
        return float(v.to_decimal())
    return float(v)


def is_integral(v: Any) -> bool:
    t = type(v)
    if t is int or t is Int64:
        return True
    if t is float:
        return v == v and v not in (float("inf"), float("-inf")) and v == int(v)
    if t is Decimal128:
        d = v.to_decimal()
        return d.is_finite() and d == d.to_integral_value()
    return False


def truthy(v: Any) -> bool:
    """Aggregation truthiness: false, null, missing, undefined and numeric zero are false."""
    if v is None or v is MISSING or v is False:
        return False
    t = type(v)
    if t is int or t is float or t is Int64:
        return v != 0
    if t is Decimal128:
        return not v.to_decimal().is_zero()
    return True


def make_int(n: int) -> Any:
    """An integer result typed as MongoDB types it: int32 when it fits, else int64."""
    if INT32_MIN <= n <= INT32_MAX:
        return n
    return Int64(n)
