"""Comparing replies of polystack and the real redis-server for scenario tables.

A scenario is a list of commands run on one connection of each (freshly flushed) server.
Replies must be byte-identical, except for commands marked in ``loose``: those are compared
after parsing, with arrays compared as multisets (hash-table order is Redis's own and
random), or only by shape (``shape``: same type and length, for random picks).
"""

from __future__ import annotations

from typing import Any

import hiredis


def parse(raw: bytes) -> Any:
    reader = hiredis.Reader()
    reader.feed(raw)
    return reader.gets()


def _canonical(v: Any) -> Any:
    # sorted reprs, not a Counter: a Counter's repr follows insertion order among equal
    # counts, so nested collections in different orders would not compare equal
    if isinstance(v, list):
        return ("list", tuple(sorted(repr(_canonical(x)) for x in v)))
    if isinstance(v, dict):
        return ("map", tuple(sorted(repr((_canonical(k), _canonical(x))) for k, x in v.items())))
    return v


def _shape(v: Any) -> Any:
    if isinstance(v, list):
        return ("list", len(v))
    if isinstance(v, dict):
        return ("map", len(v))
    if isinstance(v, Exception):
        return ("error", str(v))
    return type(v).__name__


def same_as_unordered(a: bytes, b: bytes) -> bool:
    """Equal as multisets of elements at every level (RESP type markers compared too)."""
    if a[:1] != b[:1]:
        return False
    return _canonical(parse(a)) == _canonical(parse(b))


def check(
    differ: Any,
    commands: list[list],
    resp: int = 2,
    loose: frozenset[str] | set[str] = frozenset(),
    shape: frozenset[str] | set[str] = frozenset(),
) -> None:
    """Run ``commands`` on both servers and compare every reply.

    ``loose``/``shape`` name commands (upper case, e.g. "SMEMBERS") compared as unordered
    collections / by shape only."""
    ours, theirs = differ(commands, resp)
    for cmd, a, b in zip(commands, ours, theirs, strict=True):
        name = str(cmd[0]).upper()
        if a == b:
            continue
        if name in loose and same_as_unordered(a, b):
            continue
        if name in shape and a[:1] == b[:1] and _shape(parse(a)) == _shape(parse(b)):
            continue
        raise AssertionError(f"{cmd!r}: polystack {a!r} != redis {b!r}")
