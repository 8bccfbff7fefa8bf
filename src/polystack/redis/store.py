"""The keyspace: Redis's numbered databases of keys, values and expiry deadlines.

Knows nothing of the wire.  String values are ``bytes``; other types register
their Python class and Redis type name in :data:`TYPE_NAMES`.  Expiry is lazy
(a read of an expired key deletes it) plus active: every deadline also sits in a
heap, and :meth:`Keyspace.active_expire_cycle` (run ``hz`` times a second)
removes keys whose deadlines have passed, within a time budget.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TYPE_NAMES: dict[type, str] = {bytes: "string"}


def type_name(value: Any) -> str:
    return TYPE_NAMES.get(type(value), "none")


@dataclass(slots=True)
class EncodingLimits:
    """The thresholds that choose a value's encoding (CONFIG SET hash-max-listpack-entries
    and friends); the keyspace's, as Redis keeps them in ``server``."""

    hash_max_listpack_entries: int = 512
    hash_max_listpack_value: int = 64
    set_max_intset_entries: int = 512
    zset_max_listpack_entries: int = 128
    zset_max_listpack_value: int = 64
    list_max_listpack_size: int = -2
    list_compress_depth: int = 0
    stream_node_max_bytes: int = 4096
    stream_node_max_entries: int = 100
    packed_threshold: int = 1 << 30  # DEBUG QUICKLIST-PACKED-THRESHOLD


