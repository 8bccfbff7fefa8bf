"""kubectl's JSONPath (k8s.io/client-go/util/jsonpath, as Helm's `show values
--jsonpath` uses it through cli-runtime's JSONPathPrinter), on Helm's values
(dicts, lists, strings, float64 numbers, booleans and nulls).

Templates are text with `{...}` actions: `{.a.b}`, `{$.a}`, `{@}`, `{.a[0]}`,
`{.a[-1]}`, `{.a[1:3]}`, `{.a[::2]}`, `{.a[*]}`, `{.a[0,2]}`, `{['a.b']}`,
`{..name}` (recursive descent), `{.a.*}`, filters `{.a[?(@.x=="y")]}`
(`==`, `!=`, `<`, `<=`, `>`, `>=`, and a bare path for "exists"), `{range
.a[*]}...{end}`, quoted text `{"\\n"}`, and `\\.` to escape a dot in a field name.

Output is client-go's PrintResults: the values an action finds are joined by a
space; maps and lists are printed as Go's encoding/json prints them (sorted keys,
HTML escaping), strings as they are, numbers and booleans as Go's fmt prints them.
The parser and the evaluator follow parser.go and jsonpath.go step by step,
quirks included (comparisons between a float64 value and an integer literal are
"incompatible types", as in Go). One difference: Go visits a map's entries in a
random order for `*` and `..`; here they come in key order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from polystack.helm.golang.types import type_of

__all__ = ["JSONPath", "JSONPathError"]


class JSONPathError(Exception):
    """A parse or execution error; str() is client-go's text. `partial` is what the
    failing evaluation step returned along with its error in Go (a filter's
    "exists" test looks at it)."""

    def __init__(self, message: str, partial: list[Any] | None = None) -> None:
        super().__init__(message)
        self.partial: list[Any] = partial or []


# ---------------------------------------------------------------- nodes (node.go)


@dataclass(eq=False)
class ListNode:
    nodes: list[Any] = field(default_factory=list)


@dataclass(eq=False)
class TextNode:
    text: str


@dataclass(eq=False)
class FieldNode:
    value: str


@dataclass(eq=False)
class IdentifierNode:
    name: str


@dataclass(eq=False)
class ParamsEntry:
    value: int = 0
    known: bool = False
    derived: bool = False


@dataclass(eq=False)
class ArrayNode:
    params: list[ParamsEntry]


@dataclass(eq=False)
class FilterNode:
    left: ListNode
    right: ListNode
    operator: str


@dataclass(eq=False)
class LiteralNode:
    """IntNode, FloatNode or BoolNode: a number or boolean of the template."""

    value: int | float | bool


@dataclass(eq=False)
class WildcardNode:
    pass


@dataclass(eq=False)
class RecursiveNode:
    pass


@dataclass(eq=False)
class UnionNode:
    nodes: list[ListNode]


class _GoInt(int):
    """A Go `int` (the parser's integer literals), as opposed to an int64 value."""

    go_type_name = "int"


class _Byte(int):
    """A Go `uint8`: what `*` and `..` find in a string."""

    go_type_name = "uint8"


class _Invalid:
    """reflect.ValueOf(nil): the zero reflect.Value (a range over nothing)."""

    def __repr__(self) -> str:
        return "<invalid reflect.Value>"


INVALID = _Invalid()

# ---------------------------------------------------------------- parser (parser.go)

_EOF = ""
_DICT_KEY_RE = re.compile(r"^'([^']*)'$")
_SLICE_RE = re.compile(r"^(-?[0-9]*)(:-?[0-9]*)?(:-?[0-9]*)?$")
_FILTER_RE = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$")
_INT_RE = re.compile(r"^[+-]?[0-9]+$")
_FLOAT_RE = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$")


def _is_terminator(r: str) -> bool:
    return r in (" ", "\t", "\r", "\n", _EOF, ".", ",", "[", "]", "$", "@", "{", "}")


def _is_alnum(r: str) -> bool:
    return r != _EOF and (r == "_" or r.isalpha() or r.isdecimal())


def _go_quote_rune(r: str) -> str:
    """fmt's %#U: U+0021 '!'."""
    code = f"U+{ord(r):04X}"
    return f"{code} '{r}'" if r.isprintable() else code


class _Parser:
    def __init__(self, name: str) -> None:
        self.name = name
        self.root = ListNode()
        self.input = ""
        self.pos = 0
        self.start = 0
        self.width = 0

    def parse(self, text: str) -> None:
        self.input = text
        self.root = ListNode()
        self.pos = 0
        self._parse_text(self.root)

    def _consume(self) -> str:
        v = self.input[self.start : self.pos]
        self.start = self.pos
        return v

    def _next(self) -> str:
        if self.pos >= len(self.input):
            self.width = 0
            return _EOF
        self.width = 1
        self.pos += 1
        return self.input[self.pos - 1]

    def _peek(self) -> str:
        r = self._next()
        self._backup()
        return r

    def _backup(self) -> None:
        self.pos -= self.width

    def _parse_text(self, cur: ListNode) -> None:
        # iterative rather than Go's mutual recursion: the same node sequence
        while True:
            while True:
                if self.input.startswith("{", self.pos):
                    if self.pos > self.start:
                        cur.nodes.append(TextNode(self._consume()))
                    break
                if self._next() == _EOF:
                    if self.pos > self.start:
                        cur.nodes.append(TextNode(self._consume()))
                    return
            self.pos += 1  # parseLeftDelim
            self._consume()
            action = ListNode()
            cur.nodes.append(action)
            self._parse_inside_action(action)
            cur = self.root

    def _parse_inside_action(self, cur: ListNode) -> None:
        """Up to and including the action's `}`."""
        while True:
            rest = self.input[self.pos :]
            if rest.startswith("}"):  # parseRightDelim
                self.pos += 1
                self._consume()
                return
            if rest.startswith("[?("):
                self._parse_filter(cur)
                continue
            if rest.startswith(".."):
                self._parse_recursive(cur)
                continue
            r = self._next()
            if r == _EOF or r in ("\r", "\n"):
                raise JSONPathError("unclosed action")
            if r == " " or r in ("@", "$"):
                self._consume()
            elif r == "[":
                self._parse_array(cur)
            elif r in ('"', "'"):
                self._parse_quote(cur, r)
            elif r == ".":
                self._parse_field(cur)
            elif r in ("+", "-") or r.isdecimal():
                self._backup()
                self._parse_number(cur)
            elif _is_alnum(r):
                self._backup()
                self._parse_identifier(cur)
            else:
                raise JSONPathError(f"unrecognized character in action: {_go_quote_rune(r)}")

    def _parse_identifier(self, cur: ListNode) -> None:
        while True:
            if _is_terminator(self._next()):
                self._backup()
                break
        value = self._consume()
        if value in ("true", "false"):
            cur.nodes.append(LiteralNode(value == "true"))
        else:
            cur.nodes.append(IdentifierNode(value))

    def _parse_recursive(self, cur: ListNode) -> None:
        if cur.nodes and isinstance(cur.nodes[-1], RecursiveNode):
            raise JSONPathError("invalid multiple recursive descent")
        self.pos += 2
        self._consume()
        cur.nodes.append(RecursiveNode())
        if _is_alnum(self._peek()):
            self._parse_field(cur)

    def _parse_number(self, cur: ListNode) -> None:
        if self._peek() in ("+", "-"):
            self._next()
        while True:
            r = self._next()
            if r != "." and not r.isdecimal():
                self._backup()
                break
        value = self._consume()
        if _INT_RE.match(value) and -(1 << 63) <= int(value) < (1 << 63):
            cur.nodes.append(LiteralNode(_GoInt(int(value))))
        elif _FLOAT_RE.match(value):
            cur.nodes.append(LiteralNode(float(value)))
        else:
            raise JSONPathError(f"cannot parse number {value}")

    def _parse_array(self, cur: ListNode) -> None:
        while True:
            r = self._next()
            if r in (_EOF, "\n"):
                raise JSONPathError("unterminated array")
            if r == "]":
                break
        text = self._consume()[1:-1]
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:  # union
            union = [_parse_action("union", f"[{p.strip(' ')}]").root for p in parts]
            cur.nodes.append(UnionNode(union))
            return
        m = _DICT_KEY_RE.match(text)
        if m:
            cur.nodes.extend(_parse_action("arraydict", "." + m.group(1)).root.nodes)
            return
        m = _SLICE_RE.match(text)
        if not m:
            raise JSONPathError(f"invalid array index {text}")
        values = [g or "" for g in m.groups()]
        params = [ParamsEntry(), ParamsEntry(), ParamsEntry()]
        for i in range(3):
            if values[i]:
                if i > 0:
                    values[i] = values[i][1:]
                if i > 0 and not values[i]:
                    params[i].known = False
                else:
                    params[i].known = True
                    if not _INT_RE.match(values[i]):
                        raise JSONPathError(f"array index {values[i]} is not a number")
                    params[i].value = int(values[i])
            elif i == 1:
                params[i] = ParamsEntry(params[0].value + 1, True, True)
            else:
                params[i] = ParamsEntry(0, False)
        cur.nodes.append(ArrayNode(params))

    def _parse_filter(self, cur: ListNode) -> None:
        self.pos += 3
        self._consume()
        begin = end = False
        pair = ""
        while True:
            r = self._next()
            if r in (_EOF, "\n"):
                raise JSONPathError("unterminated filter")
            if r in ('"', "'"):
                if not begin:
                    begin, pair = True, r
                    continue
                if self.input[self.pos - 2] != "\\" and r == pair:
                    end = True
            elif r == ")" and begin == end:
                break
        if self._next() != "]":
            raise JSONPathError("unclosed array expect ]")
        text = self._consume()[:-2]
        m = _FILTER_RE.match(text)
        if m is None:
            cur.nodes.append(FilterNode(_parse_action("text", text).root, ListNode(), "exists"))
        else:
            left = _parse_action("left", m.group(1)).root
            right = _parse_action("right", m.group(3)).root
            cur.nodes.append(FilterNode(left, right, m.group(2)))

    def _parse_quote(self, cur: ListNode, end: str) -> None:
        while True:
            r = self._next()
            if r in (_EOF, "\n"):
                raise JSONPathError("unterminated quoted string")
            if r == end and self.input[self.pos - 2] != "\\":
                break
        value = self._consume()
        try:
            s = _unquote_extend(value)
        except ValueError as e:
            raise JSONPathError(f"unquote string {value} error {e}") from None
        cur.nodes.append(TextNode(s))

    def _parse_field(self, cur: ListNode) -> None:
        self._consume()
        while self._advance():
            pass
        value = self._consume()
        if value == "*":
            cur.nodes.append(WildcardNode())
        else:
            cur.nodes.append(FieldNode(value.replace("\\", "")))

    def _advance(self) -> bool:
        r = self._next()
        if r == "\\":
            self._next()
        elif _is_terminator(r):
            self._backup()
            return False
        return True


def _parse_action(name: str, text: str) -> _Parser:
    """parseAction: text parsed as the inside of one action."""
    p = _Parser(name)
    p.parse("{" + text + "}")
    p.root = p.root.nodes[0]
    return p


_SIMPLE_ESC = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}


