"""The sorted set value (t_zset.c): members ordered by (score, member), in Redis 7.0's
``listpack`` and ``skiplist`` encodings.

While listpack encoded (at most ``zset-max-listpack-entries`` members, each at most
``zset-max-listpack-value`` bytes) a sorted set is just a sorted Python list of (score, member):
inserts are O(n) as Redis's memmove is, and a member is found by a scan, as Redis scans its
listpack (no dict: a small sorted set costs a list and its tuples).  Once it is a skiplist it
is a ``sortedcontainers.SortedList`` (O(log n) inserts, ranks, ranges) plus a dict from member
to score.  ``ZSet.dict`` reads the scores either way.  A listpack stores an integral score as an
integer, so a -0 score reads back as 0 there.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

from sortedcontainers import SortedList

from polystack.redis import listpack, persist, rdb
from polystack.redis.args import strtod
from polystack.redis.store import TYPE_NAMES, EncodingLimits

_INF = math.inf
_HALF_LLONG = float((1 << 63) // 2)  # (double)(LLONG_MAX/2)


def double2ll(d: float) -> int | None:
    """util.c's double2ll: the integer an integral double within +-LLONG_MAX/2 equals."""
    if d < -_HALF_LLONG or d > _HALF_LLONG or d != d:
        return None
    i = int(d)
    return i if i == d else None


def d2string(d: float) -> bytes:
    """util.c's d2string: how a listpack zset stores a non-integral score."""
    if d != d:
        return b"nan"
    if d in (_INF, -_INF):
        return b"inf" if d > 0 else b"-inf"
    if d == 0:
        return b"-0" if math.copysign(1.0, d) < 0 else b"0"
    i = double2ll(d)
    return b"%d" % i if i is not None else b"%.17g" % d


def listpack_score(d: float) -> bytes | int:
    """zzlInsertAt: the listpack entry of a score (an integer when double2ll allows)."""
    i = double2ll(d)
    return i if i is not None else d2string(d)


def ld2string_auto(d: float) -> bytes:
    """createStringObjectFromLongDouble(score, 0): %.17Lg ("inf"/"-inf")."""
    if d in (_INF, -_INF):
        return b"inf" if d > 0 else b"-inf"
    return b"%.17g" % d


def zzl_strtod(b: bytes) -> float:
    """zzlStrtod: strtod of at most 127 bytes, whatever follows ignored."""
    b = b[:127]
    nul = b.find(b"\x00")
    if nul >= 0:
        b = b[:nul]
    return strtod(b)[0]


class ListpackScores:
    """The member -> score lookups of a listpack-encoded sorted set, by scanning its entries
    (zzlFind), so that small sorted sets need no dict."""

    __slots__ = ("sl",)

    def __init__(self, sl: list[tuple[float, bytes]]) -> None:
        self.sl = sl

    def get(self, member: bytes, default: Any = None) -> Any:
        for s, m in self.sl:
            if m == member:
                return s
        return default

    def __getitem__(self, member: bytes) -> float:
        for s, m in self.sl:
            if m == member:
                return s
        raise KeyError(member)

    def __contains__(self, member: object) -> bool:
        return any(m == member for _, m in self.sl)

    def __iter__(self) -> Any:
        return (m for _, m in self.sl)

    def __len__(self) -> int:
        return len(self.sl)

    def keys(self) -> list[bytes]:
        return [m for _, m in self.sl]

    def values(self) -> list[float]:
        return [s for s, _ in self.sl]

    def items(self) -> list[tuple[bytes, float]]:
        return [(m, s) for s, m in self.sl]


