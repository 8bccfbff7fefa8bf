"""Streams in RDB form (rdb.c, RDB_TYPE_STREAM_LISTPACKS_2 and the older
RDB_TYPE_STREAM_LISTPACKS): the node listpacks as they are, the stream's counters, then every
consumer group with its PEL and consumers.  DUMP/RESTORE, RDB files and the snapshot use it."""

from __future__ import annotations

from polystack.redis import listpack, persist, rdb
from polystack.redis.store import EncodingLimits
from polystack.redis.stream_type import (
    FLAG_SAMEFIELDS,
    NACK,
    U64,
    Consumer,
    ConsumerGroup,
    Stream,
    StreamNode,
)


def _signed(v: int) -> int:
    return v - (1 << 64) if v >> 63 else v


def write_rdb(s: Stream, compress: bool = True) -> bytes:
    save_len, save_string = rdb.save_len, rdb.save_string
    out = [save_len(len(s.nodes))]
    for node in s.nodes:
        out.append(save_string(node.master.to_bytes(16, "big"), compress))
        out.append(save_string(node.encode(), compress))
    for v in (s.length, s.last_id >> 64, s.last_id & U64, s.first_id >> 64, s.first_id & U64):
        out.append(save_len(v))
    out.append(save_len(s.max_deleted >> 64))
    out.append(save_len(s.max_deleted & U64))
    out.append(save_len(s.entries_added))
    out.append(save_len(len(s.groups)))
    for name, g in s.groups_sorted():
        out.append(save_string(name, compress))
        out.append(save_len(g.last_id >> 64))
        out.append(save_len(g.last_id & U64))
        out.append(save_len(g.entries_read & U64))
        out.append(save_len(len(g.pel)))
        for sid, nack in g.pel.items():
            out.append(sid.to_bytes(16, "big"))
            out.append(rdb.save_millis(nack.delivery_time))
            out.append(save_len(nack.delivery_count))
        out.append(save_len(len(g.consumers)))
        for c in g.consumers_sorted():
            out.append(save_string(c.name, compress))
            out.append(rdb.save_millis(c.seen_time))
            out.append(save_len(len(c.pel)))
            out.extend(sid.to_bytes(16, "big") for sid in c.pel)
    return b"".join(out)


def _int(e: bytes | int) -> int:
    """lpGetIntegerIfValid."""
    if type(e) is int:
        return e
    v = listpack.string_to_int64(e)  # type: ignore[arg-type]
    if v is None:
        raise rdb.RDBError("Stream listpack integrity check failed.")
    return v


def _str(e: bytes | int) -> bytes:
    return e if isinstance(e, bytes) else b"%d" % e


def node_from_listpack(master: int, lp: bytes) -> StreamNode:
    """A node from its listpack, checked as streamValidateListpackIntegrity (deep) does."""
    try:
        elements = listpack.decode(lp, as_bytes=False)
    except listpack.ListpackError:
        raise rdb.RDBError("Stream listpack integrity check failed.") from None
    bad = rdb.RDBError("Stream listpack integrity check failed.")
    if not elements:
        raise rdb.RDBError("Empty listpack inside stream")
    try:
        count, deleted, nfields = _int(elements[0]), _int(elements[1]), _int(elements[2])
        if count < 0 or deleted < 0 or nfields < 0:
            raise bad
        mfields = tuple(_str(e) for e in elements[3 : 3 + nfields])
        if len(mfields) != nfields or _int(elements[3 + nfields]) != 0:
            raise bad
        node = StreamNode(master, mfields)
        p = 4 + nfields
        mms, mseq = master >> 64, master & U64
        live = 0
        for _ in range(count + deleted):
            flags = _int(elements[p])
            ms = (mms + _int(elements[p + 1])) & U64
            seq = (mseq + _int(elements[p + 2])) & U64
            p += 3
            if flags & FLAG_SAMEFIELDS:
                fields = mfields
                values = tuple(_str(e) for e in elements[p : p + len(fields)])
                p += len(fields)
            else:
                n = _int(elements[p])
                if n < 0:
                    raise bad
                pairs = elements[p + 1 : p + 1 + 2 * n]
                fields = tuple(_str(e) for e in pairs[0::2])
                values = tuple(_str(e) for e in pairs[1::2])
                p += 1 + 2 * n
            if len(values) != len(fields):
                raise bad
            extra = 3 if flags & FLAG_SAMEFIELDS else 4 + len(fields)
            if _int(elements[p]) != len(fields) + extra:
                raise bad
            p += 1
            node.append(ms << 64 | seq, fields, values, bool(flags & FLAG_SAMEFIELDS))
            node.flags[-1] = flags
            if not flags & 1:
                live += 1
        if p != len(elements) or live != count:
            raise bad
    except IndexError:
        raise bad from None
    node.count, node.deleted = count, deleted
    return node


