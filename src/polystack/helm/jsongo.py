"""Go's encoding/json for Helm: Marshal (toJson, with HTML escaping), the
scanner's exact error texts, and Unmarshal into interface{} (numbers are
float64)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from polystack.helm.yamlgo import YAMLError, json_float


class Struct(dict):
    """A Go struct as encoding/json sees it: fields keep their declaration order."""

    __slots__ = ()


class StringMap(dict):
    """A Go map[string]string; ``nil`` marks a nil map (JSON null, printed map[])."""

    go_type_name = "map[string]string"

    def __init__(self, *args: Any, nil: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.nil = nil


# ---------------------------------------------------------------- JSON (Go)


def to_json_tree(v: Any) -> Any:
    """Go encoding/json view of a Go value, as JSON-ready Python (numbers kept)."""
    if v is None or isinstance(v, (bool, str, int, float)):
        return v
    if isinstance(v, dict):
        return {str(k): to_json_tree(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json_tree(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode()
    hook = getattr(v, "go_json", None)
    if hook is not None:
        return to_json_tree(hook())
    raise YAMLError(f"json: unsupported type: {type(v).__name__}")


_HTML_ESC = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_HTML_RE = re.compile("[<>&\u2028\u2029]")


def _json_str(s: str) -> str:
    out = json.dumps(s, ensure_ascii=False)
    if _HTML_RE.search(out):
        out = _HTML_RE.sub(lambda m: _HTML_ESC[m.group()], out)
    return out


def marshal_json(v: Any, indent: str | None = None) -> str:
    """encoding/json.Marshal (with HTML escaping), or MarshalIndent with prefix ''."""
    parts: list[str] = []
    _json_encode(v, parts, indent, 0)
    return "".join(parts)


def _json_encode(v: Any, out: list[str], indent: str | None, depth: int) -> None:
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, str):
        out.append(_json_str(v))
    elif isinstance(v, int):
        out.append(str(int(v)))
    elif isinstance(v, float):
        out.append(json_float(v))
    elif isinstance(v, dict):
        if getattr(v, "nil", False):
            out.append("null")
            return
        if not v:
            out.append("{}")
            return
        out.append("{")
        first = True
        for k in list(v) if type(v) is Struct else sorted(str(x) for x in v):
            if not first:
                out.append(",")
            first = False
            if indent is not None:
                out.append("\n" + indent * (depth + 1))
            out.append(_json_str(k))
            out.append(": " if indent is not None else ":")
            _json_encode(v[k] if k in v else _lookup_str_key(v, k), out, indent, depth + 1)
        if indent is not None:
            out.append("\n" + indent * depth)
        out.append("}")
    elif isinstance(v, (list, tuple)):
        if not v:
            out.append("[]" if isinstance(v, (list, tuple)) else "null")
            return
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            if indent is not None:
                out.append("\n" + indent * (depth + 1))
            _json_encode(x, out, indent, depth + 1)
        if indent is not None:
            out.append("\n" + indent * depth)
        out.append("]")
    elif isinstance(v, (bytes, bytearray)):
        out.append('"' + base64.b64encode(bytes(v)).decode() + '"')
    else:
        hook = getattr(v, "go_json", None)
        if hook is None:
            raise YAMLError(f"json: unsupported type: {type(v).__name__}")
        _json_encode(hook(), out, indent, depth)


def _lookup_str_key(d: dict, k: str) -> Any:
    for kk, vv in d.items():
        if str(kk) == k:
            return vv
    return None


# ---------------------------------------------------------------- Go JSON errors


def go_json_error(text: str) -> str | None:
    """The message Go's encoding/json gives for invalid `text`, None if valid."""
    return _GoJSONChecker(text).check()


def _quote_char(c: str) -> str:
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    from polystack.helm.template.gostrconv import quote

    # Go's scanner reports a byte; string(byte) is the Latin-1 rune of that byte
    b = c.encode("utf-8", "surrogatepass")[0]
    return "'" + quote(chr(b))[1:-1] + "'"


