"""The parser's memo of actions (template/actionmemo.py): an action whose text
was parsed before gets a copy of that pipeline, moved to where it is now, and
lex_all leaves its items out. Whatever the memo holds, a parse must give the
very trees (every node, position and line) or the very error text a parse
without it gives."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.template import TemplateSet, actionmemo, fastparse, scan
from polystack.helm.template.errors import ExecError, ParseError
from polystack.helm.template.nodes import Node
from polystack.helm.template.parse import parse
from polystack.helm.template.treecodec import LIST, LazyListNode

parse_module = sys.modules["polystack.helm.template.parse"]

# typing is imported by type checkers only
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _funcs(name: str) -> bool:
    return name in ("f", "g", "include", "quote", "default", "nindent", "toYaml")


def dump(n: Any, text: str) -> Any:
    """Every field of a node tree (positions and lines included), recursively (a
    list in the tuple form, see flat, as the list of its nodes)."""
    if isinstance(n, Node):
        assert n.tree is not None and n.tree.text == text
        out: list[Any] = ["ListNode" if type(n) is LazyListNode else type(n).__name__]
        for cls in type(n).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                if slot in ("tree", "_enc", "weight") or not hasattr(n, slot):
                    continue
                out.append((slot, dump(getattr(n, slot), text)))
        return out
    if isinstance(n, list):
        return [dump(x, text) for x in n]
    return n


def flat(tree: Any) -> Any:
    """A tree's root in treecodec's tuple form (lists unpacked) and its weight: the
    parser's loop builds its trees in that form (the tuples and weights the encoder
    makes of the recursive descent's nodes), the recursive descent its nodes."""
    root = tree.root
    if type(root) is LazyListNode:
        assert tree.weight_known and tree.weight == max(root.weight, 1)
        assert type(root._enc) is tuple
        return (LIST, root.pos, root.weight, root._enc)
    return fastparse.encode_flat(root)[0]


def outcome(text: str, has_function: Callable[[str], bool] = _funcs) -> Any:
    try:
        trees = parse("t", text, has_function)
    except ParseError as e:
        return "err", str(e)
    return "ok", {name: (flat(tree), dump(tree.root, text)) for name, tree in trees.items()}


@contextmanager
def no_memo() -> Iterator[None]:
    """Parse without the memo: nothing looked up, nothing recorded, nothing compact."""
    saved = (parse_module._memo_get, actionmemo.record, actionmemo.record_keyword)
    parse_module._memo_get = lambda key: None  # type: ignore[assignment]
    actionmemo.record = lambda *a, **k: None  # type: ignore[assignment]
    actionmemo.record_keyword = lambda *a, **k: None  # type: ignore[assignment]
    actionmemo.clear()
    scan._MEMO.clear()
    try:
        yield
    finally:
        parse_module._memo_get, actionmemo.record, actionmemo.record_keyword = saved


def reference(text: str, has_function: Callable[[str], bool] = _funcs) -> Any:
    with no_memo():
        return outcome(text, has_function)


ACTIONS = [
    "{{ .a }}",
    "{{- .a.b }}",
    "{{ f . | g }}",
    '{{- include "x" . | nindent 4 }}',
    # the same shapes with other strings (actionmemo.from_shape)
    '{{- include "yy.z" . | nindent 4 }}',
    '{{- include "" . | nindent 4 }}',
    '{{ f "a" "bcd" | g }}',
    '{{ f "abc" "" | g }}',
    '{{ if f "x" }}',
    '{{- if f "long one" }}',
    '{{ else if f "e" }}',
    '{{ else if f "eee" }}',
    '{{ $s := f "v" }}',
    '{{ $s := f "vv" }}',
    '{{ f "q" ("r" | g) }}',
    '{{ f "qq" ("" | g) }}',
    '{{ (g "s").t }}',
    '{{ (g "ss").t }}',
    '{{ "lit" }}',
    '{{ "a longer literal" }}',
    '{{ f "\\n" }}',
    '{{ f "a\\"b" }}',
    "{{ $x := .a }}",
    "{{ $x }}",
    "{{ $x.y }}",
    "{{- $y = 1 }}",
    "{{ (f .).c }}",
    "{{ f (g $x) 1.5 -2 'c' `raw` nil true }}",
    "{{ nope . }}",
    "{{ $undefined }}",
    "{{- if .a }}",
    "{{- if $x }}",
    "{{ with $v := .a }}",
    "{{- range $k, $v := .a }}",
    "{{ range .a }}",
    "{{- else }}",
    "{{ else if .b }}",
    "{{ else with .c }}",
    "{{- end }}",
    "{{ break }}",
    "{{ continue }}",
    '{{ define "n" }}',
    '{{ template "n" . }}',
    '{{ block "b" . }}',
    "{{ ($z := 1) }}",
    "{{/* c */}}",
    "{{ . | f\n| g }}",
    "{{ .a",
]
TEXTS = ["", "x", "\n", "  \n  ", "a: b\n"]


@settings(max_examples=1500, deadline=None)
@given(
    warm=st.lists(st.sampled_from(ACTIONS + TEXTS), max_size=12),
    parts=st.lists(st.sampled_from(ACTIONS + TEXTS), max_size=20),
)
def test_same_trees_and_errors_with_the_memo(warm: list[str], parts: list[str]) -> None:
    text = "".join(parts)
    want = reference(text)
    actionmemo.clear()
    scan._MEMO.clear()
    outcome("".join(warm))  # the memo learns some actions (or none) ...
    outcome(text)  # ... and this text's own
    assert outcome(text) == want, text


