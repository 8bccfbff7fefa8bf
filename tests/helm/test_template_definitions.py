"""Go's text/template rules for template definitions, as Helm uses them, against
real Helm (live or recorded): `tpl` executes the template it just parsed (an
empty `tpl` is empty, even inside a `tpl`), AddParseTree keeps a defined
template when the new tree is empty, later files' definitions replace earlier
ones, `block` is a definition plus a call, a `tpl` clone's definitions stay in
that clone, and include/template recursion ends with Helm's and Go's errors."""

from __future__ import annotations

import os
from typing import Any

import pytest

from polystack.helm import render_chart

from .recorded import Oracle, assert_same

CHART = "apiVersion: v2\nname: c\nversion: 0.1.0\n"
SUB = "apiVersion: v2\nname: sub\nversion: 0.1.0\n"

# (id, files under the chart directory, values)
CASES: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    (
        "tpl-empty-inside-tpl",  # the log-shipper chart's default values
        {"templates/cm.yaml": "{{ tpl .Values.file . }}\n"},
        {"empty": "", "file": "a: {{ tpl .Values.empty . }}"},
    ),
    (
        "tpl-whitespace-inside-tpl",
        {"templates/cm.yaml": "{{ tpl .Values.file . }}\n"},
        {"ws": " \n\t ", "file": "a: [{{ tpl .Values.ws . }}]"},
    ),
    (
        "tpl-comment-only-inside-tpl",
        {"templates/cm.yaml": "{{ tpl .Values.file . }}\n"},
        {"c": "{{/* nothing */}}", "file": "a: [{{ tpl .Values.c . }}]"},
    ),
    (
        "tpl-empty-top-level",
        {"templates/cm.yaml": 'a: [{{ tpl .Values.e . }}][{{ tpl "" . }}]\n'},
        {"e": ""},
    ),
    (
        "tpl-three-levels",
        {"templates/cm.yaml": "{{ tpl .Values.a . }}\n"},
        {"a": "A({{ tpl .Values.b . }})", "b": "B({{ tpl .Values.c . }})", "c": "C"},
    ),
    (
        "tpl-define-only",
        {"templates/cm.yaml": "a: [{{ tpl .Values.d . }}]\n"},
        {"d": '{{ define "x" }}X{{ end }}'},
    ),
    (
        "tpl-define-visible-inside-only",
        {"templates/cm.yaml": 'a: [{{ tpl .Values.d . }}] {{ include "x" . }}\n'},
        {"d": '{{ define "x" }}X{{ end }}{{ include "x" . }}'},
    ),
    (
        "tpl-define-visible-inside",
        {"templates/cm.yaml": "a: [{{ tpl .Values.d . }}]\n"},
        {"d": '{{ define "x" }}X{{ end }}{{ include "x" . }}'},
    ),
    (
        "tpl-define-of-nested-tpl-not-visible-outside",
        {"templates/cm.yaml": "{{ tpl .Values.f . }}\n"},
        {"d": '{{ define "x" }}X{{ end }}', "f": 'c: {{ tpl .Values.d . }}|{{ include "x" . }}'},
    ),
    (
        "tpl-define-gotpl",  # the new template's tree is the definition's
        {"templates/cm.yaml": "a: [{{ tpl .Values.d . }}]\n"},
        {"d": '{{ define "gotpl" }}X{{ end }}'},
    ),
    (
        "tpl-empty-with-chart-defining-gotpl",
        {
            "templates/_h.tpl": '{{ define "gotpl" }}G{{ end }}',
            "templates/cm.yaml": 'a: [{{ tpl .Values.e . }}][{{ include "gotpl" . }}]\n',
        },
        {"e": ""},
    ),
    (
        "tpl-includes-gotpl",  # inside a tpl, "gotpl" is the tpl's own template
        {
            "templates/_h.tpl": '{{ define "gotpl" }}G{{ end }}',
            "templates/cm.yaml": "a: [{{ tpl .Values.t . }}]\n",
        },
        {"t": '{{ if false }}{{ include "gotpl" . }}{{ end }}T'},
    ),
    (
        "tpl-redefines-chart-template",
        {
            "templates/_h.tpl": '{{ define "x" }}old{{ end }}',
            "templates/cm.yaml": 'a: [{{ tpl .Values.d . }}] [{{ include "x" . }}]\n',
        },
        {"d": '{{ define "x" }}new{{ end }}{{ include "x" . }}'},
    ),
    (
        "tpl-empty-redefinition-keeps-chart-template",
        {
            "templates/_h.tpl": '{{ define "x" }}old{{ end }}',
            "templates/cm.yaml": "a: [{{ tpl .Values.d . }}]\n",
        },
        {"d": '{{ define "x" }} {{ end }}{{ include "x" . }}'},
    ),
    (
        "later-file-definition-wins",  # files parse in reverse lexical order
        {
            "templates/a.yaml": '{{ define "x" }}from-a{{ end }}a: {{ include "x" . }}\n',
            "templates/b.yaml": '{{ define "x" }}from-b{{ end }}b: {{ include "x" . }}\n',
        },
        {},
    ),
    (
        "empty-later-definition-keeps-earlier",
        {
            "templates/a.yaml": '{{ define "x" }} {{ end }}a: [{{ include "x" . }}]\n',
            "templates/b.yaml": '{{ define "x" }}from-b{{ end }}b: [{{ include "x" . }}]\n',
        },
        {},
    ),
    (
        "empty-first-definition-replaced",
        {
            "templates/a.yaml": '{{ define "x" }}from-a{{ end }}a: [{{ include "x" . }}]\n',
            "templates/b.yaml": '{{ define "x" }}{{/* c */}}{{ end }}b: [{{ template "x" . }}]\n',
        },
        {},
    ),
    (
        "same-file-redefinition",
        {"templates/a.yaml": '{{ define "x" }}1{{ end }}{{ define "x" }}2{{ end }}\n'},
        {},
    ),
    (
        "same-file-empty-then-full",
        {
            "templates/a.yaml": '{{ define "x" }} {{ end }}{{ define "x" }}2{{ end }}{{ template "x" }}\n'
        },
        {},
    ),
    (
        "same-file-full-then-empty",
        {
            "templates/a.yaml": '{{ define "x" }}1{{ end }}{{ define "x" }} {{ end }}{{ template "x" }}\n'
        },
        {},
    ),
    (
        "block-default",
        {"templates/a.yaml": 'a: {{ block "b" . }}default {{ .Values.v }}{{ end }}\n'},
        {"v": 1},
    ),
    (
        "block-overridden-by-later-file",
        {
            "templates/b.yaml": 'b: {{ block "blk" . }}default{{ end }}\n',
            "templates/a.yaml": '{{ define "blk" }}override{{ end }}a: {{ template "blk" . }}\n',
        },
        {},
    ),
    (
        "block-in-later-file-replaces-definition",
        {
            "templates/a.yaml": 'a: {{ block "blk" . }}from-a{{ end }}\n',
            "templates/b.yaml": '{{ define "blk" }}from-b{{ end }}b: {{ template "blk" . }}\n',
        },
        {},
    ),
    (
        "block-empty-keeps-definition",
        {
            "templates/a.yaml": 'a: [{{ block "blk" . }} {{ end }}]\n',
            "templates/b.yaml": '{{ define "blk" }}from-b{{ end }}b: {{ template "blk" . }}\n',
        },
        {},
    ),
    (
        "block-redefined-in-same-file",
        {"templates/a.yaml": '{{ define "blk" }}d{{ end }}{{ block "blk" . }}b{{ end }}\n'},
        {},
    ),
    (
        "parent-definition-beats-subchart",  # subchart files parse first
        {
            "charts/sub/Chart.yaml": SUB,
            "charts/sub/templates/_h.tpl": '{{ define "x" }}from-sub{{ end }}',
            "charts/sub/templates/s.yaml": 's: {{ include "x" . }}\n',
            "templates/_h.tpl": '{{ define "x" }}from-parent{{ end }}',
            "templates/p.yaml": 'p: {{ include "x" . }}\n',
        },
        {},
    ),
    (
        "empty-parent-definition-keeps-subchart",
        {
            "charts/sub/Chart.yaml": SUB,
            "charts/sub/templates/_h.tpl": '{{ define "x" }}from-sub{{ end }}',
            "charts/sub/templates/s.yaml": 's: {{ include "x" . }}\n',
            "templates/_h.tpl": '{{ define "x" }}\n{{ end }}',
            "templates/p.yaml": 'p: {{ include "x" . }}\n',
        },
        {},
    ),
    (
        "include-empty-definition",
        {"templates/a.yaml": '{{ define "x" }}{{ end }}a: [{{ include "x" . }}]\n'},
        {},
    ),
    (
        "include-undefined",
        {"templates/a.yaml": 'a: {{ include "nope" . }}\n'},
        {},
    ),
    (
        "template-undefined",
        {"templates/a.yaml": 'a: {{ template "nope" . }}\n'},
        {},
    ),
    (
        "include-file-template-by-name",
        {
            "templates/a.yaml": "x: 1\n",
            "templates/b.yaml": 'b: {{ include "c/templates/a.yaml" . | trim }}\n',
        },
        {},
    ),
    (
        "tpl-parse-error",
        {"templates/a.yaml": "a: {{ tpl .Values.t . }}\n"},
        {"t": "{{ if }}"},
    ),
    (
        "tpl-exec-error-inside-tpl",
        {"templates/a.yaml": "a: {{ tpl .Values.t . }}\n"},
        {"t": "x{{ tpl .Values.u . }}", "u": '{{ fail "boom" }}'},
    ),
    (
        "include-recursion",
        {
            "templates/a.yaml": '{{ define "l" }}{{ include "l" . }}{{ end }}a: {{ include "l" . }}\n'
        },
        {},
    ),
    (
        "include-cycle-of-three",
        {
            "templates/a.yaml": '{{ define "n0" }}{{ include "n1" . }}{{ end }}'
            '{{ define "n1" }}{{ include "n2" . }}{{ end }}'
            '{{ define "n2" }}{{ include "n0" . }}{{ end }}a: {{ include "n0" . }}\n'
        },
        {},
    ),
    (
        "include-recursion-through-tpl",
        {
            "templates/a.yaml": '{{ define "l" }}{{ tpl "{{ include \\"l\\" . }}" . }}{{ end }}'
            '{{ include "l" . }}\n'
        },
        {},
    ),
    (
        "template-recursion",
        {"templates/a.yaml": '{{ define "a" }}{{ template "a" . }}{{ end }}{{ template "a" . }}\n'},
        {},
    ),
    (
        "include-deep-but-finite",
        {
            "templates/a.yaml": '{{ define "d" }}{{ if gt . 0 }}{{ include "d" (sub . 1) }}'
            '{{ else }}bottom{{ end }}{{ end }}a: {{ include "d" 900 }}\n'
        },
        {},
    ),
]


def _write(root: str, files: dict[str, str]) -> None:
    with open(os.path.join(root, "Chart.yaml"), "w") as f:
        f.write(CHART)
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


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


@pytest.mark.parametrize(("files", "values"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_definitions_match_helm(
    oracle: Oracle, request: Any, tmp_path: Any, files: dict[str, str], values: dict[str, Any]
) -> None:
    _write(str(tmp_path), files)
    key = request.node.callspec.id
    theirs = oracle.answer(key, lambda helm: _theirs(helm, str(tmp_path), values))
    assert_same(_ours(str(tmp_path), values), theirs, key)
