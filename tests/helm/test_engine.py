"""Helm's engine: include/tpl/required/fail, .Files, .Capabilities, .Chart,
.Release, .Template, .Subcharts, missing keys, and Helm's error rewording —
single-template charts rendered by polystack and by real Helm."""

from __future__ import annotations

import os
from typing import Any

import pytest

from polystack.helm import render_chart
from polystack.helm.render.engine import cleanup_parse_error, reformat_exec_error, sort_templates
from polystack.helm.render.manifests import sort_manifests, split_manifests

CHART_YAML = "apiVersion: v2\nname: t\nversion: 0.1.0\nappVersion: '1.0'\n"
VALUES = "a: 1\ns: hello\nempty: ''\nlist: [x, y]\nm: {k: v}\nn: 1000000\n"


def _chart(root: Any, tpl: str, extra: dict[str, str] | None = None) -> str:
    files = {"Chart.yaml": CHART_YAML, "values.yaml": VALUES, "templates/t.yaml": tpl}
    files.update(extra or {})
    for name, text in files.items():
        p = os.path.join(str(root), name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(text)
    return str(root)


def _ours(path: str) -> tuple[str, Any]:
    try:
        return "ok", render_chart(path, {}, name="rel")
    except Exception as e:  # noqa: BLE001
        return "err", str(e)


def _theirs(helm: Any, path: str) -> tuple[str, Any]:
    try:
        return "ok", helm.Chart.load(path).render(values={}, name="rel")
    except helm.HelmError as e:
        return "err", str(e)


FILES = {
    "files/a.txt": "A\nB\n",
    "files/b.conf": "x=1",
    "files/sub/c.txt": "C",
    "README.md": "readme",
}

CASES = [
    '{{ include "x" . }}{{ define "x" }}X{{ .Values.s }}{{ end }}',
    '{{ include "nope" . }}',
    '{{ define "r" }}{{ include "r" . }}{{ end }}{{ include "r" . }}',
    '{{ tpl "{{ .Values.s }}-{{ .Template.Name }}-{{ .Template.BasePath }}" . }}',
    '{{ tpl "{{ .Values.a.b.c }}" . }}',
    '{{ tpl "{{ if }}" . }}',
    '{{ tpl "{{ define \\"zz\\" }}Z{{ end }}{{ include \\"zz\\" . }}" . }}',
    '{{ tpl "{{ .Values.q | required \\"qq\\" }}" . }}',
    '{{ required "need x" .Values.x }}',
    '{{ required "need empty" .Values.empty }}',
    '{{ required "ok" .Values.a }}',
    'a\n  {{ fail "boom" }}',
    "{{ .Values.x.y.z }}",
    '{{ define "d" }}{{ .Values.nope.deeper }}{{ end }}{{ include "d" . }}',
    "{{ index .Values 1 }}",
    "{{ if }}",
    '{{ env "HOME" }}',
    "{{ .Values.missing }}|{{ .Values.m.missing }}|{{ .Values.n }}",
    "{{ .Chart.Name }} {{ .Chart.Version }} {{ .Chart.AppVersion }} {{ .Chart.IsRoot }} {{ .Chart.APIVersion }}",
    "{{ .Release.Name }} {{ .Release.Namespace }} {{ .Release.Revision }} {{ .Release.IsInstall }} {{ .Release.Service }}",
    "{{ .Capabilities.KubeVersion }} {{ .Capabilities.KubeVersion.Major }} {{ .Capabilities.KubeVersion.GitVersion }}",
    '{{ .Capabilities.APIVersions.Has "apps/v1" }} {{ .Capabilities.APIVersions.Has "nope/v1" }}',
    "{{ .Capabilities.HelmVersion.Version }} {{ typeOf .Capabilities }} {{ typeOf .Files }}",
    "{{ .Template }} {{ .Subcharts }}",
    '{{ .Files.Get "files/a.txt" }}|{{ .Files.Get "nope" }}|{{ .Files.GetBytes "files/b.conf" | toString }}',
    '{{ range .Files.Lines "files/a.txt" }}[{{ . }}]{{ end }}',
    '{{ (.Files.Glob "files/*").AsConfig }}',
    '{{ (.Files.Glob "files/**").AsSecrets }}',
    '{{ (.Files.Glob "files/{a,b}.*").AsConfig }}',
    '{{ range $k, $v := .Files.Glob "**.txt" }}{{ $k }};{{ end }}',
    '{{ lookup "v1" "Pod" "ns" "n" }}',
    "{{ toYaml .Values }}",
]


@pytest.mark.parametrize("tpl", CASES)
def test_engine_matches_helm(helm_oracle: Any, tmp_path: Any, tpl: str) -> None:
    path = _chart(tmp_path, tpl, FILES)
    assert _ours(path) == _theirs(helm_oracle, path)


def test_library_chart_and_subchart_scope(helm_oracle: Any, tmp_path: Any) -> None:
    path = _chart(
        tmp_path,
        '{{ include "lib.x" . }}|{{ .Values.sub.v }}|{{ .Subcharts.sub.Values.v }}',
        {
            "Chart.yaml": CHART_YAML
            + "dependencies:\n- name: lib\n  version: 0.1.0\n- name: sub\n  version: 0.1.0\n",
            "values.yaml": "sub: {v: parent}\n",
            "charts/lib/Chart.yaml": "apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n",
            "charts/lib/templates/_x.tpl": '{{ define "lib.x" }}L-{{ .Chart.Name }}{{ end }}',
            "charts/lib/templates/y.yaml": "not rendered",
            "charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
            "charts/sub/values.yaml": "v: child\nw: own\n",
            "charts/sub/templates/s.yaml": "{{ .Values.v }} {{ .Values.w }} {{ .Chart.IsRoot }} {{ .Template.BasePath }}",
        },
    )
    ours, theirs = _ours(path), _theirs(helm_oracle, path)
    assert ours == theirs
    assert "t/charts/lib/templates/y.yaml" not in ours[1]


# ------------------------------------------------------------ unit cases


def test_parse_error_rewording() -> None:
    # cleanupParseError keeps the location and the last ": " part
    err = 'template: c/templates/a.yaml:3: function "x" not defined'
    assert cleanup_parse_error("c/templates/a.yaml", Exception(err)) == (
        'parse error at (c/templates/a.yaml:3): function "x" not defined'
    )
    assert cleanup_parse_error("n", Exception("boom")) == "parse error in (n): boom"


def test_exec_error_rewording() -> None:
    e = Exception(
        'template: c/t.yaml:1:3: executing "c/t.yaml" at <fail "x">: error calling fail:'
        " HELM_ERR_STARTx\nyHELM_ERR_END"
    )
    assert reformat_exec_error("c/t.yaml", e) == "execution error at (c/t.yaml:1:3): x\ny"
    e = Exception(
        'template: c/t.yaml:1:10: executing "c/t.yaml" at <.a.b>: nil pointer evaluating interface {}.b'
    )
    assert reformat_exec_error("c/t.yaml", e) == (
        'c/t.yaml:1:10\n  executing "c/t.yaml" at <.a.b>:\n    nil pointer evaluating interface {}.b'
    )
    e = Exception(
        'template: c/t.yaml:1:3: executing "c/t.yaml" at <index .V 1>: error calling index: bad'
    )
    assert reformat_exec_error("c/t.yaml", e) == str(e)


def test_sort_templates() -> None:
    names = ["c/templates/a.yaml", "c/charts/s/templates/z.yaml", "c/templates/b.yaml"]
    assert sort_templates(names) == [
        "c/charts/s/templates/z.yaml",
        "c/templates/b.yaml",
        "c/templates/a.yaml",
    ]


def test_split_manifests() -> None:
    assert split_manifests("\n---\na: 1\n---\n\nb: 2\n---apiVersion: v1\n") == [
        "a: 1",
        "b: 2",
        "apiVersion: v1\n",
    ]


def test_sort_manifests_install_order_and_hooks() -> None:
    files = {
        "c/templates/a.yaml": "kind: Deployment\nmetadata: {name: d}\n---\nkind: Service\nmetadata: {name: s}\n",
        "c/templates/b.yaml": "kind: Foo\n---\nkind: Bar\n---\nkind: Namespace\n",
        "c/templates/h.yaml": (
            "kind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install,POST-upgrade\n"
            "    helm.sh/hook-weight: '5'\n---\nkind: Pod\nmetadata:\n  annotations: {helm.sh/hook: unknown}\n"
        ),
        "c/templates/_p.tpl": "kind: Secret\n",
        "c/templates/empty.yaml": "  \n",
    }
    hooks, manifests = sort_manifests(files)
    assert [m.kind for m in manifests] == ["Namespace", "Service", "Deployment", "Bar", "Foo"]
    assert [(h.kind, h.events, h.weight) for h in hooks] == [
        ("Job", ["pre-install", "post-upgrade"], 5)
    ]