class Database:
    """One numbered database (SELECT n)."""

    __slots__ = (
        "id", "data", "expires", "heap", "lru", "expired_keys", "blocking_keys", "replica",
        "on_expired", "ready_sink",
    )  # fmt: skip

    def __init__(self, db_id: int) -> None:
        self.id = db_id
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}  # key -> absolute deadline in ms
        self.heap: list[tuple[int, bytes]] = []  # (deadline, key); stale entries skipped
        self.lru: dict[bytes, int] = {}  # key -> last access (LRU clock seconds)
        self.expired_keys = 0
        # key -> clients blocked on it, in arrival order (db->blocking_keys)
        self.blocking_keys: dict[bytes, list[Any]] = {}
        # On a replica (1), a key past its deadline reads as missing but stays until the
        # master's DEL arrives; the master's own commands (2) still see it (expireIfNeeded).
        self.replica = 0
        # Called as on_expired(db, key) after a key is deleted because its deadline passed
        # (keyspace notifications, WATCH, memory accounting: see notify.key_expired; a
        # master propagates the deletion to its replicas as a DEL).
        self.on_expired: Any = None
        # signalKeyAsReady (the keyspace's): a stream that clients wait on in XREADGROUP is
        # deleted or replaced, so they must be woken (with an error, or served by the new one)
        self.ready_sink: Callable[[Database, bytes], None] | None = None

    def __len__(self) -> int:
        return len(self.data)

    # -- expiry ----------------------------------------------------------
    def set_expire(self, key: bytes, when_ms: int) -> None:
        self.expires[key] = when_ms
        heapq.heappush(self.heap, (when_ms, key))
        if len(self.heap) > 2 * len(self.expires) + 1024:
            self.heap = [(w, k) for k, w in self.expires.items()]
            heapq.heapify(self.heap)

    def persist(self, key: bytes) -> bool:
        return self.expires.pop(key, None) is not None

    def is_expired(self, key: bytes, now_ms: int) -> bool:
        when = self.expires.get(key)
        return when is not None and when <= now_ms

    def get(self, key: bytes, now_ms: int) -> Any:
        """The live value of ``key`` (deleting it if its deadline passed), or None."""
        if self.expires:
            when = self.expires.get(key)
            if when is not None and when <= now_ms:
                if self.replica:
                    return self.data.get(key) if self.replica == 2 else None
                self.delete(key)
                self.expired_keys += 1
                if self.on_expired is not None:
                    self.on_expired(self, key)
                return None
        return self.data.get(key)

    def exists(self, key: bytes, now_ms: int) -> bool:
        return self.get(key, now_ms) is not None

    def stream_replaced(self, key: bytes) -> None:
        """The value of ``key`` is about to be deleted or overwritten: if it is a stream that
        clients are blocked on, signal the key (dbOverwrite/dbGenericDelete)."""
        if (
            key in self.blocking_keys
            and self.ready_sink is not None
            and TYPE_NAMES.get(type(self.data.get(key))) == "stream"
        ):
            self.ready_sink(self, key)

    def set(self, key: bytes, value: Any, keep_ttl: bool = False) -> None:
        """Store ``value``; a plain SET clears the key's deadline unless ``keep_ttl``."""
        if self.blocking_keys:
            self.stream_replaced(key)
        self.data[key] = value
        if not keep_ttl and self.expires:
            self.expires.pop(key, None)

    def delete(self, key: bytes) -> bool:
        if self.blocking_keys:
            self.stream_replaced(key)
        if self.data.pop(key, None) is None:
            return False
        if self.expires:
            self.expires.pop(key, None)
        self.lru.pop(key, None)
        return True

    def ttl_ms(self, key: bytes, now_ms: int) -> int:
        """Redis's TTL semantics: -2 missing, -1 no deadline, else milliseconds left."""
        if self.get(key, now_ms) is None:
            return -2
        when = self.expires.get(key)
        if when is None:
            return -1
        return max(0, when - now_ms)

    def clear(self) -> int:
        for key in list(self.blocking_keys):  # scanDatabaseForDeletedStreams
            self.stream_replaced(key)
        n = len(self.data)
        self.data = {}
        self.expires = {}
        self.heap = []
        self.lru = {}
        return n

    def expire_due(
        self, now_ms: int, budget_s: float, monotonic: Callable[[], float] = time.perf_counter
    ) -> int:
        """Delete keys whose deadlines passed, for at most ``budget_s`` seconds of
        ``monotonic`` (the server's clock)."""
        heap = self.heap
        expires = self.expires
        removed = 0
        stop = monotonic() + budget_s
        while heap and heap[0][0] <= now_ms:
            when, key = heapq.heappop(heap)
            if expires.get(key) == when:
                self.delete(key)
                self.expired_keys += 1
                if self.on_expired is not None:
                    self.on_expired(self, key)
                removed += 1
                if removed % 64 == 0 and monotonic() > stop:
                    break
        return removed

    def avg_ttl(self, now_ms: int) -> int:
        if not self.expires:
            return 0
        sample = list(self.expires.values())[:64]
        return max(0, sum(w - now_ms for w in sample) // len(sample))


class Keyspace:
    """All databases plus the counters INFO reports about them."""

    def __init__(self, databases: int = 16) -> None:
        self.dbs = [Database(i) for i in range(databases)]
        for db in self.dbs:
            db.ready_sink = self.signal_key_as_ready
        self.dirty = 0  # changes since the last snapshot
        self.keyspace_hits = 0
        self.keyspace_misses = 0
        self.limits = EncodingLimits()
        # Keys that got a value while clients were blocked on them (server.ready_keys): the
        # session serves those clients after the command that made them ready (or after the
        # whole MULTI/EXEC or script).
        self.ready_keys: list[tuple[Database, bytes]] = []
        # What the keyspace tells the rest of the server (see polystack.redis.notify): the
        # notify-keyspace-events classes that are on and where events go (pub/sub), and who
        # listens to key changes (WATCH, client tracking, memory accounting), flushes and
        # SWAPDB.  Empty tuples when no one listens, so a write pays an empty loop.
        self.notify_classes = 0
        self.event_sink: Any = None  # fn(class, event: bytes, key, db_id)
        self.key_listeners: tuple = ()  # fn(client or None, db, key): signalModifiedKey
        self.flush_listeners: tuple = ()  # fn(db_id or -1): before FLUSHDB/FLUSHALL
        self.swap_listeners: tuple = ()  # fn(a, b): before SWAPDB a b
        # While class n (new key) notifications are on: the keys the running command names
        # that did not exist yet (see notify._announce_new_keys).
        self.new_candidates: list[tuple[Database, bytes]] = []

    @property
    def expired_keys(self) -> int:
        return sum(db.expired_keys for db in self.dbs)

    def set_expired_listener(self, fn: Any) -> None:
        """``fn(db, key)`` after any database deletes a key whose deadline passed."""
        for db in self.dbs:
            db.on_expired = fn

    def flushall(self) -> int:
        return sum(db.clear() for db in self.dbs)

    def signal_key_as_ready(self, db: Database, key: bytes) -> None:
        """signalKeyAsReady: a client blocked on ``key`` may be served now."""
        if key in db.blocking_keys:
            entry = (db, key)
            if entry not in self.ready_keys:
                self.ready_keys.append(entry)

    def swap(self, a: int, b: int) -> None:
        da, db_ = self.dbs[a], self.dbs[b]
        # scanDatabaseForDeletedStreams: a stream waited on that the swap takes away
        gone = [
            (d, key)
            for d, other in ((da, db_), (db_, da))
            for key in d.blocking_keys
            if type_name(d.data.get(key)) == "stream" and type_name(other.data.get(key)) != "stream"
        ]
        da.data, db_.data = db_.data, da.data
        da.expires, db_.expires = db_.expires, da.expires
        da.heap, db_.heap = db_.heap, da.heap
        da.lru, db_.lru = db_.lru, da.lru
        for d in (da, db_):  # scanDatabaseForReadyKeys: the waiters stay with the db index
            for key in d.blocking_keys:
                if key in d.data:
                    self.signal_key_as_ready(d, key)
        for d, key in gone:
            self.signal_key_as_ready(d, key)

    def active_expire_cycle(
        self,
        now_ms: int,
        budget_s: float = 0.025,
        monotonic: Callable[[], float] = time.perf_counter,
    ) -> int:
        removed = 0
        for db in self.dbs:
            if db.heap:
                removed += db.expire_due(now_ms, budget_s, monotonic)
        return removed
