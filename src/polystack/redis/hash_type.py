"""The hash value (t_hash.c): fields and values in a dict, plus the encoding Redis 7.0 would
report for it.

A new hash is ``listpack`` encoded; it becomes ``hashtable`` for good once it holds more than
``hash-max-listpack-entries`` fields or is given a field or value longer than
``hash-max-listpack-value`` bytes.  A listpack keeps fields in insertion order (an update
replaces the value in place, a deletion closes the gap), which is exactly a Python dict's
order, so the listpack DUMP writes is rebuilt from the dict.
"""

from __future__ import annotations

from typing import Any

from polystack.redis import listpack, persist, rdb
from polystack.redis.store import TYPE_NAMES, EncodingLimits


class RedisHash(dict):
    """A hash value; ``listpack`` is False once it converted to a hash table."""

    __slots__ = ("listpack",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.listpack = True

    def encoding(self) -> str:
        return "listpack" if self.listpack else "hashtable"

    def copy_value(self) -> RedisHash:
        h = RedisHash(self)
        h.listpack = self.listpack
        return h

    def listpack_bytes(self) -> bytes:
        return listpack.encode([x for kv in self.items() for x in kv])


# Field names shared between hashes: applications give thousands of hashes the same few field
# names, which Redis stores inside each hash's listpack; here each hash would hold its own
# copy of the name (a bytes object of 33 + n bytes) where one shared copy does.  Short names
# only, and at most FIELD_NAMES_MAX of them (then names not known yet are kept as they come).
FIELD_NAMES_MAX = 1 << 16
FIELD_NAME_LONGEST = 32
FIELD_NAMES: dict[bytes, bytes] = {}


def shared_name(field: bytes) -> bytes:
    """The shared copy of a field name (the name itself when not shared)."""
    if len(field) > FIELD_NAME_LONGEST:
        return field
    if len(FIELD_NAMES) < FIELD_NAMES_MAX:
        return FIELD_NAMES.setdefault(field, field)
    return FIELD_NAMES.get(field, field)


def try_conversion(h: RedisHash, argv: list[bytes], start: int, limits: EncodingLimits) -> None:
    """hashTypeTryConversion: any field or value over hash-max-listpack-value converts."""
    if h.listpack:
        maxlen = limits.hash_max_listpack_value
        for i in range(start, len(argv)):
            if len(argv[i]) > maxlen:
                h.listpack = False
                return


def check_length(h: RedisHash, limits: EncodingLimits) -> None:
    """After adding fields: more than hash-max-listpack-entries converts."""
    if h.listpack and len(h) > limits.hash_max_listpack_entries:
        h.listpack = False


def set_field(h: RedisHash, field: bytes, value: bytes, limits: EncodingLimits) -> bool:
    """hashTypeSet (with its own length check, as HINCRBY* rely on); True when it updated."""
    if h.listpack and (
        len(field) > limits.hash_max_listpack_value or len(value) > limits.hash_max_listpack_value
    ):
        h.listpack = False
    update = field in h
    h[shared_name(field)] = value
    if h.listpack and len(h) > limits.hash_max_listpack_entries:
        h.listpack = False
    return update


# -- DUMP / RESTORE ----------------------------------------------------------------------------
def _rdb_type(h: RedisHash) -> int:
    return rdb.RDB_TYPE_HASH_LISTPACK if h.listpack else rdb.RDB_TYPE_HASH


def write_rdb(h: RedisHash, compress: bool = True) -> bytes:
    if h.listpack:
        return rdb.save_string(h.listpack_bytes(), compress)
    out = [rdb.save_len(len(h))]
    save = rdb.save_string
    for f, v in h.items():
        out.append(save(f, compress))
        out.append(save(v, compress))
    return b"".join(out)


def _from_pairs(items: list[bytes], limits: EncodingLimits) -> RedisHash:
    if not items:
        raise rdb.RDBError("empty hash")
    h = RedisHash()
    for i in range(0, len(items), 2):
        h[shared_name(items[i])] = items[i + 1]
    if len(h) * 2 != len(items):
        raise rdb.RDBError("Hash with dup elements")
    return h


def read_hash(reader: rdb.Reader, limits: EncodingLimits) -> RedisHash:
    """RDB_TYPE_HASH: a listpack unless too many fields or a field/value too long."""
    n = reader.load_plain_len()
    if n == 0:
        raise rdb.RDBError("empty hash")
    h = RedisHash()
    if n > limits.hash_max_listpack_entries:
        h.listpack = False
    maxlen = limits.hash_max_listpack_value
    for _ in range(n):
        field = reader.load_string()
        value = reader.load_string()
        if h.listpack and (len(field) > maxlen or len(value) > maxlen):
            h.listpack = False
        if field in h:
            raise rdb.RDBError("Duplicate hash fields detected")
        h[shared_name(field)] = value
    return h


def read_listpack(reader: rdb.Reader, limits: EncodingLimits) -> RedisHash:
    """RDB_TYPE_HASH_LISTPACK: stays a listpack unless it has too many fields."""
    try:
        items = listpack.decode(reader.load_string())
    except listpack.ListpackError as e:
        raise rdb.RDBError(str(e)) from None
    if len(items) % 2:
        raise rdb.RDBError("Hash listpack with an odd number of entries")
    h = _from_pairs(items, limits)
    check_length(h, limits)
    return h


def read_ziplist(reader: rdb.Reader, limits: EncodingLimits) -> RedisHash:
    try:
        items = listpack.decode_ziplist(reader.load_string())
    except listpack.ListpackError as e:
        raise rdb.RDBError(str(e)) from None
    if len(items) % 2:
        raise rdb.RDBError("Hash ziplist with an odd number of entries")
    h = _from_pairs(items, limits)
    check_length(h, limits)
    return h


def read_zipmap(reader: rdb.Reader, limits: EncodingLimits) -> RedisHash:
    try:
        items = listpack.decode_zipmap(reader.load_string())
    except listpack.ListpackError as e:
        raise rdb.RDBError(str(e)) from None
    h = _from_pairs(items, limits)
    maxlen = max(map(len, items))
    if len(h) > limits.hash_max_listpack_entries or maxlen > limits.hash_max_listpack_value:
        h.listpack = False
    return h


# -- snapshot ------------------------------------------------------------------------------
def _snapshot(h: RedisHash) -> tuple:
    return (h.listpack, dict(h))


def _restore(data: tuple, limits: EncodingLimits) -> RedisHash:
    """As rdbLoadObject would build the value from what rdbSaveObject wrote for it."""
    h = RedisHash(data[1])
    if len(h) > limits.hash_max_listpack_entries:
        h.listpack = False
    elif not data[0]:  # RDB_TYPE_HASH: a listpack again unless a field or value is too long
        maxlen = limits.hash_max_listpack_value
        h.listpack = all(len(f) <= maxlen and len(v) <= maxlen for f, v in h.items())
    return h


TYPE_NAMES[RedisHash] = "hash"
rdb.register_type(
    RedisHash,
    _rdb_type,
    write_rdb,
    {
        rdb.RDB_TYPE_HASH: read_hash,
        rdb.RDB_TYPE_HASH_LISTPACK: read_listpack,
        rdb.RDB_TYPE_HASH_ZIPLIST: read_ziplist,
        rdb.RDB_TYPE_HASH_ZIPMAP: read_zipmap,
    },
)
persist.register_codec(RedisHash, "h", _snapshot, _restore)
