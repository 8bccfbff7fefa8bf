"""Chart loading: directories, archives, .helmignore, Chart.yaml validation,
subcharts, CRDs and files, compared with real Helm where it can tell."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.action.package import package
from polystack.helm.chart import ignore
from polystack.helm.chart.chart import ChartError, is_valid_semver, load, load_archive

from .conftest import CHARTS_DIR


def _write(root: Any, files: dict[str, str]) -> str:
    for name, text in files.items():
        p = os.path.join(str(root), name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(text)
    return str(root)


def test_load_parent_chart() -> None:
    c = load(os.path.join(CHARTS_DIR, "parent"))
    assert c.name() == "parent"
    assert c.metadata.version == "1.2.3"
    assert sorted(d.name() for d in c.dependencies()) == ["lib", "sub1", "sub2"]
    assert [t.name for t in c.templates][:2] == ["templates/NOTES.txt", "templates/_helpers.tpl"]
    names = {f.name for f in c.files}
    assert {"README.md", "crds/widgets.yaml", "files/lines.txt"} <= names
    assert "values.yaml" not in names and "Chart.yaml" not in names
    assert [x[1] for x in c.crd_objects()] == ["parent/crds/widgets.yaml"]
    sub1 = next(d for d in c.dependencies() if d.name() == "sub1")
    assert sub1.chart_full_path() == "parent/charts/sub1"
    assert sub1.values["global"]["subOnly"] is True  # YAML 1.1: yes is a bool


@pytest.mark.parametrize(
    ("chart_yaml", "message"),
    [
        (None, "Chart.yaml file is missing"),
        ("apiVersion: v2\nversion: 0.1.0\n", "validation: chart.metadata.name is required"),
        ("apiVersion: v2\nname: t\n", "validation: chart.metadata.version is required"),
        (
            "apiVersion: v2\nname: t\nversion: abc\n",
            'validation: chart.metadata.version "abc" is invalid',
        ),
        (
            "apiVersion: v2\nname: t\nversion: 0.1.0\ntype: foo\n",
            "validation: chart.metadata.type must be application or library",
        ),
        (
            "apiVersion: v2\nname: t\nversion: 0.1.0\nfoo: [\n",
            "cannot load Chart.yaml: error converting YAML to JSON: yaml: line 4: did not find"
            " expected node content",
        ),
    ],
)
def test_chart_yaml_errors(
    helm_oracle: Any, tmp_path: Any, chart_yaml: str | None, message: str
) -> None:
    files = {"templates/a.yaml": "x"}
    if chart_yaml is not None:
        files["Chart.yaml"] = chart_yaml
    path = _write(tmp_path, files)
    with pytest.raises(ChartError) as ei:
        load(path)
    assert str(ei.value) == message
    with pytest.raises(helm_oracle.HelmError) as he:
        helm_oracle.Chart.load(path)
    assert str(he.value) == message


def test_tolerant_chart_yaml(tmp_path: Any) -> None:
    path = _write(
        tmp_path, {"Chart.yaml": "name: t\nversion: 1\nappVersion: 1.10\n", "templates/a": ""}
    )
    c = load(path)
    assert c.metadata.api_version == "v1"
    assert c.metadata.version == "1"
    assert c.metadata.app_version == "1.1"  # a YAML float, printed as Go does


def test_helmignore(tmp_path: Any) -> None:
    path = _write(
        tmp_path,
        {
            "Chart.yaml": "apiVersion: v2\nname: t\nversion: 0.1.0\n",
            ".helmignore": "# comment\n*.bak\nsecret/\n!keep.bak\n/rootonly.txt\ndocs/*.md\n",
            "a.bak": "",
            "keep.bak": "",
            "secret/x": "",
            "rootonly.txt": "",
            "sub/rootonly.txt": "",
            "docs/a.md": "",
            "docs/deep/b.md": "",
            "templates/.hidden": "",
            "templates/ok.yaml": "",
        },
    )
    c = load(path)
    files = sorted(f.name for f in c.files)
    assert files == [".helmignore", "docs/deep/b.md", "sub/rootonly.txt"]
    assert [t.name for t in c.templates] == ["templates/ok.yaml"]


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("*.txt", "a.txt", True),
        ("*.txt", "a/b.txt", False),
        ("a?c", "abc", True),
        ("[a-c]x", "bx", True),
        ("[^a-c]x", "dx", True),
        ("[!a-c]x", "!x", True),
        ("\\*", "*", True),
        ("a/*", "a/b", True),
    ],
)
def test_filepath_match(pattern: str, name: str, expected: bool) -> None:
    # Go's path/filepath.Match semantics
    assert ignore.match(pattern, name) is expected


def test_bad_pattern() -> None:
    with pytest.raises(ignore.BadPattern):
        ignore.match("[", "x")


def test_archive_roundtrip(tmp_path: Any) -> None:
    out = package(os.path.join(CHARTS_DIR, "parent"), str(tmp_path))
    with open(out, "rb") as fh:
        c = load_archive(fh.read())
    d = load(os.path.join(CHARTS_DIR, "parent"))
    assert c.name() == d.name()
    assert sorted(f.name for f in c.files) == sorted(f.name for f in d.files)
    assert {t.name: t.data for t in c.templates} == {t.name: t.data for t in d.templates}
    assert sorted(x.name() for x in c.dependencies()) == sorted(x.name() for x in d.dependencies())


def test_oracle_loads_same_metadata(helm_oracle: Any) -> None:
    path = os.path.join(CHARTS_DIR, "parent")
    theirs = helm_oracle.Chart.load(path)
    ours = load(path)
    assert theirs.name == ours.name()
    assert theirs.version == ours.metadata.version
    assert sorted(f["name"] for f in theirs.files) == sorted(f.name for f in ours.files)
    assert sorted(t["name"] for t in theirs.templates) == sorted(t.name for t in ours.templates)


@pytest.mark.parametrize(
    ("v", "ok"),
    [
        ("1.2.3", True),
        ("v1.2", True),
        ("1", True),
        ("1.2.3-rc.1+b", True),
        ("abc", False),
        ("1.2.3-01", False),
    ],
)
def test_semver_validity(v: str, ok: bool) -> None:
    assert is_valid_semver(v) is ok


_CHART_SEMVER = re.compile(
    r"v?(0|[1-9]\d*)(\.(0|[1-9]\d*))?(\.(0|[1-9]\d*))?"
    r"(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?"
)


@settings(max_examples=500)
@given(
    st.one_of(
        st.text(alphabet="v0123456789.-+aZ \u0663x", max_size=14),
        st.from_regex(_CHART_SEMVER, fullmatch=True),
    )
)
def test_is_valid_semver_is_the_pattern(v: str) -> None:
    """chart.is_valid_semver (matched by hand) accepts what the semver pattern and
    the leading-zero rule for numeric prerelease identifiers accept."""
    m = _CHART_SEMVER.fullmatch(v)
    expected = m is not None and not any(
        p.isdigit() and len(p) > 1 and p[0] == "0" for p in (m.group(7) or "").split(".")
    )
    assert is_valid_semver(v) == expected


@settings(max_examples=500)
@given(st.text(alphabet="ab./*~_-\n", max_size=6), st.text(alphabet="ab./*~_-\n", max_size=8))
def test_ignore_plain_patterns_match_as_their_regex(pattern: str, name: str) -> None:
    """.helmignore lines without meta characters, or `*` and such a suffix, are
    matched without a regular expression, as filepath.Match's translation would."""
    translated = re.compile("".join("[^/]*" if c == "*" else re.escape(c) for c in pattern), re.S)
    assert ignore.match(pattern, name) == (translated.fullmatch(name) is not None)


_RULE = st.text(alphabet="ab./*?~_-[]", min_size=1, max_size=6)


@settings(max_examples=300)
@given(
    st.lists(_RULE, max_size=6),
    st.lists(st.text(alphabet="ab./~_-", min_size=1, max_size=8), min_size=1, max_size=5),
    st.booleans(),
)
def test_ignore_shortcut_agrees_with_rules_in_order(
    rules: list[str], paths: list[str], is_dir: bool
) -> None:
    """Rules.ignore's set/suffix shortcut (no negated rule) decides as trying every
    rule in order does."""
    r = ignore.Rules()
    for rule in rules:
        try:
            r.parse_rule(rule)
        except (ValueError, ignore.BadPattern):
            pass
    for path in paths:
        in_order = False
        for p in r.patterns if path not in ("", ".", "./") else ():
            if p.must_dir and not is_dir:
                continue
            if p.fn(path):
                in_order = True
                break
        assert r.ignore(path, is_dir) == in_order
