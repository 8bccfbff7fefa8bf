"""What a command tells the rest of the server when it changes the keyspace.

Redis's db.c and notify.c give every write command two calls to make, and polystack's
commands make the same two:

``signal_modified_key(client, db, key)`` (signalModifiedKey)
    once for every key the command changed (set, deleted, altered in place, expired).
    WATCH marks the watchers' transactions as failed, client-side caching sends its
    invalidation messages, memory accounting re-measures the key.  ``client`` is the one
    that made the change (``None`` for expiry and eviction).

``keyspace_event(server, NOTIFY_x, event, key, db_id)`` (notifyKeyspaceEvent)
    for each keyspace notification Redis sends: ``NOTIFY_STRING, b"set"``,
    ``NOTIFY_GENERIC, b"del"``, ``NOTIFY_LIST, b"lpush"`` ...  When the class is enabled
    by ``notify-keyspace-events`` it is published on ``__keyspace@<db>__:<key>`` (K) and
    ``__keyevent@<db>__:<event>`` (E).

``signal_flushed_db(server, db_id)`` (signalFlushedDb) is FLUSHDB/FLUSHALL's (``-1``: all).

Whoever needs the signals registers a listener on the server (``server.key_listeners``,
a tuple, empty when no one listens, so an unwatched SET pays one empty loop).
"""

from __future__ import annotations

from typing import Any

# notify-keyspace-events classes (server.h's NOTIFY_*), with their letters.
NOTIFY_KEYSPACE = 1 << 0  # K
NOTIFY_KEYEVENT = 1 << 1  # E
NOTIFY_GENERIC = 1 << 2  # g
NOTIFY_STRING = 1 << 3  # $
NOTIFY_LIST = 1 << 4  # l
NOTIFY_SET = 1 << 5  # s
NOTIFY_HASH = 1 << 6  # h
NOTIFY_ZSET = 1 << 7  # z
NOTIFY_EXPIRED = 1 << 8  # x
NOTIFY_EVICTED = 1 << 9  # e
NOTIFY_STREAM = 1 << 10  # t
NOTIFY_KEY_MISS = 1 << 11  # m (not part of A)
NOTIFY_LOADED = 1 << 12  # modules only
NOTIFY_MODULE = 1 << 13  # d
NOTIFY_NEW = 1 << 14  # n (not part of A)
NOTIFY_ALL = (
    NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE
)

_LETTERS = {
    "A": NOTIFY_ALL,
    "g": NOTIFY_GENERIC,
    "$": NOTIFY_STRING,
    "l": NOTIFY_LIST,
    "s": NOTIFY_SET,
    "h": NOTIFY_HASH,
    "z": NOTIFY_ZSET,
    "x": NOTIFY_EXPIRED,
    "e": NOTIFY_EVICTED,
    "K": NOTIFY_KEYSPACE,
    "E": NOTIFY_KEYEVENT,
    "t": NOTIFY_STREAM,
    "m": NOTIFY_KEY_MISS,
    "d": NOTIFY_MODULE,
    "n": NOTIFY_NEW,
}
_CLASS_ORDER = (
    ("g", NOTIFY_GENERIC),
    ("$", NOTIFY_STRING),
    ("l", NOTIFY_LIST),
    ("s", NOTIFY_SET),
    ("h", NOTIFY_HASH),
    ("z", NOTIFY_ZSET),
    ("x", NOTIFY_EXPIRED),
    ("e", NOTIFY_EVICTED),
    ("t", NOTIFY_STREAM),
    ("d", NOTIFY_MODULE),
    ("n", NOTIFY_NEW),
)


def flags_from_string(classes: bytes) -> int | None:
    """keyspaceEventsStringToFlags: None when a character names no class."""
    flags = 0
    for ch in classes.decode("latin-1"):
        bit = _LETTERS.get(ch)
        if bit is None:
            return None
        flags |= bit
    return flags


def flags_to_string(flags: int) -> str:
    """keyspaceEventsFlagsToString ("A" stands for all of g$lshzxetd)."""
    if flags & NOTIFY_ALL == NOTIFY_ALL:
        out = "A"
    else:
        out = "".join(letter for letter, bit in _CLASS_ORDER if flags & bit)
    if flags & NOTIFY_KEYSPACE:
        out += "K"
    if flags & NOTIFY_KEYEVENT:
        out += "E"
    if flags & NOTIFY_KEY_MISS:
        out += "m"
    return out


def signal_modified_key(client: Any, db: Any, key: bytes) -> None:
    """signalModifiedKey: ``client``'s command changed ``key`` of ``db``."""
    for listener in client.server.key_listeners:
        listener(client, db, key)


def signal_server_change(server: Any, db: Any, key: bytes) -> None:
    """signalModifiedKey(NULL, ...): the server itself changed ``key`` (expiry, eviction)."""
    for listener in server.key_listeners:
        listener(None, db, key)


def signal_modified_keys(server: Any, client: Any, db: Any, keys: Any) -> None:
    """signalModifiedKey for several keys."""
    listeners = server.key_listeners
    if listeners:
        for key in keys:
            for listener in listeners:
                listener(client, db, key)


def signal_flushed_db(server: Any, db_id: int) -> None:
    """signalFlushedDb: every key of database ``db_id`` (all databases for -1) is gone."""
    for listener in server.flush_listeners:
        listener(db_id)


def keyspace_event(server: Any, type_: int, event: bytes, key: bytes, db_id: int) -> None:
    """notifyKeyspaceEvent: publish the event when its class is enabled."""
    flags = server.notify_keyspace_events
    if not flags & type_:
        return
    publish = server.pubsub.publish
    if flags & NOTIFY_KEYSPACE:
        publish(b"__keyspace@%d__:%b" % (db_id, key), event)
    if flags & NOTIFY_KEYEVENT:
        publish(b"__keyevent@%d__:%b" % (db_id, event), key)


def key_changed(client: Any, db: Any, key: bytes, type_: int, event: bytes) -> None:
    """The usual pair: signalModifiedKey then notifyKeyspaceEvent for ``event``."""
    server = client.server
    for listener in server.key_listeners:
        listener(client, db, key)
    if server.notify_keyspace_events & type_:
        keyspace_event(server, type_, event, key, db.id)


def key_miss(client: Any, key: bytes) -> None:
    """A read found no key: the ``keymiss`` event (class m)."""
    server = client.server
    if server.notify_keyspace_events & NOTIFY_KEY_MISS:
        keyspace_event(server, NOTIFY_KEY_MISS, b"keymiss", key, client.db_id)


def key_expired(server: Any, db: Any, key: bytes) -> None:
    """What a key's expiry tells the others (deleteExpiredKeyAndPropagate)."""
    if server.notify_keyspace_events & NOTIFY_EXPIRED:
        keyspace_event(server, NOTIFY_EXPIRED, b"expired", key, db.id)
    for listener in server.key_listeners:
        listener(None, db, key)
