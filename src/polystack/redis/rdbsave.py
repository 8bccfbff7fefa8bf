"""Saving and loading ``dump.rdb`` (SAVE, BGSAVE, SHUTDOWN SAVE, save points, start-up load).

SAVE writes the file on the loop, as Redis's SAVE blocks.  BGSAVE (and the save points, and a
full sync to a replica) fork a child, as Redis does: the child holds a copy-on-write view of the
dataset as it was at the fork, serialises it, writes ``temp-<pid>.rdb``, fsyncs and renames it
over ``dump.rdb`` (or streams it to a pipe, for a diskless sync) and exits; the server goes on
serving and only pays for the fork.  A waiter thread per child reads the child's error text from
a status pipe and reaps it, then hands the outcome back to the loop.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from polystack.redis import rdbfile
from polystack.redis.rdbfile import LoadResult, SaveInfo, SaveOptions
from polystack.redis.store import Keyspace

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Child:
    """A forked child writing an RDB (``kind`` "disk" or "socket")."""

    pid: int
    kind: str
    started: float
    on_done: Callable[[bool, str], None] | None = None
    read_fd: int = -1  # the RDB stream of a "socket" child


def _run_child(body: Callable[[], None], status_w: int) -> None:
    """In the forked child: run ``body``; report an error on the status pipe; never return."""
    code = 1
    try:
        gc.disable()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        body()
        code = 0
    except BaseException as e:  # noqa: BLE001 - everything goes back to the parent as text
        try:
            os.write(status_w, str(e).encode("utf-8", "replace")[:4000])
        except OSError:
            pass
    finally:
        os._exit(code)


def fork_child(body: Callable[[], None]) -> tuple[int, int]:
    """Fork a child running ``body``; returns (pid, read end of its status pipe)."""
    status_r, status_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(status_r)
        _run_child(body, status_w)
    os.close(status_w)
    return pid, status_r


def watch_child(
    pid: int, status_r: int, loop: asyncio.AbstractEventLoop, done: Callable[[bool, str], None]
) -> None:
    """Reap ``pid`` on a thread; call ``done(ok, error_text)`` on the loop."""

    def wait() -> None:
        chunks = []
        while True:
            try:
                b = os.read(status_r, 4096)
            except OSError:
                break
            if not b:
                break
            chunks.append(b)
        os.close(status_r)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = 0
        text = b"".join(chunks).decode("utf-8", "replace")
        ok = os.waitstatus_to_exitcode(status) == 0 and not text
        if not ok and not text:
            code = os.waitstatus_to_exitcode(status)
            text = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        try:
            loop.call_soon_threadsafe(done, ok, text)
        except RuntimeError:  # the loop is closed: the server stopped meanwhile
            pass

    threading.Thread(target=wait, name=f"rdb-child-{pid}", daemon=True).start()


class RDBSaver:
    """The RDB persistence state of one Redis server (what INFO persistence reports)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.child: Child | None = None
        self.lastsave = int(server.clock.time())
        self.last_bgsave_status = "ok"
        self.last_bgsave_time_sec = -1
        self.saves = 0
        self.last_load_keys_loaded = 0
        self.last_load_keys_expired = 0
        self.last_error = ""
        self.scheduled = False  # BGSAVE inside EXEC: start it from the next cron

    # -- where and how ----------------------------------------------------------------------
    def path(self) -> str:
        cfg = self.server.config
        return os.path.join(self.server.rdb_dir(), cfg.dbfilename)

    def options(self, save_info: SaveInfo | None = None) -> SaveOptions:
        server = self.server
        cfg = server.config
        return SaveOptions(
            compress=cfg.rdbcompression,
            checksum=cfg.rdbchecksum,
            ctime=int(server.clock.time()),
            used_mem=_used_memory(),
            save_info=save_info if save_info is not None else server.save_info(),
            policy=cfg.maxmemory_policy if cfg.maxmemory else "noeviction",
            now_ms=server.clock.time_ms(),
            functions=server.function_codes(),
        )

    @property
    def in_progress(self) -> bool:
        return self.child is not None

    # -- SAVE -------------------------------------------------------------------------------
    def save(self) -> None:
        """rdbSave on the loop; raises OSError (the file is left as it was)."""
        path = self.path()
        _ensure_dir(path)
        started = self.server.clock.monotonic()
        try:
            rdbfile.write_file(path, rdbfile.rdb_chunks(self.server.keyspace, self.options()))
        except OSError as e:
            log.warning("Failed opening the temp RDB file temp-%d.rdb (in server root dir %s) "
                        "for saving: %s", os.getpid(), os.path.dirname(path), e.strerror or e)  # fmt: skip
            self.last_bgsave_status = "err"
            raise
        log.info("DB saved on disk")
        self._saved(self.server.clock.monotonic() - started)

    def _saved(self, seconds: float) -> None:
        self.server.rdb_changes_since_last_save = 0
        self.lastsave = int(self.server.clock.time())
        self.last_bgsave_status = "ok"
        self.saves += 1
        self.last_bgsave_time_sec = int(seconds)
        self.server.update_misconf()

    # -- BGSAVE -----------------------------------------------------------------------------
    def bgsave(
        self,
        on_done: Callable[[bool, str], None] | None = None,
        save_info: SaveInfo | None = None,
    ) -> int:
        """rdbSaveBackground: fork a child writing dump.rdb; returns its pid.  Raises
        RuntimeError when a child already runs, OSError when the fork fails."""
        if self.child is not None:
            raise RuntimeError("Background save already in progress")
        path = self.path()
        _ensure_dir(path)
        ks: Keyspace = self.server.keyspace
        opts = self.options(save_info)
        changes = self.server.rdb_changes_since_last_save

        def body() -> None:
            rdbfile.write_file(path, rdbfile.rdb_chunks(ks, opts))

        pid, status_r = fork_child(body)
        child = self.child = Child(pid, "disk", self.server.clock.monotonic(), on_done)
        log.info("Background saving started by pid %d", pid)

        def done(ok: bool, error: str) -> None:
            self._bgsave_done(child, ok, error, changes)

        watch_child(pid, status_r, asyncio.get_running_loop(), done)
        return pid

    def _bgsave_done(self, child: Child, ok: bool, error: str, changes: int) -> None:
        if self.child is child:
            self.child = None
        seconds = self.server.clock.monotonic() - child.started
        if ok:
            log.info("Background saving terminated with success")
            self.server.rdb_changes_since_last_save = max(
                0, self.server.rdb_changes_since_last_save - changes
            )
            self.lastsave = int(self.server.clock.time())
            self.last_bgsave_status = "ok"
            self.saves += 1
            self.last_bgsave_time_sec = int(seconds)
            self.last_error = ""
        else:
            log.warning("Background saving error: %s", error)
            self.last_bgsave_status = "err"
            self.last_error = error
            self.last_bgsave_time_sec = int(seconds)
        if child.on_done is not None:
            child.on_done(ok, error)
        self.server.update_misconf()

    def fork_to_pipe(self, save_info: SaveInfo, on_done: Callable[[bool, str], None]) -> Child:
        """rdbSaveToSlavesSockets: a child writing the RDB to a pipe (diskless sync); the
        caller reads ``child.read_fd`` to its end."""
        if self.child is not None:
            raise RuntimeError("Background save already in progress")
        ks: Keyspace = self.server.keyspace
        opts = self.options(save_info)
        data_r, data_w = os.pipe()

        def body() -> None:
            os.close(data_r)
            with os.fdopen(data_w, "wb", buffering=0) as out:
                for chunk in rdbfile.rdb_chunks(ks, opts):
                    view = memoryview(chunk)
                    while view:
                        n = out.write(view)
                        view = view[n:]

        pid, status_r = fork_child(body)
        os.close(data_w)
        child = self.child = Child(pid, "socket", self.server.clock.monotonic(), on_done, data_r)
        log.info("Starting BGSAVE for SYNC with target: replicas sockets")

        def done(ok: bool, error: str) -> None:
            if self.child is child:
                self.child = None
            if not ok:
                log.warning("Background transfer error: %s", error)
            on_done(ok, error)

        watch_child(pid, status_r, asyncio.get_running_loop(), done)
        return child

    def kill_child(self) -> None:
        """killRDBChild: stop the child (SHUTDOWN, FLUSHALL, a replica turning master ...)."""
        child = self.child
        if child is None:
            return
        try:
            os.kill(child.pid, signal.SIGUSR1)
        except ProcessLookupError:
            pass
        # Wait (briefly) until it is gone: it shares the data directory's lock with us, and a
        # restart right after SHUTDOWN must find the lock free.  WNOWAIT leaves the reaping to
        # the child's watcher thread.
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                info = os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                break
            if info is not None:
                break
            time.sleep(0.002)
        if child.kind == "disk":
            try:
                os.unlink(os.path.join(os.path.dirname(self.path()), f"temp-{child.pid}.rdb"))
            except OSError:
                pass

    # -- save points ------------------------------------------------------------------------
    def check_save_points(self, now: float, points: list[tuple[int, int]]) -> None:
        """serverCron: BGSAVE when enough changes are that old (after a failure, only once
        CONFIG_BGSAVE_RETRY_DELAY of 5 seconds passed)."""
        if self.child is not None:
            return
        if self.scheduled:
            self.scheduled = False
            try:
                self.bgsave()
            except (OSError, RuntimeError) as e:
                log.warning("Can't save in background: fork: %s", e)
            return
        if not points:
            return
        changes = self.server.rdb_changes_since_last_save
        elapsed = now - self.lastsave
        for seconds, needed in points:
            if changes >= needed and elapsed >= seconds:
                if self.last_bgsave_status == "err" and now - self.lastsave_try < 5:
                    return
                log.info("%d changes in %d seconds. Saving...", needed, seconds)
                self.lastsave_try = now
                try:
                    self.bgsave()
                except (OSError, RuntimeError) as e:
                    log.warning("Can't save in background: fork: %s", e)
                    self.last_bgsave_status = "err"
                return

    lastsave_try = 0.0

    # -- loading ----------------------------------------------------------------------------
    def load(self, ks: Keyspace, skip_expired: bool = True) -> LoadResult | None:
        """rdbLoad of dump.rdb into ``ks``; None when there is no file."""
        path = self.path()
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        started = self.server.clock.monotonic()
        result = rdbfile.load_bytes(data, ks, self.server.clock.time_ms(), skip_expired)
        self.server.load_function_codes(result.functions)
        self.last_load_keys_loaded = result.keys
        self.last_load_keys_expired = result.expired_skipped
        log.info(
            "DB loaded from disk: %.3f seconds (%d keys from %s)",
            self.server.clock.monotonic() - started,
            result.keys,
            path,
        )
        return result


def _ensure_dir(path: str) -> None:
    """The default directory (the Redis data directory) may not exist yet; a configured one
    that cannot be used makes the save itself fail, as in Redis."""
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    except OSError:
        pass


def _used_memory() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
