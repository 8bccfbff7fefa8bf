"""BurntSushi/toml's decoder as Helm's ``fromToml`` uses it (``toml.Unmarshal``
into a ``map[string]interface{}``).

Helm 4.2 is built with BurntSushi/toml v1.6, which decodes TOML 1.1 (``\\e``
and ``\\xHH`` escapes, newlines and a trailing comma in inline tables, times
without seconds) but no Unicode bare keys.  This module follows its lexer
(lex.go: a state machine emitting items) and parser (parse.go: tables,
implicit tables, duplicate keys, number and datetime checks) closely enough
that a document it rejects gets BurntSushi's own message, e.g. ``toml: line 1
(last key "a"): expected value but found '}' instead``.

Values are Go's: ``int64`` (:class:`Int64`), ``float64``, ``string``,
``bool``, ``time.Time`` (:class:`GoTime`; local date-times, dates and times
live in the fixed zones ``datetime-local``, ``date-local`` and
``time-local``), ``[]interface {}``, ``map[string]interface {}`` and, for
arrays of tables, ``[]map[string]interface {}`` (:class:`TableArray`).
"""

from __future__ import annotations

import math
import re
from typing import Any

from polystack.helm.encoding.tomllex import (
    ARRAY,
    ARRAY_END,
    ARRAY_TABLE_END,
    ARRAY_TABLE_START,
    BOOL,
    COMMENT_START,
    DATETIME,
    EOF_ITEM,
    ERROR,
    FLOAT,
    INLINE_TABLE_END,
    INLINE_TABLE_START,
    INTEGER,
    KEY_END,
    KEY_START,
    MULTILINE_STRING,
    RAW_MULTILINE_STRING,
    RAW_STRING,
    STRING,
    STRING_ESC,
    STRING_ITEMS,
    TABLE_END,
    TABLE_START,
    TEXT,
    Item,
    Lexer,
    is_bare,
    is_digit,
    is_hex,
)
from polystack.helm.golang import time as gotime
from polystack.helm.golang import time_layout as golayout
from polystack.helm.golang.calendar import FixedZone
from polystack.helm.golang.strconv import quote as go_quote
from polystack.helm.golang.types import Int64

__all__ = ["TableArray", "TOMLError", "loads"]


class TableArray(list):
    """A Go ``[]map[string]interface {}`` (an array of tables)."""

    __slots__ = ()
    go_type_name = "[]map[string]interface {}"
    go_kind = "slice"


class TOMLError(ValueError):
    """A ParseError; ``str()`` is BurntSushi's ``toml: line N (last key "k"): msg``."""

    def __init__(self, message: str, line: int, last_key: str) -> None:
        self.message = message
        self.line = line
        self.last_key = last_key
        if last_key:
            text = f"toml: line {line} (last key {go_quote(last_key)}): {message}"
        else:
            text = f"toml: line {line}: {message}"
        super().__init__(text)


_HASH, _ARRAY_HASH, _ARRAY, _PRIMITIVE = "Hash", "ArrayHash", "Array", "Primitive"

_DBL_QUOTED = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_DBL_QUOTED["\r"] = "\\r"


def _maybe_quoted(k: str) -> str:
    if k == "":
        return '""'
    if all(is_bare(c) for c in k):
        return k
    out = []
    for c in k:
        if c in _DBL_QUOTED:
            out.append(_DBL_QUOTED[c])
        elif c < "\x20" or c == "\x7f":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _key_str(key: list[str]) -> str:
    return ".".join(_maybe_quoted(k) for k in key)


class _Abort(Exception):
    def __init__(self, err: TOMLError) -> None:
        self.err = err


def _local_offset() -> int:
    now = gotime.now()
    return now.zone_name_offset()[1]


