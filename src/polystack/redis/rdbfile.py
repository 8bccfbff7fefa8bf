"""Whole RDB files as Redis 7.0 writes and reads them (rdb.c's rdbSaveRio / rdbLoadRio).

A file is ``REDIS0010``, the aux fields (``redis-ver``, ``redis-bits``, ``ctime``,
``used-mem``, for a server with a replication backlog ``repl-stream-db``/``repl-id``/
``repl-offset``, then ``aof-base``), and for every non-empty database ``SELECTDB``,
``RESIZEDB`` and its keys — each an optional ``EXPIRETIME_MS``, an optional ``IDLE``/``FREQ``
under an LRU/LFU maxmemory policy, the type byte, the key and the object — then ``EOF`` and the
CRC64 of everything before it (zero with ``rdbchecksum no``).

Objects go through the per-type registry in :mod:`polystack.redis.rdb`; strings, the bulk of
most datasets, take an inlined fast path both ways.  Loading accepts RDB versions 1 to 10 and
every opcode Redis 7.0 reads; what it cannot hold (module values, module aux data) is an error
naming the offset, never a half-loaded dataset: callers load into a fresh
:class:`~polystack.redis.store.Keyspace` and swap it in when the whole file was read.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from polystack.redis import rdb
from polystack.redis.rdb import RDBError, Reader, crc64, save_len
from polystack.redis.store import Keyspace
from polystack.redis.version import REDIS_VERSION

try:  # liblzf itself (python-lzf): byte-identical to the pure-Python port, much faster
    from lzf import compress as _c_lzf_compress  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - the pure-Python port
    _c_lzf_compress = None

log = logging.getLogger(__name__)

RDB_VERSION = 10
MAGIC = b"REDIS"

OPCODE_FUNCTION2 = 245
OPCODE_FUNCTION_PRE_GA = 246
OPCODE_MODULE_AUX = 247
OPCODE_IDLE = 248
OPCODE_FREQ = 249
OPCODE_AUX = 250
OPCODE_RESIZEDB = 251
OPCODE_EXPIRETIME_MS = 252
OPCODE_EXPIRETIME = 253
OPCODE_SELECTDB = 254
OPCODE_EOF = 255

CHUNK = 1 << 20


class RDBLoadError(Exception):
    """The file cannot be loaded; the message says why (and where) as Redis would log it."""


@dataclass(slots=True)
class SaveInfo:
    """rdbSaveInfo: the replication state an RDB carries (for a replica's PSYNC after a
    restart, and for the full sync a master sends)."""

    repl_stream_db: int = 0
    repl_id: str = ""
    repl_offset: int = 0


@dataclass(slots=True)
class SaveOptions:
    compress: bool = True  # rdbcompression
    checksum: bool = True  # rdbchecksum
    ctime: int = 0
    used_mem: int = 0
    save_info: SaveInfo | None = None
    policy: str = "noeviction"  # maxmemory-policy: LRU/LFU policies write IDLE/FREQ
    now_ms: int = 0
    aof_base: bool = False
    functions: list[bytes] = field(default_factory=list)  # FUNCTION LOAD code per library


@dataclass(slots=True)
class LoadResult:
    keys: int = 0
    expired_skipped: int = 0
    version: int = RDB_VERSION
    aux: dict[bytes, bytes] = field(default_factory=dict)
    functions: list[bytes] = field(default_factory=list)

    @property
    def save_info(self) -> SaveInfo | None:
        """The replication state the file carries, when it has one (repl-id and offset)."""
        rid = self.aux.get(b"repl-id")
        off = self.aux.get(b"repl-offset")
        if rid is None or off is None:
            return None
        try:
            return SaveInfo(int(self.aux.get(b"repl-stream-db", b"0")), rid.decode(), int(off))
        except ValueError:
            return None


# -- writing ------------------------------------------------------------------------------
_LEN1 = [bytes((n,)) for n in range(64)]


def _int_encoding(s: bytes) -> bytes | None:
    """rdbTryIntegerEncoding for a string of at most 11 bytes, or None."""
    v = rdb._canonical_int(s)
    if v is None:
        return None
    return rdb._encode_int(v)


def _lzf(s: bytes, out_len: int) -> bytes | None:
    if _c_lzf_compress is not None:
        return _c_lzf_compress(s, out_len)
    return rdb.lzf_compress(s, out_len)


def string_writer(compress: bool) -> Callable[[bytes], bytes]:
    """rdbSaveRawString, with the common cases inlined."""
    len1 = _LEN1
    digits = b"-0123456789"

    def save(s: bytes) -> bytes:
        n = len(s)
        if n <= 11:
            if n and s[0] in digits:
                enc = _int_encoding(s)
                if enc is not None:
                    return enc
            return len1[n] + s
        if n > 20 and compress:
            packed = _lzf(s, n - 4)
            if packed is not None:
                return b"\xc3" + save_len(len(packed)) + save_len(n) + packed
        if n < 64:
            return len1[n] + s
        return save_len(n) + s

    return save


def _aux(key: bytes, value: bytes, save: Callable[[bytes], bytes]) -> bytes:
    return bytes((OPCODE_AUX,)) + save(key) + save(value)


def header(opts: SaveOptions) -> bytes:
    """The magic, version and aux fields (rdbSaveInfoAuxFields)."""
    save = string_writer(opts.compress)
    parts = [b"REDIS%04d" % RDB_VERSION]
    parts.append(_aux(b"redis-ver", REDIS_VERSION.encode(), save))
    parts.append(_aux(b"redis-bits", b"64", save))
    parts.append(_aux(b"ctime", b"%d" % opts.ctime, save))
    parts.append(_aux(b"used-mem", b"%d" % opts.used_mem, save))
    si = opts.save_info
    if si is not None:
        parts.append(_aux(b"repl-stream-db", b"%d" % si.repl_stream_db, save))
        parts.append(_aux(b"repl-id", si.repl_id.encode(), save))
        parts.append(_aux(b"repl-offset", b"%d" % si.repl_offset, save))
    parts.append(_aux(b"aof-base", b"1" if opts.aof_base else b"0", save))
    for code in opts.functions:
        parts.append(bytes((OPCODE_FUNCTION2,)) + save(code))
    return b"".join(parts)


def rdb_chunks(ks: Keyspace, opts: SaveOptions) -> Iterator[bytes]:
    """The file as chunks of about 1 MiB; the last one ends with EOF and the checksum."""
    crc = 0
    checksum = opts.checksum
    pending: list[bytes] = [header(opts)]
    size = len(pending[0])
    save = string_writer(opts.compress)
    lru = "lru" in opts.policy
    lfu = "lfu" in opts.policy
    now_s = opts.now_ms // 1000
    writers = rdb.WRITERS
    object_type = rdb.object_type
    write_object = rdb.write_object
    compress = opts.compress
    for db in ks.dbs:
        data = db.data
        if not data:
            continue
        expires = db.expires
        pending.append(
            bytes((OPCODE_SELECTDB,))
            + save_len(db.id)
            + bytes((OPCODE_RESIZEDB,))
            + save_len(len(data))
            + save_len(len(expires))
        )
        append = pending.append
        access = db.lru
        for key, value in data.items():
            if expires:
                when = expires.get(key)
                if when is not None:
                    append(b"\xfc" + (when & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little"))
            if lru or lfu:
                append(_access_opcode(access.get(key), lru, now_s))
            if type(value) is bytes:
                k = save(key)
                v = save(value)
                append(b"\x00" + k + v)
                size += len(k) + len(v) + 1
            else:
                if type(value) not in writers:
                    raise TypeError(f"no RDB encoding for {type(value).__name__}")
                body = bytes((object_type(value),)) + save(key) + write_object(value, compress)
                append(body)
                size += len(body)
            if size >= CHUNK:
                chunk = b"".join(pending)
                if checksum:
                    crc = crc64(chunk, crc)
                yield chunk
                pending = []
                append = pending.append
                size = 0
    pending.append(b"\xff")
    chunk = b"".join(pending)
    if checksum:
        crc = crc64(chunk, crc)
    yield chunk + (crc if checksum else 0).to_bytes(8, "little")


def _access_opcode(stamp: int | None, lru: bool, now_s: int) -> bytes:
    if lru:
        idle = max(0, now_s - stamp) if stamp is not None else 0
        return bytes((OPCODE_IDLE,)) + save_len(idle)
    counter = (stamp & 0xFF) if stamp is not None else 5
    return bytes((OPCODE_FREQ, counter))


def dump_bytes(ks: Keyspace, opts: SaveOptions) -> bytes:
    return b"".join(rdb_chunks(ks, opts))


def write_file(path: str, chunks: Iterator[bytes], fsync: Callable[[int], None] = os.fsync) -> int:
    """Write ``chunks`` to ``temp-<pid>.rdb`` beside ``path``, fsync, rename over ``path``
    (rdbSave); returns the size.  The temporary file is removed on failure."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f"temp-{os.getpid()}.rdb")
    size = 0
    try:
        with open(tmp, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
                size += len(chunk)
            f.flush()
            fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
    return size


# -- loading ------------------------------------------------------------------------------
class _Loader:
    """rdbLoadRio over a whole file held in memory."""

    def __init__(
        self,
        data: bytes,
        ks: Keyspace,
        now_ms: int,
        skip_expired: bool,
        on_function: Callable[[bytes], None] | None,
    ) -> None:
        self.data = data
        self.ks = ks
        self.now_ms = now_ms
        self.skip_expired = skip_expired
        self.on_function = on_function
        self.reader = Reader(data)

    def run(self) -> LoadResult:
        data = self.data
        reader = self.reader
        result = LoadResult()
        if len(data) < 9 or data[:5] != MAGIC:
            raise RDBLoadError("Wrong signature trying to load DB from file")
        try:
            version = int(data[5:9])
        except ValueError:
            raise RDBLoadError("Wrong signature trying to load DB from file") from None
        if version < 1 or version > RDB_VERSION:
            raise RDBLoadError(f"Can't handle RDB format version {version}")
        result.version = version
        reader.pos = 9
        dbs = self.ks.dbs
        db = dbs[0]
        limits = self.ks.limits
        readers = rdb.READERS
        load_string = reader.load_string
        expire_at = -1
        stamp: tuple[int, int] | None = None  # (opcode, value)
        skip_expired = self.skip_expired
        now_ms = self.now_ms
        while True:
            t = data[reader.pos] if reader.pos < len(data) else -1
            if t < 0:
                raise RDBError("Unexpected EOF reading RDB file")
            reader.pos += 1
            if t == OPCODE_EXPIRETIME_MS:
                expire_at = int.from_bytes(reader.read(8), "little", signed=True)
                continue
            if t == OPCODE_EXPIRETIME:
                expire_at = int.from_bytes(reader.read(4), "little", signed=True) * 1000
                continue
            if t == OPCODE_FREQ:
                stamp = (t, reader.byte())
                continue
            if t == OPCODE_IDLE:
                stamp = (t, reader.load_plain_len())
                continue
            if t == OPCODE_EOF:
                break
            if t == OPCODE_SELECTDB:
                db_id = reader.load_plain_len()
                if db_id >= len(dbs):
                    raise RDBLoadError(
                        "FATAL: Data file was created with a Redis server configured to handle "
                        f"more than {len(dbs)} databases. Exiting"
                    )
                db = dbs[db_id]
                continue
            if t == OPCODE_RESIZEDB:
                reader.load_plain_len()
                reader.load_plain_len()
                continue
            if t == OPCODE_AUX:
                key = load_string()
                result.aux[key] = load_string()
                if key == b"lua":
                    log.info("RDB: ignoring the Lua script of an older RDB file")
                continue
            if t == OPCODE_MODULE_AUX:
                raise RDBLoadError(
                    "The RDB file contains AUX module data I can't load: no matching module"
                )
            if t == OPCODE_FUNCTION_PRE_GA:
                raise RDBLoadError(
                    "Pre-release function format not supported (RDB opcode 246 at offset "
                    f"{reader.pos - 1})"
                )
            if t == OPCODE_FUNCTION2:
                code = load_string()
                result.functions.append(code)
                if self.on_function is not None:
                    self.on_function(code)
                continue
            # A key-value pair of type t.
            key = load_string()
            if t == 0:
                value: Any = load_string()
            else:
                read = readers.get(t)
                if read is None:
                    if t in (6, 7):
                        raise RDBLoadError(
                            "The RDB file contains module data I can't load: no matching module"
                        )
                    raise RDBLoadError(f"Unknown RDB encoding type {t}")
                value = read(reader, limits)
            if expire_at != -1 and skip_expired and expire_at < now_ms:
                result.expired_skipped += 1
            elif _is_empty(value):
                log.warning("rdbLoadObject skipping empty key: %s", key.decode("latin-1"))
            else:
                if key in db.data:
                    raise RDBLoadError(
                        f"RDB has duplicated key '{key.decode('latin-1')}' in DB {db.id}"
                    )
                db.data[key] = value
                if expire_at != -1:
                    db.set_expire(key, expire_at)
                if stamp is not None:
                    db.lru[key] = _stamp(stamp, now_ms)
                result.keys += 1
            expire_at = -1
            stamp = None
        if version >= 5:
            end = reader.pos
            expected = int.from_bytes(reader.read(8), "little")
            if expected:
                actual = crc64(data[:end])
                if actual != expected:
                    raise RDBLoadError("Wrong RDB checksum. Aborting now.")
        return result


def _is_empty(value: Any) -> bool:
    if type(value) is bytes:
        return False
    try:
        return len(value) == 0
    except TypeError:
        return False


def _stamp(stamp: tuple[int, int], now_ms: int) -> int:
    op, v = stamp
    if op == OPCODE_IDLE:
        return now_ms // 1000 - v
    return ((now_ms // 60000) & 0xFFFF) << 8 | v


def load_bytes(
    data: bytes,
    ks: Keyspace,
    now_ms: int,
    skip_expired: bool = True,
    on_function: Callable[[bytes], None] | None = None,
) -> LoadResult:
    """Load a whole RDB file into ``ks`` (meant to be empty); :class:`RDBLoadError` when the
    file cannot be loaded.  ``skip_expired``: a master drops keys whose deadline passed, a
    replica keeps them for its master to delete."""
    try:
        return _Loader(data, ks, now_ms, skip_expired, on_function).run()
    except RDBError as e:
        raise RDBLoadError(f"Short read or OOM loading DB. Unrecoverable error: {e}") from None
    except (ValueError, IndexError, KeyError, TypeError, OverflowError) as e:
        raise RDBLoadError(f"Bad data format in the RDB file: {e}") from None


def load_file(path: str, ks: Keyspace, now_ms: int, skip_expired: bool = True) -> LoadResult:
    with open(path, "rb") as f:
        data = f.read()
    return load_bytes(data, ks, now_ms, skip_expired)
