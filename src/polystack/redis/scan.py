"""HSCAN, SSCAN and ZSCAN (db.c's scanGenericCommand for a value).

A value in a compact encoding (listpack, intset) is returned whole in one call with cursor 0,
as Redis does.  A hash-table encoded value is walked in a fixed order of its elements (a 63-bit
hash of each, then the element): the cursor is the position to resume from, so every element
present for the whole iteration is returned exactly once and the cursor stays valid however
the value changes between calls.  The order is built once per iteration and cached.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from typing import Any

from polystack.redis.args import parse_int
from polystack.redis.errors import SYNTAX, err
from polystack.redis.glob import compile_pattern

_HASH_MASK = (1 << 63) - 1
_CURSOR_RE = re.compile(rb"([+-]?)([0-9]+)")
_ULONG_MAX = (1 << 64) - 1
_CACHE_SIZE = 16
# id(value) -> (value, sorted positions, elements in that order); rebuilt when an iteration
# starts (cursor 0), so it holds every element present since then.
_ORDER: dict[int, tuple[Any, list[int], list[Any]]] = {}


def position(element: bytes) -> int:
    return (hash(element) & _HASH_MASK) or 1


def parse_cursor(arg: bytes) -> int:
    """parseScanCursorOrReply: strtoul, refusing leading spaces, junk and overflow ("" is 0,
    "-1" wraps around as in C)."""
    if not arg:
        return 0
    m = _CURSOR_RE.fullmatch(arg)
    if m is None:
        raise err("invalid cursor")
    v = int(m.group(2))
    if v > _ULONG_MAX:
        raise err("invalid cursor")
    return (-v) & _ULONG_MAX if m.group(1) == b"-" else v


def parse_options(argv: list[bytes], start: int) -> tuple[int, Callable[[bytes], bool] | None]:
    """COUNT and MATCH (scanGenericCommand's option loop for a key's value)."""
    count = 10
    match = None
    i = start
    n = len(argv)
    while i < n:
        opt = argv[i].lower()
        if opt == b"count" and n - i >= 2:
            count = parse_int(argv[i + 1])
            if count < 1:
                raise SYNTAX
        elif opt == b"match" and n - i >= 2:
            pattern = argv[i + 1]
            match = None if pattern == b"*" else compile_pattern(pattern)
        else:
            raise SYNTAX
        i += 2
    return count, match


def _order(value: Any, members: Callable[[], Sequence[Any]]) -> tuple[list, list]:
    cached = _ORDER.get(id(value))
    if cached is None or cached[0] is not value:
        entries = sorted((position(m), m) for m in members())
        cached = (value, [p for p, _ in entries], [m for _, m in entries])
        _ORDER[id(value)] = cached
        while len(_ORDER) > _CACHE_SIZE:
            del _ORDER[next(iter(_ORDER))]
    return cached[1], cached[2]


def scan_hashtable(
    value: Any,
    cursor: int,
    count: int,
    members: Callable[[], Sequence[Any]],
    alive: Callable[[Any], bool],
) -> tuple[int, list[Any]]:
    """About ``count`` elements of a hash-table encoded value from ``cursor`` on, and the
    next cursor (0 at the end).  ``alive`` says whether an element is still in the value."""
    if cursor == 0:
        _ORDER.pop(id(value), None)
    positions, ordered = _order(value, members)
    pos = bisect.bisect_left(positions, cursor)
    total = len(ordered)
    batch = []
    taken = 0
    while pos < total and taken < count:
        if alive(ordered[pos]):
            batch.append(ordered[pos])
        taken += 1
        pos += 1
    while pos < total and taken and positions[pos] == positions[pos - 1]:
        if alive(ordered[pos]):
            batch.append(ordered[pos])
        pos += 1
    return (positions[pos] if pos < total else 0), batch


def reply(cursor: int, elements: list[bytes]) -> list:
    return [b"%d" % cursor, elements]


def filter_pairs(items: list[bytes], match: Callable[[bytes], bool] | None) -> list[bytes]:
    """Keep (field, value) pairs whose field matches."""
    if match is None:
        return items
    out = []
    for i in range(0, len(items), 2):
        if match(items[i]):
            out += items[i : i + 2]
    return out


def filter_members(items: list[bytes], match: Callable[[bytes], bool] | None) -> list[bytes]:
    if match is None:
        return items
    return [m for m in items if match(m)]
