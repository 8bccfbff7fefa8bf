"""The parser's loop (template/fastparse.py) against the recursive descent alone:
whatever the memo holds, a parse gives the very trees (every node, position and
line) and the very error text that parse.Tree's recursive descent gives."""

from __future__ import annotations

import pathlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.template import actionmemo, fastparse, scan
from tests.helm.test_template_action_memo import ACTIONS, TEXTS, no_memo, outcome

parse_module = sys.modules["polystack.helm.template.parse"]
ROOT = pathlib.Path(__file__).resolve().parents[2]

# typing is imported by type checkers only
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@contextmanager
def no_loop() -> Iterator[None]:
    saved = parse_module.build, parse_module._direct
    parse_module.build = lambda t, items, abort: False
    parse_module._direct = None
    try:
        yield
    finally:
        parse_module.build, parse_module._direct = saved


@contextmanager
def no_direct() -> Iterator[None]:
    """The loop over lex_all's items only (fastparse.build): no text read directly."""
    saved = parse_module._direct
    parse_module._direct = None
    try:
        yield
    finally:
        parse_module._direct = saved


def reference(text: str) -> Any:
    """The recursive descent alone: no memo, no loop."""
    with no_memo(), no_loop():
        return outcome(text)


def check(text: str, warm: str = "") -> None:
    want = reference(text)
    for direct in (True, False):  # from the text (textparse.direct), from lex_all's items
        with no_direct() if not direct else nullcontext():
            actionmemo.clear()
            scan._MEMO.clear()
            assert outcome(text) == want, text  # first occurrences: each parsed by the parser
            assert outcome(text) == want, text  # the memo full: compact items, the loop's
            actionmemo.clear()
            scan._MEMO.clear()
            outcome(warm)  # the memo learns some actions (or none) ...
            assert outcome(text) == want, text


MORE = [
    '{{ define "m" -}}',
    '{{- define "n" }}',
    "{{ define `r` }}",
    '{{ define "x" . }}',
    '{{ define "\\q" }}',
    "{{ with .b }}",
    "{{ else with .b }}",
    "{{- else if $x }}",
    "{{ if .a }}x{{ else if .b }}y{{ else }}z{{ end }}",
    "{{ range $i, $v := .a }}{{ $i }}{{ break }}{{ else }}{{ end }}",
    "{{ with $w := .a }}{{ $w }}{{ else with .b }}{{ $w }}{{ end }}",
    '{{ define "d" }}{{ if .a }}{{ end }}{{ end }}',
    '{{ template "n" }}',
    "{{ end }}",
    "{{ else }}",
]


