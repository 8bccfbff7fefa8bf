"""Reading numbers out of command arguments as Redis's object.c does
(``getLongLongFromObjectOrReply``, ``getIntFromObjectOrReply`` ...), with its error texts."""

from __future__ import annotations

from polystack.redis.errors import NOT_INTEGER, err

LLONG_MAX = (1 << 63) - 1
LLONG_MIN = -(1 << 63)
INT_MAX = (1 << 31) - 1
INT_MIN = -(1 << 31)
_INT32_RANGE = err("value is out of range, value must between -2147483648 and 2147483647")


def parse_int(b: bytes, message: str | None = None) -> int:
    """Redis's string2ll: optional '-', digits, no spaces/plus/leading zeros, 64-bit range
    (exactly the canonical decimal forms of 64-bit integers).  Raises "value is not an
    integer or out of range", or ``message`` when given."""
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
