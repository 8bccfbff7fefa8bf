"""Record framing and reading a log file back, streaming.

A record is ``[u32 little-endian payload length][u32 CRC32C of payload][payload]`` with a payload of
at least one byte (so eight zero bytes are never a record).

Reading stops at the first position that does not hold a whole, valid record.  What follows
decides what that position is:

* a **torn tail** — the end of the file is a record cut short by a crash, the last record's
  payload is damaged with nothing after it, or the rest of the file is zero bytes (a power loss
  after the file grew but before its blocks were written).  The valid prefix is everything that
  was ever acknowledged; the tail is truncated and start-up continues;
* **corruption** — a damaged record followed by valid records.  Dropping the tail would drop
  records that may have been acknowledged, so :class:`LogCorruption` stops start-up, naming the
  file and the offset; ``polystack repair-log PATH`` truncates there on request.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path

from crc32c import crc32c

HEADER = struct.Struct("<II")
MAX_RECORD = 1 << 31
READ_CHUNK = 1 << 20
# How much of a damaged tail is read, and searched for a valid record, before calling it
# corruption (a torn tail is at most one write batch; a longer unreadable stretch is not torn).
SCAN_LIMIT = 64 << 20
SCAN_POSITIONS = 4 << 20
CRC_BUDGET = 256 << 20

_pack_header = HEADER.pack
_unpack_header = HEADER.unpack_from


class LogCorruption(Exception):
    """A damaged record in the middle of a log: start-up stops rather than lose what follows."""

    def __init__(self, path: Path | str, offset: int, reason: str) -> None:
        self.path = Path(path)
        self.offset = offset
        self.reason = reason
        super().__init__(
            f"{self.path}: bad record at offset {offset} ({reason}) followed by valid records; "
            f"refusing to drop them. Make a backup of the file, then run "
            f"`polystack repair-log {self.path}` to truncate it at offset {offset}"
        )


def frame(payload: bytes) -> bytes:
    """One record's bytes."""
    if not payload:
        raise ValueError("a log record cannot be empty")
    return _pack_header(len(payload), crc32c(payload)) + payload


def _valid_at(data: bytes | memoryview, pos: int) -> int:
    """The end of a valid record starting at ``pos`` in ``data``, or -1."""
    end = len(data)
    if pos + 8 > end:
        return -1
    length, crc = _unpack_header(data, pos)
    stop = pos + 8 + length
    if length == 0 or stop > end:
        return -1
    if crc32c(data[pos + 8 : stop]) != crc:
        return -1
    return stop


def scan(data: bytes) -> tuple[list[bytes], int]:
    """Decode records from ``data``; returns (records, length of the valid prefix)."""
    records: list[bytes] = []
    pos = 0
    while True:
        stop = _valid_at(data, pos)
        if stop < 0:
            return records, pos
        records.append(data[pos + 8 : stop])
        pos = stop


def classify_tail(tail: bytes, remaining: int | None = None) -> tuple[bool, str]:
    """Whether ``tail`` (the file from the first invalid position on) is a torn tail.

    Returns (torn, reason).  ``remaining`` is the length of the rest of the file when ``tail``
    is only its first :data:`SCAN_LIMIT` bytes.
    """
    if remaining is None:
        remaining = len(tail)
    complete = len(tail) >= remaining
    if complete and not tail.strip(b"\0"):
        return True, "zero-filled tail"
    length, _ = _unpack_header(tail, 0) if len(tail) >= 8 else (0, 0)
    if len(tail) < 8 or (length and 8 + length > remaining):
        # The last record, cut short (or a header cut short): nothing valid can follow it.
        found = _first_valid(tail, 1)
        if found == -1:
            return True, "record cut short at the end of the file"
        if found == -2:
            return False, "a record's length runs past unreadable bytes"
        return False, f"a record's length runs past a valid record at +{found}"
    if length:
        after = 8 + length
        if after <= len(tail):
            rest = tail[after:]
            if complete and not rest.strip(b"\0"):
                return True, "damaged last record"
            if _valid_at(tail, after) >= 0:
                return False, "checksum mismatch"
    found = _first_valid(tail, 1)
    if found >= 0:
        return False, f"unreadable bytes before a valid record at +{found}"
    if found == -2 or not complete:
        return False, "a long stretch of unreadable bytes"
    return True, "unreadable tail"


