"""The Go types of the objects Helm's engine hands templates, against real Helm 4.2.

Helm 4 passes each template its data as ``common.Values`` (the named map type
``type Values map[string]interface{}``): ``$``, ``.Values`` (the chart's and each
subchart's) and ``.Template`` are ``common.Values``, while ``.Release``,
``.Chart``, ``.Subcharts``, the subchart entries in it and every map inside the
values are plain ``map[string]interface {}``; ``.Files`` is ``engine.files``,
``.Capabilities`` ``*common.Capabilities`` with a ``common.KubeVersion`` (whose
``String`` has a pointer receiver), a ``common.VersionSet`` and a
``version.BuildInfo``. This shows in ``typeOf``/``kindOf``/``%T``, ``typeIs``,
``deepEqual``, ``dig`` (a type assertion to ``map[string]interface {}``), ``%#v``,
the methods of ``common.Values`` (``YAML``, ``AsMap``, ``Table``, ``PathValue``,
``Encode``, which win over keys of the same name) and in how ``%v`` prints
``KubeVersion``.

Each template is rendered in a chart ``c`` (values ``a: 1``, ``m: {x: 1}``) with
a subchart ``sub`` (values ``s: 2``, ``t: {u: 1}``): CASES as ``c/templates/t.txt``,
SUB_CASES as ``c/charts/sub/templates/t.txt``, SHARED_CASES with a template in
each (the subchart's renders first, as in Helm). The expectations are real Helm's
output or error text, recorded from the reference renderer (helm-python-sdk),
which ``test_live_oracle`` re-renders.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

import pytest

from polystack.helm import render_chart

PARENT_OUT = "c/templates/t.txt"
SUB_OUT = "c/charts/sub/templates/t.txt"


def _chart(parent: str, sub: str) -> str:
    d = tempfile.mkdtemp()
    os.makedirs(f"{d}/c/templates")
    os.makedirs(f"{d}/c/charts/sub/templates")
    files = {
        "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n"
        "dependencies:\n- name: sub\n  version: 0.1.0\n",
        "c/values.yaml": "a: 1\nm:\n  x: 1\n",
        "c/templates/t.txt": parent,
        "c/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        "c/charts/sub/values.yaml": "s: 2\nt:\n  u: 1\n",
        "c/charts/sub/templates/t.txt": sub,
    }
    for name, text in files.items():
        with open(f"{d}/{name}", "w") as f:
            f.write(text)
    return d


def _split(template: str, where: str) -> tuple[str, str, str]:
    """(parent template, subchart template, output to compare)."""
    if where == "sub":
        return "", template, SUB_OUT
    return template, "", PARENT_OUT


def render_ours(template: str, where: str = "parent", sub: str = "") -> tuple[str, str]:
    parent, sub_t, out = _split(template, where)
    d = _chart(parent, sub or sub_t)
    try:
        return "ok", render_chart(f"{d}/c", {}, name="rel")[out]
    except Exception as e:  # noqa: BLE001 - compared with Helm's error text
        return "err", str(e)
    finally:
        shutil.rmtree(d)


def render_helm(helm: Any, template: str, where: str = "parent", sub: str = "") -> tuple[str, str]:
    parent, sub_t, out = _split(template, where)
    d = _chart(parent, sub or sub_t)
    cwd = os.getcwd()
    os.chdir(tempfile.gettempdir())
    try:
        return "ok", helm.Chart.load(f"{d}/c").render(values={}, name="rel")[out]
    except helm.HelmError as e:
        return "err", str(e)
    finally:
        os.chdir(cwd)
        shutil.rmtree(d)


CASES: list[tuple[str, str, str]] = [
    (
        '{{ typeOf .Values }}|{{ kindOf .Values }}|{{ printf "%T" .Values }}',
        "ok",
        "common.Values|map|common.Values",
    ),
    (
        '{{ typeOf .Values.m }}|{{ kindOf .Values.m }}|{{ printf "%T" .Values.m }}',
        "ok",
        "map[string]interface {}|map|map[string]interface {}",
    ),
    (
        '{{ typeOf .Release }}|{{ kindOf .Release }}|{{ printf "%T" .Release }}',
        "ok",
        "map[string]interface {}|map|map[string]interface {}",
    ),
    (
        '{{ typeOf .Chart }}|{{ kindOf .Chart }}|{{ printf "%T" .Chart }}',
        "ok",
        "map[string]interface {}|map|map[string]interface {}",
    ),
    (
        '{{ typeOf .Capabilities }}|{{ kindOf .Capabilities }}|{{ printf "%T" .Capabilities }}',
        "ok",
        "*common.Capabilities|ptr|*common.Capabilities",
    ),
    (
        '{{ typeOf .Capabilities.KubeVersion }}|{{ kindOf .Capabilities.KubeVersion }}|{{ printf "%T" .Capabilities.KubeVersion }}',
        "ok",
        "common.KubeVersion|struct|common.KubeVersion",
    ),
    (
        '{{ typeOf .Capabilities.APIVersions }}|{{ kindOf .Capabilities.APIVersions }}|{{ printf "%T" .Capabilities.APIVersions }}',
        "ok",
        "common.VersionSet|slice|common.VersionSet",
    ),
    (
        '{{ typeOf .Capabilities.HelmVersion }}|{{ kindOf .Capabilities.HelmVersion }}|{{ printf "%T" .Capabilities.HelmVersion }}',
        "ok",
        "version.BuildInfo|struct|version.BuildInfo",
    ),
    (
        '{{ typeOf .Files }}|{{ kindOf .Files }}|{{ printf "%T" .Files }}',
        "ok",
        "engine.files|map|engine.files",
    ),
    (
        '{{ typeOf .Template }}|{{ kindOf .Template }}|{{ printf "%T" .Template }}',
        "ok",
        "common.Values|map|common.Values",
    ),
    (
        '{{ typeOf .Subcharts }}|{{ kindOf .Subcharts }}|{{ printf "%T" .Subcharts }}',
        "ok",
        "map[string]interface {}|map|map[string]interface {}",
    ),
    (
        "{{ typeOf .Subcharts.sub }}|{{ typeOf .Subcharts.sub.Values }}|{{ typeOf .Subcharts.sub.Values.t }}|{{ typeOf .Subcharts.sub.Chart }}|{{ typeOf .Subcharts.sub.Files }}",
        "ok",
        "map[string]interface {}|common.Values|map[string]interface {}|map[string]interface {}|engine.files",
    ),
    (
        '{{ typeOf $ }}|{{ kindOf $ }}|{{ printf "%T" $ }}|{{ typeOf . }}',
        "ok",
        "common.Values|map|common.Values|common.Values",
    ),
    (
        "{{ typeOf .Values.sub }}|{{ typeOf .Values.sub.global }}|{{ typeOf .Values.a }}",
        "ok",
        "map[string]interface {}|map[string]interface {}|float64",
    ),
    (
        "{{ typeOf .Release.Name }}|{{ typeOf .Release.Revision }}|{{ typeOf .Release.IsInstall }}|{{ typeOf .Chart.Annotations }}|{{ typeOf .Chart.Dependencies }}|{{ typeOf .Template.Name }}",
        "ok",
        "string|int|bool|map[string]string|[]interface {}|string",
    ),
    (
        '{{ typeIs "common.Values" .Values }}|{{ typeIs "map[string]interface {}" .Values }}|{{ typeIsLike "common.Values" .Values }}|{{ typeIsLike "map[string]interface {}" .Values }}|{{ kindIs "map" .Values }}',
        "ok",
        "true|false|true|false|true",
    ),
    (
        '{{ typeIs "common.Values" $ }}|{{ typeIs "common.Values" .Template }}|{{ typeIs "common.Values" .Values.m }}|{{ typeIs "map[string]interface {}" .Release }}',
        "ok",
        "true|true|false|true",
    ),
    (
        '{{ typeIs "*common.Capabilities" .Capabilities }}|{{ typeIsLike "*common.Capabilities" .Capabilities }}|{{ kindIs "ptr" .Capabilities }}|{{ kindIs "struct" .Capabilities.KubeVersion }}|{{ kindIs "slice" .Capabilities.APIVersions }}|{{ kindIs "map" .Files }}',
        "ok",
        "true|true|true|true|true|true",
    ),
    (
        '{{ deepEqual .Values .Values }}|{{ deepEqual $ $ }}|{{ deepEqual .Release .Release }}|{{ deepEqual .Values.m (fromYaml "x: 1") }}',
        "ok",
        "true|true|true|true",
    ),
    (
        '{{ deepEqual .Values (fromYaml (toYaml .Values)) }}|{{ deepEqual .Template (dict "Name" "c/templates/t.txt" "BasePath" "c/templates") }}|{{ deepEqual (deepCopy .Values) .Values }}',
        "ok",
        "false|false|true",
    ),
    (
        '{{ printf "%T" (deepCopy .Values) }}|{{ printf "%T" (deepCopy .Template) }}|{{ printf "%T" (pick .Values "a") }}|{{ printf "%T" (omit .Values "a") }}|{{ printf "%T" (merge (dict) .Values) }}',
        "ok",
        "common.Values|common.Values|map[string]interface {}|map[string]interface {}|map[string]interface {}",
    ),
    ("{{ toYaml .Values }}", "ok", "a: 1\nm:\n  x: 1\nsub:\n  global: {}\n  s: 2\n  t:\n    u: 1"),
    (
        "{{ toYaml .Template }}|{{ toJson .Template }}|{{ toJson .Values }}",
        "ok",
        'BasePath: c/templates\nName: c/templates/t.txt|{"BasePath":"c/templates","Name":"c/templates/t.txt"}|{"a":1,"m":{"x":1},"sub":{"global":{},"s":2,"t":{"u":1}}}',
    ),
    (
        "{{ toYaml .Release }}",
        "ok",
        "IsInstall: true\nIsUpgrade: false\nName: rel\nNamespace: default\nRevision: 1\nService: Helm",
    ),
    (
        "{{ toYaml .Capabilities.KubeVersion }}|{{ toJson .Capabilities.KubeVersion }}",
        "ok",
        'Major: "1"\nMinor: "36"\nVersion: v1.36.0|{"Version":"v1.36.0","Major":"1","Minor":"36"}',
    ),
    (
        "{{ toToml .Values }}",
        "ok",
        "a = 1.0\n\n[m]\n  x = 1.0\n\n[sub]\n  s = 2.0\n  [sub.global]\n  [sub.t]\n    u = 1.0\n",
    ),
    (
        '{{ .Values }}|{{ .Values.m }}|{{ .Template }}|{{ printf "%v" .Release }}',
        "ok",
        "map[a:1 m:map[x:1] sub:map[global:map[] s:2 t:map[u:1]]]|map[x:1]|map[BasePath:c/templates Name:c/templates/t.txt]|map[IsInstall:true IsUpgrade:false Name:rel Namespace:default Revision:1 Service:Helm]",
    ),
    (
        '{{ printf "%+v" .Template }}|{{ printf "%s" .Template }}',
        "ok",
        "map[BasePath:c/templates Name:c/templates/t.txt]|map[BasePath:c/templates Name:c/templates/t.txt]",
    ),
    (
        '{{ printf "%#v" .Values }}',
        "ok",
        'common.Values{"a":1, "m":map[string]interface {}{"x":1}, "sub":map[string]interface {}{"global":map[string]interface {}{}, "s":2, "t":map[string]interface {}{"u":1}}}',
    ),
    (
        '{{ printf "%#v" .Template }}|{{ printf "%#v" .Values.m }}',
        "ok",
        'common.Values{"BasePath":"c/templates", "Name":"c/templates/t.txt"}|map[string]interface {}{"x":1}',
    ),
    (
        '{{ .Capabilities.KubeVersion }}|{{ printf "%v" .Capabilities.KubeVersion }}|{{ printf "%s" .Capabilities.KubeVersion }}',
        "ok",
        "v1.36.0|{v1.36.0 v1.36.0 1 36}|{v1.36.0 v1.36.0 1 36}",
    ),
    (
        '{{ printf "%+v" .Capabilities.KubeVersion }}|{{ printf "%#v" .Capabilities.KubeVersion }}',
        "ok",
        '{Version:v1.36.0 normalizedVersion:v1.36.0 Major:1 Minor:36}|common.KubeVersion{Version:"v1.36.0", normalizedVersion:"v1.36.0", Major:"1", Minor:"36"}',
    ),
    (
        "{{ $kv := .Capabilities.KubeVersion }}{{ $kv }}|{{ .Capabilities.KubeVersion | print }}|{{ toString .Capabilities.KubeVersion }}|{{ .Capabilities.KubeVersion | quote }}",
        "ok",
        'v1.36.0|{v1.36.0 v1.36.0 1 36}|{v1.36.0 v1.36.0 1 36}|"{v1.36.0 v1.36.0 1 36}"',
    ),
    (
        '{{ list .Capabilities.KubeVersion }}|{{ with .Capabilities.KubeVersion }}{{ . }}{{ end }}|{{ define "kv" }}{{ . }}{{ end }}{{ template "kv" .Capabilities.KubeVersion }}',
        "ok",
        "[{v1.36.0 v1.36.0 1 36}]|v1.36.0|v1.36.0",
    ),
    (
        "{{ .Capabilities.KubeVersion.String }}|{{ .Capabilities.KubeVersion.GitVersion }}|{{ .Capabilities.KubeVersion.Version }}|{{ .Capabilities.KubeVersion.Major }}",
        "ok",
        "v1.36.0|v1.36.0|v1.36.0|1",
    ),
    (
        '{{ printf "%v" .Capabilities.HelmVersion }}|{{ .Capabilities.HelmVersion }}|{{ printf "%#v" .Capabilities.APIVersions | trunc 50 }}',
        "ok",
        '{v4.2   go1.26.6 v1.36}|{v4.2   go1.26.6 v1.36}|common.VersionSet{"v1", "admissionregistration.k8s',
    ),
    (
        '{{ define "cap" }}{{ .Capabilities }}{{ end }}{{ include "cap" . | trunc 40 }}|{{ printf "%v" .Capabilities | trunc 40 }}|{{ print .Capabilities.KubeVersion .Capabilities.HelmVersion }}',
        "ok",
        "{{v1.36.0 v1.36.0 1 36} [v1 admissionreg|&{{v1.36.0 v1.36.0 1 36} [v1 admissionre|{v1.36.0 v1.36.0 1 36} {v4.2   go1.26.6 v1.36}",
    ),
    (
        '{{ semverCompare ">=1.20" .Capabilities.KubeVersion }}',
        "err",
        'c/templates/t.txt:1:39\n  executing "c/templates/t.txt" at <.Capabilities.KubeVersion>:\n    wrong type for value; expected string; got common.KubeVersion',
    ),
    (
        '{{ printf "%v" .Files }}|{{ printf "%T" (.Files.Glob "*.txt") }}',
        "ok",
        "map[]|engine.files",
    ),
    (
        '{{ keys .Values | sortAlpha }}|{{ hasKey .Values "a" }}|{{ len .Values }}|{{ values .Values.m }}|{{ pluck "a" .Values }}|{{ get .Values "a" }}',
        "ok",
        "[a m sub]|true|3|[1]|[1]|1",
    ),
    (
        "{{ keys $ | sortAlpha }}|{{ len $ }}|{{ keys .Template | sortAlpha }}|{{ keys .Subcharts }}",
        "ok",
        "[Capabilities Chart Files Release Subcharts Template Values]|7|[BasePath Name]|[sub]",
    ),
    (
        '{{ index $ "Values" "m" "x" }}|{{ index .Values "m" "x" }}|{{ index .Template "Name" }}',
        "ok",
        "1|1|c/templates/t.txt",
    ),
    (
        "{{ range $k, $v := .Values }}{{ $k }}:{{ typeOf $v }},{{ end }}",
        "ok",
        "a:float64,m:map[string]interface {},sub:map[string]interface {},",
    ),
    (
        "{{ range $k, $v := $ }}{{ $k }},{{ end }}",
        "ok",
        "Capabilities,Chart,Files,Release,Subcharts,Template,Values,",
    ),
    (
        "{{ with $ }}{{ typeOf . }}{{ end }}|{{ with .Values }}{{ typeOf . }}{{ .a }}{{ end }}|{{ $v := .Values }}{{ typeOf $v }}{{ $v.m.x }}",
        "ok",
        "common.Values|common.Values1|common.Values1",
    ),
    (
        '{{ typeOf (index (list .Values) 0) }}|{{ (dict "v" .Values).v | typeOf }}|{{ first (list .Values) | typeOf }}|{{ coalesce .Values 1 | typeOf }}',
        "ok",
        "common.Values|common.Values|common.Values|common.Values",
    ),
    ('{{ $_ := set $ "extra" 1 }}{{ .extra }}|{{ typeOf $ }}', "ok", "1|common.Values"),
    (
        '{{ $_ := set .Values "z" 3 }}{{ .Values.z }}|{{ typeOf .Values }}|{{ $_ := unset .Values "a" }}{{ keys .Values | sortAlpha }}',
        "ok",
        "3|common.Values|[m sub z]",
    ),
    (
        '{{ $c := deepCopy .Values }}{{ $_ := set $c "a" 9 }}{{ .Values.a }}|{{ $c.a }}|{{ typeOf $c }}|{{ deepEqual $c .Values }}',
        "ok",
        "1|9|common.Values|false",
    ),
    (
        '{{ $_ := mergeOverwrite .Values (dict "a" 5) }}{{ .Values.a }}|{{ $_ := merge .Values (dict "q" 5) }}{{ .Values.q }}',
        "ok",
        "5|5",
    ),
    (
        '{{ tpl "{{ typeOf . }}" $ }}|{{ tpl "{{ typeOf . }}" (dict) }}|{{ tpl "{{ typeOf . }}" .Release }}|{{ tpl "{{ typeOf . }}" .Capabilities }}|{{ tpl "{{ .Values.a }}-{{ .Template.Name }}" $ }}',
        "ok",
        "common.Values|map[string]interface {}|map[string]interface {}|*common.Capabilities|1-c/templates/t.txt",
    ),
    (
        '{{ define "y" }}{{ typeOf . }}{{ end }}{{ include "y" $ }}|{{ include "y" .Values }}|{{ include "y" .Template }}|{{ include "y" (dict) }}',
        "ok",
        "common.Values|common.Values|common.Values|map[string]interface {}",
    ),
    (
        '{{ dig "m" "x" 0 .Values }}',
        "err",
        'template: c/templates/t.txt:1:3: executing "c/templates/t.txt" at <dig "m" "x" 0 .Values>: error calling dig: interface conversion: interface {} is common.Values, not map[string]interface {}',
    ),
    (
        '{{ dig "Name" "" .Template }}',
        "err",
        'template: c/templates/t.txt:1:3: executing "c/templates/t.txt" at <dig "Name" "" .Template>: error calling dig: interface conversion: interface {} is common.Values, not map[string]interface {}',
    ),
    (
        '{{ dig "Values" "a" 0 $ }}',
        "err",
        'template: c/templates/t.txt:1:3: executing "c/templates/t.txt" at <dig "Values" "a" 0 $>: error calling dig: interface conversion: interface {} is common.Values, not map[string]interface {}',
    ),
    (
        '{{ dig "x" 0 .Values.m }}|{{ dig "m" "x" 0 .Values.AsMap }}|{{ dig "Name" "" .Template.AsMap }}',
        "ok",
        "1|1|c/templates/t.txt",
    ),
    (
        "{{ eq .Values .Values }}",
        "err",
        'template: c/templates/t.txt:1:3: executing "c/templates/t.txt" at <eq .Values .Values>: error calling eq: non-comparable type map[a:%!s(float64=1) m:map[x:%!s(float64=1)] sub:map[global:map[] s:%!s(float64=2) t:map[u:%!s(float64=1)]]]: common.Values',
    ),
    ("{{ .Values.YAML }}", "ok", "a: 1\nm:\n  x: 1\nsub:\n  global: {}\n  s: 2\n  t:\n    u: 1\n"),
    (
        "{{ .Template.YAML }}|{{ .Values.YAML | typeOf }}|{{ $.YAML | len }}",
        "ok",
        "BasePath: c/templates\nName: c/templates/t.txt\n|string|5090",
    ),
    (
        "{{ .Values.AsMap }}|{{ .Values.AsMap | typeOf }}|{{ .Values.AsMap.m.x }}|{{ .Template.AsMap | typeOf }}|{{ .Values.AsMap | len }}",
        "ok",
        "map[a:1 m:map[x:1] sub:map[global:map[] s:2 t:map[u:1]]]|map[string]interface {}|1|map[string]interface {}|3",
    ),
    (
        '{{ .Values.Table "m" }}|{{ typeOf (.Values.Table "m") }}|{{ .Values.Table "sub.global" }}|{{ (.Values.Table "sub").s }}',
        "ok",
        "map[x:1]|common.Values|map[]|2",
    ),
    (
        '{{ $t := .Values.Table "m" }}{{ $_ := set $t "y" 2 }}{{ .Values.m.y }}|{{ keys (.Values.Table "m") | sortAlpha }}',
        "ok",
        "2|[x y]",
    ),
    (
        '{{ dig "x" 0 (.Values.Table "m") }}',
        "err",
        'template: c/templates/t.txt:1:3: executing "c/templates/t.txt" at <dig "x" 0 (.Values.Table "m")>: error calling dig: interface conversion: interface {} is common.Values, not map[string]interface {}',
    ),
    (
        '{{ .Values.Table "nope" }}',
        "err",
        'template: c/templates/t.txt:1:10: executing "c/templates/t.txt" at <.Values.Table>: error calling Table: "nope" is not a table',
    ),
    (
        '{{ .Values.Table "a" }}',
        "err",
        'template: c/templates/t.txt:1:10: executing "c/templates/t.txt" at <.Values.Table>: error calling Table: "a" is not a table',
    ),
    (
        '{{ .Values.Table "m.x" }}',
        "err",
        'template: c/templates/t.txt:1:10: executing "c/templates/t.txt" at <.Values.Table>: error calling Table: "x" is not a table',
    ),
    (
        '{{ .Values.Table "" }}',
        "err",
        'template: c/templates/t.txt:1:10: executing "c/templates/t.txt" at <.Values.Table>: error calling Table: "" is not a table',
    ),
    (
        '{{ .Values.PathValue "m.x" }}|{{ .Values.PathValue "a" }}|{{ .Values.PathValue "sub.s" }}',
        "ok",
        "1|1|2",
    ),
    (
        '{{ .Values.PathValue "m" }}',
        "err",
        'template: c/templates/t.txt:1:10: executing "c/templates/t.txt" at <.Values.PathValue>: error calling PathValue: "m" is not a value',
    ),
    (
        '{{ .Values.PathValue "nope.x" }}',
        "err",
        'template: c/templates/t.txt:1:10: executing "c/templates/t.txt" at <.Values.PathValue>: error calling PathValue: "x" is not a value',
    ),
    (
        '{{ .Values.PathValue "" }}',
        "err",
        'template: c/templates/t.txt:1:10: executing "c/templates/t.txt" at <.Values.PathValue>: error calling PathValue: YAML path cannot be empty',
    ),
    (
        '{{ .Values.PathValue ".a" }}',
        "err",
        'template: c/templates/t.txt:1:10: executing "c/templates/t.txt" at <.Values.PathValue>: error calling PathValue: "a" is not a value',
    ),
    (
        "{{ .Values.Encode }}",
        "err",
        'c/templates/t.txt:1:10\n  executing "c/templates/t.txt" at <.Values.Encode>:\n    wrong number of args for Encode: want 1 got 0',
    ),
    (
        '{{ .Values.Encode "x" }}',
        "err",
        'c/templates/t.txt:1:18\n  executing "c/templates/t.txt" at <"x">:\n    can\'t handle "x" for arg of type io.Writer',
    ),
    (
        "{{ .Values.Encode nil }}",
        "err",
        'template: c/templates/t.txt:1:10: executing "c/templates/t.txt" at <.Values.Encode>: error calling Encode: runtime error: invalid memory address or nil pointer dereference',
    ),
    (
        '{{ .Values.YAML "x" }}',
        "err",
        'c/templates/t.txt:1:10\n  executing "c/templates/t.txt" at <.Values.YAML>:\n    wrong number of args for YAML: want 0 got 1',
    ),
    (
        '{{ $_ := set .Values "YAML" 5 }}{{ .Values.YAML }}|{{ index .Values "YAML" }}|{{ $_ := set .Values.m "YAML" 6 }}{{ .Values.m.YAML }}',
        "ok",
        "YAML: 5\na: 1\nm:\n  x: 1\nsub:\n  global: {}\n  s: 2\n  t:\n    u: 1\n|5|6",
    ),
    (
        '{{ $_ := set .Values "Table" 5 }}{{ .Values.Table }}',
        "err",
        'c/templates/t.txt:1:43\n  executing "c/templates/t.txt" at <.Values.Table>:\n    wrong number of args for Table: want 1 got 0',
    ),
    ("{{ .Values.yAML }}|{{ .Values.Yaml }}|{{ .Values.m.AsMap }}", "ok", "||"),
    (
        "{{ .Template.Name.x }}",
        "err",
        'c/templates/t.txt:1:12\n  executing "c/templates/t.txt" at <.Template.Name.x>:\n    can\'t evaluate field x in type interface {}',
    ),
    (
        "{{ .Values.a.x }}",
        "err",
        'c/templates/t.txt:1:10\n  executing "c/templates/t.txt" at <.Values.a.x>:\n    can\'t evaluate field x in type interface {}',
    ),
    (
        "{{ .Values.nope.x }}",
        "err",
        'c/templates/t.txt:1:10\n  executing "c/templates/t.txt" at <.Values.nope.x>:\n    nil pointer evaluating interface {}.x',
    ),
    (
        "{{ .Release.Name.x }}",
        "err",
        'c/templates/t.txt:1:11\n  executing "c/templates/t.txt" at <.Release.Name.x>:\n    can\'t evaluate field x in type interface {}',
    ),
    (
        "{{ .Values.m.x.y }}",
        "err",
        'c/templates/t.txt:1:10\n  executing "c/templates/t.txt" at <.Values.m.x.y>:\n    can\'t evaluate field y in type interface {}',
    ),
    # text/template prints through a pointer-receiver String only for an
    # addressable value: a function's argument or result (include's dot,
    # default's result, list's elements) is a copy in an interface {} and is not
    ("{{ range list .Capabilities.KubeVersion }}{{ . }}{{ end }}", "ok", "{v1.36.0 v1.36.0 1 36}"),
    ('{{ default "x" .Capabilities.KubeVersion }}', "ok", "{v1.36.0 v1.36.0 1 36}"),
    (
        '{{ define "x" }}{{ . }}{{ end }}{{ include "x" .Capabilities.KubeVersion }}',
        "ok",
        "{v1.36.0 v1.36.0 1 36}",
    ),
    (
        '{{ define "v" }}{{ .String }}{{ end }}{{ include "v" .Capabilities.KubeVersion }}',
        "err",
        'c/templates/t.txt:1:41\n  executing "c/templates/t.txt" at <include "v" .Capabilities.KubeVersion>:\n    error calling include:\nc/templates/t.txt:1:19\n  executing "v" at <.String>:\n    can\'t evaluate field String in type common.KubeVersion',
    ),
]

SUB_CASES: list[tuple[str, str, str]] = [
    (
        "{{ typeOf $ }}|{{ typeOf .Values }}|{{ typeOf .Template }}|{{ typeOf .Values.t }}|{{ typeOf .Subcharts }}|{{ typeOf .Values.global }}",
        "ok",
        "common.Values|common.Values|common.Values|map[string]interface {}|map[string]interface {}|map[string]interface {}",
    ),
    (
        "{{ .Values }}|{{ .Values.s }}|{{ keys .Values | sortAlpha }}|{{ .Template.Name }}|{{ .Chart.Name }}",
        "ok",
        "map[global:map[] s:2 t:map[u:1]]|2|[global s t]|c/charts/sub/templates/t.txt|sub",
    ),
    (
        '{{ typeIs "common.Values" .Values }}|{{ deepEqual .Values (dict "s" 2.0 "t" (dict "u" 1.0) "global" (dict)) }}|{{ kindOf .Values }}',
        "ok",
        "true|false|map",
    ),
    (
        '{{ dig "s" 0 .Values }}',
        "err",
        'template: c/charts/sub/templates/t.txt:1:3: executing "c/charts/sub/templates/t.txt" at <dig "s" 0 .Values>: error calling dig: interface conversion: interface {} is common.Values, not map[string]interface {}',
    ),
    ('{{ .Values.YAML }}|{{ .Values.PathValue "t.u" }}', "ok", "global: {}\ns: 2\nt:\n  u: 1\n|1"),
    ('{{ $_ := set .Values "k" 1 }}{{ .Values.k }}|{{ typeOf .Values }}', "ok", "1|common.Values"),
]

# (subchart template, chart template, kind, chart template's output)
SHARED_CASES: list[tuple[str, str, str, str]] = [
    (
        '{{ $_ := set .Values "fromSub" 1 }}',
        "{{ .Values.sub.fromSub }}|{{ .Subcharts.sub.Values.fromSub }}|{{ typeOf .Values.sub }}",
        "ok",
        "1|1|map[string]interface {}",
    ),
    (
        '{{ $_ := set $ "dollar" 2 }}',
        "{{ .Subcharts.sub.dollar }}|{{ .Subcharts.sub.Template.Name }}|{{ typeOf .Subcharts.sub.Template }}|{{ typeOf .Subcharts.sub }}",
        "ok",
        "2|c/charts/sub/templates/t.txt|common.Values|map[string]interface {}",
    ),
    (
        '{{ $_ := unset .Values "s" }}',
        '{{ hasKey .Values.sub "s" }}|{{ keys .Subcharts.sub.Values | sortAlpha }}',
        "ok",
        "false|[global t]",
    ),
    (
        '{{ $_ := mergeOverwrite .Values (dict "s" 7) }}',
        "{{ .Values.sub.s }}|{{ .Subcharts.sub.Values.s }}",
        "ok",
        "7|7",
    ),
    ('{{ $_ := set .Values.t "v" 3 }}', "{{ .Values.sub.t.v }}", "ok", "3"),
]

# Real Helm behaviour polystack does not reproduce; each names its cause.
KNOWN_GAPS: list[tuple[str, str, str]] = [
    # Go converts a common.Values argument to the map[string]interface {}
    # parameter of merge/mergeOverwrite/set and returns that: the same map under
    # the plain type. A Python object has one type; polystack returns the same
    # object (so later writes through it still reach .Values), typed common.Values
    (
        '{{ printf "%T" (merge .Values (dict)) }}|{{ printf "%T" (mergeOverwrite .Values (dict)) }}|{{ printf "%T" (set .Values "k" 1) }}',
        "ok",
        "map[string]interface {}|map[string]interface {}|map[string]interface {}",
    ),
    # one map under two types (AsMap's result, a parent's .Values.<sub>) is a
    # copy in polystack: writes made through the copy are not seen by the
    # common.Values (writes through a common.Values do reach the plain map:
    # SHARED_CASES)
    ('{{ $m := .Values.AsMap }}{{ $_ := set $m "k" 1 }}{{ .Values.k }}', "ok", "1"),
    ('{{ $_ := set .Values.sub "k" 1 }}{{ .Subcharts.sub.Values.k }}', "ok", "1"),
]


@pytest.mark.parametrize(("template", "kind", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_case(template: str, kind: str, expected: str) -> None:
    assert render_ours(template) == (kind, expected)


@pytest.mark.parametrize(
    ("template", "kind", "expected"), SUB_CASES, ids=[c[0][:60] for c in SUB_CASES]
)
def test_subchart_case(template: str, kind: str, expected: str) -> None:
    assert render_ours(template, "sub") == (kind, expected)


@pytest.mark.parametrize(("sub", "template", "kind", "expected"), SHARED_CASES)
def test_shared_case(sub: str, template: str, kind: str, expected: str) -> None:
    assert render_ours(template, "parent", sub) == (kind, expected)


@pytest.mark.xfail(reason="known gap, see KNOWN_GAPS comments", strict=True)
@pytest.mark.parametrize(("template", "kind", "expected"), KNOWN_GAPS)
def test_known_gap(template: str, kind: str, expected: str) -> None:
    assert render_ours(template) == (kind, expected)


def test_live_oracle(helm_oracle: Any) -> None:
    for template, kind, expected in CASES + KNOWN_GAPS:
        assert render_helm(helm_oracle, template) == (kind, expected), template
    for template, kind, expected in SUB_CASES:
        assert render_helm(helm_oracle, template, "sub") == (kind, expected), template
    for sub, template, kind, expected in SHARED_CASES:
        assert render_helm(helm_oracle, template, "parent", sub) == (kind, expected), template
