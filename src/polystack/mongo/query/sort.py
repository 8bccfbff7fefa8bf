"""Sort specifications and sort keys (one ``bytes`` per document, compared with memcmp)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import paths
from ..bsontypes import is_numeric
from ..errors import MongoError
from ..keystring import MISSING, NULL_KEY_BYTES, UNDEFINED_KEY, encode_key, invert

#: doc -> bytes whose byte order is the sort order
SortKey = Callable[[dict], bytes]


def parse_sort(spec: Any) -> list[tuple[str, int]]:
    """``{a: 1, b: -1}`` -> ``[("a", 1), ("b", -1)]`` with MongoDB's validation."""
    if spec is None:
        return []
    if not isinstance(spec, dict):
        raise MongoError(2, "Expected field sort to be of type object")
    out = []
    for k, v in spec.items():
        if isinstance(v, dict):
            if v.get("$meta") in ("textScore", "randVal", "searchScore"):
                raise MongoError(17312, f"$meta sort by '{v['$meta']}' is not supported")
            raise MongoError(
                15974,
                "Illegal key in $sort specification: " + k + ": " + _disp(v),
            )
        if not is_numeric(v) or isinstance(v, bool) or float(v) not in (1.0, -1.0):
            raise MongoError(
                15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)"
            )
        if not k:
            raise MongoError(15998, "FieldPath cannot be constructed with empty string")
        if k.startswith("$"):
            raise MongoError(
                16410,
                "FieldPath field names may not start with '$'. Consider using "
                "$getField or $setField.",
            )
        out.append((k, 1 if float(v) > 0 else -1))
    return out


def _disp(v: Any) -> str:
    from ..display import value

    return value(v)


def sort_key_fn(spec: list[tuple[str, int]]) -> SortKey:
    """A function doc -> bytes whose byte order is the sort order (arrays: min asc / max desc)."""
    fields = [(paths.split(f), d) for f, d in spec]

    def key(doc: dict) -> bytes:
        out = []
        for parts, d in fields:
            k = _field_key(doc, parts, d)
            out.append(k if d == 1 else invert(k))
        return b"".join(out)

    if len(fields) == 1 and len(fields[0][0]) == 1:
        name = fields[0][0][0]
        d = fields[0][1]

        def key1(doc: dict) -> bytes:
            v = doc.get(name, MISSING)
            if v is MISSING or v is None:
                k = NULL_KEY_BYTES
            elif type(v) is list:
                k = _field_key(doc, fields[0][0], d)
            else:
                k = encode_key(v)
            return k if d == 1 else invert(k)

        return key1
    return key


def _field_key(doc: dict, parts: tuple[str, ...], direction: int) -> bytes:
    vals: list = []
    paths.collect(doc, parts, 0, vals)
    keys = []
    for v in vals:
        if type(v) is list:
            if not v:
                keys.append(UNDEFINED_KEY)
            else:
                keys.extend(encode_key(e) for e in v)
        elif v is MISSING:
            keys.append(NULL_KEY_BYTES)
        else:
            keys.append(encode_key(v))
    if not keys:
        return NULL_KEY_BYTES
    return min(keys) if direction == 1 else max(keys)
