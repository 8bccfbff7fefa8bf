"""Go regexp (RE2 syntax) on top of Python's re.

`compile_re2` parses the RE2 syntax Go accepts, rejects what Go rejects with
Go's own ``error parsing regexp: ...`` text (backreferences, lookaround,
nested repetition, bad escapes ...), and translates the rest into an
equivalent Python pattern: ``$`` is end of text unless ``(?m)``, ``\\d \\w
\\s \\b`` are ASCII, flags are scoped as RE2 scopes them, ``(?U)`` swaps
greediness, POSIX ``[[:alpha:]]`` classes and the Unicode classes ``\\pL``,
``\\p{Lu}``, ``\\p{Greek}``, ``\\p{Letter}`` ... are expanded into
explicit ranges (see :mod:`.re2_unicode` for the names Go accepts).

`GoRegexp` then implements Go's match iteration rules (FindAll, ReplaceAll,
Split, Expand) which differ from Python's around empty matches.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .re2_unicode import unicode_class

__all__ = ["RegexpError", "GoRegexp", "compile_re2", "quote_meta"]


class RegexpError(ValueError):
    """A regexp/syntax error; str() is Go's ``error parsing regexp: ...``."""


def _err(code: str, expr: str) -> RegexpError:
    return RegexpError(f"error parsing regexp: {code}: `{expr}`")


_WORD = "0-9A-Za-z_"
_PERL = {
    "d": "0-9",
    "s": "\\t\\n\\f\\r ",
    "w": _WORD,
}
_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": _WORD,
    "xdigit": "0-9A-Fa-f",
}
_WB = f"(?:(?<=[{_WORD}])(?![{_WORD}])|(?<![{_WORD}])(?=[{_WORD}]))"
_NWB = f"(?:(?<=[{_WORD}])(?=[{_WORD}])|(?<![{_WORD}])(?![{_WORD}]))"
_SPECIAL = set("\\.+*?()|[]{}^$#&~- \t\n\r\v\f")


