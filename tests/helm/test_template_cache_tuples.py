"""Statements of a cached tree compiled straight from its tuple form (an action,
if or with whose pipeline is one field or one variable: compile.py's tuple_node)
render, fail and charge exactly as the same statements freshly parsed: the error
names the same node at the same line and column (the node is built only then)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from polystack.helm.render import engine
from polystack.helm.template import ExecError, TemplateSet
from polystack.helm.template.diskcache import TreeCache
from polystack.helm.template.limits import Budget


def _funcs() -> dict[str, Any]:
    f = dict(engine.base_funcs())
    for name in ("include", "tpl", "required", "fail", "lookup"):
        f[name] = lambda *a: ""
    return f


class _Struct:
    """Not a map: a field of it is looked up the slow way (and fails)."""


def _sets(tmp_path: Path, text: str, missingkey: str, work: int) -> list[TemplateSet]:
    fresh = TemplateSet(_funcs(), missingkey=missingkey, budget=Budget(max_work=work))
    fresh.parse("c/t.yaml", text)
    cached = TemplateSet(_funcs(), missingkey=missingkey, budget=Budget(max_work=work))
    fkey = engine._funcs_key(cached)
    TreeCache(str(tmp_path)).put("c/t.yaml", text, fkey, cached.parse_trees("c/t.yaml", text))
    trees = TreeCache(str(tmp_path)).get("c/t.yaml", text, fkey)
    assert trees is not None
    cached.add_parse_trees("c/t.yaml", trees)
    return [fresh, cached]


def _outcome(ts: TemplateSet, data: Any) -> tuple[str, int]:
    try:
        out = ts.execute("c/t.yaml", data)
    except ExecError as e:
        out = "error: " + str(e)
    return out, ts.budget.work


CASES = [
    ("a: 1\nb: {{ .Values.x.y }}\n", {"Values": {}}, "error", "map has no entry"),
    ("a: {{ .Values.x.y }}", {"Values": {}}, "zero", ""),
    ("x\n  {{- if .Values.a.b }}y{{ end }}", {"Values": {"a": 1}}, "zero", "can't evaluate"),
    ("{{ with .Values.a }}\n{{ .b }}{{ end }}", {"Values": {"a": "s"}}, "zero", "can't evaluate"),
    ("{{ with .Values.a }}{{ .b }}{{ else }}none{{ end }}", {"Values": {}}, "zero", ""),
    ("{{ .s.field }}", {"s": _Struct()}, "zero", "can't evaluate field"),
    ("{{ .f }}", {"f": len}, "zero", "can't print"),
    ("{{ $x := .a }}{{ $x }}{{ if $x }}{{ $ }}{{ end }}", {"a": 3}, "zero", ""),
    (
        "{{ range .l }}{{ .n }}{{ if .n }}{{ $.t }}{{ end }}{{ end }}",
        {"l": [{"n": 1}], "t": 2},
        "zero",
        "",
    ),
    (
        "{{ if .a }}{{ .s }}{{ .s }}{{ end }}",
        {"a": True, "s": "w" * 4000},
        "zero",
        "maximum template work",
    ),
    (
        "{{ .a }} {{ .b }} {{ .c }} {{ .d }}",
        {"a": None, "b": 1.5, "c": [1, "x"], "d": {"k": True}},
        "zero",
        "",
    ),
]


# pipelines of function calls (compile.py's tuple_pipeline)
CALLS = [
    ('{{ .Values.x | default "d" | quote }}', {"Values": {}}, ""),
    ('{{ printf "%s-%d" .a .b }}\n{{ printf "%v" }}', {"a": "x", "b": 2}, ""),
    ('{{ and .a .b }} {{ or .missing "y" }} {{ not .a }}', {"a": 1, "b": 0}, ""),
    ("{{ if and .a (not .b) }}y{{ else }}n{{ end }}", {"a": 1, "b": 0}, ""),
    ('{{ index .m "k" }}\n  {{ index .m 5 }}', {"m": {"k": 1}}, "error calling index"),
    ("{{ upper .n }}", {"n": 5}, "wrong type for value"),
    ('x {{ substr 1 "x" "y" }}', {}, "expected integer"),
    ("{{ div 1 0 }}", {}, "error calling div"),
    ("{{ $x := list 1 2 }}{{ $x }}{{ $x = 3 }}{{ $x }}", {}, ""),
    ("{{ with $v := .a | default 1 }}{{ $v }}{{ end }}", {}, ""),
    ('{{ .a | printf "%v" }} {{ .a | len }}', {"a": "abc"}, ""),
    ('{{ repeat 100000 "abc" | len }}', {}, "maximum template work"),
    ("{{ urlParse 7 }}", {}, "expected string; found 7"),
    ('{{ call .f "a" }}', {"f": str.upper}, ""),
    ("{{ len 1 2 }}", {}, "wrong number of args"),
]


@pytest.mark.parametrize(("text", "data", "expect"), CALLS)
def test_tuple_compiled_calls_behave_as_fresh(
    tmp_path: Path, text: str, data: Any, expect: str
) -> None:
    fresh, cached = (_outcome(ts, data) for ts in _sets(tmp_path, text, "zero", 3000))
    assert cached == fresh
    assert expect in fresh[0]
    if expect:
        assert fresh[0].startswith("error: template: c/t.yaml:")
    else:
        assert not fresh[0].startswith("error")


@pytest.mark.parametrize(("text", "data", "missingkey", "expect"), CASES)
def test_tuple_compiled_statements_behave_as_fresh(
    tmp_path: Path, text: str, data: Any, missingkey: str, expect: str
) -> None:
    fresh, cached = (_outcome(ts, data) for ts in _sets(tmp_path, text, missingkey, 300))
    assert cached == fresh
    assert expect in fresh[0]
    if expect:
        assert fresh[0].startswith("error: template: c/t.yaml:")