class ZSet:
    """A sorted set value."""

    __slots__ = ("_dict", "sl", "listpack")

    def __init__(self, listpack: bool = True) -> None:
        self._dict: dict[bytes, float] | None = None if listpack else {}
        self.sl: Any = [] if listpack else SortedList()
        self.listpack = listpack

    @property
    def dict(self) -> Any:
        """member -> score (a dict once skiplist encoded; a scan of the listpack before)."""
        d = self._dict
        return d if d is not None else ListpackScores(self.sl)

    def __len__(self) -> int:
        return len(self.sl)

    def encoding(self) -> str:
        return "listpack" if self.listpack else "skiplist"

    # -- order primitives --------------------------------------------------------------------
    def bisect_left(self, key: tuple) -> int:
        sl = self.sl
        return bisect.bisect_left(sl, key) if type(sl) is list else sl.bisect_left(key)

    def insert(self, member: bytes, score: float) -> None:
        """Add a member that is not in the set."""
        sl = self.sl
        if self.listpack:
            if score == 0:
                score = 0.0  # stored as the integer 0
            bisect.insort(sl, (score, member))
            return
        self._dict[member] = score  # type: ignore[index]
        sl.add((score, member))

    def delete(self, member: bytes) -> bool:
        sl = self.sl
        if self.listpack:
            for i, (_, m) in enumerate(sl):
                if m == member:
                    del sl[i]
                    return True
            return False
        score = self._dict.pop(member, None)  # type: ignore[union-attr]
        if score is None:
            return False
        sl.remove((score, member))
        return True

    def set_score(self, member: bytes, score: float) -> None:
        self.delete(member)
        self.insert(member, score)

    def rank(self, member: bytes) -> int | None:
        if self.listpack:
            for i, (_, m) in enumerate(self.sl):
                if m == member:
                    return i
            return None
        score = self._dict.get(member)  # type: ignore[union-attr]
        if score is None:
            return None
        return self.bisect_left((score, member))

    def range(self, start: int, stop: int) -> list[tuple[float, bytes]]:
        """Entries ``start`` to ``stop`` (exclusive) by rank (a new list: a slice of the list
        or of the SortedList)."""
        return self.sl[start:stop]

    def first(self) -> tuple[float, bytes]:
        return self.sl[0]

    def last(self) -> tuple[float, bytes]:
        return self.sl[-1]

    # -- encodings ---------------------------------------------------------------------------
    def to_skiplist(self) -> None:
        if self.listpack:
            self._dict = {m: s for s, m in self.sl}
            self.sl = SortedList(self.sl)
            self.listpack = False

    def to_listpack(self) -> None:
        """zsetConvert to a listpack (a -0 score becomes 0)."""
        if not self.listpack:
            self.sl = [(0.0 if s == 0 else s, m) for s, m in self.sl]
            self._dict = None
            self.listpack = True

    def convert_if_small(self, limits: EncodingLimits) -> None:
        """zsetConvertToListpackIfNeeded."""
        if (
            not self.listpack
            and len(self) <= limits.zset_max_listpack_entries
            and max((len(m) for _, m in self.sl), default=0) <= limits.zset_max_listpack_value
        ):
            self.to_listpack()

    def copy_value(self) -> ZSet:
        z = ZSet(self.listpack)
        if self.listpack:
            z.sl = list(self.sl)
        else:
            z._dict = dict(self._dict)  # type: ignore[arg-type]
            z.sl = SortedList(self.sl)
        return z

    def listpack_bytes(self) -> bytes:
        return listpack.encode([x for s, m in self.sl for x in (m, listpack_score(s))])


def new_for(member: bytes, limits: EncodingLimits) -> ZSet:
    """ZADD's new key: a skiplist right away when listpacks are off or the first member is
    too long for one."""
    if limits.zset_max_listpack_entries == 0 or limits.zset_max_listpack_value < len(member):
        return ZSet(False)
    return ZSet(True)


# zsetAdd's flags
ADD_NX, ADD_XX, ADD_GT, ADD_LT, ADD_INCR = 1, 2, 4, 8, 16
OUT_NAN, OUT_ADDED, OUT_UPDATED, OUT_NOP = 1, 2, 4, 8


