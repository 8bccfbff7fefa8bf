"""Masterminds/semver v3: versions and constraints, as Helm and Sprig use them.

`Version.parse` is semver's ``NewVersion`` (coercing: ``1``, ``v1.2`` are
accepted); `Version.strict` is ``StrictNewVersion``; `Constraints.parse` is
``NewConstraint`` with its operators (``= != > < >= => <= =< ~ ~> ^``),
x-ranges (``1.x``, ``*``), hyphen ranges (``1 - 2``), ``,``/space for AND and
``||`` for OR, and its prerelease rule (a prerelease version only matches an
AND group that itself names a prerelease).  Error texts are semver's own.
"""

from __future__ import annotations

import functools
import re

from polystack.helm.golang.strconv import quote as go_quote
from polystack.helm.golang.types import GoStruct, Uint64

__all__ = [
    "SemverError",
    "Version",
    "Constraints",
    "compare_prerelease",
]

_NUM = "0123456789"
_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-" + _NUM)
_U64 = 1 << 64


class SemverError(ValueError):
    """An error from Masterminds/semver; ``str()`` is semver's error text."""


ERR_INVALID_SEMVER = "invalid semantic version"
ERR_EMPTY_STRING = "version string empty"
ERR_INVALID_CHARACTERS = "invalid characters in version"
ERR_SEGMENT_STARTS_ZERO = "version segment starts with 0"
ERR_INVALID_METADATA = "invalid metadata string"
ERR_INVALID_PRERELEASE = "invalid prerelease string"
MAX_VERSION_LEN = 256
MAX_CONSTRAINT_LEN = 512
MAX_CONSTRAINT_GROUPS = 32
ERR_VERSION_TOO_LONG = f"version string is too long (max {MAX_VERSION_LEN} bytes)"


def _is_identifiers(s: str) -> bool:
    """``[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*``: dot-separated, non-empty, ASCII."""
    return all(part and all(c in _ALLOWED for c in part) for part in s.split("."))


def _match_loose(v: str) -> tuple[str, str, str, str, str] | None:
    """The groups (major, minor, patch, prerelease, metadata; "" when absent) of
    semver's anchored looseSemVerRegex,
    ``v?([0-9]+)(\\.[0-9]+)?(\\.[0-9]+)?(-(IDS))?(\\+(IDS))?`` (ASCII), or None:
    matched by hand, as a regular expression costs a fresh process more to compile
    than all its version checks. A prerelease or metadata identifier never holds
    "+", and the core never holds "-", so the first "+" and the first "-" split."""
    core = v[1:] if v[:1] == "v" else v
    core, plus, meta = core.partition("+")
    if plus and not _is_identifiers(meta):
        return None
    core, dash, pre = core.partition("-")
    if dash and not _is_identifiers(pre):
        return None
    parts = core.split(".")
    if len(parts) > 3:
        return None
    for part in parts:
        if not (part.isascii() and part.isdigit()):
            return None
    parts += [""] * (3 - len(parts))
    return parts[0], parts[1], parts[2], pre, meta


def _parse_uint(s: str) -> int:
    """strconv.ParseUint(s, 10, 64) for a digit string."""
    n = int(s)
    if n >= _U64:
        raise SemverError(
            f'error parsing version segment: strconv.ParseUint: parsing "{s}": value out of range'
        )
    return n


def _contains_only(s: str, chars: frozenset[str] | str) -> bool:
    return all(c in chars for c in s)


def _validate_prerelease(p: str) -> None:
    for part in p.split("."):
        if part == "":
            raise SemverError(ERR_INVALID_PRERELEASE)
        if _contains_only(part, _NUM):
            if len(part) > 1 and part[0] == "0":
                raise SemverError(ERR_SEGMENT_STARTS_ZERO)
        elif not _contains_only(part, _ALLOWED):
            raise SemverError(ERR_INVALID_PRERELEASE)


def _validate_metadata(m: str) -> None:
    for part in m.split("."):
        if part == "" or not _contains_only(part, _ALLOWED):
            raise SemverError(ERR_INVALID_METADATA)


def _compare_pre_part(s: str, o: str) -> int:
    if s == o:
        return 0
    if s == "":
        return -1
    if o == "":
        return 1
    s_num = s.isascii() and s.isdigit() and int(s) < _U64
    o_num = o.isascii() and o.isdigit() and int(o) < _U64
    if not s_num and not o_num:
        # Go compares strings bytewise.
        return 1 if s.encode() > o.encode() else -1
    if not o_num:
        return -1
    if not s_num:
        return 1
    return 1 if int(s) > int(o) else -1


