"""Template functions through the whole engine against real Helm 4.2.

Cases that need Helm's own objects and functions (``.Files``,
``.Chart.Annotations``, ``toYaml``, ``fromToml`` ...) and so cannot live in
test_sprig_oracle.py's Sprig-only table: Go's typed values (map[string]string,
engine.files, []map[string]interface {}, uint32 parameters, time.Time fields).
Each template is rendered as ``c/templates/t.txt`` of a one-template chart
(annotations ``k: v``, values ``a: 1``, a file ``data.txt``); expectations are
real Helm's output or error text, recorded from the reference renderer, which
`test_live_oracle` re-renders.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

import pytest

from polystack.helm import render_chart

CHART_YAML = "apiVersion: v2\nname: c\nversion: 0.1.0\nannotations:\n  k: v\n"


def _chart(template: str) -> str:
    d = tempfile.mkdtemp()
    os.makedirs(f"{d}/c/templates")
    with open(f"{d}/c/Chart.yaml", "w") as f:
        f.write(CHART_YAML)
    with open(f"{d}/c/values.yaml", "w") as f:
        f.write("a: 1\n")
    with open(f"{d}/c/data.txt", "w") as f:
        f.write("hello\n")
    with open(f"{d}/c/templates/t.txt", "w") as f:
        f.write(template)
    return d


def render_ours(template: str) -> tuple[str, str]:
    d = _chart(template)
    try:
        return "ok", render_chart(f"{d}/c", {}, name="rel")["c/templates/t.txt"]
    except Exception as e:  # noqa: BLE001 - compared with Helm's error text
        return "err", str(e)
    finally:
        shutil.rmtree(d)


def render_helm(helm: Any, template: str) -> tuple[str, str]:
    d = _chart(template)
    cwd = os.getcwd()
    os.chdir(tempfile.gettempdir())
    try:
        out = helm.Chart.load(f"{d}/c").render(values={}, name="rel")
        return "ok", out["c/templates/t.txt"]
    except helm.HelmError as e:
        return "err", str(e)
    finally:
        os.chdir(cwd)
        shutil.rmtree(d)


CASES: list[tuple[str, str, str]] = [
    (
        "{{ keys .Files }}",
        "err",
        'c/templates/t.txt:1:8\n  executing "c/templates/t.txt" at <.Files>:\n    wrong type for value; expected map[string]interface {}; got engine.files',
    ),
    (
        "{{ keys .Chart.Annotations }}",
        "err",
        'c/templates/t.txt:1:14\n  executing "c/templates/t.txt" at <.Chart.Annotations>:\n    wrong type for value; expected map[string]interface {}; got map[string]string',
    ),
    (
        '{{ hasKey .Chart.Annotations "k" }}',
        "err",
        'c/templates/t.txt:1:16\n  executing "c/templates/t.txt" at <.Chart.Annotations>:\n    wrong type for value; expected map[string]interface {}; got map[string]string',
    ),
    (
        '{{ typeOf .Chart.Annotations }} {{ .Chart.Annotations.k }} {{ index .Chart.Annotations "k" }}',
        "ok",
        "map[string]string v v",
    ),
    ('{{ toYaml (split "," "a,b") }}', "ok", "_0: a\n_1: b"),
    ('{{ dict "x" (split "," "a,b") | toYaml }}', "ok", "x:\n  _0: a\n  _1: b"),
    ('{{ fromYaml (toYaml (split "," "a,b")) | keys | sortAlpha }}', "ok", "[_0 _1]"),
    ('{{ toToml (split "," "a,b") }}', "ok", '_0 = "a"\n_1 = "b"\n'),
    ('{{ toJson (dict "s" (splitn "," 2 "a,b,c")) }}', "ok", '{"s":{"_0":"a","_1":"b,c"}}'),
    (
        '{{ derivePassword .Values.missing "long" "p" "u" "s" }}',
        "err",
        'c/templates/t.txt:1:25\n  executing "c/templates/t.txt" at <.Values.missing>:\n    wrong type for value; expected uint32; got interface {}',
    ),
    (
        '{{ derivePassword .Values.a "long" "p" "u" "s" }}',
        "err",
        'c/templates/t.txt:1:25\n  executing "c/templates/t.txt" at <.Values.a>:\n    wrong type for value; expected uint32; got float64',
    ),
    (
        '{{ derivePassword (.Chart.Version | len) "long" "p" "u" "s" }}',
        "err",
        'c/templates/t.txt:1:36\n  executing "c/templates/t.txt" at <len>:\n    wrong type for value; expected uint32; got int',
    ),
    (
        '{{ $m := fromToml "[[x]]\\na=1" }}{{ genSelfSignedCert "a" $m.x nil 1 }}',
        "err",
        'c/templates/t.txt:1:60\n  executing "c/templates/t.txt" at <$m.x>:\n    wrong type for value; expected []interface {}; got []map[string]interface {}',
    ),
    (
        '{{ $m := fromToml "a = 1979-05-27\\nc = 1979-05-27T07:32:00Z\\nd = 07:32" }}{{ typeOf $m.a }} {{ $m.a.Year }} {{ $m.c.Format "2006" }} {{ $m.c.Unix }} {{ $m.d }} {{ $m.a | date "2006-01-02" }} {{ toYaml $m }}',
        "ok",
        'time.Time 1979 1979 296638320 0000-01-01 07:32:00 +0000 time-local 1979-05-27 a: "1979-05-27T00:00:00Z"\nc: "1979-05-27T07:32:00Z"\nd: "0000-01-01T07:32:00Z"',
    ),
    (
        '{{ $m := fromToml "[[x]]\\na=1\\ny = [{b=1}]\\n[[x]]\\n" }}{{ typeOf $m.x }} {{ typeOf (index $m.x 0).y }} {{ typeOf (index (index $m.x 0).y 0) }} {{ len $m.x }}',
        "ok",
        "[]map[string]interface {} []interface {} map[string]interface {} 2",
    ),
    (
        '{{ (fromToml "a = [[1, 2], [\'x\']]").a }} {{ typeOf (fromToml "a = 1").a }} {{ fromToml "a = {b = 1}" | toJson }}',
        "ok",
        '[[1 2] [x]] int64 {"a":{"b":1}}',
    ),
    (
        '{{ $t := toDate "2006-01-02T15:04:05Z07:00" "2021-03-04T05:06:07.123456789+02:00" }}{{ $t.Year }} {{ $t.Day }} {{ $t.Hour }} {{ $t.Minute }} {{ $t.Second }} {{ $t.Nanosecond }} {{ $t.YearDay }} {{ $t.IsZero }} {{ $t.UTC }} {{ $t.UnixMilli }} {{ $t.UnixMicro }}',
        "ok",
        "2021 4 5 6 7 123456789 63 false 2021-03-04 03:06:07.123456789 +0000 UTC 1614827167123 1614827167123456",
    ),
    (
        '{{ (toDate "2006-01-02" "2021-03-04").Local }} {{ toDate "2006-01-02T15:04:05Z07:00" "2021-03-04T05:06:07+24:00" }}',
        "ok",
        "2021-03-04 00:00:00 +0000 UTC 2021-03-04 05:06:07 +2400 +2400",
    ),
    ('{{ mustToToml (dict "a" 1 "b" (dict "c" "x")) }}', "ok", 'a = 1\n\n[b]\n  c = "x"\n'),
    (
        '{{ toToml (list 1 2) }}|{{ mustToToml (list 1 2) }}|{{ mustToToml "x" }}|{{ toToml 1 }}',
        "ok",
        '[1, 2]|[1, 2]|"x"|1',
    ),
    (
        "{{ mustToToml nil }}",
        "err",
        'template: c/templates/t.txt:1:3: executing "c/templates/t.txt" at <mustToToml nil>: error calling mustToToml: reflect: call of reflect.Value.Type on zero Value',
    ),
    (
        "{{ toToml nil }}",
        "err",
        'template: c/templates/t.txt:1:3: executing "c/templates/t.txt" at <toToml nil>: error calling toToml: reflect: call of reflect.Value.Type on zero Value',
    ),
    (
        '{{ toToml (dict "a" nil) }}|{{ toToml (dict "a" (list nil)) }}',
        "ok",
        "|toml: cannot encode array with nil element",
    ),
    (
        '{{ mustToToml (dict "a" (list nil)) }}',
        "err",
        'template: c/templates/t.txt:1:3: executing "c/templates/t.txt" at <mustToToml (dict "a" (list nil))>: error calling mustToToml: toml: cannot encode array with nil element',
    ),
    ('{{ toToml (list (dict "a" 1)) }}', "ok", "toml: top-level values must be Go maps or structs"),
    (
        '{{ mustToToml (list (dict "a" 1)) }}',
        "err",
        'template: c/templates/t.txt:1:3: executing "c/templates/t.txt" at <mustToToml (list (dict "a" 1))>: error calling mustToToml: toml: top-level values must be Go maps or structs',
    ),
    (
        '{{ fromToml "a = 1979-05-27\\nb = 07:32\\nc = 1979-05-27T07:32:00Z\\nd = 1979-05-27T07:32:00-08:00\\ne = 1979-05-27T07:32:00.999\\nf = 1979-05-27 07:32:00.5+01:30" | toToml }}',
        "ok",
        "a = 1979-05-27\nb = 07:32:00\nc = 1979-05-27T07:32:00Z\nd = 1979-05-27T07:32:00-08:00\ne = 1979-05-27T07:32:00.999\nf = 1979-05-27T07:32:00.5+01:30\n",
    ),
    (
        '{{ toToml (dict "t" (toDate "2006-01-02" "2021-03-04") "l" (list (toDate "2006-01-02" "2021-03-04"))) }}',
        "ok",
        "l = [2021-03-04T00:00:00Z]\nt = 2021-03-04T00:00:00Z\n",
    ),
]


@pytest.mark.parametrize(("template", "kind", "expected"), CASES, ids=[c[0][:50] for c in CASES])
def test_case(template: str, kind: str, expected: str) -> None:
    assert render_ours(template) == (kind, expected)


def test_live_oracle(helm_oracle: Any) -> None:
    for template, kind, expected in CASES:
        assert render_helm(helm_oracle, template) == (kind, expected), template
