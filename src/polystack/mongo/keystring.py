"""BSON comparison order, and order-preserving byte keys (MongoDB's KeyString idea).

MongoDB compares values of different types by a canonical type rank (MinKey < null < numbers <
strings < objects < arrays < binary < ObjectId < booleans < dates < timestamps < regexes < ...
< MaxKey), numbers by value across int32/int64/double/decimal128, strings by their UTF-8 bytes
(the simple collation), objects element by element (type, then field name, then value).

:func:`encode_key` turns a value into ``bytes`` whose ``<`` is exactly that order, and equal
bytes for equal values (``1``, ``NumberLong(1)``, ``1.0`` and ``NumberDecimal("1.00")`` give the
same key).  Index entries, sorting, ``$group`` keys and ``distinct`` all use these keys, so the
ordering is written once.  Keys are compact (an ObjectId is 13 bytes) and compare with ``memcmp``.

Numbers: the nearest double (order-preserving 8 bytes) followed by the exact difference between
the value and that double, so int64 values beyond 2**53 and decimals keep their exact order.
"""

from __future__ import annotations

import datetime
import decimal
import struct
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

# canonical type ranks (MongoDB's canonicalizeBSONType)
RANK_MINKEY = -1
RANK_UNDEFINED = 0
RANK_NULL = 5
RANK_NUMBER = 10
RANK_STRING = 15
RANK_OBJECT = 20
RANK_ARRAY = 25
RANK_BINARY = 30
RANK_OBJECTID = 35
RANK_BOOL = 40
RANK_DATE = 45
RANK_TIMESTAMP = 47
RANK_REGEX = 50
RANK_CODE = 60
RANK_CODE_W_SCOPE = 65
RANK_MAXKEY = 127

T_MINKEY = 0x0A
T_NULL = 0x14
T_NUMBER = 0x1F
T_STRING = 0x3C
T_OBJECT = 0x46
T_ARRAY = 0x50
T_BINARY = 0x5A
T_OBJECTID = 0x64
T_BOOL = 0x6E
T_DATE = 0x78
T_TIMESTAMP = 0x82
T_REGEX = 0x8C
T_CODE = 0xA0
T_CODE_W_SCOPE = 0xAA
T_MAXKEY = 0xF0
END = b"\x00"

_EPOCH = datetime.datetime(1970, 1, 1)
_EPOCH_TZ = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_pack_d = struct.Struct(">d").pack
_pack_Q = struct.Struct(">Q").pack
_pack_q = struct.Struct(">q").pack
_pack_I = struct.Struct(">I").pack
_pack_II = struct.Struct(">II").pack
_unpack_Q = struct.Struct(">Q").unpack
_SIGN = 1 << 63
_MASK64 = (1 << 64) - 1
_EXACT = b"\x80"
_NAN_KEY = bytes([T_NUMBER]) + bytes(8) + _EXACT
_DBL_MAX = 1.7976931348623157e308
_CTX = decimal.Context(prec=2000, Emin=-999999, Emax=999999)
TWO53 = 1 << 53


class Missing:
    """The value of a path that does not exist (sorts and indexes as null)."""

    __slots__ = ()
    _instance: Missing | None = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING = Missing()


def datetime_ms(v: datetime.datetime | DatetimeMS) -> int:
    """Milliseconds since the epoch of a BSON date."""
    if isinstance(v, DatetimeMS):
        return int(v)
    if v.tzinfo is not None:
        delta = v - _EPOCH_TZ
    else:
        delta = v - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def type_rank(v: Any) -> int:
    """MongoDB's canonical type rank of a decoded BSON value."""
    t = type(v)
    r = _RANKS.get(t)
    if r is not None:
        return r
    if isinstance(v, bool):
        return RANK_BOOL
    if isinstance(v, int | float | Decimal128):
        return RANK_NUMBER
    if isinstance(v, str):
        return RANK_STRING
    if isinstance(v, dict):
        return RANK_OBJECT
    if isinstance(v, list | tuple):
        return RANK_ARRAY
    if isinstance(v, datetime.datetime):
        return RANK_DATE
    if isinstance(v, bytes | Binary):
        return RANK_BINARY
    if isinstance(v, Code):
        return RANK_CODE_W_SCOPE if v.scope is not None else RANK_CODE
    if isinstance(v, DBRef):
        return RANK_OBJECT
    if v is MISSING:
        return RANK_NULL
    import uuid

    if isinstance(v, uuid.UUID):
        return RANK_BINARY
    raise TypeError(f"not a BSON value: {t.__name__}")


