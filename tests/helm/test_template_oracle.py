"""Differential tests: our text/template engine against real Helm (helm-python-sdk).

Each snippet is rendered as ``templates/t.yaml`` of a one-template chart by real
Helm 4 and by our engine with the same values and Helm's options
(``missingkey=zero``; ``<no value>`` is removed from the output).  Output must be
identical; failures must have the same error text.  Helm reformats Go's errors;
``helmify`` applies Helm's reformatting to our Go error text (observed on the
reference renderer: parse errors become ``parse error at (NAME:LINE): MSG``,
exec errors ``LOC\\n  executing "NAME" at <NODE>:\\n    MSG`` except plain
``error calling F: ...`` errors, which Helm leaves as Go printed them).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest

from polystack.helm.template import ExecError, ParseError, TemplateSet

NAME = "c/templates/t.yaml"


@pytest.fixture
def helm(helm_oracle: Any) -> Any:
    """Real Helm, live or recorded (conftest.helm_oracle)."""
    return helm_oracle


def oracle_render(helm_python: Any, tpl: str, values: dict[str, Any]) -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "templates"))
        with open(os.path.join(d, "Chart.yaml"), "w") as f:
            f.write("apiVersion: v2\nname: c\nversion: 0.1.0\n")
        with open(os.path.join(d, "templates", "t.yaml"), "w", encoding="utf-8") as f:
            f.write(tpl)
        try:
            chart = helm_python.Chart.load(d)
            out = chart.render(values=values, name="r")
        except helm_python.HelmError as e:
            return "err", str(e)
        return "ok", out[NAME]


def _floats(v: Any) -> Any:
    """Values arrive in Helm through JSON: every number is a float64."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, dict):
        return {k: _floats(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_floats(x) for x in v]
    return v


def helmify(e: Exception) -> str:
    if isinstance(e, ParseError):
        tokens = e.message.split(": ")
        return f"parse error at ({tokens[1]}): {tokens[-1]}"
    assert isinstance(e, ExecError)
    prefix, sep, _ = e.message.partition(" executing ")
    loc = prefix[len("template: ") : -1]
    ctx_start = e.message.index(" at <") + len(" at <")
    ctx_end = e.message.index(">: " + e.cause, ctx_start) if e.cause else len(e.message)
    ctx = e.message[ctx_start:ctx_end]
    if e.cause.startswith("error calling "):
        return e.message
    return f'{loc}\n  executing "{e.name}" at <{ctx}>:\n    {e.cause}'


def our_render(tpl: str, values: dict[str, Any]) -> tuple[str, str]:
    ts = TemplateSet({}, missingkey="zero")
    try:
        ts.parse(NAME, tpl)
        out = ts.execute(NAME, {"Values": _floats(values)})
    except (ParseError, ExecError) as e:
        return "err", helmify(e)
    return "ok", out.replace("<no value>", "")


V = {
    "s": "str",
    "e": "",
    "n": 3,
    "f": 1.5,
    "big": 1000000,
    "small": 0.00001,
    "neg": -2,
    "t": True,
    "z": 0,
    "list": ["a", "b", "c"],
    "nums": [1, 2, 3],
    "empty": [],
    "m": {"b": 2, "a": 1, "c": {"x": "y"}},
    "em": {},
    "nil": None,
    "mixed": [1, "a", None, True, {"k": "v"}, [1, 2]],
    "uni": "héllo wörld",
    "html": "<a href='x'>&\"</a>",
}

SNIPPETS: list[str] = [
    # --- text, trim markers, comments
    "plain text",
    "a  {{- 1 -}}  b",
    "a\n\n{{- 1 }}\n\nb",
    "a {{- /* comment */ -}} b",
    "{{/* c */}}x",
    "x {{ /* spaced */ }} y",
    "{{- 3 -}}\n",
    "{{-3}}",
    "{{ -3 }}",
    # --- literals and numbers
    "{{ 1 }} {{ -1 }} {{ +1 }} {{ 1.0 }} {{ 1e3 }} {{ 1.5e-7 }} {{ 0x1F }} {{ 0o17 }} {{ 017 }}",
    "{{ 0b101 }} {{ 1_000_000 }} {{ 0x1p-2 }} {{ 'a' }} {{ '\\n' }} {{ .5 }} {{ 1. }}",
    "{{ 100000.0 }} {{ 1000000.0 }} {{ 123456789.0 }} {{ 0.0001 }} {{ 0.00001 }}",
    "{{ 9223372036854775807 }}",
    "{{ 18446744073709551615 }}",
    "{{ 99999999999999999999 }}",
    '{{ "a\\tb" }} {{ `raw\\n` }} {{ "\\u00e9\\x41\\101" }}',
    "{{ true }} {{ false }}",
    "{{ nil }}",
    "{{ 1i }}",
    '{{ 1+2i }}|{{ 2i }}|{{ 1+0i }}|{{ printf "%T %v %.1f" 1i (1-2i) 3i }}|{{ eq 1i 1i }}',
    "{{ 0x10i }}",
    "{{ 017i }}|{{ 0i }}",
    # --- values, fields, missing keys
    "{{ .Values.s }} {{ .Values.n }} {{ .Values.f }} {{ .Values.big }} {{ .Values.small }}",
    "{{ .Values.neg }} {{ .Values.t }} {{ .Values.z }} {{ .Values.e }}",
    "{{ .Values.list }} {{ .Values.nums }} {{ .Values.empty }}",
    "{{ .Values.m }} {{ .Values.em }} {{ .Values.mixed }}",
    "{{ .Values.nil }}|{{ .Values.missing }}|{{ .Values.m.c.x }}",
    "{{ .Values.missing.deeper }}",
    "{{ .Values.nil.x }}",
    "{{ .Values.s.x }}",
    "{{ .Values.list.x }}",
    "{{ $.Values.s }} {{ $.Values | len }}",
    "{{ .Values.m.a }}{{ .Values.m.zz }}",
    "{{ .Values.uni }} {{ .Values.html }}",
    "{{ .Values.s 1 }}",
    "{{ .Values | len }}",
    # --- variables
    "{{ $x := 1 }}{{ $x }}",
    "{{ $x := .Values.s }}{{ $x = 2 }}{{ $x }}",
    "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}",
    "{{ $x := .Values.m }}{{ $x.a }} {{ $x.c.x }}",
    "{{ $y }}",
    "{{ $x := 1 }}{{ $x 2 }}",
    "{{ $x, $y := 1 }}",
    "{{ $ := 1 }}{{ $ }}",
    # --- if / else
    "{{ if .Values.t }}yes{{ end }}",
    "{{ if .Values.z }}yes{{ else }}no{{ end }}",
    "{{ if .Values.e }}a{{ else if .Values.empty }}b{{ else if .Values.em }}c{{ else }}d{{ end }}",
    "{{ if .Values.missing }}a{{ else }}b{{ end }}",
    "{{ if .Values.nil }}a{{ else }}b{{ end }}",
    "{{ if 0.0 }}a{{ else }}b{{ end }}{{ if .Values.m }}c{{ end }}",
    "{{ if }}x{{ end }}",
    "{{ if 1 }}x",
    "{{ else }}",
    "{{ end }}",
    "{{ if 1 }}x{{ else }}y{{ else }}z{{ end }}",
    # --- with
    "{{ with .Values.m }}{{ .a }}{{ end }}",
    "{{ with .Values.missing }}x{{ else }}none{{ end }}",
    "{{ with .Values.e }}x{{ else with .Values.s }}{{ . }}{{ end }}",
    "{{ with $x := .Values.n }}{{ $x }}{{ . }}{{ end }}",
    # --- range
    "{{ range .Values.list }}{{ . }},{{ end }}",
    "{{ range $i, $v := .Values.list }}{{ $i }}={{ $v }};{{ end }}",
    "{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}",
    "{{ range .Values.empty }}x{{ else }}empty{{ end }}",
    "{{ range .Values.missing }}x{{ else }}none{{ end }}",
    "{{ range .Values.nil }}x{{ else }}nil{{ end }}",
    "{{ range 3 }}{{ . }}{{ end }}",
    "{{ range $i := 3 }}{{ $i }}{{ end }}",
    "{{ range $i, $v := 3 }}{{ end }}",
    "{{ range 0 }}x{{ else }}zero{{ end }}",
    "{{ range .Values.s }}x{{ end }}",
    "{{ range .Values.f }}x{{ end }}",
    "{{ range .Values.nums }}{{ if eq . 2.0 }}{{ break }}{{ end }}{{ . }}{{ end }}",
    "{{ range .Values.nums }}{{ if eq . 2.0 }}{{ continue }}{{ end }}{{ . }}{{ end }}",
    "{{ break }}",
    "{{ range .Values.mixed }}[{{ . }}]{{ end }}",
    "{{ range .Values.mixed }}{{ .k }}{{ end }}",
    "{{ range $x := .Values.list }}{{ $x }}{{ end }}{{ $x }}",
    "{{ range .Values.list }}{{ $.Values.s }}{{ end }}",
    "{{ range $i, $e := .Values.m.c }}{{ $i }}{{ $e }}{{ end }}",
    "{{ range .Values.list }}{{ .foo }}{{ end }}",
    "{{ range $v := .Values.list }}{{ $v.foo }}{{ end }}",
    "{{ range $i, $v := .Values.m }}{{ $i.foo }}{{ end }}",
    "{{ with .Values.s }}{{ .foo }}{{ end }}",
    "{{ $x := .Values.s }}{{ $x.foo }}",
    "{{ $x := .Values.nums }}{{ $x.foo }}",
    '{{ range .Values.nums }}{{ . }}{{ end }}{{ range .Values.mixed }}{{ printf "%T" . }}{{ end }}',
    # --- define / template / block
    '{{ define "x" }}X{{ . }}{{ end }}{{ template "x" 5 }}',
    '{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" }}',
    '{{ template "nope" }}',
    '{{ block "b" .Values.s }}<{{ . }}>{{ end }}',
    '{{ define "x" }}{{ $ }}{{ end }}{{ template "x" .Values.n }}',
    '{{ define "a" }}A{{ template "b" . }}{{ end }}{{ define "b" }}B{{ .Values.s }}{{ end }}'
    '{{ template "a" . }}',
    '{{ define "x" }}1{{ end }}{{ define "x" }}2{{ end }}',
    '{{ define "e" }}{{ .nope.x }}{{ end }}{{ template "e" .Values }}',
    '{{ define "e" }}\n  {{ nil }}{{ end }}{{ template "e" . }}',
    "{{ define x }}{{ end }}",
    '{{ template "x" 1 2 }}',
    # --- builtins: and or not
    "{{ and 1 2 }} {{ and 0 2 }} {{ and .Values.e .Values.s }} {{ and }}",
    "{{ or 0 .Values.e .Values.s }} {{ or 0 .Values.em }} {{ or .Values.missing }}",
    "{{ not 0 }} {{ not .Values.s }} {{ not .Values.missing }} {{ not 1 2 }}",
    "{{ and 1 .Values.missing.x }}",
    "{{ or 1 .Values.missing.x }}",
    "{{ .Values.s | and 1 }} {{ 0 | or 0 }}",
    # --- comparisons
    '{{ eq 1 1 }} {{ eq 1 2 }} {{ eq .Values.n 3.0 }} {{ eq .Values.s "str" }} {{ eq 1 2 3 1 }}',
    "{{ eq .Values.n 3 }}",
    "{{ eq 1 }}",
    "{{ eq .Values.missing nil }} {{ eq .Values.nil .Values.missing }}",
    "{{ eq .Values.list .Values.list }}",
    "{{ eq .Values.m .Values.s }}",
    '{{ ne 1 2 }} {{ ne "a" "a" }} {{ ne true false }}',
    '{{ lt 1 2 }} {{ le 2 2 }} {{ gt 3 2 }} {{ ge 1 2 }} {{ lt "a" "b" }} {{ lt 1.5 2.5 }}',
    "{{ lt true false }}",
    "{{ lt 1 2.0 }}",
    "{{ lt .Values.list 1 }}",
    "{{ lt .Values.missing 1 }}",
    "{{ gt .Values.n 2.0 }} {{ ge .Values.f 1.5 }}",
    # --- len index (Helm's Sprig replaces Go's slice; see test_template_builtins)
    '{{ len .Values.list }} {{ len .Values.m }} {{ len .Values.s }} {{ len .Values.uni }} {{ len "" }}',
    "{{ len 3 }}",
    "{{ len .Values.missing }}",
    "{{ len .Values.nil }}",
    "{{ len }}",
    '{{ index .Values.list 1 }} {{ index .Values.m "a" }} {{ index .Values "m" "c" "x" }}',
    "{{ index .Values.list 3 }}",
    "{{ index .Values.list 5 }}",
    "{{ index .Values.list -1 }}",
    '{{ index .Values.list "a" }}',
    "{{ index .Values.m 1 }}",
    '{{ index .Values.m "zz" }}|{{ index .Values.m "zz" "y" }}',
    "{{ index .Values.s 1 }}",
    "{{ index .Values.n 1 }}",
    "{{ index .Values.missing 1 }}",
    "{{ index nil 1 }}",
    "{{ index .Values.list }}",
    # --- print printf println
    '{{ print 1 2 "a" "b" 3 .Values.nil }}',
    '{{ println 1 "a" }}|',
    "{{ print }}|{{ println }}|",
    '{{ printf "%v|%d|%s|%q|%x|%X|%o|%b|%c|%U" 65 65 "s" "q" 255 255 8 5 65 65 }}',
    '{{ printf "%5d|%-5d|%05d|%+d|% d|%x|%#x|%#o|%08.3f|%-8.2f|" 42 42 42 42 42 -255 255 8 3.14159 2.5 }}',
    '{{ printf "%e|%E|%g|%G|%f|%.2e|%.3g|%10.4g|%F" 1234.5678 1234.5678 1234.5678 1e-7 1e21 0.000123 100000.0 3.14159 2.0 }}',
    '{{ printf "%v|%v|%v|%v|%v|%v" 1e20 1e21 1e-4 1e-5 123456.0 1234567.0 }}',
    '{{ printf "%s|%10s|%-10s|%.2s|%q|%+q|%#q|%x|% x|%X" "héllo" "ab" "ab" "héllo" "a\\"b\\n" "é" "a`b" "hé" "hé" "hé" }}',
    '{{ printf "%t|%v|%5t|%d" true false true true }}',
    '{{ printf "%v|%+v|%#v|%T" .Values.m .Values.m .Values.m .Values.m }}',
    '{{ printf "%v|%#v|%T|%s|%d" .Values.list .Values.list .Values.list .Values.mixed .Values.mixed }}',
    '{{ printf "%v|%#v|%T|%d|%s" .Values.nil .Values.nil .Values.nil .Values.nil .Values.nil }}',
    '{{ printf "%T %T %T %T %T %T" 1 1.5 "s" true .Values.n .Values.em }}',
    '{{ printf "%d %s" }}',
    '{{ printf "%d" 1 2 "x" }}',
    '{{ printf "%!" }}|{{ printf "%" }}|{{ printf "%z" 3 }}|{{ printf "%d" "s" }}|{{ printf "%s" 3 }}',
    '{{ printf "%*d|%-*d|%.*f|%*d" 5 1 5 1 2 3.14159 "x" 3 }}',
    '{{ printf "%[2]d %[1]d|%[3]d|%[0]d|%[x]d" 1 2 }}',
    '{{ printf "%%|%5%|%c%c" 0x1F600 233 }}',
    '{{ printf "%6.2f%%" 99.5 }}',
    '{{ printf "%x|%X|%#x" 3.5 -1.25 1.0 }}',
    '{{ printf "%b" 1.0 }}',
    '{{ printf "%08.3e|%+.1e|%-10g|" 12345.678 -0.00012 1.5 }}',
    '{{ printf "%#g|%#.3g|%#v|%#e" 1.0 2.0 1.0 3.0 }}',
    '{{ printf "%v" .Values.uni }}{{ printf "%q" .Values.html }}',
    '{{ printf "%5v|%-5v|%05v" .Values.list .Values.list .Values.nums }}',
    '{{ printf "%x|%X|% x" .Values.list .Values.list .Values.s }}',
    '{{ printf "%q" .Values.list }}',
    '{{ printf "%v %v" -0.0 0.0 }}',
    '{{ printf "%.0f %.0f %.0f %.1f" 0.5 1.5 2.5 0.25 }}',
    '{{ printf "%U|%#U|%.6U" 0x1F600 0x41 0x41 }}',
    '{{ printf "%q|%+q|%#q" 0x1F600 0x1F600 65 }}',
    "{{ printf 3 }}",
    "{{ printf .Values.n }}",
    "{{ printf }}",
    # --- html js urlquery
    '{{ html .Values.html }} {{ html "a" 1 2 }} {{ html .Values.missing }} {{ html nil }}',
    '{{ js .Values.html }} {{ js "a=b\\u2028\\x01é" }}',
    '{{ urlquery "a b&c=d/é~" }} {{ urlquery 1 "x" }}',
    # --- call
    "{{ call .Values.s }}",
    "{{ call nil }}",
    "{{ call }}",
    # --- pipelines
    '{{ .Values.s | printf "%s-%s" "x" }}',
    '{{ 1 | printf "%d %d" 2 }}',
    '{{ .Values.list | len | printf "%d" }}',
    "{{ (len .Values.list) }} {{ (print 1) | len }}",
    '{{ (.Values.m).a }} {{ (index .Values "m").c.x }}',
    '{{ (len "abc").foo }}',
    "{{ 1 | 2 }}",
    '{{ "a" | print | print }}',
    "{{ .Values.s | .Values.n }}",
    "{{ .Values | 1 }}",
    "{{ (1) 2 }}",
    # --- more edge cases
    "a \r\n {{- 1 -}} \r\n b",
    "{{- /* c */ -}}\n\n  x",
    "{{ 1 }}{{/* a */}}{{ 2 }}",
    "{{/* {{ nested }} */}}ok",
    '{{ printf "%s" "}}" }}',
    '{{ "{{" }}',
    "{{ ((1)) }} {{ (((len .Values.list))) }}",
    "{{ $a := 1 }}{{ range .Values.list }}{{ $a = . }}{{ end }}{{ $a }}",
    "{{ $a := 1 }}{{ with .Values.s }}{{ $a := 2 }}{{ $a }}{{ end }}{{ $a }}",
    "{{ range $i, $v := .Values.list }}{{ if $i }},{{ end }}{{ $v }}{{ end }}",
    "{{ range .Values.m }}{{ . }}{{ end }}",
    "{{ range $k, $v := .Values.em }}x{{ else }}empty map{{ end }}",
    "{{ if and .Values.t (not .Values.z) }}ok{{ end }}",
    '{{ if or (eq .Values.s "x") (eq .Values.s "str") }}match{{ end }}',
    "{{ if not (or .Values.e .Values.empty) }}all empty{{ end }}",
    '{{ .Values.m.c }}{{ .Values.m.c.x | printf "%q" }}',
    '{{ index .Values.mixed 4 "k" }} {{ index .Values.mixed 5 1 }}',
    '{{ printf "%v %v" (index .Values.mixed 2) (index .Values.m "nope") }}',
    "{{ len (index .Values.mixed 5) }}",
    "{{ eq (index .Values.mixed 0) 1.0 }}",
    '{{ printf "%T" (index .Values.mixed 3) }}',
    '{{ printf "%s" .Values.m }}',
    '{{ printf "%d" .Values.nums }}',
    '{{ printf "%.1f" .Values.nums }}',
    '{{ printf "%v" .Values.big }} {{ printf "%d" .Values.big }} {{ printf "%.0f" .Values.big }}',
    '{{ printf "%s %s" .Values.s }}',
    '{{ printf "%[1]s %[1]q" .Values.s }}',
    '{{ printf "%-4s|%4s|" "日本" "日本" }}',
    '{{ printf "%08.3f|%+08d|% 08d" -3.5 42 42 }}',
    '{{ printf "%x %X %o %b %c" 1.0 255 8 5 65.0 }}',
    '{{ printf "%t %t" 1 "x" }}',
    '{{ printf "%q" 3.5 }}',
    "{{ print nil 1 nil }}",
    '{{ println "a" "b" }}',
    "{{ print .Values.e .Values.s .Values.n .Values.f }}",
    "{{ html 1 nil }}",
    "{{ 'x' | printf \"%c\" }}",
    "{{ .Values.nums | len | eq 3 }}",
    '{{ eq "a" .Values.missing }}',
    "{{ lt 1 2 3 }}",
    "{{ not }}",
    "{{ and 0 }}",
    "{{ index }}",
    "{{ .Values.s.x.y }}",
    "{{ $.Values.missing.x }}",
    "{{ $x := .Values.m.c }}{{ $x.x }}{{ $x.nope }}",
    '{{ template "t2" }}',
    '{{ define "t2" }}in{{ end }}{{ template "t2" . }}{{ template "t2" .Values.nope }}',
    '{{ block "bb" 1 }}{{ . }}{{ end }}{{ template "bb" 2 }}',
    '{{ range .Values.list }}{{ template "x" . }}{{ end }}{{ define "x" }}<{{ . }}>{{ end }}',
    '{{ define "x" }}{{ range . }}{{ break }}{{ end }}{{ end }}{{ template "x" .Values.list }}',
    "{{ range .Values.list }}{{ range $.Values.nums }}{{ if eq . 2.0 }}{{ break }}{{ end }}{{ . }}{{ end }}{{ . }}{{ end }}",
    "{{ with $x := .Values.missing }}a{{ else }}{{ $x }}b{{ end }}",
    "{{ if $x := .Values.s }}{{ $x }}{{ end }}{{ $x }}",
    "{{ 1 }}\n{{ .Values.nil.x }}",
    "{{ range .Values.list }}\n  {{ nil }}\n{{ end }}",
    "{{ .Values.m.a.b }}",
    "{{ .Values.t.x }}",
    "{{ .Values.empty.x }}",
    "{{ .Values.list.x.y }}",
    '{{ "x".y }}',
    '{{ ("x").y }}',
    "{{ (.Values.m).c.x }}",
    "{{ (.Values.nil).x }}",
    "{{ (nil).x }}",
    '{{ .Values.s | printf "%s" | printf "[%s]" | len }}',
    # --- parse errors
    "{{ 1 | foo }}",
    "{{ }",
    "{{ .x",
    "{{ if 1 }}",
    '{{ "a }}',
    "{{ `a }}",
    "{{ 'ab' }}",
    "{{ '' }}",
    "{{ 1.2.3 }}",
    "{{ 3x }}",
    "{{ .a.b..c }}",
    "{{ $x := }}",
    "{{ ( 1 }}",
    "{{ 1 ) }}",
    "{{ # }}",
    "{{ 1 := 2 }}",
    "{{ $x := 1 := 2 }}",
    "{{ range $a, $b, $c := .Values.list }}{{ end }}",
    "{{ with $a, $b := 1 }}{{ end }}",
    '{{ "\\q" }}',
    "{{ true.x }}",
    "{{ nil.x }}",
    "{{ .Values.s.x.y 1 }}",
    "line1\nline2\n{{ if }}",
    "line1\n{{ .Values\n.s }}",
    "{{ 1 }}\n{{ 2 \n }}\n{{ nil }}",
    "a\n  b {{ .Values.missing.x | len }}",
    "é {{ nil }}",
    "{{/* unclosed",
    "{{/* x */ 1 }}",
    "{{ print (1 }}",
]


@pytest.mark.parametrize("tpl", SNIPPETS, ids=[str(i) for i in range(len(SNIPPETS))])
def test_snippet_matches_helm(helm: Any, tpl: str) -> None:
    expected = oracle_render(helm, tpl, V)
    got = our_render(tpl, V)
    assert got == expected, f"template {tpl!r}"


def test_snippet_table_is_large() -> None:
    assert len(SNIPPETS) >= 150


def oracle_render_files(helm_python: Any, files: dict[str, str]) -> Any:
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "templates"))
        with open(os.path.join(d, "Chart.yaml"), "w") as f:
            f.write("apiVersion: v2\nname: c\nversion: 0.1.0\n")
        for name, text in files.items():
            with open(os.path.join(d, "templates", name), "w", encoding="utf-8") as f:
                f.write(text)
        try:
            return helm_python.Chart.load(d).render(values=V, name="r")
        except helm_python.HelmError as e:
            return ("err", str(e))


