"""Go's template builtins (src/text/template/funcs.go).

Builtins take Go ``reflect.Value`` parameters, so they receive raw executor values:
``NO_VALUE`` (the invalid value of a missing key) is passed through, not turned
into ``None``.  Each builtin declares Go's parameter list in ``go_params``.
"""

from __future__ import annotations

from polystack.helm.golang import fmt as gofmt
from polystack.helm.golang.types import GoStruct, Int64, Uint8, is_unsigned, type_of
from polystack.helm.template.errors import FuncError
from polystack.helm.template.values import NO_VALUE

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["BUILTINS", "html_escape", "js_escape", "eval_args"]

RV = "reflect.Value"

# Messages Go's reflect package panics with (recovered by safeCall).
ZERO_VALUE_TYPE = "reflect: call of reflect.Value.Type on zero Value"


def _builtin(*params: str):
    def mark(fn):
        fn.go_params = params
        fn.go_builtin = True
        return fn

    return mark


def _iface(v: Any) -> Any:
    """indirectInterface: a nil interface becomes the invalid value."""
    return NO_VALUE if v is None else v


def _rtype(v: Any) -> str:
    if v is NO_VALUE:
        raise FuncError(ZERO_VALUE_TYPE)
    return type_of(v)


def truth(v: Any) -> bool:
    if v is NO_VALUE or v is None or v is False:
        return False
    if v is True:
        return True
    if isinstance(v, (str, bytes, bytearray, list, tuple, dict, int, float, complex)):
        return bool(v)
    return True  # structs, pointers and functions


@_builtin(RV)
def not_(arg: Any) -> bool:
    return not truth(arg)


@_builtin(RV)
def length(item: Any) -> int:
    if item is None:
        raise FuncError("len of nil pointer")
    if isinstance(item, str):
        return len(item.encode("utf-8", "surrogateescape"))
    if isinstance(item, (list, tuple, dict, bytes, bytearray)):
        return len(item)
    raise FuncError(f"len of type {_rtype(item)}")


def _index_arg(index: Any, cap: int) -> int:
    if isinstance(index, int) and not isinstance(index, bool):
        x = int(index)
    elif index is NO_VALUE or index is None:
        raise FuncError("cannot index slice/array with nil")
    else:
        raise FuncError(f"cannot index slice/array with type {_rtype(index)}")
    if x < 0 or x > cap:
        raise FuncError(f"index out of range: {x}")
    return x


@_builtin(RV, "..." + RV)
def index(item: Any, *indexes: Any) -> Any:
    item = _iface(item)
    if item is NO_VALUE:
        raise FuncError("index of untyped nil")
    for ix in indexes:
        ix = _iface(ix)
        if item is None:
            raise FuncError("index of nil pointer")
        if isinstance(item, (list, tuple)):
            x = _index_arg(ix, len(item))
            if x == len(item):
                raise FuncError("reflect: slice index out of range")
            item = item[x]
        elif isinstance(item, str):
            b = item.encode("utf-8", "surrogateescape")
            x = _index_arg(ix, len(b))
            if x == len(b):
                raise FuncError("reflect: string index out of range")
            item = Uint8(b[x])
        elif isinstance(item, (bytes, bytearray)):
            x = _index_arg(ix, len(item))
            if x == len(item):
                raise FuncError("reflect: slice index out of range")
            item = Uint8(item[x])
        elif isinstance(item, dict):
            if ix is NO_VALUE:
                raise FuncError("value is nil; should be of type string")
            if not isinstance(ix, str):
                raise FuncError(f"value has type {_rtype(ix)}; should be string")
            item = item.get(ix)
        else:
            raise FuncError(f"can't index item of type {_rtype(item)}")
    return item


@_builtin(RV, "..." + RV)
def slice_(item: Any, *indexes: Any) -> Any:
    item = _iface(item)
    if item is NO_VALUE:
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str):
        if len(indexes) == 3:
            raise FuncError("cannot 3-index slice a string")
        data: Any = item.encode("utf-8", "surrogateescape")
    elif isinstance(item, (list, tuple, bytes, bytearray)):
        data = item
    else:
        raise FuncError(f"can't slice item of type {_rtype(item)}")
    cap = len(data)
    idx = [0, len(data), 0]
    for i, ix in enumerate(indexes):
        idx[i] = _index_arg(_iface(ix), cap)
    if idx[0] > idx[1]:
        raise FuncError(f"invalid slice index: {idx[0]} > {idx[1]}")
    if len(indexes) == 3 and idx[1] > idx[2]:
        raise FuncError(f"invalid slice index: {idx[1]} > {idx[2]}")
    out = data[idx[0] : idx[1]]
    if isinstance(item, str):
        return out.decode("utf-8", "surrogateescape")
    if type(item) is not list and isinstance(item, list):
        return type(item)(out)
    return out


