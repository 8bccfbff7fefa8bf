"""What the document store writes to the runtime's record log, and how it reads it back.

Every write is one record (written at the end of the loop turn that made it, see
``runtime/log.py``): ``[1-byte kind][u32 collection id][u64 cluster time][body]``.

``C`` create collection (body: BSON {db, name, options, uuid}), ``D`` drop collection,
``i`` insert and ``u`` update (body: the document's full BSON — replay just stores it), ``I``
a run of inserts (body: the documents' BSON back to back; cluster times ``ts``, ``ts+1`` ...),
``d`` delete (body: the ``_id`` key), ``X`` any other catalog change (body: a BSON command:
createIndexes, dropIndexes, renameCollection, dropDatabase, collMod, views).

A snapshot is a stream of chunks (``runtime/journal.py``): the catalog (collections, their
options and index specs, views) as one BSON chunk, then each collection's documents in runs of
about 256 KiB.  Recovery streams the snapshot's chunks and then the records after it; indexes
are rebuilt from the documents.
"""

from __future__ import annotations

import logging
import struct
import uuid as uuidlib
from collections.abc import Iterable, Iterator
from typing import Any

from bson.binary import Binary

from . import wire
from .collection import Collection
from .errors import MongoError
from .index import parse_index_spec
from .keystring import encode_key
from .storage import Storage

log = logging.getLogger(__name__)

REC = struct.Struct("<cIQ")
CHUNK_BYTES = 256 * 1024
U32 = struct.Struct("<I")
U64 = struct.Struct("<Q")
SNAP_VERSION = 1


def doc_id_key(raw: bytes) -> bytes:
    """The ``_id`` key of a stored document (fast for an ObjectId stored first)."""
    if raw[4] == 0x07 and raw[5:9] == b"_id\x00":
        return b"\x64" + raw[9:21]
    doc = wire.decode_document(raw)
    return encode_key(doc["_id"])


class StoreLog:
    """Writes records for a :class:`Storage` into a runtime ``Journal``."""

    def __init__(self, journal: Any) -> None:
        self.journal = journal
        self.records_since_snapshot = 0

    @property
    def last_seq(self) -> int:
        return self.journal.log.last_seq

    def _append(self, kind: bytes, coll_id: int, ts: int, body: bytes) -> int:
        self.records_since_snapshot += 1
        return self.journal.append(REC.pack(kind, coll_id, ts) + body)

    def create(self, coll: Collection, ts: int) -> None:
        self._append(b"C", coll.coll_id, ts, wire.encode_document(_coll_meta(coll)))

    def drop(self, coll: Collection, ts: int) -> None:
        self._append(b"D", coll.coll_id, ts, b"")

    def insert(self, coll: Collection, ts: int, raw: bytes) -> None:
        self._append(b"i", coll.coll_id, ts, raw)

    def insert_many(self, coll: Collection, first_ts: int, raws: list[bytes]) -> None:
        self._append(b"I", coll.coll_id, first_ts, b"".join(raws))

    def update(self, coll: Collection, ts: int, raw: bytes) -> None:
        self._append(b"u", coll.coll_id, ts, raw)

    def delete(self, coll: Collection, ts: int, idkey: bytes) -> None:
        self._append(b"d", coll.coll_id, ts, idkey)

    def command(self, ts: int, doc: dict[str, Any]) -> None:
        self._append(b"X", 0, ts, wire.encode_document(doc))

    def flush(self, sync: bool = True) -> None:
        self.journal.flush(sync)

    @property
    def size(self) -> int:
        return self.journal.log.size

    def compact(self, storage: Storage) -> None:
        """Write a snapshot now (on this thread) and start a new log generation."""
        self.journal.compact(snapshot_chunks(storage))
        self.records_since_snapshot = 0

    def compact_in_background(self, storage: Storage) -> Any:
        """Snapshot with the file writes and fsyncs on the I/O threads; returns a future."""
        self.records_since_snapshot = 0
        return self.journal.compact_in_background(snapshot_chunks(storage))

    @property
    def record_log(self) -> Any:
        """The log the latest records went to (``when_synced`` waits on it)."""
        return self.journal.log


