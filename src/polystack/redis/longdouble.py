"""x87 80-bit ``long double`` arithmetic, exactly, for INCRBYFLOAT (and HINCRBYFLOAT).

Redis parses with ``strtold``, adds in long double and prints with ``%.17Lf``; doubles
give different digits (10.5 + 0.1 is "10.6" in Redis, "10.59999999999999964" in double).
A finite value is held as an exact :class:`~fractions.Fraction` rounded to a 64-bit
significand within the x87 exponent range (subnormals included); infinities as floats.
"""

from __future__ import annotations

import re
from fractions import Fraction

from polystack.redis.errors import NOT_FLOAT

LD_ZERO = Fraction(0)
_LD_MANT = 64
_LD_MIN_Q = -16382 - 63  # the quantum of subnormals
_LD_OVERFLOW = Fraction(2) ** 16384
_MAX_LONG_DOUBLE_CHARS = 5 * 1024
_DEC_RE = re.compile(rb"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
_HEX_RE = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?")
_INF_RE = re.compile(rb"([+-]?)(?:inf|infinity)", re.IGNORECASE)


def ld_round(v: Fraction) -> Fraction | float:
    """Round an exact value to the nearest long double (ties to even); inf on overflow."""
    if v == 0:
        return LD_ZERO
    neg = v < 0
    a = -v if neg else v
    n, d = a.numerator, a.denominator
    e = n.bit_length() - d.bit_length()
    if (n << -e if e < 0 else n) < (d << e if e > 0 else d):
        e -= 1
    q = max(e - (_LD_MANT - 1), _LD_MIN_Q)
    num, den = (n, d << q) if q >= 0 else (n << -q, d)
    m, rem = divmod(num, den)
    if 2 * rem > den or (2 * rem == den and m & 1):
        m += 1
    r = Fraction(m << q) if q >= 0 else Fraction(m, 1 << -q)
    if r >= _LD_OVERFLOW:
        return float("-inf") if neg else float("inf")
    return -r if neg else r


def parse_long_double(b: bytes) -> Fraction | float:
    """string2ld (strtold): decimal or hex floats and infinities; NaN, spaces, trailing
    bytes, overflow and underflow to zero answer 'value is not a valid float'."""
    if not b or len(b) >= _MAX_LONG_DOUBLE_CHARS:
        raise NOT_FLOAT
    m = _INF_RE.fullmatch(b)
    if m:
        return float("-inf") if m.group(1) == b"-" else float("inf")
    m = _HEX_RE.fullmatch(b)
    if m:
        ip, fp = m.group(2), m.group(3) or b""
        if not ip and not fp:
            raise NOT_FLOAT
        digits = int(ip + fp, 16) if ip + fp else 0
        exp = _clamp_exp(m.group(4)) - 4 * len(fp)
        exact = _scaled(digits, 2, exp, 16500)
    else:
        m = _DEC_RE.fullmatch(b)
        if m is None:
            raise NOT_FLOAT
        ip, fp = m.group(2), m.group(3) or b""
        if not ip and not fp:
            raise NOT_FLOAT
        digits = _parse_big_decimal(ip + fp)
        exp = _clamp_exp(m.group(4)) - len(fp)
        exact = _scaled(digits, 10, exp, 5000)
    if exact is None:
        raise NOT_FLOAT
    neg = m.group(1) == b"-"
    if exact == 0:
        return LD_ZERO
    r = ld_round(exact)
    if r == 0 or isinstance(r, float):  # ERANGE: underflow to zero or overflow
        raise NOT_FLOAT
    return -r if neg else r


def _clamp_exp(text: bytes | None) -> int:
    if not text:
        return 0
    v = int(text)
    return max(-(10**7), min(10**7, v))


def _scaled(digits: int, base: int, exp: int, limit: int) -> Fraction | None:
    """digits * base**exp exactly, or None when it is certainly out of long double range."""
    if digits == 0:
        return Fraction(0)
    size = int(digits.bit_length() * 0.30103) + 1 if base == 10 else digits.bit_length()
    if size + exp > limit:
        return None  # overflow
    if size + exp < -limit:
        return None  # underflow to zero
    return Fraction(digits * base**exp) if exp >= 0 else Fraction(digits, base**-exp)


_CHUNK = 10**1000


def _big_decimal(n: int) -> bytes:
    """b"%d" % n without Python's 4300-digit conversion limit (n >= 0)."""
    if n < _CHUNK:
        return b"%d" % n
    high, low = divmod(n, _CHUNK)
    return _big_decimal(high) + b"%01000d" % low


def _parse_big_decimal(digits: bytes) -> int:
    v = 0
    for i in range(0, len(digits), 1000):
        part = digits[i : i + 1000]
        v = v * 10 ** len(part) + int(part)
    return v


def ld_add(a: Fraction | float, b: Fraction | float) -> Fraction | None:
    """a + b in long double; None when the result is NaN or infinite."""
    if isinstance(a, float) or isinstance(b, float):
        return None
    r = ld_round(a + b)
    return None if isinstance(r, float) else r


def format_long_double(v: Fraction) -> bytes:
    """ld2string(LD_STR_HUMAN): ``%.17Lf`` with trailing zeros (and a bare '.') removed."""
    neg = v < 0
    a = -v if neg else v
    scaled = a * 10**17
    n, rem = divmod(scaled.numerator, scaled.denominator)
    if 2 * rem > scaled.denominator or (2 * rem == scaled.denominator and n & 1):
        n += 1
    ipart, fpart = divmod(n, 10**17)
    text = b"%s%s.%017d" % (b"-" if neg else b"", _big_decimal(ipart), fpart)
    text = text.rstrip(b"0").rstrip(b".")
    return b"0" if text == b"-0" else text