@settings(max_examples=2500, deadline=None)
@given(
    warm=st.lists(st.sampled_from(ACTIONS + MORE + TEXTS), max_size=12),
    parts=st.lists(st.sampled_from(ACTIONS + MORE + TEXTS), max_size=24),
)
def test_same_trees_and_errors_as_the_recursive_descent(warm: list[str], parts: list[str]) -> None:
    check("".join(parts), "".join(warm))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain",
        '{{ define "a" }}A{{ end }}{{ define "a" }}B{{ end }}',
        '{{ define "a" }}A{{ end }}{{ define "a" }} {{ end }}',
        '{{ define "a" }} {{ end }}{{ define "a" }}B{{ end }}',
        '{{ define "a" }}{{ if .x }}{{ end }}',
        "{{ if .a }}{{ if .b }}{{ end }}",
        "{{ if .a }}{{ else }}{{ else }}{{ end }}",
        "{{ range .a }}{{ else if .b }}{{ end }}",
        "{{ if .a }}{{ else with .b }}{{ end }}",
        "{{ with .a }}{{ else if .b }}{{ end }}",
        "{{ range .a }}{{ break }}{{ continue }}{{ end }}{{ break }}",
        "{{ range .a }}{{ else }}{{ break }}{{ end }}",
        "{{ range .a }}{{ if .b }}{{ break }}{{ end }}{{ end }}",
        '{{ if .a }}{{ define "d" }}{{ end }}{{ end }}',
        "{{ $x := 1 }}{{ if $y := 2 }}{{ $y }}{{ else }}{{ $y }}{{ end }}{{ $y }}",
        "{{ if $y := 2 }}{{ else if $z := $y }}{{ $z }}{{ end }}{{ $z }}",
        # chains (textparse.direct: the else-list's structure ends with the chain's {{end}})
        "{{ if .a }}1{{ else if .b }}2{{ else if .c }}3{{ else }}4{{ end }}5",
        "{{ if .a }}{{ $v := 1 }}{{ else if $v }}{{ $v }}{{ end }}{{ $v }}",
        "{{ with .a }}{{ else with $w := .b }}{{ $w }}{{ else }}{{ $w }}{{ end }}",
        "{{ if .a }}{{ else if .b }}{{ if .c }}{{ else if .d }}{{ end }}{{ else }}{{ end }}",
        "{{ range .a }}{{ if .b }}{{ break }}{{ else if .c }}{{ continue }}{{ end }}{{ end }}",
        "{{- if .a -}}\n x \n{{- else if .b -}}\n y\n{{- end -}}\n",
        "{{ if .a }}{{ else if .b }}",
        "{{ if .a }}{{ else if .b }}{{ else if }}{{ end }}",
        "{{ if .a }}{{ else }}{{ else if .b }}{{ end }}",
        # strings and raw strings holding "}}"
        '{{ "{{ x }}" }} and {{- "}}" -}} {{ `}}` }}',
        '{{ if .a }}{{ "a }} b" | f }}{{ end }}{{ "}}" }}',
        "{{`}}`}}{{ `x` }}",
        "{{ .a }}{{ end }}",
        "{{ if .a }}" * 1200 + "{{ end }}" * 1200,
        # the template redefined by its own text: the error's line is where parsing ended
        '{{ define "t" }}x{{ end }}text\n\n{{ .a }}\nmore',
        'a\n{{ .a }}\n{{ define "t" }}x{{ end }}\n{{ .a }}\n\n',
        '{{ .a }}\n{{ if .a }}\n{{ end }}{{ define "t" }}x{{ end }}\n\n{{ if .a }}\n{{ end }}',
    ],
)
def test_structures_and_their_errors(text: str) -> None:
    check(text, text)


def test_nesting_beyond_the_loops_depth_is_the_parsers() -> None:
    depth = fastparse.MAX_DEPTH + 5
    text = "{{ if .a }}x" * depth + "{{ end }}" * depth
    check(text, text)


def test_every_chart_template_in_the_repository() -> None:
    n = 0
    for path in sorted((ROOT / "tests").rglob("*")) + sorted(
        (ROOT / "src/polystack/helm/chart/starter").rglob("*")
    ):
        if (
            path.is_file()
            and path.suffix in (".yaml", ".tpl", ".txt")
            and "{{" in path.name + (text := path.read_text(encoding="utf-8", errors="replace"))
        ):
            n += 1
            check(text, text)
    assert n > 20


def _any_function(name: str) -> bool:
    return name not in ("break", "continue")  # (the keywords, as in Helm's function map)


def test_the_loop_builds_the_common_templates() -> None:
    """The starter chart's templates, their actions in the memo, are built by the loop
    (none handed back to the recursive descent), read from the text directly (NOTES.txt
    too: {{else if}} chains, a string holding "}}")."""
    calls: list[tuple[str, bool]] = []
    real_build, real_direct = fastparse.build, parse_module._direct

    def counting(t: Any, items: Any, abort: Any) -> bool:
        ok = real_build(t, items, abort)
        calls.append(("build", ok))
        return ok

    def counting_direct(t: Any, text: str, abort: Any) -> bool:
        ok = real_direct(t, text, abort)
        calls.append(("direct", ok))
        return ok

    parse_module.build = counting
    parse_module._direct = counting_direct
    try:
        for path in sorted((ROOT / "src/polystack/helm/chart/starter/templates").glob("*")):
            if path.is_file():
                text = path.read_text()
                outcome(text, _any_function)
                calls.clear()
                assert outcome(text, _any_function)[0] == "ok"
                assert calls == [("direct", True)], path
    finally:
        parse_module.build = real_build
        parse_module._direct = real_direct