def _coll_meta(coll: Collection) -> dict[str, Any]:
    return {
        "db": coll.db_name,
        "name": coll.name,
        "options": coll.options,
        "uuid": Binary.from_uuid(coll.uuid),
        "id": coll.coll_id,
    }


# ---------------------------------------------------------------------------------------------
# snapshot


def snapshot_chunks(storage: Storage) -> Iterator[bytes]:
    """The snapshot as chunks: ``H`` + the catalog (BSON), then ``D`` + collection id + the
    documents' BSON back to back, about 256 KiB a chunk."""
    colls = storage.all_collections()
    header = {
        "version": SNAP_VERSION,
        "nextCollId": storage.next_coll_id,
        "clusterTime": storage.cluster.last,
        "views": [
            {"db": d.name, "name": n, **v}
            for d in storage.databases.values()
            for n, v in d.views.items()
        ],
        "collections": [
            {**_coll_meta(c), "indexes": [ix.spec.to_doc() for ix in c.indexes.values()]}
            for c in colls
        ],
    }
    yield b"H" + wire.encode_document(header)
    for c in colls:
        prefix = b"D" + U32.pack(c.coll_id)
        batch: list[bytes] = []
        size = 0
        for raw in list(c.records.values()):
            batch.append(raw)
            size += len(raw)
            if size >= CHUNK_BYTES:
                yield prefix + b"".join(batch)
                batch = []
                size = 0
        if batch:
            yield prefix + b"".join(batch)


def load(storage: Storage, chunks: Iterable[bytes] | None, records: Iterable[bytes]) -> int:
    """Rebuild ``storage`` from snapshot chunks and the records after them; returns the number
    of records replayed."""
    by_id: dict[int, Collection] = {}
    pending_indexes: list[tuple[Collection, dict]] = []
    for chunk in chunks or ():
        kind = chunk[:1]
        if kind == b"H":
            header = wire.decode_document(chunk[1:])
            storage.next_coll_id = int(header.get("nextCollId", 1))
            storage.cluster.advance_to(int(header.get("clusterTime", 0)))
            for meta in header.get("collections", []):
                coll = _create(storage, meta)
                by_id[coll.coll_id] = coll
                for spec in meta.get("indexes", []):
                    pending_indexes.append((coll, spec))
            for v in header.get("views", []):
                storage.create_view(v["db"], v["name"], v["viewOn"], v["pipeline"], replay=True)
        elif kind == b"D":
            (coll_id,) = U32.unpack_from(chunk, 1)
            owner = by_id.get(coll_id)
            if owner is None:
                raise ValueError(f"snapshot: documents for unknown collection id {coll_id}")
            _load_docs(owner, chunk, 5, len(chunk))
        else:
            raise ValueError(f"snapshot: unknown chunk kind {kind!r}")
    for coll, spec in pending_indexes:
        _create_index(storage, coll, spec)
    n = 0
    for rec in records:
        _replay(storage, by_id, rec)
        n += 1
    return n


def _create(storage: Storage, meta: dict[str, Any]) -> Collection:
    u = meta.get("uuid")
    uid = u.as_uuid() if isinstance(u, Binary) else uuidlib.uuid4()
    return storage.create_collection(
        meta["db"],
        meta["name"],
        meta.get("options") or {},
        uuid=uid,
        coll_id=int(meta["id"]),
        replay=True,
    )


def _load_docs(coll: Collection, data: bytes, start: int, end: int) -> None:
    records = coll.records
    unpack = wire.INT32.unpack_from
    pos = start
    size = 0
    while pos < end:
        (n,) = unpack(data, pos)
        raw = data[pos : pos + n]
        records[doc_id_key(raw)] = raw
        size += n
        pos += n
    coll.data_size += size
    if coll.capped_seq is not None:
        for i, k in enumerate(records):
            coll.capped_seq[k] = i


