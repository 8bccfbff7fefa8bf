"""Go's unicode package predicates and simple case mappings over Python str."""

from __future__ import annotations


def _load_category(c: str) -> str:
    """unicodedata.category, bound on the first call: unicodedata is an extension
    module, not loaded by a render that asks no rune's category."""
    global _category
    from unicodedata import category

    _category = category
    return category(c)


_category = _load_category

_LATIN1_SPACE = frozenset("\t\n\v\f\r \x85\xa0")
_WHITE_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def is_space(c: str) -> bool:
    """unicode.IsSpace."""
    return c in _WHITE_SPACE


def is_upper(c: str) -> bool:
    return _category(c) == "Lu"


def is_lower(c: str) -> bool:
    return _category(c) == "Ll"


def is_title(c: str) -> bool:
    return _category(c) == "Lt"


def is_letter(c: str) -> bool:
    return _category(c)[0] == "L"


def is_digit(c: str) -> bool:
    return _category(c) == "Nd"


def is_number(c: str) -> bool:
    return _category(c)[0] == "N"


def is_punct(c: str) -> bool:
    return _category(c)[0] == "P"


def to_upper(c: str) -> str:
    """unicode.ToUpper (simple mapping: one rune to one rune)."""
    u = c.upper()
    return u if len(u) == 1 else c


def to_lower(c: str) -> str:
    if c == "\u0130":  # the one multi-rune lower mapping; Go's simple mapping is "i"
        return "i"
    u = c.lower()
    return u if len(u) == 1 else c


def to_title(c: str) -> str:
    u = c.title()
    if len(u) == 1:
        return u
    return to_upper(c)


def upper(s: str) -> str:
    """strings.ToUpper."""
    if s.isascii():
        return s.upper()
    return "".join(to_upper(c) for c in s)


def lower(s: str) -> str:
    """strings.ToLower."""
    if s.isascii():
        return s.lower()
    return "".join(to_lower(c) for c in s)


def trim_space(s: str) -> str:
    """strings.TrimSpace."""
    i, j = 0, len(s)
    while i < j and s[i] in _WHITE_SPACE:
        i += 1
    while j > i and s[j - 1] in _WHITE_SPACE:
        j -= 1
    return s[i:j]


def _is_separator(c: str) -> bool:
    if c <= "\x7f":
        return not (c.isalnum() or c == "_")
    if is_letter(c) or is_digit(c):
        return False
    return is_space(c)


def title(s: str) -> str:
    """strings.Title (deprecated in Go, still what Sprig's ``title`` uses)."""
    out = []
    prev = " "
    for c in s:
        out.append(to_title(c) if _is_separator(prev) else c)
        prev = c
    return "".join(out)
