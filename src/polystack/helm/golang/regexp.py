"""Go regexp (RE2 syntax), matched by RE2 itself.

`compile_re2` checks the expression against the RE2 syntax Go accepts and
rejects what Go rejects with Go's own ``error parsing regexp: ...`` text
(backreferences, lookaround, nested repetition, bad escapes, unknown Unicode
class names ...); the accepted text is handed to RE2 (google-re2), which
matches in time linear in the input, with each Unicode class escape spelled as
explicit ranges (``\\p{Letter}``, ``\\p{Greek}`` ... see
:mod:`.regexp_unicode` for the names Go accepts).

`GoRegexp` then implements Go's match iteration rules (FindAll, ReplaceAll,
Split, Expand) over byte offsets.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import re2

from polystack.helm.golang import strconv as gostrconv
from polystack.helm.golang.regexp_unicode import (
    complement,
    re2_class_body,
    unicode_ranges,
)
from polystack.helm.golang.runtime import MAX_VALUE, check_items, check_size

__all__ = ["RegexpError", "GoRegexp", "compile_re2", "quote_meta"]


class RegexpError(ValueError):
    """A regexp/syntax error; str() is Go's ``error parsing regexp: ...``."""


def _err(code: str, expr: str) -> RegexpError:
    return RegexpError(f"error parsing regexp: {code}: `{expr}`")


# the POSIX class names Go knows in [[:name:]]
_POSIX = frozenset(
    ("alnum alpha ascii blank cntrl digit graph lower print punct space upper word xdigit").split()
)


