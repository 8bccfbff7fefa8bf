"""Go's encoding/json as Helm and Sprig use it.

One codec for Helm's own functions (toJson, mustToJson, fromJson,
fromJsonArray), Sprig's (toPrettyJson = MarshalIndent "  ", toRawJson =
an Encoder with SetEscapeHTML(false), mustFromJson), --set-json, the repo
index, lint and dependency digests:

- `marshal` is json.Marshal (``escape_html``: SetEscapeHTML, ``indent``:
  MarshalIndent with prefix ""); maps are written with sorted keys, `Struct`
  values and Go structs in field order.
- `unmarshal` is json.Unmarshal into an interface{} (numbers are float64),
  a map[string]interface{} or a []interface{}; `decode` is json.Decoder.Decode
  (the first value of a stream).  Errors carry Go's texts: the scanner's
  ``invalid character 'X' CONTEXT`` names the offending *byte* (as Go's
  quoteChar does, so ``é`` is reported as ``'Ã'``).

Errors are `EncodingError`s (the Helm package's one Go-text error);
`UnmarshalTypeError` also carries the partly decoded value, as Go leaves it.
"""

from __future__ import annotations

import math
from binascii import b2a_base64

from polystack.helm.encoding.errors import EncodingError
from polystack.helm.golang.runtime import CycleError, check_walk
from polystack.helm.golang.strconv import format_float
from polystack.helm.golang.types import StringMap, type_of

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Callable
    from typing import Any

    _Put = Callable[[str], object]  # appends output text

__all__ = [
    "Struct",
    "StringMap",
    "UnmarshalTypeError",
    "decode",
    "format_float",
    "go_json_error",
    "marshal",
    "quote",
    "to_json_tree",
    "unmarshal",
]


def _b64(v: bytes | bytearray) -> str:
    """base64.StdEncoding of a []byte (binascii's: base64's module imports re)."""
    return b2a_base64(bytes(v), newline=False).decode("ascii")


class Struct(dict):
    """A Go struct as encoding/json sees it: fields keep their declaration order."""

    __slots__ = ()


class UnmarshalTypeError(EncodingError):
    """json.UnmarshalTypeError; ``value`` is what Go decoded around the failure."""

    def __init__(self, message: str, value: Any = None) -> None:
        super().__init__(message)
        self.value = value


def json_float(f: float) -> str:
    """encoding/json's float64 text."""
    r = float.__repr__(f)
    if "e" not in r and "n" not in r:  # 1e-4 <= |f| < 1e16 or 0: shortest digits, no exponent
        return r[:-2] if r.endswith(".0") else r
    if math.isnan(f) or math.isinf(f):
        raise EncodingError("json: unsupported value: " + format_float(f, "g", -1))
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        s = format_float(f, "e", -1)
        if len(s) >= 4 and s[-4] == "e" and s[-3] == "-" and s[-2] == "0":
            s = s[:-2] + s[-1]
        return s
    return format_float(f, "f", -1)


