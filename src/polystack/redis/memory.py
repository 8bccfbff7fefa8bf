"""Memory as Redis 7.0 counts it: the bytes Redis's own structures would take (objects, sds
strings, listpacks, dict tables and entries, rounded to jemalloc's size classes), so
MEMORY USAGE, INFO memory and ``maxmemory`` mean what they mean in Redis rather than
depending on Python's object sizes.

:func:`usage` is MEMORY USAGE (objectComputeSize plus the key and its dict entry, sampling
``samples`` elements of big collections).  :class:`Accountant` keeps the dataset's total
while ``maxmemory`` is set, re-measuring each key a command changed (it listens to
signalModifiedKey, flushes and SWAPDB) and keeping the keys in arrays for the eviction's
random sampling.  :func:`perform_evictions` is evict.c's performEvictions: the eviction pool
of 16 candidates filled from ``maxmemory-samples`` keys per database, for every policy.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from typing import Any

from polystack.redis import listpack, notify
from polystack.redis.flags import set_server_condition
from polystack.redis.hash_type import RedisHash
from polystack.redis.objects import LFU_INIT_VAL, is_int_string
from polystack.redis.set_type import RedisSet
from polystack.redis.zset_type import ZSet, listpack_score

ROBJ = 16  # sizeof(robj)
DICT = 56  # sizeof(dict)
DICT_ENTRY = 24  # sizeof(dictEntry)
ZSET = 16  # sizeof(zset)
ZSKIPLIST = 32  # sizeof(zskiplist)
EMBSTR_LIMIT = 44  # OBJ_ENCODING_EMBSTR_SIZE_LIMIT
# used_memory_startup of a Redis 7.0 server (what a fresh redis-server reports): what
# polystack adds to the dataset for INFO's used_memory and the maxmemory check.
STARTUP = 876200
DEFAULT_SAMPLES = 5
EVPOOL_SIZE = 16


def alloc(n: int) -> int:
    """jemalloc's usable size for a request of ``n`` bytes (its size classes)."""
    if n <= 8:
        return 8
    if n <= 128:
        return (n + 15) & ~15
    p = 1 << ((n - 1).bit_length() - 1)  # the power of two below n
    step = p >> 2
    return (n + step - 1) // step * step


def _sds_header(n: int, allow_type5: bool = True) -> int:
    if n < 32 and allow_type5 and n:
        return 1
    if n < 256:
        return 3
    if n < 65536:
        return 5
    if n < 1 << 32:
        return 9
    return 17


def sds_size(s: bytes, allow_type5: bool = True) -> int:
    """sdsZmallocSize of an sds string holding ``s`` (sdsnewlen picks the header)."""
    return alloc(_sds_header(len(s), allow_type5) + len(s) + 1)


def string_size(value: bytes) -> int:
    """A string object: int encoded (the robj only), embstr (one allocation) or raw."""
    n = len(value)
    if n <= 20 and is_int_string(value):
        return ROBJ
    if n <= EMBSTR_LIMIT:
        return alloc(ROBJ + 3 + n + 1)
    return ROBJ + sds_size(value, allow_type5=False)


def dict_slots(n: int) -> int:
    """The table size of a dict holding ``n`` entries (at least 4, doubling when full)."""
    size = 4
    while size < n:
        size <<= 1
    return size


def _sampled(items: Any, count: int, samples: int, each: Callable[[Any], int]) -> int:
    """Redis's estimate: the average of the first ``samples`` elements times the count."""
    if not count:
        return 0
    total = 0
    seen = 0
    for item in items:
        if samples and seen >= samples:
            break
        total += each(item)
        seen += 1
    return int(total / seen * count) if seen else 0


def hash_size(h: RedisHash, samples: int) -> int:
    if h.listpack:
        return ROBJ + alloc(listpack.size_of([x for kv in h.items() for x in kv]))
    base = ROBJ + DICT + 8 * dict_slots(len(h))
    return base + _sampled(
        h.items(), len(h), samples, lambda kv: sds_size(kv[0]) + sds_size(kv[1]) + DICT_ENTRY
    )


