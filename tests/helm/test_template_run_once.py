"""A cached list's first run straight from its tuples (template/runonce.py) renders,
fails and charges exactly as the compiled closures do: as the same text freshly
parsed and compiled, at the first run and at the later (compiled) ones, with the
same error text (node, line and column), output and work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.render import engine
from polystack.helm.template import ExecError, ParseError, TemplateSet
from polystack.helm.template.diskcache import TreeCache
from polystack.helm.template.limits import Budget
from polystack.helm.template.treecodec import LazyListNode


def _funcs(calls: list[str]) -> dict[str, Any]:
    f = dict(engine.base_funcs())

    def include(name: str, data: Any) -> str:
        calls.append(name)
        return f"<{name}:{data}>"

    f["include"] = include
    for name in ("tpl", "required", "fail", "lookup"):
        f[name] = lambda *a: ""
    return f


class _Struct:
    """Not a map: a field of it is looked up the slow way (and fails)."""


def _sets(tmp_path: Path, text: str, missingkey: str, work: int) -> list[tuple[TemplateSet, list]]:
    fresh_calls: list[str] = []
    fresh = TemplateSet(_funcs(fresh_calls), missingkey=missingkey, budget=Budget(max_work=work))
    fresh.parse("c/t.yaml", text)
    cached_calls: list[str] = []
    cached = TemplateSet(_funcs(cached_calls), missingkey=missingkey, budget=Budget(max_work=work))
    fkey = engine._funcs_key(cached)
    TreeCache(str(tmp_path)).put("c/t.yaml", text, fkey, cached.parse_trees("c/t.yaml", text))
    trees = TreeCache(str(tmp_path)).get("c/t.yaml", text, fkey)
    assert trees is not None
    cached.add_parse_trees("c/t.yaml", trees)
    assert type(cached.tree("c/t.yaml").root) is LazyListNode  # type: ignore[union-attr]
    return [(fresh, fresh_calls), (cached, cached_calls)]


def _runs(ts: TemplateSet, calls: list[str], data: Any) -> list[tuple[str, int, list[str]]]:
    """Three runs of the template: the first from the tuples (when cached), the
    later compiled; each run's output or error, the work so far and the includes."""
    got = []
    for _ in range(3):
        try:
            out = ts.execute("c/t.yaml", data)
        except ExecError as e:
            out = "error: " + str(e)
        got.append((out, ts.budget.work, list(calls)))
    return got


VALUES = {"a": {"b": "x", "n": 3, "l": [1, 2]}, "e": "", "s": "str", "m": {"k": "v"}}

