"""What the Redis keyspace writes to ``runtime/log`` and reads back.

Log records: one record per batch of write commands (the commands one client
sent in one read), ``marshal`` of ``[(db, argv), ...]``.  Commands are logged in
their absolute form (``SET k v PXAT <ms>``, ``PEXPIREAT``), so replaying them
later gives the same deadlines; a key whose deadline passed while the server was
down is gone on the first lookup or expiry cycle.

Snapshot (written as chunks, see ``runtime/journal.py``): a header chunk, ``marshal`` of
``{"version": 2}``, then chunks each holding ``marshal`` of a list of
``(db, key, tag, value, deadline)`` where ``tag`` names the value's codec in :data:`CODECS`
(``"s"`` for strings) and ``deadline`` is -1 for keys without one.  A version-1 snapshot (one
payload, ``{"version": 1, "dbs": [[db, [(key, tag, value, deadline)...]]...]}``) still loads.
"""

from __future__ import annotations

import logging
import marshal
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from polystack.redis.store import Keyspace
from polystack.runtime.journal import chunked

log = logging.getLogger(__name__)

SNAPSHOT_VERSION = 2

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


def dump_keyspace(ks: Keyspace, extra: dict | None = None) -> Iterator[bytes]:
    """The snapshot's chunks: a header (with ``extra``: state kept beside the keys, such as
    the function libraries), then ``marshal`` of lists of ``(db, key, tag, value, deadline)``
    of about 256 KiB each."""
    yield marshal.dumps({**(extra or {}), "version": SNAPSHOT_VERSION})
    yield from chunked(_items(ks), marshal.dumps)


def _items(ks: Keyspace) -> Iterator[tuple]:
    for db in ks.dbs:
        if not db.data:
            continue
        expires = db.expires
        db_id = db.id
        for key, value in db.data.items():
            tag, enc, _ = CODECS[type(value)]
            yield (db_id, key, tag, enc(value), expires.get(key, -1))


def load_keyspace(
    ks: Keyspace, chunks: Iterable[bytes], on_header: Callable[[dict], None] | None = None
) -> int:
    """Load a snapshot's chunks (or a version-1 snapshot's single payload); returns the number
    of keys loaded.  ``on_header`` gets the header (and what ``extra`` put there)."""
    n = 0
    skipped: set[int] = set()
    dbs = ks.dbs
    limits = ks.limits
    for chunk in chunks:
        data = marshal.loads(chunk)
        if isinstance(data, dict):
            version = data.get("version")
            if version == 1:  # the first format: everything in one payload
                items = [(db_id, *item) for db_id, its in data["dbs"] for item in its]
            elif version == SNAPSHOT_VERSION:
                if on_header is not None:
                    on_header(data)
                continue
            else:
                raise ValueError(f"unsupported snapshot version {version}")
        else:
            items = data
        for db_id, key, tag, value, deadline in items:
            if db_id >= len(dbs):
                skipped.add(db_id)
                continue
            db = dbs[db_id]
            db.data[key] = _BY_TAG[tag](value, limits)
            if deadline >= 0:
                db.set_expire(key, deadline)
            n += 1
    for db_id in sorted(skipped):
        log.warning("snapshot has database %d but only %d are configured; skipped", db_id, len(dbs))
    return n


class Replayer(Protocol):
    """What runs a logged command again: the session's client (``Client.replay_command``)."""

    def replay_command(self, db_id: int, argv: list[bytes]) -> bool: ...


def replay(client: Replayer, records: Iterable[bytes]) -> int:
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
