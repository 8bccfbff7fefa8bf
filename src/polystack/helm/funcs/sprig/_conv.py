"""Go conversions Sprig relies on: spf13/cast, strconv, fmt %v and Go int64 math.

Every helper here follows the Go value model of polystack.helm.golang.types.
"""

from __future__ import annotations

import math

from polystack.helm.golang import fmt as gofmt
from polystack.helm.golang.types import GoStruct, Int64, StringList, StringMap, Uint8
from polystack.helm.golang.types import deep_copy as types_deep_copy

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from typing import Any

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


class IntList(list):
    """A Go ``[]int`` (what ``until``/``untilStep`` return)."""

    __slots__ = ()
    go_type_name = "[]int"
    go_underlying = "[]int"
    go_kind = "slice"


class GoError(Exception):
    """A Go ``error`` value whose text is the message (fail, must* ...)."""


def wrap64(n: int) -> int:
    """Two's-complement wrap of an integer to int64 (Go overflow)."""
    n &= 0xFFFFFFFFFFFFFFFF
    return n - (1 << 64) if n & (1 << 63) else n


def float_to_int64(f: float) -> int:
    """Go's int64(f) on amd64: truncation; NaN and out-of-range give MinInt64."""
    if math.isnan(f) or math.isinf(f):
        return INT64_MIN
    t = int(f)
    if t < INT64_MIN or t > INT64_MAX:
        return INT64_MIN
    return t


def _underscore_ok(s: str) -> bool:
    saw = "^"
    i = 0
    if s[:1] in ("+", "-"):
        s = s[1:]
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i = 2
        saw = "0"
        hexa = s[1].lower() == "x"
    while i < len(s):
        c = s[i]
        if "0" <= c <= "9" or (hexa and "a" <= c.lower() <= "f"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
        i += 1
    return saw != "_"


def parse_int(s: str, base: int = 0, bits: int = 64) -> int:
    """strconv.ParseInt; raises ValueError with Go's message on failure."""
    orig = s
    err = f'strconv.ParseInt: parsing "{orig}": invalid syntax'
    if not s:
        raise ValueError(err)
    neg = False
    if s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if not s:
        raise ValueError(err)
    b = base
    body = s
    if base == 0:
        b = 10
        if s[0] == "0":
            if len(s) >= 3 and s[1].lower() == "b":
                b, body = 2, s[2:]
            elif len(s) >= 3 and s[1].lower() == "o":
                b, body = 8, s[2:]
            elif len(s) >= 3 and s[1].lower() == "x":
                b, body = 16, s[2:]
            else:
                b, body = 8, s[1:] or "0"
        if "_" in s and not _underscore_ok(orig):
            raise ValueError(err)
        body = body.replace("_", "")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"[:b]
    if not body or any(c.lower() not in digits for c in body):
        raise ValueError(err)
    n = int(body, b)
    if neg:
        n = -n
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if n < lo or n > hi:
        raise ValueError(f'strconv.ParseInt: parsing "{orig}": value out of range')
    return n


_FLOAT_PATTERN = (
    r"[+-]?(?:(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?"
    r"|0[xX](?:[\da-fA-F_]+\.?[\da-fA-F_]*|\.[\da-fA-F_]+)[pP][+-]?\d+"
    r"|inf|infinity|nan)"
)
_FLOAT_RE: re.Pattern[str] | None = None  # compiled at its first use, not at start-up


def _float_re() -> re.Pattern[str]:
    global _FLOAT_RE
    if _FLOAT_RE is None:
        import re  # (not imported by a render that parses no float)

        _FLOAT_RE = re.compile(_FLOAT_PATTERN, re.IGNORECASE | re.ASCII)
    return _FLOAT_RE


def parse_float(s: str) -> float:
    """strconv.ParseFloat(s, 64); raises ValueError (Go text) on failure."""
    if not _float_re().fullmatch(s):
        raise ValueError(f'strconv.ParseFloat: parsing "{s}": invalid syntax')
    low = s.lower().lstrip("+-")
    if low.startswith("0x"):
        body = s.replace("_", "")
        try:
            return float.fromhex(body)
        except (ValueError, OverflowError):
            raise ValueError(f'strconv.ParseFloat: parsing "{s}": value out of range') from None
    if "_" in s:
        # underscores must separate digits, as in Go number literals
        if not _underscore_ok(s):
            raise ValueError(f'strconv.ParseFloat: parsing "{s}": invalid syntax')
        s = s.replace("_", "")
    f = float(s)
    if math.isinf(f) and "inf" not in low:
        raise ValueError(f'strconv.ParseFloat: parsing "{s}": value out of range')
    return f


def _trim_zero_decimal(s: str) -> str:
    found_zero = False
    for i in range(len(s), 0, -1):
        c = s[i - 1]
        if c == ".":
            if found_zero:
                return s[: i - 1]
        elif c == "0":
            found_zero = True
        else:
            return s
    return s


def to_int64(v: Any) -> int:
    """cast.ToInt64 (errors give 0)."""
    if v is None or v is False:
        return 0
    if v is True:
        return 1
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float_to_int64(v)
    if isinstance(v, str):
        try:
            return parse_int(_trim_zero_decimal(v), 0, 64)
        except ValueError:
            return 0
    return 0


def to_int(v: Any) -> int:
    """cast.ToInt (64-bit Go int)."""
    return to_int64(v)


def to_float64(v: Any) -> float:
    """cast.ToFloat64 (errors give 0)."""
    if v is None or v is False:
        return 0.0
    if v is True:
        return 1.0
    if isinstance(v, float):
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, str):
        try:
            return parse_float(v)
        except ValueError:
            return 0.0
    return 0.0