def _unquote_extend(s: str) -> str:
    """UnquoteExtend: strconv.Unquote that also takes single-quoted strings;
    ValueError("invalid syntax") as strconv.ErrSyntax."""
    if len(s) < 2 or s[0] != s[-1] or s[0] not in ('"', "'"):
        raise ValueError("invalid syntax")
    quote, body = s[0], s[1:-1]
    if "\\" not in body and quote not in body:
        return body
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c == quote:
            raise ValueError("invalid syntax")
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        if i + 1 >= len(body):
            raise ValueError("invalid syntax")
        e = body[i + 1]
        i += 2
        if e in _SIMPLE_ESC:
            out.append(_SIMPLE_ESC[e])
        elif e in ("'", '"'):
            if e != quote:
                raise ValueError("invalid syntax")
            out.append(ord(e))
        elif e in ("x", "u", "U"):
            n = {"x": 2, "u": 4, "U": 8}[e]
            digits = body[i : i + n]
            if len(digits) != n or not all(ch in "0123456789abcdefABCDEF" for ch in digits):
                raise ValueError("invalid syntax")
            v = int(digits, 16)
            i += n
            if e == "x":
                out.append(v)
            elif v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
                raise ValueError("invalid syntax")
            else:
                out += chr(v).encode()
        elif e in "01234567":
            digits = body[i - 1 : i + 2]
            if len(digits) != 3 or not all(ch in "01234567" for ch in digits):
                raise ValueError("invalid syntax")
            v = int(digits, 8)
            if v > 255:
                raise ValueError("invalid syntax")
            out.append(v)
            i += 2
        else:
            raise ValueError("invalid syntax")
    return out.decode("utf-8", "replace")