# ---------------------------------------------------------------- comparison
_BAD_TYPE = "invalid type for comparison"
_BAD_CMP = "incompatible types for comparison"
_NO_CMP = "missing argument for comparison"


def _basic_kind(v: Any) -> str | None:
    t = type(v)
    if t is str:
        return "string"
    if t is bool:
        return "bool"
    if t is float:
        return "float"
    if t is int or t is Int64:
        return "int"
    if is_unsigned(v):
        return "uint"
    if t is complex:
        return "complex"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return None


def _is_nil(v: Any) -> bool:
    return v is NO_VALUE or v is None


def _kind_name(v: Any) -> str:
    if v is NO_VALUE:
        return "invalid"
    if isinstance(v, dict):
        return "map"
    if isinstance(v, (list, tuple, bytes)):
        return "slice"
    if isinstance(v, GoStruct):
        return "ptr" if v.go_type_name.startswith("*") else "struct"
    if callable(v):
        return "func"
    return "other"


def _value_str(v: Any) -> str:
    """reflect.Value's %s formatting of a non-basic value."""
    if v is NO_VALUE:
        return "<invalid reflect.Value>"
    return gofmt.sprintf("%s", v)


@_builtin(RV, "..." + RV)
def eq(arg1: Any, *arg2: Any) -> bool:
    arg1 = _iface(arg1)
    if not arg2:
        raise FuncError(_NO_CMP)
    k1 = _basic_kind(arg1)
    for arg in arg2:
        arg = _iface(arg)
        k2 = _basic_kind(arg)
        truth_ = False
        if k1 != k2:
            if k1 == "int" and k2 == "uint":
                truth_ = arg1 >= 0 and int(arg1) == int(arg)
            elif k1 == "uint" and k2 == "int":
                truth_ = arg >= 0 and int(arg1) == int(arg)
            elif arg1 is not NO_VALUE and arg is not NO_VALUE:
                raise FuncError(f"{_BAD_CMP}: {_rtype(arg1)} and {_rtype(arg)}")
        elif k1 is not None:
            truth_ = arg1 == arg
        else:
            kk1, kk2 = _kind_name(arg1), _kind_name(arg)
            if kk1 != kk2 and kk1 != "invalid" and kk2 != "invalid":
                raise FuncError(
                    f"non-comparable types {_value_str(arg1)}: {_rtype(arg1)}, "
                    f"{_rtype(arg)}: {_value_str(arg)}"
                )
            if _is_nil(arg1) or _is_nil(arg):
                truth_ = _is_nil(arg) == _is_nil(arg1)
            else:
                if isinstance(arg, (dict, list, tuple, bytes)) or callable(arg):
                    raise FuncError(f"non-comparable type {_value_str(arg)}: {_rtype(arg)}")
                truth_ = arg1 is arg or arg1 == arg
        if truth_:
            return True
    return False


@_builtin(RV, RV)
def ne(arg1: Any, arg2: Any) -> bool:
    return not eq(arg1, arg2)


@_builtin(RV, RV)
def lt(arg1: Any, arg2: Any) -> bool:
    arg1 = _iface(arg1)
    k1 = _basic_kind(arg1)
    if k1 is None:
        raise FuncError(_BAD_TYPE)
    arg2 = _iface(arg2)
    k2 = _basic_kind(arg2)
    if k2 is None:
        raise FuncError(_BAD_TYPE)
    if k1 != k2:
        if k1 == "int" and k2 == "uint":
            return arg1 < 0 or int(arg1) < int(arg2)
        if k1 == "uint" and k2 == "int":
            return arg2 >= 0 and int(arg1) < int(arg2)
        raise FuncError(f"{_BAD_CMP}: {_rtype(arg1)} and {_rtype(arg2)}")
    if k1 in ("bool", "complex"):
        raise FuncError(_BAD_TYPE)
    if k1 == "string":
        return arg1.encode("utf-8", "surrogateescape") < arg2.encode("utf-8", "surrogateescape")
    return arg1 < arg2