_RANKS: dict[type, int] = {
    float: RANK_NUMBER,
    int: RANK_NUMBER,
    Int64: RANK_NUMBER,
    Decimal128: RANK_NUMBER,
    bool: RANK_BOOL,
    str: RANK_STRING,
    dict: RANK_OBJECT,
    list: RANK_ARRAY,
    bytes: RANK_BINARY,
    Binary: RANK_BINARY,
    ObjectId: RANK_OBJECTID,
    datetime.datetime: RANK_DATE,
    DatetimeMS: RANK_DATE,
    type(None): RANK_NULL,
    Timestamp: RANK_TIMESTAMP,
    Regex: RANK_REGEX,
    MinKey: RANK_MINKEY,
    MaxKey: RANK_MAXKEY,
    Missing: RANK_NULL,
}


def is_number(v: Any) -> bool:
    t = type(v)
    return t is int or t is float or t is Int64 or t is Decimal128


# ---------------------------------------------------------------------------------------------
# numbers


def _ordered_double(d: float) -> bytes:
    (bits,) = _unpack_Q(_pack_d(d))
    if bits & _SIGN:
        bits = ~bits & _MASK64
    else:
        bits |= _SIGN
    return _pack_Q(bits)


def _encode_magnitude(d: decimal.Decimal) -> bytes:
    """Order-preserving bytes of a positive decimal: adjusted exponent, digits, terminator."""
    sign, digits, exp = d.as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    adjusted = len(digits) + int(exp) - 1
    return struct.pack(">I", adjusted + (1 << 31)) + ds.encode() + b"\x00"


def _tiebreak(diff: decimal.Decimal | int) -> bytes:
    if not diff:
        return _EXACT
    dec = decimal.Decimal(diff)
    if dec > 0:
        return b"\x81" + _encode_magnitude(dec)
    mag = _encode_magnitude(-dec)
    return b"\x7f" + bytes(255 - b for b in mag)


def number_key(v: Any) -> bytes:
    t = type(v)
    if t is float:
        if v != v:
            return _NAN_KEY
        if v == 0.0:
            v = 0.0
        return b"\x1f" + _ordered_double(v) + _EXACT
    if t is int or t is Int64 or t is bool:
        n = int(v)
        if -TWO53 <= n <= TWO53:
            return b"\x1f" + _ordered_double(float(n)) + _EXACT
        d = float(n)
        return b"\x1f" + _ordered_double(d) + _tiebreak(n - int(d))
    if t is Decimal128:
        return decimal_key(v.to_decimal())
    raise TypeError(f"not a number: {t.__name__}")


def decimal_key(dec: decimal.Decimal) -> bytes:
    if dec.is_nan():
        return _NAN_KEY
    if dec.is_infinite():
        return b"\x1f" + _ordered_double(float(dec)) + _EXACT
    if not dec:
        return b"\x1f" + _ordered_double(0.0) + _EXACT
    d = float(dec)
    if d in (float("inf"), float("-inf")):
        d = _DBL_MAX if d > 0 else -_DBL_MAX
    if d == 0.0:
        d = 0.0
    diff = _CTX.subtract(dec, decimal.Decimal(d))
    return b"\x1f" + _ordered_double(d) + _tiebreak(diff)


# ---------------------------------------------------------------------------------------------
# keys


def _escape(b: bytes) -> bytes:
    if b"\x00" in b:
        b = b.replace(b"\x00", b"\x00\xff")
    return b + b"\x00"


def encode_key(v: Any) -> bytes:
    """Order-preserving bytes for one BSON value (tag byte, then the payload)."""
    t = type(v)
    if t is str:
        return b"\x3c" + _escape(v.encode("utf-8", "surrogatepass"))
    if t is int or t is float or t is Int64:
        return number_key(v)
    if t is ObjectId:
        return b"\x64" + v.binary
    enc = _ENCODERS.get(t)
    if enc is not None:
        return enc(v)
    return _encode_slow(v)


def _enc_none(v: Any) -> bytes:
    return b"\x14"


