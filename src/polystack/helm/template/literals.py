"""Go literal syntax as the template parser reads it: strconv.Unquote for
quoted strings and character constants, and parse.newNumber for numbers."""

from __future__ import annotations

import math

from polystack.helm.golang.strconv import quote
from polystack.helm.template.items import _T_CHAR_CONSTANT, _T_COMPLEX, ItemType
from polystack.helm.template.nodes import NumberNode

__all__ = ["UnquoteError", "go_unquote", "new_number"]


class UnquoteError(Exception):
    """strconv.ErrSyntax."""

    def __str__(self) -> str:
        return "invalid syntax"


_SIMPLE = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}
_HEX = "0123456789abcdefABCDEF"


def _unquote_char(s: str, i: int, q: str) -> tuple[int, bool, int]:
    """strconv.UnquoteChar: (value, is_byte, next index)."""
    c = s[i]
    if c == q and q in "'\"":
        raise UnquoteError
    if c != "\\":
        return ord(c), False, i + 1
    if i + 1 >= len(s):
        raise UnquoteError
    c = s[i + 1]
    i += 2
    if c in _SIMPLE:
        return _SIMPLE[c], False, i
    if c in "xuU":
        n = {"x": 2, "u": 4, "U": 8}[c]
        digits = s[i : i + n]
        if len(digits) < n or any(d not in _HEX for d in digits):
            raise UnquoteError
        v = int(digits, 16)
        if c == "x":
            return v, True, i + n
        if v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
            raise UnquoteError
        return v, False, i + n
    if "0" <= c <= "7":
        digits = s[i - 1 : i + 2]
        if len(digits) < 3 or any(d not in "01234567" for d in digits):
            raise UnquoteError
        v = int(digits, 8)
        if v > 255:
            raise UnquoteError
        return v, True, i + 2
    if c in "'\"":
        if c != q:
            raise UnquoteError
        return ord(c), False, i
    raise UnquoteError


def go_unquote(s: str) -> str:
    """strconv.Unquote for "..." , `...` and '...' literals."""
    if len(s) < 2:
        raise UnquoteError
    q = s[0]
    if q != s[-1]:
        raise UnquoteError
    body = s[1:-1]
    if q == "`":
        if "`" in body:
            raise UnquoteError
        return body.replace("\r", "")
    if q not in "\"'":
        raise UnquoteError
    if "\n" in body:
        raise UnquoteError
    if "\\" not in body and q not in body:
        if q == '"':
            return body
        if len(body) == 1:
            return body
    out = bytearray()
    i = 0
    count = 0
    while i < len(body):
        v, is_byte, i = _unquote_char(body, i, q)
        count += 1
        if is_byte:
            out.append(v)
        else:
            out += chr(v).encode("utf-8", "surrogatepass")
        if q == "'" and count > 1:
            raise UnquoteError
    if q == "'" and count != 1:
        raise UnquoteError
    return out.decode("utf-8", "surrogateescape")


def _go_parse_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64) without the range check (None on syntax error)."""
    s = text
    neg = False
    if s[:1] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if not s:
        return None
    try:
        low = s[:2].lower()
        if low in ("0x", "0o", "0b"):
            v = int(s, 0)
        elif s[0] == "0" and len(s) > 1:
            body = s[1:]
            if body.startswith("_"):
                body = body[1:]
            v = int(body, 8)
        else:
            if s.startswith("_") or s.endswith("_"):
                return None
            v = int(s, 10)
    except ValueError:
        return None
    return -v if neg else v


def _go_parse_float(text: str) -> float | None:
    s = text
    try:
        if "x" in s.lower():
            sign = 1.0
            if s[:1] in "+-":
                sign = -1.0 if s[0] == "-" else 1.0
                s = s[1:]
            if "p" not in s.lower():
                return None
            return sign * float.fromhex(s.replace("_", ""))
        if s.lower().lstrip("+-").startswith(("inf", "nan")):
            return None
        return float(s)
    except (ValueError, OverflowError):
        return None


def new_number(pos: int, text: str, typ: ItemType) -> NumberNode:
    """node.go newNumber: classify a number constant (raises ValueError with Go's text)."""
    n = NumberNode(pos, text)
    if typ == _T_CHAR_CONSTANT:
        try:
            v, _, nxt = _unquote_char(text, 1, text[0])
        except UnquoteError:
            raise ValueError("invalid syntax") from None
        if text[nxt:] != "'":
            raise ValueError(f"malformed character constant: {text}")
        n.int64 = n.uint64 = v
        n.is_int = n.is_uint = n.is_float = True
        n.float64 = float(v)
        return n
    if typ == _T_COMPLEX:
        try:
            n.complex128 = complex(text.replace("_", "").replace("i", "j"))
        except ValueError:
            raise ValueError(f"expected integer; found {text}") from None
        n.is_complex = True
        _simplify_complex(n)
        return n
    if text.endswith("i"):
        f = _go_parse_float(text[:-1])
        if f is not None:
            n.is_complex = True
            n.complex128 = complex(0, f)
            _simplify_complex(n)
            return n
    iv = _go_parse_int(text)
    if iv is not None:
        if 0 <= iv < 1 << 64 and not text.startswith("-"):
            n.is_uint = True
            n.uint64 = iv
        if -(1 << 63) <= iv < 1 << 63:
            n.is_int = True
            n.int64 = iv
            if iv == 0:
                n.is_uint = True
                n.uint64 = 0
    if n.is_int:
        n.is_float = True
        n.float64 = float(n.int64)
    elif n.is_uint:
        n.is_float = True
        n.float64 = float(n.uint64)
    else:
        f = _go_parse_float(text)
        if f is not None and math.isfinite(f):
            if not any(c in text for c in ".eEpP"):
                raise ValueError(f"illegal number syntax: {quote(text)}")
            n.is_float = True
            n.float64 = f
            if f == int(f) and -(1 << 63) <= int(f) < 1 << 63:
                n.is_int = True
                n.int64 = int(f)
            if f == int(f) and 0 <= int(f) < 1 << 64:
                n.is_uint = True
                n.uint64 = int(f)
    if not (n.is_int or n.is_uint or n.is_float):
        raise ValueError(f"illegal number syntax: {quote(text)}")
    return n


def _simplify_complex(n: NumberNode) -> None:
    """node.go simplifyComplex: a complex with zero imaginary part is also a float."""
    n.is_float = n.complex128.imag == 0
    if n.is_float:
        n.float64 = n.complex128.real
        f = n.float64
        n.is_int = math.isfinite(f) and f == int(f) and -(1 << 63) <= int(f) < 1 << 63
        if n.is_int:
            n.int64 = int(f)
        n.is_uint = math.isfinite(f) and f == int(f) and 0 <= int(f) < 1 << 64
        if n.is_uint:
            n.uint64 = int(f)
