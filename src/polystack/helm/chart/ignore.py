"""`.helmignore` rules (Helm's pkg/ignore) and Go's filepath.Match."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

HELMIGNORE = ".helmignore"


class BadPattern(ValueError):
    def __init__(self) -> None:
        super().__init__("syntax error in pattern")


class _Literal:
    """A pattern without meta characters: the name itself."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def fullmatch(self, name: str) -> bool | None:
        return True if name == self.text else None


class _Suffix:
    """``*`` then text without meta characters or "/": a name ending in the text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def fullmatch(self, name: str) -> bool | None:
        t = self.text
        if name.endswith(t) and "/" not in name[: len(name) - len(t)]:
            return True
        return None


_META = frozenset("*?[\\")

Matcher = _Literal | _Suffix | re.Pattern[str]


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> Matcher:
    """Translate a Go filepath.Match pattern (separator '/') to a matcher: the
    common .helmignore lines (a name, ``*.ext``) without a regular expression
    (compiling one per line costs a fresh process more than matching), the rest to
    a regex."""
    if not any(c in _META for c in pattern):
        return _Literal(pattern)
    if pattern[:1] == "*" and not any(c in _META or c == "/" for c in pattern[1:]):
        return _Suffix(pattern[1:])
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            i += 1
            if i >= n:
                raise BadPattern()
            out.append(re.escape(pattern[i]))
        elif c == "[":
            i += 1
            neg = False
            if i < n and pattern[i] == "^":
                neg = True
                i += 1
            parts: list[str] = []
            first = True
            while True:
                if i >= n:
                    raise BadPattern()
                c = pattern[i]
                if c == "]" and not first:
                    break
                first = False
                lo, i = _class_char(pattern, i)
                if i < n and pattern[i] == "-":
                    hi, i = _class_char(pattern, i + 1)
                    if hi < lo:
                        raise BadPattern()
                    parts.append(re.escape(lo) + "-" + re.escape(hi))
                else:
                    parts.append(re.escape(lo))
            out.append(("[^/" if neg else "[") + "".join(parts) + "]")
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.S)


def _class_char(p: str, i: int) -> tuple[str, int]:
    if i >= len(p) or p[i] in "-]":
        raise BadPattern()
    if p[i] == "\\":
        i += 1
        if i >= len(p):
            raise BadPattern()
    return p[i], i + 1


def match(pattern: str, name: str) -> bool:
    """Go's path/filepath.Match (raises BadPattern on a malformed pattern)."""
    return _compile(pattern).fullmatch(name) is not None


class _Pattern:
    __slots__ = ("raw", "negate", "must_dir", "fn")

    def __init__(self, raw: str, negate: bool, must_dir: bool, fn: Callable[[str], bool]) -> None:
        self.raw = raw
        self.negate = negate
        self.must_dir = must_dir
        self.fn = fn

    def __repr__(self) -> str:
        return f"_Pattern(raw={self.raw!r}, negate={self.negate!r}, must_dir={self.must_dir!r})"


class Rules:
    """A .helmignore file's rules, in order."""

    __slots__ = ("patterns",)

    def __init__(self, patterns: list[_Pattern] | None = None) -> None:
        self.patterns: list[_Pattern] = [] if patterns is None else patterns

    def __repr__(self) -> str:
        return f"Rules(patterns={self.patterns!r})"

    @classmethod
    def parse(cls, text: str) -> Rules:
        r = cls()
        for line in text.splitlines():
            r.parse_rule(line)
        return r

    def add_defaults(self) -> None:
        self.parse_rule("templates/.?*")

    def parse_rule(self, rule: str) -> None:
        rule = rule.strip()
        if not rule or rule.startswith("#"):
            return
        if "**" in rule:
            raise ValueError("double-star (**) syntax is not supported")
        match(rule, "abc")
        raw = rule
        negate = rule.startswith("!")
        if negate:
            rule = rule[1:]
        must_dir = rule.endswith("/")
        if must_dir:
            rule = rule[:-1]
        if rule.startswith("/"):
            rx = _safe_compile(rule[1:])

            def fn(n: str, rx: Matcher | None = rx) -> bool:
                return rx is not None and rx.fullmatch(n) is not None
        elif "/" in rule:
            rx = _safe_compile(rule)

            def fn(n: str, rx: Matcher | None = rx) -> bool:
                return rx is not None and rx.fullmatch(n) is not None
        else:
            rx = _safe_compile(rule)

            def fn(n: str, rx: Matcher | None = rx) -> bool:
                return rx is not None and rx.fullmatch(n.rsplit("/", 1)[-1]) is not None

        self.patterns.append(_Pattern(raw, negate, must_dir, fn))

    def ignore(self, path: str, is_dir: bool) -> bool:
        if path in ("", ".", "./"):
            return False
        for p in self.patterns:
            if p.must_dir and not is_dir:
                continue
            if p.negate:
                if p.fn(path):
                    return False
                continue
            if p.fn(path):
                return True
        return False


def _safe_compile(pattern: str) -> Matcher | None:
    try:
        return _compile(pattern)
    except BadPattern:
        return None
