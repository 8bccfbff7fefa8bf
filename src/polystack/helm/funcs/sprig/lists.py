"""Sprig list.go: list functions over any Go slice (reflection semantics)."""

from __future__ import annotations

import math
from typing import Any

from polystack.helm.funcs.sprig._conv import (
    GoError,
    deep_equal,
    is_slice,
    kind_name,
    slice_items,
    strval,
    to_int,
)
from polystack.helm.funcs.sprig.defaults import empty
from polystack.helm.golang.types import StringList, signature

_NIL_DEREF = "runtime error: invalid memory address or nil pointer dereference"


class ListOfLists(list):
    """A Go ``[][]interface {}`` (what ``chunk`` returns)."""

    __slots__ = ()
    go_type_name = "[][]interface {}"
    go_underlying = "[][]interface {}"
    go_kind = "slice"


def _items(v: Any, what: str) -> list[Any]:
    if v is None:
        raise GoError(_NIL_DEREF)
    if not is_slice(v):
        raise GoError(what.format(kind_name(v)))
    return slice_items(v)


@signature("...interface {}")
def list_(*v: Any) -> list[Any]:
    return list(v)


@signature("interface {}", "interface {}")
def push(lst: Any, v: Any) -> list[Any]:
    return _items(lst, "Cannot push on type {}") + [v]


@signature("interface {}", "interface {}")
def prepend(lst: Any, v: Any) -> list[Any]:
    return [v] + _items(lst, "Cannot prepend on type {}")


@signature("interface {}")
def last(lst: Any) -> Any:
    items = _items(lst, "Cannot find last on type {}")
    return items[-1] if items else None


@signature("interface {}")
def first(lst: Any) -> Any:
    items = _items(lst, "Cannot find first on type {}")
    return items[0] if items else None


@signature("interface {}")
def rest(lst: Any) -> list[Any] | None:
    items = _items(lst, "Cannot find rest on type {}")
    return items[1:]


@signature("interface {}")
def initial(lst: Any) -> list[Any] | None:
    items = _items(lst, "Cannot find initial on type {}")
    return items[:-1]


@signature("interface {}")
def sort_alpha(lst: Any) -> StringList:
    from polystack.helm.funcs.sprig.strings import strslice

    if is_slice(lst):
        return StringList(sorted(strslice(lst), key=lambda s: s.encode("utf-8", "surrogatepass")))
    return StringList([strval(lst)])


@signature("interface {}")
def reverse(v: Any) -> list[Any]:
    return _items(v, "Cannot find reverse on type {}")[::-1]


@signature("interface {}")
def compact(lst: Any) -> list[Any]:
    return [x for x in _items(lst, "Cannot compact on type {}") if not empty(x)]


def _in_list(hay: list[Any], needle: Any) -> bool:
    return any(deep_equal(needle, h) for h in hay)


@signature("interface {}")
def uniq(lst: Any) -> list[Any]:
    dest: list[Any] = []
    for x in _items(lst, "Cannot find uniq on type {}"):
        if not _in_list(dest, x):
            dest.append(x)
    return dest


@signature("interface {}", "...interface {}")
def without(lst: Any, *omit: Any) -> list[Any]:
    items = _items(lst, "Cannot find without on type {}")
    return [x for x in items if not _in_list(list(omit), x)]


@signature("interface {}", "interface {}")
def has(needle: Any, hay: Any) -> bool:
    if hay is None:
        return False
    return _in_list(_items(hay, "Cannot find has on type {}"), needle)


@signature("interface {}", "...interface {}")
def slice_(lst: Any, *indices: Any) -> Any:
    if lst is None:
        raise GoError(_NIL_DEREF)
    if not is_slice(lst):
        raise GoError(f"list should be type of slice or array but {kind_name(lst)}")
    n = len(lst)
    if n == 0:
        return None
    start = to_int(indices[0]) if indices else 0
    end = to_int(indices[1]) if len(indices) >= 2 else n
    if start < 0 or end < start or end > n:
        raise GoError("reflect.Value.Slice: slice index out of bounds")
    out = lst[start:end]
    if isinstance(lst, list) and type(lst) is not list:
        return type(lst)(out)
    if isinstance(lst, tuple):
        return list(out)
    return out


@signature("...interface {}")
def concat(*lists: Any) -> list[Any]:
    res: list[Any] = []
    for lst in lists:
        if lst is None:
            raise GoError(_NIL_DEREF)
        if not is_slice(lst):
            raise GoError(f"Cannot concat type {kind_name(lst)} as list")
        res.extend(slice_items(lst))
    return res


@signature("int", "interface {}")
def chunk(size: int, lst: Any) -> ListOfLists:
    items = _items(lst, "Cannot chunk type {}")
    n = len(items)
    makeslice = GoError("runtime error: makeslice: len out of range")
    if size == 0:
        raise makeslice
    cs = int(math.floor((n - 1) / size) + 1)
    if cs < 0:
        raise makeslice
    out = ListOfLists()
    for i in range(cs):
        clen = size
        if i == cs - 1:
            clen = int(math.fmod(n, size))
            if clen == 0:
                clen = size
        if clen < 0:
            raise makeslice
        out.append(items[i * size : i * size + clen])
    return out


FUNCS = {
    "tuple": list_,
    "list": list_,
    "append": push,
    "push": push,
    "mustAppend": push,
    "mustPush": push,
    "prepend": prepend,
    "mustPrepend": prepend,
    "first": first,
    "mustFirst": first,
    "rest": rest,
    "mustRest": rest,
    "last": last,
    "mustLast": last,
    "initial": initial,
    "mustInitial": initial,
    "reverse": reverse,
    "mustReverse": reverse,
    "uniq": uniq,
    "mustUniq": uniq,
    "without": without,
    "mustWithout": without,
    "has": has,
    "mustHas": has,
    "slice": slice_,
    "mustSlice": slice_,
    "concat": concat,
    "chunk": chunk,
    "mustChunk": chunk,
    "compact": compact,
    "mustCompact": compact,
    "sortAlpha": sort_alpha,
}
