"""The whole-text scanner (``lex_all``) against the state-machine lexer.

``lex_all`` is a fast path: wherever it returns items they must be the very
items ``Lexer`` yields (type, position, value, line); where it cannot, it must
return None so the parser falls back to ``Lexer``.
"""

from __future__ import annotations

import contextlib
import pathlib
import re
import sys
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.template import ParseError, scan
from polystack.helm.template.lexer import ItemType as T
from polystack.helm.template.lexer import Lexer
from polystack.helm.template.parse import parse
from polystack.helm.template.scan import lex_all, lex_items

parse_module = sys.modules["polystack.helm.template.parse"]

ROOT = pathlib.Path(__file__).resolve().parents[2]


def raw(text: str, break_ok: bool = True, continue_ok: bool = True) -> list[tuple]:
    lx = Lexer("t", text)
    lx.break_ok = break_ok
    lx.continue_ok = continue_ok
    out = []
    while True:
        it = lx.next_item()
        out.append((it.typ, it.pos, it.val, it.line))
        if it.typ in (T.EOF, T.ERROR):
            return out


def slow(text: str, break_ok: bool = True, continue_ok: bool = True) -> list[tuple]:
    """lex_items: Lexer's items with the SPACE items folded into the next item's flag."""
    items = lex_items("t", text, break_ok, continue_ok)
    assert [it[0] for it in items[-4:]] == [T.EOF] * 4  # the lookahead's padding
    out = [tuple(it) for it in items[:-4]]
    # the folding loses nothing but the SPACE items themselves
    want = raw(text, break_ok, continue_ok)
    kept = [i for i, w in enumerate(want) if w[0] != T.SPACE]
    assert [o[:4] for o in out] == [want[i] for i in kept]
    assert [o[4] for o in out] == [i > 0 and want[i - 1][0] == T.SPACE for i in kept]
    return out


def fast(text: str, break_ok: bool = True, continue_ok: bool = True) -> list[tuple] | None:
    items = lex_all(text, break_ok, continue_ok)
    if items is None:
        return None
    # (a left delimiter also carries the parser memo's key: see actionmemo.py)
    return [tuple(it[:5]) for it in items]


def check(text: str, break_ok: bool = True, continue_ok: bool = True) -> bool:
    got = fast(text, break_ok, continue_ok)
    want = slow(text, break_ok, continue_ok)
    if got is None:
        return False
    assert got == want, text
    return True


# fragments a template is made of, including the corner cases of trim markers,
# comments, numbers, strings and the characters lex_all leaves to Lexer
FRAGMENTS = [
    '"}}"',
    '" -}}"',
    "`}}`",
    "'}'",
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "{{-\n",
    "\n-}}",
    "{{/* c */}}",
    "{{- /* c\n */ -}}",
    "/*",
    "*/",
    " ",
    "  ",
    "\n",
    "\t",
    "\r\n",
    "-",
    "+",
    ".",
    "..",
    "$",
    "$x",
    "$1",
    ":=",
    "=",
    ":",
    "|",
    "(",
    ")",
    ",",
    "}",
    "{",
    "!",
    "'a'",
    "'\\n'",
    "'",
    '"s"',
    '"a\\"b"',
    '"',
    "`r\n`",
    "`",
    "1",
    "-1",
    "+2",
    "1.5",
    ".5",
    "1.",
    "0x1F",
    "1e3",
    "007",
    "1_000",
    "2i",
    "1+2i",
    ".Values",
    ".a.b",
    ".Values.image.tag",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "block",
    "template",
    "break",
    "continue",
    "nil",
    "true",
    "false",
    "include",
    "quote",
    "x",
    "_y",
    "é",
    "ü.x",
    "λ",
    "\x01",
    "text ",
    "a: b\n",
    "  key: ",
]


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(st.sampled_from(FRAGMENTS), max_size=30),
    st.booleans(),
    st.booleans(),
)
def test_lex_all_matches_lexer(parts: list[str], break_ok: bool, continue_ok: bool) -> None:
    check("".join(parts), break_ok, continue_ok)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}-/* \n\t.$:=|()\"'`a1+,é_")), max_size=40))
def test_lex_all_matches_lexer_on_characters(text: str) -> None:
    check(text)


def test_lex_all_takes_the_common_cases() -> None:
    # well-formed templates are scanned by lex_all, not handed back
    for text in [
        "",
        "plain text",
        "a {{ .Values.x }} b",
        "{{- if .Values.a }}\n  x: {{ .Values.a | quote }}\n{{- end }}",
        '{{ include "c.labels" . | nindent 4 }}',
        "{{ $x := 1 }}{{ $x = 2.5 }}{{ $x }}",
        "{{/* comment */}}\n{{- /* trimmed */ -}}\n",
        "{{ range $i, $v := .L }}{{ $i }}={{ $v }},{{ end }}",
        "{{ `raw\nstring` }}{{ 'c' }}{{ (len .) }}",
        "{{ x -}}   \n y {{- z }}",
        # the starter chart's NOTES.txt: a string holding "}}"
        '--template "{{"{{ range (index .s 0) }}{{.}}{{ end }}"}}")',
        "{{ `a}}b` -}}  {{- 'c' }}",
    ]:
        assert check(text), text


