"""A sans-I/O stand-in for the runtime's Peer, and helpers to build raw messages."""

from __future__ import annotations

import struct
from typing import Any

import bson

from polystack.mongo import wire
from polystack.mongo.mongod import MongoServer, Settings
from polystack.mongo.session import MongoSession
from polystack.runtime.clock import ManualClock


class FakePeer:
    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.closed = False
        self.paused = False
        self.peername = ("127.0.0.1", 50000)
        self.synced_writes: list = []

    def write(self, data: bytes) -> None:
        self.out.append(data)

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def write_when_synced(self, log: Any, seq: int, data: bytes) -> None:
        self.synced_writes.append((log, seq))
        self.out.append(data)

    def write_stateless(self, data: bytes) -> None:
        self.out.append(data)

    def output_full(self, extra: int = 0) -> bool:
        return False

    def set_output_limits(self, hard: int, soft: int = 0, soft_seconds: float = 0) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.out)
        self.out.clear()
        return data


def make_session(clock: Any = None) -> tuple[MongoSession, FakePeer, MongoServer]:
    clock = clock or ManualClock(1_700_000_000.0)
    server = MongoServer(Settings(port=27017), clock)
    peer = FakePeer()
    return MongoSession(server, peer), peer, server


def op_msg(
    body: dict, request_id: int = 1, flags: int = 0, sequences=None, checksum: bool = False
) -> bytes:
    payload = struct.pack("<I", flags | (1 if checksum else 0))
    for name, docs in (sequences or {}).items():
        inner = name.encode() + b"\x00" + b"".join(bson.encode(d) for d in docs)
        payload += b"\x01" + struct.pack("<i", len(inner) + 4) + inner
    payload += b"\x00" + bson.encode(body)
    length = 16 + len(payload) + (4 if checksum else 0)
    msg = struct.pack("<iiii", length, request_id, 0, wire.OP_MSG) + payload
    if checksum:
        from crc32c import crc32c

        msg += struct.pack("<I", crc32c(msg))
    return msg


def op_query(ns: str, query: dict, request_id: int = 1) -> bytes:
    payload = struct.pack("<i", 0) + ns.encode() + b"\x00" + struct.pack("<ii", 0, -1)
    payload += bson.encode(query)
    return struct.pack("<iiii", 16 + len(payload), request_id, 0, wire.OP_QUERY) + payload


def read_replies(data: bytes) -> list[tuple[int, int, int, dict]]:
    """(response_to, op_code, flags, first document) for each message in ``data``."""
    out = []
    pos = 0
    while pos < len(data):
        length, rid, rto, op = struct.unpack_from("<iiii", data, pos)
        body = data[pos + 16 : pos + length]
        if op == wire.OP_COMPRESSED:
            orig, size, comp = struct.unpack_from("<iiB", body, 0)
            body = wire.decompress(comp, body[9:], size)
            op = orig
        if op == wire.OP_MSG:
            flags = struct.unpack_from("<I", body, 0)[0]
            doc = bson.decode(body[5:], wire.CODEC_OPTIONS)
        else:
            flags = struct.unpack_from("<i", body, 0)[0]
            doc = bson.decode(body[20:], wire.CODEC_OPTIONS)
        out.append((rto, op, flags, doc))
        pos += length
    return out
