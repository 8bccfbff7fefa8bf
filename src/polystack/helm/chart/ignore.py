"""`.helmignore` rules (Helm's pkg/ignore) and Go's filepath.Match."""

from __future__ import annotations

# typing is imported by type checkers only (its import is a fresh command's cost); so is
# re's, imported for a pattern that needs a regular expression
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

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


class _Prefix:
    """Text without meta characters then ``?*``: the text and at least one more
    character, none of them "/" (Helm's default rule ``templates/.?*``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def fullmatch(self, name: str) -> bool | None:
        t = self.text
        if len(name) > len(t) and name.startswith(t) and "/" not in name[len(t) :]:
            return True
        return None


_META = frozenset("*?[\\")

if TYPE_CHECKING:
    import re

    Matcher = _Literal | _Suffix | _Prefix | re.Pattern[str]

# pattern -> matcher, bounded (re is imported only for a pattern that needs a regex)
_MATCHERS: dict[str, Matcher] = {}
_MATCHERS_MAX = 1024


def _compile(pattern: str) -> Matcher:
    m = _MATCHERS.get(pattern)
    if m is None:
        m = _translate(pattern)
        if len(_MATCHERS) >= _MATCHERS_MAX:
            _MATCHERS.clear()
        _MATCHERS[pattern] = m
    return m


def _translate(pattern: str) -> Matcher:
    """Translate a Go filepath.Match pattern (separator '/') to a matcher: the
    common .helmignore lines (a name, ``*.ext``) without a regular expression
    (compiling one per line costs a fresh process more than matching), the rest to
    a regex."""
    if not any(c in _META for c in pattern):
        return _Literal(pattern)
    if pattern[:1] == "*" and not any(c in _META or c == "/" for c in pattern[1:]):
        return _Suffix(pattern[1:])
    if pattern[-2:] == "?*" and not any(c in _META for c in pattern[:-2]):
        return _Prefix(pattern[:-2])
    import re

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
    """One rule: ``fn`` tells whether it matches a path; ``rx`` and ``base`` say how
    (the matcher, None for a malformed pattern, and whether it matches the base name
    or the whole path), for Rules' shortcut."""

    __slots__ = ("raw", "negate", "must_dir", "fn", "rx", "base")

    def __init__(
        self,
        raw: str,
        negate: bool,
        must_dir: bool,
        fn: Callable[[str], bool],
        rx: Matcher | None = None,
        base: bool = False,
    ) -> None:
        self.raw = raw
        self.negate = negate
        self.must_dir = must_dir
        self.fn = fn
        self.rx = rx
        self.base = base

    def __repr__(self) -> str:
        return f"_Pattern(raw={self.raw!r}, negate={self.negate!r}, must_dir={self.must_dir!r})"


# (plain base names, plain paths, base-name suffixes, other rules' match functions)
if TYPE_CHECKING:
    _Plan = tuple[
        frozenset[str], frozenset[str], tuple[str, ...], tuple[Callable[[str], bool], ...]
    ]


class Rules:
    """A .helmignore file's rules, in order."""

    __slots__ = ("patterns", "_plans")

    def __init__(self, patterns: list[_Pattern] | None = None) -> None:
        self.patterns: list[_Pattern] = [] if patterns is None else patterns
        # ignore()'s shortcut per is_dir (see _plan), made on first use
        self._plans: dict[bool, _Plan | None] = {}

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
        base = False
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
            base = True

            def fn(n: str, rx: Matcher | None = rx) -> bool:
                return rx is not None and rx.fullmatch(n.rsplit("/", 1)[-1]) is not None

        self.patterns.append(_Pattern(raw, negate, must_dir, fn, rx, base))
        self._plans.clear()

    def _plan(self, is_dir: bool) -> _Plan | None:
        """Without negated rules, a path is ignored when any rule that applies to it
        matches, in any order: the plain names and paths are set lookups and the
        ``*.ext`` rules suffix tests, the other rules are tried one by one. None
        when a rule negates (the rules are then tried in order)."""
        if is_dir in self._plans:
            return self._plans[is_dir]
        plan: _Plan | None = None
        if not any(p.negate for p in self.patterns):
            names: set[str] = set()
            paths: set[str] = set()
            suffixes: list[str] = []
            others: list[Callable[[str], bool]] = []
            for p in self.patterns:
                if p.must_dir and not is_dir:
                    continue
                if isinstance(p.rx, _Literal):
                    (names if p.base else paths).add(p.rx.text)
                elif isinstance(p.rx, _Suffix) and p.base:
                    suffixes.append(p.rx.text)
                elif p.rx is not None:
                    others.append(p.fn)
            plan = (frozenset(names), frozenset(paths), tuple(suffixes), tuple(others))
        self._plans[is_dir] = plan
        return plan

    def ignore(self, path: str, is_dir: bool) -> bool:
        if path in ("", ".", "./"):
            return False
        plan = self._plans[is_dir] if is_dir in self._plans else self._plan(is_dir)
        if plan is not None:
            names, paths, suffixes, others = plan
            if path in paths:
                return True
            base = path.rsplit("/", 1)[-1]
            if base in names or (suffixes and base.endswith(suffixes)):
                return True
            return any(fn(path) for fn in others)
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
