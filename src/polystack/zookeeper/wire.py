"""Jute, ZooKeeper's wire encoding, sans-I/O.

Big-endian ints/longs, ``ustring`` and ``buffer`` as a signed 32-bit length (-1 = null) followed by
the bytes, ``vector`` as a count (-1 = null) followed by the elements, booleans as one byte.
Every packet on the client port is framed by a 4-byte signed length.

Decoding functions take ``(buf, offset)`` and return ``(value, new_offset)``; a short or malformed
buffer raises :class:`JuteError`, which the session treats as a broken stream (ZooKeeper closes the
connection on an IOException while deserializing).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import JuteError

INT = struct.Struct(">i")
LONG = struct.Struct(">q")
INT_INT = struct.Struct(">ii")
REQUEST_HEADER = INT_INT  # xid, type
REPLY_HEADER = struct.Struct(">iqi")  # xid, zxid, err
MULTI_HEADER = struct.Struct(">i?i")  # type, done, err
STAT = struct.Struct(">qqqqiiiqiiq")
# czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner, dataLength,
# numChildren, pzxid
STAT_SIZE = STAT.size  # 68
CONNECT_REQUEST_FIXED = struct.Struct(">iqiq")  # protocolVersion, lastZxidSeen, timeOut, sessionId
CONNECT_RESPONSE_FIXED = struct.Struct(">iiq")  # protocolVersion, timeOut, sessionId
WATCHER_EVENT_FIXED = INT_INT  # type, state

_unpack_int = INT.unpack_from
_unpack_long = LONG.unpack_from
_pack_int = INT.pack
NULL_LEN = _pack_int(-1)

# special xids
NOTIFICATION_XID = -1
PING_XID = -2
AUTH_XID = -4
SET_WATCHES_XID = -8

DEFAULT_MAX_BUFFER = 0xFFFFF


# ---------------------------------------------------------------------------------------------
# primitive readers


def read_int(buf: bytes | memoryview, off: int) -> tuple[int, int]:
    try:
        return _unpack_int(buf, off)[0], off + 4
    except struct.error:
        raise JuteError("short int") from None


def read_long(buf: bytes | memoryview, off: int) -> tuple[int, int]:
    try:
        return _unpack_long(buf, off)[0], off + 8
    except struct.error:
        raise JuteError("short long") from None


def read_bool(buf: bytes | memoryview, off: int) -> tuple[bool, int]:
    if off + 1 > len(buf):
        raise JuteError("short bool")
    return buf[off] != 0, off + 1


def read_buffer(buf: bytes | memoryview, off: int) -> tuple[bytes | None, int]:
    try:
        n = _unpack_int(buf, off)[0]
    except struct.error:
        raise JuteError("short buffer length") from None
    off += 4
    if n < 0:
        return None, off
    end = off + n
    if end > len(buf):
        raise JuteError("short buffer")
    return bytes(buf[off:end]), end


def read_ustring(buf: bytes | memoryview, off: int) -> tuple[str | None, int]:
    try:
        n = _unpack_int(buf, off)[0]
    except struct.error:
        raise JuteError("short string length") from None
    off += 4
    if n < 0:
        return None, off
    end = off + n
    if end > len(buf):
        raise JuteError("short string")
    # Java's decoder replaces malformed input instead of failing
    return str(buf[off:end], "utf-8", "replace"), end


def read_path(buf: bytes | memoryview, off: int) -> tuple[str, int]:
    """A ``ustring`` that names a znode; a null path reads as "" (ZooKeeper rejects it later)."""
    s, off = read_ustring(buf, off)
    return ("" if s is None else s), off


def read_string_vector(buf: bytes | memoryview, off: int) -> tuple[list[str], int]:
    n, off = read_int(buf, off)
    out: list[str] = []
    if n < 0:
        return out, off
    if n > len(buf):
        raise JuteError("vector too long")
    for _ in range(n):
        s, off = read_path(buf, off)
        out.append(s)
    return out, off


# ---------------------------------------------------------------------------------------------
# primitive writers


def write_int(v: int) -> bytes:
    return _pack_int(v)


def write_long(v: int) -> bytes:
    return LONG.pack(v)


def write_buffer(b: bytes | None) -> bytes:
    if b is None:
        return NULL_LEN
    return _pack_int(len(b)) + b


def write_ustring(s: str | None) -> bytes:
    if s is None:
        return NULL_LEN
    b = s.encode("utf-8")
    return _pack_int(len(b)) + b


def write_string_vector(items: list[str] | None) -> bytes:
    if items is None:
        return NULL_LEN
    parts = [_pack_int(len(items))]
    for s in items:
        b = s.encode("utf-8")
        parts.append(_pack_int(len(b)))
        parts.append(b)
    return b"".join(parts)


# ---------------------------------------------------------------------------------------------
# records


@dataclass(slots=True, frozen=True)
class Id:
    scheme: str
    id: str


@dataclass(slots=True, frozen=True)
class ACL:
    perms: int
    id: Id


def read_acl_vector(buf: bytes | memoryview, off: int) -> tuple[list[ACL] | None, int]:
    n, off = read_int(buf, off)
    if n < 0:
        return None, off
    if n > len(buf):
        raise JuteError("vector too long")
    out: list[ACL] = []
    for _ in range(n):
        perms, off = read_int(buf, off)
        scheme, off = read_ustring(buf, off)
        ident, off = read_ustring(buf, off)
        out.append(ACL(perms, Id(scheme or "", ident or "")))
    return out, off


# id(ACL tuple) -> (the tuple, its encoding): znodes share interned ACL tuples, and hashing a
# tuple of dataclasses on every write would cost more than the encoding
_ACL_ENC: dict[int, tuple[tuple[ACL, ...], bytes]] = {}


def write_acl_vector(acls: list[ACL] | tuple[ACL, ...]) -> bytes:
    if type(acls) is tuple:
        entry = _ACL_ENC.get(id(acls))
        if entry is not None and entry[0] is acls:
            return entry[1]
        enc = _encode_acl_vector(acls)
        if len(_ACL_ENC) < 1024:
            _ACL_ENC[id(acls)] = (acls, enc)
        return enc
    return _encode_acl_vector(acls)


def _encode_acl_vector(acls: list[ACL] | tuple[ACL, ...]) -> bytes:
    parts = [_pack_int(len(acls))]
    for a in acls:
        parts.append(_pack_int(a.perms))
        parts.append(write_ustring(a.id.scheme))
        parts.append(write_ustring(a.id.id))
    return b"".join(parts)


@dataclass(slots=True)
class ConnectRequest:
    protocol_version: int
    last_zxid_seen: int
    timeout: int
    session_id: int
    passwd: bytes
    read_only: bool = False

    @classmethod
    def decode(cls, buf: bytes | memoryview) -> ConnectRequest:
        if len(buf) < CONNECT_REQUEST_FIXED.size:
            raise JuteError("short ConnectRequest")
        pv, last, timeout, sid = CONNECT_REQUEST_FIXED.unpack_from(buf, 0)
        passwd, off = read_buffer(buf, CONNECT_REQUEST_FIXED.size)
        read_only = False
        if off < len(buf):  # old clients do not send the flag
            read_only, off = read_bool(buf, off)
        return cls(pv, last, timeout, sid, passwd or b"", read_only)

    def encode(self) -> bytes:
        return (
            CONNECT_REQUEST_FIXED.pack(
                self.protocol_version, self.last_zxid_seen, self.timeout, self.session_id
            )
            + write_buffer(self.passwd)
            + (b"\x01" if self.read_only else b"\x00")
        )


@dataclass(slots=True)
class ConnectResponse:
    protocol_version: int
    timeout: int
    session_id: int
    passwd: bytes
    read_only: bool = False

    def encode(self) -> bytes:
        return (
            CONNECT_RESPONSE_FIXED.pack(self.protocol_version, self.timeout, self.session_id)
            + write_buffer(self.passwd)
            + (b"\x01" if self.read_only else b"\x00")
        )

    @classmethod
    def decode(cls, buf: bytes | memoryview) -> ConnectResponse:
        if len(buf) < CONNECT_RESPONSE_FIXED.size:
            raise JuteError("short ConnectResponse")
        pv, timeout, sid = CONNECT_RESPONSE_FIXED.unpack_from(buf, 0)
        passwd, off = read_buffer(buf, CONNECT_RESPONSE_FIXED.size)
        ro = False
        if off < len(buf):
            ro, off = read_bool(buf, off)
        return cls(pv, timeout, sid, passwd or b"", ro)


def frame(payload: bytes) -> bytes:
    """Prefix a packet with its 4-byte length."""
    return _pack_int(len(payload)) + payload


def reply(xid: int, zxid: int, err: int, body: bytes = b"") -> bytes:
    """A framed reply: length, ReplyHeader, body."""
    return _pack_int(16 + len(body)) + REPLY_HEADER.pack(xid, zxid, err) + body


def watcher_event(event_type: int, state: int, path: str) -> bytes:
    """A framed notification (xid -1, zxid -1 as ZooKeeper 3.8 sends it)."""
    p = path.encode("utf-8")
    return (
        _pack_int(16 + 12 + len(p))
        + REPLY_HEADER.pack(NOTIFICATION_XID, -1, 0)
        + WATCHER_EVENT_FIXED.pack(event_type, state)
        + _pack_int(len(p))
        + p
    )


# ---------------------------------------------------------------------------------------------
# framing


class FrameDecoder:
    """Splits a byte stream into length-prefixed packets, enforcing ``jute.maxbuffer``.

    ``feed`` appends bytes; ``next_frame`` returns the next complete packet (without its length)
    or None. A length below zero or above ``max_buffer`` raises :class:`JuteError` ("Len error"),
    after which the connection must be closed, as ZooKeeper does.
    """

    __slots__ = ("_buf", "_pos", "max_buffer")

    def __init__(self, max_buffer: int = DEFAULT_MAX_BUFFER) -> None:
        self._buf = bytearray()
        self._pos = 0
        self.max_buffer = max_buffer

    def feed(self, data: bytes) -> None:
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += data

    def peek_length(self) -> int | None:
        """The next packet's length field (for four-letter-word detection), if 4 bytes are here."""
        if len(self._buf) - self._pos < 4:
            return None
        return _unpack_int(self._buf, self._pos)[0]

    def pending(self) -> int:
        return len(self._buf) - self._pos

    def next_frame(self) -> bytes | None:
        buf = self._buf
        pos = self._pos
        avail = len(buf) - pos
        if avail < 4:
            return None
        n = _unpack_int(buf, pos)[0]
        if n < 0 or n > self.max_buffer:
            raise JuteError(f"Len error {n}")
        if avail < 4 + n:
            return None
        start = pos + 4
        end = start + n
        self._pos = end
        return bytes(buf[start:end])


def encode_stat(stat: tuple) -> bytes:
    return STAT.pack(*stat)


def decode_stat(buf: bytes | memoryview, off: int) -> tuple[tuple, int]:
    if off + STAT_SIZE > len(buf):
        raise JuteError("short Stat")
    return STAT.unpack_from(buf, off), off + STAT_SIZE
