"""Secondary indexes: sorted runs of order-preserving byte keys.

An index entry is one ``bytes``: the key (each indexed field's :func:`keystring.encode_key`,
inverted for a descending field, so the entries sort exactly as the key pattern says), then the
record's ``_id`` key, then the ``_id`` key's length (4 bytes) so the record can be found again.
Entries live in a ``SortedList``: no per-entry tuples or dicts, and lookups are bisections
over ``bytes`` that compare with ``memcmp``.

A document whose indexed field holds an array gets one entry per distinct element (a multikey
index); two array fields in one compound key are refused ("cannot index parallel arrays").
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sortedcontainers import SortedList

from . import paths
from .bsontypes import is_numeric, type_name
from .errors import MongoError
from .keystring import MISSING, UNDEFINED_KEY, encode_key, invert

_LEN = struct.Struct(">I")
_unpack_len = _LEN.unpack_from
NULL_KEY = encode_key(None)


@dataclass(slots=True)
class IndexSpec:
    """What ``createIndexes`` was given (kept verbatim for listIndexes)."""

    name: str
    key: list[tuple[str, Any]]
    unique: bool = False
    sparse: bool = False
    partial: dict | None = None
    expire_after_seconds: float | None = None
    hidden: bool = False
    options: dict[str, Any] = field(default_factory=dict)  # the other fields, for listIndexes

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"v": 2, "key": dict(self.key), "name": self.name}
        if self.unique and self.name != "_id_":
            doc["unique"] = True
        if self.sparse:
            doc["sparse"] = True
        if self.partial is not None:
            doc["partialFilterExpression"] = self.partial
        if self.expire_after_seconds is not None:
            doc["expireAfterSeconds"] = self.expire_after_seconds
        if self.hidden:
            doc["hidden"] = True
        for k, v in self.options.items():
            if k not in doc:
                doc[k] = v
        return doc


class Index:
    """One secondary index over a collection's records."""

    __slots__ = (
        "spec",
        "fields",
        "parts",
        "descending",
        "entries",
        "multikey",
        "multikey_paths",
        "partial_filter",
        "accesses",
        "_single",
    )

    def __init__(self, spec: IndexSpec, partial_filter: Any = None) -> None:
        self.spec = spec
        self.fields = [f for f, _ in spec.key]
        self.parts = [paths.split(f) for f in self.fields]
        self.descending = [_is_descending(d) for _, d in spec.key]
        self.entries: SortedList = SortedList()
        self.multikey = False
        self.multikey_paths: set[str] = set()
        self.partial_filter = partial_filter
        self.accesses = 0
        self._single = len(self.fields) == 1

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def unique(self) -> bool:
        return self.spec.unique

    # -- keys ----------------------------------------------------------------------------------
    def keys_for(self, doc: dict) -> list[bytes]:
        """The distinct index keys of ``doc`` (empty when sparse/partial leave it out)."""
        if self.partial_filter is not None and not self.partial_filter.match(doc):
            return []
        if self._single:
            vals = _index_values(doc, self.parts[0])
            if self.spec.sparse and vals == [MISSING]:
                return []
            if len(vals) > 1 or _reaches_array(doc, self.parts[0]):
                self._mark_multikey(0)
            desc = self.descending[0]
            out = {_component(v, desc) for v in vals}
            return list(out)
        per_field: list[list[Any]] = []
        array_fields = []
        all_missing = True
        for i, parts in enumerate(self.parts):
            vals = _index_values(doc, parts)
            if vals != [MISSING]:
                all_missing = False
            if _reaches_array(doc, parts):
                array_fields.append(self.fields[i])
            per_field.append(vals)
        if self.spec.sparse and all_missing:
            return []
        if len(array_fields) > 1:
            raise MongoError(
                171,
                "cannot index parallel arrays "
                + " ".join(f"[{f.split('.')[-1]}]" for f in reversed(array_fields[:2])),
            )
        for i, vals in enumerate(per_field):
            if len(vals) > 1 or self.fields[i] in array_fields:
                self._mark_multikey(i)
        keys: list[bytes] = [b""]
        for i, vals in enumerate(per_field):
            desc = self.descending[i]
            comps = {_component(v, desc) for v in vals}
            keys = [k + c for k in keys for c in comps]
        return keys

    def _mark_multikey(self, i: int) -> None:
        self.multikey = True
        self.multikey_paths.add(self.fields[i])

    # -- maintenance ---------------------------------------------------------------------------
    def check_unique(self, keys: list[bytes], idkey: bytes) -> bytes | None:
        """The first key that another record already holds (None when all are free)."""
        if not self.spec.unique:
            return None
        entries = self.entries
        for k in keys:
            i = entries.bisect_left(k)
            n = len(entries)
            while i < n:
                e = entries[i]
                if not e.startswith(k):
                    break
                if _entry_key_len(e) == len(k) and entry_idkey(e) != idkey:
                    return k
                i += 1
        return None

    def add(self, keys: list[bytes], idkey: bytes) -> None:
        suffix = idkey + _LEN.pack(len(idkey))
        add = self.entries.add
        for k in keys:
            add(k + suffix)

    def remove(self, keys: list[bytes], idkey: bytes) -> None:
        suffix = idkey + _LEN.pack(len(idkey))
        discard = self.entries.discard
        for k in keys:
            discard(k + suffix)

    def clear(self) -> None:
        self.entries = SortedList()
        self.multikey = False
        self.multikey_paths.clear()

    # -- scans ---------------------------------------------------------------------------------
    def scan(self, lo: bytes | None, hi: bytes | None, reverse: bool = False) -> Iterator[bytes]:
        """Entries with ``lo <= entry < hi`` (as byte strings; None is unbounded)."""
        return self.entries.irange(lo, hi, (True, False), reverse)

    def size_bytes(self) -> int:
        return (
            sum(len(e) for e in self.entries)
            if len(self.entries) < 200_000
            else (len(self.entries) * (len(self.entries[0]) if self.entries else 0))
        )


