"""One client connection (ZooKeeper's ServerCnxn), sans-I/O.

States: FRESH (nothing yet: the first 4 bytes may be a four-letter word, else the first packet is
a ConnectRequest), CONNECTED (requests, replies in FIFO order), CLOSING (flush what is queued, then
close). Replies produced while handling one ``feed`` are joined and written once; the journal is a
barrier log, so no client ever sees a write (or a state that depends on it) before its log record
is synced. Requests are taken one at a time and the loop stops once the connection's output is
full (``Peer.output_full``); the rest waits in the decoder until ``resume_writing``.
"""

from __future__ import annotations

import hmac
import logging
import struct
from typing import Any

from . import fourletter
from .commands import TABLE
from .defs import KeeperState, OpCode
from .errors import Code, JuteError, ZKError
from .records import AuthPacket
from .sessions import generate_passwd
from .wire import (
    AUTH_XID,
    REQUEST_HEADER,
    ConnectRequest,
    ConnectResponse,
    FrameDecoder,
    Id,
    frame,
    reply,
    watcher_event,
)

log = logging.getLogger(__name__)

FRESH = 0
CONNECTED = 1
CLOSING = 2
CLOSED = 3

_SYNC_CONNECTED = int(KeeperState.SyncConnected)
_CLOSE_SESSION = int(OpCode.closeSession)
_AUTH = int(OpCode.auth)
_SASL = int(OpCode.sasl)
_unpack_header = REQUEST_HEADER.unpack_from
_ZERO_PASSWD = bytes(16)
# Requests ZooKeeperServer.processPacket answers without touching the session.
_NO_TOUCH = frozenset((struct.pack(">i", _AUTH), struct.pack(">i", _SASL)))
# The first four bytes of an HTTP request line, read as a packet length.
_HTTP_METHODS = frozenset(
    struct.unpack(">i", m)[0]
    for m in (b"GET ", b"POST", b"PUT ", b"HEAD", b"DELE", b"OPTI", b"PATC", b"CONN", b"TRAC")
)


