"""Jute request records (zookeeper.jute), decoded from a packet body after the RequestHeader.

Each record has ``decode(buf, off) -> (record, off)`` and ``encode() -> bytes`` (the encoder is for
tests, the benchmark and the differential harness, which speak the client side).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Self

from .errors import JuteError
from .wire import (
    ACL,
    INT,
    LONG,
    MULTI_HEADER,
    read_acl_vector,
    read_bool,
    read_buffer,
    read_int,
    read_long,
    read_path,
    read_string_vector,
    write_acl_vector,
    write_buffer,
    write_string_vector,
    write_ustring,
)

_unpack_int = INT.unpack_from


class Record(Protocol):
    """A decoded jute request record."""

    def encode(self) -> bytes: ...


class RecordType(Protocol):
    """A jute record class: decodes one record from a packet body at an offset.

    The record's type depends on the opcode (the op table pairs them), so callers get ``Any``.
    """

    def decode(self, buf: bytes, off: int) -> tuple[Any, int]: ...


# raw ACL vector bytes -> decoded ACLs: clients send the same few ACLs over and over
_ACL_CACHE: dict[bytes, tuple[ACL, ...]] = {}
_ACL_CACHE_MAX = 1024


@dataclass(slots=True)
class CreateRequest:
    path: str
    data: bytes | None
    acl: list[ACL] | tuple[ACL, ...] | None
    flags: int

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        path, off = read_path(buf, off)
        data, off = read_buffer(buf, off)
        end = len(buf)
        key = buf[off : end - 4]
        acl = _ACL_CACHE.get(key)
        if acl is not None:  # the record ends the packet: ACL vector then flags
            return cls(path, data, acl, INT.unpack_from(buf, end - 4)[0]), end
        acls, off = read_acl_vector(buf, off)
        flags, off = read_int(buf, off)
        if off == end and acls is not None and len(_ACL_CACHE) < _ACL_CACHE_MAX:
            _ACL_CACHE[bytes(key)] = tuple(acls)
        return cls(path, data, acls, flags), off

    def encode(self) -> bytes:
        return (
            write_ustring(self.path)
            + write_buffer(self.data)
            + write_acl_vector(self.acl or [])
            + INT.pack(self.flags)
        )


@dataclass(slots=True)
class CreateTTLRequest:
    path: str
    data: bytes | None
    acl: list[ACL] | None
    flags: int
    ttl: int

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        path, off = read_path(buf, off)
        data, off = read_buffer(buf, off)
        acl, off = read_acl_vector(buf, off)
        flags, off = read_int(buf, off)
        ttl, off = read_long(buf, off)
        return cls(path, data, acl, flags, ttl), off

    def encode(self) -> bytes:
        return (
            write_ustring(self.path)
            + write_buffer(self.data)
            + write_acl_vector(self.acl or [])
            + INT.pack(self.flags)
            + LONG.pack(self.ttl)
        )


@dataclass(slots=True)
class PathVersionRequest:
    """DeleteRequest, CheckVersionRequest (path, version)."""

    path: str
    version: int

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        path, off = read_path(buf, off)
        version, off = read_int(buf, off)
        return cls(path, version), off

    def encode(self) -> bytes:
        return write_ustring(self.path) + INT.pack(self.version)


@dataclass(slots=True)
class PathWatchRequest:
    """ExistsRequest, GetDataRequest, GetChildrenRequest, GetChildren2Request (path, watch)."""

    path: str
    watch: bool

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        if off + 4 <= len(buf):  # the common case in one step: a whole path, then the flag
            n = _unpack_int(buf, off)[0]
            end = off + 4 + n
            if n >= 0 and end < len(buf):
                return cls(str(buf[off + 4 : end], "utf-8", "replace"), buf[end] != 0), end + 1
        path, off = read_path(buf, off)
        watch, off = read_bool(buf, off)
        return cls(path, watch), off

    def encode(self) -> bytes:
        return write_ustring(self.path) + (b"\x01" if self.watch else b"\x00")


@dataclass(slots=True)
class PathRequest:
    """GetACLRequest, SyncRequest, GetAllChildrenNumberRequest, GetEphemeralsRequest (path)."""

    path: str

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        path, off = read_path(buf, off)
        return cls(path), off

    def encode(self) -> bytes:
        return write_ustring(self.path)


@dataclass(slots=True)
class SetDataRequest:
    path: str
    data: bytes | None
    version: int

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        size = len(buf)
        if off + 4 <= size:  # the common case: a whole path and data, then the version
            n = _unpack_int(buf, off)[0]
            start = off + 4 + n
            if n >= 0 and start + 4 <= size:
                m = _unpack_int(buf, start)[0]
                end = start + 4 + m
                if m >= 0 and end + 4 <= size:
                    return cls(
                        str(buf[off + 4 : start], "utf-8", "replace"),
                        bytes(buf[start + 4 : end]),
                        _unpack_int(buf, end)[0],
                    ), end + 4
        path, off = read_path(buf, off)
        data, off = read_buffer(buf, off)
        version, off = read_int(buf, off)
        return cls(path, data, version), off

    def encode(self) -> bytes:
        return write_ustring(self.path) + write_buffer(self.data) + INT.pack(self.version)


@dataclass(slots=True)
class SetACLRequest:
    path: str
    acl: list[ACL] | None
    version: int

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        path, off = read_path(buf, off)
        acl, off = read_acl_vector(buf, off)
        version, off = read_int(buf, off)
        return cls(path, acl, version), off

    def encode(self) -> bytes:
        return write_ustring(self.path) + write_acl_vector(self.acl or []) + INT.pack(self.version)


@dataclass(slots=True)
class PathTypeRequest:
    """AddWatchRequest (path, mode), RemoveWatchesRequest and CheckWatchesRequest (path, type)."""

    path: str
    type: int

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        path, off = read_path(buf, off)
        t, off = read_int(buf, off)
        return cls(path, t), off

    def encode(self) -> bytes:
        return write_ustring(self.path) + INT.pack(self.type)


@dataclass(slots=True)
class SetWatches:
    relative_zxid: int
    data_watches: list[str]
    exist_watches: list[str]
    child_watches: list[str]
    persistent_watches: list[str]
    persistent_recursive_watches: list[str]

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        rz, off = read_long(buf, off)
        d, off = read_string_vector(buf, off)
        e, off = read_string_vector(buf, off)
        c, off = read_string_vector(buf, off)
        return cls(rz, d, e, c, [], []), off

    def encode(self) -> bytes:
        return (
            LONG.pack(self.relative_zxid)
            + write_string_vector(self.data_watches)
            + write_string_vector(self.exist_watches)
            + write_string_vector(self.child_watches)
        )


class SetWatches2(SetWatches):
    __slots__ = ()

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        rz, off = read_long(buf, off)
        d, off = read_string_vector(buf, off)
        e, off = read_string_vector(buf, off)
        c, off = read_string_vector(buf, off)
        p, off = read_string_vector(buf, off)
        r, off = read_string_vector(buf, off)
        return cls(rz, d, e, c, p, r), off

    def encode(self) -> bytes:
        return (
            SetWatches.encode(self)
            + write_string_vector(self.persistent_watches)
            + write_string_vector(self.persistent_recursive_watches)
        )


@dataclass(slots=True)
class AuthPacket:
    type: int
    scheme: str
    auth: bytes

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        t, off = read_int(buf, off)
        scheme, off = read_path(buf, off)
        auth, off = read_buffer(buf, off)
        return cls(t, scheme, auth or b""), off

    def encode(self) -> bytes:
        return INT.pack(self.type) + write_ustring(self.scheme) + write_buffer(self.auth)


@dataclass(slots=True)
class ReconfigRequest:
    joining_servers: str | None
    leaving_servers: str | None
    new_members: str | None
    cur_config_id: int

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        from .wire import read_ustring

        j, off = read_ustring(buf, off)
        lv, off = read_ustring(buf, off)
        nm, off = read_ustring(buf, off)
        cid, off = read_long(buf, off)
        return cls(j, lv, nm, cid), off

    def encode(self) -> bytes:
        return (
            write_ustring(self.joining_servers)
            + write_ustring(self.leaving_servers)
            + write_ustring(self.new_members)
            + LONG.pack(self.cur_config_id)
        )


@dataclass(slots=True)
class SaslRequest:
    token: bytes | None

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        token, off = read_buffer(buf, off)
        return cls(token), off

    def encode(self) -> bytes:
        return write_buffer(self.token)


@dataclass(slots=True)
class EmptyRequest:
    """whoAmI, ping, closeSession: no body."""

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[EmptyRequest, int]:
        return _EMPTY, off

    def encode(self) -> bytes:
        return b""


_EMPTY = EmptyRequest()

# which record each op of a multi carries (MultiOperationRecord.deserialize)
MULTI_OP_RECORDS: dict[int, RecordType] = {
    1: CreateRequest,
    15: CreateRequest,
    19: CreateRequest,
    21: CreateTTLRequest,
    2: PathVersionRequest,
    20: PathRequest,
    5: SetDataRequest,
    13: PathVersionRequest,
    8: PathWatchRequest,  # getChildren (multiRead)
    4: PathWatchRequest,  # getData (multiRead)
}
WRITE_OPS = frozenset((1, 15, 19, 21, 2, 20, 5, 13))
READ_OPS = frozenset((8, 4))


@dataclass(slots=True)
class MultiOperationRecord:
    ops: list[tuple[int, Record]]

    @classmethod
    def decode(cls, buf: bytes, off: int) -> tuple[Self, int]:
        ops: list[tuple[int, Record]] = []
        while True:
            if off + MULTI_HEADER.size > len(buf):
                raise JuteError("short MultiHeader")
            t, done, _err = MULTI_HEADER.unpack_from(buf, off)
            off += MULTI_HEADER.size
            if done:
                break
            rec_type = MULTI_OP_RECORDS.get(t)
            if rec_type is None:
                raise JuteError("Invalid type of op")
            rec, off = rec_type.decode(buf, off)
            ops.append((t, rec))
        return cls(ops), off

    def encode(self) -> bytes:
        parts = []
        for t, rec in self.ops:
            parts.append(MULTI_HEADER.pack(t, False, -1))
            parts.append(rec.encode())
        parts.append(MULTI_HEADER.pack(-1, True, -1))
        return b"".join(parts)
