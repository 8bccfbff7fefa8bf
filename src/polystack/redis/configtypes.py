"""The value types of Redis's configuration parameters (config.c's typeInterface): booleans,
numbers (integer, memory, percent and octal forms, with C's signed/unsigned range checks),
enums, strings and the special multi-word ones, with the error texts Redis 7.0 gives.

A :class:`Param` parses the words of a CONFIG SET value into a Python value, formats the
live value for CONFIG GET, and reads/writes it where it lives: a dotted attribute path from
the Redis service (``bind="config.maxmemory"``), or else the service's ``extra_config``
(parameters that are stored and reported but change nothing in polystack).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LLONG_MAX = (1 << 63) - 1
LLONG_MIN = -(1 << 63)
ULLONG_MAX = (1 << 64) - 1
INT_MAX = (1 << 31) - 1
INT_MIN = -(1 << 31)
UINT_MAX = (1 << 32) - 1
LONG_MAX = LLONG_MAX
SSIZE_MAX = LLONG_MAX

# Parameter flags (config.c)
IMMUTABLE = 1
PROTECTED = 2
SENSITIVE = 4
DENY_LOADING = 8
MULTI_ARG = 16
HIDDEN = 32

# Numeric forms
INTEGER = 0
MEMORY = 1
PERCENT = 2
OCTAL = 4

# What a parameter does in polystack (for the documentation)
LIVE = "live"
STORED = "stored"


class InvalidValue(Exception):
    """A value CONFIG SET refuses; the message is Redis's reason text."""


@dataclass(slots=True)
class Param:
    name: str
    kind: str  # bool, numeric, enum, string, special
    default: Any
    parse: Callable[[list[bytes]], Any]
    format: Callable[[Any], bytes]
    alias: str | None = None
    flags: int = 0
    bind: str | None = None  # dotted attribute path from the service; None: extra_config
    apply: Callable[[Any], None] | None = None  # after a change: fn(service), may raise
    effect: str = STORED
    note: str = ""
    getter: Callable[[Any], Any] | None = None  # overrides bind for reading
    setter: Callable[[Any, Any], None] | None = None  # overrides bind for writing
    extra: dict = field(default_factory=dict)

    def read(self, server: Any) -> Any:
        if self.getter is not None:
            return self.getter(server)
        if self.bind is None:
            return server.extra_config.get(self.name, self.default)
        obj = server
        for part in self.bind.split("."):
            obj = getattr(obj, part)
        return obj

    def write(self, server: Any, value: Any) -> None:
        if self.setter is not None:
            self.setter(server, value)
            return
        if self.bind is None:
            server.extra_config[self.name] = value
            return
        *path, last = self.bind.split(".")
        obj = server
        for part in path:
            obj = getattr(obj, part)
        setattr(obj, last, value)

    def get(self, server: Any) -> bytes:
        return self.format(self.read(server))

    def split(self, value: bytes) -> list[bytes]:
        """The words of a CONFIG SET value (sdssplitlen on single spaces for multi-word
        parameters: "" is no word at all, two spaces make an empty word)."""
        if not self.flags & MULTI_ARG:
            return [value]
        return value.split(b" ") if value else []


# -- parsing helpers ----------------------------------------------------------------------
def string2ll(v: bytes) -> int | None:
    """util.c's string2ll: optional '-', digits without leading zeros, 64-bit range."""
    if not v or len(v) > 20:
        return None
    body = v[1:] if v[:1] == b"-" else v
    if not body or not body.isdigit() or (body[:1] == b"0" and len(body) > 1):
        return None
    if v == b"-0":
        return None
    n = int(v)
    return n if LLONG_MIN <= n <= LLONG_MAX else None


_UNITS = {
    b"": 1,
    b"b": 1,
    b"k": 1000,
    b"kb": 1024,
    b"m": 1000 * 1000,
    b"mb": 1024 * 1024,
    b"g": 1000 * 1000 * 1000,
    b"gb": 1024 * 1024 * 1024,
}


def memtoull(v: bytes) -> int | None:
    """util.c's memtoull: digits then an optional unit (b, k, kb, m, mb, g, gb in any case);
    no digits reads as 0, too many saturate (strtoull) and the product wraps as in C."""
    if v[:1] == b"-":
        return None
    i = 0
    while i < len(v) and 0x30 <= v[i] <= 0x39:
        i += 1
    mul = _UNITS.get(v[i:].lower())
    if mul is None or i >= 128:
        return None
    digits = v[:i]
    val = min(int(digits), ULLONG_MAX) if digits else 0
    return (val * mul) & ULLONG_MAX


