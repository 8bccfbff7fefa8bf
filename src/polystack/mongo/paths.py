"""Dotted paths through documents and arrays, with MongoDB's implicit array traversal.

``"a.b"`` on ``{a: [{b: 1}, {b: 2}]}`` reaches both ``1`` and ``2``: when a path meets an array
and the next part is not an array index, it continues into every element that is a document.
A numeric part on an array selects that element.  A path that ends in a missing field, or runs
into a scalar, yields :data:`MISSING` (which equality to ``null`` and ``$exists`` look at).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .keystring import MISSING


@lru_cache(maxsize=4096)
def split(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def is_index(part: str) -> bool:
    return part.isdigit() and part.isascii()


def collect(value: Any, parts: tuple[str, ...], i: int, out: list) -> None:
    """Append every value ``parts[i:]`` reaches from ``value`` (leaf arrays are not expanded)."""
    n = len(parts)
    while True:
        if i == n:
            out.append(value)
            return
        t = type(value)
        key = parts[i]
        if t is dict:
            value = value.get(key, MISSING)
            if value is MISSING:
                out.append(MISSING)
                return
            i += 1
            continue
        if t is list:
            if is_index(key):
                idx = int(key)
                if idx < len(value):
                    collect(value[idx], parts, i + 1, out)
                else:
                    # elements that are documents may still have a field with that name
                    found = False
                    for el in value:
                        if type(el) is dict and key in el:
                            collect(el[key], parts, i + 1, out)
                            found = True
                    if not found:
                        out.append(MISSING)
                return
            for el in value:
                if type(el) is dict:
                    v = el.get(key, MISSING)
                    if v is MISSING:
                        out.append(MISSING)
                    else:
                        collect(v, parts, i + 1, out)
            return
        out.append(MISSING)
        return


def values(doc: dict, parts: tuple[str, ...]) -> list:
    """The values ``parts`` reaches in ``doc``; ``[MISSING]`` when it reaches nothing."""
    if len(parts) == 1:
        return [doc.get(parts[0], MISSING)]
    out: list = []
    collect(doc, parts, 0, out)
    return out or [MISSING]


def get_exact(doc: Any, parts: tuple[str, ...]) -> Any:
    """The value at ``parts`` without array traversal (numeric parts index arrays), or MISSING."""
    v = doc
    for p in parts:
        t = type(v)
        if t is dict:
            v = v.get(p, MISSING)
            if v is MISSING:
                return MISSING
        elif t is list and is_index(p):
            idx = int(p)
            if idx >= len(v):
                return MISSING
            v = v[idx]
        else:
            return MISSING
    return v


def first_array(doc: dict, parts: tuple[str, ...]) -> int:
    """Index in ``parts`` of the first part whose value is an array (len(parts) if none)."""
    v: Any = doc
    for i, p in enumerate(parts):
        t = type(v)
        if t is dict:
            v = v.get(p, MISSING)
        elif t is list and is_index(p):
            idx = int(p)
            v = v[idx] if idx < len(v) else MISSING
        else:
            return len(parts)
        if type(v) is list:
            return i
    return len(parts)