def entry_idkey(entry: bytes) -> bytes:
    (n,) = _unpack_len(entry, len(entry) - 4)
    return entry[-4 - n : -4]


def _entry_key_len(entry: bytes) -> int:
    (n,) = _unpack_len(entry, len(entry) - 4)
    return len(entry) - 4 - n


def _is_descending(direction: Any) -> bool:
    try:
        return float(direction) < 0
    except (TypeError, ValueError):
        return False


def _component(v: Any, desc: bool) -> bytes:
    if v is MISSING:
        k = NULL_KEY
    elif type(v) is list and not v:
        k = UNDEFINED_KEY
    else:
        k = encode_key(v)
    return invert(k) if desc else k


def _index_values(doc: dict, parts: tuple[str, ...]) -> list:
    """The values a (possibly multikey) index takes from ``doc`` at ``parts``."""
    out: list = []
    paths.collect(doc, parts, 0, out)
    if not out:
        return [MISSING]
    flat: list = []
    for v in out:
        if type(v) is list:
            if v:
                flat.extend(v)
            else:
                flat.append(v)
        else:
            flat.append(v)
    # MISSING among real values (an array element without the field) indexes as null
    if len(flat) > 1:
        seen: dict[bytes, Any] = {}
        for v in flat:
            seen.setdefault(_component(v, False), v)
        flat = list(seen.values())
    return flat


def _reaches_array(doc: dict, parts: tuple[str, ...]) -> bool:
    v: Any = doc
    for p in parts:
        if type(v) is list:
            return True
        if type(v) is dict:
            v = v.get(p, MISSING)
        else:
            return False
    return type(v) is list


def index_name(key: list[tuple[str, Any]]) -> str:
    """MongoDB's default index name: ``a_1_b_-1``."""
    parts = []
    for f, d in key:
        if isinstance(d, float) and d == int(d):
            d = int(d)
        parts.append(f"{f}_{d}")
    return "_".join(parts)


# ---------------------------------------------------------------------------------------------
# index specifications (createIndexes, and the catalog read back from disk)

