"""Durable append-only record logs with group commit, per-write durability and honest failures.

Each service gets a :class:`LogGroup` from its context (``ctx.logs``); every log it opens
belongs to that group.  The group owns what used to be process-wide: the list of logs with
records not yet written, the fsync worker threads, the metrics, and the health of its logs, so
two servers in one process share nothing.

Appends made during one turn of the event loop are written with one ``write()`` per log at the
end of that turn, before any connection of the group sends its replies (the connection calls
:meth:`LogGroup.write_pending` first), so no reply ever precedes the write of the record it
acknowledges.  :meth:`RecordLog.append` returns the record's sequence number.  Then:

``when_synced(seq, fn)``
    runs ``fn`` once record ``seq`` is fsynced — whatever the policy: under ``everysec`` and
    ``no`` it asks for an fsync, still one per log per loop turn (group commit).  This is the
    *per record* way to wait (an AMQP publisher confirm, a MongoDB ``j: true`` write).
``barrier=True``
    under policy ``always``, every reply written to any connection of the group waits until
    every record appended before it is fsynced (Redis ``appendfsync always``, ZooKeeper): the
    *barrier* way to wait.  See ``Peer.write`` / ``Peer.write_stateless``.

The policy (``set_policy``) decides what the log does on its own: ``always`` fsyncs after every
write, ``everysec`` once a second, ``no`` leaves it to the OS.

A failed ``write()`` or ``fsync()`` is never swallowed: the partial write is cut off, the records
stay buffered, :attr:`RecordLog.error` is set, the group's failure subscribers are told (Redis
answers ``-MISCONF``, ZooKeeper closes its sessions), ``/healthz`` reports it, and the write is
retried every second; replies waiting for those records wait until it succeeds.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from crc32c import crc32c

from polystack.runtime.clock import SYSTEM_CLOCK, Clock
from polystack.runtime.records import (
    HEADER,
    MAX_RECORD,
    LogCorruption,
    LogReader,
    frame,
    scan,
    truncate_file,
)


class SnapshotHolder(Protocol):
    """A journal of this group (``runtime/journal.py``), as the metrics see it."""

    @property
    def snapshot_path(self) -> Path: ...

    snapshot_size: int


log = logging.getLogger(__name__)

__all__ = [
    "FSYNC_POLICIES",
    "HEADER",
    "LogCorruption",
    "LogGroup",
    "RecordLog",
    "frame",
    "scan",
]

FSYNC_POLICIES = ("always", "everysec", "no")
RETRY_SECONDS = 1.0
_pack_header = HEADER.pack
_tiebreak = itertools.count()


def fsync(fd: int) -> None:
    """The fsync every log uses (tests replace it to simulate a slow or failing disk)."""
    os.fsync(fd)


def _check_policy(policy: str) -> None:
    if policy not in FSYNC_POLICIES:
        raise ValueError(f"fsync policy must be one of {', '.join(FSYNC_POLICIES)}, not {policy!r}")


class LogGroup:
    """The logs of one service: group commit, fsync threads, failures, metrics."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK, name: str = "") -> None:
        self.clock = clock
        self.name = name
        self.logs: list[RecordLog] = []
        self.journals: list[SnapshotHolder] = []  # journals append themselves
        self.dirty: list[RecordLog] = []
        # Barrier logs (policy always) holding records not yet fsynced: replies wait for them.
        self.barrier: list[RecordLog] = []
        # Logs whose write failed with records still buffered: replies of that turn wait.
        self.unwritten: list[RecordLog] = []
        self.failed: list[RecordLog] = []
        # Set for the rest of a loop turn in which records could not be written.
        self.hold_unwritten = False
        self.scheduled = False  # write_pending is due at the end of this loop turn
        # What runs right after that write (connections sending the replies it covers): one
        # loop callback for all of them instead of one each.
        self.after_write: list[Callable[[], None]] = []
        # What appends a turn's deferred records (defer) just before that write.
        self.before_write: list[Callable[[], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._on_failure: list[Callable[[RecordLog, OSError | None], None]] = []
        # metrics
        self.appends_retired = 0
        self.fsyncs = 0
        self.fsync_observers: list[Callable[[float], None]] = []
        self.write_errors = 0
        self.fsync_errors = 0

    # -- opening logs ------------------------------------------------------
    def record_log(
        self, path: Path | str, policy: str = "everysec", *, barrier: bool = False
    ) -> RecordLog:
        return RecordLog(path, policy, group=self, barrier=barrier)

    # -- the loop ------------------------------------------------------------
    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        loop = self._loop
        if loop is None or loop.is_closed():
            try:
                loop = self._loop = asyncio.get_running_loop()
            except RuntimeError:
                return None
        return loop

    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=2, thread_name_prefix=f"polystack-{self.name or 'log'}-io"
            )
        return self._executor

    def run_blocking(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future:
        """Run blocking I/O (a snapshot write, a directory fsync) on the group's threads."""
        loop = self.loop
        assert loop is not None, "run_blocking needs a running loop"
        return loop.run_in_executor(self.executor(), fn, *args)

    def _mark_dirty(self, lg: RecordLog) -> None:
        lg._dirty = True
        self.dirty.append(lg)
        if not self.scheduled:
            loop = self.loop
            if loop is None:
                self.write_pending()
                return
            self.scheduled = True
            loop.call_soon(self.write_pending)

    def defer(self, lg: RecordLog, append: Callable[[], None]) -> None:
        """``append()`` appends records to ``lg`` at the end of this loop turn, just before the
        group writes (a service gathering a turn's records into one); until then ``lg`` counts
        as dirty, so replies wait for that write as they do for an appended record.  Not for
        a barrier log (policy ``always``): its replies wait for records already appended."""
        self.before_write.append(append)
        if not lg._dirty:
            self._mark_dirty(lg)

    def _run_deferred(self) -> None:
        before = self.before_write
        while before:
            self.before_write = []
            for fn in before:
                fn()
            before = self.before_write

    def write_pending(self) -> None:
        """Write every log's buffered records to the OS and start the fsyncs this turn needs.

        Called at the end of each loop turn, and by a connection before it sends replies.
        """
        if self.before_write:
            self._run_deferred()
        self.scheduled = False
        dirty = self.dirty
        while dirty:
            lg = dirty.pop()
            lg._dirty = False
            lg._end_of_turn()
        if self.unwritten and not self.hold_unwritten:
            if any(lg._buf for lg in self.unwritten):
                self.hold_unwritten = True
                loop = self.loop
                if loop is not None:
                    loop.call_soon(self._end_hold)
        after = self.after_write
        if after:
            self.after_write = []
            for fn in after:
                try:
                    fn()
                except Exception:  # one connection's failure must not keep the others' replies
                    log.exception("%s: sending replies after the log write failed", self.name)

    def _end_hold(self) -> None:
        self.hold_unwritten = False

    # -- failures --------------------------------------------------------------
    def subscribe_failures(self, fn: Callable[[RecordLog, OSError | None], None]) -> None:
        """``fn(log, error)`` when a log's write or fsync fails, ``fn(log, None)`` when it
        works again."""
        self._on_failure.append(fn)

    def _failure(self, lg: RecordLog, error: OSError | None) -> None:
        if error is not None:
            if lg not in self.failed:
                self.failed.append(lg)
        elif lg in self.failed:
            self.failed.remove(lg)
        for fn in list(self._on_failure):
            try:
                fn(lg, error)
            except Exception:
                log.exception("log failure subscriber failed")

    def health(self) -> list[str]:
        """Problems to report on /healthz (empty when healthy)."""
        return [f"{lg.path}: {lg.error_op} failed: {lg.error}" for lg in self.failed]

    # -- closing ---------------------------------------------------------------
    def flush_all(self) -> None:
        """Write and fsync every open log now (shutdown)."""
        self._run_deferred()
        for lg in list(self.logs):
            try:
                lg.flush(sync=True)
            except OSError as e:
                log.error("%s: could not flush at shutdown: %s", lg.path, e)

    def close(self) -> None:
        self._run_deferred()
        for lg in list(self.logs):
            try:
                lg.close()
            except OSError as e:
                log.error("%s: could not close: %s", lg.path, e)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    @property
    def appends_total(self) -> int:
        return self.appends_retired + sum(lg.last_seq for lg in self.logs)


class RecordLog:
    """One append-only log file."""

    def __init__(
        self,
        path: Path | str,
        fsync: str = "everysec",
        *,
        group: LogGroup | None = None,
        barrier: bool = False,
    ) -> None:
        _check_policy(fsync)
        self.path = Path(path)
        self.policy = fsync
        self.barrier = barrier
        self._barrier_on = barrier and fsync == "always"
        self._in_barrier = False
        self.group = group if group is not None else LogGroup(name=self.path.name)
        self._fd = -1
        self._buf: list[bytes] = []
        self._dirty = False
        self.last_seq = 0  # appended
        self.written_seq = 0  # handed to the OS
        self.synced_seq = 0  # fsynced
        self._sync_wanted = 0  # highest seq someone waits to see fsynced
        self._synced_waiters: list[tuple[int, int, Callable[[], None]]] = []
        self._written_waiters: list[tuple[int, int, Callable[[], None]]] = []
        self._syncing = False
        self._everysec: Any = None
        self._retry: Any = None
        self.size = 0
        self.truncated_bytes = 0
        self.error: OSError | None = None
        self.error_op = ""
        self.opened = False

    # -- opening ---------------------------------------------------------
    def recover(self) -> Iterator[bytes]:
        """Stream the records in the file; once exhausted, the log is open for appends.

        A torn tail is truncated (and reported in the server log); a corrupt middle raises
        :class:`LogCorruption` naming the file and offset.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        reader = LogReader(self.path)
        yield from reader
        if reader.torn:
            self.truncated_bytes = reader.torn
            log.warning(
                "%s: truncated a torn tail of %d bytes at offset %d (%s; %d records kept)",
                self.path,
                reader.torn,
                reader.valid_end,
                reader.torn_reason,
                reader.count,
            )
            truncate_file(self.path, reader.valid_end)
        self._open_for_append(reader.valid_end)

    def open(self) -> list[bytes]:
        """Open (creating if needed), truncate a torn tail, and return the records in the file."""
        return list(self.recover())

    def open_empty(self) -> None:
        """Open a new, empty log for appends (an existing file is emptied)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.close(fd)
        self._open_for_append(0)

    def _open_for_append(self, size: int) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.size = size
        self.opened = True
        group = self.group
        if self not in group.logs:
            group.logs.append(self)
        self._schedule_everysec()

    def _schedule_everysec(self) -> None:
        if self.policy == "everysec" and self._everysec is None and self.group.loop is not None:
            self._everysec = self.group.clock.call_later(1.0, self._everysec_tick)

    # -- appending -------------------------------------------------------
    def append(self, payload: bytes) -> int:
        """Buffer one record; it is written at the end of this loop turn.  Returns its
        sequence number (1, 2, ... since the log was opened)."""
        n = len(payload)
        if not n or n > MAX_RECORD:
            raise ValueError(f"a log record must be 1 to {MAX_RECORD} bytes, not {n}")
        buf = self._buf
        buf.append(_pack_header(n, crc32c(payload)))
        buf.append(payload)
        self.last_seq += 1
        if self._barrier_on and not self._in_barrier:
            self._in_barrier = True
            self.group.barrier.append(self)
        if not self._dirty:
            self.group._mark_dirty(self)
        return self.last_seq

    def _end_of_turn(self) -> None:
        if self._buf and self.error is None:
            self._write_out()
        if self.error is None and (
            (self.policy == "always" and self.synced_seq < self.written_seq)
            or self._sync_wanted > self.synced_seq
        ):
            self._start_sync()
        if self.policy == "always" and self.group.loop is None:
            self.flush(sync=True)

    def _write_out(self) -> bool:
        if self._fd < 0:
            return False
        if not self._buf:
            return True
        data = b"".join(self._buf)
        target = self.last_seq
        view: memoryview | None = None
        try:
            if self.error is not None:
                os.ftruncate(self._fd, self.size)  # a partial write from the failed attempt
            done = os.write(self._fd, data)  # (the whole of it, but for a full disk or a signal)
            if done < len(data):
                view = memoryview(data)
                while done < len(data):
                    done += os.write(self._fd, view[done:])
        except OSError as e:
            try:
                os.ftruncate(self._fd, self.size)  # no partial record stays in the file
            except OSError:
                pass  # retried before the next write
            self._buf = [data]
            self.group.write_errors += 1
            self._fail(e, "write")
            return False
        finally:
            if view is not None:
                view.release()
        self._buf.clear()
        self.size += len(data)
        self.written_seq = target
        if self.error is not None and self.error_op == "write":
            self._recovered()
        if self._written_waiters:
            self._run_waiters(self._written_waiters, target)
        return True

    # -- syncing -----------------------------------------------------------
    def _start_sync(self) -> None:
        if self._syncing or self.synced_seq >= self.written_seq or self._fd < 0:
            return
        loop = self.group.loop
        if loop is None:
            self.flush(sync=True)
            return
        self._syncing = True
        target = self.written_seq
        clock = self.group.clock
        fd = self._fd

        def work() -> float:
            started = clock.monotonic()
            fsync(fd)
            return clock.monotonic() - started

        fut = loop.run_in_executor(self.group.executor(), work)
        fut.add_done_callback(lambda f: self._sync_done(f, target))

    def _sync_done(self, fut: asyncio.Future, target: int) -> None:
        self._syncing = False
        if self._fd < 0:
            return
        exc = fut.exception()
        if exc is not None:
            if isinstance(exc, OSError):
                self.group.fsync_errors += 1
                self._fail(exc, "fsync")
                return
            raise exc
        self._synced(target, fut.result())
        if self.error is None and (
            (self.policy == "always" and self.written_seq > self.synced_seq)
            or self._sync_wanted > self.synced_seq
        ):
            self._start_sync()

    def _synced(self, target: int, seconds: float | None) -> None:
        group = self.group
        if seconds is not None:
            group.fsyncs += 1
            for observe in group.fsync_observers:
                observe(seconds)
        if self.error is not None and self.error_op == "fsync":
            self._recovered()
        if target > self.synced_seq:
            self.synced_seq = target
        if self._in_barrier and self.synced_seq >= self.last_seq:
            self._in_barrier = False
            group.barrier.remove(self)
        if self._synced_waiters:
            self._run_waiters(self._synced_waiters, self.synced_seq)

    @staticmethod
    def _run_waiters(waiters: list, seq: int) -> None:
        while waiters and waiters[0][0] <= seq:
            _, _, fn = heapq.heappop(waiters)
            try:
                fn()
            except Exception:
                log.exception("log waiter failed")

    def when_synced(self, seq: int, fn: Callable[[], None]) -> None:
        """Run ``fn`` once record ``seq`` is fsynced, asking for the fsync if the policy would
        not do it soon (one fsync per log per loop turn covers every request of that turn)."""
        if seq > self.last_seq:
            raise ValueError(f"record {seq} was not appended (the last is {self.last_seq})")
        if seq <= self.synced_seq:
            fn()
            return
        heapq.heappush(self._synced_waiters, (seq, next(_tiebreak), fn))
        if seq > self._sync_wanted:
            self._sync_wanted = seq
        if not self._dirty and self.error is None:
            self.group._mark_dirty(self)

    def when_written(self, seq: int, fn: Callable[[], None]) -> None:
        """Run ``fn`` once record ``seq`` is handed to the OS (survives a process crash)."""
        if seq > self.last_seq:
            raise ValueError(f"record {seq} was not appended (the last is {self.last_seq})")
        if seq <= self.written_seq:
            fn()
            return
        heapq.heappush(self._written_waiters, (seq, next(_tiebreak), fn))

    def when_durable(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once everything appended so far is durable under the policy (fsynced
        under ``always``, written to the OS otherwise)."""
        if self.policy == "always":
            self.when_synced(self.last_seq, fn)
        else:
            self.when_written(self.last_seq, fn)

    @property
    def durable_seq(self) -> int:
        return self.synced_seq if self.policy == "always" else self.written_seq

    def _everysec_tick(self) -> None:
        self._everysec = None
        if self._fd < 0 or self.policy != "everysec":
            return
        if self.error is None and self.written_seq > self.synced_seq:
            self._start_sync()
        self._schedule_everysec()

    # -- policy --------------------------------------------------------------
    def set_policy(self, policy: str) -> None:
        """Switch the fsync policy now (what was written under the old one is fsynced first)."""
        _check_policy(policy)
        if policy == self.policy:
            return
        if self._fd >= 0 and self.error is None:
            try:
                self.flush(sync=True)
            except OSError:
                pass  # reported through self.error; retried
        self.policy = policy
        self._barrier_on = self.barrier and policy == "always"
        group = self.group
        if not self._barrier_on and self._in_barrier:
            self._in_barrier = False
            group.barrier.remove(self)
        if policy != "everysec" and self._everysec is not None:
            self._everysec.cancel()
            self._everysec = None
        if self._fd >= 0:
            self._schedule_everysec()

    # -- failures --------------------------------------------------------------
    def _fail(self, error: OSError, op: str) -> None:
        first = self.error is None
        self.error = error
        self.error_op = op
        group = self.group
        if op == "write" and self not in group.unwritten:
            group.unwritten.append(self)
        if first:
            log.error(
                "%s: %s failed: %s; retrying every %g s (nothing waiting for it is acknowledged "
                "until it succeeds)",
                self.path,
                op,
                error,
                RETRY_SECONDS,
            )
            group._failure(self, error)
        self._schedule_retry()

    def _schedule_retry(self) -> None:
        if self._retry is None and self._fd >= 0:
            if self.group.loop is None:
                return
            self._retry = self.group.clock.call_later(RETRY_SECONDS, self._retry_now)

    def _retry_now(self) -> None:
        self._retry = None
        if self._fd < 0 or self.error is None:
            return
        if self._buf and not self._write_out():
            return  # still failing: _fail scheduled the next attempt
        if self.synced_seq < self.written_seq and (
            self.error is not None or self.policy == "always" or self._sync_wanted > self.synced_seq
        ):
            self._start_sync()

    def _recovered(self) -> None:
        error, op = self.error, self.error_op
        self.error = None
        self.error_op = ""
        group = self.group
        if self in group.unwritten:
            group.unwritten.remove(self)
        log.warning("%s: %s works again after failing with: %s", self.path, op, error)
        group._failure(self, None)

    # -- flushing and closing -------------------------------------------
    def flush(self, sync: bool = True) -> None:
        """Write buffered records now and (with ``sync``) fsync them, on this thread.

        Raises the OSError when the write or fsync fails (the records stay buffered).
        """
        if self._fd < 0:
            return
        if self._buf and not self._write_out():
            assert self.error is not None
            raise self.error
        if sync and self.synced_seq < self.written_seq:
            try:
                started = self.group.clock.monotonic()
                fsync(self._fd)
            except OSError as e:
                self.group.fsync_errors += 1
                self._fail(e, "fsync")
                raise
            self._synced(self.written_seq, self.group.clock.monotonic() - started)

    def close(self) -> None:
        """Flush (fsync unless the policy is ``no``) and close."""
        if self._fd < 0:
            return
        try:
            self.flush(sync=self.policy != "no")
        finally:
            for timer in (self._everysec, self._retry):
                if timer is not None:
                    timer.cancel()
            self._everysec = self._retry = None
            os.close(self._fd)
            self._fd = -1
            group = self.group
            self._in_barrier = False
            for lst in (group.barrier, group.unwritten, group.failed, group.logs):
                if self in lst:
                    lst.remove(self)
            group.appends_retired += self.last_seq
            if self._dirty and self in group.dirty:
                group.dirty.remove(self)
            self._dirty = False

    def fileno(self) -> int:
        return self._fd

    def mark_synced(self, seq: int) -> None:
        """Record ``seq`` was fsynced elsewhere (the journal's background compaction)."""
        if seq > self.synced_seq:
            self._synced(seq, None)

    def fail(self, error: OSError, op: str) -> None:
        """Record a failed ``op`` ("write" or "fsync") done elsewhere; retried every second."""
        self._fail(error, op)

    def truncate(self) -> None:
        """Empty the log (after its contents were folded into a snapshot)."""
        self.flush(sync=False)
        os.ftruncate(self._fd, 0)
        self.size = 0

    @property
    def pending_bytes(self) -> int:
        return sum(map(len, self._buf))
