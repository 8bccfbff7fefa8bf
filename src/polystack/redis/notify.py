"""What a command tells the rest of the server when it changes the keyspace.

Redis's db.c and notify.c give every write command two calls to make, and polystack's
commands make the same two:

``modified(client, key)`` (signalModifiedKey)
    once for every key the command changed (set, deleted, altered in place).  WATCH marks
    the watchers' transactions as failed, client-side caching sends its invalidation
    messages, memory accounting re-measures the key.

``notify(client, NOTIFY_x, event, key)`` (notifyKeyspaceEvent)
    for each keyspace notification Redis sends: ``NOTIFY_STRING, b"set"``,
    ``NOTIFY_GENERIC, b"del"``, ``NOTIFY_SET, b"sadd"`` ...  When ``notify-keyspace-events``
    enables the class it is published on ``__keyspace@<db>__:<key>`` (K) and
    ``__keyevent@<db>__:<event>`` (E).

Both take an optional ``db`` for a key outside the client's selected database (MOVE, COPY
... DB).  ``key_changed`` makes the usual pair of calls at once.  The server's own changes
(expiry, eviction) go through :func:`key_expired` and :func:`key_evicted`; FLUSHDB/FLUSHALL
call :func:`signal_flushed_db` before emptying anything.

The listeners live on the :class:`~polystack.redis.store.Keyspace` (``key_listeners``,
``flush_listeners``, ``swap_listeners``, ``event_sink`` and ``notify_classes``), so the
calls cost an attribute read and an empty loop when no feature listens.
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


# -- what commands call ------------------------------------------------------------------
def modified(client: Any, key: bytes, db: Any = None) -> None:
    """signalModifiedKey: ``client``'s command changed ``key`` (of its selected db)."""
    for listener in client.ks.key_listeners:
        listener(client, db if db is not None else client.db, key)


def notify(client: Any, kind: int, event: bytes, key: bytes, db: Any = None) -> None:
    """notifyKeyspaceEvent(kind, event, key, the client's db)."""
    ks = client.ks
    if ks.new_candidates:
        _announce_new_keys(ks, (db or client.db, key) if kind == NOTIFY_NEW else None)
    if ks.notify_classes & kind and ks.event_sink is not None:
        ks.event_sink(kind, event, key, db.id if db is not None else client.db_id)


def key_changed(client: Any, db: Any, key: bytes, kind: int, event: bytes) -> None:
    """The usual pair: signalModifiedKey then notifyKeyspaceEvent for ``event``."""
    ks = client.ks
    for listener in ks.key_listeners:
        listener(client, db, key)
    if ks.new_candidates:
        _announce_new_keys(ks, None)
    if ks.notify_classes & kind and ks.event_sink is not None:
        ks.event_sink(kind, event, key, db.id)


def _announce_new_keys(ks: Any, announced: tuple | None) -> None:
    """The ``new`` events (class n) of keys the running command created so far: dbAdd sends
    them as the key is added, before the command's own events.  ``ks.new_candidates`` holds
    the (db, key) pairs the command names that did not exist when it started (the session
    fills it while class n is on); ``announced`` is one the caller reports itself."""
    candidates = ks.new_candidates
    for i in range(len(candidates) - 1, -1, -1):
        db, key = candidates[i]
        if (db, key) == announced:
            del candidates[i]
    for db, key in list(candidates):
        if key in db.data:
            candidates.remove((db, key))
            if ks.event_sink is not None:
                ks.event_sink(NOTIFY_NEW, b"new", key, db.id)


def key_miss(client: Any, key: bytes) -> None:
    """A read found no key: the ``keymiss`` event (class m)."""
    notify(client, NOTIFY_KEY_MISS, b"keymiss", key)


# -- what the server calls ------------------------------------------------------------------
def key_expired(ks: Any, db: Any, key: bytes) -> None:
    """deleteExpiredKeyAndPropagate: the ``expired`` event, then signalModifiedKey."""
    if ks.notify_classes & NOTIFY_EXPIRED and ks.event_sink is not None:
        ks.event_sink(NOTIFY_EXPIRED, b"expired", key, db.id)
    for listener in ks.key_listeners:
        listener(None, db, key)


def key_evicted(ks: Any, db: Any, key: bytes) -> None:
    """performEvictions: signalModifiedKey, then the ``evicted`` event."""
    for listener in ks.key_listeners:
        listener(None, db, key)
    if ks.notify_classes & NOTIFY_EVICTED and ks.event_sink is not None:
        ks.event_sink(NOTIFY_EVICTED, b"evicted", key, db.id)


def signal_flushed_db(ks: Any, db_id: int) -> None:
    """signalFlushedDb: database ``db_id`` (every database for -1) is about to be emptied."""
    for listener in ks.flush_listeners:
        listener(db_id)


def signal_swapdb(ks: Any, a: int, b: int) -> None:
    """SWAPDB a b is about to swap the two databases' contents."""
    for listener in ks.swap_listeners:
        listener(a, b)


def add_listener(ks: Any, kind: str, fn: Any) -> None:
    """Start calling ``fn`` on ``kind`` ("key", "flush" or "swap") signals."""
    attr = kind + "_listeners"
    if fn not in getattr(ks, attr):
        setattr(ks, attr, (*getattr(ks, attr), fn))


def remove_listener(ks: Any, kind: str, fn: Any) -> None:
    attr = kind + "_listeners"
    setattr(ks, attr, tuple(f for f in getattr(ks, attr) if f != fn))


def publisher(pubsub: Any, ks: Any) -> Any:
    """The keyspace's event sink: publish on the keyspace and keyevent channels."""

    def publish_event(kind: int, event: bytes, key: bytes, db_id: int) -> None:
        flags = ks.notify_classes
        if flags & NOTIFY_KEYSPACE:
            pubsub.publish(b"__keyspace@%d__:%b" % (db_id, key), event)
        if flags & NOTIFY_KEYEVENT:
            pubsub.publish(b"__keyevent@%d__:%b" % (db_id, event), key)

    return publish_event
