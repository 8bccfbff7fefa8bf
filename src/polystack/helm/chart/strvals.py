"""Helm's `--set` family parsers (pkg/strvals): parser.go and literal_parser.go.

The grammar is Helm's: `name1=value1,name2=value2`, dotted keys for maps,
`name[3]` for list indexes, `{a,b}` for lists, backslash escapes in the
non-literal parsers. Errors carry Helm's message text.
"""

from __future__ import annotations

from collections.abc import Callable

from polystack.helm.golang.strconv import quote as go_quote
from polystack.helm.golang.types import type_of

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_INDEX = 65536
MAX_NESTED_NAME_LEVEL = 30


class StrvalsError(Exception):
    """A parse error with Helm's message."""


class _EOF(StrvalsError):
    def __init__(self) -> None:
        super().__init__("EOF")


class _NotList(StrvalsError):
    def __init__(self) -> None:
        super().__init__("not a list")


class _Panic(Exception):
    """A Go runtime panic (failed type assertion), recovered in key()."""


def _go_type(v: Any) -> str:
    """The Go type of a parsed value: strvals' integers are int64s."""
    if v is None:
        return "nil"
    if type(v) is int:
        return "int64"
    return type_of(v)


def _assert(v: Any, typ: type, go_name: str) -> Any:
    if isinstance(v, typ):
        return v
    raise _Panic(f"interface conversion: interface {{}} is {_go_type(v)}, not {go_name}")


class _Scanner:
    __slots__ = ("s", "pos")

    def __init__(self, s: str) -> None:
        self.s = s
        self.pos = 0

    def read(self) -> str | None:
        if self.pos >= len(self.s):
            return None
        c = self.s[self.pos]
        self.pos += 1
        return c

    def unread(self) -> None:
        self.pos -= 1

    def rest(self) -> str:
        return self.s[self.pos :]


def _runes_until(sc: _Scanner, stop: str, escapes: bool = True) -> tuple[str, str | None, bool]:
    """Return (runes, last, eof)."""
    out: list[str] = []
    while True:
        r = sc.read()
        if r is None:
            return "".join(out), None, True
        if r in stop:
            return "".join(out), r, False
        if escapes and r == "\\":
            nxt = sc.read()
            if nxt is None:
                return "".join(out), None, True
            out.append(nxt)
        else:
            out.append(r)


def _atoi(s: str) -> int:
    body = s[1:] if s[:1] in "+-" else s
    if not body or not body.isdigit() or not body.isascii():
        raise StrvalsError(f'strconv.Atoi: parsing "{_go_escape(s)}": invalid syntax')
    v = int(s)
    if not -(2**63) <= v < 2**63:
        raise StrvalsError(f'strconv.Atoi: parsing "{_go_escape(s)}": value out of range')
    return v


def _go_escape(s: str) -> str:
    import json  # only for an error message

    return json.dumps(s, ensure_ascii=False)[1:-1]


def _rune_list(s: str) -> str:
    """Go's %q of a []rune: each rune quoted, space separated, in brackets."""
    from polystack.helm.golang.strconv import quote_rune

    return "[" + " ".join(quote_rune(ord(c)) for c in s) + "]"


def typed_val(v: str, st: bool) -> Any:
    if st:
        return v
    low = v.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    if low == "null":
        return None
    if v == "0":
        return _int64(0)
    if v and v[0] != "0":
        body = v[1:] if v[0] in "+-" else v
        if body and body.isascii() and body.isdigit():
            iv = int(v)
            if -(2**63) <= iv < 2**63:
                return _int64(iv)
    return v


def _int64(v: int) -> int:
    try:
        from polystack.helm.golang.types import Int64
    except ImportError:  # TEMPLATE has not landed gotypes yet
        return v
    return Int64(v)


def _set(data: dict, key: str, val: Any) -> None:
    if key:
        data[key] = val


def _set_index(lst: list, index: int, val: Any) -> list:
    if index < 0:
        raise StrvalsError(f"negative {index} index not allowed")
    if index > MAX_INDEX:
        raise StrvalsError(
            f"index of {index} is greater than maximum supported index of {MAX_INDEX}"
        )
    if len(lst) <= index:
        lst = lst + [None] * (index + 1 - len(lst))
    lst[index] = val
    return lst


