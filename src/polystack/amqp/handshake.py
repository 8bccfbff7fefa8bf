"""The AMQP 0-9-1 connection handshake (RabbitMQ's reader before `running`).

The protocol header (a wrong one gets the 0-9-1 header back and the socket closed; an HTTP
request line is refused with a security warning), connection.start-ok with SASL PLAIN or
AMQPLAIN and RabbitMQ's loopback-only users, tune-ok's frame-max and channel-max limits,
connection.open's virtual host and permission check, and the handshake timeout.
``Connection`` (session.py) inherits these steps; they read and set its state.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pamqp.commands import Connection as C

from .constants import (
    CAPABILITIES,
    COPYRIGHT,
    FRAME_MIN_SIZE,
    INFORMATION,
    PLATFORM,
    PRODUCT,
    PROTOCOL_HEADER,
    VERSION,
)
from .errors import AMQPError
from .wire import FrameReader, build, method_frame

log = logging.getLogger(__name__)

HEADER = 0
START_OK = 1
TUNE_OK = 2
OPENING = 3
RUNNING = 4
CLOSING_CONN = 5
CLOSED = 6

STATE_NAMES = {
    HEADER: "starting",
    START_OK: "starting",
    TUNE_OK: "tuning",
    OPENING: "opening",
    RUNNING: "running",
    CLOSING_CONN: "closing",
    CLOSED: "closed",
}
LEGACY_HEADERS = (b"AMQP\x01\x01\x00\x09", b"AMQP\x01\x01\x09\x01")
HTTP_PREFIXES = (b"GET ", b"POST", b"PUT ", b"HEAD", b"DELE", b"OPTI", b"PATC", b"CONN", b"Host")


class Handshake:
    """The steps of a connection before it runs channels (mixed into ``Connection``)."""

    broker: Any
    peer: Any
    state: int
    buf: bytes
    name: str
    reader: FrameReader
    frame_max: int
    channel_max: int
    heartbeat: int
    user: Any
    vhost: Any
    client_properties: dict
    capabilities: dict
    mechanism: str
    _handshake_timer: Any

    if TYPE_CHECKING:

        def send(self, data: bytes) -> None: ...

        def close_by_server(
            self, code: int, text: str, class_id: int = 0, method_id: int = 0
        ) -> None: ...

        def _close_socket(self) -> None: ...

        def _start_heartbeats(self) -> None: ...

    def _protocol_header(self, data: bytes) -> bytes:
        buf = self.buf + data
        if len(buf) < 8:
            if buf[:4] in HTTP_PREFIXES or (len(buf) >= 4 and buf[:4] != b"AMQP"):
                if buf[:4] in HTTP_PREFIXES:
                    self._http_refused()
                    return b""
            self.buf = buf
            return b""
        self.buf = b""
        head = buf[:8]
        if head != PROTOCOL_HEADER and head not in LEGACY_HEADERS:
            if head[:4] in HTTP_PREFIXES:
                self._http_refused()
                return b""
            log.warning(
                "closing AMQP connection %s: unsupported protocol header %r", self.name, head
            )
            self.peer.write(PROTOCOL_HEADER)
            self._close_socket()
            return b""
        self.state = START_OK
        self.send(
            method_frame(
                0,
                build(
                    C.Start,
                    version_major=0,
                    version_minor=9,
                    server_properties={
                        "capabilities": dict(CAPABILITIES),
                        "cluster_name": self.broker.settings.cluster_name,
                        "copyright": COPYRIGHT,
                        "information": INFORMATION,
                        "platform": PLATFORM,
                        "product": PRODUCT,
                        "version": VERSION,
                    },
                    mechanisms="AMQPLAIN PLAIN",
                    locales="en_US",
                ),
            )
        )
        return buf[8:]

    def _http_refused(self) -> None:
        log.warning(
            "SECURITY: an HTTP request was sent to the AMQP port from %s; connection closed "
            "(possible cross-protocol attack)",
            self.name,
        )
        self._close_socket()

    def _start_ok(self, m: Any) -> None:
        from .auth import check_password, parse_response

        self.client_properties = m.client_properties or {}
        caps = self.client_properties.get("capabilities")
        self.capabilities = caps if isinstance(caps, dict) else {}
        mech = m.mechanism
        self.mechanism = mech
        if mech not in ("PLAIN", "AMQPLAIN"):
            log.warning(
                "closing AMQP connection %s: unknown authentication mechanism '%s'",
                self.name,
                mech,
            )
            raise AMQPError(503, f"unknown authentication mechanism '{mech}'", connection=True)
        creds = parse_response(mech, m.response)
        user = None
        reason = "invalid credentials"
        if creds is not None:
            name, password = creds
            u = self.broker.users.get(name)
            if u is not None and check_password(u.password_hash, password):
                if name in self.broker.settings.loopback_users and not self._from_loopback():
                    reason = f"user '{name}' can only connect via localhost"
                else:
                    user = u
            elif u is None:
                reason = f"user '{name}' - invalid credentials"
        if user is None:
            log.warning(
                "Error on AMQP connection %s: access refused: %s (mechanism %s)",
                self.name,
                reason,
                mech,
            )
            if self.capabilities.get("authentication_failure_close"):
                self.close_by_server(
                    403,
                    f"ACCESS_REFUSED - Login was refused using authentication mechanism {mech}. "
                    "For details see the broker logfile.",
                )
            else:
                self._close_socket()
            return
        self.user = user
        s = self.broker.settings
        self.state = TUNE_OK
        self.send(
            method_frame(
                0,
                build(
                    C.Tune, channel_max=s.channel_max, frame_max=s.frame_max, heartbeat=s.heartbeat
                ),
            )
        )

    def _from_loopback(self) -> bool:
        p = getattr(self.peer, "peername", None)
        if not p:
            return True
        host = p[0]
        return (
            host.startswith("127.")
            or host in ("::1", "localhost")
            or host.startswith("::ffff:127.")
        )

    def _tune_ok(self, m: Any) -> None:
        s = self.broker.settings
        fm = m.frame_max or s.frame_max
        if fm < FRAME_MIN_SIZE:
            raise AMQPError(
                530, f"frame_max={fm} < {FRAME_MIN_SIZE} min size", 10, 31, connection=True
            )
        if fm > s.frame_max:
            raise AMQPError(
                530, f"frame_max={fm} > {s.frame_max} max size", 10, 31, connection=True
            )
        self.frame_max = fm
        self.reader.frame_max = fm
        self.channel_max = m.channel_max or s.channel_max
        self.heartbeat = m.heartbeat
        self.state = OPENING
        if self.heartbeat:
            self._start_heartbeats()

    def _open(self, m: Any) -> None:
        b = self.broker
        vhost = b.vhosts.get(m.virtual_host)
        if vhost is None:
            raise AMQPError(530, f"vhost {m.virtual_host} not found", 10, 40, connection=True)
        if (self.user.name, vhost.name) not in b.permissions:
            raise AMQPError(
                530,
                f"access to vhost '{vhost.name}' refused for user '{self.user.name}'",
                10,
                40,
                connection=True,
            )
        self.vhost = vhost
        self.state = RUNNING
        if self._handshake_timer is not None:
            self._handshake_timer.cancel()
            self._handshake_timer = None
        self.send(method_frame(0, build(C.OpenOk, known_hosts="")))
        if b.alarm and self.capabilities.get("connection.blocked"):
            pass  # blocked only once it publishes, as RabbitMQ does

    def _handshake_timeout(self) -> None:
        self._handshake_timer = None
        if self.state < RUNNING:
            log.warning("closing AMQP connection %s: handshake timeout", self.name)
            self._close_socket()
