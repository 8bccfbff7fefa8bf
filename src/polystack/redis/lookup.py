"""db.c's key lookups as commands make them: the live value of a key (expiring it first
when its deadline passed), counted as a hit or miss and marked as accessed."""

from __future__ import annotations

from typing import Any

from polystack.redis.notify import key_miss
from polystack.redis.objects import touch


def lookup_write(client: Any, key: bytes) -> Any:
    """lookupKeyWrite: the live value (expiring the key first), marked as accessed."""
    db = client.db
    v = db.get(key, client.now_ms()) if db.expires else db.data.get(key)
    if v is not None:
        touch(client, key)
    return v


def lookup_read(client: Any, key: bytes, notouch: bool = False, nonotify: bool = False) -> Any:
    """lookupKeyRead: the live value (expiring the key first), counted as a keyspace hit or
    miss for INFO (a miss also sends the ``keymiss`` event unless ``nonotify``), and marked
    as accessed unless ``notouch`` (LOOKUP_NOTOUCH)."""
    db = client.db
    v = db.get(key, client.now_ms()) if db.expires else db.data.get(key)
    if v is None:
        client.ks.keyspace_misses += 1
        if not nonotify and client.server.notify_keyspace_events:
            key_miss(client, key)
    else:
        client.ks.keyspace_hits += 1
        if not notouch:
            touch(client, key)
    return v
