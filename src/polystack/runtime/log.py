"""Durable append-only record log with group commit, and a snapshot + log journal.

Record framing: ``[u32 little-endian payload length][u32 CRC32C of payload][payload]``.

Appends made during one turn of the event loop are written to the file with a
single ``write()`` at the end of that turn, before any connection flushes its
replies (see :func:`write_pending`, called by ``runtime.connection``).  The
fsync policy then decides when a record counts as *durable*:

``always``
    after an ``fsync`` — one per batch, run in a worker thread so the loop keeps
    serving; replies that must wait for it use ``Peer.write_after``.
``everysec``
    once written to the OS; a background ``fsync`` runs every second.
``no``
    once written to the OS; the OS decides when it reaches the disk.

On open, a torn or corrupt tail (a crash in the middle of a write) is truncated
and reported in the server log; it never stops the server from starting.
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from crc32c import crc32c

from polystack.runtime import snapshot

log = logging.getLogger(__name__)

HEADER = struct.Struct("<II")
FSYNC_POLICIES = ("always", "everysec", "no")
MAX_RECORD = 1 << 31

_pack_header = HEADER.pack
_dirty: list[RecordLog] = []
_fsync_pool: ThreadPoolExecutor | None = None


def write_pending() -> None:
    """Write every log's buffered records to the OS (called before replies are flushed)."""
    while _dirty:
        _dirty.pop()._write_out()


def _pool() -> ThreadPoolExecutor:
    global _fsync_pool
    if _fsync_pool is None:
        _fsync_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="polystack-fsync")
    return _fsync_pool


def frame(payload: bytes) -> bytes:
    return _pack_header(len(payload), crc32c(payload)) + payload


def scan(data: bytes) -> tuple[list[bytes], int]:
    """Decode records from ``data``; returns (records, length of the valid prefix)."""
    records: list[bytes] = []
    pos = 0
    end = len(data)
    size = HEADER.size
    while pos + size <= end:
        length, crc = HEADER.unpack_from(data, pos)
        start = pos + size
        stop = start + length
        if stop > end:
            break
        payload = data[start:stop]
        if crc32c(payload) != crc:
            break
        records.append(payload)
        pos = stop
    return records, pos


class RecordLog:
    """One append-only log file."""

    def __init__(self, path: Path | str, fsync: str = "everysec") -> None:
        if fsync not in FSYNC_POLICIES:
            raise ValueError(
                f"fsync policy must be one of {', '.join(FSYNC_POLICIES)}, not {fsync!r}"
            )
        self.path = Path(path)
        self.policy = fsync
        self._fd = -1
        self._buf: list[bytes] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self.last_seq = 0  # appended
        self.written_seq = 0  # handed to the OS
        self.synced_seq = 0  # fsynced
        self.durable_seq = 0  # durable under the policy
        self._waiters: list[tuple[int, Callable[[], None]]] = []
        self._syncing = False
        self._everysec: asyncio.TimerHandle | None = None
        self.size = 0
        self.truncated_bytes = 0

    # -- opening ---------------------------------------------------------
    def open(self) -> list[bytes]:
        """Open (creating if needed), truncate a torn tail, and return the records in the file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = self.path.read_bytes() if self.path.exists() else b""
        records, valid = scan(data)
        if valid < len(data):
            self.truncated_bytes = len(data) - valid
            log.warning(
                "%s: truncated a torn or corrupt tail of %d bytes at offset %d (%d records kept)",
                self.path,
                len(data) - valid,
                valid,
                len(records),
            )
            with open(self.path, "r+b") as f:
                f.truncate(valid)
                f.flush()
                os.fsync(f.fileno())
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.size = valid
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        if self._loop is not None and self.policy == "everysec":
            self._everysec = self._loop.call_later(1.0, self._everysec_tick)
        return records

    # -- appending -------------------------------------------------------
    def append(self, payload: bytes) -> int:
        """Buffer one record; it is written at the end of this loop turn.  Returns its sequence number."""
        self._buf.append(_pack_header(len(payload), crc32c(payload)))
        self._buf.append(payload)
        self.last_seq += 1
        if len(self._buf) == 2:
            if self._loop is None:
                self._write_out()
                if self.policy == "always":
                    self.flush(sync=True)
            else:
                _dirty.append(self)
                self._loop.call_soon(write_pending)
        return self.last_seq

    def _write_out(self) -> None:
        if not self._buf or self._fd < 0:
            return
        data = b"".join(self._buf)
        self._buf.clear()
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        self.size += len(data)
        self.written_seq = self.last_seq
        if self.policy == "always":
            self._start_sync()
        else:
            self._set_durable(self.written_seq)

    def _start_sync(self) -> None:
        if self._syncing or self.synced_seq >= self.written_seq:
            return
        if self._loop is None or self._loop.is_closed():
            self.flush(sync=True)
            return
        self._syncing = True
        target = self.written_seq
        fd = self._fd
        fut = self._loop.run_in_executor(_pool(), os.fsync, fd)
        fut.add_done_callback(lambda f: self._sync_done(f, target))

    def _sync_done(self, fut: asyncio.Future, target: int) -> None:
        self._syncing = False
        exc = fut.exception()
        if exc is not None:
            if self._fd < 0:
                return
            log.error("%s: fsync failed: %s", self.path, exc)
            raise SystemExit(f"fsync of {self.path} failed: {exc}")
        self.synced_seq = max(self.synced_seq, target)
        if self.policy == "always":
            self._set_durable(self.synced_seq)
        if self.written_seq > self.synced_seq:
            self._start_sync()

    def _set_durable(self, seq: int) -> None:
        if seq <= self.durable_seq:
            return
        self.durable_seq = seq
        if self._waiters:
            ready = [fn for s, fn in self._waiters if s <= seq]
            self._waiters = [(s, fn) for s, fn in self._waiters if s > seq]
            for fn in ready:
                fn()

    def when_durable(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once every record appended so far is durable under the policy."""
        if self.durable_seq >= self.last_seq:
            fn()
        else:
            self._waiters.append((self.last_seq, fn))

    def _everysec_tick(self) -> None:
        self._everysec = None
        if self._fd < 0 or self._loop is None:
            return
        if self.written_seq > self.synced_seq and not self._syncing:
            self._syncing = True
            target = self.written_seq
            fut = self._loop.run_in_executor(_pool(), os.fsync, self._fd)
            fut.add_done_callback(lambda f: self._sync_done(f, target))
        self._everysec = self._loop.call_later(1.0, self._everysec_tick)

    # -- flushing and closing -------------------------------------------
    def flush(self, sync: bool = True) -> None:
        """Write buffered records now and (with ``sync``) fsync them, synchronously."""
        if self._fd < 0:
            return
        if self._buf:
            if self in _dirty:
                _dirty.remove(self)
            self._write_out()
        if sync and self.synced_seq < self.written_seq:
            os.fsync(self._fd)
            self.synced_seq = self.written_seq
        self._set_durable(self.synced_seq if self.policy == "always" else self.written_seq)

    def close(self) -> None:
        if self._fd < 0:
            return
        self.flush(sync=self.policy != "no")
        if self._everysec is not None:
            self._everysec.cancel()
            self._everysec = None
        os.close(self._fd)
        self._fd = -1

    def truncate(self) -> None:
        """Empty the log (after its contents were folded into a snapshot)."""
        self.flush(sync=False)
        os.ftruncate(self._fd, 0)
        self.size = 0


