"""What the ZooKeeper service writes to runtime/log and reads back.

A log record is one transaction: ``[zxid q][time q][count i]`` followed by ``count`` changes, each a
type int and its fields in jute. The changes are what the data tree applied (a ``multi`` or a
``closeSession`` is several changes under one zxid); an error transaction has no change and only
moves the zxid, as ZooKeeper's ErrorTxn does. A snapshot holds every znode with its full Stat, the
live sessions with their timeouts, and the last zxid; it is written and read as chunks (a header,
then groups of znodes), so neither writing nor loading holds a second copy of a large tree.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator

from polystack.runtime.journal import chunked

from .acl import intern_acl
from .tree import DataTree, Znode, split_path
from .wire import (
    INT,
    LONG,
    read_acl_vector,
    read_buffer,
    read_int,
    read_long,
    read_path,
    write_acl_vector,
    write_buffer,
    write_ustring,
)

TXN_HEADER = struct.Struct(">qqi")
CREATE = 1
DELETE = 2
SET_DATA = 5
SET_ACL = 7
CREATE_SESSION = -10
CLOSE_SESSION = -11

_CREATE_TYPE = INT.pack(CREATE)
_SET_DATA_TYPE = INT.pack(SET_DATA)
_DELETE_TYPE = INT.pack(DELETE)
SNAPSHOT_MAGIC = b"ZKSN"
SNAPSHOT_VERSION = 1
_NODE_FIXED = struct.Struct(
    ">qqqqiiiqq"
)  # czxid mzxid ctime mtime version cversion aversion owner pzxid

# a change, as the tree records it: (type, *fields)
Change = tuple


_CREATE_TAIL = struct.Struct(">qi")


def encode_txn(zxid: int, time: int, changes: list[Change]) -> bytes:
    if len(changes) == 1:  # the common cases, kept lean
        ch = changes[0]
        t = ch[0]
        if t == CREATE:
            _, path, data, acl, owner, parent_cversion = ch
            return b"".join(
                (
                    TXN_HEADER.pack(zxid, time, 1),
                    _CREATE_TYPE,
                    write_ustring(path),
                    write_buffer(data),
                    write_acl_vector(acl),
                    _CREATE_TAIL.pack(owner, parent_cversion),
                )
            )
        if t == SET_DATA:
            return b"".join(
                (
                    TXN_HEADER.pack(zxid, time, 1),
                    _SET_DATA_TYPE,
                    write_ustring(ch[1]),
                    write_buffer(ch[2]),
                    INT.pack(ch[3]),
                )
            )
        if t == DELETE:
            return TXN_HEADER.pack(zxid, time, 1) + _DELETE_TYPE + write_ustring(ch[1])
    parts = [TXN_HEADER.pack(zxid, time, len(changes))]
    ap = parts.append
    for ch in changes:
        t = ch[0]
        ap(INT.pack(t))
        if t == CREATE:
            _, path, data, acl, owner, parent_cversion = ch
            ap(write_ustring(path))
            ap(write_buffer(data))
            ap(write_acl_vector(acl))
            ap(LONG.pack(owner))
            ap(INT.pack(parent_cversion))
        elif t == DELETE:
            ap(write_ustring(ch[1]))
        elif t == SET_DATA:
            _, path, data, version = ch
            ap(write_ustring(path))
            ap(write_buffer(data))
            ap(INT.pack(version))
        elif t == SET_ACL:
            _, path, acl, aversion = ch
            ap(write_ustring(path))
            ap(write_acl_vector(acl))
            ap(INT.pack(aversion))
        elif t == CREATE_SESSION:
            ap(LONG.pack(ch[1]))
            ap(INT.pack(ch[2]))
        elif t == CLOSE_SESSION:
            ap(LONG.pack(ch[1]))
        else:
            raise ValueError(f"unknown change type {t}")
    return b"".join(parts)


def decode_txn(buf: bytes) -> tuple[int, int, list[Change]]:
    zxid, time, count = TXN_HEADER.unpack_from(buf, 0)
    off = TXN_HEADER.size
    changes: list[Change] = []
    for _ in range(count):
        t, off = read_int(buf, off)
        if t == CREATE:
            path, off = read_path(buf, off)
            data, off = read_buffer(buf, off)
            acl, off = read_acl_vector(buf, off)
            owner, off = read_long(buf, off)
            pcv, off = read_int(buf, off)
            changes.append((CREATE, path, data, intern_acl(acl or []), owner, pcv))
        elif t == DELETE:
            path, off = read_path(buf, off)
            changes.append((DELETE, path))
        elif t == SET_DATA:
            path, off = read_path(buf, off)
            data, off = read_buffer(buf, off)
            version, off = read_int(buf, off)
            changes.append((SET_DATA, path, data, version))
        elif t == SET_ACL:
            path, off = read_path(buf, off)
            acl, off = read_acl_vector(buf, off)
            av, off = read_int(buf, off)
            changes.append((SET_ACL, path, intern_acl(acl or []), av))
        elif t == CREATE_SESSION:
            sid, off = read_long(buf, off)
            timeout, off = read_int(buf, off)
            changes.append((CREATE_SESSION, sid, timeout))
        elif t == CLOSE_SESSION:
            sid, off = read_long(buf, off)
            changes.append((CLOSE_SESSION, sid))
        else:
            raise ValueError(f"unknown change type {t}")
    return zxid, time, changes


def apply_changes(
    tree: DataTree, zxid: int, time: int, changes: list[Change], sessions: dict[int, int]
) -> None:
    """Replay one transaction (no validation: it was validated when it was first applied)."""
    for ch in changes:
        t = ch[0]
        if t == CREATE:
            _, path, data, acl, owner, pcv = ch
            if path not in tree.nodes and split_path(path)[0] in tree.nodes:
                tree.create_node(path, data, acl, owner, pcv, zxid, time)
        elif t == DELETE:
            if ch[1] in tree.nodes:
                tree.delete_node(ch[1], zxid)
        elif t == SET_DATA:
            if ch[1] in tree.nodes:
                tree.set_data(ch[1], ch[2], ch[3], zxid, time)
        elif t == SET_ACL:
            if ch[1] in tree.nodes:
                tree.set_acl(ch[1], ch[2], ch[3])
        elif t == CREATE_SESSION:
            sessions[ch[1]] = ch[2]
        elif t == CLOSE_SESSION:
            sessions.pop(ch[1], None)
            tree.ephemerals.pop(ch[1], None)
    tree.events.clear()
    if zxid > tree.last_processed_zxid:
        tree.last_processed_zxid = zxid


def snapshot_chunks(tree: DataTree, sessions: dict[int, int]) -> Iterator[bytes]:
    """The snapshot as chunks: a header (magic, version, last zxid, sessions), then groups of
    znodes (``[count i]`` and that many znodes, parents first), each about 256 KiB."""
    head = [SNAPSHOT_MAGIC, INT.pack(SNAPSHOT_VERSION), LONG.pack(tree.last_processed_zxid)]
    head.append(INT.pack(len(sessions)))
    for sid, timeout in sessions.items():
        head.append(LONG.pack(sid))
        head.append(INT.pack(timeout))
    yield b"".join(head)
    yield from chunked(tree.walk(), _encode_nodes)


def _encode_nodes(nodes: list) -> bytes:
    parts = [INT.pack(len(nodes))]
    ap = parts.append
    for path, n in nodes:
        ap(write_ustring(path))
        ap(write_buffer(n.data))
        ap(write_acl_vector(n.acl))
        ap(
            _NODE_FIXED.pack(
                n.czxid,
                n.mzxid,
                n.ctime,
                n.mtime,
                n.version,
                n.cversion,
                n.aversion,
                n.ephemeral_owner,
                n.pzxid,
            )
        )
    return b"".join(parts)


def encode_snapshot(tree: DataTree, sessions: dict[int, int]) -> bytes:
    """The whole snapshot as one byte string (the chunks joined)."""
    return b"".join(snapshot_chunks(tree, sessions))


def decode_snapshot(buf: bytes) -> tuple[DataTree, dict[int, int]]:
    """Decode a whole snapshot (the chunks joined, or a first-version file's payload)."""
    return load_snapshot([buf])


def load_snapshot(chunks: Iterable[bytes]) -> tuple[DataTree, dict[int, int]]:
    """Rebuild the tree from a snapshot's chunks, one chunk in memory at a time."""
    tree = DataTree()
    tree.nodes.clear()
    sessions: dict[int, int] = {}
    header = True
    last_zxid = 0
    for buf in chunks:
        off = 0
        if header:
            if buf[:4] != SNAPSHOT_MAGIC:
                raise ValueError("not a ZooKeeper snapshot")
            off = 4
            version, off = read_int(buf, off)
            if version != SNAPSHOT_VERSION:
                raise ValueError(f"unsupported snapshot version {version}")
            last_zxid, off = read_long(buf, off)
            nsess, off = read_int(buf, off)
            for _ in range(nsess):
                sid, off = read_long(buf, off)
                timeout, off = read_int(buf, off)
                sessions[sid] = timeout
            header = False
        while off < len(buf):
            off = _decode_nodes(tree, buf, off)
    if header:
        raise ValueError("empty ZooKeeper snapshot")
    tree.last_processed_zxid = last_zxid
    return tree, sessions


def _decode_nodes(tree: DataTree, buf: bytes, off: int) -> int:
    count, off = read_int(buf, off)
    nodes = tree.nodes
    for _ in range(count):
        path, off = read_path(buf, off)
        data, off = read_buffer(buf, off)
        acl, off = read_acl_vector(buf, off)
        fields = _NODE_FIXED.unpack_from(buf, off)
        off += _NODE_FIXED.size
        czxid, mzxid, ctime, mtime, version_, cversion, aversion, owner, pzxid = fields
        node = Znode(
            data,
            intern_acl(acl) if acl else (),
            czxid,
            mzxid,
            ctime,
            mtime,
            version_,
            cversion,
            aversion,
            owner,
            pzxid,
        )
        nodes[path] = node
        if path != "/":
            parent, name = split_path(path)
            pnode = nodes[parent]
            pnode.children.add(name)
            pnode.children_enc = None
        if owner:
            tree._index_owner(path, owner)
    return off
