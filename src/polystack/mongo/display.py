"""BSON values printed the way mongod prints them in messages (``BSONObj::toString``).

Used in ``E11000 duplicate key error ... dup key: { name: "x" }`` and similar error texts.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from bson.binary import Binary
from bson.code import Code
from bson.datetime_ms import DatetimeMS
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp

from .keystring import MISSING, datetime_ms
from .keystring import _regex_flags as regex_flags


def _string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _double(v: float) -> str:
    if math.isnan(v):
        return "nan.0"
    if math.isinf(v):
        return "inf.0" if v > 0 else "-inf.0"
    if v == int(v) and abs(v) < 1e16:
        return f"{int(v)}.0" if not (v == 0 and math.copysign(1, v) < 0) else "-0.0"
    return repr(v)


def value(v: Any) -> str:
    t = type(v)
    if t is str:
        return _string(v)
    if t is bool:
        return "true" if v else "false"
    if t is int or t is Int64:
        return str(int(v))
    if t is float:
        return _double(v)
    if v is None or v is MISSING:
        return "null"
    if t is ObjectId:
        return f"ObjectId('{v}')"
    if t is dict:
        return document(v)
    if t is list:
        if not v:
            return "[]"
        return "[ " + ", ".join(value(x) for x in v) + " ]"
    if t is Decimal128:
        return f'NumberDecimal("{v}")'
    if t is datetime.datetime or t is DatetimeMS:
        ms = datetime_ms(v)
        if t is datetime.datetime and 0 <= ms <= 253402300799999:
            return f"new Date({ms})"
        return f"new Date({ms})"
    if t is Timestamp:
        return f"Timestamp({v.time}, {v.inc})"
    if t is bytes or t is Binary:
        sub = v.subtype if t is Binary else 0
        return f"BinData({sub}, {bytes(v).hex().upper()})"
    if t is Regex:
        flags = v.flags if isinstance(v.flags, str) else regex_flags(v.flags)
        return f"/{v.pattern}/{flags}"
    if t is MinKey:
        return "MinKey"
    if t is MaxKey:
        return "MaxKey"
    if t is Code:
        return str(v)
    return str(v)


def document(d: dict) -> str:
    if not d:
        return "{}"
    return "{ " + ", ".join(f"{k}: {value(x)}" for k, x in d.items()) + " }"
