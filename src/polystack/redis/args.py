"""Reading numbers out of command arguments as Redis's object.c does
(``getLongLongFromObjectOrReply``, ``getIntFromObjectOrReply`` ...), with its error texts."""

from __future__ import annotations

import math
import re

from polystack.redis.errors import NOT_INTEGER, RedisError, err
from polystack.redis.longdouble import ld_round, parse_long_double

LLONG_MAX = (1 << 63) - 1
LLONG_MIN = -(1 << 63)
INT_MAX = (1 << 31) - 1
INT_MIN = -(1 << 31)
_INT32_RANGE = err("value is out of range, value must between -2147483648 and 2147483647")


_SMALL_INTS = {b"%d" % i: i for i in range(-128, 1024)}


def parse_int(b: bytes, message: str | None = None) -> int:
    """Redis's string2ll: optional '-', digits, no spaces/plus/leading zeros, 64-bit range
    (exactly the canonical decimal forms of 64-bit integers).  Raises "value is not an
    integer or out of range", or ``message`` when given."""
    try:
        v = _SMALL_INTS.get(b)  # (the usual ones: ranges, counts, indexes)
    except TypeError:  # a bytearray
        v = None
    if v is not None:
        return v
    if len(b) <= 20:
        try:
            v = int(b)
        except ValueError:
            pass
        else:
            if b"%d" % v == b and LLONG_MIN <= v <= LLONG_MAX:
                return v
    raise NOT_INTEGER if message is None else err(message)


def parse_int32(b: bytes) -> int:
    """getIntFromObjectOrReply."""
    v = parse_int(b)
    if not INT_MIN <= v <= INT_MAX:
        raise _INT32_RANGE
    return v


def parse_range(b: bytes, lo: int, hi: int, message: str | None = None) -> int:
    """getRangeLongFromObjectOrReply: an integer within [lo, hi].  With ``message``, that text
    is the error for a non-integer too; else "value is not an integer or out of range" and
    "value is out of range, value must between <lo> and <hi>"."""
    v = parse_int(b, message)
    if not lo <= v <= hi:
        raise err(message or f"value is out of range, value must between {lo} and {hi}")
    return v


def parse_positive(b: bytes, message: str | None = None) -> int:
    """getPositiveLongFromObjectOrReply (0 included)."""
    return parse_range(b, 0, LLONG_MAX, message or "value is out of range, must be positive")


# -- doubles (C's strtod, as glibc reads them) ---------------------------------------------
_SPACE = b" \t\n\x0b\x0c\r"
_DEC_RE = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX_RE = re.compile(
    rb"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
)
_INF_RE = re.compile(rb"[+-]?(?:infinity|inf)", re.IGNORECASE)
_NAN_RE = re.compile(rb"[+-]?nan(?:\([0-9A-Za-z_]*\))?", re.IGNORECASE)
_NONZERO_DIGIT = re.compile(rb"[1-9a-fA-F]")


def strtod(s: bytes) -> tuple[float, int, bool]:
    """glibc's strtod on the C string ``s`` (which must not contain NUL): (value, bytes
    consumed, ERANGE).  Nothing parsed gives (0.0, 0, False)."""
    i = 0
    n = len(s)
    while i < n and s[i] in _SPACE:
        i += 1
    for regex in (_HEX_RE, _DEC_RE):
        m = regex.match(s, i)
        if m is not None:
            text = m.group()
            mant = text.split(b"p")[0].split(b"P")[0] if regex is _HEX_RE else text
            if regex is _HEX_RE:
                value = float.fromhex(text.decode())
                mant = mant[mant.lower().index(b"x") + 1 :]
            else:
                value = float(text)
                mant = mant.split(b"e")[0].split(b"E")[0]
            erange = (value == 0 and _NONZERO_DIGIT.search(mant) is not None) or (
                value in (_INF, -_INF)
            )
            return value, m.end(), erange
    m = _INF_RE.match(s, i)
    if m is not None:
        return (-_INF if m.group()[:1] == b"-" else _INF), m.end(), False
    m = _NAN_RE.match(s, i)
    if m is not None:
        return _NAN, m.end(), False
    return 0.0, 0, False


_INF = float("inf")
_NAN = float("nan")


def string2d(b: bytes) -> float | None:
    """util.c's string2d (getDoubleFromObject): the whole string is one double, no leading
    space, no overflow or underflow to zero, not NaN."""
    if not b or b[0] in _SPACE or 0 in b:
        return None
    value, used, erange = strtod(b)
    if used != len(b) or value != value:
        return None
    if erange and (value in (_INF, -_INF) or value == 0):
        return None
    return value


_PLAIN = b"0123456789.+-"
_SMALL_FLOATS = {b"%d" % i: float(i) for i in range(-128, 1024)}
# parse_int's table lookup alone (the argument's int, or None when not a usual small one)
small_int = _SMALL_INTS.get
# parse_double's table lookup alone (the argument's float, or None when not a small integer)
small_float = _SMALL_FLOATS.get


def parse_double(b: bytes, message: str = "value is not a valid float") -> float:
    """getDoubleFromObjectOrReply."""
    try:
        v = _SMALL_FLOATS.get(b)  # (one float object for each small integral score)
    except TypeError:  # a bytearray
        v = None
    if v is not None:
        return v
    if 0 < len(b) <= 30 and not b.translate(None, _PLAIN):
        # Plain decimal (no exponent, so no overflow or underflow): Python's float() rounds
        # exactly as glibc's strtod does; a malformed one falls through to the full reading.
        try:
            return float(b)
        except ValueError:
            pass
    v = string2d(b)
    if v is None:
        raise err(message)
    return v


def strtod_whole(b: bytes) -> float | None:
    """``strtod(s, &eptr)`` with ``*eptr == '\\0'`` required and NaN refused, on the C string
    (up to the first NUL): zslParseRange's reading of a score bound ("" reads as 0)."""
    nul = b.find(b"\x00")
    if nul >= 0:
        b = b[:nul]
    value, used, _ = strtod(b)
    if used != len(b) or value != value:
        return None
    return value


def parse_timeout_ms(b: bytes) -> int:
    """getTimeoutFromObjectOrReply(UNIT_SECONDS): seconds as a long double, times 1000 in long
    double arithmetic, rounded up to whole milliseconds; 0 means forever.  A value beyond
    long long converts to LLONG_MIN as on x86-64, so it reads as negative."""
    try:
        seconds = parse_long_double(b)
    except RedisError:
        raise err("timeout is not a float or out of range") from None
    if isinstance(seconds, float):  # an infinity
        ms = LLONG_MIN
    else:
        product = ld_round(seconds * 1000)
        if isinstance(product, float):
            ms = LLONG_MIN
        else:
            ms = math.ceil(product)
            if not LLONG_MIN <= ms <= LLONG_MAX:
                ms = LLONG_MIN
    if ms < 0:
        raise err("timeout is negative")
    return ms