# ---------------------------------------------------------------- Go types and printing


def _go_type(v: Any) -> str:
    """The Go type name of a value (reflect.Value.Type) after Indirect: decoded
    integers are int64s, a list of any kind is []interface {}."""
    if v is INVALID:
        return "<invalid reflect.Value>"
    if type(v) is int:
        return "int64"
    if isinstance(v, list | tuple) and not hasattr(type(v), "go_type_name"):
        return "[]interface {}"
    return type_of(v)


def _go_sprint(v: Any) -> str:
    """fmt.Fprint of a value (what evalToText writes)."""
    from polystack.helm.golang.strconv import format_float_g

    if v is INVALID:
        return "<no value>"
    if v is None:
        return "<nil>"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        return format_float_g(v)
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{_go_sprint(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list | tuple):
        return "[" + " ".join(_go_sprint(x) for x in v) + "]"
    return str(v)


def _is_container(v: Any) -> bool:
    return isinstance(v, dict | list | tuple)


def _children(v: Any) -> list[Any]:
    """What `*` finds in a value: map values, list items, a string's bytes."""
    if isinstance(v, dict):
        return [v[k] for k in sorted(v, key=str)]
    if isinstance(v, list | tuple):
        return list(v)
    if isinstance(v, str):
        return [_Byte(b) for b in v.encode()]
    return []


# text/template's comparison kinds (third_party/forked/golang/template/funcs.go)
_BAD_TYPE = "invalid type for comparison"
_INCOMPATIBLE = "incompatible types for comparison"


def _basic_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, _Byte):
        return "uint"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    raise JSONPathError(_BAD_TYPE)