def read_stream(reader: rdb.Reader, limits: EncodingLimits, version: int = 2) -> Stream:
    s = Stream()
    for _ in range(reader.load_plain_len()):
        key = reader.load_string()
        if len(key) != 16:
            raise rdb.RDBError("Stream node key entry is not the size of a stream ID")
        master = int.from_bytes(key, "big")
        node = node_from_listpack(master, reader.load_string())
        if s.keys and master <= s.keys[-1]:
            raise rdb.RDBError("Listpack re-added with existing key")
        s._add_node(node)
    s.length = reader.load_plain_len()
    s.last_id = reader.load_plain_len() << 64 | reader.load_plain_len()
    if version == 2:
        s.first_id = reader.load_plain_len() << 64 | reader.load_plain_len()
        s.max_deleted = reader.load_plain_len() << 64 | reader.load_plain_len()
        s.entries_added = reader.load_plain_len()
    else:
        s.entries_added = s.length
        s.first_id = s.edge_id(True)
    if s.length and not s.nodes:
        raise rdb.RDBError("Stream length inconsistent with rax entries")
    for _ in range(reader.load_plain_len()):
        name = reader.load_string()
        last = reader.load_plain_len() << 64 | reader.load_plain_len()
        if version == 2:
            entries_read = _signed(reader.load_plain_len())
        else:
            entries_read = s.estimate_distance(last)
        if name in s.groups:
            raise rdb.RDBError(f"Duplicated consumer group name {name!r}")
        g = ConsumerGroup(last, entries_read)
        s.groups[name] = g
        for _ in range(reader.load_plain_len()):
            sid = int.from_bytes(reader.read(16), "big")
            nack = NACK(reader.load_millis(), None)
            nack.delivery_count = reader.load_plain_len()
            if sid in g.pel:
                raise rdb.RDBError("Duplicated global PEL entry loading stream consumer group")
            g.pel[sid] = nack
        for _ in range(reader.load_plain_len()):
            cname = reader.load_string()
            if cname in g.consumers:
                raise rdb.RDBError("Duplicate stream consumer detected.")
            c = Consumer(cname, reader.load_millis())
            g.consumers[cname] = c
            for _ in range(reader.load_plain_len()):
                sid = int.from_bytes(reader.read(16), "big")
                shared = g.pel.get(sid)
                if shared is None:
                    raise rdb.RDBError("Consumer entry not found in group global PEL")
                if sid in c.pel:
                    raise rdb.RDBError("Duplicated consumer PEL entry loading a stream group")
                shared.consumer = c
                c.pel[sid] = shared
        if any(n.consumer is None for n in g.pel.values()):
            raise rdb.RDBError("Stream CG PEL entry without consumer")
    return s


def _read_v1(reader: rdb.Reader, limits: EncodingLimits) -> Stream:
    return read_stream(reader, limits, 1)


def _snapshot(s: Stream) -> bytes:
    return write_rdb(s, compress=False)


def _restore(data: bytes, limits: EncodingLimits) -> Stream:
    return read_stream(rdb.Reader(data), limits)


rdb.register_type(
    Stream,
    rdb.RDB_TYPE_STREAM_LISTPACKS_2,
    write_rdb,
    {rdb.RDB_TYPE_STREAM_LISTPACKS_2: read_stream, rdb.RDB_TYPE_STREAM_LISTPACKS: _read_v1},
)
persist.register_codec(Stream, "X", _snapshot, _restore)