class _Parser:
    def __init__(self, text: str) -> None:
        self.lx = Lexer(text)
        self.context: list[str] = []
        self.current_key = ""
        self.pos_line = 0
        self.key_info: dict[str, str] = {}
        self.mapping: dict[str, Any] = {}
        self.implicits: set[str] = set()

    # -- errors ----------------------------------------------------------------
    def current(self) -> str:
        if not self.current_key:
            return _key_str(self.context)
        if not self.context:
            return self.current_key
        return f"{_key_str(self.context)}.{self.current_key}"

    def panic_item(self, it: Item, msg: str) -> None:
        raise _Abort(TOMLError(msg, it.line, self.current()))

    def panicf(self, msg: str) -> None:
        raise _Abort(TOMLError(msg, self.pos_line, self.current()))

    # -- items -----------------------------------------------------------------
    def next(self) -> Item:
        it = self.lx.next_item()
        if it.typ == ERROR:
            self.panic_item(it, it.err)
        return it

    def next_pos(self) -> Item:
        it = self.next()
        self.pos_line = it.line
        return it

    def expect(self, typ: int) -> Item:
        it = self.next()
        if it.typ != typ:  # pragma: no cover - parser bug guard
            raise RuntimeError("BUG: unexpected item")
        return it

    def parse(self) -> dict[str, Any]:
        while True:
            it = self.next()
            if it.typ == EOF_ITEM:
                return self.mapping
            self.top_level(it)

    def read_key(self, end: int) -> list[str]:
        k = self.next_pos()
        key = []
        while k.typ != end and k.typ != EOF_ITEM:
            key.append(self.key_string(k))
            k = self.next()
        return key

    def top_level(self, it: Item) -> None:
        if it.typ == COMMENT_START:
            self.expect(TEXT)
        elif it.typ == TABLE_START:
            key = self.read_key(TABLE_END)
            self.add_context(key, False)
            self.set_type("", _HASH)
        elif it.typ == ARRAY_TABLE_START:
            key = self.read_key(ARRAY_TABLE_END)
            self.add_context(key, True)
            self.set_type("", _ARRAY_HASH)
        elif it.typ == KEY_START:
            outer = self.context
            key = self.read_key(KEY_END)
            self.current_key = key[-1]
            parent = key[:-1]
            for i in range(len(parent)):
                self.add_implicit_context(self.context + parent[i : i + 1])
            v_item = self.next()
            val, typ = self.value(v_item, False)
            self.set_value(self.current_key, val)
            self.set_type(self.current_key, typ)
            self.context = outer
            self.current_key = ""
        else:  # pragma: no cover - parser bug guard
            raise RuntimeError("BUG: unexpected type at top level")

    def key_string(self, it: Item) -> str:
        if it.typ == TEXT:
            return it.val
        if it.typ in STRING_ITEMS:
            s, _ = self.value(it, False)
            return s
        raise RuntimeError("BUG: unexpected key type")  # pragma: no cover

    # -- values ----------------------------------------------------------------
    def value(self, it: Item, parent_is_array: bool) -> tuple[Any, str]:
        t = it.typ
        if t == STRING or t == RAW_STRING:
            return it.val, _PRIMITIVE
        if t == STRING_ESC:
            return self.replace_escapes(it, it.val), _PRIMITIVE
        if t == MULTILINE_STRING:
            s = _strip_escaped_newlines(_strip_first_newline(it.val))
            return self.replace_escapes(it, s), _PRIMITIVE
        if t == RAW_MULTILINE_STRING:
            return _strip_first_newline(it.val), _PRIMITIVE
        if t == INTEGER:
            return self.value_integer(it), _PRIMITIVE
        if t == FLOAT:
            return self.value_float(it), _PRIMITIVE
        if t == BOOL:
            return it.val == "true", _PRIMITIVE
        if t == DATETIME:
            return self.value_datetime(it), _PRIMITIVE
        if t == ARRAY:
            return self.value_array(it)
        if t == INLINE_TABLE_START:
            return self.value_inline_table(it, parent_is_array)
        raise RuntimeError("BUG: unexpected value type")  # pragma: no cover

    def value_integer(self, it: Item) -> Int64:
        v = it.val
        if not _underscores_ok(v):
            self.panic_item(
                it, f"Invalid integer {go_quote(v)}: underscores must be surrounded by digits"
            )
        if _has_leading_zero(v):
            self.panic_item(it, f"Invalid integer {go_quote(v)}: cannot have leading zeroes")
        body = v.replace("_", "")
        sign = -1 if body.startswith("-") else 1
        body = body.lstrip("+-")
        base = {"0x": 16, "0o": 8, "0b": 2}.get(body[:2], 10)
        n = sign * int(body[2:] if base != 10 else body, base)
        if not -(1 << 63) <= n < (1 << 63):
            self.panic_item(it, f"{v} is out of range for int64")
        return Int64(n)

    def value_float(self, it: Item) -> float:
        v = it.val
        parts = [p for p in re.split(r"[.eE]", v) if p]
        for part in parts:
            if not _underscores_ok(part):
                self.panic_item(
                    it, f"Invalid float {go_quote(v)}: underscores must be surrounded by digits"
                )
        if parts and _has_leading_zero(parts[0]):
            self.panic_item(it, f"Invalid float {go_quote(v)}: cannot have leading zeroes")
        if not _periods_ok(v):
            self.panic_item(
                it, f"Invalid float {go_quote(v)}: '.' must be followed by one or more digits"
            )
        val = v.replace("_", "")
        neg_nan = val == "-nan"
        if val in ("+nan", "-nan"):
            val = "nan"
        if not re.fullmatch(r"[+-]?(inf|nan|(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)", val):
            self.panic_item(it, f"Invalid float value: {go_quote(v)}")
        num = float(val)
        if math.isinf(num) and "inf" not in val:
            self.panic_item(it, f"{v} is out of range for float64")
        if neg_nan:
            num = math.copysign(num, -1)
        return num

    def value_datetime(self, it: Item) -> gotime.GoTime:
        v = it.val.replace("z", "Z").replace("t", "T").replace(" ", "T")
        off = _local_offset()
        for layout, zone in (
            ("2006-01-02T15:04:05.999999999Z07:00", None),
            ("2006-01-02T15:04:05.999999999", "datetime-local"),
            ("2006-01-02", "date-local"),
            ("15:04:05.999999999", "time-local"),
            ("2006-01-02T15:04Z07:00", None),
            ("2006-01-02T15:04", "datetime-local"),
            ("15:04", "time-local"),
        ):
            loc = gotime.local_zone() if zone is None else FixedZone(zone, off)
            try:
                t = gotime.go_parse(layout, v, loc)
            except golayout.TimeParseError:
                continue
            if _missing_leading_zero(v, layout):
                break
            return t
        self.panic_item(it, f"invalid datetime: {go_quote(v)}")
        raise AssertionError  # pragma: no cover

    def value_array(self, it: Item) -> tuple[list[Any], str]:
        self.set_type(self.current_key, _ARRAY)
        array: list[Any] = []
        it = self.next()
        while it.typ != ARRAY_END:
            if it.typ == COMMENT_START:
                self.expect(TEXT)
            else:
                val, _ = self.value(it, True)
                array.append(val)
            it = self.next()
        return array, _ARRAY

    def value_inline_table(self, it: Item, parent_is_array: bool) -> tuple[dict[str, Any], str]:
        top: dict[str, Any] = {}
        outer_context, outer_key = self.context, self.current_key
        self.context = self.context + [self.current_key]
        prev_context = self.context
        self.current_key = ""
        self.add_implicit(self.context)
        self.add_context(self.context, parent_is_array)
        it = self.next()
        while it.typ != INLINE_TABLE_END:
            if it.typ == COMMENT_START:
                self.expect(TEXT)
                it = self.next()
                continue
            key = self.read_key(KEY_END)
            self.current_key = key[-1]
            parent = key[:-1]
            for i in range(len(parent)):
                self.add_implicit_context(self.context + parent[i : i + 1])
            val, typ = self.value(self.next(), False)
            self.set_value(self.current_key, val)
            self.set_type(self.current_key, typ)
            h: Any = top
            for c in parent:
                if c not in h:
                    h[c] = {}
                h = h[c]
                if not isinstance(h, dict):
                    self.panicf(f"{go_quote(_key_str(self.context))} is not a table")
            h[self.current_key] = val
            self.context = prev_context
            it = self.next()
        self.context, self.current_key = outer_context, outer_key
        return top, _HASH

    # -- tables ----------------------------------------------------------------
    def add_context(self, key: list[str], array: bool) -> None:
        h: dict[str, Any] = self.mapping
        kc: list[str] = []
        for k in key[:-1]:
            kc.append(k)
            if k not in h:
                self.add_implicit(kc)
                h[k] = {}
            t = h[k]
            if isinstance(t, TableArray):
                h = t[-1]
            elif isinstance(t, dict):
                h = t
            else:
                self.panicf(f"Key '{_key_str(kc)}' was already created as a hash.")
        self.context = kc
        if array:
            k = key[-1]
            if k not in h:
                h[k] = TableArray()
            if isinstance(h[k], TableArray):
                h[k].append({})
            else:
                self.panicf(
                    f"Key '{_key_str(key)}' was already created and cannot be used as an array."
                )
        else:
            self.set_value(key[-1], {})
        self.context = kc + [key[-1]]

    def set_value(self, key: str, value: Any) -> None:
        h: dict[str, Any] = self.mapping
        kc: list[str] = []
        for k in self.context:
            kc.append(k)
            t = h.get(k)
            if isinstance(t, TableArray):
                h = t[-1]
            elif isinstance(t, dict):
                h = t
            else:
                self.panicf(f"Key '{_key_str(kc)}' has already been defined.")
        kc.append(key)
        if key in h:
            ks = _key_str(kc)
            if self.key_info.get(ks) == _ARRAY:
                self.implicits.discard(ks)
                h[key] = value
                return
            if ks in self.implicits:
                self.implicits.discard(ks)
                return
            self.panicf(f"Key '{ks}' has already been defined.")
        h[key] = value

    def set_type(self, key: str, typ: str) -> None:
        kc = self.context + [key] if key else list(self.context)
        if not kc:
            kc = [""]
        self.key_info[_key_str(kc)] = typ

    def add_implicit(self, key: list[str]) -> None:
        self.implicits.add(_key_str(key))

    def add_implicit_context(self, key: list[str]) -> None:
        self.add_implicit(key)
        self.add_context(key, False)

    # -- strings ---------------------------------------------------------------
    def replace_escapes(self, it: Item, s: str) -> str:
        out = []
        i = 0
        n = len(s)
        while i < n:
            c = s[i]
            if c != "\\":
                out.append(c)
                i += 1
                continue
            e = s[i + 1]
            if e == " " or e == "\t":
                self.panic_item(it, f"invalid escape: '\\{e}'")
            simple = _SIMPLE_ESCAPES.get(e)
            if simple is not None:
                out.append(simple)
                i += 2
            elif e in "xuU":
                width = {"x": 2, "u": 4, "U": 8}[e]
                digits = s[i + 2 : i + 2 + width]
                cp = int(digits, 16)
                if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
                    self.panic_item(it, f"Escaped character '\\u{digits}' is not valid UTF-8.")
                out.append(chr(cp))
                i += 2 + width
            else:  # pragma: no cover - the lexer rejects other escapes
                raise RuntimeError("BUG: bad escape")
        return "".join(out)


