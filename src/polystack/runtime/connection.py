"""Adapts a sans-I/O session to an asyncio transport.

This is the only module that touches sockets.  Bytes that arrive are fed to the
session; replies the session writes are queued and sent with one
``transport.write`` per batch.  Writes made outside ``feed`` (timers, pushes from
other sessions) are flushed at the end of the current loop turn.  Before any
reply reaches the socket, every log's buffered records are handed to the OS
(``log.write_pending``), so an acknowledged write is never only in memory.

Backpressure: when the transport's write buffer passes its high-water mark,
reading from that client is paused until it drains, so a client that does not
read its replies cannot grow the server's memory without bound.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from polystack.runtime import log as _log

if TYPE_CHECKING:
    from polystack.runtime.log import RecordLog

logger = logging.getLogger(__name__)

_client_ids = itertools.count(1)
_dirty_logs = _log._dirty
_write_pending = _log.write_pending

WRITE_HIGH_WATER = 4 * 1024 * 1024
WRITE_LOW_WATER = 1024 * 1024


class Session(Protocol):
    """What each system's session implements (sans-I/O)."""

    def feed(self, data: bytes) -> None: ...

    def connection_lost(self) -> None: ...


class ListenerState:
    """Counts a listener's clients for its max-clients limit."""

    __slots__ = ("name", "clients", "max_clients", "reject", "factory", "total_connections")

    def __init__(
        self, name: str, factory: Callable[[Peer], Session], max_clients: int, reject: bytes
    ) -> None:
        self.name = name
        self.factory = factory
        self.max_clients = max_clients
        self.reject = reject
        self.clients: set[Peer] = set()
        self.total_connections = 0


