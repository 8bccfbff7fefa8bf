"""Go's encoding/json for template values: Marshal, MarshalIndent, Encoder
(SetEscapeHTML(false)) and Unmarshal into interface{} with Go's error texts.

CHART's Helm toJson/fromJson can reuse `marshal` and `unmarshal` too.
GoStruct values are encoded from ``go_json()`` when they define it (a
MarshalJSON/json-tags stand-in), else from their ``go_fields``.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from polystack.helm.template.gotypes import GoStruct

from ._conv import GoError, sprint_v

__all__ = ["marshal", "unmarshal", "format_float", "JSONError"]


class JSONError(GoError):
    """An encoding/json error; str() is Go's text."""


def format_float(f: float, bits: int = 64) -> str:
    """encoding/json float formatting (strconv 'f' -1, or 'e' -1 outside [1e-6, 1e21))."""
    if math.isnan(f) or math.isinf(f):
        raise JSONError(f"json: unsupported value: {sprint_v(f)}")
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    a = abs(f)
    r = repr(f)
    mant, _, exp = r.partition("e")
    neg = mant.startswith("-")
    mant = mant.lstrip("-")
    ip, _, fp = mant.partition(".")
    if fp == "0":
        fp = ""
    digits = (ip + fp).lstrip("0")
    # decimal exponent: value = 0.digits * 10**point
    point = len(ip) + (int(exp) if exp else 0)
    if ip == "0":
        lead = len(fp) - len(fp.lstrip("0"))
        point = -lead + (int(exp) if exp else 0)
    digits = digits.rstrip("0") or "0"
    sign = "-" if neg else ""
    if a < 1e-6 or a >= 1e21:
        e = point - 1
        m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        es = f"{abs(e):02d}"
        if es.startswith("0") and len(es) == 2 and e < 0:
            es = es[1:]
        return f"{sign}{m}e{'-' if e < 0 else '+'}{es}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


_HEX = "0123456789abcdef"


def _quote(s: str, escape_html: bool) -> str:
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif o < 0x20:
            if c == "\n":
                out.append("\\n")
            elif c == "\r":
                out.append("\\r")
            elif c == "\t":
                out.append("\\t")
            elif c == "\b":
                out.append("\\b")
            elif c == "\f":
                out.append("\\f")
            else:
                out.append("\\u00" + _HEX[o >> 4] + _HEX[o & 15])
        elif escape_html and c in "<>&":
            out.append("\\u00" + _HEX[o >> 4] + _HEX[o & 15])
        elif c in "\u2028\u2029":
            out.append("\\u202" + _HEX[o & 15])
        elif 0xD800 <= o <= 0xDFFF:
            out.append("\\ufffd")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _enc(v: Any, esc: bool, indent: str | None, level: int, out: list[str]) -> None:
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, str):
        out.append(_quote(v, esc))
    elif isinstance(v, float):
        out.append(format_float(v))
    elif isinstance(v, int):
        out.append(str(int(v)))
    elif isinstance(v, bytes | bytearray):
        out.append('"' + base64.b64encode(bytes(v)).decode() + '"')
    elif isinstance(v, dict):
        if not v:
            out.append("{}")
            return
        keys = sorted(v, key=lambda k: str(k).encode("utf-8", "surrogatepass"))
        out.append("{")
        for i, k in enumerate(keys):
            if i:
                out.append(",")
            if indent is not None:
                out.append("\n" + indent * (level + 1))
            out.append(_quote(str(k), esc))
            out.append(": " if indent is not None else ":")
            _enc(v[k], esc, indent, level + 1, out)
        if indent is not None:
            out.append("\n" + indent * level)
        out.append("}")
    elif isinstance(v, list | tuple):
        if not v:
            out.append("[]")
            return
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            if indent is not None:
                out.append("\n" + indent * (level + 1))
            _enc(x, esc, indent, level + 1, out)
        if indent is not None:
            out.append("\n" + indent * level)
        out.append("]")
    elif hasattr(v, "go_json"):
        _enc(v.go_json(), esc, indent, level, out)
    elif isinstance(v, GoStruct):
        fields = {f: getattr(v, f, None) for f in type(v).go_fields}
        if not fields:
            out.append("{}")
            return
        # struct fields keep declaration order
        out.append("{")
        for i, (k, x) in enumerate(fields.items()):
            if i:
                out.append(",")
            if indent is not None:
                out.append("\n" + indent * (level + 1))
            out.append(_quote(k, esc))
            out.append(": " if indent is not None else ":")
            _enc(x, esc, indent, level + 1, out)
        if indent is not None:
            out.append("\n" + indent * level)
        out.append("}")
    elif callable(v):
        from polystack.helm.template.gotypes import type_of

        raise JSONError(f"json: unsupported type: {type_of(v)}")
    else:
        out.append(_quote(sprint_v(v), esc))


def marshal(v: Any, *, escape_html: bool = True, indent: str | None = None) -> str:
    """json.Marshal / json.MarshalIndent(v, "", indent); raises JSONError."""
    out: list[str] = []
    _enc(v, escape_html, indent, 0, out)
    return "".join(out)


# ---------------------------------------------------------------------------
# Unmarshal into interface{} (numbers become float64), with Go's errors.
# ---------------------------------------------------------------------------


def _quote_char(c: str) -> str:
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    from polystack.helm.template import gofmt

    q = gofmt.sprintf("%q", c)
    return "'" + q[1:-1] + "'"