def _equal(a: Any, b: Any) -> bool:
    k1, k2 = _basic_kind(a), _basic_kind(b)
    if k1 != k2:
        if {k1, k2} == {"int", "uint"}:
            return int(a) == int(b)
        raise JSONPathError(_INCOMPATIBLE)
    return bool(a == b)


def _less(a: Any, b: Any) -> bool:
    k1, k2 = _basic_kind(a), _basic_kind(b)
    if k1 != k2:
        if {k1, k2} == {"int", "uint"}:
            return int(a) < int(b)
        raise JSONPathError(_INCOMPATIBLE)
    if k1 == "bool":
        raise JSONPathError(_BAD_TYPE)
    return bool(a < b)


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "<":
        return _less(a, b)
    if op == ">":
        return not (_less(a, b) or _equal(a, b))
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if op == "<=":
        return _less(a, b) or _equal(a, b)
    if op == ">=":
        return not _less(a, b)
    raise JSONPathError(f"unrecognized filter operator {op}")


# ---------------------------------------------------------------- evaluation (jsonpath.go)


class JSONPath:
    """A parsed template (jsonpath.New(name).Parse(text))."""

    def __init__(self, name: str = "out", allow_missing_keys: bool = False) -> None:
        self.name = name
        self.allow_missing_keys = allow_missing_keys
        self._root: list[Any] | None = None
        self._begin_range = 0
        self._in_range = 0
        self._end_range = 0
        self._last_end_node: Any = None

    @classmethod
    def parse(cls, text: str, name: str = "out", allow_missing_keys: bool = False) -> JSONPath:
        """Parse a template; JSONPathError with client-go's parse error text."""
        j = cls(name, allow_missing_keys)
        p = _Parser(name)
        p.parse(text)
        j._root = p.root.nodes
        return j

    def execute(self, data: Any) -> str:
        """Execute: every result of every action, printed (JSONPathError on failure,
        with nothing printed: client-go finds all results before printing)."""
        return "".join(self._print_results(r) for r in self.find_results(data))

    def find_results(self, data: Any) -> list[list[Any]]:
        if self._root is None:
            raise JSONPathError(f"{self.name} is an incomplete jsonpath template")
        cur = [INVALID if data is None else data]
        nodes = self._root
        full: list[list[Any]] = []
        i = 0
        while i < len(nodes):
            node = nodes[i]
            results = self._walk(cur, node)
            if 0 < self._end_range <= self._in_range:  # an end node: this block is over
                self._end_range -= 1
                self._last_end_node = node
                break
            if self._begin_range > 0:  # a range node: loop over its results
                self._begin_range -= 1
                self._in_range += 1
                if results:
                    for value in results:
                        self._root = nodes[i + 1 :]
                        full.extend(self.find_results(value))
                else:
                    # still walk the range's body so the position reaches its end node
                    self._root = nodes[i + 1 :]
                    self.find_results(None)
                self._in_range -= 1
                for k in range(i + 1, len(nodes)):  # resume after the end node
                    if nodes[k] is self._last_end_node:
                        i = k
                        break
                i += 1
                continue
            full.append(results)
            i += 1
        return full

    def _print_results(self, results: list[Any]) -> str:
        from polystack.helm.encoding.jsongo import marshal
        from polystack.helm.encoding.yamlgo import EncodingError

        out: list[str] = []
        for i, r in enumerate(results):
            if _is_container(r):
                try:
                    text = marshal(r)
                except EncodingError as e:
                    raise JSONPathError(str(e)) from None
            else:
                text = _go_sprint(r)
            out.append(text + (" " if i != len(results) - 1 else ""))
        return "".join(out)

    def _walk(self, value: list[Any], node: Any) -> list[Any]:
        if isinstance(node, ListNode):
            return self._eval_list(value, node)
        if isinstance(node, TextNode):
            return [node.text]
        if isinstance(node, FieldNode):
            return self._eval_field(value, node)
        if isinstance(node, ArrayNode):
            return self._eval_array(value, node)
        if isinstance(node, FilterNode):
            return self._eval_filter(value, node)
        if isinstance(node, LiteralNode):
            return [node.value for _ in value]
        if isinstance(node, WildcardNode):
            out: list[Any] = []
            for v in value:
                if v is not None and v is not INVALID:
                    out.extend(_children(v))
            return out
        if isinstance(node, RecursiveNode):
            return self._eval_recursive(value)
        if isinstance(node, UnionNode):
            res: list[Any] = []
            for ln in node.nodes:
                try:
                    res.extend(self._eval_list(value, ln))
                except JSONPathError as e:
                    raise JSONPathError(str(e), value) from None
            return res
        if isinstance(node, IdentifierNode):
            return self._eval_identifier(value, node)
        raise JSONPathError(f"unexpected Node {node}")

    def _eval_list(self, value: list[Any], node: ListNode) -> list[Any]:
        cur = value
        for n in node.nodes:
            cur = self._walk(cur, n)
        return cur

    def _eval_identifier(self, value: list[Any], node: IdentifierNode) -> list[Any]:
        if node.name == "range":
            self._begin_range += 1
            return value
        if node.name == "end":
            if self._in_range > 0:
                self._end_range += 1
                return []
            raise JSONPathError("not in range, nothing to end")
        raise JSONPathError(f"unrecognized identifier {node.name}", value)

    def _eval_array(self, value: list[Any], node: ArrayNode) -> list[Any]:
        result: list[Any] = []
        for v in value:
            if v is None:
                continue
            if v is INVALID:
                raise JSONPathError("reflect: call of reflect.Value.Type on zero Value", value)
            if not isinstance(v, list | tuple):
                raise JSONPathError(f"{_go_type(v)} is not array or slice", value)
            p0, p1, p2 = (ParamsEntry(p.value, p.known, p.derived) for p in node.params)
            n = len(v)
            if not p0.known:
                p0.value = 0
            if p0.value < 0:
                p0.value += n
            if not p1.known:
                p1.value = n
            if p1.value < 0 or (p1.value == 0 and p1.derived):
                p1.value += n
            if p1.value == p0.value:  # zero elements requested: allowed
                return result
            if p0.value >= n or p0.value < 0:
                raise JSONPathError(
                    f"array index out of bounds: index {p0.value}, length {n}", value
                )
            if p1.value > n or p1.value < 0:
                raise JSONPathError(
                    f"array index out of bounds: index {p1.value - 1}, length {n}", value
                )
            if p0.value > p1.value:
                raise JSONPathError(
                    f"starting index {p0.value} is greater than ending index {p1.value}", value
                )
            step = 1
            if p2.known:
                if p2.value <= 0:
                    raise JSONPathError("step must be > 0", value)
                step = p2.value
            result.extend(v[p0.value : p1.value : step])
        return result

    def _eval_field(self, value: list[Any], node: FieldNode) -> list[Any]:
        results: list[Any] = []
        if not value:
            return results
        for v in value:
            if v is None:
                continue
            if isinstance(v, dict) and node.value in v:
                results.append(v[node.value])
        if not results and not self.allow_missing_keys:
            raise JSONPathError(f"{node.value} is not found")
        return results

    def _eval_recursive(self, value: list[Any]) -> list[Any]:
        result: list[Any] = []
        for v in value:
            if v is None or v is INVALID:
                continue
            kids = _children(v)
            if kids:
                result.append(v)
                result.extend(self._eval_recursive(kids))
        return result

    def _eval_filter(self, value: list[Any], node: FilterNode) -> list[Any]:
        results: list[Any] = []
        for v in value:
            if not isinstance(v, list | tuple):
                shown = "<nil>" if v is None else _go_sprint(v) if v is not INVALID else repr(v)
                raise JSONPathError(f"{shown} is not array or slice and cannot be filtered", value)
            for item in v:
                try:
                    lefts = self._eval_list([item], node.left)
                    err = None
                except JSONPathError as e:
                    lefts, err = e.partial, e
                if node.operator == "exists":
                    if lefts:
                        results.append(item)
                    continue
                if err is not None:
                    raise JSONPathError(str(err), value)
                if not lefts:
                    continue
                if len(lefts) > 1:
                    raise JSONPathError("can only compare one element at a time", value)
                try:
                    rights = self._eval_list([item], node.right)
                except JSONPathError as e:
                    raise JSONPathError(str(e), value) from None
                if not rights:
                    continue
                if len(rights) > 1:
                    raise JSONPathError("can only compare one element at a time", value)
                try:
                    ok = _compare(node.operator, lefts[0], rights[0])
                except JSONPathError as e:
                    raise JSONPathError(str(e), results) from None
                if ok:
                    results.append(item)
        return results