@_builtin(RV, RV)
def le(arg1: Any, arg2: Any) -> bool:
    if lt(arg1, arg2):
        return True
    return eq(arg1, arg2)


@_builtin(RV, RV)
def gt(arg1: Any, arg2: Any) -> bool:
    return not le(arg1, arg2)


@_builtin(RV, RV)
def ge(arg1: Any, arg2: Any) -> bool:
    return not lt(arg1, arg2)


# ---------------------------------------------------------------- printing
def eval_args(args: tuple[Any, ...]) -> str:
    """funcs.go evalArgs: fmt.Sprint after template-style indirection."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    conv: list[Any] = []
    for a in args:
        if a is None or a is NO_VALUE:
            conv.append("<no value>")
        elif isinstance(a, GoStruct) and a.go_type_name.startswith("*"):
            conv.append(_Printed(gofmt.print_value(a)))
        else:
            conv.append(a)
    return gofmt.sprint(*conv)


class _Printed(GoStruct):
    """An already formatted non-string operand (keeps Sprint's spacing rules)."""

    go_type_name = "struct"

    def __init__(self, text: str) -> None:
        self.text = text

    def String(self) -> str:  # noqa: N802 - Go method name
        return self.text


def html_escape(s: str) -> str:
    """template.HTMLEscapeString."""
    if not any(c in s for c in "'\"&<>\0"):
        return s
    return (
        s.replace("&", "&amp;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\0", "\ufffd")
    )


_JS = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "<": "\\u003C",
    ">": "\\u003E",
    "&": "\\u0026",
    "=": "\\u003D",
}


def js_escape(s: str) -> str:
    """template.JSEscapeString."""
    out = []
    for ch in s:
        c = ord(ch)
        if ch in _JS:
            out.append(_JS[ch])
        elif c < 0x20:
            out.append(f"\\u00{c:02X}")
        elif c < 0x80:
            out.append(ch)
        elif 0xDC80 <= c <= 0xDCFF or 0xD800 <= c <= 0xDFFF:
            out.append("\\uFFFD")
        elif gofmt.gostrconv.is_print(c):
            out.append(ch)
        else:
            out.append(f"\\u{c:04X}")
    return "".join(out)


@_builtin("...interface {}")
def html(*args: Any) -> str:
    return html_escape(eval_args(args))


@_builtin("...interface {}")
def js(*args: Any) -> str:
    return js_escape(eval_args(args))


@_builtin("...interface {}")
def urlquery(*args: Any) -> str:
    from urllib.parse import quote_plus  # urlquery only: not at start-up

    return quote_plus(eval_args(args).encode("utf-8", "surrogateescape"), safe="")


@_builtin("...interface {}")
def print_(*args: Any) -> str:
    return gofmt.sprint(*args)


@_builtin("string", "...interface {}")
def printf(format: str, *args: Any) -> str:
    # strings into a format whose only verbs are as many plain %s (most charts'
    # printf "%s-%s" ...): each %s is the string itself
    parts = format.split("%s")
    if len(parts) == len(args) + 1 and "%" not in format.replace("%s", ""):
        for a in args:
            if type(a) is not str:
                break
        else:
            out = [parts[0]]
            for a, p in zip(args, parts[1:], strict=True):
                out.append(a)
                out.append(p)
            return "".join(out)
    return gofmt.sprintf(format, *args)


@_builtin("...interface {}")
def println(*args: Any) -> str:
    return gofmt.sprintln(*args)


@_builtin(RV, "..." + RV)
def and_(arg0: Any, *args: Any) -> Any:  # pragma: no cover - special-cased by the executor
    raise AssertionError("unreachable")


@_builtin(RV, "..." + RV)
def or_(arg0: Any, *args: Any) -> Any:  # pragma: no cover - special-cased by the executor
    raise AssertionError("unreachable")


@_builtin(RV, "..." + RV)
def call(fn: Any, *args: Any) -> Any:  # pragma: no cover - special-cased by the executor
    raise AssertionError("unreachable")


BUILTINS: dict[str, Any] = {
    "and": and_,
    "call": call,
    "html": html,
    "index": index,
    "slice": slice_,
    "js": js,
    "len": length,
    "not": not_,
    "or": or_,
    "print": print_,
    "printf": printf,
    "println": println,
    "urlquery": urlquery,
    "eq": eq,
    "ge": ge,
    "gt": gt,
    "le": le,
    "lt": lt,
    "ne": ne,
}