def zset_add(
    z: ZSet, score: float, member: bytes, flags: int, limits: EncodingLimits
) -> tuple[int, float]:
    """zsetAdd: (out flags, new score)."""
    if score != score:
        return OUT_NAN, score
    if z.listpack:
        cur = None
        for s, m in z.sl:
            if m == member:
                cur = s
                break
    else:
        cur = z._dict.get(member)  # type: ignore[union-attr]
    if cur is not None:
        if flags & ADD_NX:
            return OUT_NOP, score
        if flags & ADD_INCR:
            score += cur
            if score != score:
                return OUT_NAN, score
        if (flags & ADD_LT and score >= cur) or (flags & ADD_GT and score <= cur):
            return OUT_NOP, score
        if score != cur:
            z.set_score(member, score)
            return OUT_UPDATED, score
        return 0, score
    if flags & ADD_XX:
        return OUT_NOP, score
    if z.listpack and (
        len(z) + 1 > limits.zset_max_listpack_entries
        or len(member) > limits.zset_max_listpack_value
    ):
        z.to_skiplist()
    z.insert(member, score)
    return OUT_ADDED, score


# -- ranges ----------------------------------------------------------------------------------
def score_bounds(z: ZSet, lo: float, loex: bool, hi: float, hiex: bool) -> tuple[int, int]:
    """The ranks [start, stop) of the members whose scores are in the range."""
    if lo > hi or (lo == hi and (loex or hiex)):
        return 0, 0
    if loex:
        if lo == _INF:
            return 0, 0
        start = z.bisect_left((math.nextafter(lo, _INF),))
    else:
        start = z.bisect_left((lo,))
    if hiex:
        stop = z.bisect_left((hi,))
    elif hi == _INF:
        stop = len(z)
    else:
        stop = z.bisect_left((math.nextafter(hi, _INF),))
    return start, max(start, stop)


MIN_STRING, MAX_STRING = object(), object()


def lex_gte_min(m: bytes, bound: Any, ex: bool) -> bool:
    if bound is MIN_STRING:
        return True
    if bound is MAX_STRING:
        return False
    return m > bound if ex else m >= bound


def lex_lte_max(m: bytes, bound: Any, ex: bool) -> bool:
    if bound is MAX_STRING:
        return True
    if bound is MIN_STRING:
        return False
    return m < bound if ex else m <= bound


def _lex_cmp(a: Any, b: Any) -> int:
    if a is b:
        return 0
    if a is MIN_STRING or b is MAX_STRING:
        return -1
    if a is MAX_STRING or b is MIN_STRING:
        return 1
    return (a > b) - (a < b)


def lex_bounds(
    z: ZSet, lo: Any, loex: bool, hi: Any, hiex: bool, reverse: bool = False
) -> tuple[int, int]:
    """The ranks [start, stop) of the members in the lex range, as Redis walks a listpack
    (and a skiplist whose scores are all equal): forward, the first member at or above the
    minimum, then every following one up to the maximum; in reverse, the last member at or
    below the maximum, then every preceding one down to the minimum."""
    c = _lex_cmp(lo, hi)
    if c > 0 or (c == 0 and (loex or hiex)):
        return 0, 0
    n = len(z)
    if not n:
        return 0, 0
    sl = z.sl
    if sl[0][0] == sl[-1][0]:  # one score: members are in order, bisect
        score = sl[0][0]
        if lo is MIN_STRING:
            start = 0
        elif lo is MAX_STRING:
            return 0, 0
        elif loex:
            start = z.bisect_left((score, lo))
            if start < n and sl[start][1] == lo:
                start += 1
        else:
            start = z.bisect_left((score, lo))
        if hi is MAX_STRING:
            stop = n
        elif hi is MIN_STRING:
            stop = 0
        else:
            stop = z.bisect_left((score, hi))
            if not hiex and stop < n and sl[stop][1] == hi:
                stop += 1
        return start, max(start, stop)
    if reverse:
        stop = n
        while stop > 0 and not lex_lte_max(sl[stop - 1][1], hi, hiex):
            stop -= 1
        start = stop
        while start > 0 and lex_gte_min(sl[start - 1][1], lo, loex):
            start -= 1
        return start, stop
    start = 0
    while start < n and not lex_gte_min(sl[start][1], lo, loex):
        start += 1
    stop = start
    while stop < n and lex_lte_max(sl[stop][1], hi, hiex):
        stop += 1
    return start, stop


