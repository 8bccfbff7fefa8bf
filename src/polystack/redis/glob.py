"""Redis's glob-style matching (util.c ``stringmatchlen``) for KEYS, SCAN MATCH and friends.

``*`` any run of bytes, ``?`` one byte, ``[abc]`` / ``[^abc]`` / ``[a-z]`` a class (ranges
may be reversed; an unterminated class ends at the end of the pattern), ``\\x`` the byte
``x``.  Bytes compare as C's signed ``char``, as Redis does; ``nocase`` folds ASCII letters.
A pattern nested deeper than 1000 ``*`` levels never matches (Redis's abuse guard).

:func:`compile_pattern` returns a fast predicate: patterns made only of literals, ``?`` and
``*`` go through :mod:`re` (identical semantics for them); everything else runs the
faithful port :func:`stringmatch`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

# stringmatch recurses once per '*' level, up to Redis's 1000-level guard.
if sys.getrecursionlimit() < 4000:
    sys.setrecursionlimit(4000)

_MAX_NESTING = 1000


def _signed(c: int) -> int:
    return c - 256 if c >= 128 else c


def _lower(c: int) -> int:
    return c + 32 if 65 <= c <= 90 else c


def stringmatch(pattern: bytes, string: bytes, nocase: bool = False) -> bool:
    """True when ``string`` matches the glob ``pattern`` exactly as Redis 7.0 decides."""
    skip = [False]
    return _match(pattern, 0, string, 0, nocase, skip, 0)


def _match(pat: bytes, p: int, s: bytes, i: int, nocase: bool, skip: list[bool], nest: int) -> bool:
    if nest > _MAX_NESTING:
        return False
    plen = len(pat)
    slen = len(s)

    def at(k: int) -> int:  # the byte at k, or the C string's terminating NUL
        return pat[k] if k < plen else 0

    while p < plen and i < slen:
        c = pat[p]
        if c == 0x2A:  # '*'
            while p < plen and at(p + 1) == 0x2A:
                p += 1
            if plen - p == 1:
                return True
            while i < slen:
                if _match(pat, p + 1, s, i, nocase, skip, nest + 1):
                    return True
                if skip[0]:
                    return False
                i += 1
            skip[0] = True
            return False
        elif c == 0x3F:  # '?'
            i += 1
        elif c == 0x5B:  # '['
            p += 1
            negate = at(p) == 0x5E
            if negate:
                p += 1
            matched = False
            sc = s[i]
            while True:
                if at(p) == 0x5C and plen - p >= 2:
                    p += 1
                    if pat[p] == sc:
                        matched = True
                elif at(p) == 0x5D:
                    break
                elif p >= plen:
                    p -= 1
                    break
                elif plen - p >= 3 and pat[p + 1] == 0x2D:
                    start, end, ch = _signed(pat[p]), _signed(pat[p + 2]), _signed(sc)
                    if start > end:
                        start, end = end, start
                    if nocase:
                        start, end, ch = _lower(start), _lower(end), _lower(ch)
                    p += 2
                    if start <= ch <= end:
                        matched = True
                elif nocase:
                    if _lower(pat[p]) == _lower(sc):
                        matched = True
                elif pat[p] == sc:
                    matched = True
                p += 1
            if negate:
                matched = not matched
            if not matched:
                return False
            i += 1
        else:
            if c == 0x5C and plen - p >= 2:  # '\\'
                p += 1
                c = pat[p]
            if nocase:
                if _lower(c) != _lower(s[i]):
                    return False
            elif c != s[i]:
                return False
            i += 1
        p += 1
        if i == slen:
            while at(p) == 0x2A:
                p += 1
            break
    return p >= plen and i == slen


_SIMPLE = re.compile(rb"[^\[\]\\]*")


def compile_pattern(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A predicate ``key -> bool`` equivalent to :func:`stringmatch` with ``pattern``."""
    if pattern == b"*":  # Redis's callers skip matching for exactly "*" (even the empty key)
        return lambda key: True
    if _SIMPLE.fullmatch(pattern) and b"\x00" not in pattern:
        if b"*" not in pattern and b"?" not in pattern and not nocase:
            return pattern.__eq__
        parts = []
        for ch in re.split(rb"(\*+|\?)", pattern):
            if not ch:
                continue
            if ch[0] == 0x2A:
                parts.append(b".*")
            elif ch == b"?":
                parts.append(b".")
            else:
                parts.append(re.escape(ch))
        if sum(1 for x in parts if x == b".*") <= 2:  # more stars: regex backtracking can explode
            # re.IGNORECASE on bytes folds ASCII letters only, as tolower() in the C locale
            flags = re.DOTALL | (re.IGNORECASE if nocase else 0)
            fullmatch = re.compile(b"".join(parts), flags).fullmatch
            empty = not pattern  # Redis matches an empty key only with an empty pattern
            return lambda key: fullmatch(key) is not None if key else empty
    return lambda key: stringmatch(pattern, key, nocase)
