"""WATCH: which clients watch which keys (multi.c's watchedKey tables).

Each database index has ``key -> [WatchedKey, ...]`` (in the order the watches were made);
each client keeps its own list (``client.watched_keys``) and a ``dirty_cas`` flag that a
change to any of its keys sets, making its next EXEC fail.  A key that had already expired
when it was watched counts as absent: its deletion is no change, but a new value is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polystack.redis import notify


@dataclass(slots=True, eq=False)
class WatchedKey:
    key: bytes
    db_id: int
    client: Any
    expired: bool


def key_is_expired(db: Any, key: bytes, now_ms: int) -> bool:
    when = db.expires.get(key)
    return when is not None and when <= now_ms and key in db.data


class Watches:
    """The server's watched-key index: db id -> key -> watches, in arrival order."""

    __slots__ = ("server", "by_db", "count")

    def __init__(self, server: Any) -> None:
        self.server = server
        self.by_db: dict[int, dict[bytes, list[WatchedKey]]] = {}
        self.count = 0

    def _listen(self) -> None:
        """Listen to key changes, flushes and SWAPDB only while some key is watched."""
        ks = self.server.keyspace
        change = notify.add_listener if self.count else notify.remove_listener
        change(ks, "key", self.on_modified)
        change(ks, "flush", self.on_flushed)
        change(ks, "swap", self.on_swapdb)

    def watch(self, client: Any, db: Any, key: bytes, now_ms: int) -> None:
        """watchForKey."""
        for wk in client.watched_keys:
            if wk.db_id == db.id and wk.key == key:
                return
        loading = self.server.loading
        wk = WatchedKey(key, db.id, client, not loading and key_is_expired(db, key, now_ms))
        self.by_db.setdefault(db.id, {}).setdefault(key, []).append(wk)
        client.watched_keys.append(wk)
        self.count += 1
        if self.count == 1:
            self._listen()

    def unwatch_all(self, client: Any) -> None:
        """unwatchAllKeys (the dirty flag is the caller's to clear)."""
        if not client.watched_keys:
            return
        for wk in client.watched_keys:
            keys = self.by_db.get(wk.db_id)
            if keys is None:
                continue
            watchers = keys.get(wk.key)
            if watchers is not None:
                try:
                    watchers.remove(wk)
                except ValueError:
                    pass
                if not watchers:
                    del keys[wk.key]
                    if not keys:
                        del self.by_db[wk.db_id]
            self.count -= 1
        client.watched_keys = []
        if not self.count:
            self._listen()

    def any_expired(self, client: Any, now_ms: int) -> bool:
        """isWatchedKeyExpired: a key that was live when watched has expired since."""
        dbs = self.server.keyspace.dbs
        for wk in client.watched_keys:
            if not wk.expired and key_is_expired(dbs[wk.db_id], wk.key, now_ms):
                return True
        return False

    # -- key listener: signalModifiedKey -> touchWatchedKey ------------------------
    def on_modified(self, client: Any, db: Any, key: bytes) -> None:
        keys = self.by_db.get(db.id)
        if not keys:
            return
        watchers = keys.get(key)
        if not watchers:
            return
        for wk in list(watchers):
            if wk.expired:
                if key not in db.data:
                    wk.expired = False  # the expired key is now deleted: no logical change
                    continue
                break  # as Redis does: the remaining watchers are not touched
            wk.client.dirty_cas = True
            self.unwatch_all(wk.client)

    def on_flushed(self, db_id: int) -> None:
        """touchAllWatchedKeysInDb for FLUSHDB (``db_id``) or FLUSHALL (-1)."""
        if not self.count:
            return
        dbs = self.server.keyspace.dbs
        for dbid in list(self.by_db) if db_id == -1 else [db_id]:
            if dbid < len(dbs):
                self.touch_all_in_db(dbs[dbid], None)

    def on_swapdb(self, a: int, b: int) -> None:
        """SWAPDB a b (called before the swap)."""
        if self.count:
            dbs = self.server.keyspace.dbs
            self.touch_all_in_db(dbs[a], dbs[b])
            self.touch_all_in_db(dbs[b], dbs[a])

    def touch_all_in_db(self, emptied: Any, replaced_with: Any) -> None:
        """touchAllWatchedKeysInDb: ``emptied`` loses its keys (and, for SWAPDB, gets
        ``replaced_with``'s); call it before the data moves."""
        keys = self.by_db.get(emptied.id)
        if not keys:
            return
        now = self.server.clock.time_ms()
        dirty = []
        for key, watchers in list(keys.items()):
            exists_in_emptied = key in emptied.data
            in_replacement = replaced_with is not None and key in replaced_with.data
            if not (exists_in_emptied or in_replacement):
                continue
            for wk in watchers:
                if wk.expired:
                    if not in_replacement:
                        wk.expired = False
                        continue
                    if key_is_expired(replaced_with, key, now):
                        continue
                elif not exists_in_emptied and key_is_expired(replaced_with, key, now):
                    wk.expired = True
                    continue
                dirty.append(wk.client)
        for c in dirty:
            c.dirty_cas = True
