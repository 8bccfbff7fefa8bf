"""cjson.decode (lua_cjson 2.1.0) and cmsgpack (lua_cmsgpack 0.4.0) as Redis's Lua has them,
working on Lua values through lupa.  Errors come back as ``(False, message)`` (see
bitstruct.py); values made here become Lua values with :func:`lua_value`.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import lupa.lua51 as lupa

# -- cjson.decode -------------------------------------------------------------------------
_WS = b" \t\n\r"
_ESCAPES = {
    ord('"'): b'"',
    ord("\\"): b"\\",
    ord("/"): b"/",
    ord("b"): b"\b",
    ord("f"): b"\f",
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
}


class _JSONError(Exception):
    pass


class _Null:
    """cjson.null while decoding (replaced by the Lua value)."""


NULL = _Null()


class _Decoder:
    """lua_cjson's tokenizer and recursive parser, with its error texts."""

    def __init__(self, data: bytes, max_depth: int = 1000) -> None:
        self.data = data
        self.pos = 0
        self.depth = 0
        self.max_depth = max_depth

    def token(self) -> tuple[str, Any, int]:
        data = self.data
        n = len(data)
        while self.pos < n and data[self.pos] in _WS:
            self.pos += 1
        start = self.pos
        if start >= n:
            return "T_END", None, start
        c = data[start]
        simple = {ord("{"): "T_OBJ_BEGIN", ord("}"): "T_OBJ_END", ord("["): "T_ARR_BEGIN",
                  ord("]"): "T_ARR_END", ord(":"): "T_COLON", ord(","): "T_COMMA"}  # fmt: skip
        if c in simple:
            self.pos += 1
            return simple[c], None, start
        if c == ord('"'):
            return self._string(start)
        if c in b"-0123456789" or data.startswith((b"inf", b"nan", b"Inf", b"NaN"), start):
            return self._number(start)
        for word, kind, value in (
            (b"true", "T_BOOLEAN", True),
            (b"false", "T_BOOLEAN", False),
            (b"null", "T_NULL", NULL),
        ):
            if data.startswith(word, start):
                self.pos += len(word)
                return kind, value, start
        return "T_ERROR", "invalid token", start

    def _string(self, start: int) -> tuple[str, Any, int]:
        data = self.data
        i = start + 1
        out = bytearray()
        while True:
            if i >= len(data):
                return "T_ERROR", "unexpected end of string", start
            c = data[i]
            if c == ord('"'):
                break
            if c == ord("\\"):
                if i + 1 >= len(data):
                    return "T_ERROR", "invalid escape code", start
                e = data[i + 1]
                if e == ord("u"):
                    code = self._unicode(i)
                    if code is None:
                        return "T_ERROR", "invalid unicode escape code", start
                    ch, consumed = code
                    out += chr(ch).encode("utf-8", "surrogatepass")
                    i += consumed
                    continue
                if e not in _ESCAPES:
                    return "T_ERROR", "invalid escape code", start
                out += _ESCAPES[e]
                i += 2
                continue
            out.append(c)
            i += 1
        self.pos = i + 1
        return "T_STRING", bytes(out), start

    def _unicode(self, i: int) -> tuple[int, int] | None:
        data = self.data
        hexd = data[i + 2 : i + 6]
        if len(hexd) != 4 or not all(x in b"0123456789abcdefABCDEF" for x in hexd):
            return None
        code = int(hexd, 16)
        if 0xD800 <= code <= 0xDBFF:
            if data[i + 6 : i + 8] != b"\\u":
                return None
            low = data[i + 8 : i + 12]
            if len(low) != 4 or not all(x in b"0123456789abcdefABCDEF" for x in low):
                return None
            lo = int(low, 16)
            if not 0xDC00 <= lo <= 0xDFFF:
                return None
            return 0x10000 + ((code - 0xD800) << 10) + (lo - 0xDC00), 12
        if 0xDC00 <= code <= 0xDFFF:
            return None
        return code, 6

    def _number(self, start: int) -> tuple[str, Any, int]:
        data = self.data
        i = start
        while i < len(data) and data[i] in b"+-0123456789.eExXabcdefABCDEFinftyINFTYnN":
            i += 1
        text = data[start:i]
        try:
            if text.lstrip(b"+-")[:2].lower() == b"0x":
                value = float(int(text, 16))
            else:
                value = float(text)
        except ValueError:
            return "T_ERROR", "invalid number", start
        self.pos = i
        return "T_NUMBER", value, start

    def fail(self, expected: str, tok: tuple[str, Any, int]) -> None:
        found = tok[1] if tok[0] == "T_ERROR" else tok[0]
        raise _JSONError(f"Expected {expected} but found {found} at character {tok[2] + 1}")

    def value(self, tok: tuple[str, Any, int]) -> Any:
        kind = tok[0]
        if kind in ("T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL"):
            return tok[1]
        if kind == "T_OBJ_BEGIN":
            return self._object(tok)
        if kind == "T_ARR_BEGIN":
            return self._array(tok)
        self.fail("value", tok)

    def _nest(self, tok: tuple[str, Any, int]) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise _JSONError(
                f"Found too many nested data structures ({self.depth}) at character {tok[2] + 1}"
            )

    def _object(self, tok: tuple[str, Any, int]) -> dict:
        self._nest(tok)
        out: dict = {}
        t = self.token()
        if t[0] == "T_OBJ_END":
            self.depth -= 1
            return out
        while True:
            if t[0] != "T_STRING":
                self.fail("object key string", t)
            key = t[1]
            t = self.token()
            if t[0] != "T_COLON":
                self.fail("colon", t)
            out[key] = self.value(self.token())
            t = self.token()
            if t[0] == "T_OBJ_END":
                self.depth -= 1
                return out
            if t[0] != "T_COMMA":
                self.fail("comma or object end", t)
            t = self.token()

    def _array(self, tok: tuple[str, Any, int]) -> list:
        self._nest(tok)
        out: list = []
        t = self.token()
        if t[0] == "T_ARR_END":
            self.depth -= 1
            return out
        while True:
            out.append(self.value(t))
            t = self.token()
            if t[0] == "T_ARR_END":
                self.depth -= 1
                return out
            if t[0] != "T_COMMA":
                self.fail("comma or array end", t)
            t = self.token()


