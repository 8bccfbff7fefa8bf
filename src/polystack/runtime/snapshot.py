"""Atomic snapshot files: write a temporary file, fsync it, rename it over the old one, fsync the
directory.  Blocking: the journal runs it on its I/O threads."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path | str, data: bytes | Iterable[bytes]) -> int:
    """Replace ``path`` with ``data`` (bytes, or an iterable of byte chunks written as they come)
    so that a crash leaves either the old or the new file.  Returns the size written."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    parts = (data,) if isinstance(data, bytes | bytearray | memoryview) else data
    size = 0
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for part in parts:
            view = memoryview(part)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            size += len(part)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)
    return size


def read(path: Path | str) -> bytes | None:
    """The snapshot's bytes, or None when there is none."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None
