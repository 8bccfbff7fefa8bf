"""db.c's key lookups as commands make them: the live value of a key (expiring it first
when its deadline passed), counted as a hit or miss and marked as accessed."""

from __future__ import annotations

from typing import Any

from polystack.redis.errors import WRONGTYPE
from polystack.redis.notify import NOTIFY_GENERIC, NOTIFY_NEW, key_miss, notify
from polystack.redis.objects import new_stamp, touch


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
        if not nonotify and client.ks.notify_classes:
            key_miss(client, key)
    else:
        client.ks.keyspace_hits += 1
        if not notouch:
            touch(client, key)
    return v


def read_typed(client: Any, key: bytes, cls: type) -> Any:
    """lookupKeyRead plus checkType: the value (of class ``cls``) or None."""
    v = lookup_read(client, key)
    if v is None or type(v) is cls:
        return v
    raise WRONGTYPE


def write_typed(client: Any, key: bytes, cls: type) -> Any:
    """lookupKeyWrite plus checkType: the value (of class ``cls``) or None."""
    db = client.db
    v = db.get(key, client.now_ms()) if db.expires else db.data.get(key)
    if v is None:
        return None
    if type(v) is not cls:
        raise WRONGTYPE
    touch(client, key)
    return v


def db_add(client: Any, key: bytes, value: Any) -> None:
    """dbAdd: a new key (its access time starts now; clients blocked on it may be served)."""
    db = client.db
    db.data[key] = value
    db.lru[key] = new_stamp(client)
    ks = client.ks
    if db.blocking_keys:
        ks.signal_key_as_ready(db, key)
    if ks.notify_classes & NOTIFY_NEW:
        notify(client, NOTIFY_NEW, b"new", key)


def db_delete(client: Any, key: bytes) -> None:
    """dbDelete of a collection that became empty, with its "del" event."""
    client.db.delete(key)
    notify(client, NOTIFY_GENERIC, b"del", key)
