"""Client side of the jute protocol for tests: build request packets, parse replies."""

from __future__ import annotations

import socket
import struct

from polystack.zookeeper.records import (
    CreateRequest,
    MultiOperationRecord,
    PathRequest,
    PathVersionRequest,
    PathWatchRequest,
    SetDataRequest,
)
from polystack.zookeeper.wire import (
    ACL,
    REPLY_HEADER,
    STAT,
    ConnectRequest,
    ConnectResponse,
    Id,
    read_buffer,
    read_int,
    read_ustring,
)

OPEN_ACL = [ACL(31, Id("world", "anyone"))]
INT = struct.Struct(">i")


def packet(xid: int, op: int, body: bytes = b"") -> bytes:
    payload = struct.pack(">ii", xid, op) + body
    return INT.pack(len(payload)) + payload


def connect(
    session_id: int = 0,
    passwd: bytes = bytes(16),
    timeout: int = 10000,
    last_zxid: int = 0,
    read_only_flag: bool = True,
) -> bytes:
    body = ConnectRequest(0, last_zxid, timeout, session_id, passwd, False).encode()
    if not read_only_flag:
        body = body[:-1]
    return INT.pack(len(body)) + body


def create(xid: int, path: str, data: bytes | None = b"", flags: int = 0, acl=None, op: int = 1):
    return packet(
        xid, op, CreateRequest(path, data, OPEN_ACL if acl is None else acl, flags).encode()
    )


def delete(xid: int, path: str, version: int = -1):
    return packet(xid, 2, PathVersionRequest(path, version).encode())


def exists(xid: int, path: str, watch: bool = False):
    return packet(xid, 3, PathWatchRequest(path, watch).encode())


def get_data(xid: int, path: str, watch: bool = False):
    return packet(xid, 4, PathWatchRequest(path, watch).encode())


def set_data(xid: int, path: str, data: bytes, version: int = -1):
    return packet(xid, 5, SetDataRequest(path, data, version).encode())


def get_children(xid: int, path: str, watch: bool = False, op: int = 8):
    return packet(xid, op, PathWatchRequest(path, watch).encode())


def sync(xid: int, path: str):
    return packet(xid, 9, PathRequest(path).encode())


def multi(xid: int, ops: list, op: int = 14):
    return packet(xid, op, MultiOperationRecord(ops).encode())


class Frames:
    """Splits a reply stream into frames."""

    def __init__(self) -> None:
        self.buf = b""

    def feed(self, data: bytes) -> list[bytes]:
        self.buf += data
        out = []
        while len(self.buf) >= 4:
            n = INT.unpack_from(self.buf, 0)[0]
            if len(self.buf) < 4 + n:
                break
            out.append(self.buf[4 : 4 + n])
            self.buf = self.buf[4 + n :]
        return out


def header(frame: bytes) -> tuple[int, int, int]:
    return REPLY_HEADER.unpack_from(frame, 0)


def body(frame: bytes) -> bytes:
    return frame[16:]


def parse_connect(frame: bytes) -> ConnectResponse:
    return ConnectResponse.decode(frame)


def stat(buf: bytes, off: int = 0) -> tuple:
    return STAT.unpack_from(buf, off)


def parse_event(frame: bytes) -> tuple[int, int, str]:
    t, state = struct.unpack_from(">ii", frame, 16)
    path, _ = read_ustring(frame, 24)
    return t, state, path


def parse_string(buf: bytes, off: int = 0) -> str:
    return read_ustring(buf, off)[0]


def parse_data(buf: bytes) -> tuple[bytes | None, tuple]:
    data, off = read_buffer(buf, 0)
    return data, stat(buf, off)


def parse_children(buf: bytes) -> list[str]:
    n, off = read_int(buf, 0)
    out = []
    for _ in range(n):
        s, off = read_ustring(buf, off)
        out.append(s)
    return out


def parse_multi(buf: bytes) -> list[tuple[int, int, bytes]]:
    """[(type, err, rest)] without the rest decoded: enough for tests."""
    out = []
    off = 0
    while True:
        t, done, err = struct.unpack_from(">i?i", buf, off)
        off += 9
        if done:
            return out
        if t == 1:
            s, off2 = read_ustring(buf, off)
            out.append((t, err, s))
            off = off2
        elif t == 15:
            s, off2 = read_ustring(buf, off)
            out.append((t, err, s))
            off = off2 + STAT.size
        elif t == 5:
            out.append((t, err, STAT.unpack_from(buf, off)))
            off += STAT.size
        elif t == -1:
            out.append((t, err, INT.unpack_from(buf, off)[0]))
            off += 4
        else:
            out.append((t, err, None))


class RawClient:
    """A blocking socket client speaking raw jute (differential tests, pipelines)."""

    def __init__(self, host: str, port: int, timeout: int = 30000) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.frames = Frames()
        self.pending: list[bytes] = []
        self.sock.sendall(connect(timeout=timeout))
        self.session = parse_connect(self.recv())
        self.xid = 0

    def recv(self) -> bytes:
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.pending.extend(self.frames.feed(data))
        return self.pending.pop(0)

    def call(self, pkt_fn, *args, **kw) -> tuple[tuple[int, int, int], bytes, list[bytes]]:
        """Send one request; returns (reply header, body, notifications received before it)."""
        self.xid += 1
        self.sock.sendall(pkt_fn(self.xid, *args, **kw))
        events = []
        while True:
            f = self.recv()
            h = header(f)
            if h[0] == -1:
                events.append(f)
                continue
            return h, body(f), events

    def close(self) -> None:
        try:
            self.sock.sendall(packet(self.xid + 1, -11))
            self.recv()
        except OSError:
            pass
        self.sock.close()