class _Parser:
    """regexp/syntax's parser reduced to what decides acceptance: it walks the
    expression once, raising Go's error for the first construct Go rejects,
    and records the capture groups' names (Go's SubexpNames)."""

    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.t = expr
        self.pos = 0
        self.names: list[str | None] = []

    # -- helpers -----------------------------------------------------------
    def peek(self, k: int = 0) -> str:
        p = self.pos + k
        return self.t[p] if p < len(self.t) else ""

    # -- escapes -----------------------------------------------------------
    def parse_escape(self, in_class: bool) -> tuple[str, str]:
        """At a backslash. Returns (kind, text): ('char', the character),
        ('class', ''), ('assert', '') or ('quote', the quoted text)."""
        start = self.pos
        self.pos += 1
        if self.pos >= len(self.t):
            raise _err("trailing backslash at end of expression", "")
        c = self.t[self.pos]
        self.pos += 1
        if c in "1234567":
            if not (self.peek() and "0" <= self.peek() <= "7"):
                raise _err("invalid escape sequence", self.t[start : self.pos])
        if c in "01234567":
            digits = c
            while len(digits) < 3 and self.peek() and "0" <= self.peek() <= "7":
                digits += self.peek()
                self.pos += 1
            return "char", chr(int(digits, 8))
        if c == "x":
            if self.peek() == "{":
                end = self.t.find("}", self.pos)
                body = self.t[self.pos + 1 : end] if end >= 0 else ""
                if end < 0 or not body or not all(h in "0123456789abcdefABCDEF" for h in body):
                    raise _err(
                        "invalid escape sequence",
                        self.t[start : (end + 1 if end >= 0 else len(self.t))],
                    )
                v = int(body, 16)
                if v > 0x10FFFF:
                    raise _err("invalid escape sequence", self.t[start:end])
                self.pos = end + 1
                return "char", chr(v)
            h = self.t[self.pos : self.pos + 2]
            if len(h) < 2 or not all(x in "0123456789abcdefABCDEF" for x in h):
                raise _err("invalid escape sequence", self.t[start : self.pos + len(h)])
            self.pos += 2
            return "char", chr(int(h, 16))
        simple = {"a": "\a", "f": "\f", "t": "\t", "n": "\n", "r": "\r", "v": "\v"}
        if c in simple:
            return "char", simple[c]
        if c in "dswDSW":
            return "class", ""
        if c in "pP":
            if self.peek() == "{":
                end = self.t.find("}", self.pos)
                if end < 0:
                    raise _err("invalid character class range", self.t[start:])
                name = self.t[self.pos + 1 : end]
                self.pos = end + 1
            else:
                name = self.peek()
                if not name:
                    raise _err("invalid character class range", self.t[start:])
                self.pos += 1
            if name.startswith("^"):
                name = name[1:]
            if unicode_ranges(name) is None:
                raise _err("invalid character class range", self.t[start : self.pos])
            return "class", ""
        if not in_class:
            if c in "AzbB":
                return "assert", ""
            if c == "Q":
                end = self.t.find("\\E", self.pos)
                lit = self.t[self.pos :] if end < 0 else self.t[self.pos : end]
                self.pos = len(self.t) if end < 0 else end + 2
                return "quote", lit
        if c < "\x80" and not c.isalnum():
            return "char", c
        raise _err("invalid escape sequence", self.t[start : self.pos])

    # -- character classes ---------------------------------------------------
    def parse_class(self) -> None:
        start = self.pos
        self.pos += 1  # [
        if self.peek() == "^":
            self.pos += 1
        first = True
        while True:
            if self.pos >= len(self.t):
                raise _err("missing closing ]", self.t[start:])
            c = self.t[self.pos]
            if c == "]" and not first:
                self.pos += 1
                return
            first = False
            if c == "[" and self.t.startswith("[:", self.pos):
                end = self.t.find(":]", self.pos + 2)
                if end >= 0:
                    name = self.t[self.pos + 2 : end]
                    if name.removeprefix("^") not in _POSIX:
                        raise _err("invalid character class range", self.t[self.pos : end + 2])
                    self.pos = end + 2
                    continue
            item_start = self.pos
            lo = self._class_char()
            if lo is None:
                continue
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                hi = self._class_char(range_end=True)
                if hi is None or ord(hi) < ord(lo):
                    raise _err("invalid character class range", self.t[item_start : self.pos])

    def _class_char(self, range_end: bool = False) -> str | None:
        """One character of a class, or None for a class escape (``\\d``, ``\\pL``)."""
        c = self.t[self.pos]
        if c == "\\":
            esc_start = self.pos
            if range_end and self.peek(1) in ("p", "P", "d", "D", "s", "S", "w", "W"):
                # a class escape cannot end a range: Go's parseEscape stops at the letter
                raise _err("invalid escape sequence", self.t[esc_start : esc_start + 2])
            kind, val = self.parse_escape(in_class=True)
            if kind == "char":
                return val
            if range_end:
                raise _err("invalid escape sequence", self.t[esc_start : self.pos])
            return None
        self.pos += 1
        return c

    # -- main ------------------------------------------------------------------
    def parse(self) -> None:
        self.parse_alt(top=True)

    def parse_alt(self, top: bool) -> None:
        atoms = 0  # atoms of the current concatenation
        last_repeat_start = -1  # text position where the previous repeat op began
        can_repeat = False
        while self.pos < len(self.t):
            c = self.t[self.pos]
            if c == "|":
                self.pos += 1
                atoms = 0
                can_repeat = False
                last_repeat_start = -1
                continue
            if c == ")":
                if top:
                    raise _err("unexpected )", self.expr)
                return
            if c in "*+?{":
                op_start = self.pos
                if not self.parse_repeat_op():  # a literal {
                    self.pos += 1
                    atoms += 1
                    can_repeat = True
                    last_repeat_start = -1
                    continue
                if last_repeat_start >= 0:
                    raise _err(
                        "invalid nested repetition operator", self.t[last_repeat_start : self.pos]
                    )
                if not can_repeat or not atoms:
                    raise _err(
                        "missing argument to repetition operator", self.t[op_start : self.pos]
                    )
                last_repeat_start = op_start
                continue
            last_repeat_start = -1
            if c == "(":
                if not self.parse_group():  # a flag group (?i) changed flags
                    can_repeat = False
                    continue
            elif c == "[":
                self.parse_class()
            elif c == "\\":
                kind, val = self.parse_escape(in_class=False)
                if kind == "quote" and not val:
                    continue
            else:
                self.pos += 1
            atoms += 1
            can_repeat = True
        if not top:
            raise _err("missing closing )", self.expr)

    def parse_repeat_op(self) -> bool:
        """At ``* + ? {``: consumes a repetition operator, False for a literal ``{``."""
        c = self.t[self.pos]
        if c in "*+?":
            self.pos += 1
        else:
            m = _REPEAT.match(self.t, self.pos)
            if not m:
                return False
            lo = int(m.group(1))
            hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else -1)
            if lo > 1000 or hi > 1000 or (hi >= 0 and hi < lo):
                raise _err("invalid repeat count", m.group(0))
            self.pos = m.end()
        if self.peek() == "?":
            self.pos += 1
        return True

    def parse_group(self) -> bool:
        """At ``(``: a group (True) or a flag group such as ``(?i)`` (False)."""
        start = self.pos
        t = self.t
        if t.startswith("(?", self.pos):
            if t.startswith("(?P<", self.pos) or t.startswith("(?<", self.pos):
                name_start = self.pos + (4 if t[self.pos + 2] == "P" else 3)
                end = t.find(">", name_start)
                if end < 0:
                    raise _err("invalid named capture", t[start:])
                name = t[name_start:end]
                if not name or not all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in name):
                    raise _err("invalid named capture", t[start : end + 1])
                self.pos = end + 1
                self.names.append(name)
                self.parse_alt(top=False)
                self.pos += 1
                return True
            # flags
            i = self.pos + 2
            seen_minus = False
            seen_flag = False
            while True:
                if i >= len(t):
                    raise _err("invalid or unsupported Perl syntax", t[start:])
                ch = t[i]
                i += 1
                if ch in "imsU":
                    seen_flag = True
                    continue
                if ch == "-":
                    if seen_minus:
                        raise _err("invalid or unsupported Perl syntax", t[start:i])
                    seen_minus = True
                    seen_flag = False
                    continue
                if ch in ":)":
                    if seen_minus and not seen_flag:
                        raise _err("invalid or unsupported Perl syntax", t[start:i])
                    self.pos = i
                    if ch == ")":
                        return False
                    self.parse_alt(top=False)
                    self.pos += 1
                    return True
                raise _err("invalid or unsupported Perl syntax", t[start:i])
        self.pos += 1
        self.names.append(None)
        self.parse_alt(top=False)
        self.pos += 1
        return True


