"""Adapts a sans-I/O session to an asyncio transport.

This is the only module that touches sockets.  Bytes that arrive are fed to the session;
replies the session writes are queued and sent with one ``transport.write`` per batch.  Writes
made outside ``feed`` (timers, pushes from other sessions) are flushed at the end of the current
loop turn.  Before any reply reaches the socket, the service's logs hand their buffered records
to the OS (``LogGroup.write_pending``), so no reply precedes the write of what it acknowledges;
under a barrier log (``appendfsync always``) replies also wait for the fsync.

Output flow control: a session asks :meth:`Peer.output_full` before building a reply; once the
connection's output (queued, held and in the transport) reaches the high-water mark, it stops
consuming input and gets ``resume_writing()`` when the output drains to the low-water mark.
Sessions that define ``pause_writing()``/``resume_writing()`` are also told when the
transport's buffer crosses the marks (a broker stops pushing deliveries).  A connection whose
pending output passes its hard limit (or stays over its soft limit for too long) is closed.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, cast

from polystack.runtime.clock import SYSTEM_CLOCK, Clock
from polystack.runtime.log import LogGroup

if TYPE_CHECKING:
    from polystack.runtime.log import RecordLog

logger = logging.getLogger(__name__)

_client_ids = itertools.count(1)

WRITE_HIGH_WATER = 4 * 1024 * 1024
WRITE_LOW_WATER = 1024 * 1024


class Session(Protocol):
    """What each system's session implements (sans-I/O).

    Optional hooks, called when defined: ``pause_writing()``, ``resume_writing()``,
    ``shutdown(reason)``, and ``receive(data)``: ``feed`` that returns the read's replies
    (bytes, or None) instead of writing them, so the common read needs no queueing (the
    runtime sends them after anything the session wrote meanwhile, as one write would).
    """

    def feed(self, data: bytes) -> None: ...

    def connection_lost(self) -> None: ...


class ListenerState:
    """One listening port: its clients, limits and counters."""

    __slots__ = (
        "name",
        "clients",
        "max_clients",
        "reject",
        "factory",
        "total_connections",
        "rejected_connections",
        "output_limit_disconnections",
        "closed_bytes_in",
        "closed_bytes_out",
        "logs",
        "clock",
        "high_water",
        "low_water",
        "system",
    )

    def __init__(
        self,
        name: str,
        factory: Callable[[Peer], Session],
        max_clients: int,
        reject: bytes,
        logs: LogGroup | None = None,
        clock: Clock = SYSTEM_CLOCK,
        high_water: int = WRITE_HIGH_WATER,
        low_water: int = WRITE_LOW_WATER,
        system: str = "",
    ) -> None:
        self.name = name
        self.factory = factory
        self.max_clients = max_clients
        self.reject = reject
        self.clients: set[Peer] = set()
        self.total_connections = 0
        self.rejected_connections = 0
        self.output_limit_disconnections = 0
        self.closed_bytes_in = 0
        self.closed_bytes_out = 0
        self.logs = logs if logs is not None else LogGroup(clock, name)
        self.clock = clock
        self.high_water = high_water
        self.low_water = low_water
        self.system = system or name

    @property
    def bytes_in(self) -> int:
        return self.closed_bytes_in + sum(p.bytes_in for p in self.clients)

    @property
    def bytes_out(self) -> int:
        return self.closed_bytes_out + sum(p.bytes_out for p in self.clients)


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
        "_group",
        "_wbuf",
        "_wbuf_size",
        "_held",
        "_held_size",
        "_in_feed",
        "_flush_scheduled",
        "_waiting",
        "_paused_by_writes",
        "_paused_by_session",
        "_shutting_down",
        "_closing",
        "_loop",
        "_owe_resume",
        "_limits_lowered",
        "_hook_pause",
        "_hook_resume",
        "_receive",
        "_hard",
        "_soft",
        "_soft_seconds",
        "_soft_since",
        "bytes_in",
        "bytes_out",
    )

    def __init__(self, listener: ListenerState) -> None:
        self.id = next(_client_ids)
        self.listener = listener
        self._group = listener.logs
        self.peername: tuple | None = None
        self.sockname: tuple | None = None
        self.closed = False
        self.session: Session | None = None
        self.transport: asyncio.Transport | None = None
        self._wbuf: list[bytes] = []
        self._wbuf_size = 0
        # Output waiting for the log: (conditions or None, data); conditions are
        # (log, seq, needs_fsync) triples that must all hold before the data is sent.
        self._held: deque[tuple[list | None, bytes]] = deque()
        self._held_size = 0
        self._in_feed = False
        self._flush_scheduled = False
        self._waiting = False
        self._paused_by_writes = False
        self._paused_by_session = False
        self._shutting_down = False
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._owe_resume = False
        self._limits_lowered = False
        self._hook_pause: Callable[[], None] | None = None
        self._hook_resume: Callable[[], None] | None = None
        self._receive: Callable[[bytes], bytes | None] | None = None
        self._hard = 0
        self._soft = 0
        self._soft_seconds = 0.0
        self._soft_since: float | None = None
        self.bytes_in = 0
        self.bytes_out = 0

    # -- asyncio.Protocol ------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream server or connection hands its protocol a Transport (asyncio types the
        # parameter as the base class every kind of transport shares)
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        self._loop = asyncio.get_running_loop()
        self.peername = transport.get_extra_info("peername")
        self.sockname = transport.get_extra_info("sockname")
        listener = self.listener
        transport.set_write_buffer_limits(listener.high_water, listener.low_water)
        listener.total_connections += 1
        if len(listener.clients) >= listener.max_clients:
            self.closed = True
            listener.rejected_connections += 1
            if listener.reject:
                transport.write(listener.reject)
            transport.close()
            return
        listener.clients.add(self)
        try:
            session = self.session = listener.factory(self)
        except Exception:
            logger.exception("%s: could not start a session", listener.name)
            self.abort()
            return
        self._receive = getattr(session, "receive", None)
        self._hook_pause = getattr(session, "pause_writing", None)
        self._hook_resume = getattr(session, "resume_writing", None)

    def data_received(self, data: bytes) -> None:
        session = self.session
        if session is None or self.closed:
            return
        self.bytes_in += len(data)
        self._in_feed = True
        try:
            receive = self._receive
            if receive is None:
                session.feed(data)
                reply = None
            else:
                reply = receive(data)
        except Exception:
            logger.exception(
                "%s: session failed on client input; closing that client", self.listener.name
            )
            self._in_feed = False
            self.abort()
            return
        wbuf = self._wbuf
        group = self._group
        if reply is not None:
            if (
                wbuf
                or self._held
                or self._owe_resume
                or self._closing
                or group.barrier
                or group.hold_unwritten
                or self._hard
                or self._soft
            ):
                self.write(reply)  # (still inside the read: queued, not scheduled)
            elif group.dirty:
                # A write's reply, nothing else pending (write()'s common case, inline): it
                # goes out right after this turn's log write, which covers every client's
                # records of the turn (one write() for all).
                wbuf.append(reply)
                self._wbuf_size = len(reply)
                self._in_feed = False
                if not group.scheduled:
                    self._flush()
                elif not self._flush_scheduled:
                    self._flush_scheduled = True
                    group.after_write.append(self._scheduled_flush)
                return
            else:
                # The common case, inline: nothing written before it, nothing waits for the
                # log, no output limits to check.
                self._in_feed = False
                transport = self.transport
                if transport is not None and not transport.is_closing():
                    self.bytes_out += len(reply)
                    transport.write(reply)
                return
        self._in_feed = False
        if self._held or self._owe_resume or self._closing:
            self._flush()
        elif wbuf:
            if group.dirty:
                # This read's records are written at the end of the loop turn, with every
                # other client's (one write() for all): the replies go right after that.
                if not group.scheduled:
                    self._flush()
                elif not self._flush_scheduled:
                    self._flush_scheduled = True
                    group.after_write.append(self._scheduled_flush)
                return
            if group.hold_unwritten or self._hard or self._soft:
                self._send()
                return
            # Nothing waits for the log, no output limits to check.
            transport = self.transport
            data = wbuf[0] if len(wbuf) == 1 else b"".join(wbuf)
            wbuf.clear()
            self._wbuf_size = 0
            if transport is not None and not transport.is_closing():
                self.bytes_out += len(data)
                transport.write(data)

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        listener = self.listener
        if self in listener.clients:
            listener.clients.discard(self)
            listener.closed_bytes_in += self.bytes_in
            listener.closed_bytes_out += self.bytes_out
        self._held.clear()
        self._held_size = 0
        session = self.session
        self.session = None
        if session is not None:
            try:
                session.connection_lost()
            except Exception:
                logger.exception("%s: error while closing a session", listener.name)

    def pause_writing(self) -> None:
        """The transport's buffer passed the high-water mark: stop reading, tell the session."""
        if self._paused_by_writes or self.transport is None:
            return
        self._paused_by_writes = True
        if not self._paused_by_session and not self._shutting_down:
            self.transport.pause_reading()
        if self._hook_pause is not None and not self._limits_lowered:
            try:
                self._hook_pause()
            except Exception:
                logger.exception("%s: pause_writing hook failed", self.listener.name)

    def resume_writing(self) -> None:
        """The transport's buffer drained to the low-water mark."""
        if not self._paused_by_writes or self.transport is None:
            return
        self._paused_by_writes = False
        if self._limits_lowered:
            self._limits_lowered = False
            self.transport.set_write_buffer_limits(
                self.listener.high_water, self.listener.low_water
            )
        if not self._paused_by_session and not self.closed and not self._shutting_down:
            self.transport.resume_reading()
        self._resume_session()

    def _resume_session(self) -> None:
        self._owe_resume = False
        if self._hook_resume is not None and not self.closed:
            try:
                self._hook_resume()
            except Exception:
                logger.exception("%s: resume_writing hook failed", self.listener.name)
                self.abort()
                return
            if self._wbuf or self._held:
                self._flush()

    # -- the session's interface: writing -----------------------------------
    def write(self, data: bytes) -> None:
        """Queue ``data``; it is sent with the rest of this batch.

        Under a barrier log (policy ``always``) with records not yet fsynced, it waits for them:
        no client sees a write before it is durable.
        """
        if self._held or self._group.barrier:
            self._hold(data, True)
            return
        self._wbuf.append(data)
        self._wbuf_size += len(data)
        if self._hard and self._wbuf_size + self._held_size > self._hard:
            self._over_limit(self._wbuf_size + self._held_size)
            return
        if not self._in_feed and not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._scheduled_flush)

    def write_stateless(self, data: bytes) -> None:
        """Queue a reply that reveals no state (a pong, a heartbeat, an error): it never waits
        for the barrier itself, only behind output already waiting on this connection."""
        if self._held:
            self._hold(data, False)
            return
        self._wbuf.append(data)
        self._wbuf_size += len(data)
        if not self._in_feed and not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._scheduled_flush)

    def write_when_synced(self, log: RecordLog, seq: int, data: bytes) -> None:
        """Send ``data`` once record ``seq`` of ``log`` is fsynced (per-record durability: an
        AMQP publisher confirm, a MongoDB ``j: true`` reply).  Other output is not held: what
        is written meanwhile goes out first."""

        def send() -> None:
            if not self.closed:
                self.write(data)

        log.when_synced(seq, send)

    def write_after(self, log: RecordLog, data: bytes) -> None:
        """Queue ``data`` behind every record appended to ``log`` so far being durable under its
        policy (fsynced under ``always``, handed to the OS otherwise), in order with the rest."""
        if log.policy == "always" and log.synced_seq < log.last_seq:
            self._held.append(([(log, log.last_seq, True)], data))
            self._held_size += len(data)
            self._schedule()
        else:
            self.write(data)

    def _hold(self, data: bytes, reveals: bool) -> None:
        conds = None
        if reveals:
            barrier = self._group.barrier
            if barrier:
                conds = [(lg, lg.last_seq, True) for lg in barrier]
        self._held.append((conds, data))
        self._held_size += len(data)
        if self._hard and self._wbuf_size + self._held_size > self._hard:
            self._over_limit(self._wbuf_size + self._held_size)
            return
        self._schedule()

    def _schedule(self) -> None:
        if not self._in_feed and not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._scheduled_flush)

    # -- the session's interface: flow control --------------------------------
    @property
    def pending_output(self) -> int:
        """Bytes queued, waiting for the log, and in the transport's buffer."""
        out = self._wbuf_size + self._held_size
        if self.transport is not None:
            out += self.transport.get_write_buffer_size()
        return out

    @property
    def high_water(self) -> int:
        return self.listener.high_water

    def output_room(self) -> int:
        """Bytes a session may still produce before the output reaches the high-water mark."""
        return self.listener.high_water - self.pending_output

    def output_full(self, extra: int = 0) -> bool:
        """Whether the output, plus ``extra`` bytes the session holds unsent, reached the
        high-water mark.  When it did, the session must stop consuming input (keeping what it
        has); it gets ``resume_writing()`` once the output drains to the low-water mark."""
        if self.pending_output + extra < self.listener.high_water:
            return False
        self._owe_resume = True
        return True

    @property
    def writing_paused(self) -> bool:
        return self._paused_by_writes

    def set_output_limits(self, hard: int, soft: int = 0, soft_seconds: float = 0) -> None:
        """Close the connection when its pending output passes ``hard`` bytes, or stays above
        ``soft`` bytes for ``soft_seconds`` (0 disables each; Redis's
        ``client-output-buffer-limit``)."""
        self._hard = hard
        self._soft = soft
        self._soft_seconds = soft_seconds
        self._soft_since = None

    def _check_limits(self) -> None:
        size = self.pending_output
        if self._hard and size > self._hard:
            self._over_limit(size)
            return
        if self._soft:
            if size <= self._soft:
                self._soft_since = None
                return
            now = self.listener.clock.monotonic()
            if self._soft_since is None:
                self._soft_since = now
            elif now - self._soft_since >= self._soft_seconds:
                self._over_limit(size)

    def _over_limit(self, size: int) -> None:
        if self.closed:
            self._wbuf.clear()
            self._wbuf_size = 0
            return
        listener = self.listener
        listener.output_limit_disconnections += 1
        logger.warning(
            "%s: client id=%d addr=%s closed for overcoming of output buffer limits "
            "(%d bytes pending; hard limit %d, soft limit %d for %g s)",
            listener.name,
            self.id,
            _addr(self.peername),
            size,
            self._hard,
            self._soft,
            self._soft_seconds,
        )
        self.abort()

    # -- the session's interface: reading and closing -------------------------
    def pause_reading(self) -> None:
        if not self._paused_by_session and self.transport is not None:
            self._paused_by_session = True
            if not self._paused_by_writes:
                self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self._paused_by_session and self.transport is not None:
            self._paused_by_session = False
            if not self._paused_by_writes and not self.closed and not self._shutting_down:
                self.transport.resume_reading()

    def close(self) -> None:
        """Send what is queued (including output waiting for the log), then close."""
        if self.closed:
            return
        self._closing = True
        self._flush()

    def abort(self) -> None:
        """Close now, dropping queued output."""
        if self.closed and self.transport is None:
            return
        self.closed = True
        self._wbuf.clear()
        self._wbuf_size = 0
        self._held.clear()
        self._held_size = 0
        if self.transport is not None:
            self.transport.abort()

    def shutdown(self, reason: str) -> None:
        """The server is stopping: stop reading, let the session say goodbye (its
        ``shutdown(reason)`` hook; without one the connection is closed once its output is
        sent)."""
        if self.closed:
            return
        self._shutting_down = True
        if self.transport is not None:
            self.transport.pause_reading()
        hook = getattr(self.session, "shutdown", None)
        if hook is None:
            self.close()
            return
        try:
            hook(reason)
        except Exception:
            logger.exception("%s: shutdown hook failed", self.listener.name)
            self.close()
            return
        if self._wbuf or self._held:
            self._flush()

    @property
    def drained(self) -> bool:
        """Nothing left to send (or the connection is gone)."""
        if self.closed or self.transport is None or self.transport.is_closing():
            return True
        return not self._wbuf and not self._held and not self.transport.get_write_buffer_size()

    # -- flushing --------------------------------------------------------
    def _scheduled_flush(self) -> None:
        self._flush_scheduled = False
        group = self._group
        if group.dirty:
            group.write_pending()
        wbuf = self._wbuf
        if (
            self._held
            or group.hold_unwritten
            or self._hard
            or self._soft
            or self._closing
            or self._owe_resume
            or not wbuf
        ):
            self._send()
            return
        # _send's common case, inline (the replies of a read that wrote to the log)
        data = wbuf[0] if len(wbuf) == 1 else b"".join(wbuf)
        wbuf.clear()
        self._wbuf_size = 0
        transport = self.transport
        if transport is not None and not transport.is_closing():
            self.bytes_out += len(data)
            transport.write(data)

    def _flush(self) -> None:
        group = self._group
        if group.dirty:
            # Some log has records not yet handed to the OS.  Send after it is written, at the
            # end of this loop turn, so one write() covers every client's records of the turn
            # (as Redis does in beforeSleep) and no reply precedes the record it acknowledges.
            if self._loop is not None and not self._loop.is_closed():
                if not self._flush_scheduled:
                    self._flush_scheduled = True
                    if group.scheduled:  # right after the write already due this turn
                        group.after_write.append(self._scheduled_flush)
                    else:
                        self._loop.call_soon(self._scheduled_flush)
                return
            self._group.write_pending()
        self._send()

    def _send(self) -> None:
        group = self._group
        if group.hold_unwritten and self._wbuf:
            # This turn's records could not be written (disk full, I/O error): what was
            # answered in it waits until the retry succeeds.
            conds = [(lg, lg.last_seq, False) for lg in group.unwritten]
            self._held.append((conds, b"".join(self._wbuf)))
            self._held_size += self._wbuf_size
            self._wbuf.clear()
            self._wbuf_size = 0
        if self._held:
            self._release()
        transport = self.transport
        wbuf = self._wbuf
        if transport is None or transport.is_closing():
            wbuf.clear()
            self._wbuf_size = 0
            return
        if wbuf:
            data = wbuf[0] if len(wbuf) == 1 else b"".join(wbuf)
            wbuf.clear()
            self._wbuf_size = 0
            self.bytes_out += len(data)
            transport.write(data)
            if self._hard or self._soft:
                self._check_limits()
                if self.closed:
                    return
        if self._closing and not self._held:
            transport.close()
            self.closed = True
            return
        if self._owe_resume and not self._paused_by_writes:
            if transport.get_write_buffer_size() <= self.listener.low_water:
                if self._loop is not None:
                    self._loop.call_soon(self._resume_session)
            else:
                # Ask the transport to tell us when it drains to the low-water mark.
                self._limits_lowered = True
                low = self.listener.low_water
                transport.set_write_buffer_limits(low, low)

    def _release(self) -> None:
        """Move output whose log conditions hold from the head of the held queue to the
        send buffer; register for the first condition that does not hold yet."""
        held = self._held
        wbuf = self._wbuf
        while held:
            conds, data = held[0]
            if conds:
                for lg, seq, synced in conds:
                    if (lg.synced_seq if synced else lg.written_seq) < seq:
                        if not self._waiting:
                            self._waiting = True
                            if synced:
                                lg.when_synced(seq, self._released)
                            else:
                                lg.when_written(seq, self._released)
                        return
            held.popleft()
            self._held_size -= len(data)
            wbuf.append(data)
            self._wbuf_size += len(data)

    def _released(self) -> None:
        self._waiting = False
        if self.closed:
            return
        self._flush()


def _addr(peername: tuple | None) -> str:
    if not peername:
        return "?"
    return f"{peername[0]}:{peername[1]}"