_SIMPLE_ESCAPES = {
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    '"': '"',
    "\\": "\\",
}


def _strip_first_newline(s: str) -> str:
    if s.startswith("\n"):
        return s[1:]
    if s.startswith("\r\n"):
        return s[2:]
    return s


def _strip_escaped_newlines(s: str) -> str:
    """Drop a line-ending backslash and the whitespace after it (multi-line strings)."""
    out = []
    i = 0
    while True:
        ix = s.find("\\", i)
        if ix < 0:
            out.append(s)
            return "".join(out)
        i = ix
        if i + 1 < len(s) and s[i + 1] == "\\":
            i += 2
            continue
        j = i + 1
        while j < len(s) and s[j] in " \t\r\n":
            j += 1
        if j == i + 1 or "\n" not in s[i:j]:
            i += 1
            continue
        out.append(s[:i])
        s = s[j:]
        i = 0


def _has_leading_zero(s: str) -> bool:
    if len(s) > 1 and s[0] == "0" and s[1] not in "box":
        return True
    return len(s) > 2 and s[0] in "+-" and s[1] == "0"


def _underscores_ok(s: str) -> bool:
    if s in ("nan", "+nan", "-nan", "inf", "-inf", "+inf"):
        return True
    accept = False
    for r in s:
        if r == "_" and not accept:
            return False
        accept = is_hex(r)
    return accept


def _periods_ok(s: str) -> bool:
    period = False
    for r in s:
        if period and not is_digit(r):
            return False
        period = r == "."
    return not period


def _missing_leading_zero(d: str, layout: str) -> bool:
    for i, c in enumerate(layout):
        if c == "." or c == "Z":
            return False
        if not ("0" <= c <= "9") and (i >= len(d) or d[i] != c):
            return True
    return False


def loads(text: str) -> dict[str, Any]:
    """toml.Unmarshal into a map: the decoded document, or raise :class:`TOMLError`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text[:6]:
        raise TOMLError(
            "files cannot contain NULL bytes; probably using UTF-16; TOML files must be UTF-8",
            1,
            "",
        )
    try:
        return _Parser(text).parse()
    except _Abort as e:
        raise e.err from None