class _GoJSONChecker:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def check(self) -> str | None:
        try:
            self.ws()
            self.value("looking for beginning of value")
            self.ws()
            if self.i < len(self.s):
                return self.bad("after top-level value")
        except _JSONErr as e:
            return str(e)
        return None

    def bad(self, ctx: str) -> str:
        return f"invalid character {_quote_char(self.s[self.i])} {ctx}"

    def fail_eof_space(self, ctx: str) -> None:
        """At the end of input Go's scanner steps a space: `invalid character ' ' CTX`."""
        if self.i >= len(self.s):
            raise _JSONEOF(f"invalid character ' ' {ctx}")
        self.fail(ctx)

    def fail(self, ctx: str) -> None:
        if self.i >= len(self.s):
            raise _JSONErr("unexpected end of JSON input")
        raise _JSONErr(self.bad(ctx))

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def value(self, ctx: str) -> None:
        if self.i >= len(self.s):
            raise _JSONErr("unexpected end of JSON input")
        c = self.s[self.i]
        if c == "{":
            self.i += 1
            self.ws()
            if self.peek() == "}":
                self.i += 1
                return
            while True:
                if self.peek() != '"':
                    self.fail("looking for beginning of object key string")
                self.string()
                self.ws()
                if self.peek() != ":":
                    self.fail("after object key")
                self.i += 1
                self.ws()
                self.value("looking for beginning of value")
                self.ws()
                if self.peek() == ",":
                    self.i += 1
                    self.ws()
                    continue
                if self.peek() == "}":
                    self.i += 1
                    return
                self.fail("after object key:value pair")
        elif c == "[":
            self.i += 1
            self.ws()
            if self.peek() == "]":
                self.i += 1
                return
            while True:
                self.value("looking for beginning of value")
                self.ws()
                if self.peek() == ",":
                    self.i += 1
                    self.ws()
                    continue
                if self.peek() == "]":
                    self.i += 1
                    return
                self.fail("after array element")
        elif c == '"':
            self.string()
        elif c in "-0123456789":
            self.number()
        elif c in "tfn":
            word = {"t": "true", "f": "false", "n": "null"}[c]
            for j, expect in enumerate(word):
                if self.i >= len(self.s):
                    raise _JSONEOF(
                        f"invalid character ' ' in literal {word} (expecting {_quote_char(expect)})"
                    )
                if self.s[self.i] != expect:
                    raise _JSONErr(
                        f"{self.bad(f'in literal {word} (expecting {_quote_char(expect)})')}"
                    )
                self.i += 1
                del j
        else:
            self.fail(ctx)

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def string(self) -> None:
        self.i += 1
        while True:
            if self.i >= len(self.s):
                raise _JSONErr("unexpected end of JSON input")
            c = self.s[self.i]
            if c == '"':
                self.i += 1
                return
            if c == "\\":
                self.i += 1
                e = self.peek()
                if e == "u":
                    self.i += 1
                    for _ in range(4):
                        if self.peek() == "":
                            raise _JSONErr("unexpected end of JSON input")
                        if self.peek() not in "0123456789abcdefABCDEF":
                            self.fail("in \\u hexadecimal character escape")
                        self.i += 1
                    continue
                if e == "" or e not in '"\\/bfnrt':
                    self.fail("in string escape code")
                self.i += 1
                continue
            if ord(c) < 0x20:
                self.fail("in string literal")
            self.i += 1

    def number(self) -> None:
        if self.peek() == "-":
            self.i += 1
            if not self.peek().isdigit():
                self.fail_eof_space("in numeric literal")
        if self.peek() == "0":
            self.i += 1
        else:
            while self.peek().isdigit():
                self.i += 1
        if self.peek() == ".":
            self.i += 1
            if not self.peek().isdigit():
                self.fail_eof_space("after decimal point in numeric literal")
            while self.peek().isdigit():
                self.i += 1
        if self.peek() in ("e", "E"):
            self.i += 1
            if self.peek() in ("+", "-"):
                self.i += 1
            if not self.peek().isdigit():
                self.fail_eof_space("in exponent of numeric literal")
            while self.peek().isdigit():
                self.i += 1


class _JSONErr(Exception):
    pass


class _JSONEOF(_JSONErr):
    """An error found only because the input ended (json.Decoder: unexpected EOF)."""


def unmarshal_json(text: str) -> Any:
    """encoding/json.Unmarshal into interface{}: numbers are float64."""
    err = go_json_error(text)
    if err is not None:
        raise YAMLError(err)
    return json.loads(text, parse_int=float)


def decoder_error(text: str) -> str | None:
    """The error json.Decoder.Decode gives for the first value of a stream."""
    c = _GoJSONChecker(text)
    try:
        c.ws()
        c.value("looking for beginning of value")
    except _JSONEOF:
        return "unexpected EOF"
    except _JSONErr as e:
        msg = str(e)
        return "unexpected EOF" if msg == "unexpected end of JSON input" else msg
    return None