class Parser:
    """One strvals parser: typed (`--set`), string (`--set-string`), file
    (`--set-file`, with a reader) or JSON (`--set-json`)."""

    def __init__(
        self,
        text: str,
        data: dict,
        reader: Callable[[str], Any] | None = None,
        *,
        string_values: bool = False,
        json_values: bool = False,
    ) -> None:
        self.sc = _Scanner(text)
        self.data = data
        self.isjson = json_values
        if reader is None:
            self.reader: Callable[[str], Any] = lambda rs: typed_val(rs, string_values)
        else:
            self.reader = reader

    def parse(self) -> None:
        while True:
            try:
                self.key(self.data, 0)
            except _EOF:
                return

    def key(self, data: dict, level: int) -> None:
        try:
            self._key(data, level)
        except _Panic as p:
            raise StrvalsError(f"unable to parse key: {p}") from None

    def _key(self, data: dict, level: int) -> None:
        sc = self.sc
        k, last, eof = _runes_until(sc, "=[,.")
        if eof:
            if not k:
                raise _EOF()
            raise StrvalsError(f"key {go_quote(k)} has no value")
        if last == "[":
            try:
                i = self.key_index()
            except _EOF:
                raise  # errors.Is(err, io.EOF) still holds through Go's %w
            except StrvalsError as e:
                raise StrvalsError(f"error parsing index: {e}") from None
            lst: list = []
            if k in data:
                lst = _assert(data[k], list, "[]interface {}")
            err: StrvalsError | None = None
            try:
                lst = self.list_item(lst, i, level)
            except _Panic:
                raise
            except StrvalsError as e:
                err = e
                lst = getattr(e, "list", lst)
            _set(data, k, lst)
            if err is not None:
                raise err
            return
        if last == "=":
            if self.isjson:
                self._json_value(lambda v: _set(data, k, v))
                return
            try:
                vl = self.val_list()
            except _EOF:
                _set(data, k, "")
                raise
            except _NotList:
                rs, _ = self.val()
                _set(data, k, self.reader(rs))
                return
            _set(data, k, vl)
            return
        if last == ",":
            _set(data, k, "")
            raise StrvalsError(f"key {go_quote(k)} has no value (cannot end with ,)")
        # last == "."
        level += 1
        if level > MAX_NESTED_NAME_LEVEL:
            raise StrvalsError(
                "value name nested level is greater than maximum supported nested level"
                f" of {MAX_NESTED_NAME_LEVEL}"
            )
        inner: dict = {}
        if k in data:
            inner = _assert(data[k], dict, "map[string]interface {}")
        try:
            self.key(inner, level)
        except StrvalsError:
            if inner:
                _set(data, k, inner)
            raise
        if not inner:
            raise StrvalsError(f"key map {go_quote(k)} has no value")
        _set(data, k, inner)

    def _json_value(self, store: Callable[[Any], None]) -> None:
        if self.empty_val():
            store(None)
            return
        text = self.sc.rest()
        from polystack.helm.encoding import jsongo, yamlgo

        try:
            value, end = jsongo.decode(text)
        except yamlgo.EncodingError as e:
            raise StrvalsError(str(e)) from None
        store(value)
        self.sc.pos += end
        self.empty_val()

    def empty_val(self) -> bool:
        while True:
            r = self.sc.read()
            if r is None or r == ",":
                return True
            if not r.isspace():
                self.sc.unread()
                return False

    def key_index(self) -> int:
        v, _, eof = _runes_until(self.sc, "]")
        if eof:
            raise _EOF()
        return _atoi(v)

    def list_item(self, lst: list, i: int, level: int) -> list:
        if i < 0:
            raise StrvalsError(f"negative {i} index not allowed")
        sc = self.sc
        k, last, eof = _runes_until(sc, "[.=")
        if k:
            raise StrvalsError(f"unexpected data at end of array index: {_rune_list(k)}")
        if eof:
            raise _EOF()
        if last == "=":
            if self.isjson:
                box: list = []
                self._json_value(box.append)
                return _set_index(lst, i, box[0])
            try:
                vl = self.val_list()
            except _EOF:
                return _set_index(lst, i, "")
            except _NotList:
                rs, _ = self.val()
                return _set_index(lst, i, self.reader(rs))
            return _set_index(lst, i, vl)
        if last == "[":
            try:
                next_i = self.key_index()
            except _EOF:
                raise  # errors.Is(err, io.EOF) still holds through Go's %w
            except StrvalsError as e:
                raise StrvalsError(f"error parsing index: {e}") from None
            crt: list = []
            if len(lst) > i and lst[i] is not None:
                crt = _assert(lst[i], list, "[]interface {}")
            lst2 = self.list_item(crt, next_i, level)
            return _set_index(lst, i, lst2)
        # last == "."
        inner: dict = {}
        if len(lst) > i:
            if isinstance(lst[i], dict):
                inner = lst[i]
            else:
                lst[i] = inner
        self.key(inner, level)
        return _set_index(lst, i, inner)

    def val(self) -> tuple[str, bool]:
        v, _, eof = _runes_until(self.sc, ",")
        return v, eof

    def val_list(self) -> list:
        r = self.sc.read()
        if r is None:
            raise _EOF()
        if r != "{":
            self.sc.unread()
            raise _NotList()
        out: list = []
        while True:
            rs, last, eof = _runes_until(self.sc, ",}")
            if eof:
                raise StrvalsError("list must terminate with '}'")
            if last == "}":
                r = self.sc.read()
                if r is not None and r != ",":
                    self.sc.unread()
                out.append(self.reader(rs))
                return out
            out.append(self.reader(rs))


