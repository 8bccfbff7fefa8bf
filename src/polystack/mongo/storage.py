"""The catalog (databases and collections) and every write, stamped and logged.

All writes go through :class:`Storage`: it validates names, creates collections implicitly,
keeps indexes in step, stamps each write with a cluster time, appends it to the in-memory oplog
and hands it to the durable log (:mod:`.persist`).  Commands never touch ``Collection`` writes
directly, so the oplog and the log on disk see every change.
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import wire
from .bsontypes import type_name
from .collection import ID_INDEX, Collection, id_key
from .errors import MongoError
from .index import Index, IndexSpec, index_name
from .keystring import MISSING
from .oplog import ClusterClock, Oplog, OplogEntry

log = logging.getLogger(__name__)

INVALID_DB_CHARS = set('/\\. "$\x00')
MAX_DOC = wire.MAX_BSON_OBJECT_SIZE
MAX_DB_NAME = 63
MAX_NS = 255


@dataclass
class Database:
    name: str
    collections: dict[str, Collection] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)


class Storage:
    """All databases of the server."""

    def __init__(self, clock: Any, oplog_window: int = 10_000) -> None:
        self.clock = clock
        self.cluster = ClusterClock(clock)
        self.oplog = Oplog(oplog_window)
        self.databases: dict[str, Database] = {}
        self.log: Any = None  # persist.StoreLog once the service opened it
        self.next_coll_id = 1
        self.listeners: list[Callable[[OplogEntry], None]] = []
        self.stats = {"inserted": 0, "updated": 0, "deleted": 0, "returned": 0}
        self.ttl_deleted = 0
        self.ttl_passes = 0

    # -- names ---------------------------------------------------------------------------------
    @staticmethod
    def check_db_name(db: str) -> None:
        if not db:
            raise MongoError(73, "Invalid database name: ''")
        if len(db) > MAX_DB_NAME:
            raise MongoError(73, f"db name is too long: {db}")
        for ch in db:
            if ch in INVALID_DB_CHARS:
                raise MongoError(73, f"Invalid database name: '{db}'")

    @staticmethod
    def check_coll_name(db: str, name: str, for_create: bool = True) -> None:
        if not isinstance(name, str):
            raise MongoError(2, f"collection name has invalid type {type_name(name)}")
        if not name:
            raise MongoError(73, f"Invalid namespace specified '{db}.'")
        if "\x00" in name or (name.startswith("$")) or ("$" in name and name != "oplog.$main"):
            raise MongoError(73, f"Invalid collection name: {name}")
        if name.startswith(".") or name.endswith(".") and False:
            raise MongoError(73, f"Invalid namespace specified '{db}.{name}'")
        if len(db) + 1 + len(name) > MAX_NS:
            raise MongoError(
                73, f"Fully qualified namespace is too long. Namespace: {db}.{name} Max: {MAX_NS}"
            )
        if (
            for_create
            and name.startswith("system.")
            and name
            not in (
                "system.js",
                "system.views",
                "system.profile",
                "system.users",
                "system.roles",
                "system.buckets",
            )
            and not name.startswith("system.buckets.")
        ):
            raise MongoError(
                20,
                f"Invalid system namespace: {db}.{name}",
            )

    # -- lookups -------------------------------------------------------------------------------
    def database(self, name: str) -> Database | None:
        return self.databases.get(name)

    def collection(self, db: str, name: str) -> Collection | None:
        d = self.databases.get(db)
        if d is None:
            return None
        return d.collections.get(name)

    def all_collections(self) -> list[Collection]:
        return [c for d in self.databases.values() for c in d.collections.values()]

    # -- catalog writes ------------------------------------------------------------------------
    def _stamp(self) -> int:
        return self.cluster.tick()

    def _emit(self, entry: OplogEntry) -> None:
        self.oplog.append(entry)
        for fn in self.listeners:
            try:
                fn(entry)
            except Exception:
                log.exception("oplog listener failed")

    def create_collection(
        self,
        db: str,
        name: str,
        options: dict[str, Any] | None = None,
        uuid: uuidlib.UUID | None = None,
        coll_id: int | None = None,
        replay: bool = False,
        ts: int = 0,
    ) -> Collection:
        self.check_db_name(db)
        self.check_coll_name(db, name)
        d = self.databases.get(db)
        if d is None:
            d = Database(db)
            self.databases[db] = d
        if name in d.collections or name in d.views:
            raise MongoError(48, f"Collection {db}.{name} already exists.")
        options = dict(options or {})
        if coll_id is None:
            coll_id = self.next_coll_id
        self.next_coll_id = max(self.next_coll_id, coll_id + 1)
        coll = Collection(db, name, options, uuid, coll_id)
        self._configure_validator(coll, options)
        d.collections[name] = coll
        if not replay:
            ts = self._stamp()
            if self.log is not None:
                self.log.create(coll, ts)
            self._emit(
                OplogEntry(
                    ts,
                    "c",
                    f"{db}.$cmd",
                    {"create": name, **options},
                    None,
                    coll.uuid,
                    self.clock.time_ms(),
                )
            )
        return coll

    def _configure_validator(self, coll: Collection, options: dict[str, Any]) -> None:
        from .query.matcher import compile_filter

        validator = options.get("validator")
        coll.validator = compile_filter(validator) if validator else None
        coll.validation_level = options.get("validationLevel", "strict")
        coll.validation_action = options.get("validationAction", "error")

    def get_or_create(self, db: str, name: str) -> Collection:
        coll = self.collection(db, name)
        if coll is not None:
            return coll
        d = self.databases.get(db)
        if d is not None and name in d.views:
            raise MongoError(166, f"Namespace {db}.{name} is a view, not a collection")
        return self.create_collection(db, name)

    def drop_collection(self, db: str, name: str, replay: bool = False) -> Collection | None:
        d = self.databases.get(db)
        if d is None:
            return None
        if name in d.views:
            view = d.views.pop(name)
            if not replay:
                ts = self._stamp()
                if self.log is not None:
                    self.log.command(ts, {"dropView": name, "db": db})
            _ = view
            return None
        coll = d.collections.pop(name, None)
        if coll is None:
            return None
        if not d.collections and not d.views:
            del self.databases[db]
        if not replay:
            ts = self._stamp()
            if self.log is not None:
                self.log.drop(coll, ts)
            self._emit(
                OplogEntry(
                    ts, "c", f"{db}.$cmd", {"drop": name}, None, coll.uuid, self.clock.time_ms()
                )
            )
        return coll

    def drop_database(self, db: str, replay: bool = False) -> bool:
        d = self.databases.pop(db, None)
        if d is None:
            return False
        if not replay:
            ts = self._stamp()
            if self.log is not None:
                self.log.command(ts, {"dropDatabase": 1, "db": db})
            self._emit(
                OplogEntry(
                    ts, "c", f"{db}.$cmd", {"dropDatabase": 1}, None, None, self.clock.time_ms()
                )
            )
        return True

    def rename_collection(
        self, db: str, name: str, to_db: str, to_name: str, drop_target: bool, replay: bool = False
    ) -> None:
        src = self.collection(db, name)
        if src is None:
            raise MongoError(26, "source namespace does not exist")
        self.check_db_name(to_db)
        self.check_coll_name(to_db, to_name)
        if self.collection(to_db, to_name) is not None:
            if not drop_target:
                raise MongoError(48, "target namespace exists")
            self.drop_collection(to_db, to_name, replay=True)
        d = self.databases[db]
        del d.collections[name]
        if not d.collections and not d.views:
            del self.databases[db]
        td = self.databases.get(to_db)
        if td is None:
            td = Database(to_db)
            self.databases[to_db] = td
        src.db_name = to_db
        src.name = to_name
        td.collections[to_name] = src
        if not replay:
            ts = self._stamp()
            if self.log is not None:
                self.log.command(
                    ts,
                    {
                        "renameCollection": f"{db}.{name}",
                        "to": f"{to_db}.{to_name}",
                        "dropTarget": drop_target,
                    },
                )
            self._emit(
                OplogEntry(
                    ts,
                    "c",
                    f"{db}.$cmd",
                    {
                        "renameCollection": f"{db}.{name}",
                        "to": f"{to_db}.{to_name}",
                        "dropTarget": drop_target,
                    },
                    None,
                    src.uuid,
                    self.clock.time_ms(),
                )
            )

    def set_options(self, coll: Collection, options: dict[str, Any], replay: bool = False) -> None:
        coll.options = options
        self._configure_validator(coll, options)
        if not replay:
            ts = self._stamp()
            if self.log is not None:
                self.log.command(ts, {"collMod": coll.name, "db": coll.db_name, "options": options})

    def create_view(
        self, db: str, name: str, view_on: str, pipeline: list, replay: bool = False
    ) -> None:
        self.check_db_name(db)
        self.check_coll_name(db, name)
        d = self.databases.get(db)
        if d is None:
            d = Database(db)
            self.databases[db] = d
        if name in d.collections or name in d.views:
            raise MongoError(48, f"Collection {db}.{name} already exists.")
        d.views[name] = {"viewOn": view_on, "pipeline": pipeline}
        if not replay:
            ts = self._stamp()
            if self.log is not None:
                self.log.command(
                    ts, {"createView": name, "db": db, "viewOn": view_on, "pipeline": pipeline}
                )

    # -- indexes -------------------------------------------------------------------------------
    def create_index(self, coll: Collection, spec: IndexSpec, replay: bool = False) -> Index:
        from .query.matcher import compile_filter

        partial = compile_filter(spec.partial) if spec.partial is not None else None
        ix = Index(spec, partial)
        coll.build_index(ix, wire.decode_document)
        coll.indexes[spec.name] = ix
        if not replay:
            ts = self._stamp()
            if self.log is not None:
                self.log.command(
                    ts, {"createIndexes": coll.name, "db": coll.db_name, "spec": spec.to_doc()}
                )
            self._emit(
                OplogEntry(
                    ts,
                    "c",
                    f"{coll.db_name}.$cmd",
                    {"createIndexes": coll.name, **spec.to_doc()},
                    None,
                    coll.uuid,
                    self.clock.time_ms(),
                )
            )
        return ix

    def drop_index(self, coll: Collection, name: str, replay: bool = False) -> None:
        coll.indexes.pop(name, None)
        if not replay:
            ts = self._stamp()
            if self.log is not None:
                self.log.command(ts, {"dropIndexes": coll.name, "db": coll.db_name, "index": name})
            self._emit(
                OplogEntry(
                    ts,
                    "c",
                    f"{coll.db_name}.$cmd",
                    {"dropIndexes": coll.name, "index": name},
                    None,
                    coll.uuid,
                    self.clock.time_ms(),
                )
            )

    # -- document writes -----------------------------------------------------------------------
    def insert(self, coll: Collection, doc: dict, raw: bytes) -> int:
        """Insert one checked document; returns its cluster time."""
        idkey = id_key(doc["_id"])
        plan = coll.check_insert(doc, idkey)
        if coll.capped:
            self._make_room(coll, len(raw))
        ts = self._stamp()
        coll.insert(idkey, raw, plan, ts)
        if self.log is not None:
            self.log.insert(coll, ts, raw)
        self._emit(OplogEntry(ts, "i", coll.ns, raw, None, coll.uuid, 0))
        self.stats["inserted"] += 1
        if coll.tail_waiters:
            self._wake(coll)
        return ts

    def insert_batch(
        self,
        coll: Collection,
        raws: list[bytes],
        docs: list[dict],
        ordered: bool,
        prepare: Callable[[dict, bytes], tuple[dict, bytes]],
        check: Callable[[Collection, dict], None],
    ) -> tuple[int, list[tuple[int, MongoError]], int]:
        """Insert many documents; returns (inserted, [(index, error)], last cluster time).

        Documents whose ``_id`` is an ObjectId stored first, in a collection without secondary
        indexes or validator, take a fast path: their bytes are stored as received.  Others are
        prepared (``prepare`` adds/moves ``_id`` and checks the size), validated (``check``) and
        their index keys checked one by one; either way a run of inserts is one log record and
        one oplog entry.  Capped collections insert one document at a time (the oldest ones
        are deleted as new ones come).
        """
        records = coll.records
        fast_ok = not coll.indexes and coll.validator is None and not coll.capped
        run: list[bytes] = []
        errors: list[tuple[int, MongoError]] = []
        n = 0
        last_ts = 0
        sorted_ids = coll._sorted_ids
        size = 0
        for i, raw in enumerate(raws):
            try:
                if fast_ok and raw[4] == 7 and raw[5:9] == b"_id\x00" and len(raw) <= MAX_DOC:
                    idkey = b"\x64" + raw[9:21]
                    if idkey in records:
                        raise coll.duplicate_key_error(None, {"_id": docs[i]["_id"]})
                    records[idkey] = raw
                    size += len(raw)
                    if sorted_ids is not None:
                        sorted_ids.add(idkey)
                    run.append(raw)
                    n += 1
                    continue
                doc, stored = prepare(docs[i], raw)
                check(coll, doc)
                if not coll.capped:
                    # indexes or a validator: keys checked per document, still one log record
                    idkey = id_key(doc["_id"])
                    plan = coll.check_insert(doc, idkey)
                    coll.insert(idkey, stored, plan)
                    run.append(stored)
                    n += 1
                    continue
                if run:
                    last_ts = self._log_run(coll, run)
                    run = []
                last_ts = self.insert(coll, doc, stored)
                n += 1
            except MongoError as e:
                errors.append((i, e))
                if ordered:
                    break
        coll.data_size += size
        if run:
            last_ts = self._log_run(coll, run)
        return n, errors, last_ts

    def _log_run(self, coll: Collection, run: list[bytes]) -> int:
        first = self.cluster.reserve(len(run))
        last = first + len(run) - 1
        coll._touch(b"", last)
        if self.log is not None:
            self.log.insert_many(coll, first, run)
        self._emit(OplogEntry(first, "i", coll.ns, run, None, coll.uuid, 0))
        self.stats["inserted"] += len(run)
        if coll.tail_waiters:
            self._wake(coll)
        return last

    def _make_room(self, coll: Collection, incoming: int) -> None:
        if coll.capped_size and incoming > coll.capped_size:
            raise MongoError(
                2,
                f"document is larger than capped size {incoming} > {coll.capped_size}",
            )
        while coll.records and (
            (coll.capped_size and coll.data_size + incoming > coll.capped_size)
            or (coll.capped_max and len(coll.records) >= coll.capped_max)
        ):
            oldest = next(iter(coll.records))
            self.delete(coll, oldest, None, capped_eviction=True)

    def replace(
        self,
        coll: Collection,
        idkey: bytes,
        old: dict,
        new: dict,
        raw: bytes,
        touched: set[str] | None = None,
    ) -> int:
        """Store a new version of a document; ``touched`` (the top-level fields an update may
        change) lets indexes on other fields skip their key comparison."""
        plan = coll.check_replace(idkey, old, new, touched)
        ts = self._stamp()
        coll.replace(idkey, raw, plan, ts)
        if self.log is not None:
            self.log.update(coll, ts, raw)
        self._emit(OplogEntry(ts, "u", coll.ns, raw, {"_id": new.get("_id")}, coll.uuid, 0))
        self.stats["updated"] += 1
        return ts

    def delete(
        self, coll: Collection, idkey: bytes, doc: dict | None, capped_eviction: bool = False
    ) -> int:
        ts = self._stamp()
        if doc is None and self.listeners:
            doc = wire.decode_document(coll.records[idkey])
        coll.delete(idkey, doc, ts)
        if self.log is not None:
            self.log.delete(coll, ts, idkey)
        _id = doc.get("_id") if doc is not None else MISSING
        self._emit(OplogEntry(ts, "d", coll.ns, {"_id": _id}, None, coll.uuid, 0))
        if not capped_eviction:
            self.stats["deleted"] += 1
        return ts

    def _wake(self, coll: Collection) -> None:
        waiters, coll.tail_waiters = coll.tail_waiters, []
        for w in waiters:
            try:
                w()
            except Exception:
                log.exception("tailable cursor wake-up failed")

    # -- id index spec -------------------------------------------------------------------------
    @staticmethod
    def id_index_spec() -> IndexSpec:
        return IndexSpec(ID_INDEX, [("_id", 1)], unique=True)


def default_index_name(key: list[tuple[str, Any]]) -> str:
    return index_name(key)