def json_decode(runtime: Any, null: Any, text: Any) -> tuple:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = repr(text).encode()
    if not isinstance(text, bytes):
        return (False, "bad argument #1 to 'decode' (string expected, got no value)")
    d = _Decoder(text)
    try:
        value = d.value(d.token())
        t = d.token()
        if t[0] != "T_END":
            d.fail("the end", t)
    except _JSONError as e:
        return (False, str(e))
    return (True, lua_value(runtime, value, null))


def lua_value(runtime: Any, value: Any, null: Any) -> Any:
    """A Python value (from JSON or msgpack) as a Lua value: lists and dicts become tables."""
    if value is NULL:
        return null
    if isinstance(value, list):
        return runtime.table_from([lua_value(runtime, v, null) for v in value])
    if isinstance(value, dict):
        return runtime.table_from({k: lua_value(runtime, v, null) for k, v in value.items()})
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


# -- cmsgpack --------------------------------------------------------------------------------
_MAX_NESTING = 16


def _is_table(v: Any) -> bool:
    return lupa.lua_type(v) == "table"


def _pack_int(n: int, out: bytearray) -> None:
    if n >= 0:
        if n <= 127:
            out.append(n)
        elif n <= 0xFF:
            out += b"\xcc" + n.to_bytes(1, "big")
        elif n <= 0xFFFF:
            out += b"\xcd" + n.to_bytes(2, "big")
        elif n <= 0xFFFFFFFF:
            out += b"\xce" + n.to_bytes(4, "big")
        else:
            out += b"\xcf" + (n & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")
    else:
        if n >= -32:
            out.append(n & 0xFF)
        elif n >= -128:
            out += b"\xd0" + n.to_bytes(1, "big", signed=True)
        elif n >= -32768:
            out += b"\xd1" + n.to_bytes(2, "big", signed=True)
        elif n >= -(1 << 31):
            out += b"\xd2" + n.to_bytes(4, "big", signed=True)
        else:
            out += b"\xd3" + n.to_bytes(8, "big", signed=True)


def _pack_number(v: int | float, out: bytearray) -> None:
    f = float(v)
    if not math.isinf(f) and f == f and -(2**63) <= f < 2**63 and int(f) == f:
        _pack_int(int(f), out)
        return
    single = (
        struct.unpack(">f", struct.pack(">f", f))[0]
        if abs(f) <= 3.4028234663852886e38 or not math.isfinite(f)
        else None
    )
    if single is not None and (single == f or (f != f and single != single)):
        out += b"\xca" + struct.pack(">f", f)
    else:
        out += b"\xcb" + struct.pack(">d", f)


def _pack_bytes(s: bytes, out: bytearray) -> None:
    n = len(s)
    if n < 32:
        out.append(0xA0 | n)
    elif n <= 0xFF:
        out += b"\xd9" + n.to_bytes(1, "big")
    elif n <= 0xFFFF:
        out += b"\xda" + n.to_bytes(2, "big")
    else:
        out += b"\xdb" + n.to_bytes(4, "big")
    out += s


def _pack(v: Any, out: bytearray, level: int) -> None:
    if v is None:
        out.append(0xC0)
    elif v is True:
        out.append(0xC3)
    elif v is False:
        out.append(0xC2)
    elif isinstance(v, (int, float)):
        _pack_number(v, out)
    elif isinstance(v, bytes):
        _pack_bytes(v, out)
    elif _is_table(v) and level < _MAX_NESTING:
        items = list(v.items())
        keys = [k for k, _ in items]
        is_array = all(
            isinstance(k, (int, float)) and not isinstance(k, bool) and k > 0 and k == int(k)
            for k in keys
        ) and (not keys or max(keys) == len(keys))
        n = len(items)
        if is_array:
            if n <= 15:
                out.append(0x90 | n)
            elif n <= 0xFFFF:
                out += b"\xdc" + n.to_bytes(2, "big")
            else:
                out += b"\xdd" + n.to_bytes(4, "big")
            for i in range(1, n + 1):
                _pack(v[i], out, level + 1)
        else:
            if n <= 15:
                out.append(0x80 | n)
            elif n <= 0xFFFF:
                out += b"\xde" + n.to_bytes(2, "big")
            else:
                out += b"\xdf" + n.to_bytes(4, "big")
            for k, val in items:
                _pack(k, out, level + 1)
                _pack(val, out, level + 1)
    else:
        out.append(0xC0)


def msgpack_pack(*values: Any) -> tuple:
    if not values:
        return (False, "MessagePack pack needs input.")
    out = bytearray()
    for v in values:
        _pack(v, out, 0)
    return (True, bytes(out))


class _Missing(Exception):
    pass


def _unpack(data: bytes, pos: int) -> tuple[Any, int]:
    if pos >= len(data):
        raise _Missing
    c = data[pos]
    pos += 1

    def take(n: int) -> bytes:
        nonlocal pos
        if pos + n > len(data):
            raise _Missing
        chunk = data[pos : pos + n]
        pos += n
        return chunk

    if c <= 0x7F:
        return c, pos
    if c >= 0xE0:
        return c - 256, pos
    if 0xA0 <= c <= 0xBF:
        return take(c & 0x1F), pos
    if 0x90 <= c <= 0x9F or c in (0xDC, 0xDD):
        n = c & 0x0F if c <= 0x9F else int.from_bytes(take(2 if c == 0xDC else 4), "big")
        items = []
        for _ in range(n):
            item, pos = _unpack(data, pos)
            items.append(item)
        return items, pos
    if 0x80 <= c <= 0x8F or c in (0xDE, 0xDF):
        n = c & 0x0F if c <= 0x8F else int.from_bytes(take(2 if c == 0xDE else 4), "big")
        table: dict = {}
        for _ in range(n):
            k, pos = _unpack(data, pos)
            val, pos = _unpack(data, pos)
            if k is not None and not isinstance(k, (list, dict)):
                table[k] = val
        return table, pos
    simple = {0xC0: None, 0xC2: False, 0xC3: True}
    if c in simple:
        return simple[c], pos
    ints = {0xCC: (1, False), 0xCD: (2, False), 0xCE: (4, False), 0xCF: (8, False),
            0xD0: (1, True), 0xD1: (2, True), 0xD2: (4, True), 0xD3: (8, True)}  # fmt: skip
    if c in ints:
        size, signed = ints[c]
        return int.from_bytes(take(size), "big", signed=signed), pos
    if c == 0xCA:
        return struct.unpack(">f", take(4))[0], pos
    if c == 0xCB:
        return struct.unpack(">d", take(8))[0], pos
    if c in (0xD9, 0xDA, 0xDB, 0xC4, 0xC5, 0xC6):
        width = {0xD9: 1, 0xDA: 2, 0xDB: 4, 0xC4: 1, 0xC5: 2, 0xC6: 4}[c]
        return take(int.from_bytes(take(width), "big")), pos
    raise ValueError


def msgpack_unpack_values(data: Any, limit: int = 0, offset: int = 0) -> tuple[list, int]:
    if not isinstance(data, bytes):
        raise ValueError
    pos = offset
    values: list[Any] = []
    while pos < len(data) and (limit <= 0 or len(values) < limit):
        v, pos = _unpack(data, pos)
        values.append(v)
    return values, pos


def msgpack_unpack(runtime: Any, null: Any, data: Any) -> tuple:
    try:
        values, _ = msgpack_unpack_values(data)
    except _Missing:
        return (False, "Missing bytes in input.")
    except ValueError:
        return (False, "Bad data format in input.")
    return (True, *(lua_value(runtime, v, None) for v in values))


def msgpack_unpack_limit(runtime: Any, data: Any, limit: Any, offset: Any = 0) -> tuple:
    try:
        values, pos = msgpack_unpack_values(data, int(limit or 0), int(offset or 0))
    except _Missing:
        return (False, "Missing bytes in input.")
    except ValueError:
        return (False, "Bad data format in input.")
    next_offset = -1 if pos >= len(data) else pos
    return (True, next_offset, *(lua_value(runtime, v, None) for v in values))


# -- cjson.encode (lua_cjson 2.1.0) ------------------------------------------------------------
def json_encode(null: Any, *args: Any) -> tuple:
    """cjson.encode: (True, the JSON text) or (False, the message)."""
    if len(args) != 1:
        return (False, "bad argument #1 to 'encode' (expected 1 argument)")
    out: list[bytes] = []
    _json_value(args[0], null, 0, out)
    return (True, b"".join(out))


def _json_value(v: Any, null: Any, depth: int, out: list[bytes]) -> None:
    t = type(v)
    if t is bytes:
        out.append(_json_string(v))
    elif t is bool:
        out.append(b"true" if v else b"false")
    elif t is int or t is float:
        out.append(_json_number(v))
    elif v is None or v == null:
        out.append(b"null")
    elif lupa.lua_type(v) == "table":
        depth += 1
        if depth > 1000:
            raise ValueError(f"Cannot serialise, excessive nesting ({depth})")
        items = list(v.items())
        length = _array_length(items)
        if length > 0:
            out.append(b"[")
            for i in range(1, length + 1):
                if i > 1:
                    out.append(b",")
                _json_value(v[i], null, depth, out)
            out.append(b"]")
        else:
            out.append(b"{")
            for n, (k, val) in enumerate(items):
                kt = type(k)
                if kt is bytes:
                    key = k
                elif kt is int or kt is float:
                    key = _json_number(k)
                else:
                    raise ValueError(
                        f"Cannot serialise {lua_type_name(k).decode()}: table key must be a "
                        "number or string"
                    )
                if n:
                    out.append(b",")
                out.append(_json_string(key) + b":")
                _json_value(val, null, depth, out)
            out.append(b"}")
    else:
        raise ValueError(f"Cannot serialise {lua_type_name(v).decode()}: type not supported")


def lua_type_name(v: Any) -> bytes:
    """Lua's type() of a value as lupa hands it over (the name in Lua's error texts)."""
    if v is None:
        return b"nil"
    if type(v) is bool:
        return b"boolean"
    if type(v) in (int, float):
        return b"number"
    if type(v) is bytes:
        return b"string"
    kind = lupa.lua_type(v)
    return kind.encode() if kind else b"userdata"


_JSON_ESCAPES = {
    ord('"'): b'\\"',
    ord("\\"): b"\\\\",
    ord("/"): b"\\/",
    8: b"\\b",
    12: b"\\f",
    10: b"\\n",
    13: b"\\r",
    9: b"\\t",
}


def _json_string(s: bytes) -> bytes:
    out = bytearray(b'"')
    for c in s:
        esc = _JSON_ESCAPES.get(c)
        if esc is not None:
            out += esc
        elif c < 0x20 or c == 0x7F:
            out += b"\\u%04x" % c
        else:
            out.append(c)
    out += b'"'
    return bytes(out)


def _json_number(n: int | float) -> bytes:
    f = float(n)
    if f != f or f in (math.inf, -math.inf):
        raise ValueError("Cannot serialise number: must not be NaN or Inf")
    return b"%.14g" % f


def _array_length(items: list) -> int:
    """lua_array_length: the largest index of an array table, -1 for any other key; a
    sparse array (largest index > 10 and > twice the items) cannot be encoded."""
    largest = 0
    for k, _ in items:
        if type(k) in (int, float) and k > 0 and k == int(k):
            largest = max(largest, int(k))
        else:
            return -1
    if largest > 10 and largest > 2 * len(items):
        raise ValueError("Cannot serialise table: excessively sparse array")
    return largest