def test_raw_strings_holding_the_right_delimiter() -> None:
    # Helm's way to write "}}" and "{{" in a template, and its neighbours
    for text in [
        "a: {{`{{`}} $labels.x {{`}}`}}/{{`}}`}}\n",
        "{{`}}` -}}\n  x",
        "{{`a -}}`}}",
        "{{`a -}} b`}}{{`}}`}}",
        "{{`}}\n}}`}} {{ 1 }}",
        "{{`}}` }}",
        "{{ `}}`}}",
        "{{`}}`| print }}",
        "{{`}}`x}}",
        "{{`}}",
        "{{`}}``}}`}}",
    ]:
        got = fast(text)
        if got is not None:
            assert got == slow(text), text
    assert check("{{`{{`}} $labels.x {{`}}`}}")
    assert check("{{`a -}}`}}")


def test_lex_all_hands_back_errors_and_rare_forms() -> None:
    for text in [
        "{{ .Values.é }}",
        "{{ 0x1F }}",
        "{{ 1e3 }}",
        "{{ unclosed",
        "{{ /* unclosed comment",
        "{{ ( }}",
        "{{ ) }}",
        '{{ "unterminated }}',
        "{{ a : b }}",
        "{{ \x01 }}",
    ]:
        assert fast(text) is None, text


def test_lex_all_on_every_chart_template_in_the_repository() -> None:
    n = 0
    for path in sorted((ROOT / "tests").rglob("*")):
        if (
            path.is_file()
            and path.suffix in (".yaml", ".tpl", ".txt")
            and "templates" in path.parts
        ):
            text = path.read_text(encoding="utf-8", errors="replace")
            if "{{" in text:
                n += 1
                got = fast(text)
                if got is not None:
                    assert got == slow(text), path
    assert n > 0


@contextlib.contextmanager
def _lex_all_disabled() -> Iterator[None]:
    saved = parse_module.lex_all
    parse_module.lex_all = lambda *a, **k: None  # type: ignore[assignment]
    try:
        yield
    finally:
        parse_module.lex_all = saved


def _parse_outcome(text: str) -> tuple[str, Any]:
    try:
        trees = parse("t", text, lambda name: name in ("f", "g", "include", "quote"))
    except ParseError as e:
        return "err", str(e)
    return "ok", {name: str(tree.root) for name, tree in trees.items()}


ACTION_FRAGMENTS = [
    "{{",
    "}}",
    "{{- ",
    " -}}",
    " ",
    "\n",
    ".a",
    ".b",
    ".a.b",
    "$",
    "$x",
    " := ",
    " = ",
    ", ",
    "|",
    " | ",
    "(",
    ")",
    "f",
    "g",
    "nope",
    "include",
    '"s"',
    "1",
    "-2",
    "nil",
    "true",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    '"n"',
    "block",
    "template",
    "break",
    "continue",
    "text\n",
    "{{/* c */}}",
    "é",
]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(ACTION_FRAGMENTS), max_size=25))
def test_parser_same_result_from_either_lexer(parts: list[str]) -> None:
    """The parser's result (trees or Go's error text, line included) is the same
    from lex_all's items as from Lexer's."""
    text = "".join(parts)
    fast_result = _parse_outcome(text)
    with _lex_all_disabled():
        slow_result = _parse_outcome(text)
    assert fast_result == slow_result, text


_PATTERN = re.compile(scan._ACTION_TOKEN, re.VERBOSE)


def _split_by_pattern(body: str) -> list[str] | None:
    toks = _PATTERN.findall(body)
    return toks if sum(map(len, toks)) == len(body) else None


@settings(max_examples=5000, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("{}-/* \n\t\r.$:=|()\"'`a1+,é_\\9Z;~#%[]")), max_size=30)
)
def test_hand_split_is_the_pattern(body: str) -> None:
    # lex_all splits a process's first action texts by hand, then by the pattern
    assert scan._split_by_hand(body) == _split_by_pattern(body)


def test_hand_split_on_every_action_of_the_repository_charts() -> None:
    n = 0
    for path in sorted((ROOT / "tests").rglob("*")):
        if path.is_file() and path.suffix in (".yaml", ".tpl", ".txt"):
            text = path.read_text(encoding="utf-8", errors="replace")
            for part in text.split("{{")[1:]:
                body = part.split("}}", 1)[0].strip("- ")
                n += 1
                assert scan._split_by_hand(body) == _split_by_pattern(body), (path, body)
    assert n > 100


def test_lex_all_is_the_same_before_and_after_the_pattern_takes_over(
    monkeypatch: Any,
) -> None:
    text = (ROOT / "src/polystack/helm/chart/starter/templates/deployment.yaml").read_text()
    monkeypatch.setattr(scan, "_MEMO", {})
    monkeypatch.setattr(scan, "_findall", None)
    monkeypatch.setattr(scan, "_hand_left", scan.HAND_SPLIT_CHARS)
    by_hand = lex_all(text)
    monkeypatch.setattr(scan, "_MEMO", {})
    monkeypatch.setattr(scan, "_hand_left", 0)
    by_pattern = lex_all(text)
    assert scan._findall is not None
    assert by_hand is not None and by_pattern is not None
    assert [it[:5] for it in by_hand] == [it[:5] for it in by_pattern]
