"""The replication backlog: the last ``repl-backlog-size`` bytes of the replication stream, so a
replica that lost its link for a moment can continue from its offset (PSYNC) instead of a
full resynchronisation."""

from __future__ import annotations

from collections import deque


class Backlog:
    """A byte window over the stream: offsets are the stream's (the first byte ever is 1)."""

    __slots__ = ("size", "chunks", "histlen", "offset", "_held")

    def __init__(self, size: int, offset: int) -> None:
        self.size = size
        self.chunks: deque[bytes] = deque()
        self.histlen = 0
        self.offset = offset  # master_repl_offset at the end of the data held
        self._held = 0

    @property
    def first_byte_offset(self) -> int:
        """repl_backlog_first_byte_offset: the offset of the oldest byte held."""
        return self.offset - self.histlen + 1

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self.chunks.append(data)
        self.histlen += len(data)
        self.offset += len(data)
        self._trim()

    def _trim(self) -> None:
        chunks = self.chunks
        while self.histlen > self.size and chunks:
            first = chunks[0]
            excess = self.histlen - self.size
            if len(first) <= excess:
                chunks.popleft()
                self.histlen -= len(first)
            else:
                chunks[0] = first[excess:]
                self.histlen -= excess

    def resize(self, size: int) -> None:
        self.size = size
        self._trim()

    def covers(self, psync_offset: int) -> bool:
        """A replica asking for the stream from byte ``psync_offset`` on can be served."""
        return self.first_byte_offset <= psync_offset <= self.offset + 1

    def since(self, psync_offset: int) -> bytes:
        """The stream from byte ``psync_offset`` on (covers() must hold)."""
        skip = psync_offset - self.first_byte_offset
        data = b"".join(self.chunks)
        if len(self.chunks) > 1:
            self.chunks = deque([data])
        return data[skip:]