def our_render_files(files: dict[str, str]) -> Any:
    # Helm parses every file into one template set, in reverse name order
    # (engine.go sortTemplates), then executes each non-partial file.
    ts = TemplateSet({}, missingkey="zero")
    names = sorted((f"c/templates/{n}" for n in files), reverse=True)
    try:
        for n in names:
            ts.parse(n, files[n[len("c/templates/") :]])
        out = {}
        for n in sorted(names):
            if os.path.basename(n).startswith("_"):
                continue
            out[n] = ts.execute(n, {"Values": _floats(V)}).replace("<no value>", "")
    except (ParseError, ExecError) as e:
        return ("err", helmify(e))
    return out


MULTI = [
    {
        "_h.tpl": '{{ define "h" }}\n  x{{ .Values.m.zz.b }}{{ end }}',
        "t.yaml": '{{ template "h" . }}',
    },
    {
        "_h.tpl": '{{ define "h" }}H1{{ end }}',
        "t.yaml": '{{ define "h" }}H2{{ end }}{{ template "h" . }}',
    },
    {"_h.tpl": '{{ define "h" }}{{ if }}{{ end }}', "t.yaml": "x"},
    {
        "a.yaml": '{{ define "h" }}A{{ end }}',
        "b.yaml": '{{ define "h" }}B{{ end }}',
        "t.yaml": '{{ template "h" }}',
    },
    {
        "_h.tpl": '{{ define "h" }}[{{ . }}]{{ end }}{{ define "g" }}{{ template "h" .Values.s }}{{ end }}',
        "t.yaml": '{{ template "g" . }} {{ block "b" . }}default{{ end }}',
    },
    {"_h.tpl": '{{ define "b" }}override{{ end }}', "t.yaml": '{{ block "b" . }}default{{ end }}'},
    {"_h.tpl": '{{ define "r" }}{{ len . }}{{ end }}', "t.yaml": 'a\n{{ template "r" 3 }}'},
]


@pytest.mark.parametrize("files", MULTI, ids=[str(i) for i in range(len(MULTI))])
def test_multi_file_matches_helm(helm: Any, files: dict[str, str]) -> None:
    assert our_render_files(files) == oracle_render_files(helm, files)
