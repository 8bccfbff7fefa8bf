"""A cached fresh `helm template` of a common chart imports none of the standard
library's heavier modules: its chart files and templates come from the cache and
nothing on its path imports re (nor enum), functools, collections, base64,
contextlib or importlib at module level (type-only imports are under
TYPE_CHECKING; patterns are compiled where first used). And the hand-written matchers that replaced
patterns on that path agree with the patterns."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.encoding import yamlresolve
from polystack.helm.encoding.jsongo import _b64
from tests.helm.test_startup import _fast_modules

HEAVY = (
    "re",
    "enum",
    "functools",
    "collections",
    "base64",
    "contextlib",
    "yaml",
    "json",
    "importlib",
    "warnings",
)


def test_cached_helm_template_imports_no_heavy_stdlib_module(tmp_path: Path) -> None:
    from polystack.helm.chart.create import create

    chart = tmp_path / "demo"
    create(str(chart))
    env = dict(os.environ, POLYSTACK_HELM_TEMPLATE_CACHE=str(tmp_path / "cache"))
    runs = []
    for _ in range(2):
        code, out, mods = _fast_modules(["helm", "template", "rel", str(chart)], env)
        assert code == 0
        runs.append((out, mods))
    (first, _), (second, mods) = runs
    assert first == second and "kind: Deployment" in second
    assert sorted(m for m in HEAVY if m in mods) == []


def test_cold_helm_template_imports_no_re_enum_functools_collections(tmp_path: Path) -> None:
    """Without the cache a fresh `helm template` lexes and parses every template of a
    common chart, still without re (the actions are split by hand: scan.py), enum (item
    types are ints: items.py), functools or collections."""
    from polystack.helm.chart.create import create

    chart = tmp_path / "demo"
    create(str(chart))
    env = dict(os.environ, POLYSTACK_HELM_TEMPLATE_CACHE="off")
    code, out, mods = _fast_modules(["helm", "template", "rel", str(chart)], env)
    assert code == 0 and "kind: Deployment" in out
    assert "polystack.helm.template.parse" in mods
    assert sorted(m for m in HEAVY if m in mods) == []


_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789.+-eE_x \n\u0661a", max_size=9))
def test_yaml_float_matcher_is_the_pattern(s: str) -> None:
    assert yamlresolve.is_yaml_float(s) == bool(_FLOAT.fullmatch(s))


def _go_parse_float_with_patterns(s: str) -> float | None:
    """_go_parse_float as it was written with re (the reference)."""
    t = s.replace("_", "") if "_" in s else s
    try:
        if re.fullmatch(r"[+-]?0[xX].*", t):
            return float.fromhex(t)
        go_float = r"[+-]?(?:(?:[0-9](?:_?[0-9])*)?\.?[0-9]*(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)"
        if not re.fullmatch(go_float, s, re.I) or not re.search(r"[0-9]|inf|nan", s, re.I):
            return None
        return float(t)
    except (ValueError, OverflowError):
        return None


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="0123456789.+-eExXpP_ \nabcfinINFaA", max_size=10))
def test_go_parse_float_without_patterns_is_the_same(s: str) -> None:
    assert repr(yamlresolve._go_parse_float(s)) == repr(_go_parse_float_with_patterns(s))


@given(st.binary(max_size=300))
def test_json_bytes_are_base64(b: bytes) -> None:
    assert _b64(b) == base64.b64encode(b).decode() == _b64(bytearray(b))
