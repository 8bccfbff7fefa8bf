"""A snapshot plus the log generations written after it, in one directory.

``NAME.snapshot`` names the generation it precedes; ``NAME.log.GGGGGGGG`` files hold records.
Recovery streams the snapshot's chunks and then the records of every generation from the
snapshot's own on — nothing is loaded whole, so a multi-GB store starts without doubling its
memory.  :meth:`Journal.compact` (or :meth:`Journal.compact_in_background`, which does the file
writes and fsyncs on the group's I/O threads) writes a snapshot of the current state from an
iterator of chunks and starts a new generation; older generations are removed once the snapshot
is durable.  A crash at any point leaves either the old snapshot with every generation after it,
or the new snapshot with the new generation.

Snapshot file: ``[magic "PSNAP002"][u64 generation]`` then records framed like the log's:
``b"C" + chunk`` for each chunk and a final ``b"E" + u64 number of chunks`` (a snapshot without
its end record is refused).  Files written by the first version (``PSNAP001``: one CRC-checked
payload) are still read, as one chunk.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from crc32c import crc32c

from polystack.runtime import snapshot
from polystack.runtime.log import LogGroup, RecordLog, fsync
from polystack.runtime.records import LogReader, frame

log = logging.getLogger(__name__)

SNAP_MAGIC_V1 = b"PSNAP001"
SNAP_HEADER_V1 = struct.Struct("<8sQI")  # magic, generation, crc32c(payload)
SNAP_MAGIC = b"PSNAP002"
SNAP_HEADER = struct.Struct("<8sQ")  # magic, generation
_END = struct.Struct("<Q")
CHUNK_TARGET = 256 * 1024


class SnapshotError(ValueError):
    """A snapshot file that cannot be read: start-up stops with this message."""


class Journal:
    """A directory holding one snapshot plus the log generations written after it."""

    def __init__(
        self,
        directory: Path | str,
        fsync: str = "everysec",
        name: str = "journal",
        *,
        group: LogGroup | None = None,
        barrier: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.policy = fsync
        self.name = name
        self.barrier = barrier
        self.group = group if group is not None else LogGroup(name=name)
        self.group.journals.append(self)
        self.generation = 0
        self.log: RecordLog = RecordLog(self._log_path(0), fsync, group=self.group, barrier=barrier)
        self.compacting = False
        self.snapshot_size = 0
        self.snapshots_written = 0
        self._child: tuple[int, threading.Thread, RecordLog] | None = None  # compact_forked

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

    # -- recovery ------------------------------------------------------------
    def open(self) -> tuple[Iterator[bytes] | None, Iterator[bytes]]:
        """Recover: (the snapshot's chunks or None, the records written after it).

        Both are iterators: consume the snapshot's first, then the records; the journal is
        open for appends once the records are exhausted.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        snap_gen, chunks = self._read_snapshot_header()
        gens = self._generations()
        for gen in gens:
            if gen < snap_gen:
                self._log_path(gen).unlink(missing_ok=True)
        live = [g for g in gens if g >= snap_gen]
        current = live[-1] if live else snap_gen
        self.generation = current
        self.log = RecordLog(
            self._log_path(current), self.policy, group=self.group, barrier=self.barrier
        )
        if self.snapshot_path.exists():
            self.snapshot_size = self.snapshot_path.stat().st_size
        return chunks, self._records(live[:-1])

    def _records(self, older: list[int]) -> Iterator[bytes]:
        for gen in older:
            yield from LogReader(self._log_path(gen))
        yield from self.log.recover()

    def read_snapshot(self) -> Iterator[bytes] | None:
        """The chunks of the snapshot on disk, or None (DEBUG RELOAD NOSAVE reads it)."""
        return self._read_snapshot_header()[1]

    def _read_snapshot_header(self) -> tuple[int, Iterator[bytes] | None]:
        path = self.snapshot_path
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            return 0, None
        with f:
            head = f.read(SNAP_HEADER_V1.size)
        if head[:8] == SNAP_MAGIC_V1:
            if len(head) < SNAP_HEADER_V1.size:
                raise SnapshotError(f"{path}: snapshot file is truncated")
            _, gen, crc = SNAP_HEADER_V1.unpack(head)
            return gen, self._chunks_v1(path, crc)
        if head[:8] != SNAP_MAGIC or len(head) < SNAP_HEADER.size:
            raise SnapshotError(f"{path}: not a snapshot file (or truncated)")
        _, gen = SNAP_HEADER.unpack_from(head)
        return gen, self._chunks(path)

    @staticmethod
    def _chunks_v1(path: Path, crc: int) -> Iterator[bytes]:
        payload = path.read_bytes()[SNAP_HEADER_V1.size :]
        if crc32c(payload) != crc:
            raise SnapshotError(f"{path}: snapshot file is corrupt")
        yield payload

    @staticmethod
    def _chunks(path: Path) -> Iterator[bytes]:
        reader = LogReader(path, offset=SNAP_HEADER.size)
        count = 0
        ended = False
        try:
            for rec in reader:
                if ended:
                    raise SnapshotError(f"{path}: data after the end record")
                kind = rec[:1]
                if kind == b"C":
                    count += 1
                    yield rec[1:]
                elif kind == b"E" and len(rec) == 1 + _END.size:
                    if _END.unpack_from(rec, 1)[0] != count:
                        raise SnapshotError(f"{path}: snapshot file is missing chunks")
                    ended = True
                else:
                    raise SnapshotError(f"{path}: unknown snapshot record at chunk {count}")
        except Exception as e:
            if isinstance(e, SnapshotError):
                raise
            raise SnapshotError(f"{path}: snapshot file is corrupt: {e}") from None
        if not ended or reader.torn:
            raise SnapshotError(f"{path}: snapshot file is truncated or corrupt")

    # -- appending -------------------------------------------------------------
    def append(self, payload: bytes) -> int:
        return self.log.append(payload)

    def set_policy(self, policy: str) -> None:
        self.policy = policy
        self.log.set_policy(policy)

    # -- compaction ---------------------------------------------------------------
    def _begin(self) -> tuple[RecordLog, int]:
        """Start a new generation; returns (the old log, the new generation)."""
        old = self.log
        new_gen = self.generation + 1
        fresh = RecordLog(
            self._log_path(new_gen), self.policy, group=self.group, barrier=self.barrier
        )
        fresh.open_empty()
        self.log = fresh
        self.generation = new_gen
        return old, new_gen

    def _write_snapshot(self, chunks: Iterable[bytes], gen: int) -> int:
        """Write the snapshot file (temp, fsync, rename, fsync the directory); returns its size."""
        return snapshot.write_atomic(self.snapshot_path, _snapshot_parts(chunks, gen))

    def _drop_older(self, gen: int) -> None:
        for g in self._generations():
            if g < gen:
                self._log_path(g).unlink(missing_ok=True)
        snapshot.fsync_dir(self.directory)

    def compact(self, chunks: Iterable[bytes]) -> None:
        """Persist a snapshot of the state including every record so far, start a new
        generation and drop the old ones — on this thread (Redis ``SAVE`` blocks too)."""
        if self.compacting:
            raise RuntimeError("a compaction is already running")
        old = self.log
        old.flush(sync=True)
        parts = list(chunks)
        _, gen = self._begin()
        try:
            self.snapshot_size = self._write_snapshot(parts, gen)
        except BaseException:
            self._abandon(gen)
            raise
        old.close()
        self._drop_older(gen)
        self.snapshots_written += 1

    def compact_in_background(self, chunks: Iterable[bytes]) -> asyncio.Future:
        """Like :meth:`compact`, but only the iteration of ``chunks`` runs on the loop (now, so
        the snapshot is consistent); the file writes, the fsyncs and the old generation's last
        fsync run on the group's I/O threads.  Returns a future (the snapshot's size)."""
        if self.compacting:
            raise RuntimeError("a compaction is already running")
        loop = self.group.loop
        if loop is None:
            self.compact(chunks)
            fut: asyncio.Future = asyncio.Future()
            fut.set_result(self.snapshot_size)
            return fut
        parts = list(chunks)
        old = self.log
        old.flush(sync=False)  # hand its records to the OS; raises if the disk refuses
        old_written = old.written_seq
        old_fd = old.fileno()
        _, gen = self._begin()
        self.compacting = True

        def work() -> tuple[bool, int | OSError]:
            try:
                fsync(old_fd)  # the old generation stays until the snapshot is durable
            except OSError as e:
                return False, e
            # Replies waiting for the old generation's records need not wait for the snapshot.
            loop.call_soon_threadsafe(old.mark_synced, old_written)
            try:
                size = self._write_snapshot(parts, gen)
                self._drop_older(gen)
            except OSError as e:
                return True, e
            return True, size

        result: asyncio.Future = loop.create_future()

        def done(f: asyncio.Future) -> None:
            self.compacting = False
            exc = f.exception()
            if exc is not None:  # a bug, not a disk error
                result.set_exception(exc)
                return
            synced, outcome = f.result()
            if synced:
                old.mark_synced(old_written)
                old.close()
            else:
                assert isinstance(outcome, OSError)
                old.fail(outcome, "fsync")
            if isinstance(outcome, OSError):
                log.error("%s: background snapshot failed: %s", self.snapshot_path, outcome)
                self._abandon(gen)
                result.set_exception(outcome)
                return
            self.snapshot_size = outcome
            self.snapshots_written += 1
            result.set_result(outcome)

        self.group.run_blocking(work).add_done_callback(done)
        return result

    def compact_forked(self, chunks: Iterable[bytes]) -> asyncio.Future:
        """Like :meth:`compact_in_background`, but ``chunks`` is not iterated on the loop at all:
        a forked child (a copy-on-write view of the data as it is now, as Redis's BGSAVE and
        BGREWRITEAOF child) iterates it and writes, fsyncs and renames the snapshot, while the
        loop goes on serving; appends go to a new generation meanwhile.  A thread waits for the
        child (no I/O thread of the group is held).  Without ``os.fork`` (or outside a loop),
        it is :meth:`compact_in_background`."""
        loop = self.group.loop
        if loop is None or not hasattr(os, "fork"):
            return self.compact_in_background(chunks)
        if self.compacting:
            raise RuntimeError("a compaction is already running")
        old = self.log
        old.flush(sync=False)
        old_written = old.written_seq
        old_fd = old.fileno()
        _, gen = self._begin()
        self.compacting = True
        status_r, status_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: no logging, no loop, never returns
            os.close(status_r)
            code = 0
            try:
                self._write_snapshot(chunks, gen)
            except BaseException as e:  # noqa: BLE001 - reported to the parent
                code = 1
                try:
                    os.write(status_w, (str(e) or type(e).__name__).encode()[:4096])
                except OSError:
                    pass
            os._exit(code)
        os.close(status_w)
        result: asyncio.Future = loop.create_future()

        def wait() -> None:
            synced: OSError | None = None
            try:
                fsync(old_fd)  # replies waiting on the old generation need not wait longer
            except OSError as e:
                synced = e
            else:
                loop.call_soon_threadsafe(old.mark_synced, old_written)
            message = b""
            while chunk := os.read(status_r, 4096):
                message += chunk
            os.close(status_r)
            _, status = os.waitpid(pid, 0)
            outcome: int | OSError
            if status == 0 and self._child is not None:
                try:
                    outcome = self.snapshot_path.stat().st_size
                    self._drop_older(gen)
                except OSError as e:
                    outcome = e
            else:
                text = message.decode("utf-8", "replace") or f"child exited with status {status}"
                outcome = OSError(text)
            try:
                loop.call_soon_threadsafe(finish, synced, outcome)
            except RuntimeError:  # the loop is gone (the process is stopping)
                pass

        def finish(synced: OSError | None, outcome: int | OSError) -> None:
            self.compacting = False
            if self._child is None:
                return  # closed meanwhile: the child was killed (see close)
            self._child = None
            if synced is None:
                old.mark_synced(old_written)
                old.close()
            else:
                old.fail(synced, "fsync")
            if isinstance(outcome, OSError):
                log.error("%s: background snapshot failed: %s", self.snapshot_path, outcome)
                self._abandon(gen)
                result.set_exception(outcome)
                return
            self.snapshot_size = outcome
            self.snapshots_written += 1
            result.set_result(outcome)

        waiter = threading.Thread(target=wait, name=f"snapshot-child-{pid}", daemon=True)
        self._child = (pid, waiter, old)
        waiter.start()
        return result

    def _kill_child(self) -> None:
        """Closing while a forked compaction runs: kill the child and wait for it, as Redis
        kills its rewrite child at shutdown (every record is in the log generations, so
        recovery needs no snapshot from it)."""
        child, self._child = self._child, None
        if child is None:
            return
        pid, waiter, old = child
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        waiter.join(timeout=60)
        self.compacting = False
        self.snapshot_path.with_name(self.snapshot_path.name + ".tmp").unlink(missing_ok=True)
        old.close()

    def _abandon(self, gen: int) -> None:
        """A snapshot failed: keep appending to the new generation (recovery replays every
        generation after the old snapshot, so nothing is lost)."""
        self.snapshot_path.with_name(self.snapshot_path.name + ".tmp").unlink(missing_ok=True)

    def flush(self, sync: bool = True) -> None:
        self.log.flush(sync)

    def close(self) -> None:
        self._kill_child()
        self.log.close()

    @property
    def size(self) -> int:
        return self.log.size


def _snapshot_parts(chunks: Iterable[bytes], gen: int) -> Iterator[bytes]:
    yield SNAP_HEADER.pack(SNAP_MAGIC, gen)
    count = 0
    for chunk in chunks:
        yield frame(b"C" + chunk)
        count += 1
    yield frame(b"E" + _END.pack(count))


def chunked(
    items: Iterable[object],
    encode: Callable[[list[object]], bytes],
    target: int = CHUNK_TARGET,
) -> Iterator[bytes]:
    """Group ``items`` into chunks of about ``target`` bytes: ``encode(list_of_items)`` per
    chunk, with the size estimated from the first chunk."""
    batch: list[object] = []
    per_chunk = 64
    for item in items:
        batch.append(item)
        if len(batch) >= per_chunk:
            data = encode(batch)
            yield data
            if len(data) < target // 2:
                per_chunk *= 2
            elif len(data) > target * 2 and per_chunk > 1:
                per_chunk //= 2
            batch = []
    if batch:
        yield encode(batch)
