"""The data-directory lock: one process (and one server) per data directory."""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

LOCK_NAME = ".polystack.lock"

# Directories locked by servers of this process (POSIX locks do not conflict within a process).
_LOCKED: set[Path] = set()


class DataDirInUse(RuntimeError):
    """Another process (or server) holds the data directory."""

    def __init__(self, directory: Path, pid: str) -> None:
        self.directory = directory
        self.pid = pid
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"polystack: data directory {directory} is in use by {who}; stop it or choose "
            f"another with --data-dir"
        )


class DataDirLock:
    """An exclusive POSIX lock (``lockf``) on ``DIR/.polystack.lock`` holding the owner's pid.

    A POSIX lock belongs to the process: a forked child (Redis's BGSAVE) never holds it, a
    subprocess does not inherit the file, and the lock goes away with the process however it
    ends.  A second server of the same process is refused through :data:`_LOCKED`.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory).resolve()
        self.path = self.directory / LOCK_NAME
        self._fd = -1

    def acquire(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.directory in _LOCKED:
            raise DataDirInUse(self.directory, str(os.getpid()))
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            try:
                pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            finally:
                os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise DataDirInUse(self.directory, pid) from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        _LOCKED.add(self.directory)

    def release(self) -> None:
        if self._fd >= 0:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            os.close(self._fd)  # closing drops the lock
            self._fd = -1
            _LOCKED.discard(self.directory)