_REPEAT = re.compile(r"\{(\d+)(,(\d*))?\}")


def quote_meta(s: str) -> str:
    """regexp.QuoteMeta."""
    return "".join("\\" + c if c in "\\.+*?()|[]{}^$" else c for c in s)


def _regexp_quote(s: str) -> str:
    """regexp's quote: backquoted when possible (MustCompile's panic text)."""
    if gostrconv.can_backquote(s):
        return "`" + s + "`"
    return gostrconv.quote(s)


def _enc(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _dec(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _rune_width(b: bytes, pos: int) -> int:
    """utf8.DecodeRune's width at ``pos`` (1 for an invalid byte, 0 at the end)."""
    if pos >= len(b):
        return 0
    c = b[pos]
    if c < 0x80:
        return 1
    w = 2 if c < 0xE0 else 3 if c < 0xF0 else 4
    try:
        b[pos : pos + w].decode("utf-8")
    except UnicodeDecodeError:
        return 1
    return w


class GoRegexp:
    """A compiled Go regexp: RE2 (linear time in the input) with Go's iteration
    rules, on the UTF-8 bytes of the text as Go works on them."""

    __slots__ = ("expr", "prog", "names")

    def __init__(self, expr: str, prog: Any, names: list[str | None]) -> None:
        self.expr = expr
        self.prog = prog
        self.names = names

    def match_string(self, s: str) -> bool:
        return self.prog.search(_enc(s)) is not None

    def index(self, s: str) -> int:
        """The (character) offset of the leftmost match, -1 if none."""
        b = _enc(s)
        m = self.prog.search(b)
        return -1 if m is None else len(_dec(b[: m.start()]))

    def find_string(self, s: str) -> str:
        m = self.prog.search(_enc(s))
        return _dec(m.group(0)) if m else ""

    def _all(self, b: bytes, n: int) -> list[tuple[int, int]]:
        """regexp.allMatches: the spans of at most ``n`` matches (all if n < 0)."""
        out: list[tuple[int, int]] = []
        if n < 0:
            n = len(b) + 1
        pos = 0
        prev_end = -1
        end = len(b)
        search = self.prog.search
        while len(out) < n and pos <= end:
            m = search(b, pos)
            if m is None:
                break
            start, stop = m.span()
            accept = True
            if stop == pos:  # an empty match
                if start == prev_end:
                    accept = False  # not right after the previous match
                w = _rune_width(b, pos)
                pos += w if w else 1
            else:
                pos = stop
            prev_end = stop
            if accept:
                out.append((start, stop))
        return out

    def find_all_string(self, s: str, n: int) -> list[str] | None:
        b = _enc(s)
        spans = self._all(b, n)
        if not spans:
            return None
        check_items(len(spans), "regexFindAll result")
        return [_dec(b[i:j]) for i, j in spans]

    def split(self, s: str, n: int) -> list[str] | None:
        if n == 0:
            return None
        if self.expr and not s:
            return [""]
        b = _enc(s)
        out: list[str] = []
        beg = end = 0
        for i, j in self._all(b, n):
            if n > 0 and len(out) == n - 1:
                break
            end = i
            if j != 0:
                out.append(_dec(b[beg:end]))
            beg = j
        if end != len(b):
            out.append(_dec(b[beg:]))
        check_items(len(out), "regexSplit result")
        return out

    def _replace(self, s: str, repl: Callable[[Any, bytes], bytes]) -> str:
        """regexp.replaceAll; refuses to build more than MAX_VALUE bytes."""
        b = _enc(s)
        buf: list[bytes] = []
        size = 0
        last = 0
        pos = 0
        end = len(b)
        search = self.prog.search
        while pos <= end:
            m = search(b, pos)
            if m is None:
                break
            start, stop = m.span()
            buf.append(b[last:start])
            size += start - last
            if stop > last or start == 0:
                r = repl(m, b)
                buf.append(r)
                size += len(r)
                if size > MAX_VALUE:
                    check_size(size, "regexReplaceAll output")
            last = stop
            width = _rune_width(b, pos)
            if pos + width > stop:
                pos += width
            elif pos + 1 > stop:
                pos += 1
            else:
                pos = stop
        buf.append(b[last:])
        return _dec(b"".join(buf))

    def replace_all_literal_string(self, s: str, repl: str) -> str:
        r = _enc(repl)
        return self._replace(s, lambda m, b: r)

    def replace_all_string(self, s: str, template: str) -> str:
        t = _enc(template)
        return self._replace(s, lambda m, b: self.expand(t, m))

    def expand(self, template: bytes, m: Any) -> bytes:
        """regexp.expand: $1, ${1}, $name, ${name}, $$."""
        out: list[bytes] = []
        i = 0
        n = len(template)
        ngroups = len(self.names)
        while i < n:
            j = template.find(b"$", i)
            if j < 0:
                out.append(template[i:])
                break
            out.append(template[i:j])
            i = j + 1
            if i < n and template[i] == 0x24:  # $$
                out.append(b"$")
                i += 1
                continue
            brace = i < n and template[i] == 0x7B  # {
            k = i + 1 if brace else i
            e = k
            while e < n and (
                chr(template[e]).isascii() and (chr(template[e]).isalnum() or template[e] == 0x5F)
            ):
                e += 1
            if e == k or (brace and (e >= n or template[e] != 0x7D)):
                out.append(b"$")
                continue
            name = template[k:e].decode("ascii")
            i = e + 1 if brace else e
            if name.isdigit():
                num = int(name)
                if num <= ngroups and num < 100000000:
                    out.append(m.group(num) or b"")
                continue
            for gi, gname in enumerate(self.names, 1):
                if gname == name:
                    out.append(m.group(gi) or b"")
                    break
        return b"".join(out)


def _unicode_escape(expr: str, i: int) -> tuple[Any, bool, int]:
    """At ``\\p``/``\\P`` (already validated): (ranges, negated, end index)."""
    neg = expr[i + 1] == "P"
    if expr[i + 2] == "{":
        end = expr.index("}", i + 3)
        name, nxt = expr[i + 3 : end], end + 1
    else:
        name, nxt = expr[i + 2], i + 3
    if name.startswith("^"):
        neg, name = not neg, name[1:]
    table = unicode_ranges(name)
    assert table is not None
    ranges, inverted = table
    return ranges, neg != inverted, nxt


def re2_syntax(expr: str) -> str:
    """The RE2 (C++) pattern of a Go expression the parser accepted: the same
    text, with each Unicode class escape spelled as explicit ranges (Go knows
    names RE2 does not: ``\\p{Letter}``, ``\\p{greek}``, ``\\p{Cn}`` ...; and
    its tables are the ones the parser checked against Helm's)."""
    if "\\p" not in expr and "\\P" not in expr:
        return expr
    out: list[str] = []
    i, n = 0, len(expr)
    in_class = False
    while i < n:
        c = expr[i]
        if c == "\\":
            nxt = expr[i + 1] if i + 1 < n else ""
            if nxt in ("p", "P"):
                ranges, neg, i = _unicode_escape(expr, i)
                if in_class:
                    out.append(re2_class_body(complement(ranges) if neg else ranges))
                else:
                    out.append(("[^" if neg else "[") + re2_class_body(ranges) + "]")
                continue
            if nxt == "Q" and not in_class:
                end = expr.find("\\E", i + 2)
                end = n if end < 0 else end + 2
                out.append(expr[i:end])
                i = end
                continue
            out.append(expr[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "[" and expr.startswith("[:", i):
                end = expr.find(":]", i + 2)
                if end >= 0:
                    out.append(expr[i : end + 2])
                    i = end + 2
                    continue
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            j = i + 1
            if j < n and expr[j] == "^":
                j += 1
            if j < n and expr[j] == "]":
                j += 1  # a leading ] is a literal
            out.append(expr[i:j])
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=512)
def compile_re2(expr: str) -> GoRegexp:
    """regexp.Compile; raises RegexpError with Go's text. Go's syntax is checked
    (and Go's errors given) by the parser here; matching is RE2's."""
    p = _Parser(expr)
    p.parse()
    try:
        prog = re2.compile(_enc(re2_syntax(expr)), _RE2_OPTIONS)
    except re2.error:
        raise RegexpError(f"error parsing regexp: expression too large: `{expr}`") from None
    return GoRegexp(expr, prog, p.names)


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.max_mem = 64 << 20  # Go compiles programs well past RE2's default 8 MiB


def must_compile(expr: str) -> GoRegexp:
    """regexp.MustCompile: the panic text Go templates report."""
    try:
        return compile_re2(expr)
    except RegexpError as e:
        raise RegexpError(f"regexp: Compile({_regexp_quote(expr)}): {e}") from None
