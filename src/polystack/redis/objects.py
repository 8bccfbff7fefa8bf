"""What Redis keeps in each value's object header (``robj``) besides the value: its
encoding (int/embstr/raw, object.c), whether it is a shared integer (its REFCOUNT), and its
access time or frequency (the ``lru`` field: LRU clock seconds, or LFU minutes and counter).

Values are plain ``bytes``; the encoding follows from the bytes except where a command
leaves another one (APPEND and SETRANGE make ``raw`` strings, INCRBYFLOAT ``embstr``
ones, COPY unshared integers): :func:`note_encoding` records those against the object made
by the command.  Access data lives in ``Database.lru``.
"""

from __future__ import annotations

import random
import re
import sys
from typing import Any

OBJ_SHARED_INTEGERS = 10000
OBJ_SHARED_REFCOUNT = (1 << 31) - 1
LLONG_MAX = (1 << 63) - 1
LLONG_MIN = -(1 << 63)
_INT_RE = re.compile(rb"-?[1-9][0-9]*|0")


def is_int_string(b: bytes) -> bool:
    if len(b) > 20 or _INT_RE.fullmatch(b) is None:
        return False
    return LLONG_MIN <= int(b) <= LLONG_MAX


# -- access time (LRU) and frequency (LFU), kept in Database.lru as Redis keeps them in
# robj.lru: LRU clock seconds, or (minutes << 8) | logarithmic counter under an LFU policy.
# The LRU clock is the server's ``lruclock`` (server.lruclock in Redis), refreshed once per
# read of client input and by the server cron, not read from the clock at every access; the
# policy is decided once, when maxmemory-policy changes (``server.lfu``).
LFU_INIT_VAL = 5
_LRU_MASK = (1 << 24) - 1


def lfu_policy(client: Any) -> bool:
    return "lfu" in client.server.config.maxmemory_policy


def policy_changed(server: Any) -> None:
    """maxmemory-policy was set: whether accesses now count frequency (LFU) or time (LRU)."""
    server.lfu = "lfu" in server.config.maxmemory_policy


def refresh_lru_clock(server: Any, now_s: float) -> None:
    """server.lruclock from the time in seconds (the same int object while the second lasts,
    so a million keys stamped together hold one int between them, not a million);
    ``lru_from`` and ``lru_until`` are when that second started and ends, as floats (the
    session compares them with the time on every read: a float with an int costs more)."""
    now = int(now_s)
    if now != server.lruclock:
        server.lruclock = now
    server.lru_from = float(now)
    server.lru_until = float(now + 1)


def _minutes(client: Any) -> int:
    return (client.now_ms() // 60000) & 0xFFFF


def lfu_counter(client: Any, packed: int | None) -> int:
    """LFUDecrAndReturn: the counter after the decay the elapsed minutes call for."""
    if packed is None:
        return LFU_INIT_VAL
    ldt, counter = (packed >> 8) & 0xFFFF, packed & 0xFF
    now = _minutes(client)
    elapsed = now - ldt if now >= ldt else 65535 - ldt + now
    decay = getattr(client.server, "lfu_decay_time", 1)
    periods = elapsed // decay if decay else 0
    return max(0, counter - periods)


def lru_clock(client: Any) -> int:
    """The LRU clock (seconds): the server's, as the last read of client input or the cron
    left it."""
    return client.server.lruclock


def touch(client: Any, key: bytes) -> None:
    """An access: the LRU clock (1-second resolution), or updateLFU under an LFU policy."""
    server = client.server
    if not server.lfu:  # the common case: one store (hot path)
        client.db.lru[key] = server.lruclock
        return
    _touch_lfu(client, key)


def _touch_lfu(client: Any, key: bytes) -> None:
    """updateLFU: decay the counter by the idle minutes, maybe count this access."""
    db = client.db
    counter = lfu_counter(client, db.lru.get(key))
    if counter < 255:
        base = max(0, counter - LFU_INIT_VAL)
        factor = getattr(client.server, "lfu_log_factor", 10)
        if random.random() < 1.0 / (base * factor + 1):
            counter += 1
    db.lru[key] = (_minutes(client) << 8) | counter


def new_stamp(client: Any) -> int:
    """The lru field of a newly created object."""
    server = client.server
    if server.lfu:
        return (_minutes(client) << 8) | LFU_INIT_VAL
    return server.lruclock


def stamp_new(client: Any, key: bytes) -> None:
    client.db.lru[key] = new_stamp(client)


def stamp_overwrite(client: Any, key: bytes, existed: bool) -> None:
    """The lru field of a value SET stores (setKey): a new object's (created now), except that
    under an LFU policy an overwrite keeps the old value's counter after the access
    lookupKeyWrite counted (dbOverwrite)."""
    server = client.server
    if not server.lfu:
        client.db.lru[key] = server.lruclock
    elif existed:
        _touch_lfu(client, key)
    else:
        client.db.lru[key] = (_minutes(client) << 8) | LFU_INIT_VAL


# -- object encodings ----------------------------------------------------------------
# id(value) -> (value, encoding, shared) for values whose encoding or sharing is not what
# Redis would pick for a fresh SET of the same bytes.  Only an object made by the command
# itself carries a note (see fresh()); the empty string is a CPython singleton and cannot.
_NOTES: dict[int, tuple[bytes, str, bool]] = {}
_notes_limit = 4096


def fresh(value: bytes) -> bytes:
    """An equal bytes object that no one else holds (CPython shares 0/1-byte objects)."""
    if len(value) == 1:
        return value[0].to_bytes(1, "big")
    return bytes(bytearray(value)) if value else value


def note_encoding(client: Any, value: bytes, encoding: str, shared: bool = True) -> None:
    global _notes_limit
    if not value or (shared and _default_encoding(value) == encoding):
        return
    _NOTES[id(value)] = (value, encoding, shared)
    if len(_NOTES) > _notes_limit:
        _sweep_notes()
        _notes_limit = max(4096, 2 * len(_NOTES))


def _sweep_notes() -> None:
    """Forget notes on objects nothing else holds any more (the note's own reference, the
    loop variable and getrefcount's argument are the only three left)."""
    for k, (v, _, _) in list(_NOTES.items()):
        if sys.getrefcount(v) <= 3:
            del _NOTES[k]


def _default_encoding(value: bytes) -> str:
    if is_int_string(value):
        return "int"
    return "embstr" if len(value) <= 44 else "raw"


def _note(value: bytes) -> tuple[bytes, str, bool] | None:
    note = _NOTES.get(id(value))
    return note if note is not None and note[0] is value else None


def encoding_of(value: bytes) -> str:
    note = _note(value)
    return note[1] if note is not None else _default_encoding(value)


def refcount_of(client: Any, value: bytes) -> int:
    """Small integers are shared objects in Redis unless an LRU/LFU maxmemory policy is on
    (or the object is a copy: COPY duplicates it)."""
    note = _note(value)
    if note is not None and not note[2]:
        return 1
    if encoding_of(value) == "int" and 0 <= int(value) < OBJ_SHARED_INTEGERS:
        cfg = client.server.config
        if not (cfg.maxmemory and ("lru" in cfg.maxmemory_policy or "lfu" in cfg.maxmemory_policy)):
            return OBJ_SHARED_REFCOUNT
    return 1


def duplicate(client: Any, value: bytes) -> bytes:
    """dupStringObject: the same encoding, never a shared object."""
    if encoding_of(value) != "int" or not 0 <= int(value) < OBJ_SHARED_INTEGERS:
        return value
    copy = fresh(value)
    note_encoding(client, copy, "int", shared=False)
    return copy
