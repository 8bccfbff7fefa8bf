"""The Redis server's dataset on disk (a mixin of service.py's RedisService, using its state as
it keeps it): the journal (snapshot + log, ``appendonly``) or dump.rdb read back at start-up,
SAVE/BGREWRITEAOF, the log's failures turned into -MISCONF, ``appendonly``/``appendfsync``
switched live, and a replica's resume point at a clean stop.  (persist.py is the codec of the
keyspace in the journal; rdbsave.py writes dump.rdb.)
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from polystack.redis import persist
from polystack.redis.commands.functions import functions_of
from polystack.redis.flags import SLOW_MISCONF
from polystack.redis.rdbfile import RDBLoadError
from polystack.redis.session import Client, encode_log_batch
from polystack.runtime.journal import Journal

if TYPE_CHECKING:
    from polystack.runtime.log import RecordLog

log = logging.getLogger(__name__)


class NullPeer:
    """Stands in for a socket when commands run without a client (log replay)."""

    id = 0
    peername = None
    sockname = None
    closed = False
    pending_output = 0

    def write(self, data: bytes) -> None:
        pass

    def write_stateless(self, data: bytes) -> None:
        pass

    def write_after(self, log: Any, data: bytes) -> None:
        pass

    def output_room(self) -> int:
        return 1 << 62

    def output_full(self, extra: int = 0) -> bool:
        return False

    def set_output_limits(self, hard: int, soft: int = 0, soft_seconds: float = 0) -> None:
        pass

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


class Persistence:
    """RedisService's journal, dump.rdb and -MISCONF methods."""

    # (the RedisService's, declared for the type checker)
    config: Any
    ctx: Any
    clock: Any
    data_dir: Any
    keyspace: Any
    clients: Any
    journal: Any
    append_journal_turn: Any
    rdb: Any
    functions: Any
    loading: Any
    loaded_save_info: Any
    aof_base_size: Any
    aof_rewrites: Any
    aof_last_bgrewrite_status: Any
    aof_write_error: Any
    save_points: Any
    _resume: Any
    is_replica: Any

    # A replica's replication id and offset at a clean stop (its journal holds exactly the
    # data up to that offset): the next start PSYNCs from there, as Redis does with the
    # repl-id/repl-offset of the RDB it saves at shutdown.
    RESUME_FILE = "replication.state"

    def _write_resume(self, replid: str, offset: int) -> None:
        path = os.path.join(self.data_dir, self.RESUME_FILE)
        try:
            with open(path, "w") as f:
                f.write(f"{replid} {offset}\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            log.warning("redis: could not record the replication offset: %s", e)

    def _read_resume(self) -> tuple[str, int] | None:
        """The state a clean stop recorded; removed at once, so that after a crash (the
        journal may then hold more) the next start does a full sync."""
        path = os.path.join(self.data_dir, self.RESUME_FILE)
        try:
            with open(path) as f:
                words = f.read().split()
            os.unlink(path)
        except OSError:
            return None
        if len(words) == 2 and len(words[0]) == 40 and words[1].isdigit():
            return words[0], int(words[1])
        return None

    # -- persistence ---------------------------------------------------------
    def _open_journal(self) -> Journal:
        return Journal(
            self.data_dir, self.config.appendfsync, "appendonly", group=self.ctx.logs, barrier=True
        )

    def recover_data(self) -> None:
        """Read the dataset back: the journal (snapshot + log) when ``appendonly`` is on, else
        dump.rdb as Redis loads it.  A brand-new journal next to a dump.rdb (a user bringing a
        snapshot from a real Redis) starts from that file."""
        self.loading = True
        try:
            if not self.config.appendonly:
                self._load_rdb()
                return
            self.journal = self._open_journal()
            self._resume = self._read_resume()
            started = self.clock.monotonic()
            snap, records = self.journal.open()
            keys = (
                persist.load_keyspace(self.keyspace, snap, self._snapshot_header)
                if snap is not None
                else 0
            )
            client = Client(self, NullPeer())  # type: ignore[arg-type]
            self.clients.pop(client.id, None)
            commands = persist.replay(client, records)
            self.keyspace.dirty = 0
            self.aof_base_size = self.journal.log.size
            if snap is not None or commands:
                log.info(
                    "redis: loaded %d keys from the snapshot and replayed %d commands in %.3f s",
                    keys,
                    commands,
                    self.clock.monotonic() - started,
                )
            elif self._load_rdb():
                self.save()  # the journal starts from the loaded dataset
        finally:
            self.loading = False

    def function_codes(self) -> list[bytes]:
        """Each function library's code (what a snapshot or dump.rdb keeps)."""
        return self.functions.codes() if self.functions is not None else []

    def load_function_codes(self, codes: list[bytes]) -> None:
        if codes:
            functions_of(self).load_codes(codes)

    def _snapshot_header(self, header: dict) -> None:
        self.load_function_codes(header.get("functions", []))

    def _load_rdb(self) -> bool:
        try:
            result = self.rdb.load(self.keyspace)
        except RDBLoadError as e:
            raise RDBLoadError(f"{self.rdb.path()}: {e}") from None
        if result is None:
            return False
        self.loaded_save_info = result.save_info
        return True

    def rdb_dir(self) -> str:
        """Where dump.rdb lives: ``dir``, else the Redis data directory."""
        return os.path.abspath(self.config.dir or self.data_dir)

    def save(self, background: bool = False) -> None:
        """Write a snapshot of every database and start a fresh log (SAVE; BGSAVE and
        BGREWRITEAOF with ``background``: the file writes and fsyncs then run off the loop)."""
        self.append_journal_turn()  # this turn's writes go in the log the snapshot ends
        chunks = persist.dump_keyspace(self.keyspace, {"functions": self.function_codes()})
        journal = self.journal
        if journal is not None:
            if background:
                if journal.compacting:
                    return
                fut = journal.compact_forked(chunks)  # the loop never walks the keyspace
                fut.add_done_callback(self._background_saved)
            else:
                journal.compact(chunks)
            self.aof_base_size = journal.log.size
        self.aof_rewrites += 1

    def _background_saved(self, fut: Any) -> None:
        exc = fut.exception()
        self.aof_last_bgrewrite_status = "ok" if exc is None else "err"
        if exc is not None:
            log.error("redis: background AOF rewrite failed: %s", exc)

    def flushall(self) -> None:
        """Empty every database (used by the test fixtures; logged like FLUSHALL)."""
        self.keyspace.flushall()
        if self.journal is not None:
            self.append_journal_turn()
            self.journal.append(encode_log_batch([(0, [b"FLUSHALL"])]))

    def _on_log_failure(self, rlog: RecordLog, error: OSError | None) -> None:
        """A log write or fsync failed (or works again): refuse writes with -MISCONF
        meanwhile, as Redis does after a failed AOF write."""
        if error is not None:
            self.aof_write_error = os.strerror(error.errno) if error.errno else str(error)
            self.update_misconf()
            log.warning(
                "redis: refusing writes until the log can be written again (%s)",
                self.aof_write_error,
            )
        elif not self.ctx.logs.failed:
            self.aof_write_error = ""
            self.update_misconf()
            log.warning("redis: AOF write error looks solved, Redis can write again.")

    def misconf_reply(self) -> bytes | None:
        """writeCommandsDeniedByDiskError: why writes (and PING) get -MISCONF, or None: a
        failed BGSAVE with save points and stop-writes-on-bgsave-error, then a failing log."""
        cfg = self.config
        if (
            cfg.stop_writes_on_bgsave_error
            and self.save_points
            and self.rdb.last_bgsave_status == "err"
            and not self.is_replica()
        ):
            return _RDB_MISCONF
        if self.aof_write_error:
            return b"-MISCONF Errors writing to the AOF file: %s" % self.aof_write_error.encode()
        return None

    def update_misconf(self) -> None:
        """Send every client through the -MISCONF check while a disk error holds."""
        on = self.misconf_reply() is not None
        for c in self.clients.values():
            if on:
                c.slow |= SLOW_MISCONF
            else:
                c.slow &= ~SLOW_MISCONF

    def _maybe_rewrite(self) -> None:
        j = self.journal
        if j is None or not self.config.auto_aof_rewrite_percentage or j.compacting:
            return
        size = j.log.size
        if size < self.config.auto_aof_rewrite_min_size:
            return
        base = self.aof_base_size or 1
        if (size - base) * 100 // base >= self.config.auto_aof_rewrite_percentage:
            log.info("redis: log grew to %d bytes; rewriting it behind a snapshot", size)
            self.save(background=True)

    # -- live configuration (CONFIG SET) ----------------------------------------
    def set_appendfsync(self, policy: str) -> None:
        """Switch the log's fsync policy now (CONFIG SET appendfsync)."""
        self.config.appendfsync = policy
        if self.journal is not None:
            self.append_journal_turn()  # (gathered under the policy before)
            self.journal.set_policy(policy)

    def set_appendonly(self, on: bool) -> None:
        """Start logging (writing a snapshot of the current data first) or stop it."""
        if on and self.journal is None:
            journal = self._open_journal()
            _, records = journal.open()
            for _ in records:  # whatever an older run left is superseded by the snapshot below
                pass
            self.journal = journal
            self.config.appendonly = True
            self.save()
        elif not on and self.journal is not None:
            self.append_journal_turn()
            self.journal.close()
            self.journal = None
        self.config.appendonly = on


_RDB_MISCONF = (
    b"-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
    b"to disk. Commands that may modify the data set are disabled, because this instance is "
    b"configured to report errors during writes if RDB snapshotting fails "
    b"(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
    b"RDB error."
)
