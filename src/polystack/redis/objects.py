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
LFU_INIT_VAL = 5
_LRU_MASK = (1 << 24) - 1


def lfu_policy(client: Any) -> bool:
    return "lfu" in client.server.config.maxmemory_policy


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


_CLOCK = [0]  # the last LRU clock value handed out: keys stamped in one second share it


def lru_clock(client: Any) -> int:
    """The LRU clock (seconds); the same int object while the second lasts, so a million
    keys stamped together hold one int between them, not a million."""
    now = client.now_ms() // 1000
    last = _CLOCK[0]
    if now == last:
        return last
    _CLOCK[0] = now
    return now


def touch(client: Any, key: bytes) -> None:
    """An access: the LRU clock (1-second resolution), or updateLFU under an LFU policy."""
    server = client.server
    db = client.db
    if "lfu" not in server.config.maxmemory_policy:  # the common case, inline (hot path)
        now = client.now_ms() // 1000  # lru_clock(client), inline
        if now != _CLOCK[0]:
            _CLOCK[0] = now
        db.lru[key] = _CLOCK[0]
        return
    if lfu_policy(client):
        counter = lfu_counter(client, db.lru.get(key))
        if counter < 255:
            base = max(0, counter - LFU_INIT_VAL)
            factor = getattr(client.server, "lfu_log_factor", 10)
            if random.random() < 1.0 / (base * factor + 1):
                counter += 1
        db.lru[key] = (_minutes(client) << 8) | counter
    else:
        db.lru[key] = client.now_ms() // 1000


def new_stamp(client: Any) -> int:
    """The lru field of a newly created object."""
    if lfu_policy(client):
        return (_minutes(client) << 8) | LFU_INIT_VAL
    return lru_clock(client)


def stamp_new(client: Any, key: bytes) -> None:
    client.db.lru[key] = new_stamp(client)


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
