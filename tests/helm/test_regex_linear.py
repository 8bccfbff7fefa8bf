"""Sprig's regex functions match in time linear in the input, as Go's RE2 does:
patterns that make a backtracking engine take exponential time ((a+)+$ on a
long run of a's with no match) answer at once on inputs of 10^5 characters,
with Go's results (checked against real Helm, live or recorded, on inputs of a
few thousand characters, where a backtracking Go port would already hang)."""

from __future__ import annotations

from typing import Any

import pytest

from polystack.helm import render_chart
from polystack.helm.golang.regexp import compile_re2
from polystack.helm.render.engine import base_funcs
from polystack.helm.template import TemplateSet

from .recorded import Oracle, assert_same

# (pattern, input that makes a backtracking matcher explode)
CATASTROPHIC = [
    ("(a+)+$", "a" * 30 + "b"),
    ("(a|aa)+$", "a" * 30 + "b"),
    ("(a*)*b", "a" * 30),
    ("^(\\w+\\s?)*$", "word " * 10 + "!"),
    ("(x+x+)+y", "x" * 30),
    ("(.*a){12}", "a" * 30),
    ("^(([a-z])+.)+[A-Z]([a-z])+$", "aaaaaaaaaaaaaaaaaaaaaaaa!"),
    ("(a?){30}a{30}", "a" * 30),
]


def _long(s: str, n: int) -> str:
    """The input scaled to about n characters (the run repeated, the tail kept)."""
    head, tail = s.rstrip("b!"), s[len(s.rstrip("b!")) :]
    unit = head[: max(1, len(head) // 30)] or "a"
    return unit * (n // len(unit)) + tail


@pytest.mark.parametrize(("pattern", "text"), CATASTROPHIC)
def test_catastrophic_patterns_on_long_inputs(pattern: str, text: str) -> None:
    ts = TemplateSet(base_funcs())
    long = _long(text, 100_000)
    src = (
        "{{ regexMatch .p .s }}|{{ regexFind .p .s | len }}|{{ regexFindAll .p .s -1 | len }}|"
        '{{ regexReplaceAll .p .s "X" | len }}|{{ regexReplaceAllLiteral .p .s "$1" | len }}|'
        "{{ regexSplit .p .s -1 | len }}|{{ mustRegexMatch .p .s }}"
    )
    ts.parse("t", src)
    out = ts.execute("t", {"p": pattern, "s": long})
    # the same answers as RE2 gives directly
    r = compile_re2(pattern)
    match = r.match_string(long)
    assert out.split("|")[0] == str(match).lower()
    assert out.split("|")[-1] == str(match).lower()
    assert int(out.split("|")[1]) == len(r.find_string(long))


def test_find_all_and_replace_follow_go_empty_match_rules() -> None:
    r = compile_re2("a*")
    assert r.find_all_string("baaab", -1) == ["", "aaa", ""]
    assert r.replace_all_literal_string("baaab", "X") == "XbXbX"
    assert compile_re2("").split("abc", -1) == ["a", "b", "c"]
    assert compile_re2("x*").replace_all_string("héllo", "[$0]") == "[]h[]é[]l[]l[]o[]"


def test_unicode_classes_go_names() -> None:
    assert compile_re2("\\p{greek}+").find_string("abc αβγ") == "αβγ"
    assert compile_re2("[\\P{Letter}]+").find_string("ab12cd") == "12"
    assert compile_re2("\\p{^L}+").find_string("ab12cd") == "12"


def _chart(root: Any, tpl: str) -> str:
    (root / "templates").mkdir()
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (root / "templates" / "t.yaml").write_text("a: " + tpl + "\n")
    return str(root)


def _theirs(helm: Any, path: str, values: dict[str, Any]) -> list[Any]:
    try:
        return ["ok", helm.Chart.load(path).render(values=values, name="r")]
    except helm.HelmError as e:
        return ["err", str(e)]


def _ours(path: str, values: dict[str, Any]) -> list[Any]:
    try:
        return ["ok", render_chart(path, values, name="r")]
    except Exception as e:  # noqa: BLE001 - compared with Helm's error text
        return ["err", str(e)]


@pytest.mark.parametrize(("pattern", "text"), CATASTROPHIC)
def test_catastrophic_patterns_match_helm(
    oracle: Oracle, tmp_path: Any, pattern: str, text: str
) -> None:
    values: dict[str, Any] = {"p": pattern, "s": _long(text, 3000)}
    tpl = (
        "{{ regexMatch .Values.p .Values.s }}|{{ regexFind .Values.p .Values.s | len }}|"
        "{{ regexFindAll .Values.p .Values.s -1 | len }}|"
        '{{ regexReplaceAll .Values.p .Values.s "<$1>" | len }}|'
        "{{ regexSplit .Values.p .Values.s -1 | len }}"
    )
    path = _chart(tmp_path, tpl)
    key = f"{pattern} on {len(values['s'])} chars"
    theirs = oracle.answer(key, lambda helm: _theirs(helm, path, values))
    assert_same(_ours(path, values), theirs, key)
