"""slot -> keys of a cluster node's database (cluster.c's ``slot_to_keys``, which Redis threads
through its dict entries): CLUSTER COUNTKEYSINSLOT and GETKEYSINSLOT, SETSLOT's and an UPDATE's
"keys still in this slot" without a walk of the whole keyspace each time.

Built by one walk on first use, then kept current from the writes the server logs: every change
to the dataset reaches the log (and the replicas) as commands naming their keys, so the request
path only hands each batch's log entries over (one ``list.extend`` per batch, nothing while no
index exists) and they are applied when the index is next read.  The index is dropped and
rebuilt by a walk when it cannot be trusted: the database was replaced (FLUSHALL, a full
resynchronization, a load), a logged write names no keys and is not known to leave them alone,
its key count differs from the database's, or the backlog of writes outgrew the index (then the
walk is cheaper, and the memory is given back).

Like Redis, a slot's keys are listed newest first (a key deleted and created again while the
index follows writes keeps its earlier place: the log does not tell that from an overwrite).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from polystack.redis.cluster.slots import key_hash_slot

log = logging.getLogger(__name__)

# Logged commands without keys that never add or remove a key of the database.
_KEYLESS = frozenset((b"multi", b"exec", b"select", b"ping", b"publish", b"spublish",
                      b"function", b"script"))  # fmt: skip
# The backlog (logged writes not applied yet) is dropped beyond this many entries plus the
# number of keys indexed.
BACKLOG_SLACK = 10_000


class SlotKeys:
    """The slot -> keys index of database 0 (the only one in cluster mode)."""

    def __init__(
        self,
        keyspace: Any,
        commands_get: Callable[[bytes], Any],
        share: Callable[[list | None], None] = lambda backlog: None,
    ) -> None:
        self.keyspace = keyspace
        # hands the backlog (or None) to the service, which extends it per batch of writes
        self.share = share
        self.commands_get = commands_get  # the server's table: lower-case name -> Command
        self.by_slot: dict[int, dict[bytes, None]] | None = None
        self.count = 0
        self.data: dict[bytes, Any] | None = None  # the database dict the index describes
        # the logged writes not applied yet (the service extends it; None: no index)
        self.backlog: list[tuple[int, list[bytes]]] | None = None
        self.walks = 0  # full builds (tests and INFO-like introspection)

    # -- reading ------------------------------------------------------------------------
    def keys(self, slot: int) -> list[bytes]:
        """The keys of ``slot``, newest first."""
        keys = self._index().get(slot)
        return list(reversed(keys)) if keys else []

    def count_in(self, slot: int) -> int:
        keys = self._index().get(slot)
        return len(keys) if keys else 0

    def _index(self) -> dict[int, dict[bytes, None]]:
        by_slot = self.by_slot
        data: dict[bytes, Any] = self.keyspace.dbs[0].data
        if by_slot is None or data is not self.data:
            return self._walk(data)
        backlog = self.backlog
        if backlog:
            if len(backlog) > self.count // 2 + 64 or not self._apply(backlog, data, by_slot):
                return self._walk(data)
            backlog.clear()
        if self.count != len(data):
            log.debug("slot index out of step (%d keys, %d indexed)", len(data), self.count)
            return self._walk(data)
        return by_slot

    def _walk(self, data: dict[bytes, Any]) -> dict[int, dict[bytes, None]]:
        by_slot: dict[int, dict[bytes, None]] = {}
        for key in data:
            slot = key_hash_slot(key)
            keys = by_slot.get(slot)
            if keys is None:
                by_slot[slot] = {key: None}
            else:
                keys[key] = None
        self.by_slot = by_slot
        self.data = data
        self.count = len(data)
        if self.backlog is None:
            self.backlog = []
            self.share(self.backlog)
        else:
            self.backlog.clear()
        self.walks += 1
        return by_slot

    def _apply(
        self,
        backlog: list[tuple[int, list[bytes]]],
        data: dict[bytes, Any],
        by_slot: dict[int, dict[bytes, None]],
    ) -> bool:
        """Bring the index up to date with the keys the backlog's writes name; False when a
        write cannot be read that way (the caller walks instead)."""
        touched: dict[bytes, None] = {}
        get = self.commands_get
        for db_id, argv in backlog:
            if db_id != 0:
                continue
            name = argv[0].lower()
            cmd = get(name)
            if cmd is None:
                return False
            if cmd.subcommands:
                if name in _KEYLESS:
                    continue
                cmd = cmd.subcommands.get(argv[1].lower()) if len(argv) > 1 else None
                if cmd is None:
                    return False
            try:
                indexes = cmd.key_indexes(argv)
            except Exception:  # a form its key finder cannot read: walk instead
                return False
            if not indexes:
                if name in _KEYLESS:
                    continue
                return False
            for i in indexes:
                touched[argv[i]] = None
        count = self.count
        for key in touched:
            slot = key_hash_slot(key)
            keys = by_slot.get(slot)
            if key in data:
                if keys is None:
                    by_slot[slot] = {key: None}
                    count += 1
                elif key not in keys:
                    keys[key] = None
                    count += 1
            elif keys is not None and key in keys:
                del keys[key]
                count -= 1
                if not keys:
                    del by_slot[slot]
        self.count = count
        return True

    # -- upkeep -------------------------------------------------------------------------
    def cron(self) -> bool:
        """Drop an index whose backlog outgrew it (no one reads it); True if dropped."""
        backlog = self.backlog
        if backlog is not None and len(backlog) > self.count + BACKLOG_SLACK:
            self.drop()
            return True
        return False

    def drop(self) -> None:
        self.by_slot = None
        self.data = None
        self.backlog = None
        self.share(None)
        self.count = 0