def test_repeated_actions_are_taken_from_the_memo() -> None:
    text = "{{ .a }}\n{{ f . | g }}\n" * 3 + "{{- if .a }}x{{ end }}" * 2
    want = reference(text)
    actionmemo.clear()
    scan._MEMO.clear()
    assert outcome(text) == want
    items = scan.lex_all(text, compact=True)
    assert items is not None
    # every action the memo has is left without its items ({{ end }} too)
    lefts = [it for it in items if it[0] == scan._T_LEFT_DELIM]
    assert [it[8] for it in lefts] == [0] * 10
    assert outcome(text) == want


@pytest.mark.parametrize(
    "text",
    [
        # a memoized action whose variable is out of scope here: Go's error
        '{{ $x := 1 }}{{ $x }}{{ define "d" }}{{ $x }}{{ end }}',
        "{{ with $v := .a }}{{ $v }}{{ end }}{{ $v }}",
        "{{ range $k, $v := .a }}{{ $k }}{{ end }}{{ range $k, $v := .a }}{{ $k }}{{ end }}",
        # a control action whose variable is out of scope the second time
        '{{ $x := 1 }}{{ if $x }}{{ end }}{{ define "d" }}{{ if $x }}{{ end }}{{ end }}',
        '{{ $x := 1 }}{{ with $x }}{{ end }}{{ define "d" }}{{ with $x }}{{ end }}{{ end }}',
        # the same action on other lines and after a trim marker
        "{{ f .a\n }}\n\n{{- f .a\n }}  {{ f .a\n -}}\n{{ f .a\n }}",
        "{{ .a }}{{ .a }}{{ .a }}{{ end }}",
        "{{ if .a }}{{ .a }}{{ else if .a }}{{ .a }}{{ else if .a }}{{ end }}",
    ],
)
def test_memo_edge_cases(text: str) -> None:
    want = reference(text)
    actionmemo.clear()
    scan._MEMO.clear()
    assert outcome(text) == want
    assert outcome(text) == want  # the memo full: compact items, memo hits


def test_a_function_defined_in_one_set_only() -> None:
    """The memo is shared by every parse of the process: an identifier that is a
    function for one template set is checked again for another."""
    text = "{{ f . }}{{ custom . }}{{ custom . }}"
    actionmemo.clear()
    scan._MEMO.clear()
    ok = outcome(text, lambda n: n in ("f", "custom"))
    assert ok[0] == "ok"
    assert outcome(text) == reference(text)
    assert reference(text)[0] == "err"
    assert 'function "custom" not defined' in reference(text)[1]


def _exec_error(text: str) -> str:
    ts = TemplateSet({"f": lambda x: x})
    ts.parse("t", text)
    with pytest.raises(ExecError) as e:
        ts.execute("t", {"a": 1})
    return str(e.value)


def test_exec_errors_name_the_position_of_the_copy() -> None:
    """A copied node carries its own position: an exec error names its line and column."""
    actionmemo.clear()
    scan._MEMO.clear()
    first = _exec_error("{{ .a.b }}")
    assert first.startswith('template: t:1:5: executing "t" at <.a.b>')
    text = "x\n\n   {{ .a.b }}"
    with no_memo():
        want = _exec_error(text)
    assert want.startswith('template: t:3:8: executing "t" at <.a.b>')
    _exec_error("{{ .a.b }}")
    assert _exec_error(text) == want


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (
            '{{ include "a.labels" . | nindent 4 }}',
            '{{ include "a.selectorLabels" . | nindent 4 }}',
        ),
        ('{{- if f "x" "y" }}{{ end }}', '{{- if f "" "longer" }}{{ end }}'),
        ('{{ $v := f "k" }}{{ $v }}', '{{ $v := f "kkk" }}{{ $v }}'),
        ('{{ f "q" (g "r").s }}', '{{ f "qqq" (g "").s }}'),
        ('{{ if .a }}{{ else if f "e" }}{{ end }}', '{{ if .a }}{{ else if f "eee" }}{{ end }}'),
        ('{{ "lit" }}', '{{ "a longer literal" }}'),
        # not of a shape the memo takes: escapes, other quotes, a newline
        ('{{ f "a" }}', '{{ f "a\\"b" }}'),
        ('{{ f "a" }}', "{{ f 'a' }}"),
        ('{{ f "a" "b" }}', '{{ f "a" `"b` }}'),
    ],
)
def test_actions_of_a_known_shape(first: str, then: str) -> None:
    """An action that differs from a known one only in its strings' text gets its
    split and entry from that one (actionmemo.from_shape): the same trees, positions
    and errors as the parser gives it."""
    text = f"x\n{first}\n  {then} {then}"
    want = reference(text)
    actionmemo.clear()
    scan._MEMO.clear()
    calls: list[bool] = []
    real = actionmemo.from_shape

    def counting(body: str, string_type: Any) -> Any:
        got = real(body, string_type)
        calls.append(got is not None)
        return got

    actionmemo.from_shape = counting  # type: ignore[assignment]
    try:
        assert outcome(first) == reference(first)
        assert outcome(text) == want
    finally:
        actionmemo.from_shape = real  # type: ignore[assignment]
    shaped = '"' in then and "\\" not in then and "'" not in then and "`" not in then
    assert any(calls) == shaped


def test_long_actions_have_no_shape() -> None:
    """The memo of shapes keeps short action texts only (it stays small)."""
    assert actionmemo._shape('include "x" .') == ["include ", "x", " ."]
    assert actionmemo._shape("f " * 300 + '"x"') is None