def set_size(s: RedisSet, samples: int) -> int:
    if s.ints is not None:
        return ROBJ + alloc(8 + len(s.ints) * s.width)
    base = ROBJ + DICT + 8 * dict_slots(len(s.items))
    return base + _sampled(s.items, len(s.items), samples, lambda m: DICT_ENTRY + sds_size(m))


# a skiplist node's expected allocation: 24 bytes and 16 a level, levels drawn with p=1/4
_NODE = round(sum(0.75 * 0.25 ** (k - 1) * alloc(24 + 16 * k) for k in range(1, 33)))


def zset_size(z: ZSet, samples: int) -> int:
    if z.listpack:
        flat: list = []
        for score, member in z.sl:
            flat += [member, listpack_score(score)]
        return ROBJ + alloc(listpack.size_of(flat))
    header = alloc(24 + 32 * 16)  # the skiplist header node (ZSKIPLIST_MAXLEVEL levels)
    base = ROBJ + ZSET + ZSKIPLIST + DICT + 8 * dict_slots(len(z.dict)) + header
    return base + _sampled(z.dict, len(z.dict), samples, lambda m: sds_size(m) + DICT_ENTRY + _NODE)


# value type -> fn(value, samples): objectComputeSize; the other value types register theirs
SIZERS: dict[type, Callable[[Any, int], int]] = {
    RedisHash: hash_size,
    RedisSet: set_size,
    ZSet: zset_size,
}


def register_sizer(cls: type, fn: Callable[[Any, int], int]) -> None:
    SIZERS[cls] = fn


def object_size(value: Any, samples: int = DEFAULT_SAMPLES) -> int:
    """objectComputeSize (``samples`` 0 measures every element)."""
    if type(value) is bytes:
        return string_size(value)
    fn = SIZERS.get(type(value))
    if fn is not None:
        return fn(value, samples)
    return ROBJ + _generic_size(value)


def _generic_size(value: Any) -> int:
    """A value type without a sizer: its items' bytes and an entry each."""
    try:
        items = list(value)
    except TypeError:
        return alloc(sys.getsizeof(value))
    return sum(alloc(len(x) + 4) if isinstance(x, bytes) else 16 for x in items) + 32


def usage(key: bytes, value: Any, samples: int = DEFAULT_SAMPLES) -> int:
    """MEMORY USAGE: the value, the key's sds and its dict entry."""
    return object_size(value, samples) + sds_size(key) + DICT_ENTRY


# -- keeping the total --------------------------------------------------------------------------
class _DbSizes:
    """One database's measured keys, and its keys in arrays for random sampling."""

    __slots__ = ("sizes", "total", "keys", "pos", "vkeys", "vpos")

    def __init__(self) -> None:
        self.sizes: dict[bytes, int] = {}
        self.total = 0
        self.keys: list[bytes] = []
        self.pos: dict[bytes, int] = {}
        self.vkeys: list[bytes] = []
        self.vpos: dict[bytes, int] = {}


def _add(keys: list[bytes], pos: dict[bytes, int], key: bytes) -> None:
    if key not in pos:
        pos[key] = len(keys)
        keys.append(key)


def _remove(keys: list[bytes], pos: dict[bytes, int], key: bytes) -> None:
    i = pos.pop(key, None)
    if i is None:
        return
    last = keys.pop()
    if i < len(keys):
        keys[i] = last
        pos[last] = i


