"""The render's memo of include results (render/includememo.py): only defines it
proves pure are kept, the data the render or a template changes is never read
stale, and every output, error and limit is what executing each include gives
(real Helm's, live or recorded, and polystack's own with the memo off)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polystack.helm.chart import chart as chartmod
from polystack.helm.chart import values as valuesmod
from polystack.helm.funcs.helm import Capabilities
from polystack.helm.render import includememo
from polystack.helm.render.engine import Engine, base_funcs
from polystack.helm.template import TemplateSet
from polystack.helm.template.diskcache import TreeCache
from polystack.helm.template.limits import Budget
from polystack.helm.template.treecodec import decode_list, encode_list

from .recorded import Oracle, assert_same

CHART = "apiVersion: v2\nname: c\nversion: 0.1.0\nappVersion: '1.2'\n"
SUB = "apiVersion: v2\nname: sub\nversion: 0.1.0\n"
VALUES = "a: one\nb: {c: two}\nlist: [x, y]\n"

HELPERS = """{{- define "c.name" -}}{{ default .Chart.Name .Values.nameOverride | trunc 63 }}{{- end }}
{{- define "c.labels" -}}
app: {{ include "c.name" . }}
chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}
{{- define "c.file" -}}{{ .Template.Name }}|{{ $.Template.BasePath }}{{- end }}
{{- define "c.index" -}}{{ index . "Template" | toJson }}{{- end }}
{{- define "c.whole" -}}{{ toYaml .Template }}{{- end }}
{{- define "c.a" -}}{{ .Values.a }}{{- end }}
{{- define "c.viaA" -}}[{{ include "c.a" . }}]{{- end }}
{{- define "c.x" -}}A{{- end }}
"""

# (id, files under the chart directory, values)
CASES: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    (
        "pure-helpers-again-and-again",
        {
            "templates/a.yaml": '{{ range until 5 }}{{ include "c.labels" $ }}\n{{ end }}',
            "templates/b.yaml": 'l: {{ include "c.labels" . | nindent 2 }}\n'
            'n: {{ include "c.name" . }}{{ include "c.x" .Values }}{{ include "c.x" 1 }}\n',
        },
        {},
    ),
    (
        "template-name-per-file",
        {
            "templates/a.yaml": '{{ include "c.file" . }} {{ include "c.file" . }}\n',
            "templates/b.yaml": '{{ include "c.file" . }} {{ include "c.index" . }}\n'
            '{{ include "c.whole" . }}\n',
            "templates/c.yaml": '{{ include "c.index" . }} {{ include "c.whole" . }}\n',
        },
        {},
    ),
    (
        "subchart-template-through-subcharts",
        {
            "templates/p.yaml": '{{ define "p.sub" }}{{ .Subcharts.sub.Template.Name }}{{ end }}'
            '{{ include "p.sub" . }} {{ include "p.sub" . }}\n',
            "templates/q.yaml": '{{ include "p.sub" . }}\n',
            "charts/sub/Chart.yaml": SUB,
            "charts/sub/templates/s1.yaml": "s1: {{ .Template.Name }}\n",
            "charts/sub/templates/s2.yaml": "s2: {{ .Template.Name }}\n",
        },
        {},
    ),
    (
        "set-between-includes",
        {
            "templates/a.yaml": '{{ include "c.viaA" . }}{{ $_ := set .Values "a" "two" }}'
            '{{ include "c.viaA" . }}{{ include "c.a" . }}\n',
            "templates/b.yaml": '{{ include "c.viaA" . }}\n',
        },
        {},
    ),
    (
        "unset-and-merge-between-includes",
        {
            "templates/a.yaml": '{{ include "c.a" . }}{{ $_ := unset .Values "a" }}'
            '{{ include "c.a" . }}{{ $_ := mergeOverwrite .Values (dict "a" "m") }}'
            '{{ include "c.a" . }}{{ $_ := merge .Values (dict "a" "n") }}{{ include "c.a" . }}\n',
        },
        {},
    ),
    (
        "set-inside-tpl",
        {
            "templates/a.yaml": '{{ include "c.a" . }}{{ tpl .Values.t . }}{{ include "c.a" . }}\n',
        },
        {"t": '{{ include "c.a" . }}{{ $_ := set .Values "a" "tpl" }}{{ include "c.a" . }}'},
    ),
    (
        "tpl-redefines-a-define",
        {
            "templates/a.yaml": '{{ include "c.x" . }}{{ tpl .Values.t . }}{{ include "c.x" . }}'
            '{{ tpl .Values.u . }}{{ include "c.x" . }}\n',
        },
        {
            "t": '{{ define "c.x" }}B{{ end }}{{ include "c.x" . }}{{ include "c.x" . }}',
            "u": '{{ include "c.x" . }}{{ include "c.labels" . }}',
        },
    ),
    (
        "impure-and-dynamic-defines",
        {
            "templates/a.yaml": '{{ define "d.tpl" }}{{ tpl "{{ .Values.a }}" . }}{{ end }}'
            '{{ define "d.dyn" }}{{ include (printf "c.%s" "a") . }}{{ end }}'
            '{{ define "d.self" }}{{ if .a }}{{ include "d.self" .b }}'
            "{{ else }}{{ .c }}{{ end }}{{ end }}"
            '{{ include "d.tpl" . }}{{ include "d.dyn" . }}{{ include "d.self" .Values }}'
            '{{ $_ := set .Values "a" "z" }}{{ $_ := set .Values.b "c" "three" }}'
            '{{ include "d.tpl" . }}{{ include "d.dyn" . }}{{ include "d.self" .Values }}\n',
        },
        {},
    ),
    (
        "include-errors-again",
        {
            "templates/a.yaml": '{{ define "d.req" }}{{ required "need q" .Values.q }}{{ end }}'
            '{{ include "c.a" . }}{{ include "d.req" . }}{{ include "d.req" . }}\n',
        },
        {},
    ),
]


def _write(root: str, files: dict[str, str]) -> None:
    base = {"Chart.yaml": CHART, "values.yaml": VALUES, "templates/_helpers.tpl": HELPERS}
    for rel, text in {**base, **files}.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def _render(path: str, values: dict[str, Any], cache: TreeCache | None = None) -> Any:
    ch = chartmod.load(path)
    user = dict(values)
    valuesmod.process_dependencies(ch, user)
    opts = valuesmod.ReleaseOptions(name="r", namespace="default")
    top = valuesmod.to_render_values(ch, user, opts, Capabilities())
    return Engine(cache=cache).render(ch, top)


def _ours(path: str, values: dict[str, Any], cache: TreeCache | None = None) -> list[Any]:
    try:
        return ["ok", _render(path, values, cache)]
    except Exception as e:  # noqa: BLE001 - compared with Helm's error text
        return ["err", str(e)]


def _theirs(helm: Any, path: str, values: dict[str, Any]) -> list[Any]:
    try:
        return ["ok", helm.Chart.load(path).render(values=values, name="r")]
    except helm.HelmError as e:
        return ["err", str(e)]


@pytest.fixture
def memo_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(includememo, "ENABLED", False)
    yield


@pytest.mark.parametrize(("files", "values"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_memoized_renders_match_helm(
    oracle: Oracle, request: Any, tmp_path: Any, files: dict[str, str], values: dict[str, Any]
) -> None:
    root = str(tmp_path / "chart")
    _write(root, files)
    key = request.node.callspec.id
    theirs = oracle.answer(key, lambda helm: _theirs(helm, root, values))
    assert_same(_ours(root, values), theirs, key)
    # from the on-disk cache (trees in their tuple form) too, filled and then read
    cache = TreeCache(str(tmp_path / "cache"))
    assert_same(_ours(root, values, cache), theirs, key)
    assert_same(_ours(root, values, TreeCache(str(tmp_path / "cache"))), theirs, key)


def test_random_defines_run_at_every_include(tmp_path: Any) -> None:
    root = str(tmp_path)
    _write(
        root,
        {
            "templates/a.yaml": '{{ define "r" }}{{ randAlphaNum 24 }}{{ end }}'
            '{{ define "u" }}{{ uuidv4 }}{{ end }}{{ define "viaR" }}{{ include "r" . }}{{ end }}'
            '{{ range until 3 }}{{ include "r" $ }},{{ include "u" $ }},{{ include "viaR" $ }};'
            "{{ end }}",
        },
    )
    out = _render(root, {})["c/templates/a.yaml"]
    values = [v for part in out.split(";") if part for v in part.split(",")]
    assert len(values) == 9 and len(set(values)) == 9, out


def _facts_both(text: str, lint_mode: bool = False) -> list[tuple[bool, bool, int]]:
    """The verdicts of every define of ``text``, analysed from fresh trees and
    from their tuple form (as the on-disk cache gives them)."""
    got = []
    for cached in (False, True):
        ts = TemplateSet(dict(base_funcs(), include=len, tpl=len, required=len), name="gotpl")
        trees = ts.parse_trees("t", text)
        if cached:
            for tree in trees.values():
                if tree.root is not None:
                    tree.root = decode_list(encode_list(tree.root), tree._src)
        ts.add_parse_trees("t", trees)
        memo = includememo.IncludeMemo(ts, lint_mode)
        verdicts = []
        for name in sorted(trees):
            if name != "t":
                v = memo.verdict(name)
                verdicts.append((v.ok, v.per_file, v.depth))
        got.append(verdicts)
    assert got[0] == got[1], got
    return got[0]


@pytest.mark.parametrize(
    ("body", "verdict"),
    [
        ("{{ .Values.a | quote }}", (True, False, 0)),
        ('{{ default .Chart.Name .Values.x | trunc 63 | trimSuffix "-" }}', (True, False, 0)),
        (
            "{{ if .Values.a }}{{ toYaml .Values.b | nindent 2 }}{{ else }}x{{ end }}",
            (True, False, 0),
        ),
        ("{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }}{{ end }}", (True, False, 0)),
        ("{{ with .Values.m }}{{ .k }}{{ end }}", (True, False, 0)),
        ("{{ with .Values.m }}{{ toYaml . }}{{ end }}", (True, True, 0)),  # a whole dot
        ("{{ .Template.Name }}", (True, True, 0)),
        ("{{ $.Template.BasePath }}", (True, True, 0)),
        ("{{ .Subcharts.s.Values.a }}", (True, True, 0)),
        ('{{ index . "Template" }}', (True, True, 0)),
        ("{{ toYaml $ }}", (True, True, 0)),
        ('{{ include "leaf" . }}', (True, False, 1)),
        ('{{ include "leaf" $ }}{{ template "leaf" . }}', (True, False, 1)),
        ('{{ include "mid" .Values }}', (True, False, 2)),
        ('{{ include "file" . }}', (True, True, 1)),
        ("{{ randAlphaNum 5 }}", (False, False, 0)),
        ("{{ now }}", (False, False, 0)),
        ("{{ uuidv4 }}", (False, False, 0)),
        ('{{ lookup "v1" "Pod" "" "" }}', (False, False, 0)),
        ('{{ $_ := set .Values "a" 1 }}', (False, False, 0)),
        ("{{ merge .Values (dict) }}", (False, False, 0)),
        ('{{ tpl "x" . }}', (False, False, 0)),
        ("{{ call .Values.f }}", (False, False, 0)),
        ('{{ include (print "leaf") . }}', (False, False, 0)),
        ('{{ . | include "leaf" }}', (False, False, 0)),
        ('{{ include "nowhere" . }}', (False, False, 0)),
        ('{{ include "gotpl" . }}', (False, False, 0)),
        ('{{ include "self" . }}', (False, False, 0)),
        ('{{ include "impure" . }}', (False, False, 0)),
        ("{{ if .Values.never }}{{ randAlpha 3 }}{{ end }}", (False, False, 0)),
        ('{{ required "x" .Values.a }}{{ fail "no" }}', (True, False, 0)),
    ],
)
def test_verdicts(body: str, verdict: tuple[bool, bool, int]) -> None:
    text = (
        '{{ define "leaf" }}L{{ end }}{{ define "mid" }}{{ include "leaf" . }}{{ end }}'
        '{{ define "file" }}{{ .Template.Name }}{{ end }}'
        '{{ define "impure" }}{{ randNumeric 3 }}{{ end }}'
        '{{ define "self" }}{{ include "self" . }}{{ end }}'
        f'{{{{ define "zz" }}}}{body}{{{{ end }}}}'
    )
    names = ["file", "impure", "leaf", "mid", "self", "zz"]
    got = dict(zip(names, _facts_both(text), strict=True))
    assert got["zz"] == verdict
    assert got["leaf"] == (True, False, 0) and got["mid"] == (True, False, 1)
    assert not got["impure"][0] and not got["self"][0]


def test_required_and_fail_are_not_pure_in_lint_mode() -> None:
    text = '{{ define "zz" }}{{ required "x" .Values.a }}{{ end }}'
    assert _facts_both(text) == [(True, False, 0)]
    assert _facts_both(text, lint_mode=True) == [(False, False, 0)]


def _limits(monkeypatch: pytest.MonkeyPatch, max_nesting: int, max_work: int) -> None:
    monkeypatch.setattr(Budget.__init__, "__defaults__", (max_nesting, max_work, 10.0))


NESTED = {
    "templates/a.yaml": '{{ define "leaf" }}L{{ end }}{{ define "mid" }}{{ include "leaf" . }}'
    '{{ end }}{{ define "top" }}{{ include "mid" . }}{{ end }}'
    '{{ define "down" }}{{ if .n }}{{ include "down" (dict "n" (rest .n) "root" .root) }}'
    '{{ else }}{{ include "top" .root }}{{ end }}{{ end }}'
    '{{ include "top" . }}{{ include "top" . }}'
    '{{ range until 6 }}{{ include "down" (dict "n" (until .) "root" $) }}{{ end }}'
    '{{ include "labels" . }}{{ include "labels" . }}{{ include "labels" . }}',
    "templates/_l.tpl": '{{ define "labels" }}{{ range until 20 }}{{ include "leaf" . }}'
    '{{ include "c.labels" $ }}{{ end }}{{ end }}',
}


@pytest.mark.parametrize("max_nesting", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
def test_nesting_limit_met_where_executing_meets_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, max_nesting: int
) -> None:
    _write(str(tmp_path), NESTED)
    _limits(monkeypatch, max_nesting, 10_000_000)
    with_memo = _ours(str(tmp_path), {})
    monkeypatch.setattr(includememo, "ENABLED", False)
    assert _ours(str(tmp_path), {}) == with_memo


def test_work_limit_met_where_executing_meets_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    _write(str(tmp_path), NESTED)
    outcomes = set()
    for max_work in range(40, 10400, 67):
        _limits(monkeypatch, 5000, max_work)
        monkeypatch.setattr(includememo, "ENABLED", True)
        with_memo = _ours(str(tmp_path), {})
        monkeypatch.setattr(includememo, "ENABLED", False)
        assert _ours(str(tmp_path), {}) == with_memo, max_work
        outcomes.add(with_memo[0])
    assert outcomes == {"ok", "err"}


# random defines of pieces that are pure, impure, read .Template or change data
_PIECES = [
    "{{ .Values.a }}",
    "{{ .Template.Name }}",
    '{{ include "p0" . }}',
    '{{ include "p1" .Values }}',
    '{{ include "p2" $ }}',
    '{{ template "p0" . }}',
    '{{ $_ := set .Values "a" (printf "%s+" (toString .Values.a)) }}',
    "{{ randAlphaNum 0 }}",
    "{{ if .Values.a }}y{{ else }}n{{ end }}",
    "{{ with .Values.b }}{{ .c }}{{ end }}",
    '{{ tpl "{{ .Values.a }}" . }}',
    "{{ len . }}",
    "x",
]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    defines=st.lists(
        st.lists(st.sampled_from(range(len(_PIECES))), max_size=4), min_size=3, max_size=3
    ),
    body=st.lists(st.sampled_from(["p0", "p1", "p2"]), min_size=1, max_size=8),
)
def test_random_defines_render_as_without_memo(
    tmp_path_factory: Any, defines: list[list[int]], body: list[str]
) -> None:
    # (p_i may include p_j only for j < i: no cycles, whose errors are tested elsewhere)
    texts = []
    for i, pieces in enumerate(defines):
        parts = [
            _PIECES[p] for p in pieces if not any(f'"p{j}"' in _PIECES[p] for j in range(i, 3))
        ]
        texts.append(f'{{{{ define "p{i}" }}}}{"".join(parts)}{{{{ end }}}}')
    calls = "".join(f'{{{{ include "{n}" . }}}}' for n in body)
    files = {
        "templates/_p.tpl": "".join(texts),
        "templates/a.yaml": calls,
        "templates/b.yaml": calls,
    }
    root = str(tmp_path_factory.mktemp("chart"))
    _write(root, files)
    values = {"a": 1, "b": {"c": "d"}}
    with_memo = _ours(root, values)
    includememo.ENABLED = False
    try:
        without = _ours(root, values)
    finally:
        includememo.ENABLED = True
    assert with_memo == without