def _first_valid(data: bytes, start: int) -> int:
    """Offset of the first valid record at or after ``start``, or -1 when none is found.

    The search looks at the first :data:`SCAN_POSITIONS` offsets and checksums at most
    :data:`CRC_BUDGET` bytes; past either bound it answers ``-2`` (could not tell).
    """
    end = len(data)
    pos = start
    budget = CRC_BUDGET
    last = min(end - 8, start + SCAN_POSITIONS)
    while pos < last:
        if data[pos] == 0 and data[pos : pos + 8] == b"\0\0\0\0\0\0\0\0":
            # Skip a run of zeros quickly: a record's length is never zero.
            nz = end - len(data[pos:].lstrip(b"\0"))
            pos = max(pos + 1, nz - 3)
            continue
        length, crc = _unpack_header(data, pos)
        stop = pos + 8 + length
        if length and stop <= end:
            budget -= length
            if budget < 0:
                return -2
            if crc32c(data[pos + 8 : stop]) == crc:
                return pos
        pos += 1
    return -2 if last < end - 8 else -1


class LogReader:
    """Streams the records of one log file without loading the file.

    Iterate to get the payloads.  Afterwards ``valid_end`` is the length of the valid prefix and
    ``torn`` the number of bytes after it that form a torn tail; a corrupt middle raises
    :class:`LogCorruption` at the end of the valid prefix.
    """

    def __init__(self, path: Path | str, chunk: int = READ_CHUNK, offset: int = 0) -> None:
        self.path = Path(path)
        self.chunk = chunk
        self.offset = offset
        self.valid_end = 0
        self.torn = 0
        self.torn_reason = ""
        self.count = 0
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        try:
            f = open(self.path, "rb")
        except FileNotFoundError:
            return
        with f:
            size = self.size = os.fstat(f.fileno()).st_size
            buf = b""
            base = self.offset  # file offset of buf[0]
            f.seek(base)
            pos = 0
            read = f.read
            chunk = self.chunk
            while True:
                avail = len(buf) - pos
                if avail < 8:
                    more = read(chunk)
                    if not more:
                        break
                    buf = buf[pos:] + more
                    base += pos
                    pos = 0
                    continue
                length, crc = _unpack_header(buf, pos)
                stop = pos + 8 + length
                if length == 0 or length > MAX_RECORD or base + stop > size:
                    break
                if stop > len(buf):
                    more = read(max(chunk, stop - len(buf)))
                    buf = buf[pos:] + more
                    base += pos
                    pos = 0
                    stop = 8 + length
                    if stop > len(buf):
                        break
                payload = buf[pos + 8 : stop]
                if crc32c(payload) != crc:
                    break
                self.count += 1
                pos = stop
                yield payload
            self.valid_end = base + pos
            if self.valid_end < size:
                f.seek(self.valid_end)
                tail = f.read(SCAN_LIMIT)
                complete = self.valid_end + len(tail) >= size
                if not complete and not tail.strip(b"\0"):
                    # A long zero-filled tail: check the rest without holding it all.
                    while True:
                        more = f.read(READ_CHUNK)
                        if not more:
                            complete = True
                            break
                        if more.strip(b"\0"):
                            break
                    if complete:
                        tail = b""
                if tail:
                    torn, reason = classify_tail(tail, size - self.valid_end)
                else:
                    torn, reason = True, "zero-filled tail"
                if not torn:
                    raise LogCorruption(self.path, self.valid_end, reason)
                self.torn = size - self.valid_end
                self.torn_reason = reason


def truncate_file(path: Path | str, offset: int) -> None:
    """Cut ``path`` at ``offset`` and make that durable."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.ftruncate(fd, offset)
        os.fsync(fd)
    finally:
        os.close(fd)


def repair(path: Path | str) -> tuple[int, int, int]:
    """Truncate a log at its first bad record (``polystack repair-log``).

    Returns (records kept, bytes kept, bytes removed).
    """
    path = Path(path)
    size = path.stat().st_size
    reader = LogReader(path)
    try:
        for _ in reader:
            pass
    except LogCorruption:
        pass
    kept = reader.valid_end
    if kept < size:
        truncate_file(path, kept)
    return reader.count, kept, size - kept
