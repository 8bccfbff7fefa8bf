"""One collection's records and indexes.

What is kept in memory, and why:

* ``records``: ``_id`` key -> the document's BSON bytes exactly as stored.  A ``bytes`` object
  costs 33 bytes plus its length, where a decoded ``dict`` costs several times the BSON size; the
  dict's insertion order is the collection's natural order (MongoDB's record-id order), and an
  update keeps a document's place.  Documents are decoded (by the C codec) only when a query
  needs their fields.
* The ``_id`` index *is* ``records`` (a hash lookup); a ``SortedList`` of the same key objects
  is built only when a query sorts or ranges on ``_id`` (it shares the key objects, so it
  costs 8 bytes a record).
* Secondary indexes: a ``SortedList`` of byte entries (see :mod:`.index`).
* ``versions``: the cluster time of recent writes per ``_id`` key, for the write-conflict
  checks of multi-document transactions; older entries fold into one ``version_horizon``
  (and while no transaction needs them, every write only moves the horizon).
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterator
from typing import Any

from sortedcontainers import SortedList

from . import display
from .errors import MongoError
from .index import Index, IndexSpec, entry_idkey
from .keystring import MISSING, encode_key

ID_INDEX = "_id_"
VERSIONS_KEPT = 4096


class Collection:
    __slots__ = (
        "db_name",
        "name",
        "uuid",
        "options",
        "records",
        "indexes",
        "id_spec",
        "_sorted_ids",
        "versions",
        "version_horizon",
        "validator",
        "validation_level",
        "validation_action",
        "capped",
        "capped_size",
        "capped_max",
        "capped_seq",
        "data_size",
        "coll_id",
        "id_accesses",
        "tail_waiters",
        "track_versions",
    )

    def __init__(
        self,
        db_name: str,
        name: str,
        options: dict[str, Any] | None = None,
        uuid: uuidlib.UUID | None = None,
        coll_id: int = 0,
    ) -> None:
        self.db_name = db_name
        self.name = name
        self.uuid = uuid or uuidlib.uuid4()
        self.options: dict[str, Any] = dict(options or {})
        self.records: dict[bytes, bytes] = {}
        self.indexes: dict[str, Index] = {}
        self.id_spec = IndexSpec(ID_INDEX, [("_id", 1)], unique=True)
        self._sorted_ids: SortedList | None = None
        self.versions: dict[bytes, int] = {}
        self.version_horizon = 0
        self.validator: Any = None
        self.validation_level = "strict"
        self.validation_action = "error"
        self.capped = bool(self.options.get("capped"))
        self.capped_size = int(self.options.get("size") or 0)
        self.capped_max = int(self.options.get("max") or 0)
        # capped collections: insertion sequence per record (tailable cursors resume from it)
        self.capped_seq: dict[bytes, int] | None = {} if self.capped else None
        self.data_size = 0
        self.coll_id = coll_id
        self.id_accesses = 0
        self.tail_waiters: list[Any] = []
        # per-document versions are kept only while multi-document transactions need them;
        # otherwise every write just moves the horizon (all older versions compare as it)
        self.track_versions = False

    @property
    def ns(self) -> str:
        return f"{self.db_name}.{self.name}"

    def __len__(self) -> int:
        return len(self.records)

    # -- reads ---------------------------------------------------------------------------------
    def get(self, idkey: bytes) -> bytes | None:
        return self.records.get(idkey)

    def sorted_ids(self) -> SortedList:
        if self._sorted_ids is None:
            self._sorted_ids = SortedList(self.records)
        return self._sorted_ids

    def version_of(self, idkey: bytes) -> int:
        return self.versions.get(idkey, self.version_horizon)

    def index_specs(self) -> list[IndexSpec]:
        return [self.id_spec] + [ix.spec for ix in self.indexes.values()]

    # -- writes --------------------------------------------------------------------------------
    def _touch(self, idkey: bytes, ts: int) -> None:
        if not self.track_versions:
            self.version_horizon = ts
            return
        versions = self.versions
        if len(versions) >= VERSIONS_KEPT:
            versions.clear()
            self.version_horizon = ts
        versions[idkey] = ts

    def check_insert(self, doc: dict, idkey: bytes) -> list[tuple[Index, list[bytes]]]:
        """Index keys for a new document; raises E11000 when a unique index already holds one."""
        if idkey in self.records:
            raise self.duplicate_key_error(None, {"_id": doc.get("_id")})
        plan = []
        for ix in self.indexes.values():
            keys = ix.keys_for(doc)
            if ix.spec.unique:
                dup = ix.check_unique(keys, idkey)
                if dup is not None:
                    raise self.duplicate_key_error(ix, key_value(ix, doc, dup))
            plan.append((ix, keys))
        return plan

    def insert(
        self,
        idkey: bytes,
        raw: bytes,
        plan: list[tuple[Index, list[bytes]]],
        ts: int = 0,
    ) -> None:
        """Store a checked document (see :meth:`check_insert`)."""
        self.records[idkey] = raw
        self.data_size += len(raw)
        for ix, keys in plan:
            if keys:
                ix.add(keys, idkey)
        if self._sorted_ids is not None:
            self._sorted_ids.add(idkey)
        if ts:
            self._touch(idkey, ts)
        if self.capped_seq is not None:
            self.capped_seq[idkey] = ts or len(self.capped_seq)

    def check_replace(
        self, idkey: bytes, old: dict, new: dict, touched: set[str] | None = None
    ) -> list[tuple[Index, list[bytes], list[bytes]]]:
        plan = []
        for ix in self.indexes.values():
            if touched is not None and not any(p[0] in touched for p in ix.parts):
                if ix.partial_filter is None:
                    continue
            old_keys = ix.keys_for(old)
            new_keys = ix.keys_for(new)
            if old_keys == new_keys:
                continue
            if ix.spec.unique:
                dup = ix.check_unique(new_keys, idkey)
                if dup is not None:
                    raise self.duplicate_key_error(ix, key_value(ix, new, dup))
            plan.append((ix, old_keys, new_keys))
        return plan

    def replace(
        self,
        idkey: bytes,
        raw: bytes,
        plan: list[tuple[Index, list[bytes], list[bytes]]],
        ts: int = 0,
    ) -> None:
        old = self.records[idkey]
        self.records[idkey] = raw
        self.data_size += len(raw) - len(old)
        for ix, old_keys, new_keys in plan:
            ix.remove(old_keys, idkey)
            ix.add(new_keys, idkey)
        if ts:
            self._touch(idkey, ts)

    def delete(self, idkey: bytes, doc: dict | None, ts: int = 0) -> None:
        raw = self.records.pop(idkey)
        self.data_size -= len(raw)
        if self.indexes:
            if doc is None:
                from .wire import decode_document

                doc = decode_document(raw)
            for ix in self.indexes.values():
                ix.remove(ix.keys_for(doc), idkey)
        if self._sorted_ids is not None:
            self._sorted_ids.discard(idkey)
        if self.capped_seq is not None:
            self.capped_seq.pop(idkey, None)
        if ts:
            self._touch(idkey, ts)

    def truncate(self) -> None:
        self.records.clear()
        self.data_size = 0
        self._sorted_ids = None
        for ix in self.indexes.values():
            ix.clear()
        if self.capped_seq is not None:
            self.capped_seq.clear()

    # -- indexes -------------------------------------------------------------------------------
    def build_index(self, ix: Index, decode: Any) -> None:
        """Fill a new index from the records; E11000 when a unique index meets duplicates."""
        seen: dict[bytes, bytes] = {}
        for idkey, raw in self.records.items():
            doc = decode(raw)
            keys = ix.keys_for(doc)
            if ix.spec.unique:
                for k in keys:
                    other = seen.get(k)
                    if other is not None and other != idkey:
                        ix.clear()
                        raise self.duplicate_key_error(ix, key_value(ix, doc, k))
                    seen[k] = idkey
            ix.add(keys, idkey)

    def duplicate_key_error(self, ix: Index | None, key_value_doc: dict) -> MongoError:
        if ix is None:
            name = ID_INDEX
            pattern: dict[str, Any] = {"_id": 1}
        else:
            name = ix.name
            pattern = dict(ix.spec.key)
        return MongoError(
            11000,
            f"E11000 duplicate key error collection: {self.ns} index: {name} "
            f"dup key: {display.document(key_value_doc)}",
            extra={"keyPattern": pattern, "keyValue": key_value_doc},
        )

    def ids_in_index_order(
        self, ix: Index, lo: bytes | None, hi: bytes | None, reverse: bool = False
    ) -> Iterator[bytes]:
        for e in ix.scan(lo, hi, reverse):
            yield entry_idkey(e)

    def raw_docs(self) -> Iterator[tuple[bytes, bytes]]:
        """(idkey, raw) in natural order over a snapshot of the keys (safe against writes)."""
        records = self.records
        for k in list(records):
            raw = records.get(k)
            if raw is not None:
                yield k, raw


def key_value(ix: Index, doc: dict, key: bytes) -> dict[str, Any]:
    """The field values of ``doc`` that make up index key ``key`` (for E11000's keyValue)."""
    from . import paths
    from .index import _component, _index_values

    out: dict[str, Any] = {}
    rest = key
    for f, parts, desc in zip(ix.fields, ix.parts, ix.descending, strict=True):
        chosen: Any = None
        for v in _index_values(doc, parts):
            c = _component(v, desc)
            if rest.startswith(c):
                chosen = None if v is MISSING else v
                rest = rest[len(c) :]
                break
        out[f] = chosen
        _ = paths
    return out


def id_key(v: Any) -> bytes:
    return encode_key(v)


def collection_stats(coll: Collection, scale: int = 1) -> dict[str, Any]:
    """collStats' figures (sizes are the BSON bytes stored)."""
    count = len(coll)
    size = coll.data_size
    index_sizes = {"_id_": len(coll.records) * 16}
    for ix in coll.indexes.values():
        index_sizes[ix.name] = ix.size_bytes()
    total_index = sum(index_sizes.values())
    out: dict[str, Any] = {
        "ns": coll.ns,
        "size": size // scale,
        "count": count,
        "avgObjSize": size // count if count else 0,
        "numOrphanDocs": 0,
        "storageSize": size // scale,
        "freeStorageSize": 0,
        "capped": coll.capped,
        "nindexes": 1 + len(coll.indexes),
        "indexDetails": {},
        "indexBuilds": [],
        "totalIndexSize": total_index // scale,
        "totalSize": (size + total_index) // scale,
        "indexSizes": {k: v // scale for k, v in index_sizes.items()},
        "scaleFactor": scale,
    }
    if coll.capped:
        out["max"] = coll.capped_max
        out["maxSize"] = coll.capped_size // scale
    return out
