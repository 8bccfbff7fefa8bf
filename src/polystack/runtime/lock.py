"""The data-directory lock: one process per data directory."""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

LOCK_NAME = ".polystack.lock"


class DataDirInUse(RuntimeError):
    """Another process holds the data directory."""

    def __init__(self, directory: Path, pid: str) -> None:
        self.directory = directory
        self.pid = pid
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"polystack: data directory {directory} is in use by {who}; stop it or choose "
            f"another with --data-dir"
        )


class DataDirLock:
    """An exclusive ``flock`` on ``DIR/.polystack.lock`` holding the owner's pid.

    ``flock`` locks belong to the open file, so a second server in the same process is refused
    too, and the lock goes away with the process however it ends.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory).resolve()
        self.path = self.directory / LOCK_NAME
        self._fd = -1

    def acquire(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
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

    def release(self) -> None:
        if self._fd >= 0:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            os.close(self._fd)  # closing drops the flock
            self._fd = -1
