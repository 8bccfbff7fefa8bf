"""goyaml.v2's resolution of plain scalars (resolve.go: YAML 1.1 booleans such as
`y`/`on`, ints in every base, floats, timestamps) and its map key order
(sorter.go)."""

from __future__ import annotations

import math

from polystack.helm.golang.strconv import format_float_g

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from typing import Any

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
MERGE = "tag:yaml.org,2002:merge"
BINARY = "tag:yaml.org,2002:binary"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"


# the patterns of plain scalars, compiled on first use (most values files hold few
# numbers other than plain decimal integers and decimal floats, which need none of
# them: re is not imported by a process that meets no other)
_PATTERNS: dict[str, tuple[str, int]] = {
    "int": (r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)", 0),
    "yaml_float": (r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", 0),
    "base60": (r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?", 0),
    "go_float": (
        r"(?i)[+-]?(?:(?:[0-9](?:_?[0-9])*)?\.?[0-9]*(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)",
        0,
    ),
    "timestamp": (
        r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
        r"(?:(?:[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2}))"
        r"|(?: [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]{1,9})?))?",
        0,
    ),
}


_COMPILED: dict[str, re.Pattern[str]] = {}


def _pattern(name: str) -> re.Pattern[str]:
    p = _COMPILED.get(name)
    if p is None:
        import re

        src, flags = _PATTERNS[name]
        p = _COMPILED[name] = re.compile(src, flags)
    return p


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def is_yaml_float(s: str) -> bool:
    """``[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?`` (_PATTERNS' yaml_float),
    matched by hand: the commonest non-integer plain scalar needs no pattern."""
    n = len(s)
    i = 1 if n and s[0] in "+-" else 0
    j = i
    while j < n and _is_digit(s[j]):
        j += 1
    if j < n and s[j] == ".":
        k = j + 1
        while k < n and _is_digit(s[k]):
            k += 1
        if j == i and k == j + 1:
            return False  # a dot without digits
        j = k
    elif j == i:
        return False
    if j < n and s[j] in "eE":
        k = j + 1
        if k < n and s[k] in "+-":
            k += 1
        m = k
        while m < n and _is_digit(s[m]):
            m += 1
        if m == k:
            return False
        j = m
    return j == n


def _parse_go_int(s: str) -> int | None:
    """strconv.ParseInt/ParseUint(s, 0, 64) value, or None (range ignored)."""
    digits = s[1:] if s[:1] in ("+", "-") else s
    if digits.isascii() and digits.isdigit() and (digits[0] != "0" or digits == "0"):
        return -int(digits) if s[0] == "-" else int(digits)  # [+-]?(0|[1-9][0-9]*)
    if "." in s:
        return None  # no form of "int" has a dot (a chart's `version: 1.2.3`)
    m = _pattern("int").fullmatch(s)
    if not m:
        return None
    sign, body = m.groups()
    low = body.lower()
    if low.startswith("0x"):
        v = int(body[2:], 16)
    elif low.startswith("0o"):
        v = int(body[2:], 8)
    elif low.startswith("0b"):
        v = int(body[2:], 2)
    elif len(body) > 1 and body[0] == "0":
        v = int(body[1:], 8)
    else:
        v = int(body)
    return -v if sign == "-" else v


_RESOLVE_MAP: dict[str, tuple[str, Any]] = {}
for _vals, _tag, _v in (
    (("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), BOOL, True),
    (("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), BOOL, False),
    (("", "~", "null", "Null", "NULL"), NULL, None),
    ((".nan", ".NaN", ".NAN"), FLOAT, math.nan),
    ((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), FLOAT, math.inf),
    (("-.inf", "-.Inf", "-.INF"), FLOAT, -math.inf),
    (("<<",), MERGE, "<<"),
):
    for _s in _vals:
        _RESOLVE_MAP[_s] = (_tag, _v)

I64_MIN, U64_MAX = -(2**63), 2**64 - 1


def _has_digit_inf_nan(s: str) -> bool:
    """``[0-9]|inf|nan`` found anywhere, case-insensitively."""
    low = s.lower()
    return any(_is_digit(c) for c in s) or "inf" in low or "nan" in low


def _go_parse_float(s: str) -> float | None:
    t = s.replace("_", "") if "_" in s else s
    try:
        # [+-]?0[xX].* (a "." stops at a newline)
        hex_prefix = t[1:3] if t[:1] in ("+", "-") else t[:2]
        if hex_prefix in ("0x", "0X") and "\n" not in t:
            return float.fromhex(t)
        if not _pattern("go_float").fullmatch(s) or not _has_digit_inf_nan(s):
            return None
        v = float(t)
    except (ValueError, OverflowError):
        return None
    return v


def resolve(s: str) -> tuple[str, Any]:
    """goyaml.v2 resolve("", s) for a plain scalar: (tag, value)."""
    item = _RESOLVE_MAP.get(s)
    if item is not None:
        return item
    c = s[0] if s else ""
    if c == ".":
        f = _go_parse_float(s)
        if f is not None:
            return FLOAT, f
    elif c in "+-0123456789" and c:
        if c.isdigit() and len(s) >= 8 and s[4:5] == "-" and _pattern("timestamp").fullmatch(s):
            return TIMESTAMP, s
        plain = s.replace("_", "")
        iv = _parse_go_int(plain)
        if iv is not None and I64_MIN <= iv <= U64_MAX:
            return INT, iv
        # ("yaml_float" has one dot at most: `version: 1.2.3` needs no pattern)
        if plain.count(".") < 2 and is_yaml_float(plain):
            f = float(plain)
            if not math.isinf(f):  # ParseFloat's range error: not a float, so a string
                return FLOAT, f
        if iv is not None:  # out of 64-bit range: big.Int
            return INT, iv
    return STR, s


def needs_quotes(s: str) -> bool:
    """goyaml.v2 stringv: whether a string cannot be emitted plain."""
    if s == "<<":  # the merge key is emitted plain by sigs.k8s.io/yaml
        return False
    return resolve(s)[0] != STR or bool(
        s and s[0] in "+-0123456789" and ":" in s and _pattern("base60").fullmatch(s)
    )


# ---------------------------------------------------------------- keys


def _key_less(a: str, b: str, v3: bool = False) -> bool:
    """goyaml keyList.Less for two string keys (natural number order).  goyaml.v3 (``v3``)
    also puts a letter before a digit when the equal rune before them was a digit."""
    n = min(len(a), len(b))
    digits = False  # whether the last equal rune was a digit (go-yaml >= 2.4's rule)
    for i in range(n):
        ca, cb = a[i], b[i]
        if ca == cb:
            digits = v3 and ca.isdigit()
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            # v3: after a digit, a letter sorts before a digit ("0E" < "00")
            return al if digits else bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + (ord(a[ai]) - 48)
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + (ord(b[bi]) - 48)
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


class _Key:
    __slots__ = ("s",)

    def __init__(self, s: str) -> None:
        self.s = s

    def __lt__(self, other: _Key) -> bool:
        return _key_less(self.s, other.s)


class _KeyV3(_Key):
    __slots__ = ()

    def __lt__(self, other: _Key) -> bool:
        return _key_less(self.s, other.s, v3=True)


def _plain_sortable(keys: list[str]) -> bool:
    for k in keys:
        if not k.isascii() or not k.isalpha():
            return False
    return True


def sorted_keys(keys: list[str], v3: bool = False) -> list[str]:
    if _plain_sortable(keys):
        return sorted(keys)
    return sorted(keys, key=_KeyV3 if v3 else _Key)


def number_text(j: str) -> str:
    """A JSON number re-read by goyaml.v2 and written back."""
    tag, val = resolve(j)
    if tag == FLOAT:
        s = format_float_g(val)
        return {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(s, s)
    if tag == INT:
        return str(val)
    return j