class Peer(asyncio.Protocol):
    """One client connection; the session's only view of its socket."""

    __slots__ = (
        "id",
        "peername",
        "sockname",
        "closed",
        "session",
        "transport",
        "listener",
        "created",
        "_wbuf",
        "_in_feed",
        "_flush_scheduled",
        "_hold_log",
        "_hold_seq",
        "_waiting",
        "_paused_by_writes",
        "_paused_by_session",
        "_closing",
        "_loop",
        "bytes_in",
        "bytes_out",
    )

    def __init__(self, listener: ListenerState) -> None:
        self.id = next(_client_ids)
        self.listener = listener
        self.peername: tuple | None = None
        self.sockname: tuple | None = None
        self.closed = False
        self.session: Session | None = None
        self.transport: asyncio.Transport | None = None
        self._wbuf: list[bytes] = []
        self._in_feed = False
        self._flush_scheduled = False
        self._hold_log: RecordLog | None = None
        self._hold_seq = 0
        self._waiting = False
        self._paused_by_writes = False
        self._paused_by_session = False
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.bytes_in = 0
        self.bytes_out = 0

    # -- asyncio.Protocol ------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._loop = asyncio.get_running_loop()
        self.peername = transport.get_extra_info("peername")
        self.sockname = transport.get_extra_info("sockname")
        transport.set_write_buffer_limits(WRITE_HIGH_WATER, WRITE_LOW_WATER)
        listener = self.listener
        listener.total_connections += 1
        if len(listener.clients) >= listener.max_clients:
            self.closed = True
            if listener.reject:
                transport.write(listener.reject)
            transport.close()
            return
        listener.clients.add(self)
        try:
            self.session = listener.factory(self)
        except Exception:
            logger.exception("%s: could not start a session", listener.name)
            self.abort()

    def data_received(self, data: bytes) -> None:
        session = self.session
        if session is None or self.closed:
            return
        self.bytes_in += len(data)
        self._in_feed = True
        try:
            session.feed(data)
        except Exception:
            logger.exception(
                "%s: session failed on client input; closing that client", self.listener.name
            )
            self._in_feed = False
            self.abort()
            return
        self._in_feed = False
        if self._wbuf:
            self._flush()

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.listener.clients.discard(self)
        session = self.session
        self.session = None
        if session is not None:
            try:
                session.connection_lost()
            except Exception:
                logger.exception("%s: error while closing a session", self.listener.name)

    def pause_writing(self) -> None:
        if not self._paused_by_writes and self.transport is not None:
            self._paused_by_writes = True
            if not self._paused_by_session:
                self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self._paused_by_writes and self.transport is not None:
            self._paused_by_writes = False
            if not self._paused_by_session and not self.closed:
                self.transport.resume_reading()

    # -- the session's interface -----------------------------------------
    def write(self, data: bytes) -> None:
        """Queue ``data``; it is sent with the rest of this batch."""
        self._wbuf.append(data)
        if not self._in_feed and not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._scheduled_flush)

    def write_after(self, log: RecordLog, data: bytes) -> None:
        """Queue ``data`` to be sent only once everything appended to ``log`` so far is durable."""
        if log.policy == "always" and log.durable_seq < log.last_seq:
            if self._hold_log is not None and self._hold_log is not log:
                # Waiting on two logs at once: wait for the older one first, then this one.
                log.flush(sync=True)
            else:
                self._hold_log = log
                self._hold_seq = log.last_seq
        self.write(data)

    def close(self) -> None:
        """Send what is queued, then close."""
        if self.closed:
            return
        self._closing = True
        self._flush()
        if not self._wbuf and not self._flush_scheduled and self._hold_log is None:
            if self.transport is not None:
                self.transport.close()
            self.closed = True

    def abort(self) -> None:
        """Close now, dropping queued output."""
        if self.closed and self.transport is None:
            return
        self.closed = True
        self._wbuf.clear()
        if self.transport is not None:
            self.transport.abort()

    def pause_reading(self) -> None:
        if not self._paused_by_session and self.transport is not None:
            self._paused_by_session = True
            if not self._paused_by_writes:
                self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self._paused_by_session and self.transport is not None:
            self._paused_by_session = False
            if not self._paused_by_writes and not self.closed:
                self.transport.resume_reading()

    @property
    def pending_output(self) -> int:
        out = sum(map(len, self._wbuf))
        if self.transport is not None:
            out += self.transport.get_write_buffer_size()
        return out

    # -- flushing --------------------------------------------------------
    def _scheduled_flush(self) -> None:
        self._flush_scheduled = False
        if _dirty_logs:
            _write_pending()
        if self._wbuf:
            self._send()

    def _flush(self) -> None:
        if _dirty_logs:
            # Some log has records not yet handed to the OS.  Send after it is written, at the
            # end of this loop turn, so one write() covers every client's records of the turn
            # (as Redis does in beforeSleep) and no reply precedes the record it acknowledges.
            if self._loop is not None and not self._loop.is_closed():
                if not self._flush_scheduled:
                    self._flush_scheduled = True
                    self._loop.call_soon(self._scheduled_flush)
                return
            _write_pending()
        self._send()

    def _send(self) -> None:
        hold = self._hold_log
        if hold is not None:
            if hold.durable_seq < self._hold_seq:
                if not self._waiting:
                    self._waiting = True
                    hold.when_durable(self._released)
                return
            self._hold_log = None
        wbuf = self._wbuf
        if not wbuf or self.transport is None or self.transport.is_closing():
            wbuf.clear()
            if self._closing and self.transport is not None:
                self.transport.close()
                self.closed = True
            return
        if len(wbuf) == 1:
            data = wbuf[0]
        else:
            data = b"".join(wbuf)
        wbuf.clear()
        self.bytes_out += len(data)
        self.transport.write(data)
        if self._closing and self._hold_log is None:
            self.transport.close()
            self.closed = True

    def _released(self) -> None:
        self._waiting = False
        hold = self._hold_log
        if hold is not None and hold.durable_seq >= self._hold_seq:
            self._hold_log = None
            self._send()
        elif hold is not None:
            self._waiting = True
            hold.when_durable(self._released)