def _signed64(u: int) -> int:
    return u - (1 << 64) if u > LLONG_MAX else u


# -- the types ------------------------------------------------------------------------------
def boolean(name: str, default: bool, **kw: Any) -> Param:
    def parse(words: list[bytes]) -> bool:
        low = words[0].lower()
        if low == b"yes":
            return True
        if low == b"no":
            return False
        raise InvalidValue("argument must be 'yes' or 'no'")

    return Param(name, "bool", default, parse, lambda v: b"yes" if v else b"no", **kw)


def numeric(
    name: str,
    lo: int,
    hi: int,
    default: int,
    form: int = INTEGER,
    unsigned: bool = False,
    **kw: Any,
) -> Param:
    """createIntConfig and friends: ``unsigned`` types (unsigned int, size_t, unsigned long
    long ...) compare the C value as unsigned."""

    def parse(words: list[bytes]) -> int:
        v = words[0]
        value: int | None = None
        if form & MEMORY:
            u = memtoull(v)
            if u is not None:
                value = _signed64(u)
        if value is None and form & PERCENT and len(v) > 1 and v.endswith(b"%"):
            p = string2ll(v[:-1])
            if p is not None and p >= 0:
                value = -p
        if value is None and form & OCTAL:
            try:
                value = int(v, 8) if v and v.lstrip(b"-+").isdigit() else None
            except ValueError:
                value = None
        if value is None and form == INTEGER:
            value = string2ll(v)
        if value is None:
            if form & MEMORY and form & PERCENT:
                raise InvalidValue("argument must be a memory or percent value")
            if form & MEMORY:
                raise InvalidValue("argument must be a memory value")
            if form & OCTAL:
                raise InvalidValue("argument couldn't be parsed as an octal number")
            raise InvalidValue("argument couldn't be parsed into an integer")
        if unsigned:
            u = value & ULLONG_MAX
            if not lo <= u <= hi:
                if form & OCTAL:
                    raise InvalidValue(f"argument must be between {lo:o} and {hi:o} inclusive")
                raise InvalidValue(f"argument must be between {lo} and {hi} inclusive")
            return u
        if form & PERCENT and value < 0:
            if value < lo:
                raise InvalidValue(f"percentage argument must be less or equal to {-lo}")
            return value
        if not lo <= value <= hi:
            raise InvalidValue(f"argument must be between {lo} and {hi} inclusive")
        return value

    def fmt(value: int) -> bytes:
        if form & PERCENT and value < 0:
            return b"%d%%" % -value
        if form & MEMORY:
            return b"%d" % (value & ULLONG_MAX)
        if form & OCTAL:
            return b"%o" % value
        return b"%d" % value

    p = Param(name, "numeric", default, parse, fmt, **kw)
    p.extra.update(lo=lo, hi=hi, form=form)
    return p


def enum(name: str, choices: tuple[str, ...], default: str, **kw: Any) -> Param:
    """createEnumConfig; ``choices`` may repeat a value as ``"yes=relative"`` (an alias name
    that reads back as the first name of its value)."""
    names: list[str] = []
    canonical: dict[str, str] = {}
    for c in choices:
        shown, _, same = c.partition("=")
        names.append(shown)
        canonical[shown] = same or shown

    def parse(words: list[bytes]) -> str:
        want = words[0].decode("latin-1").lower()
        for n in names:
            if n.lower() == want:
                return canonical[n]
        raise InvalidValue("argument(s) must be one of the following: " + ", ".join(names))

    def fmt(value: str) -> bytes:
        for n in names:
            if canonical[n] == value:
                return n.encode()
        return b"unknown"

    return Param(name, "enum", default, parse, fmt, **kw)


def string(
    name: str, default: bytes, check: Callable[[bytes], None] | None = None, **kw: Any
) -> Param:
    def parse(words: list[bytes]) -> bytes:
        if check is not None:
            check(words[0])
        return words[0]

    return Param(name, "string", default, parse, lambda v: v, **kw)


def special(
    name: str,
    default: Any,
    parse: Callable[[list[bytes]], Any],
    fmt: Callable[[Any], bytes],
    **kw: Any,
) -> Param:
    return Param(name, "special", default, parse, fmt, **kw)