def sprint_v(v: Any) -> str:
    """fmt.Sprintf("%v", v)."""

    return gofmt.format_value(v)


def strval(v: Any) -> str:
    """Sprig's strval: string, []byte, error, fmt.Stringer, else %v."""
    if isinstance(v, str):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8", errors="replace")
    if isinstance(v, BaseException):
        return str(v)
    s = getattr(v, "String", None)
    if (
        s is not None
        and callable(s)
        and not isinstance(v, type)
        and "String" not in getattr(v, "go_pointer_methods", ())
    ):
        return s()
    return sprint_v(v)


def is_slice(v: Any) -> bool:
    """reflect Kind is Slice or Array."""
    return isinstance(v, (list, tuple, bytes, bytearray))


def slice_items(v: Any) -> list[Any]:
    """Elements of a Go slice as interface{} values (bytes give ints: uint8)."""
    if isinstance(v, (bytes, bytearray)):
        return [Uint8(b) for b in v]
    return list(v)


def kind_name(v: Any) -> str:
    from polystack.helm.golang.types import kind_of

    return kind_of(v)


def deep_equal(a: Any, b: Any, seen: set[tuple[int, int]] | None = None) -> bool:
    """reflect.DeepEqual on Go values (types must match exactly). As Go's, it
    takes identical maps and slices as equal and compares a pair of them once
    (linear in shared structure, ends on cycles)."""
    if a is b and isinstance(a, (dict, list, tuple)):
        return True
    if a is None or b is None:
        return a is None and b is None
    from polystack.helm.golang.types import type_of

    if type_of(a) != type_of(b):
        return False
    if isinstance(a, (dict, list, tuple)):
        if len(a) != len(b):
            return False
        if seen is None:
            seen = set()
        pair = (id(a), id(b))
        if pair in seen:
            return True
        seen.add(pair)
        if isinstance(a, dict):
            return all(k in b and deep_equal(a[k], b[k], seen) for k in a)
        return all(deep_equal(x, y, seen) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b  # NaN != NaN as in Go
    if isinstance(a, GoStruct):
        return a == b
    return a == b


def deep_copy(v: Any) -> Any:
    """mitchellh/copystructure's copy of maps and slices (refusing values too big to
    walk, or that contain themselves)."""
    from polystack.helm.golang.runtime import check_walk

    check_walk(v, "copy")
    return types_deep_copy(v)


__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "GoError",
    "Int64",
    "IntList",
    "StringList",
    "StringMap",
    "Uint8",
    "deep_copy",
    "deep_equal",
    "float_to_int64",
    "parse_float",
    "parse_int",
    "sprint_v",
    "strval",
    "to_float64",
    "to_int",
    "to_int64",
    "wrap64",
]