def _lit(c: str) -> str:
    """A literal character for a Python pattern (outside or inside a class)."""
    if c in _SPECIAL:
        return (
            "\\" + c
            if c not in "\t\n\r\v\f"
            else {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\v": "\\v", "\f": "\\f"}[c]
        )
    if ord(c) < 0x20 or ord(c) == 0x7F:
        return f"\\x{ord(c):02x}"
    return c


@dataclass(slots=True)
class _Flags:
    i: bool = False
    m: bool = False
    s: bool = False
    u: bool = False  # (?U) ungreedy


class _Parser:
    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.t = expr
        self.pos = 0
        self.ngroups = 0
        self.names: list[str | None] = []

    # -- helpers -----------------------------------------------------------
    def peek(self, k: int = 0) -> str:
        p = self.pos + k
        return self.t[p] if p < len(self.t) else ""

    def rest(self) -> str:
        return self.t[self.pos :]

    # -- escapes -----------------------------------------------------------
    def parse_escape(self, in_class: bool) -> tuple[str, str | None]:
        """At a backslash. Returns (kind, value): ('char', c) or ('class', body)
        or ('neg', body) or ('assert', python-text)."""
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
        if c in "dsw":
            return "class", _PERL[c]
        if c in "DSW":
            return "neg", _PERL[c.lower()]
        if c in "pP":
            neg = c == "P"
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
                neg = not neg
                name = name[1:]
            table = unicode_class(name)
            if table is None:
                raise _err("invalid character class range", self.t[start : self.pos])
            body, inverted = table
            return ("neg" if neg != inverted else "class"), body
        if not in_class:
            if c == "A":
                return "assert", "\\A"
            if c == "z":
                return "assert", "\\Z"
            if c == "b":
                return "assert", _WB
            if c == "B":
                return "assert", _NWB
            if c == "Q":
                end = self.t.find("\\E", self.pos)
                lit = self.t[self.pos :] if end < 0 else self.t[self.pos : end]
                self.pos = len(self.t) if end < 0 else end + 2
                return "quote", lit
        if c < "\x80" and not c.isalnum():
            return "char", c
        raise _err("invalid escape sequence", self.t[start : self.pos])

    # -- character classes ---------------------------------------------------
    def parse_class(self, flags: _Flags) -> str:
        start = self.pos
        self.pos += 1  # [
        neg = False
        if self.peek() == "^":
            neg = True
            self.pos += 1
        items: list[str] = []
        negs: list[str] = []
        first = True
        while True:
            if self.pos >= len(self.t):
                raise _err("missing closing ]", self.t[start:])
            c = self.t[self.pos]
            if c == "]" and not first:
                self.pos += 1
                break
            first = False
            if c == "[" and self.t.startswith("[:", self.pos):
                end = self.t.find(":]", self.pos + 2)
                if end >= 0:
                    name = self.t[self.pos + 2 : end]
                    pneg = name.startswith("^")
                    if pneg:
                        name = name[1:]
                    if name not in _POSIX:
                        raise _err("invalid character class range", self.t[self.pos : end + 2])
                    (negs if pneg else items).append(_POSIX[name])
                    self.pos = end + 2
                    continue
            item_start = self.pos
            lo = self._class_char(flags, items, negs)
            if lo is None:
                continue
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                hi = self._class_char(flags, items, negs, range_end=True)
                if hi is None or ord(hi) < ord(lo):
                    raise _err("invalid character class range", self.t[item_start : self.pos])
                items.append(f"{_lit(lo)}-{_lit(hi)}")
            else:
                items.append(_lit(lo))
        body = "".join(items)
        if negs:
            # [a\D] == (?:[a]|[^0-9]) ; negated: (?![a])(?:[0-9]) ...
            alts = ([f"[{body}]"] if body else []) + [f"[^{n}]" for n in negs]
            if neg:
                inner = "".join(f"(?!{a})" for a in alts)
                out = f"(?:{inner}[\\x00-\\U0010ffff])"
            else:
                out = "(?:" + "|".join(alts) + ")"
        elif not body:
            out = "[\\x00-\\U0010ffff]" if neg else "(?!)"
        else:
            out = f"[{'^' if neg else ''}{body}]"
        return f"(?i:{out})" if flags.i else out

    def _class_char(
        self, flags: _Flags, items: list[str], negs: list[str], range_end: bool = False
    ) -> str | None:
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
            if kind == "class":
                items.append(val or "")
            else:
                negs.append(val or "")
            return None
        self.pos += 1
        return c

    # -- main ------------------------------------------------------------------
    def parse(self) -> str:
        out = self.parse_alt(_Flags(), top=True)
        return out

    def parse_alt(self, flags: _Flags, top: bool) -> str:
        alts: list[str] = []
        cur: list[str] = []  # emitted atoms of the current concatenation
        last_repeat_start = -1  # text position where the previous repeat op began
        can_repeat = False
        flags = _Flags(flags.i, flags.m, flags.s, flags.u)
        while self.pos < len(self.t):
            c = self.t[self.pos]
            if c == "|":
                self.pos += 1
                alts.append("".join(cur))
                cur = []
                can_repeat = False
                last_repeat_start = -1
                continue
            if c == ")":
                if top:
                    raise _err("unexpected )", self.expr)
                alts.append("".join(cur))
                return "|".join(alts)
            if c in "*+?{":
                op_start = self.pos
                op = self.parse_repeat_op()
                if op is None:  # literal {
                    self.pos += 1
                    cur.append(self._flagged(_lit("{"), flags))
                    can_repeat = True
                    last_repeat_start = -1
                    continue
                if last_repeat_start >= 0:
                    raise _err(
                        "invalid nested repetition operator", self.t[last_repeat_start : self.pos]
                    )
                if not can_repeat or not cur:
                    raise _err(
                        "missing argument to repetition operator", self.t[op_start : self.pos]
                    )
                text, greedy = op
                if flags.u:
                    greedy = not greedy
                cur[-1] = f"(?:{cur[-1]}){text}{'' if greedy else '?'}"
                last_repeat_start = op_start
                continue
            last_repeat_start = -1
            if c == "(":
                atom = self.parse_group(flags)
                if atom is None:  # flag group (?i) changed flags
                    can_repeat = False
                    continue
                cur.append(atom)
                can_repeat = True
                continue
            if c == "[":
                cur.append(self.parse_class(flags))
                can_repeat = True
                continue
            if c == "\\":
                kind, val = self.parse_escape(in_class=False)
                if kind == "char":
                    cur.append(self._flagged(_lit(val or ""), flags))
                elif kind == "class":
                    cur.append(self._flagged(f"[{val}]", flags))
                elif kind == "neg":
                    cur.append(self._flagged(f"[^{val}]", flags))
                elif kind == "quote":
                    for q in val or "":
                        cur.append(self._flagged(_lit(q), flags))
                    if not val:
                        continue
                else:
                    cur.append(val or "")
                can_repeat = True
                continue
            self.pos += 1
            if c == ".":
                cur.append("[\\x00-\\U0010ffff]" if flags.s else "[^\\n]")
            elif c == "^":
                cur.append("(?m:^)" if flags.m else "\\A")
            elif c == "$":
                cur.append("(?m:$)" if flags.m else "\\Z")
            else:
                cur.append(self._flagged(_lit(c), flags))
            can_repeat = True
        if not top:
            raise _err("missing closing )", self.expr)
        alts.append("".join(cur))
        return "|".join(alts)

    @staticmethod
    def _flagged(atom: str, flags: _Flags) -> str:
        return f"(?i:{atom})" if flags.i else atom

    def parse_repeat_op(self) -> tuple[str, bool] | None:
        c = self.t[self.pos]
        if c in "*+?":
            self.pos += 1
            text = c
        else:
            m = re.match(r"\{(\d+)(,(\d*))?\}", self.t[self.pos :])
            if not m:
                return None
            lo = int(m.group(1))
            hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else -1)
            if lo > 1000 or hi > 1000 or (hi >= 0 and hi < lo):
                raise _err("invalid repeat count", m.group(0))
            self.pos += m.end()
            if m.group(2) is None:
                text = f"{{{lo}}}"
            elif hi < 0:
                text = f"{{{lo},}}"
            else:
                text = f"{{{lo},{hi}}}"
        greedy = True
        if self.peek() == "?":
            self.pos += 1
            greedy = False
        return text, greedy

    def parse_group(self, flags: _Flags) -> str | None:
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
                dup = name in self.names
                self.pos = end + 1
                self.ngroups += 1
                self.names.append(name)
                inner = self.parse_alt(flags, top=False)
                self.pos += 1
                # Go allows a name twice; Python does not: later ones are unnamed
                return f"({inner})" if dup else f"(?P<{name}>{inner})"
            # flags
            i = self.pos + 2
            new = _Flags(flags.i, flags.m, flags.s, flags.u)
            sign = True
            seen_minus = False
            seen_flag = False
            while True:
                if i >= len(t):
                    raise _err("invalid or unsupported Perl syntax", t[start:])
                ch = t[i]
                i += 1
                if ch in "imsU":
                    setattr(new, "u" if ch == "U" else ch, sign)
                    seen_flag = True
                    continue
                if ch == "-":
                    if seen_minus:
                        raise _err("invalid or unsupported Perl syntax", t[start:i])
                    seen_minus = True
                    sign = False
                    seen_flag = False
                    continue
                if ch in ":)":
                    if seen_minus and not seen_flag:
                        raise _err("invalid or unsupported Perl syntax", t[start:i])
                    self.pos = i
                    if ch == ")":
                        flags.i, flags.m, flags.s, flags.u = new.i, new.m, new.s, new.u
                        return None
                    inner = self.parse_alt(new, top=False)
                    self.pos += 1
                    return f"(?:{inner})"
                raise _err("invalid or unsupported Perl syntax", t[start:i])
        self.pos += 1
        self.ngroups += 1
        self.names.append(None)
        inner = self.parse_alt(flags, top=False)
        self.pos += 1
        return f"({inner})"