class Accountant:
    """The dataset's size (while maxmemory is set): every key a command changed is measured
    again before the next check."""

    def __init__(self, ks: Any, stamp: Callable[[Any, bytes, bool], None] | None = None) -> None:
        self.ks = ks
        # fn(db, key, existed): the access stamp of a key a command wrote (a write is an access
        # in Redis, and a new object starts with a fresh LRU/LFU field)
        self.stamp = stamp
        self.dbs = [_DbSizes() for _ in ks.dbs]
        self.dirty: set[tuple[int, bytes]] = set()
        self.stale: set[int] = set(range(len(ks.dbs)))  # databases to measure from scratch
        self._key = self._on_key
        self._flush = self._on_flush
        self._swap = self._on_swap

    def attach(self) -> None:
        ks = self.ks
        ks.key_listeners = (*ks.key_listeners, self._key)
        ks.flush_listeners = (*ks.flush_listeners, self._flush)
        ks.swap_listeners = (*ks.swap_listeners, self._swap)

    def detach(self) -> None:
        ks = self.ks
        ks.key_listeners = tuple(f for f in ks.key_listeners if f is not self._key)
        ks.flush_listeners = tuple(f for f in ks.flush_listeners if f is not self._flush)
        ks.swap_listeners = tuple(f for f in ks.swap_listeners if f is not self._swap)

    def _on_key(self, client: Any, db: Any, key: bytes) -> None:
        self.dirty.add((db.id, key))

    def _on_flush(self, db_id: int) -> None:
        if db_id < 0:
            self.stale.update(range(len(self.dbs)))
        else:
            self.stale.add(db_id)

    def _on_swap(self, a: int, b: int) -> None:
        self.dbs[a], self.dbs[b] = self.dbs[b], self.dbs[a]

    def settle(self) -> None:
        """Measure what changed since the last call."""
        dbs = self.ks.dbs
        if self.stale:
            for i in self.stale:
                self._recount(i)
            self.stale.clear()
        if self.dirty:
            dirty, self.dirty = self.dirty, set()
            for db_id, key in dirty:
                self._measure(dbs[db_id], self.dbs[db_id], key)
        for i, db in enumerate(dbs):
            if len(db.data) != len(self.dbs[i].sizes):  # changed behind our back (a load)
                self._recount(i)

    def _measure(self, db: Any, d: _DbSizes, key: bytes) -> None:
        value = db.data.get(key)
        old = d.sizes.pop(key, 0)
        d.total -= old
        if value is None:
            _remove(d.keys, d.pos, key)
            _remove(d.vkeys, d.vpos, key)
            return
        size = usage(key, value)
        d.sizes[key] = size
        d.total += size
        if self.stamp is not None:
            self.stamp(db, key, key in d.pos)
        _add(d.keys, d.pos, key)
        if key in db.expires:
            _add(d.vkeys, d.vpos, key)
        else:
            _remove(d.vkeys, d.vpos, key)

    def _recount(self, i: int) -> None:
        db = self.ks.dbs[i]
        d = self.dbs[i] = _DbSizes()
        sizes = d.sizes
        total = 0
        for key, value in db.data.items():
            size = usage(key, value)
            sizes[key] = size
            total += size
        d.total = total
        d.keys = list(sizes)
        d.pos = {k: j for j, k in enumerate(d.keys)}
        d.vkeys = [k for k in db.expires if k in sizes]
        d.vpos = {k: j for j, k in enumerate(d.vkeys)}

    def dataset(self) -> int:
        self.settle()
        return sum(d.total for d in self.dbs)

    def forget(self, db: Any, key: bytes) -> None:
        """A key evicted: it is gone from the totals at once."""
        d = self.dbs[db.id]
        d.total -= d.sizes.pop(key, 0)
        _remove(d.keys, d.pos, key)
        _remove(d.vkeys, d.vpos, key)
        self.dirty.discard((db.id, key))


def estimate_dataset(ks: Any, samples_per_db: int = 64) -> int:
    """The dataset's size without an accountant: the average of the first keys of each
    database times its key count (what INFO reports while maxmemory is off)."""
    total = 0
    for db in ks.dbs:
        n = len(db.data)
        if not n:
            continue
        seen = 0
        measured = 0
        for key, value in db.data.items():
            measured += usage(key, value)
            seen += 1
            if seen >= samples_per_db:
                break
        total += measured * n // seen
    return total


def overhead(ks: Any) -> int:
    """The keyspace's own tables: 8 bytes a slot of each main and expires dict, and the
    expires dict's entries (MEMORY STATS overhead.hashtable.*)."""
    total = 0
    for db in ks.dbs:
        if db.data:
            total += 8 * dict_slots(len(db.data))
        if db.expires:
            total += 8 * dict_slots(len(db.expires)) + DICT_ENTRY * len(db.expires)
    return total