class LiteralParser:
    """`--set-literal`: the value after `=` is taken verbatim, no escapes."""

    def __init__(self, text: str, data: dict) -> None:
        self.sc = _Scanner(text)
        self.data = data

    def parse(self) -> None:
        while True:
            try:
                self.key(self.data, 0)
            except _EOF:
                return

    def key(self, data: dict, level: int) -> None:
        try:
            self._key(data, level)
        except _Panic as p:
            raise StrvalsError(f"unable to parse key: {p}") from None

    def _key(self, data: dict, level: int) -> None:
        k, last, eof = _runes_until(self.sc, "=[.", escapes=False)
        if eof:
            if not k:
                raise _EOF()
            raise StrvalsError(f"key {go_quote(k)} has no value")
        if last == "=":
            _set(data, k, self.val())
            return
        if last == ".":
            level += 1
            if level > MAX_NESTED_NAME_LEVEL:
                raise StrvalsError(
                    "value name nested level is greater than maximum supported nested level"
                    f" of {MAX_NESTED_NAME_LEVEL}"
                )
            inner: dict = {}
            if k in data:
                inner = _assert(data[k], dict, "map[string]interface {}")
            try:
                self.key(inner, level)
            except StrvalsError:
                if inner:
                    _set(data, k, inner)
                raise
            if not inner:
                raise StrvalsError(f"key map {go_quote(k)} has no value")
            _set(data, k, inner)
            return
        try:
            i = self.key_index()
        except _EOF:
            raise  # errors.Is(err, io.EOF) still holds through Go's %w
        except StrvalsError as e:
            raise StrvalsError(f"error parsing index: {e}") from None
        lst: list = []
        if k in data:
            lst = _assert(data[k], list, "[]interface {}")
        try:
            lst = self.list_item(lst, i, level)
        finally:
            _set(data, k, lst)

    def key_index(self) -> int:
        v, _, eof = _runes_until(self.sc, "]", escapes=False)
        if eof:
            raise _EOF()
        return _atoi(v)

    def list_item(self, lst: list, i: int, level: int) -> list:
        if i < 0:
            raise StrvalsError(f"negative {i} index not allowed")
        k, last, eof = _runes_until(self.sc, "[.=", escapes=False)
        if k:
            raise StrvalsError(f"unexpected data at end of array index: {_rune_list(k)}")
        if eof:
            raise _EOF()
        if last == "=":
            return _set_index(lst, i, self.val())
        if last == ".":
            inner: dict = {}
            if len(lst) > i:
                if isinstance(lst[i], dict):
                    inner = lst[i]
                else:
                    lst[i] = inner
            self.key(inner, level)
            return _set_index(lst, i, inner)
        try:
            next_i = self.key_index()
        except _EOF:
            raise  # errors.Is(err, io.EOF) still holds through Go's %w
        except StrvalsError as e:
            raise StrvalsError(f"error parsing index: {e}") from None
        crt: list = []
        if len(lst) > i and lst[i] is not None:
            crt = _assert(lst[i], list, "[]interface {}")
        return _set_index(lst, i, self.list_item(crt, next_i, level))

    def val(self) -> str:
        v, _, _ = _runes_until(self.sc, "", escapes=False)
        return v


def parse(s: str) -> dict:
    """strvals.Parse (`--set`)."""
    out: dict = {}
    Parser(s, out).parse()
    return out


def parse_into(s: str, dest: dict) -> None:
    Parser(s, dest).parse()


def parse_string(s: str) -> dict:
    out: dict = {}
    Parser(s, out, string_values=True).parse()
    return out


def parse_into_string(s: str, dest: dict) -> None:
    Parser(s, dest, string_values=True).parse()


def parse_json(s: str, dest: dict) -> None:
    Parser(s, dest, json_values=True).parse()


def parse_file(s: str, reader: Callable[[str], Any]) -> dict:
    out: dict = {}
    Parser(s, out, reader).parse()
    return out


def parse_into_file(s: str, dest: dict, reader: Callable[[str], Any]) -> None:
    Parser(s, dest, reader).parse()


def parse_literal(s: str) -> dict:
    out: dict = {}
    LiteralParser(s, out).parse()
    return out


def parse_literal_into(s: str, dest: dict) -> None:
    LiteralParser(s, dest).parse()