def compare_prerelease(v: str, o: str) -> int:
    sparts = v.split(".")
    oparts = o.split(".")
    for i in range(max(len(sparts), len(oparts))):
        s = sparts[i] if i < len(sparts) else ""
        t = oparts[i] if i < len(oparts) else ""
        d = _compare_pre_part(s, t)
        if d:
            return d
    return 0


class Version(GoStruct):
    """*semver.Version.  Template field access (.Major, .Prerelease ...) maps to
    the Go methods of the same name, which are methods here too."""

    __slots__ = ("major", "minor", "patch", "pre", "metadata", "original")

    def __init__(
        self,
        major: int,
        minor: int,
        patch: int,
        pre: str = "",
        metadata: str = "",
        original: str = "",
    ) -> None:
        self.major = major
        self.minor = minor
        self.patch = patch
        self.pre = pre
        self.metadata = metadata
        self.original = original

    go_type_name = "*semver.Version"
    go_kind = "ptr"

    # -- parsing -----------------------------------------------------------
    @classmethod
    def parse(cls, v: str) -> Version:
        """semver.NewVersion (CoerceNewVersion = true, the default)."""
        if len(v.encode("utf-8", "surrogatepass")) > MAX_VERSION_LEN:
            raise SemverError(ERR_VERSION_TOO_LONG)
        m = _match_loose(v)
        if m is None:
            raise SemverError(ERR_INVALID_SEMVER)
        major = _parse_uint(m[0])
        minor = _parse_uint(m[1]) if m[1] else 0
        patch = _parse_uint(m[2]) if m[2] else 0
        pre = m[3]
        meta = m[4]
        if pre:
            _validate_prerelease(pre)
        if meta:
            _validate_metadata(meta)
        return cls(major, minor, patch, pre, meta, v)

    @classmethod
    def strict(cls, v: str) -> Version:
        """semver.StrictNewVersion."""
        if len(v.encode("utf-8", "surrogatepass")) > MAX_VERSION_LEN:
            raise SemverError(ERR_VERSION_TOO_LONG)
        if not v:
            raise SemverError(ERR_EMPTY_STRING)
        parts = v.split(".", 2)
        if len(parts) != 3:
            raise SemverError(ERR_INVALID_SEMVER)
        meta = pre = ""
        if "+" in parts[2]:
            parts[2], meta = parts[2].split("+", 1)
            _validate_metadata(meta)
        if "-" in parts[2]:
            parts[2], pre = parts[2].split("-", 1)
            _validate_prerelease(pre)
        for p in parts:
            if not _contains_only(p, _NUM):
                raise SemverError(ERR_INVALID_CHARACTERS)
            if len(p) > 1 and p[0] == "0":
                raise SemverError(ERR_SEGMENT_STARTS_ZERO)
        if any(p == "" for p in parts):
            raise SemverError('strconv.ParseUint: parsing "": invalid syntax')
        major, minor, patch = (_parse_uint(p) for p in parts)
        return cls(major, minor, patch, pre, meta, v)

    # -- Go methods (template-visible) -------------------------------------
    def Major(self) -> Uint64:  # noqa: N802 - Go method name
        return Uint64(self.major)

    def Minor(self) -> Uint64:  # noqa: N802
        return Uint64(self.minor)

    def Patch(self) -> Uint64:  # noqa: N802
        return Uint64(self.patch)

    def Prerelease(self) -> str:  # noqa: N802
        return self.pre

    def Metadata(self) -> str:  # noqa: N802
        return self.metadata

    def Original(self) -> str:  # noqa: N802
        return self.original

    def String(self) -> str:  # noqa: N802
        s = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            s += "-" + self.pre
        if self.metadata:
            s += "+" + self.metadata
        return s

    def __str__(self) -> str:
        return self.String()

    def go_json(self) -> str:
        """MarshalJSON: the version string."""
        return self.String()

    def __repr__(self) -> str:
        return f"Version({self.String()!r})"

    def compare(self, o: Version) -> int:
        for a, b in ((self.major, o.major), (self.minor, o.minor), (self.patch, o.patch)):
            if a != b:
                return -1 if a < b else 1
        ps, po = self.pre, o.pre
        if not ps and not po:
            return 0
        if not ps:
            return 1
        if not po:
            return -1
        return compare_prerelease(ps, po)

    def Compare(self, o: Version) -> int:  # noqa: N802
        return self.compare(o)

    def LessThan(self, o: Version) -> bool:  # noqa: N802
        return self.compare(o) < 0

    def GreaterThan(self, o: Version) -> bool:  # noqa: N802
        return self.compare(o) > 0

    def Equal(self, o: Version) -> bool:  # noqa: N802
        return self.compare(o) == 0

    def __eq__(self, o: object) -> bool:
        return isinstance(o, Version) and self.compare(o) == 0

    def __lt__(self, o: Version) -> bool:
        return self.compare(o) < 0

    def __hash__(self) -> int:
        return hash((self.major, self.minor, self.patch, self.pre))

    def _vprefix(self) -> str:
        return "v" if self.original[:1] == "v" else ""

    def IncPatch(self) -> Version:  # noqa: N802
        patch = self.patch if self.pre else self.patch + 1
        n = Version(self.major, self.minor, patch)
        n.original = self._vprefix() + n.String()
        return n

    def IncMinor(self) -> Version:  # noqa: N802
        n = Version(self.major, self.minor + 1, 0)
        n.original = self._vprefix() + n.String()
        return n

    def IncMajor(self) -> Version:  # noqa: N802
        n = Version(self.major + 1, 0, 0)
        n.original = self._vprefix() + n.String()
        return n