def _enc_bool(v: bool) -> bytes:
    return b"\x6e\x01" if v else b"\x6e\x00"


def _enc_dict(v: dict) -> bytes:
    parts = [b"\x46"]
    for k, x in v.items():
        ek = encode_key(x)
        parts.append(ek[:1])
        parts.append(_escape(k.encode("utf-8", "surrogatepass")))
        parts.append(ek[1:])
    parts.append(END)
    return b"".join(parts)


def _enc_list(v: list) -> bytes:
    parts = [b"\x50"]
    parts.extend(map(encode_key, v))
    parts.append(END)
    return b"".join(parts)


def _enc_binary(v: bytes | Binary) -> bytes:
    sub = v.subtype if isinstance(v, Binary) else 0
    return b"\x5a" + _pack_I(len(v)) + bytes([sub]) + bytes(v)


def _enc_date(v: Any) -> bytes:
    ms = datetime_ms(v)
    return b"\x78" + _pack_Q((ms + (1 << 63)) & _MASK64)


def _enc_timestamp(v: Timestamp) -> bytes:
    return b"\x82" + _pack_II(v.time, v.inc)


def _enc_regex(v: Regex) -> bytes:
    flags = v.flags if isinstance(v.flags, str) else _regex_flags(v.flags)
    return b"\x8c" + _escape(v.pattern.encode()) + _escape(flags.encode())


def _regex_flags(flags: int) -> str:
    import re

    out = ""
    for ch, f in (("i", re.I), ("l", re.L), ("m", re.M), ("s", re.S), ("u", re.U), ("x", re.X)):
        if flags & f:
            out += ch
    return out


def _enc_code(v: Code) -> bytes:
    if v.scope is None:
        return b"\xa0" + _escape(str(v).encode())
    return b"\xaa" + _escape(str(v).encode()) + _enc_dict(dict(v.scope))[1:]


_ENCODERS: dict[type, Any] = {
    type(None): _enc_none,
    Missing: _enc_none,
    bool: _enc_bool,
    dict: _enc_dict,
    list: _enc_list,
    bytes: _enc_binary,
    Binary: _enc_binary,
    datetime.datetime: _enc_date,
    DatetimeMS: _enc_date,
    Timestamp: _enc_timestamp,
    Regex: _enc_regex,
    Decimal128: number_key,
    MinKey: lambda v: b"\x0a",
    MaxKey: lambda v: b"\xf0",
    Code: _enc_code,
}


def _encode_slow(v: Any) -> bytes:
    import uuid

    if isinstance(v, bool):
        return _enc_bool(v)
    if isinstance(v, int | float):
        return number_key(v)
    if isinstance(v, str):
        return encode_key(str(v))
    if isinstance(v, DBRef):
        return _enc_dict(v.as_doc())
    if isinstance(v, dict):
        return _enc_dict(v)
    if isinstance(v, list | tuple):
        return _enc_list(list(v))
    if isinstance(v, datetime.datetime):
        return _enc_date(v)
    if isinstance(v, uuid.UUID):
        return _enc_binary(Binary(v.bytes, 4))
    if isinstance(v, decimal.Decimal):
        return decimal_key(v)
    raise TypeError(f"not a BSON value: {type(v).__name__}")


# ---------------------------------------------------------------------------------------------
# comparison


def compare(a: Any, b: Any) -> int:
    """-1, 0 or 1 in BSON order."""
    ta, tb = type(a), type(b)
    if ta is tb and (ta is str or ta is int or ta is float):
        if ta is float and (a != a or b != b):
            pass
        else:
            return (a > b) - (a < b)
    ka, kb = encode_key(a), encode_key(b)
    return (ka > kb) - (ka < kb)


def values_equal(a: Any, b: Any) -> bool:
    """MongoDB equality (numbers by value across types, NaN equal to NaN)."""
    ta, tb = type(a), type(b)
    if ta is tb and (ta is str or ta is int or ta is ObjectId):
        return a == b
    return encode_key(a) == encode_key(b)


NULL_KEY_BYTES = b"\x14"


UNDEFINED_KEY = b"\x0f"  # an empty array is indexed as undefined, as MongoDB does
_INVERT = bytes(255 - i for i in range(256))


def invert(b: bytes) -> bytes:
    """A key component for a descending field: every byte complemented, so the order reverses."""
    return b.translate(_INVERT)
