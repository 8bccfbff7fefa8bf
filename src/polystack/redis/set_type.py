"""The set value (t_set.c) in Redis 7.0's two encodings.

``intset``: every member is a canonical 64-bit integer and there are at most
``set-max-intset-entries`` of them; kept as a sorted list of ints plus the intset's width
(2, 4 or 8 bytes, only ever growing), so members come out in ascending order as in Redis.
``hashtable``: a list of members plus a dict from member to its position, so a random
member (SPOP, SRANDMEMBER) is O(1); removal moves the last member into the hole.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable

from polystack.redis import intset, persist, rdb
from polystack.redis.listpack import string_to_int64
from polystack.redis.store import TYPE_NAMES, EncodingLimits

_INTSET_HARD_LIMIT = 1 << 30


def max_intset_entries(limits: EncodingLimits) -> int:
    return min(limits.set_max_intset_entries, _INTSET_HARD_LIMIT)


class RedisSet:
    """A set value; ``ints`` is not None while it is intset encoded."""

    __slots__ = ("ints", "width", "items", "index")

    def __init__(self, ints: list[int] | None = None, width: int = intset.INT16) -> None:
        self.ints: list[int] | None = ints
        self.width = width
        self.items: list[bytes] = []
        self.index: dict[bytes, int] = {}

    @classmethod
    def hashtable(cls, members: Iterable[bytes] = ()) -> RedisSet:
        s = cls.__new__(cls)
        s.ints = None
        s.width = intset.INT16
        s.items = list(dict.fromkeys(members))
        s.index = {m: i for i, m in enumerate(s.items)}
        return s

    @classmethod
    def intset(cls) -> RedisSet:
        return cls([], intset.INT16)

    @classmethod
    def for_member(cls, member: bytes) -> RedisSet:
        """setTypeCreate: an intset if the first member is an integer, else a hash table."""
        if string_to_int64(member) is not None:
            return cls.intset()
        return cls.hashtable()

    # -- queries ------------------------------------------------------------------------------
    def __len__(self) -> int:
        ints = self.ints
        return len(ints) if ints is not None else len(self.items)

    def encoding(self) -> str:
        return "intset" if self.ints is not None else "hashtable"

    def __contains__(self, member: bytes) -> bool:
        ints = self.ints
        if ints is None:
            return member in self.index
        v = string_to_int64(member)
        if v is None:
            return False
        i = bisect.bisect_left(ints, v)
        return i < len(ints) and ints[i] == v

    def members(self) -> list[bytes]:
        """In iteration order (ascending for an intset)."""
        ints = self.ints
        if ints is not None:
            return [b"%d" % v for v in ints]
        return list(self.items)

    def random_member(self) -> bytes:
        ints = self.ints
        if ints is not None:
            return b"%d" % ints[random.randrange(len(ints))]
        return self.items[random.randrange(len(self.items))]

    # -- changes ------------------------------------------------------------------------------
    def convert(self) -> None:
        """setTypeConvert to a hash table (members in ascending order to start with)."""
        ints = self.ints
        if ints is None:
            return
        self.items = [b"%d" % v for v in ints]
        self.index = {m: i for i, m in enumerate(self.items)}
        self.ints = None

    def add(self, member: bytes, limits: EncodingLimits) -> bool:
        """setTypeAdd; True when the member is new."""
        ints = self.ints
        if ints is None:
            index = self.index
            if member in index:
                return False
            index[member] = len(self.items)
            self.items.append(member)
            return True
        v = string_to_int64(member)
        if v is None:
            self.convert()
            self.index[member] = len(self.items)
            self.items.append(member)
            return True
        i = bisect.bisect_left(ints, v)
        if i < len(ints) and ints[i] == v:
            return False
        ints.insert(i, v)
        w = intset.width_for(v)
        if w > self.width:
            self.width = w
        if len(ints) > max_intset_entries(limits):
            self.convert()
        return True

    def remove(self, member: bytes) -> bool:
        """setTypeRemove; True when it was a member."""
        ints = self.ints
        if ints is None:
            pos = self.index.pop(member, None)
            if pos is None:
                return False
            items = self.items
            last = items.pop()
            if pos < len(items):
                items[pos] = last
                self.index[last] = pos
            return True
        v = string_to_int64(member)
        if v is None:
            return False
        i = bisect.bisect_left(ints, v)
        if i < len(ints) and ints[i] == v:
            del ints[i]
            return True
        return False

    def copy_value(self) -> RedisSet:
        """setTypeDup: the same encoding (an intset keeps its width)."""
        if self.ints is not None:
            return RedisSet(list(self.ints), self.width)
        return RedisSet.hashtable(self.items)


def from_members(members: Iterable[bytes], limits: EncodingLimits) -> RedisSet:
    """A set built the way SINTERSTORE/SUNIONSTORE do it: an empty intset that each
    setTypeAdd converts as needed."""
    s = RedisSet.intset()
    for m in members:
        s.add(m, limits)
    return s


# -- DUMP / RESTORE ----------------------------------------------------------------------------
def _rdb_type(s: RedisSet) -> int:
    return rdb.RDB_TYPE_SET_INTSET if s.ints is not None else rdb.RDB_TYPE_SET


def write_rdb(s: RedisSet, compress: bool = True) -> bytes:
    if s.ints is not None:
        return rdb.save_string(intset.encode(s.ints, s.width), compress)
    save = rdb.save_string
    return rdb.save_len(len(s.items)) + b"".join([save(m, compress) for m in s.items])


def _load_members(members: list[bytes], limits: EncodingLimits) -> RedisSet:
    """RDB_TYPE_SET: an intset unless there are too many members or one is not an integer."""
    if len(members) > max_intset_entries(limits):
        s = RedisSet.hashtable()
    else:
        s = RedisSet.intset()
    for m in members:
        if not s.add(m, limits):
            raise rdb.RDBError("Duplicate set members detected")
    return s


def read_set(reader: rdb.Reader, limits: EncodingLimits) -> RedisSet:
    n = reader.load_plain_len()
    if n == 0:
        raise rdb.RDBError("empty set")
    return _load_members([reader.load_string() for _ in range(n)], limits)


def read_intset(reader: rdb.Reader, limits: EncodingLimits) -> RedisSet:
    try:
        ints, width = intset.decode(reader.load_string())
    except intset.IntsetError as e:
        raise rdb.RDBError(str(e)) from None
    s = RedisSet(ints, width)
    if len(ints) > limits.set_max_intset_entries:
        s.convert()
    return s


# -- snapshot ------------------------------------------------------------------------------
def _snapshot(s: RedisSet) -> tuple:
    if s.ints is not None:
        return (0, s.width, s.ints)
    return (1, 0, s.items)


def _restore(data: tuple, limits: EncodingLimits) -> RedisSet:
    kind, width, members = data
    if kind == 0:
        s = RedisSet(list(members), width)
        if len(members) > limits.set_max_intset_entries:
            s.convert()
        return s
    return _load_members(members, limits)


TYPE_NAMES[RedisSet] = "set"
rdb.register_type(
    RedisSet,
    _rdb_type,
    write_rdb,
    {rdb.RDB_TYPE_SET: read_set, rdb.RDB_TYPE_SET_INTSET: read_intset},
)
persist.register_codec(RedisSet, "S", _snapshot, _restore)