class ServerCnxn:
    """Implements the runtime's Session protocol for one ZooKeeper client connection."""

    __slots__ = (
        "zk",
        "peer",
        "decoder",
        "state",
        "session_id",
        "session",
        "auth_info",
        "out",
        "packets_received",
        "packets_sent",
        "last_cxid",
        "last_zxid",
        "last_op",
        "established_ms",
        "last_latency",
        "last_response_ms",
        "timeout",
        "_sessionless",
        "_last_io",
        "__weakref__",
    )

    def __init__(self, zk: Any, peer: Any) -> None:
        self.zk = zk
        self.peer = peer
        self.decoder = FrameDecoder(zk.settings.max_buffer)
        self.state = FRESH
        self.session_id = 0
        self.session = None
        host = peer.peername[0] if getattr(peer, "peername", None) else "127.0.0.1"
        self.auth_info: list[Id] = [Id("ip", host)]
        self.out: list[bytes] | None = None
        self.packets_received = 0
        self.packets_sent = 0
        self.last_cxid = -1
        self.last_zxid = -1
        self.last_op = "NA"
        self.established_ms = zk.now_ms()
        self.last_latency = 0
        self.last_response_ms = 0
        self.timeout = 0
        zk.connections.add(self)
        # NIOServerCnxnFactory's sessionlessCnxnTimeout: a connection that has not completed
        # its handshake is closed once it has been idle this long (it holds a per-IP slot).
        self._last_io = zk.clock.monotonic()
        self._sessionless: Any = None
        limit = zk.settings.sessionless_cnxn_timeout
        if limit > 0:
            self._sessionless = zk.clock.call_later(limit / 1000.0, self._sessionless_check)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    # -----------------------------------------------------------------------------------------
    # the runtime's Session protocol

    def feed(self, data: bytes) -> None:
        if self.state >= CLOSING:
            return
        if self.state == FRESH:
            self._last_io = self.zk.clock.monotonic()
        dec = self.decoder
        dec.feed(data)
        out: list[bytes] = []
        self.out = out
        zk = self.zk
        try:
            if self.state == FRESH:
                n = dec.peek_length()
                if n is None:
                    return
                if fourletter.is_known(n):
                    out.append(fourletter.run(zk, self, n))
                    self.state = CLOSING
                    return
                if n in _HTTP_METHODS:
                    # An HTTP request (a browser can be made to send one to 127.0.0.1): its
                    # first four bytes read as a length far beyond jute.maxbuffer; closed
                    # however large jute.maxbuffer is configured.
                    log.warning(
                        "Closing connection from %s: an HTTP request sent to the ZooKeeper "
                        "port (Len error %d)",
                        self.peer.peername,
                        n,
                    )
                    self.state = CLOSING
                    return
                pkt = dec.next_frame()
                if pkt is None:
                    return
                self.handle_connect(pkt, out)
            session = self.session
            if session is not None and self.state == CONNECTED:
                started = zk.clock.monotonic()
                touched = False
                before = self.packets_received
                peer = self.peer
                budget = peer.output_room()
                size = 0
                seen = len(out)
                countdown = 8
                while self.state == CONNECTED:
                    countdown -= 1
                    if not countdown:
                        # Every 8 requests: stop once the output is full (flow control); the
                        # rest waits in the decoder until resume_writing.
                        countdown = 8
                        size += sum(map(len, out[seen:]))
                        seen = len(out)
                        if size >= budget and peer.output_full(size):
                            break
                    pkt = dec.next_frame()
                    if pkt is None:
                        break
                    if not touched and pkt[4:8] not in _NO_TOUCH:
                        # every request but auth and SASL renews the session (submitRequest):
                        # a client looping on SASL lets its session expire, as in ZooKeeper
                        zk.tracker.touch_info(session, int(started * 1000))
                        touched = True
                    self.handle_packet(pkt, out)
                n = self.packets_received - before
                if n:
                    # time spent handling this batch (the server's processing latency)
                    lat = int((zk.clock.monotonic() - started) * 1000)
                    self.last_latency = lat
                    self.last_response_ms = zk.now_ms()
                    zk.stats.add_latency(lat, n)
        except JuteError as e:
            log.warning("Closing ZooKeeper connection from %s: %s", self.peer.peername, e)
            self.state = CLOSING
        finally:
            self.out = None
            if out:
                if self.session_id:  # four-letter-word answers are not packets
                    self.packets_sent += len(out)
                    zk.stats.packets_sent += len(out)
                zk.send(self.peer, b"".join(out) if len(out) > 1 else out[0])
            if self.state == CLOSING:
                self._close()

    def connection_lost(self) -> None:
        if self.state == CLOSED:
            return
        self.state = CLOSED
        self._detach()

    def _sessionless_check(self) -> None:
        """The connection expirer: still no session after the timeout since the last I/O."""
        self._sessionless = None
        if self.state != FRESH:
            return
        zk = self.zk
        idle = zk.clock.monotonic() - self._last_io
        limit = zk.settings.sessionless_cnxn_timeout / 1000.0
        if idle < limit:
            self._sessionless = zk.clock.call_later(limit - idle, self._sessionless_check)
            return
        log.info(
            "Closing connection from %s: no session established within %d ms",
            self.peer.peername,
            zk.settings.sessionless_cnxn_timeout,
        )
        extra = zk.stats.extra
        extra["sessionless_connections_expired"] = (
            extra.get("sessionless_connections_expired", 0) + 1
        )
        self._close()

    def resume_writing(self) -> None:
        """The output drained: handle the requests still waiting in the decoder."""
        if self.state == CONNECTED and self.decoder.pending():
            self.feed(b"")

    # -----------------------------------------------------------------------------------------
    # watches

    def process(self, event_type: int, path: str) -> None:
        data = watcher_event(event_type, _SYNC_CONNECTED, path)
        out = self.out
        if out is not None:
            out.append(data)
        elif self.state == CONNECTED:
            self.packets_sent += 1
            self.zk.stats.packets_sent += 1
            self.zk.send(self.peer, data)

    # -----------------------------------------------------------------------------------------
    # handshake

    def handle_connect(self, pkt: bytes, out: list[bytes]) -> None:
        zk = self.zk
        req = ConnectRequest.decode(pkt)
        old_client = len(pkt) < 8 + 4 + 4 + 8 + 4 + len(req.passwd) + 1
        if req.last_zxid_seen > zk.last_zxid:
            log.info(
                "Refusing session request for client %s as it has seen zxid 0x%x "
                "our last zxid is 0x%x client must try another server",
                self.peer.peername,
                req.last_zxid_seen,
                zk.last_zxid,
            )
            self.state = CLOSING
            return
        timeout = zk.clamp_timeout(req.timeout)
        tracker = zk.tracker
        if req.session_id == 0:
            sid = zk.create_session(timeout)
            valid = True
        else:
            sid = req.session_id
            info = tracker.get(sid)
            if info is not None and info.owner is not None and info.owner is not self:
                info.owner.session_moved()
            valid = hmac.compare_digest(req.passwd, generate_passwd(sid)) and tracker.touch(
                sid, zk.mono_ms(), timeout
            )
            if not valid:
                log.info(
                    "Invalid session 0x%x for client %s, probably expired",
                    sid & (2**64 - 1),
                    self.peer.peername,
                )
        resp = ConnectResponse(
            0,
            timeout if valid else 0,
            sid if valid else 0,
            generate_passwd(sid) if valid else _ZERO_PASSWD,
            False,
        ).encode()
        if old_client:
            resp = resp[:-1]
        out.append(frame(resp))
        if valid:
            self.session_id = sid
            self.timeout = timeout
            info = tracker.get(sid)
            info.owner = self
            self.session = info
            self.state = CONNECTED
        else:
            self.state = CLOSING

    # -----------------------------------------------------------------------------------------
    # requests

    def handle_packet(self, pkt: bytes, out: list[bytes]) -> None:
        if len(pkt) < 8:
            raise JuteError("short RequestHeader")
        xid, code = _unpack_header(pkt, 0)
        zk = self.zk
        self.packets_received += 1
        zk.stats.packets_received += 1
        spec = TABLE.get(code)
        if spec is None:
            log.warning("Received packet at server of unknown type %d", code)
            out.append(reply(xid, zk.last_zxid, int(Code.UNIMPLEMENTED)))
            return
        self.last_op = spec.name
        zk.op_counts[code] += 1
        try:
            req, _ = spec.record.decode(pkt, 8)
        except (JuteError, ValueError, IndexError, struct.error):
            out.append(reply(xid, zk.last_zxid, int(Code.MARSHALLINGERROR)))
            return
        if spec.write:
            zxid, err, body = zk.execute_write(self, spec, req)
            if err:
                zk.stats.count_error(err)
            self.last_cxid = xid
            self.last_zxid = zxid
            out.append(reply(xid, zxid, err, body))
            if code == _CLOSE_SESSION:
                self.session = None
                self.state = CLOSING
            return
        if code == _AUTH:
            self.handle_auth(xid, req, out)
            return
        try:
            body = spec.handler(zk, self, req)
            err = 0
        except ZKError as e:
            body = b""
            err = e.code
        except Exception:
            log.exception("Failed to process %s", spec.name)
            body = b""
            err = int(Code.MARSHALLINGERROR)
        if err:
            zk.stats.count_error(err)
        zxid = zk.last_zxid if code != _SASL else 0
        if xid >= 0:
            self.last_cxid = xid
        self.last_zxid = zxid
        out.append(reply(xid, zxid, err, body))

    def handle_auth(self, xid: int, req: AuthPacket, out: list[bytes]) -> None:
        from .acl import generate_digest

        scheme = req.scheme
        ok = True
        if scheme == "digest":
            # like DigestAuthenticationProvider: any "user[:password]" text is accepted
            ident = Id("digest", generate_digest(req.auth.decode("utf-8", "replace")))
            sup = self.zk.settings.super_digest
            if sup and hmac.compare_digest(ident.id.encode(), sup.encode()):
                self._add_auth(Id("super", ""))
            self._add_auth(ident)
        elif scheme == "ip":
            self._add_auth(Id("ip", self.auth_info[0].id if self.auth_info else "127.0.0.1"))
        else:
            ok = False
        if ok:
            out.append(reply(AUTH_XID if xid == AUTH_XID else xid, 0, 0))
        else:
            log.warning("Authentication failed for scheme: %s", scheme)
            extra = self.zk.stats.extra
            extra["auth_failed"] = extra.get("auth_failed", 0) + 1
            out.append(reply(xid, 0, int(Code.AUTHFAILED)))
            self.state = CLOSING

    def add_auth(self, req: AuthPacket) -> bytes:  # used by the op table's auth entry
        out = self.out
        if out is None:
            raise RuntimeError("auth outside the handling of a packet")
        self.handle_auth(AUTH_XID, req, out)
        return b""

    def _add_auth(self, ident: Id) -> None:
        if ident not in self.auth_info:
            self.auth_info.append(ident)

    # -----------------------------------------------------------------------------------------
    # closing

    def session_expired(self) -> None:
        """Our session expired: ZooKeeper closes the connection."""
        self.session = None
        self._close()

    def session_moved(self) -> None:
        """The same session reconnected on another connection: this one is closed."""
        self.session = None
        self._close()

    def _close(self) -> None:
        if self.state == CLOSED:
            return
        self.state = CLOSED
        self._detach()
        self.peer.close()

    def _detach(self) -> None:
        if self._sessionless is not None:
            self._sessionless.cancel()
            self._sessionless = None
        zk = self.zk
        zk.connections.discard(self)
        zk.data_watches.remove_watcher(self)
        zk.child_watches.remove_watcher(self)
        s = self.session
        if s is not None and s.owner is self:
            s.owner = None
        self.session = None