# -- DUMP / RESTORE ----------------------------------------------------------------------------
def _rdb_type(z: ZSet) -> int:
    return rdb.RDB_TYPE_ZSET_LISTPACK if z.listpack else rdb.RDB_TYPE_ZSET_2


def write_rdb(z: ZSet, compress: bool = True) -> bytes:
    if z.listpack:
        return rdb.save_string(z.listpack_bytes(), compress)
    out = [rdb.save_len(len(z))]
    save = rdb.save_string
    for score, member in reversed(z.sl):
        out.append(save(member, compress))
        out.append(rdb.save_double(score))
    return b"".join(out)


def _from_pairs(pairs: list[tuple[bytes, float]], listpack_encoded: bool) -> ZSet:
    z = ZSet(listpack_encoded)
    for member, score in pairs:
        if score != score:
            raise rdb.RDBError("Zset with NAN score detected")
        if member in z.dict:
            raise rdb.RDBError("Duplicate zset fields detected")
        z.insert(member, score)
    return z


def read_zset(reader: rdb.Reader, limits: EncodingLimits, old: bool = False) -> ZSet:
    """RDB_TYPE_ZSET(_2): a skiplist, then a listpack when small enough."""
    n = reader.load_plain_len()
    if n == 0:
        raise rdb.RDBError("empty zset")
    pairs = []
    for _ in range(n):
        member = reader.load_string()
        score = reader.load_old_double() if old else reader.load_double()
        pairs.append((member, score))
    z = _from_pairs(pairs, False)
    z.convert_if_small(limits)
    return z


def _read_packed(items: list, limits: EncodingLimits) -> ZSet:
    if not items or len(items) % 2:
        raise rdb.RDBError("bad zset listpack")
    pairs = []
    for i in range(0, len(items), 2):
        member, score = items[i], items[i + 1]
        if type(member) is int:
            member = b"%d" % member
        pairs.append((member, float(score) if type(score) is int else zzl_strtod(score)))
    z = _from_pairs(pairs, True)
    if len(z) > limits.zset_max_listpack_entries:
        z.to_skiplist()
    return z


def read_listpack(reader: rdb.Reader, limits: EncodingLimits) -> ZSet:
    try:
        items = listpack.decode(reader.load_string(), as_bytes=False)
    except listpack.ListpackError as e:
        raise rdb.RDBError(str(e)) from None
    return _read_packed(items, limits)


def read_ziplist(reader: rdb.Reader, limits: EncodingLimits) -> ZSet:
    try:
        items = listpack.decode_ziplist(reader.load_string())
    except listpack.ListpackError as e:
        raise rdb.RDBError(str(e)) from None
    return _read_packed(items, limits)


# -- snapshot ------------------------------------------------------------------------------
def _snapshot(z: ZSet) -> tuple:
    return (z.listpack, [(m, s) for s, m in z.sl])


def _restore(data: tuple, limits: EncodingLimits) -> ZSet:
    packed, pairs = data
    z = ZSet(packed)
    for member, score in pairs:
        z.insert(member, score)
    if packed:
        if len(z) > limits.zset_max_listpack_entries:
            z.to_skiplist()
    else:
        z.convert_if_small(limits)
    return z


TYPE_NAMES[ZSet] = "zset"
rdb.register_type(
    ZSet,
    _rdb_type,
    write_rdb,
    {
        rdb.RDB_TYPE_ZSET_2: read_zset,
        rdb.RDB_TYPE_ZSET: lambda reader, limits: read_zset(reader, limits, old=True),
        rdb.RDB_TYPE_ZSET_LISTPACK: read_listpack,
        rdb.RDB_TYPE_ZSET_ZIPLIST: read_ziplist,
    },
)
persist.register_codec(ZSet, "z", _snapshot, _restore)