def to_json_tree(v: Any) -> Any:
    """Go encoding/json view of a Go value, as JSON-ready Python (numbers kept)."""
    if v is None or isinstance(v, (bool, str, int, float)):
        return v
    if isinstance(v, dict):
        return {str(k): to_json_tree(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json_tree(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return _b64(v)
    hook = getattr(v, "go_json", None)
    if hook is not None:
        return to_json_tree(hook())
    raise EncodingError(f"json: unsupported type: {type(v).__name__}")


# ---------------------------------------------------------------- Marshal


_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _load_encode_basestring(s: str) -> str:
    """json.encoder's encode_basestring (_json's, without importing json), bound
    on the first call: a render that writes no JSON string loads no _json (an
    extension module: loading one is a fresh command's cost)."""
    global encode_basestring
    try:
        from _json import encode_basestring as fn
    except ImportError:  # pragma: no cover - CPython always has _json
        from json.encoder import encode_basestring as fn
    encode_basestring = fn
    return fn(s)


encode_basestring = _load_encode_basestring


class _Specials:
    """What encoding/json escapes beyond JSON's own escapes: U+2028/U+2029 even
    without HTML escaping (and <, >, & with it); lone surrogates stand for invalid
    UTF-8 bytes (surrogateescape) and become \\ufffd, one per byte. The pattern is
    compiled when a string first needs it (an ASCII string without <, >, & never
    does)."""

    __slots__ = ("escape_html", "_rx")

    def __init__(self, escape_html: bool) -> None:
        self.escape_html = escape_html
        self._rx: re.Pattern[str] | None = None

    def pattern(self) -> re.Pattern[str]:
        rx = self._rx
        if rx is None:
            import re  # (when a text to quote is first checked)

            rx = self._rx = re.compile(
                "[<>&\u2028\u2029\ud800-\udfff]"
                if self.escape_html
                else "[\u2028\u2029\ud800-\udfff]"
            )
        return rx


_SPECIALS = {True: _Specials(True), False: _Specials(False)}


def _special(escape_html: bool) -> _Specials:
    return _SPECIALS[escape_html]


def _escape(m: re.Match[str]) -> str:
    return _ESCAPES.get(m.group(), "\\ufffd")


def _quote(s: str, special: _Specials) -> str:
    out: str = encode_basestring(s)
    if out.isascii() and not (special.escape_html and ("<" in out or ">" in out or "&" in out)):
        return out
    rx = special.pattern()
    if rx.search(out) is not None:
        out = rx.sub(_escape, out)
    return out


def quote(s: str, escape_html: bool = True) -> str:
    """A JSON string literal as encoding/json writes it."""
    return _quote(s, _special(escape_html))


def marshal(v: Any, *, escape_html: bool = True, indent: str | None = None) -> str:
    """json.Marshal(v), or json.MarshalIndent(v, "", indent); raises EncodingError."""
    try:
        check_walk(v, "json")
    except CycleError as e:
        raise EncodingError(
            f"json: unsupported value: encountered a cycle via {type_of(e.container)}"
        ) from None
    parts: list[str] = []
    _encode(v, parts.append, _special(escape_html), indent, "\n")
    return "".join(parts)


def _encode(v: Any, put: _Put, special: _Specials, indent: str | None, nl: str) -> None:
    """Append v's JSON; ``nl`` is the newline plus the indentation v starts at."""
    t = type(v)
    if t is str:
        put(_quote(v, special))
    elif t is dict or t is Struct:
        _object(v, t is Struct, put, special, indent, nl)
    elif t is list:
        _array(v, put, special, indent, nl)
    elif t is int:
        put(int.__repr__(v))
    elif t is float:
        put(json_float(v))
    elif v is None:
        put("null")
    elif v is True:
        put("true")
    elif v is False:
        put("false")
    elif isinstance(v, str):
        put(_quote(v, special))
    elif isinstance(v, dict):
        if getattr(v, "nil", False):
            put("null")
        else:
            _object(v, False, put, special, indent, nl)
    elif isinstance(v, (list, tuple)):
        if getattr(v, "nil", False):
            put("null")
        else:
            _array(v, put, special, indent, nl)
    elif isinstance(v, int):
        put(int.__repr__(v))
    elif isinstance(v, float):
        put(json_float(float(v)))
    elif isinstance(v, (bytes, bytearray)):
        put('"' + _b64(v) + '"')
    else:
        _encode(_go_value(v), put, special, indent, nl)


def _go_value(v: Any) -> Any:
    """What a Go value marshals as: its MarshalJSON stand-in, or its fields."""
    from polystack.helm.golang.types import GoStruct, type_of

    hook = getattr(v, "go_json", None)
    if hook is not None:
        return hook()
    if isinstance(v, GoStruct):
        return Struct((f, getattr(v, f, None)) for f in type(v).go_fields)
    raise EncodingError(f"json: unsupported type: {type_of(v)}")


def _object(
    v: dict, ordered: bool, put: _Put, special: _Specials, indent: str | None, nl: str
) -> None:
    if not v:
        put("{}")
        return
    if ordered:
        items: Any = v.items()
    else:
        try:
            keys = sorted(v)
        except TypeError:
            keys = None
        if keys is not None and isinstance(keys[0], str):  # sorted: all keys are str
            items = ((k, v[k]) for k in keys)
        else:  # Go map keys are strings: order by the text
            items = sorted(((str(k), x) for k, x in v.items()), key=lambda kv: kv[0])
    if indent is None:
        sep = "{"
        for k, x in items:
            put(sep + _quote(k, special) + ":")
            _encode(x, put, special, None, nl)
            sep = ","
        put("}")
        return
    inner = nl + indent
    sep = "{" + inner
    for k, x in items:
        put(sep + _quote(k, special) + ": ")
        _encode(x, put, special, indent, inner)
        sep = "," + inner
    put(nl + "}")


def _array(v: Any, put: _Put, special: _Specials, indent: str | None, nl: str) -> None:
    if not v:
        put("[]")
        return
    if indent is None:
        sep = "["
        for x in v:
            put(sep)
            _encode(x, put, special, None, nl)
            sep = ","
        put("]")
        return
    inner = nl + indent
    sep = "[" + inner
    for x in v:
        put(sep)
        _encode(x, put, special, indent, inner)
        sep = "," + inner
    put(nl + "]")


# ---------------------------------------------------------------- Unmarshal

_MAX_DEPTH = 10000  # encoding/json's maxNestingDepth
# the scanner's patterns, compiled by _load_scanner when a text is first decoded
_WS: re.Pattern[str]
_STR_RUN: re.Pattern[str]
_DIGITS: re.Pattern[str]
_HEX = frozenset("0123456789abcdefABCDEF")
_SIMPLE_ESC = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_LITERALS = {"t": ("true", True), "f": ("false", False), "n": ("null", None)}
_KINDS = {"{": "object", "[": "array", '"': "string", "t": "bool", "f": "bool", "n": "null"}


def _end(pattern: re.Pattern[str], s: str, pos: int = 0) -> int:
    """Where a run of ``pattern`` (which matches the empty string) starting at
    ``pos`` ends."""
    m = pattern.match(s, pos)
    return pos if m is None else m.end()


_GO_TARGET: dict[type, str] = {dict: "map[string]interface {}", list: "[]interface {}"}
# Inputs Python's json reads differently from Go: surrogates (raw ones stand
# for invalid UTF-8 bytes; escaped lone ones become U+FFFD in Go) and numbers
# that may overflow float64 (>= 200 digits, or an exponent of 3+ digits).
_NEEDS_SCANNER: re.Pattern[str]


class _NotGo(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise _NotGo(name)


_PY_JSON: Any = None  # Python's decoder, for the texts it reads as Go does


def _load_scanner() -> None:
    """Compile the scanner's patterns and make Python's decoder (on first use: a
    process that decodes no JSON never needs them, nor the json package)."""
    global _WS, _STR_RUN, _DIGITS, _NEEDS_SCANNER, _PY_JSON
    import json
    import re

    _WS = re.compile(r"[ \t\r\n]*")
    _STR_RUN = re.compile(r'[^"\\\x00-\x1f\ud800-\udfff]*')
    _DIGITS = re.compile(r"[0-9]*")
    _NEEDS_SCANNER = re.compile(
        r"[\ud800-\udfff]|\\u[dD][89a-fA-F]|[0-9]{200}|[eE]\+?0*[1-9][0-9]{2}"
    )
    _PY_JSON = json.JSONDecoder(parse_int=float, parse_constant=_reject_constant)


class _EOF(EncodingError):
    """An error found because the input ended (json.Decoder: unexpected EOF)."""


def _quote_byte(c: str) -> str:
    """Go's quoteChar for the byte the scanner stopped at (the first of c's UTF-8)."""
    o = ord(c)
    if o < 0x80:
        b = o
    elif 0xDC80 <= o <= 0xDCFF:  # surrogateescape: the invalid byte itself
        b = o - 0xDC00
    else:
        b = c.encode("utf-8", "surrogatepass")[0]
    if b == 0x27:
        return "'\\''"
    if b == 0x22:
        return "'\"'"
    from polystack.helm.golang.strconv import quote as go_quote

    return "'" + go_quote(chr(b))[1:-1] + "'"


def _bad(s: str, i: int, ctx: str) -> EncodingError:
    """The scanner's error at s[i]; at the end Go steps a space past the input."""
    if i >= len(s):
        return _EOF(f"invalid character ' ' {ctx}")
    return EncodingError(f"invalid character {_quote_byte(s[i])} {ctx}")


def _ended() -> EncodingError:
    return _EOF("unexpected end of JSON input")


def _scan(s: str, i: int) -> tuple[Any, int, str | None]:
    """Scan and build one value from s[i] (whitespace first): (value, end, type error).

    Numbers beyond float64 decode as None and the first one's error is returned,
    as Go's decoder saves the error and goes on."""
    n = len(s)
    stack: list[Any] = []  # open containers
    keys: list[str] = []  # the pending key of each open object
    bad: str | None = None
    i = _end(_WS, s, i)
    while True:
        # ---- one value at s[i]
        if i >= n:
            raise _ended()
        c = s[i]
        if c == "{" or c == "[":
            if len(stack) >= _MAX_DEPTH:
                raise _bad(s, i, "exceeded max depth")
            i = _end(_WS, s, i + 1)
            if c == "[":
                if i < n and s[i] == "]":
                    value: Any = []
                    i += 1
                else:
                    stack.append([])
                    continue
            elif i < n and s[i] == "}":
                value = {}
                i += 1
            else:
                key, i = _key(s, i)
                stack.append({})
                keys.append(key)
                continue
        elif c == '"':
            value, i = _string(s, i)
        elif c == "-" or "0" <= c <= "9":
            value, i, err = _number(s, i)
            if err is not None and bad is None:
                bad = err
        elif c in _LITERALS:
            word, value = _LITERALS[c]
            for expect in word[1:]:
                i += 1
                if i >= n or s[i] != expect:
                    raise _bad(s, i, f"in literal {word} (expecting '{expect}')")
            i += 1
        else:
            raise _bad(s, i, "looking for beginning of value")
        # ---- the value is complete: store it, close containers
        while True:
            if not stack:
                return value, i, bad
            top = stack[-1]
            i = _end(_WS, s, i)
            if i >= n:
                raise _ended()
            c = s[i]
            if type(top) is list:
                top.append(value)
                if c == ",":
                    i = _end(_WS, s, i + 1)
                    break
                if c != "]":
                    raise _bad(s, i, "after array element")
                value = stack.pop()
            else:
                top[keys[-1]] = value
                if c == ",":
                    keys[-1], i = _key(s, _end(_WS, s, i + 1))
                    break
                if c != "}":
                    raise _bad(s, i, "after object key:value pair")
                value = stack.pop()
                keys.pop()
            i += 1


def _key(s: str, i: int) -> tuple[str, int]:
    """An object key and its colon; returns the index of the value."""
    if i >= len(s):
        raise _ended()
    if s[i] != '"':
        raise _bad(s, i, "looking for beginning of object key string")
    key, i = _string(s, i)
    i = _end(_WS, s, i)
    if i >= len(s):
        raise _ended()
    if s[i] != ":":
        raise _bad(s, i, "after object key")
    return key, _end(_WS, s, i + 1)


def _string(s: str, i: int) -> tuple[str, int]:
    """The string literal at s[i] == '"' and the index after it."""
    n = len(s)
    j = _end(_STR_RUN, s, i + 1)
    if j < n and s[j] == '"':
        return s[i + 1 : j], j + 1
    parts = [s[i + 1 : j]]
    while True:
        if j >= n:
            raise _ended()
        c = s[j]
        if c == '"':
            return "".join(parts), j + 1
        if c == "\\":
            j += 1
            e = s[j] if j < n else ""
            if e in _SIMPLE_ESC:
                parts.append(_SIMPLE_ESC[e])
                j += 1
            elif e == "u":
                r, j = _hex4(s, j + 1)
                if 0xD800 <= r < 0xDC00 and s.startswith("\\u", j):
                    lo = s[j + 2 : j + 6]
                    if len(lo) == 4 and _HEX.issuperset(lo) and 0xDC00 <= int(lo, 16) < 0xE000:
                        r = 0x10000 + ((r - 0xD800) << 10) + (int(lo, 16) - 0xDC00)
                        j += 6
                parts.append("\ufffd" if 0xD800 <= r < 0xE000 else chr(r))
            else:
                raise _bad(s, j, "in string escape code")
        elif c < " ":
            raise _bad(s, j, "in string literal")
        else:  # a lone surrogate: an invalid UTF-8 byte
            parts.append("\ufffd")
            j += 1
        k = _end(_STR_RUN, s, j)
        parts.append(s[j:k])
        j = k


def _hex4(s: str, i: int) -> tuple[int, int]:
    for j in range(i, i + 4):
        if j >= len(s) or s[j] not in _HEX:
            raise _bad(s, j, "in \\u hexadecimal character escape")
    return int(s[i : i + 4], 16), i + 4


def _number(s: str, i: int) -> tuple[float | None, int, str | None]:
    """The number at s[i]: (float64 or None, end, Go's error if it overflows)."""
    n = len(s)
    start = i
    if s[i] == "-":
        i += 1
        if i >= n or not "0" <= s[i] <= "9":
            raise _bad(s, i, "in numeric literal")
    i = i + 1 if s[i] == "0" else _end(_DIGITS, s, i)
    if i < n and s[i] == ".":
        i += 1
        if i >= n or not "0" <= s[i] <= "9":
            raise _bad(s, i, "after decimal point in numeric literal")
        i = _end(_DIGITS, s, i)
    if i < n and s[i] in "eE":
        i += 1
        if i < n and s[i] in "+-":
            i += 1
        if i >= n or not "0" <= s[i] <= "9":
            raise _bad(s, i, "in exponent of numeric literal")
        i = _end(_DIGITS, s, i)
    text = s[start:i]
    f = float(text)
    if f in (float("inf"), float("-inf")):
        return None, i, f"json: cannot unmarshal number {text} into Go value of type float64"
    return f, i, None


def unmarshal(text: str, into: type | None = None) -> Any:
    """json.Unmarshal(text, &v) for v an interface{} (``into`` None), a
    map[string]interface{} (``dict``) or a []interface{} (``list``).

    The whole text is checked first, as Go does; then a value of the wrong
    kind raises UnmarshalTypeError, and so does a number beyond float64 (its
    ``value`` holds the rest, the number as None).  JSON null returns None."""
    if _PY_JSON is None:
        _load_scanner()
    bad = None
    value: Any = None
    fast = (
        _NEEDS_SCANNER.search(text) is None
        and text.count("[") + text.count("{") <= _MAX_DEPTH  # deeper nesting fails in Go
    )
    if fast:
        try:
            value = _PY_JSON.decode(text)
        except (ValueError, RecursionError, _NotGo):
            fast = False
    if not fast:
        value, end, bad = _scan(text, 0)
        end = _end(_WS, text, end)
        if end < len(text):
            raise _bad(text, end, "after top-level value")
    if into is not None:
        first = text[_end(_WS, text)]
        kind = _KINDS.get(first, "number")
        if kind != "null" and kind != ("object" if into is dict else "array"):
            raise UnmarshalTypeError(
                f"json: cannot unmarshal {kind} into Go value of type {_GO_TARGET[into]}"
            )
    if bad is not None:
        raise UnmarshalTypeError(bad, value)
    return value


def go_json_error(text: str) -> str | None:
    """The syntax error Go's encoding/json gives for `text`, None if valid."""
    try:
        unmarshal(text)
    except UnmarshalTypeError:
        return None
    except EncodingError as e:
        return str(e)
    return None


def decode(text: str) -> tuple[Any, int]:
    """json.Decoder.Decode into an interface{}: the first value in `text` and
    the index after it; errors as the Decoder reports them."""
    if _PY_JSON is None:
        _load_scanner()
    try:
        value, end, bad = _scan(text, 0)
    except _EOF:
        raise EncodingError("EOF" if not text.strip(" \t\r\n") else "unexpected EOF") from None
    if bad is not None:
        raise UnmarshalTypeError(bad, value)
    return value, end