# ---------------------------------------------------------------------------
# Constraints
# ---------------------------------------------------------------------------

_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
# Go's alternation is leftmost-first like Python's; keep semver's order.
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_S = r"[\t\n\f\r ]"  # RE2 \s


@functools.cache
def _constraint_res() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The constraint grammar's patterns (constraint, hyphen range, find, valid),
    compiled on first use: a chart without version constraints never needs them."""
    return (
        re.compile(rf"^{_S}*({_OPS}){_S}*({_CV}){_S}*$", re.ASCII),
        re.compile(rf"{_S}*({_CV}){_S}+-{_S}+({_CV}){_S}*", re.ASCII),
        re.compile(rf"({_OPS}){_S}*({_CV})", re.ASCII),
        re.compile(
            rf"^({_S}*({_OPS}){_S}*({_CV}){_S}*)((?:{_S}+|,{_S}*)({_OPS}){_S}*({_CV}){_S}*)*$",
            re.ASCII,
        ),
    )


def _is_x(s: str) -> bool:
    return s in ("x", "*", "X")


class _Constraint:
    __slots__ = ("con", "orig", "op", "minor_dirty", "dirty", "patch_dirty")

    def __init__(
        self,
        con: Version,
        orig: str,
        op: str,
        minor_dirty: bool = False,
        dirty: bool = False,
        patch_dirty: bool = False,
    ) -> None:
        self.con = con
        self.orig = orig
        self.op = op
        self.minor_dirty = minor_dirty
        self.dirty = dirty
        self.patch_dirty = patch_dirty

    def __repr__(self) -> str:
        return f"_Constraint({self.op + self.orig!r})"

    def string(self) -> str:
        return self.op + self.orig


_OP_CHARS = frozenset("=!<>~^")
_OPS_SET = frozenset(("", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^"))
_X_PARTS = ("x", "X", "*")


def _simple_groups(c: str) -> list[str] | None:
    """The groups _parse_constraint reads ([whole, op, version, major, .minor,
    .patch, -prerelease]) of a constraint that is one operator and one version of
    1-3 numeric or x parts, with no space, prerelease or metadata (">= 1.2.0" has a
    space: not simple) -- what almost every chart's dependency versions are; None
    for anything else, which the regular expressions decide. For a simple
    constraint the hyphen-range rewrite finds nothing, the validity pattern
    matches, the finder yields the whole text, and the operator (leftmost-first in
    the pattern, but a version never starts with an operator character) is the
    run of operator characters in front."""
    i = 0
    n = len(c)
    while i < n and c[i] in _OP_CHARS:
        i += 1
    op = c[:i]
    if op not in _OPS_SET:
        return None
    ver = c[i:]
    core = ver[1:] if ver[:1] == "v" else ver
    parts = core.split(".")
    if len(parts) > 3:
        return None
    for part in parts:
        if part not in _X_PARTS and not (part.isascii() and part.isdigit()):
            return None
    return [
        c,
        op,
        ver,
        parts[0],
        "." + parts[1] if len(parts) > 1 else "",
        "." + parts[2] if len(parts) > 2 else "",
        "",
    ]


def _parse_constraint(c: str) -> _Constraint:
    if not c:
        return _Constraint(Version(0, 0, 0, "", "", "0.0.0"), c, "", dirty=True)
    m = _constraint_res()[0].search(c)
    if m is None:
        raise SemverError(f"improper constraint: {go_quote(c)}")
    return _constraint_of([m.group(0)] + [x or "" for x in m.groups()])


def _constraint_of(g: list[str]) -> _Constraint:
    """The constraint of a match of the constraint pattern (its groups, "" for none)."""
    # group indices follow Go: m[1]=op, m[2]=version, m[3]=major, m[4]=.minor,
    # m[5]=.patch, m[6]=-pre (with dash)
    op, ver = g[1], g[2]
    minor_dirty = patch_dirty = dirty = False
    if _is_x(g[3]) or g[3] == "":
        ver = f"0.0.0{g[6]}"
        dirty = True
    elif _is_x(g[4][1:] if g[4].startswith(".") else g[4]) or g[4] == "":
        minor_dirty = dirty = True
        ver = f"{g[3]}.0.0{g[6]}"
    elif _is_x(g[5][1:] if g[5].startswith(".") else g[5]) or g[5] == "":
        dirty = patch_dirty = True
        ver = f"{g[3]}{g[4]}.0{g[6]}"
    try:
        con = Version.parse(ver)
    except SemverError:
        raise SemverError("constraint parser error") from None
    return _Constraint(con, g[2], op, minor_dirty, dirty, patch_dirty)


def _pre_fail(v: Version) -> str:
    return f"{v} is a prerelease version and the constraint is only looking for release versions"


def _check(v: Version, c: _Constraint, include_pre: bool) -> tuple[bool, str]:
    op = c.op
    if v.pre and not include_pre:
        return False, _pre_fail(v)
    con = c.con
    if op in ("", "="):
        if c.dirty:
            return _tilde(v, c)
        if v.compare(con) == 0:
            return True, ""
        return False, f"{v} is not equal to {c.orig}"
    if op == "!=":
        if c.dirty:
            if con.major != v.major:
                return True, ""
            if con.minor != v.minor and not c.minor_dirty:
                return True, ""
            if c.minor_dirty:
                return False, f"{v} is equal to {c.orig}"
            if con.patch != v.patch and not c.patch_dirty:
                return True, ""
            if c.patch_dirty:
                if v.pre or con.pre:
                    if compare_prerelease(v.pre, con.pre) != 0:
                        return True, ""
                return False, f"{v} is equal to {c.orig}"
        if v.compare(con) == 0:
            return False, f"{v} is equal to {c.orig}"
        return True, ""
    if op == ">":
        fail = f"{v} is less than or equal to {c.orig}"
        if not c.dirty:
            return (True, "") if v.compare(con) == 1 else (False, fail)
        if v.major > con.major:
            return True, ""
        if v.major < con.major or c.minor_dirty:
            return False, fail
        if c.patch_dirty:
            return (True, "") if v.minor > con.minor else (False, fail)
        return (True, "") if v.compare(con) == 1 else (False, fail)
    if op == "<":
        if v.compare(con) < 0:
            return True, ""
        return False, f"{v} is greater than or equal to {c.orig}"
    if op in (">=", "=>"):
        if v.compare(con) >= 0:
            return True, ""
        return False, f"{v} is less than {c.orig}"
    if op in ("<=", "=<"):
        fail = f"{v} is greater than {c.orig}"
        if not c.dirty:
            return (True, "") if v.compare(con) <= 0 else (False, fail)
        if v.major > con.major:
            return False, fail
        if v.major == con.major and v.minor > con.minor and not c.minor_dirty:
            return False, fail
        return True, ""
    if op in ("~", "~>"):
        return _tilde(v, c)
    if op == "^":
        return _caret(v, c)
    raise SemverError(f"improper constraint: {go_quote(c.string())}")  # pragma: no cover


def _tilde(v: Version, c: _Constraint) -> tuple[bool, str]:
    con = c.con
    if v.compare(con) < 0:
        return False, f"{v} is less than {c.orig}"
    if (
        con.major == 0
        and con.minor == 0
        and con.patch == 0
        and not c.minor_dirty
        and not c.patch_dirty
    ):
        return True, ""
    if v.major != con.major:
        return False, f"{v} does not have same major version as {c.orig}"
    if v.minor != con.minor and not c.minor_dirty:
        return False, f"{v} does not have same major and minor version as {c.orig}"
    return True, ""


def _caret(v: Version, c: _Constraint) -> tuple[bool, str]:
    con = c.con
    if v.compare(con) < 0:
        return False, f"{v} is less than {c.orig}"
    if con.major > 0 or c.minor_dirty:
        if v.major == con.major:
            return True, ""
        return False, f"{v} does not have same major version as {c.orig}"
    if con.major == 0 and v.major > 0:
        return False, f"{v} does not have same major version as {c.orig}"
    if con.minor > 0 or c.patch_dirty:
        if v.minor == con.minor:
            return True, ""
        return False, (
            f"{v} does not have same minor version as {c.orig}. Expected minor versions "
            "to match when constraint major version is 0"
        )
    if con.minor == 0 and v.minor > 0:
        return False, f"{v} does not have same minor version as {c.orig}"
    if con.patch == v.patch:
        return True, ""
    return False, (
        f"{v} does not equal {c.orig}. Expect version and constraint to equal when "
        "major and minor versions are 0"
    )


def _rewrite_range(s: str) -> str:
    ms = list(_constraint_res()[1].finditer(s))
    if not ms:
        return s
    o = s
    for m in ms:
        # v[1] is the first version, v[11] the second (Go group numbering)
        t = f">= {m.group(1)}, <= {m.group(11)} "
        o = o.replace(m.group(0), t, 1)
    return o


class Constraints:
    """*semver.Constraints: OR of AND groups."""

    __slots__ = ("groups", "contains_pre", "include_prerelease", "original")

    def __init__(
        self,
        groups: list[list[_Constraint]],
        contains_pre: list[bool],
        include_prerelease: bool = False,
        original: str = "",
    ) -> None:
        self.groups = groups
        self.contains_pre = contains_pre
        self.include_prerelease = include_prerelease
        self.original = original

    def __repr__(self) -> str:
        return f"Constraints({self.original!r})"

    @classmethod
    def parse(cls, c: str) -> Constraints:
        """semver.NewConstraint."""
        src = c
        if len(c.encode("utf-8", "surrogatepass")) > MAX_CONSTRAINT_LEN:
            raise SemverError(f"constraint string is too long (max {MAX_CONSTRAINT_LEN} bytes)")
        simple = _simple_groups(c)
        if simple is not None:
            pc = _constraint_of(simple)
            return cls([[pc]], [bool(pc.con.pre)], False, src)
        c = _rewrite_range(c)
        groups: list[list[_Constraint]] = []
        has_pre: list[bool] = []
        ors = c.split("||")
        if len(ors) > MAX_CONSTRAINT_GROUPS:
            raise SemverError(f"too many constraint groups (max {MAX_CONSTRAINT_GROUPS})")
        for seg in ors:
            if not _constraint_res()[3].search(seg):
                raise SemverError(f"improper constraint: {go_quote(seg)}")
            cs = [m.group(0) for m in _constraint_res()[2].finditer(seg)]
            if not cs:
                cs = [seg]
            result = []
            pre = False
            for s in cs:
                pc = _parse_constraint(s)
                if pc.con.pre:
                    pre = True
                result.append(pc)
            groups.append(result)
            has_pre.append(pre)
        return cls(groups, has_pre, False, src)

    def check(self, v: Version) -> bool:
        for i, group in enumerate(self.groups):
            inc = self.include_prerelease or self.contains_pre[i]
            if all(_check(v, c, inc)[0] for c in group):
                return True
        return False

    def validate(self, v: Version) -> tuple[bool, list[str]]:
        errs: list[str] = []
        prerelease_reported = False
        for i, group in enumerate(self.groups):
            joy = True
            inc = self.include_prerelease or self.contains_pre[i]
            for c in group:
                if not inc and v.pre:
                    if not prerelease_reported:
                        errs.append(_pre_fail(v))
                        prerelease_reported = True
                    joy = False
                else:
                    ok, msg = _check(v, c, inc)
                    if not ok:
                        errs.append(msg)
                        joy = False
            if joy:
                return True, []
        return False, errs

    def String(self) -> str:  # noqa: N802
        return " || ".join(" ".join(c.string() for c in g) for g in self.groups)

    def __str__(self) -> str:
        return self.String()