CASES: list[tuple[str, Any, str, str]] = [
    ("a: 1\nb: {{ .Values.x.y }}\n", {"Values": {}}, "error", "map has no entry"),
    ("a: {{ .Values.x.y }}", {"Values": {}}, "zero", ""),
    ("x\n  {{- if .Values.a.b }}y{{ end }}", {"Values": {"a": 1}}, "zero", "can't evaluate"),
    ("{{ with .Values.a }}\n{{ .b }}{{ end }}", {"Values": {"a": "s"}}, "zero", "can't evaluate"),
    ("{{ with .Values.a }}{{ .b }}{{ else }}none{{ end }}", {"Values": {}}, "zero", ""),
    ("{{ .s.field }}", {"s": _Struct()}, "zero", "can't evaluate field"),
    ("{{ .f }}", {"f": len}, "zero", "can't print"),
    ("{{ $x := .a }}{{ $x }}{{ if $x }}{{ $ }}{{ end }}", {"a": 3}, "zero", ""),
    ("{{ if .a }}{{ $v := 1 }}{{ $v }}{{ end }}{{ $v := 2 }}{{ $v }}", {"a": 1}, "zero", ""),
    (
        "{{ range .l }}{{ .n }}{{ if .n }}{{ $.t }}{{ end }}{{ end }}",
        {"l": [{"n": 1}, {"n": 0}, {"n": 2}], "t": 2},
        "zero",
        "",
    ),
    (
        "{{ range $i, $e := .l }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $e }}"
        "{{ if gt $i 2 }}{{ break }}{{ end }}{{ end }}",
        {"l": [1, 2, 3, 4, 5]},
        "zero",
        "",
    ),
    (
        "{{ if .a }}{{ .s }}{{ .s }}{{ end }}",
        {"a": True, "s": "w" * 40000},
        "zero",
        "maximum template work",
    ),
    (
        "{{ .a }} {{ .b }} {{ .c }} {{ .d }}",
        {"a": None, "b": 1.5, "c": [1, "x"], "d": {"k": True}},
        "zero",
        "",
    ),
    ('{{ include "x.name" . | nindent 4 }}\n{{ toYaml .m | indent 2 }}', VALUES, "zero", ""),
    ('{{ .e | default "d" | quote }} {{ default .s .e | upper }}', VALUES, "zero", ""),
    ('{{ printf "%s-%d" .s .a.n }}\n{{ printf "%v" }} {{ print }}', VALUES, "zero", ""),
    ('{{ and .a .e }} {{ or .missing "y" }} {{ not .a }} {{ and }}', VALUES, "zero", "want at"),
    ("{{ if and .a (not .e) }}y{{ else }}n{{ end }}", VALUES, "zero", ""),
    ("{{ or .s (fail) }} {{ and .e .nope.deeper }}", VALUES, "error", ""),
    ('{{ index .m "k" }}\n  {{ index .m 5 }}', VALUES, "zero", "error calling index"),
    ("{{ upper .a.n }}", VALUES, "zero", "wrong type for value"),
    ('x {{ substr 1 "x" "y" }}', VALUES, "zero", "expected integer"),
    ('{{ nindent "4" "x" }}', VALUES, "zero", "expected integer"),
    (
        "{{ trunc 2 .s }} {{ .s | trunc 2 }} {{ trunc 9223372036854775808 .s }}",
        VALUES,
        "zero",
        "expected integer",
    ),
    ("{{ div 1 0 }}", VALUES, "zero", "error calling div"),
    ("{{ $x := list 1 2 }}{{ $x }}{{ $x = 3 }}{{ $x }}", VALUES, "zero", ""),
    ("{{ with $v := .a | default 1 }}{{ $v.n }}{{ end }}{{ $v := 0 }}{{ $v }}", VALUES, "zero", ""),
    ("{{ if $c := .a.n }}{{ $c }}{{ end }}", VALUES, "zero", ""),
    ('{{ .s | printf "%v" }} {{ .s | len }} {{ $.s | upper }}', VALUES, "zero", ""),
    ('{{ repeat 100000 "abc" | len }}', VALUES, "zero", "maximum template work"),
    ("{{ urlParse 7 }}", VALUES, "zero", "expected string; found 7"),
    ('{{ call .f "a" }}', {"f": str.upper}, "zero", ""),
    ("{{ len 1 2 }}", VALUES, "zero", "wrong number of args"),
    ('{{ upper (lower (printf "%s" .s)) | quote }}', VALUES, "zero", ""),
    ("{{ upper (.a.b) }} {{ (upper .s) }} {{ .a.l | first }}", VALUES, "zero", ""),
    ("{{ $v := .s }}{{ $v | upper }} {{ $v.x }}", VALUES, "zero", "can't evaluate field x"),
    ("{{ .s | upper 1 }}", VALUES, "zero", "wrong number of args"),
    ("{{ .a.n | add 1 }} {{ add 1 2.5 }} {{ 3 | add 1 }}", VALUES, "zero", ""),
    ('{{ ternary 1 2 true }} {{ eq .s "str" }} {{ ne 1 2 }}', VALUES, "zero", ""),
    (
        '{{ define "d" }}[{{ .b }}{{ if .n }}{{ .n }}{{ end }}]{{ end }}'
        '{{ template "d" .a }}{{ template "d" .a }}{{ template "d" .m }}',
        VALUES,
        "zero",
        "",
    ),
    ('{{ template "none" . }}', VALUES, "zero", "not defined"),
    ("{{ with .a }}{{ .b }}{{ else with .m }}{{ .k }}{{ end }}", VALUES, "zero", ""),
    ("{{ if .e }}1{{ else if .s }}2{{ else }}3{{ end }}", VALUES, "zero", ""),
    ('{{/* c */}}{{ "lit" }}{{ "' + "z" * 80 + '" }}', VALUES, "zero", ""),
    ("{{ .m.k.z }}", VALUES, "zero", "can't evaluate field z"),
    ("{{ .a.l.x }}", VALUES, "zero", "can't evaluate field x"),
    ("{{ $.nope.x }}", VALUES, "error", "map has no entry"),
]