class _Parser:
    __slots__ = ("s", "i", "n")

    def __init__(self, s: str) -> None:
        self.s = s
        self.i = 0
        self.n = len(s)

    def err(self, what: str, eof_space: bool = False) -> JSONError:
        if self.i >= self.n:
            if eof_space:
                # Go's scanner feeds a final ' ' at EOF
                return JSONError(f"invalid character ' ' {what}")
            return JSONError("unexpected end of JSON input")
        return JSONError(f"invalid character {_quote_char(self.s[self.i])} {what}")

    def ws(self) -> None:
        s, i, n = self.s, self.i, self.n
        while i < n and s[i] in " \t\r\n":
            i += 1
        self.i = i

    def value(self, ctx: str = "looking for beginning of value") -> Any:
        self.ws()
        if self.i >= self.n:
            raise JSONError("unexpected end of JSON input")
        c = self.s[self.i]
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c == '"':
            return self.string()
        if c == "-" or "0" <= c <= "9":
            return self.number()
        for lit, val in (("true", True), ("false", False), ("null", None)):
            if c == lit[0]:
                self.i += 1
                for expect in lit[1:]:
                    if self.i >= self.n or self.s[self.i] != expect:
                        raise self.err(f"in literal {lit} (expecting {_quote_char(expect)})", True)
                    self.i += 1
                return val
        raise self.err(ctx)

    def obj(self) -> dict[str, Any]:
        self.i += 1
        d: dict[str, Any] = {}
        self.ws()
        if self.i < self.n and self.s[self.i] == "}":
            self.i += 1
            return d
        while True:
            self.ws()
            if self.i >= self.n or self.s[self.i] != '"':
                raise self.err("looking for beginning of object key string")
            k = self.string()
            self.ws()
            if self.i >= self.n or self.s[self.i] != ":":
                raise self.err("after object key")
            self.i += 1
            d[k] = self.value()
            self.ws()
            if self.i < self.n and self.s[self.i] == ",":
                self.i += 1
                continue
            if self.i < self.n and self.s[self.i] == "}":
                self.i += 1
                return d
            raise self.err("after object key:value pair")

    def arr(self) -> list[Any]:
        self.i += 1
        a: list[Any] = []
        self.ws()
        if self.i < self.n and self.s[self.i] == "]":
            self.i += 1
            return a
        while True:
            a.append(self.value())
            self.ws()
            if self.i < self.n and self.s[self.i] == ",":
                self.i += 1
                continue
            if self.i < self.n and self.s[self.i] == "]":
                self.i += 1
                return a
            raise self.err("after array element")

    def string(self) -> str:
        s, n = self.s, self.n
        self.i += 1
        out = []
        while True:
            if self.i >= n:
                raise JSONError("unexpected end of JSON input")
            c = s[self.i]
            if c == '"':
                self.i += 1
                return "".join(out)
            if c == "\\":
                self.i += 1
                if self.i >= n:
                    raise JSONError("unexpected end of JSON input")
                e = s[self.i]
                simple = {
                    '"': '"',
                    "\\": "\\",
                    "/": "/",
                    "b": "\b",
                    "f": "\f",
                    "n": "\n",
                    "r": "\r",
                    "t": "\t",
                }
                if e in simple:
                    out.append(simple[e])
                    self.i += 1
                elif e == "u":
                    self.i += 1
                    h = ""
                    for _ in range(4):
                        if self.i >= n:
                            raise JSONError("unexpected end of JSON input")
                        if s[self.i] not in "0123456789abcdefABCDEF":
                            raise self.err("in \\u hexadecimal character escape")
                        h += s[self.i]
                        self.i += 1
                    cp = int(h, 16)
                    if 0xD800 <= cp < 0xDC00 and s[self.i : self.i + 2] == "\\u":
                        h2 = s[self.i + 2 : self.i + 6]
                        if len(h2) == 4 and all(x in "0123456789abcdefABCDEF" for x in h2):
                            lo = int(h2, 16)
                            if 0xDC00 <= lo < 0xE000:
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                                self.i += 6
                    if 0xD800 <= cp < 0xE000:
                        cp = 0xFFFD
                    out.append(chr(cp))
                else:
                    raise self.err("in string escape code")
            elif c < " ":
                raise self.err("in string literal")
            else:
                out.append(c)
                self.i += 1

    def number(self) -> float:
        s, n, start = self.s, self.n, self.i
        if s[self.i] == "-":
            self.i += 1
            if self.i >= n or not ("0" <= s[self.i] <= "9"):
                raise self.err("in numeric literal", True)
        if s[self.i] == "0":
            self.i += 1
        else:
            while self.i < n and "0" <= s[self.i] <= "9":
                self.i += 1
        if self.i < n and s[self.i] == ".":
            self.i += 1
            if self.i >= n or not ("0" <= s[self.i] <= "9"):
                raise self.err("after decimal point in numeric literal", True)
            while self.i < n and "0" <= s[self.i] <= "9":
                self.i += 1
        if self.i < n and s[self.i] in "eE":
            self.i += 1
            if self.i < n and s[self.i] in "+-":
                self.i += 1
            if self.i >= n or not ("0" <= s[self.i] <= "9"):
                raise self.err("in exponent of numeric literal", True)
            while self.i < n and "0" <= s[self.i] <= "9":
                self.i += 1
        text = s[start : self.i]
        f = float(text)
        if math.isinf(f):
            raise JSONError(f"json: cannot unmarshal number {text} into Go value of type float64")
        return f


def unmarshal(s: str) -> Any:
    """json.Unmarshal(data, &interface{}); raises JSONError with Go's message."""
    p = _Parser(s)
    v = p.value()
    p.ws()
    if p.i < p.n:
        raise p.err("after top-level value")
    return v