KNOWN_OPTIONS = frozenset(
    {
        "key", "name", "unique", "sparse", "partialFilterExpression", "expireAfterSeconds",
        "hidden", "v", "background", "collation", "weights", "default_language",
        "language_override", "textIndexVersion", "2dsphereIndexVersion", "bits", "min", "max",
        "bucketSize", "wildcardProjection", "storageEngine", "ns", "dropDups",
        "prepareUnique", "clustered",
    }
)  # fmt: skip
SPECIAL_TYPES = ("text", "2dsphere", "2d", "hashed", "geoHaystack")


def parse_index_spec(spec: Any) -> IndexSpec:
    if not isinstance(spec, dict):
        raise MongoError(14, "BSON field 'createIndexes.indexes' must contain objects")
    key = spec.get("key")
    if not isinstance(key, dict):
        raise MongoError(
            9 if key is None else 14,
            "The 'key' field is a required property of an index specification"
            if key is None
            else "The field 'key' must be an object",
        )
    if not key:
        raise MongoError(67, "Index keys cannot be empty.")
    pairs = []
    for f, d in key.items():
        if not f:
            raise MongoError(67, "Index keys cannot be an empty field.")
        if isinstance(d, str):
            if d in SPECIAL_TYPES:
                raise MongoError(67, f"{d} indexes are not supported by polystack yet")
            raise MongoError(67, f"Unknown index plugin '{d}'")
        if not is_numeric(d) or isinstance(d, bool) or d == 0:
            raise MongoError(
                67,
                f"Values in the index key pattern can only be numbers or strings. Found: {f}: {d}"
                if not is_numeric(d) or isinstance(d, bool)
                else f"Values in v:2 index key pattern cannot be of value 0. Found: {f}: {d}",
            )
        if f.startswith("$") or f == "$**" or f.endswith(".$**"):
            raise MongoError(
                67,
                "Index key contains an illegal field name: field name starts with '$'."
                if f.startswith("$")
                else "wildcard indexes are not supported by polystack yet",
            )
        pairs.append((f, d))
    name = spec.get("name")
    if name is None:
        name = index_name(pairs)
    if not isinstance(name, str):
        raise MongoError(14, "The field 'name' must be a string")
    if not name:
        raise MongoError(67, "The index name cannot be empty")
    for k in spec:
        if k not in KNOWN_OPTIONS:
            raise MongoError(
                197,
                f"The field '{k}' is not valid for an index specification. Specification: "
                f"{_disp(spec)}",
            )
    partial = spec.get("partialFilterExpression")
    if partial is not None:
        if not isinstance(partial, dict):
            raise MongoError(14, "The field 'partialFilterExpression' must be an object")
        from .query.matcher import compile_filter

        compile_filter(partial)
    sparse = bool(spec.get("sparse", False))
    if partial is not None and sparse:
        raise MongoError(67, 'cannot mix "partialFilterExpression" and "sparse" options')
    ttl = spec.get("expireAfterSeconds")
    if ttl is not None:
        if not is_numeric(ttl) or isinstance(ttl, bool):
            raise MongoError(
                67,
                "TTL index 'expireAfterSeconds' option must be numeric, but received a "
                "type of '" + type_name(ttl) + "'. Index spec: " + _disp(spec),
            )
        if len(pairs) > 1:
            raise MongoError(
                67,
                "TTL indexes are single-field indexes, compound indexes do "
                "not support TTL. Index spec: " + _disp(spec),
            )
        if ttl < 0 or ttl > 2147483647:
            raise MongoError(
                67,
                "TTL index 'expireAfterSeconds' option must be within an "
                "acceptable range, try a lower number. Index spec: " + _disp(spec),
            )
    options = {
        k: v
        for k, v in spec.items()
        if k
        not in (
            "key",
            "name",
            "unique",
            "sparse",
            "partialFilterExpression",
            "expireAfterSeconds",
            "hidden",
            "v",
            "ns",
            "background",
        )
    }
    unique = bool(spec.get("unique", False))
    if name == "_id_" or pairs == [("_id", 1)]:
        unique = True
    return IndexSpec(
        name,
        pairs,
        unique,
        sparse,
        partial,
        float(ttl) if isinstance(ttl, float) else (int(ttl) if ttl is not None else None),
        bool(spec.get("hidden", False)),
        options,
    )


def _disp(v: Any) -> str:
    from .display import value

    return value(v)