def quote_meta(s: str) -> str:
    """regexp.QuoteMeta."""
    return "".join("\\" + c if c in "\\.+*?()|[]{}^$" else c for c in s)


def _go_quote(s: str) -> str:
    from polystack.helm.template import gostrconv

    if gostrconv.can_backquote(s):
        return "`" + s + "`"
    return gostrconv.quote(s)


class GoRegexp:
    """A compiled Go regexp with Go's iteration semantics."""

    __slots__ = ("expr", "pattern", "names")

    def __init__(self, expr: str, pattern: re.Pattern[str], names: list[str | None]) -> None:
        self.expr = expr
        self.pattern = pattern
        self.names = names

    def match_string(self, s: str) -> bool:
        return self.pattern.search(s) is not None

    def find_string(self, s: str) -> str:
        m = self.pattern.search(s)
        return m.group(0) if m else ""

    def _all(self, s: str, n: int) -> list[re.Match[str]]:
        out: list[re.Match[str]] = []
        if n < 0:
            n = len(s) + 1
        pos = 0
        prev_end = -1
        end = len(s)
        while len(out) < n and pos <= end:
            m = self.pattern.search(s, pos)
            if m is None:
                break
            accept = True
            if m.end() == pos:
                if m.start() == prev_end:
                    accept = False
                pos += 1
            else:
                pos = m.end()
            prev_end = m.end()
            if accept:
                out.append(m)
        return out

    def find_all_string(self, s: str, n: int) -> list[str] | None:
        ms = self._all(s, n)
        return [m.group(0) for m in ms] if ms else None

    def split(self, s: str, n: int) -> list[str] | None:
        if n == 0:
            return None
        if self.expr and not s:
            return [""]
        out: list[str] = []
        beg = end = 0
        for m in self._all(s, n):
            if n > 0 and len(out) == n - 1:
                break
            end = m.start()
            if m.end() != 0:
                out.append(s[beg:end])
            beg = m.end()
        if end != len(s):
            out.append(s[beg:])
        return out

    def _replace(self, s: str, repl) -> str:  # type: ignore[no-untyped-def]
        buf: list[str] = []
        last = 0
        pos = 0
        while pos <= len(s):
            m = self.pattern.search(s, pos)
            if m is None:
                break
            buf.append(s[last : m.start()])
            if m.end() > last or m.start() == 0:
                buf.append(repl(m))
            last = m.end()
            if pos + 1 > m.end():
                pos += 1
            else:
                pos = m.end()
        buf.append(s[last:])
        return "".join(buf)

    def replace_all_literal_string(self, s: str, repl: str) -> str:
        return self._replace(s, lambda m: repl)

    def replace_all_string(self, s: str, template: str) -> str:
        return self._replace(s, lambda m: self.expand(template, m))

    def expand(self, template: str, m: re.Match[str]) -> str:
        out: list[str] = []
        i = 0
        n = len(template)
        while i < n:
            j = template.find("$", i)
            if j < 0:
                out.append(template[i:])
                break
            out.append(template[i:j])
            i = j + 1
            if i < n and template[i] == "$":
                out.append("$")
                i += 1
                continue
            brace = i < n and template[i] == "{"
            k = i + 1 if brace else i
            e = k
            while e < n and (
                template[e].isascii() and (template[e].isalnum() or template[e] == "_")
            ):
                e += 1
            if e == k or (brace and (e >= n or template[e] != "}")):
                out.append("$")
                continue
            name = template[k:e]
            i = e + 1 if brace else e
            if name.isdigit():
                num = int(name)
                if num <= len(self.names) and num < 100000000:
                    g = m.group(num)
                    out.append(g or "")
                continue
            for gi, gname in enumerate(self.names, 1):
                if gname == name:
                    out.append(m.group(gi) or "")
                    break
        return "".join(out)


@functools.lru_cache(maxsize=512)
def compile_re2(expr: str) -> GoRegexp:
    """regexp.Compile; raises RegexpError with Go's text."""
    p = _Parser(expr)
    py = p.parse()
    try:
        pat = re.compile(py)
    except re.error as e:  # pragma: no cover - translation bug guard
        raise RegexpError(f"error parsing regexp: {e}") from None
    return GoRegexp(expr, pat, p.names)


def must_compile(expr: str) -> GoRegexp:
    """regexp.MustCompile: the panic text Go templates report."""
    try:
        return compile_re2(expr)
    except RegexpError as e:
        raise RegexpError(f"regexp: Compile({_go_quote(expr)}): {e}") from None
