"""One AMQP 0-9-1 connection (RabbitMQ's reader + channel processes), sans-I/O.

States: the protocol header, connection.start-ok (SASL PLAIN / AMQPLAIN), tune-ok, open (virtual
host), running (channels), closing (we sent connection.close and wait for close-ok), closed.
Every error becomes RabbitMQ's reply: a soft error closes its channel, a hard error the
connection, with the reply code, RabbitMQ's text and the failing method's ids.  A wrong protocol
header gets the 0-9-1 header back and the socket closed; an HTTP request line is refused with a
security warning in the log.

Output goes through ``send``; when a reply promises durability (a durable declaration, a
transaction commit) the output that follows is held until the store has synced that record, so
replies stay in order.  Publisher confirms wait per message on the store's sequence numbers.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from pamqp.commands import Channel as PChannel
from pamqp.commands import Connection as C

from .channel import CLOSING, OPEN, Channel
from .commands import TABLE
from .commands.basic import PublishTarget, basic_publish, flush_deferred, publish_target
from .constants import (
    FRAME_BODY,
    FRAME_HEADER,
    FRAME_HEARTBEAT,
    FRAME_METHOD,
    METHOD_NAMES,
)
from .errors import AMQPError, FrameError
from .flow import release_connection
from .handshake import (
    CLOSED,
    CLOSING_CONN,
    HEADER,
    OPENING,
    RUNNING,
    START_OK,
    STATE_NAMES,
    TUNE_OK,
    Handshake,
)
from .message import intern_bytes
from .wire import (
    BASIC_PUBLISH,
    HEARTBEAT_FRAME,
    U64,
    FrameReader,
    build,
    decode_method,
    method_frame,
    summarize,
)

log = logging.getLogger(__name__)

CHANNEL_OPEN = (20 << 16) | 10
CHANNEL_CLOSE = (20 << 16) | 40
CHANNEL_CLOSE_OK = (20 << 16) | 41
CLOSE_OK_TIMEOUT = 3.0
OUTPUT_CHECK_BYTES = 256 * 1024
PUBLISH_TARGETS = 256  # basic.publish methods remembered per connection
HEADER_INFOS = 256  # content headers remembered per connection
FRAME_BUDGET = 300  # frames handled per turn of the loop before yielding to other clients


def _erl_binary(data: bytes) -> str:
    return "<<" + ",".join(str(b) for b in data) + ">>"


class Connection(Handshake):
    """Implements the runtime's session protocol for one AMQP client connection."""

    def __init__(self, broker: Any, peer: Any) -> None:
        self.broker = broker
        self.peer = peer
        s = broker.settings
        self.state = HEADER
        self.buf = b""
        self.reader = FrameReader(s.frame_max)
        self.frame_max = s.frame_max
        self.channel_max = s.channel_max
        self.heartbeat = 0
        self.channels: dict[int, Channel] = {}
        self.current_channel = 0
        self.user: Any = None
        self.vhost: Any = None
        self.client_properties: dict = {}
        self.capabilities: dict = {}
        self.mechanism = ""
        self.exclusive_queues: set[Any] = set()
        # basic.publish method bytes -> what was checked and routed for them (broker.version)
        self.publish_targets: dict[bytes, PublishTarget] = {}
        self.header_info: dict[bytes, tuple[bytes, bytes, Any]] = {}
        self.held: list[bytes] | None = None
        self.hold_seq = 0
        self.blocked = False  # connection.blocked sent (memory alarm)
        self.published = False
        self.output_paused = False
        self._yielded = False  # reading paused to give other connections the loop
        self.flow_queues: set[Any] = set()  # backed-up queues this publisher waits for (flow)
        self.deferred: list[tuple] = []  # single publishes enqueued at the end of the batch
        self.flow_timer: Any = None
        self._unchecked = 0
        self.received = False
        self.sent = False
        self._hb_send: Any = None
        self._hb_check: Any = None
        self._close_timer: Any = None
        self.connected_ms = broker.now_ms()
        self.recv_oct = 0
        self.send_oct = 0
        self.recv_cnt = 0
        self.samples: Any = None  # rates.Samples
        self.name = self._name()
        broker.connections.add(self)
        broker.counters.connections_opened += 1
        self._handshake_timer = broker.call_later(s.handshake_timeout, self._handshake_timeout)

    def _name(self) -> str:
        p = getattr(self.peer, "peername", None) or ("127.0.0.1", 0)
        sock = getattr(self.peer, "sockname", None) or ("127.0.0.1", 5672)
        return f"{p[0]}:{p[1]} -> {sock[0]}:{sock[1]}"

    # -- the runtime's session protocol --------------------------------------------------------
    def feed(self, data: bytes) -> None:
        state = self.state
        if state >= CLOSED:
            return
        self.received = True
        self.recv_oct += len(data)
        if state == HEADER:
            data = self._protocol_header(data)
            if not data:
                return
        try:
            count = self.reader.feed(data, self._frame, FRAME_BUDGET, self._content)
        except FrameError as e:
            self._frame_error(e)
            return
        finally:
            self._after_batch()
        self.recv_cnt += count
        if count >= FRAME_BUDGET and self.state < CLOSING_CONN and self.reader.has_frame():
            # more input is waiting: let the other connections have the loop first (a consumer's
            # ack must not wait behind a publisher's whole socket buffer)
            if not self._yielded:
                self._yielded = True
                self.peer.pause_reading()
            if not self.flow_queues:  # else flow.release goes on with the input
                self.broker.call_later(0, self._continue)
        elif self._yielded:
            self._yielded = False
            if not self.blocked and not self.flow_queues:
                self.peer.resume_reading()

    def _continue(self) -> None:
        if self.state < CLOSED:
            self.feed(b"")

    def state_closed(self) -> bool:
        return self.state >= CLOSING_CONN

    def reading_may_resume(self) -> None:
        """Publisher flow control let go of this connection."""
        if self.state >= CLOSED or self.blocked:
            return
        if self._yielded:
            self.broker.call_later(0, self._continue)  # frames already read wait in the reader
        else:
            self.peer.resume_reading()

    def connection_lost(self) -> None:
        if self.state == CLOSED:
            return
        self._teardown()

    def pause_writing(self) -> None:
        """The client does not read: stop handing it messages until its buffer drains."""
        self.output_paused = True
        for ch in self.channels.values():
            ch.blocked = True

    def resume_writing(self) -> None:
        self.output_paused = False
        for ch in self.channels.values():
            if ch.state == OPEN:
                ch.blocked = False
        for ch in list(self.channels.values()):
            for q in {c.queue for c in ch.consumers.values()}:
                q.dispatch()

    def shutdown(self, reason: str = "") -> None:
        """Graceful broker shutdown: RabbitMQ's CONNECTION_FORCED close, then the socket."""
        self.close_by_server(
            320, "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'"
        )
        self._close_socket()

    # -- output -----------------------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        self.sent = True
        n = len(data)
        self.send_oct += n
        held = self.held
        if held is not None:
            held.append(data)
        else:
            self.peer.write(data)
        self._unchecked += n
        if self._unchecked > OUTPUT_CHECK_BYTES:
            self._unchecked = 0
            if not self.output_paused and self.peer.output_full():
                # the client reads slower than we deliver: stop pushing until it drains
                self.pause_writing()

    def hold(self, seq: int) -> None:
        """Keep further output back until log record ``seq`` is durable."""
        store = self.broker.store
        if not seq or store is None or store.durable_seq >= seq:
            return
        if seq > self.hold_seq:
            self.hold_seq = seq
        if self.held is None:
            self.held = []
            store.when_synced(seq, self._release)

    def hold_definitions(self) -> None:
        store = self.broker.store
        if store is not None:
            self.hold(store.last_seq)

    def _release(self) -> None:
        store = self.broker.store
        if self.held is None:
            return
        if store is not None and store.durable_seq < self.hold_seq:
            store.when_synced(self.hold_seq, self._release)
            return
        held, self.held = self.held, None
        if self.state < CLOSED and held:
            self.peer.write(b"".join(held))
        self.flush_confirms()
        if self.state == CLOSING_CONN and self._close_after_send:
            self.peer.close()

    _close_after_send = False

    # -- protocol header ---------------------------------------------------------------------------------
    # -- frames --------------------------------------------------------------------------------------------
    def _content(self, chno: int, method: bytes, header: bytes, bodies: list[bytes]) -> None:
        """Whole basic.publishes (method, content header, one body frame) arrived at once: one,
        or a run of them with the same method and header bytes (``bodies``, one per message)."""
        ch = self.channels.get(chno)
        if ch is None or ch.state != OPEN or ch.pending_method is not None or self.state != RUNNING:
            # anything unusual takes the frame-by-frame path, which has every error reply
            for body in bodies:
                self._frame(FRAME_METHOD, chno, method)
                self._frame(FRAME_HEADER, chno, header)
                if body:
                    self._frame(FRAME_BODY, chno, body)
            return
        try:
            size = len(bodies[0])
            t = self.publish_targets.get(method)
            if t is None or t.version != self.broker.version:
                _, m = decode_method(method)
                limit = self.broker.settings.max_message_size
                if size > limit:
                    raise AMQPError(
                        406, f"message size {size} is larger than configured max size {limit}"
                    )
                t = self._publish_target(m, method)
            elif size > self.broker.settings.max_message_size:
                limit = self.broker.settings.max_message_size
                raise AMQPError(
                    406, f"message size {size} is larger than configured max size {limit}"
                )
            self.published = True
            basic_publish(self, ch, t, header, bodies)
        except AMQPError as e:
            if not e.class_id:
                e.class_id, e.method_id = 60, 40
            self._error(e, chno)

    def _publish_target(self, m: Any, raw: bytes) -> PublishTarget:
        targets = self.publish_targets
        if len(targets) >= PUBLISH_TARGETS:
            targets.clear()
        t = targets[raw] = publish_target(self, m)
        return t

    def learn_header(self, header: bytes) -> tuple[bytes, bytes, Any]:
        """A content header's interned bytes, its properties and their summary (remembered
        for headers that repeat: the same size and properties without a headers table)."""
        props = header[12:]
        s = summarize(props)
        info = (intern_bytes(header), props, s)
        if not s.has_headers and len(header) <= 96:
            cache = self.header_info
            if len(cache) >= HEADER_INFOS:
                cache.clear()
            cache[header] = info
        return info

    def _frame(self, ftype: int, chno: int, payload: bytes) -> None:
        if self.deferred:
            flush_deferred(self)  # publishes before this frame take effect before it
        if self.state >= CLOSED:
            return
        try:
            self._frame_body(ftype, chno, payload)
        except AMQPError as e:
            self._error(e, chno)

    def _frame_body(self, ftype: int, chno: int, payload: bytes) -> None:
        if ftype == FRAME_BODY:  # the most frequent frame first
            ch = self.channels.get(chno)
            if ch is None:
                self._unopened(chno)
            if ch.state != OPEN:
                return
            if ch.pending_header is None:
                raise AMQPError(
                    505,
                    "expected method frame, got non method frame instead",
                    connection=True,
                )
            ch.body_parts.append(payload)
            ch.body_remaining -= len(payload)
            if ch.body_remaining <= 0:
                parts = ch.body_parts
                body = parts[0] if len(parts) == 1 else b"".join(parts)
                ch.body_parts = []
                self._publish(ch, body)
            return
        if ftype == FRAME_METHOD:
            if self.state == CLOSING_CONN:
                index, m = decode_method(payload)
                if chno == 0 and index in ((10 << 16) | 51, (10 << 16) | 50):
                    if index == (10 << 16) | 50:
                        self.send(method_frame(0, build(C.CloseOk)))
                    self._close_socket()
                return
            if chno == 0:
                self._connection_method(payload)
                return
            if self.state != RUNNING:
                index = int.from_bytes(payload[:4], "big") if len(payload) >= 4 else 0
                raise AMQPError(
                    504,
                    f"unexpected method in connection state {STATE_NAMES[self.state]}",
                    index >> 16,
                    index & 0xFFFF,
                    connection=True,
                )
            ch = self.channels.get(chno)
            index, m = decode_method(payload)
            self.current_channel = chno
            if ch is None:
                if index != CHANNEL_OPEN:
                    raise AMQPError(
                        504, "expected 'channel.open'", index >> 16, index & 0xFFFF, connection=True
                    )
                TABLE[index].handler(self, None, m)
                return
            if ch.state != OPEN:
                if index == CHANNEL_CLOSE_OK:
                    self.channels.pop(chno, None)
                elif index == CHANNEL_CLOSE:
                    self.channels.pop(chno, None)
                    ch.send_method(build(PChannel.CloseOk))
                return
            if ch.pending_method is not None:
                raise AMQPError(
                    505,
                    "expected content header for class 60, got non content header frame instead",
                    60,
                    40,
                    connection=True,
                )
            if index == BASIC_PUBLISH:
                ch.pending_method = m
                return
            spec = TABLE.get(index)
            if spec is None:
                raise AMQPError(
                    503, "unimplemented method", index >> 16, index & 0xFFFF, connection=True
                )
            try:
                spec.handler(self, ch, m)
            except AMQPError as e:
                if not e.class_id:
                    e.class_id, e.method_id = index >> 16, index & 0xFFFF
                raise
            return
        if ftype == FRAME_HEADER:
            ch = self.channels.get(chno)
            if ch is None:
                self._unopened(chno)
            if ch.state != OPEN:
                return
            if ch.pending_method is None or ch.pending_header is not None:
                raise AMQPError(
                    505,
                    "expected method frame, got non method frame instead",
                    connection=True,
                )
            if len(payload) < 14:
                raise AMQPError(501, "content header too short", connection=True)
            size = U64.unpack_from(payload, 4)[0]
            limit = self.broker.settings.max_message_size
            if size > limit:
                ch.pending_method = None
                raise AMQPError(
                    406, f"message size {size} is larger than configured max size {limit}", 60, 40
                )
            ch.pending_header = payload
            if size == 0:
                self._publish(ch, b"")
            else:
                ch.body_remaining = size
            return
        if ftype == FRAME_HEARTBEAT:
            return
        raise AMQPError(
            501,
            f"type {ftype}, all octets = {_erl_binary(payload)}: unknown_frame",
            connection=True,
        )

    def _unopened(self, chno: int) -> NoReturn:
        raise AMQPError(504, "expected 'channel.open'", connection=True)

    def _publish(self, ch: Channel, body: bytes) -> None:
        m = ch.pending_method
        header = ch.pending_header
        ch.pending_method = None
        ch.pending_header = None
        self.published = True
        try:
            t = self.publish_targets.get(m.raw)
            if t is None or t.version != self.broker.version:
                t = self._publish_target(m, m.raw)
            basic_publish(self, ch, t, header, [body])
        except AMQPError as e:
            if not e.class_id:
                e.class_id, e.method_id = 60, 40
            raise

    def _after_batch(self) -> None:
        if self.deferred:
            flush_deferred(self)
        if self.state != RUNNING:
            return
        self.flush_confirms()
        if self.published and self.broker.alarm and not self.blocked:
            self.alarm_changed(True)

    def flush_confirms(self) -> None:
        store = self.broker.store
        durable = store.durable_seq if store is not None else 0
        for ch in self.channels.values():
            if ch.pending_confirms:
                if self.held is not None:
                    durable = min(durable, self.hold_seq - 1) if store is not None else durable
                ch.flush_confirms(durable if store is not None else 1 << 62)

    def confirms_synced(self) -> None:
        """The store synced more records: some confirms may be due."""
        if self.held is None:
            self.flush_confirms()

    # -- errors --------------------------------------------------------------------------------------------
    def _frame_error(self, e: FrameError) -> None:
        msg = e.args[0]
        ftype = e.args[1] if len(e.args) > 1 else 0
        if msg.startswith("frame size"):
            size = int(msg.split()[2])
            text = (
                f"type {ftype}, all octets = <<>>: {{frame_too_large,{size - 8},"
                f"{self.frame_max - 8}}}"
            )
        else:
            payload, marker = e.args[2], e.args[3]
            text = (
                f"type {ftype}, all octets = {_erl_binary(payload)}: "
                f"{{invalid_frame_end_marker,{marker}}}"
            )
        self._error(AMQPError(501, text, connection=True), 0)

    def channel_error(self, ch: Channel, e: AMQPError) -> None:
        """Close one channel with a soft error raised outside a method (a timer)."""
        if ch.state == OPEN:
            self._error(e, ch.number)

    def _error(self, e: AMQPError, chno: int) -> None:
        if self.deferred:
            flush_deferred(self)  # the publishes before the failing method stand
        if self.state >= CLOSING_CONN:
            return
        if not e.connection and chno:
            ch = self.channels.get(chno)
            if ch is not None and ch.state == OPEN:
                log.info("channel error on %s (%d): %s", self.name, chno, e.reply_text)
                ch.pending_method = None
                ch.pending_header = None
                ch.body_parts = []
                ch.shutdown()
                ch.state = CLOSING
                self.send(
                    method_frame(
                        chno,
                        build(
                            PChannel.Close,
                            reply_code=e.reply_code,
                            reply_text=e.reply_text,
                            class_id=e.class_id,
                            method_id=e.method_id,
                        ),
                    )
                )
                return
        log.warning("closing AMQP connection %s: %s", self.name, e.reply_text)
        self.close_by_server(e.reply_code, e.reply_text, e.class_id, e.method_id)

    def close_by_server(self, code: int, text: str, class_id: int = 0, method_id: int = 0) -> None:
        if self.state >= CLOSING_CONN:
            return
        if self.state == HEADER:
            self._close_socket()
            return
        self._release_channels()
        self.state = CLOSING_CONN
        self.send(
            method_frame(
                0,
                build(
                    C.Close,
                    reply_code=code,
                    reply_text=text,
                    class_id=class_id,
                    method_id=method_id,
                ),
            )
        )
        self._close_timer = self.broker.call_later(CLOSE_OK_TIMEOUT, self._close_socket)

    # -- connection class ------------------------------------------------------------------------------------
    def _connection_method(self, payload: bytes) -> None:
        index, m = decode_method(payload)
        state = self.state
        name = METHOD_NAMES.get((index >> 16, index & 0xFFFF), "")
        if state == START_OK:
            if not isinstance(m, C.StartOk):
                raise AMQPError(
                    503, f"expected 'connection.start_ok', got '{name}'", connection=True
                )
            self._start_ok(m)
        elif state == TUNE_OK:
            if not isinstance(m, C.TuneOk):
                raise AMQPError(
                    503, f"expected 'connection.tune_ok', got '{name}'", connection=True
                )
            self._tune_ok(m)
        elif state == OPENING:
            if not isinstance(m, C.Open):
                raise AMQPError(503, f"expected 'connection.open', got '{name}'", connection=True)
            self._open(m)
        else:
            if isinstance(m, C.Close):
                self._release_channels()
                self.send(method_frame(0, build(C.CloseOk)))
                self.state = CLOSING_CONN
                self._close_after_send = True
                if self.held is None:
                    self._close_socket()
            elif isinstance(m, C.CloseOk):
                self._close_socket()
            elif isinstance(m, C.UpdateSecret):
                self.send(method_frame(0, build(C.UpdateSecretOk)))
            elif isinstance(m, (C.Blocked, C.Unblocked)):
                pass
            else:
                raise AMQPError(
                    504,
                    "unexpected method in connection state running",
                    index >> 16,
                    index & 0xFFFF,
                    connection=True,
                )

    # -- channels ---------------------------------------------------------------------------------------------
    def open_channel(self, number: int) -> Channel:
        ch = Channel(self, number)
        if self.output_paused:
            ch.blocked = True
        self.channels[number] = ch
        self.broker.counters.channels_opened += 1
        return ch

    def close_channel(self, ch: Channel) -> None:
        ch.shutdown()
        self.channels.pop(ch.number, None)
        self.broker.counters.channels_closed += 1

    def _release_channels(self) -> None:
        for ch in list(self.channels.values()):
            if ch.state == OPEN:
                ch.shutdown()
        self.channels.clear()
        for q in list(self.exclusive_queues):
            if self.vhost is not None:
                self.vhost.delete_queue(q, reason="exclusive owner closed")
        self.exclusive_queues.clear()

    # -- memory alarm -----------------------------------------------------------------------------------------
    def alarm_changed(self, on: bool) -> None:
        if self.state != RUNNING:
            return
        if on and self.published and not self.blocked:
            self.blocked = True
            if self.capabilities.get("connection.blocked"):
                self.send(method_frame(0, build(C.Blocked, reason="low on memory")))
            self.peer.pause_reading()
        elif not on and self.blocked:
            self.blocked = False
            if self.capabilities.get("connection.blocked"):
                self.send(method_frame(0, build(C.Unblocked)))
            if not self._yielded and not self.flow_queues:
                self.peer.resume_reading()

    # -- heartbeats ---------------------------------------------------------------------------------------------
    def _start_heartbeats(self) -> None:
        interval = self.heartbeat
        self._hb_send = self.broker.call_later(interval / 2, self._heartbeat_send)
        self._hb_check = self.broker.call_later(interval * 2, self._heartbeat_check)

    def _heartbeat_send(self) -> None:
        if self.state >= CLOSED:
            return
        if not self.sent:
            self.peer.write(HEARTBEAT_FRAME)
        self.sent = False
        self._hb_send = self.broker.call_later(self.heartbeat / 2, self._heartbeat_send)

    def _heartbeat_check(self) -> None:
        if self.state >= CLOSED:
            return
        if not self.received:
            log.warning(
                "closing AMQP connection %s: missed heartbeats from client, timeout: %ds",
                self.name,
                self.heartbeat,
            )
            self._close_socket()
            return
        self.received = False
        self._hb_check = self.broker.call_later(self.heartbeat * 2, self._heartbeat_check)

    # -- teardown ---------------------------------------------------------------------------------------------
    def _close_socket(self) -> None:
        if self.state == CLOSED:
            return
        self._teardown()
        self.peer.close()

    def _teardown(self) -> None:
        self._release_channels()
        self.state = CLOSED
        if self.flow_queues:
            release_connection(self)
        for t in (self._hb_send, self._hb_check, self._close_timer, self._handshake_timer):
            if t is not None:
                t.cancel()
        self._hb_send = self._hb_check = self._close_timer = self._handshake_timer = None
        b = self.broker
        if self in b.connections:
            b.connections.discard(self)
            b.counters.connections_closed += 1
            if self.vhost is not None:
                self.vhost.connection_closed(self.recv_oct, self.send_oct)
