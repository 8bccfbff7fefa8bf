"""The signals a write sends (notify.c's notifyKeyspaceEvent, db.c's signalModifiedKey).

Commands call :func:`notify` and :func:`modified`; they are cheap no-ops until the
keyspace-notification, WATCH or client-tracking features install their sinks on the
:class:`~polystack.redis.store.Keyspace` (``event_sink``, ``modified_sink``) and turn
classes on in ``notify_classes``.  The class bits are those ``notify-keyspace-events``
uses in :mod:`polystack.redis.commands.config`.
"""

from __future__ import annotations

from typing import Any

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
NOTIFY_KEY_MISS = 1 << 12  # m
NOTIFY_MODULE = 1 << 11  # d
NOTIFY_NEW = 1 << 13  # n


def notify(client: Any, kind: int, event: bytes, key: bytes) -> None:
    """notifyKeyspaceEvent(kind, event, key, client's db)."""
    ks = client.ks
    if ks.notify_classes & kind and ks.event_sink is not None:
        ks.event_sink(kind, event, key, client.db.id)


def modified(client: Any, key: bytes) -> None:
    """signalModifiedKey: WATCHers of ``key`` in the client's db see a change."""
    sink = client.ks.modified_sink
    if sink is not None:
        sink(client.db, key)
