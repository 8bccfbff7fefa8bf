"""Patterns a fresh `helm template` no longer compiles, matched by hand instead:
each hand matcher against the pattern it stands for."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.cli import flag_values


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789.smhnuµμ+-x ٣", max_size=12))
def test_duration_part_is_the_pattern(s: str) -> None:
    m = re.match(flag_values._DURATION, s)
    assert m is not None
    assert flag_values._duration_part(s) == m.groups()


def test_durations() -> None:
    assert flag_values._duration_error("5m0s") == ""
    assert flag_values.parse_duration("--timeout", "1h2m3.5s") == 3723.5
    assert flag_values._duration_error("5") == 'time: missing unit in duration "5"'
    assert flag_values._duration_error("5x") == 'time: unknown unit "x" in duration "5x"'
    assert flag_values._duration_error(".s") == 'time: invalid duration ".s"'


@settings(max_examples=2000, deadline=None)
@given(
    st.text(alphabet="ab./-\n", max_size=6),
    st.text(alphabet="ab./-\n", max_size=10),
)
def test_prefix_rule_is_the_pattern(prefix: str, name: str) -> None:
    """`PREFIX?*` (.helmignore's default `templates/.?*`) without a regex: what
    filepath.Match's translation to a regex matches."""
    from polystack.helm.chart import ignore

    m = ignore._compile(prefix + "?*")
    assert isinstance(m, ignore._Prefix)
    rx = re.compile(re.escape(prefix) + "[^/][^/]*", re.S)
    assert bool(m.fullmatch(name)) == (rx.fullmatch(name) is not None)
    assert ignore.match(prefix + "?*", prefix + name) == (rx.fullmatch(prefix + name) is not None)


def test_default_rule_ignores_hidden_templates() -> None:
    from polystack.helm.chart.ignore import Rules

    r = Rules()
    r.add_defaults()
    assert r.ignore("templates/.hidden.yaml", False)
    assert r.ignore("templates/.x", False)
    assert not r.ignore("templates/.", False)
    assert not r.ignore("templates/a.yaml", False)
    assert not r.ignore("templates/sub/.hidden", False)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="0123456789._+-:xXoObBeE", max_size=10))
def test_yaml_resolution_without_patterns_is_the_same(s: str) -> None:
    """The dot and colon shortcuts in yamlresolve (a chart's `version: 1.2.3`
    resolves without compiling the int and float patterns) change no result."""
    from polystack.helm.encoding import yamlresolve as yr

    plain = s.replace("_", "")
    m = yr._pattern("int").fullmatch(plain)
    got = yr._parse_go_int(plain)
    if m is None and not (plain[1:] if plain[:1] in "+-" else plain).isdigit():
        assert got is None
    if "." in plain:
        assert m is None
    if plain.count(".") >= 2:
        assert yr._pattern("yaml_float").fullmatch(plain) is None
    if s and ":" not in s:
        assert yr._pattern("base60").fullmatch(s) is None


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="v0123456789.-+ a٣", max_size=10))
def test_kube_version_without_the_pattern_is_the_same(v: str) -> None:
    """parse_kube_version's shortcut for `vMAJOR.MINOR[.PATCH]` agrees with the
    pattern (k8s ParseGeneric) on every text."""
    from polystack.helm.funcs import helm

    m = re.fullmatch(helm._KUBE_VERSION, v)
    try:
        got = helm.parse_kube_version(v)
    except ValueError as e:
        got = str(e)
    if m is None:
        assert got == f'could not parse "{v}" as version'
        return
    major, minor, patch = m.group(1), m.group(2), m.group(3) or "0"
    if any(len(p) > 1 and p[0] == "0" for p in (major, minor, patch)):
        assert isinstance(got, str) and got.startswith("illegal zero-prefixed")
        return
    assert not isinstance(got, str)
    assert (got.Major, got.Minor) == (str(int(major)), str(int(minor)))
    assert got.normalizedVersion == f"v{int(major)}.{int(minor)}.{int(patch)}"


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x90), max_size=12))
def test_metadata_control_characters_removed_as_the_pattern_does(s: str) -> None:
    from polystack.helm.chart.chart import Metadata

    md = Metadata()
    md.name, md.version = "x", "1.0.0"
    md.api_version = "v2"
    md.description = s
    md.validate()
    assert md.description == re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", s)