def _create_index(storage: Storage, coll: Collection, spec_doc: dict) -> None:
    try:
        storage.create_index(coll, parse_index_spec(spec_doc), replay=True)
    except MongoError as e:
        log.error("could not rebuild index %s on %s: %s", spec_doc.get("name"), coll.ns, e)


def _replay(storage: Storage, by_id: dict[int, Collection], rec: bytes) -> None:
    kind, coll_id, ts = REC.unpack_from(rec, 0)
    body = rec[REC.size :]
    storage.cluster.advance_to(ts)
    if kind == b"C":
        meta = wire.decode_document(body)
        existing = storage.collection(meta["db"], meta["name"])
        if existing is not None:
            storage.drop_collection(meta["db"], meta["name"], replay=True)
        by_id[coll_id] = _create(storage, meta)
        return
    if kind == b"X":
        _replay_command(storage, by_id, wire.decode_document(body))
        return
    coll = by_id.get(coll_id)
    if coll is None:
        log.warning("log record for unknown collection id %d skipped", coll_id)
        return
    if kind == b"D":
        storage.drop_collection(coll.db_name, coll.name, replay=True)
        by_id.pop(coll_id, None)
        return
    if kind == b"I":
        docs = wire.split_documents(body, 0, len(body))
        storage.cluster.advance_to(ts + len(docs) - 1)
        for raw in docs:
            _replay_put(coll, raw, ts)
        return
    if kind in (b"i", b"u"):
        _replay_put(coll, bytes(body), ts)
        return
    if kind == b"d":
        idkey = bytes(body)
        if idkey in coll.records:
            coll.delete(idkey, None, ts)
        return
    log.warning("unknown log record kind %r skipped", kind)


def _replay_put(coll: Collection, raw: bytes, ts: int) -> None:
    idkey = doc_id_key(raw)
    old = coll.records.get(idkey)
    if coll.indexes:
        doc = wire.decode_document(raw)
        if old is None:
            coll.insert(idkey, raw, [(ix, ix.keys_for(doc)) for ix in coll.indexes.values()], ts)
        else:
            odoc = wire.decode_document(old)
            coll.replace(
                idkey,
                raw,
                [(ix, ix.keys_for(odoc), ix.keys_for(doc)) for ix in coll.indexes.values()],
                ts,
            )
    elif old is None:
        coll.insert(idkey, raw, [], ts)
    else:
        coll.replace(idkey, raw, [], ts)


def _replay_command(storage: Storage, by_id: dict[int, Collection], cmd: dict) -> None:
    if "dropDatabase" in cmd:
        db = storage.database(cmd["db"])
        if db is not None:
            for c in db.collections.values():
                by_id.pop(c.coll_id, None)
        storage.drop_database(cmd["db"], replay=True)
    elif "renameCollection" in cmd:
        sdb, sname = cmd["renameCollection"].split(".", 1)
        ddb, dname = cmd["to"].split(".", 1)
        target = storage.collection(ddb, dname)
        if target is not None:
            by_id.pop(target.coll_id, None)
        storage.rename_collection(sdb, sname, ddb, dname, bool(cmd.get("dropTarget")), replay=True)
    elif "createIndexes" in cmd:
        coll = storage.collection(cmd["db"], cmd["createIndexes"])
        if coll is not None:
            if cmd.get("replace"):
                coll.indexes.pop(cmd["spec"]["name"], None)
            _create_index(storage, coll, cmd["spec"])
    elif "dropIndexes" in cmd:
        coll = storage.collection(cmd["db"], cmd["dropIndexes"])
        if coll is not None:
            storage.drop_index(coll, cmd["index"], replay=True)
    elif "collMod" in cmd:
        coll = storage.collection(cmd["db"], cmd["collMod"])
        if coll is not None:
            storage.set_options(coll, cmd["options"], replay=True)
    elif "createView" in cmd:
        storage.create_view(
            cmd["db"], cmd["createView"], cmd["viewOn"], cmd["pipeline"], replay=True
        )
    elif "dropView" in cmd:
        storage.drop_collection(cmd["db"], cmd["dropView"], replay=True)
    else:
        log.warning("unknown catalog record %r skipped", next(iter(cmd), None))