# -- eviction -----------------------------------------------------------------------------------
POLICIES = (
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
    "allkeys-lfu", "allkeys-random", "noeviction",
)  # fmt: skip


class EvictionState:
    """What eviction keeps between runs: the pool and the next database for random picks."""

    def __init__(self) -> None:
        self.pool: list[tuple[int, int, bytes]] = []  # (idle, db id, key), ascending idle
        self.next_db = 0
        self.evicted_keys = 0
        self.exceeded_since: float | None = None
        self.exceeded_total = 0.0


def lfu_decayed(packed: int | None, now_ms: int, decay_time: int) -> int:
    """LFUDecrAndReturn of a packed (minutes << 8 | counter) lru field."""
    if packed is None:
        return LFU_INIT_VAL
    ldt, counter = (packed >> 8) & 0xFFFF, packed & 0xFF
    now = (now_ms // 60000) & 0xFFFF
    elapsed = now - ldt if now >= ldt else 65535 - ldt + now
    periods = elapsed // decay_time if decay_time else 0
    return max(0, counter - periods)


def _idle_score(
    policy: str, db: Any, key: bytes, now_ms: int, lfu_decay: Callable, since_s: int
) -> int:
    if policy.endswith("lru"):
        # a key without a stamp was not touched since it was loaded or the server started
        return max(0, now_ms // 1000 - db.lru.get(key, since_s))
    if policy.endswith("lfu"):
        return 255 - lfu_decay(db.lru.get(key))
    expire = db.expires.get(key, 0)
    return (1 << 63) - expire  # volatile-ttl: the sooner it expires, the better


def _populate(
    state: EvictionState, policy: str, ks: Any, acc: Accountant, samples: int, now_ms: int,
    lfu_decay: Callable, since_s: int,
) -> None:  # fmt: skip
    """evictionPoolPopulate: sample each database's keys (or keys with a TTL) into the pool,
    which keeps the 16 best candidates."""
    volatile = policy.startswith("volatile")
    pool = state.pool
    for i, db in enumerate(ks.dbs):
        d = acc.dbs[i]
        keys = d.vkeys if volatile else d.keys
        if not keys:
            continue
        n = len(keys)
        picks = [keys[random.randrange(n)] for _ in range(min(samples, n))]
        for key in picks:
            idle = _idle_score(policy, db, key, now_ms, lfu_decay, since_s)
            entry = (idle, i, key)
            if entry in pool:
                continue
            if len(pool) >= EVPOOL_SIZE and idle <= pool[0][0]:
                continue
            # insert in ascending order
            j = 0
            while j < len(pool) and pool[j][0] < idle:
                j += 1
            pool.insert(j, entry)
            if len(pool) > EVPOOL_SIZE:
                pool.pop(0)


def pick_victim(
    state: EvictionState, policy: str, ks: Any, acc: Accountant, samples: int, now_ms: int,
    lfu_decay: Callable, since_s: int = 0,
) -> tuple[Any, bytes] | None:  # fmt: skip
    """The (db, key) performEvictions deletes next under ``policy``, or None."""
    if policy.endswith(("lru", "lfu")) or policy == "volatile-ttl":
        for _ in range(8):  # a few rounds, in case the sampled keys are all gone
            _populate(state, policy, ks, acc, samples, now_ms, lfu_decay, since_s)
            pool = state.pool
            while pool:
                idle, db_id, key = pool.pop()
                db = ks.dbs[db_id]
                if key in db.data and (not policy.startswith("volatile") or key in db.expires):
                    return db, key
            if not any(d.vkeys if policy.startswith("volatile") else d.keys for d in acc.dbs):
                return None
        return None
    volatile = policy == "volatile-random"
    n = len(ks.dbs)
    for _ in range(n):
        i = state.next_db % n
        state.next_db += 1
        d = acc.dbs[i]
        keys = d.vkeys if volatile else d.keys
        if keys:
            return ks.dbs[i], keys[random.randrange(len(keys))]
    return None


# -- the server's memory ---------------------------------------------------------------------------
OOM_ERROR = b"-OOM command not allowed when used memory > 'maxmemory'."


def scripts_memory(server: Any) -> tuple[int, int]:
    """(EVAL scripts' bodies, function libraries' code) as Redis counts their caches."""
    scripts = server.scripting.memory if server.scripting is not None else 0
    functions = 0
    if server.functions is not None:
        functions = sum(len(lib.code) + 200 for lib in server.functions.libraries.values())
    return scripts, functions


def dataset_bytes(server: Any) -> int:
    acc = server.accountant
    if acc is not None:
        return acc.dataset()
    return estimate_dataset(server.keyspace)


def used_memory(server: Any) -> int:
    """INFO's used_memory: Redis's startup memory, the dataset, the keyspace's tables, the
    script caches and the clients' pending output."""
    scripts, functions = scripts_memory(server)
    clients = sum(getattr(c.peer, "pending_output", 0) for c in server.clients.values())
    return (
        STARTUP
        + dataset_bytes(server)
        + overhead(server.keyspace)
        + scripts
        + functions
        + (clients)
    )


def set_maxmemory(server: Any, limit: int) -> None:
    """CONFIG SET maxmemory: track the dataset while a limit is set (every command then
    checks it), and evict at once when already above it."""
    server.config.maxmemory = limit
    set_server_condition(server, "maxmemory", limit > 0)
    if limit > 0 and server.accountant is None:
        server.accountant = Accountant(server.keyspace, _stamper(server))
        server.accountant.attach()
    elif limit == 0 and server.accountant is not None:
        server.accountant.detach()
        server.accountant = None
    if limit > 0 and not server.loading and used_memory(server) > limit:
        perform_evictions(server, None)


def _stamper(server: Any) -> Callable[[Any, bytes, bool], None]:
    def stamp(db: Any, key: bytes, existed: bool) -> None:
        lru = db.lru
        if "lfu" in server.config.maxmemory_policy:
            if not existed or key not in lru:
                lru[key] = (((server.clock.time_ms() // 60000) & 0xFFFF) << 8) | LFU_INIT_VAL
        else:
            lru[key] = server.clock.time_ms() // 1000

    return stamp


def perform_evictions(server: Any, client: Any) -> bool:
    """performEvictions: delete keys by the policy until used memory is under maxmemory;
    False (EVICT_FAIL) when it stays above (noeviction, or nothing left to evict)."""
    limit = server.config.maxmemory
    if not limit or server.loading or server.busy_script is not None:
        return True
    acc = server.accountant
    if acc is None:
        return True
    acc.settle()
    ks = server.keyspace
    scripts, functions = scripts_memory(server)
    fixed = STARTUP + scripts + functions

    def used() -> int:
        return fixed + sum(d.total for d in acc.dbs) + overhead(ks)

    if used() <= limit:
        server.eviction.exceeded_since = None
        return True
    policy = server.config.maxmemory_policy
    if policy == "noeviction":
        return False
    state = server.eviction
    samples = max(1, int(server.extra_config.get("maxmemory-samples", 5)))
    now_ms = server.clock.time_ms()
    decay_time = server.lfu_decay_time

    def decay(packed: int | None) -> int:
        return lfu_decayed(packed, now_ms, decay_time)

    while used() > limit:
        victim = pick_victim(state, policy, ks, acc, samples, now_ms, decay, int(server.start_time))
        if victim is None:
            return False
        db, key = victim
        db.delete(key)
        acc.forget(db, key)
        state.evicted_keys += 1
        notify.key_evicted(ks, db, key)
        if client is not None:
            client.log_write(db.id, [b"DEL", key])
        else:
            server.log_commands([(db.id, [b"DEL", key])])
    return True


__all__ = [
    "Accountant",
    "OOM_ERROR",
    "perform_evictions",
    "set_maxmemory",
    "used_memory",
    "EvictionState",
    "LFU_INIT_VAL",
    "POLICIES",
    "STARTUP",
    "estimate_dataset",
    "object_size",
    "overhead",
    "pick_victim",
    "register_sizer",
    "usage",
]
