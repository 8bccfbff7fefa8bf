"""Masterminds/semver v3 versions and constraints (polystack.helm.encoding.semver).

Expected values follow semver's own tests (version_test.go, constraints_test.go)
and README; the semverCompare cases in test_sprig_oracle.py were checked
against real Helm.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polystack.helm.encoding.semver import Constraints, SemverError, Version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3", "1.2.3"),
        ("v1.2.3", "1.2.3"),
        ("1.2", "1.2.0"),
        ("1", "1.0.0"),
        ("1.2.3-beta.1+build.345", "1.2.3-beta.1+build.345"),
        ("1.2.3+meta-data", "1.2.3+meta-data"),
        ("01.2.3", "1.2.3"),  # NewVersion coerces leading zeros
    ],
)
def test_parse(text: str, expected: str) -> None:
    assert Version.parse(text).String() == expected
    assert Version.parse(text).Original() == text


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "invalid semantic version"),
        ("bad", "invalid semantic version"),
        ("1.2.3.4", "invalid semantic version"),
        ("1.2.3-01", "version segment starts with 0"),
        ("1.2.3-a..b", "invalid semantic version"),  # the loose regexp rejects it first
        ("1.2.3+a_b", "invalid semantic version"),
        ("V1.2.3", "invalid semantic version"),
    ],
)
def test_parse_errors(text: str, error: str) -> None:
    with pytest.raises(SemverError) as e:
        Version.parse(text)
    assert str(e.value) == error


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("1.2", "invalid semantic version"),
        ("v1.2.3", "invalid characters in version"),
        ("01.2.3", "version segment starts with 0"),
        ("", "version string empty"),
    ],
)
def test_strict(text: str, error: str) -> None:
    with pytest.raises(SemverError) as e:
        Version.strict(text)
    assert str(e.value) == error
    assert Version.strict("1.2.3-rc.1+b").String() == "1.2.3-rc.1+b"


@pytest.mark.parametrize(
    ("a", "b", "cmp"),
    [
        ("1.2.3", "1.2.3", 0),
        ("1.2.3", "1.2.4", -1),
        ("1.2.3-alpha", "1.2.3", -1),
        ("1.2.3-alpha", "1.2.3-alpha.1", -1),
        ("1.2.3-alpha.1", "1.2.3-alpha.beta", -1),
        ("1.2.3-beta.2", "1.2.3-beta.11", -1),
        ("1.2.3-rc.1", "1.2.3-beta.11", 1),
        ("1.2.3+a", "1.2.3+b", 0),
        ("2.0.0", "10.0.0", -1),
    ],
)
def test_compare(a: str, b: str, cmp: int) -> None:
    assert Version.parse(a).compare(Version.parse(b)) == cmp
    assert Version.parse(b).compare(Version.parse(a)) == -cmp


@pytest.mark.parametrize(
    ("constraint", "version", "ok"),
    [
        ("=2.0.0", "2.0.0", True),
        ("2.0", "2.0.5", True),  # dirty: acts as ~
        ("!=4.1", "4.2.0", True),
        ("!=4.1", "4.1.5", False),  # 4.1 is dirty: any 4.1.x is "equal"
        ("!=4.x", "4.1.0", False),
        (">1.1", "1.1.5", False),
        (">1.1", "1.2.0", True),
        ("<=1.1", "1.1.9", True),
        ("<=1.1", "1.2.0", False),
        ("<1.1", "1.0.9", True),
        (">=1.1", "1.1.0", True),
        ("=>1.1", "1.1.0", True),
        ("=<1.1", "1.1.3", True),
        ("~1.2.3", "1.2.9", True),
        ("~1.2.3", "1.3.0", False),
        ("~1", "1.9.9", True),
        ("~>1.2", "1.2.9", True),
        ("^1.2.3", "1.9.0", True),
        ("^1.2.3", "2.0.0", False),
        ("^0.2.3", "0.2.9", True),
        ("^0.2.3", "0.3.0", False),
        ("^0.0.3", "0.0.3", True),
        ("^0.0.3", "0.0.4", False),
        ("^0", "0.9.0", True),
        ("1.x", "1.4.0", True),
        ("1.2.x", "1.3.0", False),
        ("*", "9.9.9", True),
        ("*", "1.0.0-alpha", False),
        (">=1.0.0", "1.1.0-beta", False),
        (">=1.0.0-0", "1.1.0-beta", True),
        ("1.1 - 2", "1.5.0", True),
        ("1.1 - 2", "2.0.0", True),
        ("1.1 - 2", "2.0.1", True),  # <= 2 is dirty: major 2 still matches
        ("1.1 - 2", "3.0.0", False),
        (">1, <3 || >=5", "5.0.0", True),
        (">1 <3", "4.0.0", False),
        (">=1.2.3, <2", "1.5.0", True),
    ],
)
def test_check(constraint: str, version: str, ok: bool) -> None:
    assert Constraints.parse(constraint).check(Version.parse(version)) is ok


@pytest.mark.parametrize("bad", ["", "bad", ">>1", "1.2.3 ||", "~1.2.3 ^"])
def test_improper_constraint(bad: str) -> None:
    with pytest.raises(SemverError) as e:
        Constraints.parse(bad)
    assert str(e.value).startswith("improper constraint: ")


def test_validate_reasons() -> None:
    c = Constraints.parse("<=1.2")
    ok, errs = c.validate(Version.parse("1.3.0"))
    assert not ok and errs == ["1.3.0 is greater than 1.2"]
    ok, errs = Constraints.parse("^1").validate(Version.parse("1.0.0-rc.1"))
    assert not ok
    assert errs == [
        "1.0.0-rc.1 is a prerelease version and the constraint is only looking for release versions"
    ]


def test_string() -> None:
    assert Constraints.parse("1.0 - 2.0").String() == ">=1.0 <=2.0"
    assert Constraints.parse(">1, <3 || ^4").String() == ">1 <3 || ^4"


def test_inc() -> None:
    v = Version.parse("v1.2.3-rc.1")
    assert v.IncPatch().String() == "1.2.3"
    assert v.IncPatch().Original() == "v1.2.3"
    assert v.IncMinor().String() == "1.3.0"
    assert v.IncMajor().String() == "2.0.0"


_num = st.integers(min_value=0, max_value=10**6)


@given(_num, _num, _num, _num, _num, _num)
def test_compare_matches_tuple_order(a: int, b: int, c: int, x: int, y: int, z: int) -> None:
    v, w = Version.parse(f"{a}.{b}.{c}"), Version.parse(f"{x}.{y}.{z}")
    expected = (a, b, c) > (x, y, z)
    assert (v.compare(w) == 1) is expected
    assert Constraints.parse(f">{x}.{y}.{z}").check(v) is expected
    assert Constraints.parse(f">={a}.{b}.{c}").check(v)
    assert Constraints.parse(f"~{a}.{b}.{c}").check(v)
    assert Constraints.parse(f"^{a}.{b}.{c}").check(v)


# ---- the hand-written matchers against semver's regular expressions

_LOOSE_RE = re.compile(
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?",
    re.ASCII,
)
_VERSIONISH = st.text(alphabet="v0123456789.-+xX*|aZ =<>!~^,\t٣", max_size=14)


@given(st.one_of(_VERSIONISH, st.from_regex(_LOOSE_RE, fullmatch=True)))
def test_match_loose_is_the_loose_regex(text: str) -> None:
    from polystack.helm.encoding.semver import _match_loose

    m = _LOOSE_RE.fullmatch(text)
    expected = None
    if m is not None:
        expected = (
            m.group(1),
            (m.group(2) or ".")[1:],
            (m.group(3) or ".")[1:],
            m.group(5) or "",
            m.group(8) or "",
        )
    assert _match_loose(text) == expected


def _regex_constraints(c: str) -> list[list[tuple[object, ...]]] | str:
    """Constraints.parse by the regular expressions only (no simple-case path)."""
    from polystack.helm.encoding import semver

    saved = semver._simple_groups
    semver._simple_groups = lambda c: None  # type: ignore[assignment]
    try:
        return _shape(Constraints.parse(c))
    except SemverError as e:
        return str(e)
    finally:
        semver._simple_groups = saved  # type: ignore[assignment]


def _shape(cs: Constraints) -> list[list[tuple[object, ...]]]:
    return [
        [
            (c.op, c.orig, c.con.String(), c.con.original, c.minor_dirty, c.dirty, c.patch_dirty)
            for c in g
        ]
        for g in cs.groups
    ] + [[tuple(cs.contains_pre)], [(cs.String(),)]]


_OPS = st.sampled_from(
    ["", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^", "==", "<>"]
)
_PART = st.one_of(
    st.sampled_from(["x", "X", "*", "0", "01", "1x", ""]),
    st.from_regex(r"[0-9]{1,3}", fullmatch=True),
)


@given(
    st.one_of(
        _VERSIONISH,
        st.builds(
            lambda op, v, parts: op + v + ".".join(parts),
            _OPS,
            st.sampled_from(["", "v"]),
            st.lists(_PART, min_size=1, max_size=4),
        ),
    )
)
def test_simple_constraints_parse_as_the_regexes_do(c: str) -> None:
    try:
        got: object = _shape(Constraints.parse(c))
    except SemverError as e:
        got = str(e)
    assert got == _regex_constraints(c)
