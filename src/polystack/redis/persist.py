"""What the Redis keyspace writes to ``runtime/log`` and reads back.

Log records: one record per batch of write commands (the commands one client
sent in one read), ``marshal`` of ``[(db, argv), ...]``.  Commands are logged in
their absolute form (``SET k v PXAT <ms>``, ``PEXPIREAT``), so replaying them
later gives the same deadlines; a key whose deadline passed while the server was
down is gone on the first lookup or expiry cycle.

Snapshot: ``marshal`` of ``{"version": 1, "dbs": [[db, [(key, tag, value, deadline)...]]...]}``
where ``tag`` names the value's codec in :data:`CODECS` (``"s"`` for strings)
and ``deadline`` is -1 for keys without one.
"""

from __future__ import annotations

import logging
import marshal
from collections.abc import Callable
from typing import Any, Protocol

from polystack.redis.store import Keyspace

log = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1

# type -> (tag, to marshal-able, from marshal-able given the keyspace's encoding limits)
CODECS: dict[type, tuple[str, Callable[[Any], Any], Callable[[Any, Any], Any]]] = {
    bytes: ("s", lambda v: v, lambda v, limits: v),
}
_BY_TAG = {tag: dec for tag, _, dec in CODECS.values()}


def register_codec(
    cls: type, tag: str, enc: Callable[[Any], Any], dec: Callable[[Any, Any], Any]
) -> None:
    """Snapshot values of ``cls`` as ``enc(value)`` (marshal-able); ``dec(data, limits)``
    builds the value back, choosing its encoding as loading an RDB file would under
    ``limits`` (so DEBUG RELOAD converts encodings as Redis's does)."""
    CODECS[cls] = (tag, enc, dec)
    _BY_TAG[tag] = dec


def dump_keyspace(ks: Keyspace) -> bytes:
    dbs = []
    for db in ks.dbs:
        if not db.data:
            continue
        items = []
        expires = db.expires
        for key, value in db.data.items():
            tag, enc, _ = CODECS[type(value)]
            items.append((key, tag, enc(value), expires.get(key, -1)))
        dbs.append([db.id, items])
    return marshal.dumps({"version": SNAPSHOT_VERSION, "dbs": dbs})


def load_keyspace(ks: Keyspace, payload: bytes) -> int:
    data = marshal.loads(payload)
    if data.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"unsupported snapshot version {data.get('version')}")
    n = 0
    for db_id, items in data["dbs"]:
        if db_id >= len(ks.dbs):
            log.warning(
                "snapshot has database %d but only %d are configured; skipped", db_id, len(ks.dbs)
            )
            continue
        db = ks.dbs[db_id]
        limits = ks.limits
        for key, tag, value, deadline in items:
            db.data[key] = _BY_TAG[tag](value, limits)
            if deadline >= 0:
                db.set_expire(key, deadline)
            n += 1
    return n


class Replayer(Protocol):
    """What runs a logged command again: the session's client (``Client.replay_command``)."""

    def replay_command(self, db_id: int, argv: list[bytes]) -> bool: ...


def replay(client: Replayer, records: list[bytes]) -> int:
    """Re-run logged commands through ``client``; returns how many ran."""
    n = 0
    for record in records:
        try:
            batch = marshal.loads(record)
        except (ValueError, EOFError, TypeError):
            log.warning("skipping an unreadable log record of %d bytes", len(record))
            continue
        for db_id, argv in batch:
            if client.replay_command(db_id, argv):
                n += 1
    return n