@pytest.mark.parametrize(("text", "data", "missingkey", "expect"), CASES)
def test_first_run_from_tuples_behaves_as_compiled(
    tmp_path: Path, text: str, data: Any, missingkey: str, expect: str
) -> None:
    (fresh, fcalls), (cached, ccalls) = _sets(tmp_path, text, missingkey, 3000)
    want = _runs(fresh, fcalls, data)
    got = _runs(cached, ccalls, data)
    assert got == want
    assert expect in want[0][0]
    if want[0][0].startswith("error"):
        assert want[0][0].startswith("error: template: c/t.yaml:")


def _runs_of(ts: TemplateSet, data: Any) -> list[tuple[str, int]]:
    got = []
    for _ in range(2):
        try:
            out = ts.execute("t", data)
        except ExecError as e:
            out = "error: " + e.message
        got.append((out, ts.budget.work))
    return got


ALPHABET = st.sampled_from(
    list('{}()|.$:=,- \n"0123456789abxyz')
    + ["{{", "}}", "{{-", "-}}", "if ", "end", "else", "else if ", "range ", "with "]
    + ["$x := ", "$i, $e := ", ".a", ".b", ".c", ".b.d", "eq ", "print ", "and ", "or "]
    + ["not ", "break", "continue", 'template "t" ', "nil", "upper ", "default ", "quote "]
    + ["| nindent 2", "| trunc 3", "printf ", '"%v"', "toYaml ", "len ", "index "]
    + ["{{ if .a }}x{{ else }}y{{ end }}", "{{ range .a }}{{ . }}{{ end }}", "$"]
)
DATA = {"a": [1, 2], "b": {"c": None, "d": [{"e": 1}]}, "c": "s"}


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=25).map("".join))
def test_random_templates_run_once_as_compiled(tmp_path_factory: Any, text: str) -> None:
    fresh = TemplateSet(_funcs([]), missingkey="zero", budget=Budget(max_work=2000))
    try:
        fresh.parse("t", text)
    except ParseError:
        return
    cached = TemplateSet(_funcs([]), missingkey="zero", budget=Budget(max_work=2000))
    fkey = engine._funcs_key(cached)
    root = str(tmp_path_factory.mktemp("c"))
    TreeCache(root).put("t", text, fkey, cached.parse_trees("t", text))
    trees = TreeCache(root).get("t", text, fkey)
    assert trees is not None
    cached.add_parse_trees("t", trees)
    assert _runs_of(cached, DATA) == _runs_of(fresh, DATA)


def test_cached_trees_have_a_fresh_trees_attributes(tmp_path: Path) -> None:
    """diskcache builds a cached Tree's attributes directly (no __setstate__ call):
    the same attributes as Tree's own, of the cached values."""
    from polystack.helm.template.tree import Tree

    text = '{{ define "d" }}x{{ end }}{{ template "d" . }}'
    (_fresh, _), (cached, _) = _sets(tmp_path, text, "zero", 3000)
    want = set(vars(Tree("x")))
    for name in ("c/t.yaml", "d"):
        tree = cached.tree(name)
        assert tree is not None
        assert set(vars(tree)) == want
        assert tree.weight_known and tree.compiled is None and tree.text == text
        assert tree._src.text == text and tree.parse_name == "c/t.yaml"
    assert cached.execute("c/t.yaml", {}) == "x"


def test_threads_running_a_cached_set_at_once(tmp_path: Path) -> None:
    """Threads executing the same cached trees at once (first runs from the tuples
    on some threads while others compile them) give the output of a fresh parse."""
    import threading

    text = (
        '{{ define "x.name" }}{{ .b | upper }}{{ end }}'
        '{{ range $i, $e := .a.l }}{{ if $e }}{{ include "x.name" $.a | nindent 2 }}'
        '{{ template "x.name" $.a }}{{ else }}none{{ end }}{{ end }}'
        '{{ with .m }}{{ .k | quote }}{{ end }} {{ printf "%s-%d" .s .a.n }}'
    )
    (fresh, _fc), (cached, _cc) = _sets(tmp_path, text, "zero", 10**9)
    want = fresh.execute("c/t.yaml", VALUES)
    got: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def work() -> None:
        start.wait()
        for _ in range(5):
            out = cached.execute("c/t.yaml", VALUES)
            with lock:
                got.append(out)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [want] * 40