SNAP_MAGIC = b"PSNAP001"
SNAP_HEADER = struct.Struct("<8sQI")  # magic, generation, crc32c(payload)


class Journal:
    """A directory holding one snapshot plus the log generations written after it.

    ``NAME.snapshot`` records the generation it precedes; ``NAME.log.GGGGGGGG`` files
    hold records.  Recovery loads the snapshot and replays every generation from its
    own on; :meth:`compact` writes a snapshot of the current state and starts a new
    generation, after which older generations are removed.
    """

    def __init__(
        self, directory: Path | str, fsync: str = "everysec", name: str = "journal"
    ) -> None:
        self.directory = Path(directory)
        self.policy = fsync
        self.name = name
        self.generation = 0
        self.log: RecordLog = RecordLog(self._log_path(0), fsync)

    def _log_path(self, gen: int) -> Path:
        return self.directory / f"{self.name}.log.{gen:08d}"

    @property
    def snapshot_path(self) -> Path:
        return self.directory / f"{self.name}.snapshot"

    def _generations(self) -> list[int]:
        prefix = f"{self.name}.log."
        gens = []
        for p in self.directory.glob(prefix + "*"):
            suffix = p.name[len(prefix) :]
            if suffix.isdigit():
                gens.append(int(suffix))
        return sorted(gens)

    def open(self) -> tuple[bytes | None, list[bytes]]:
        """Recover: returns (snapshot payload or None, records written after it)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        snap_payload: bytes | None = None
        snap_gen = 0
        raw = snapshot.read(self.snapshot_path)
        if raw is not None:
            if len(raw) < SNAP_HEADER.size:
                raise ValueError(f"{self.snapshot_path}: snapshot file is truncated")
            magic, snap_gen, crc = SNAP_HEADER.unpack_from(raw)
            payload = raw[SNAP_HEADER.size :]
            if magic != SNAP_MAGIC or crc32c(payload) != crc:
                raise ValueError(f"{self.snapshot_path}: snapshot file is corrupt")
            snap_payload = payload
        records: list[bytes] = []
        gens = self._generations()
        for gen in gens:
            if gen < snap_gen:
                self._log_path(gen).unlink(missing_ok=True)
        live = [g for g in gens if g >= snap_gen]
        current = live[-1] if live else snap_gen
        for gen in live[:-1]:
            older = RecordLog(self._log_path(gen), "no")
            records.extend(older.open())
            older.close()
        self.generation = current
        self.log = RecordLog(self._log_path(current), self.policy)
        records.extend(self.log.open())
        return snap_payload, records

    def append(self, payload: bytes) -> int:
        return self.log.append(payload)

    def compact(self, snapshot_payload: bytes) -> None:
        """Persist ``snapshot_payload`` (the state including every record so far) and drop the old logs."""
        old = self.log
        old.flush(sync=True)
        new_gen = self.generation + 1
        header = SNAP_HEADER.pack(SNAP_MAGIC, new_gen, crc32c(snapshot_payload))
        snapshot.write_atomic(self.snapshot_path, header + snapshot_payload)
        fresh = RecordLog(self._log_path(new_gen), self.policy)
        fresh.open()
        self.log = fresh
        self.generation = new_gen
        old.close()
        for gen in self._generations():
            if gen < new_gen:
                self._log_path(gen).unlink(missing_ok=True)
        snapshot.fsync_dir(self.directory)

    def flush(self, sync: bool = True) -> None:
        self.log.flush(sync)

    def close(self) -> None:
        self.log.close()
