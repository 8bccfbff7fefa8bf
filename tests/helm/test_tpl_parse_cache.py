"""tpl's parse cache (render/engine.py _TplTrees): a text is parsed once per render,
and with the on-disk template cache its trees are stored there too, so a later
render (a new process) neither lexes nor parses it. What is rendered, and every
error with its position, is the same with and without the caches."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from polystack.helm.render import engine
from polystack.helm.render.engine import Engine, RenderError
from polystack.helm.template.diskcache import TreeCache

CHART_YAML = "apiVersion: v2\nname: demo\nversion: 0.1.0\n"
TEMPLATE = """\
{{- define "demo.inner" }}{{ tpl .Values.inner . }}{{ end }}
a: {{ tpl .Values.text . | quote }}
b: {{ tpl .Values.text $ }}
c: {{ include "demo.inner" . }}
{{- range $i, $t := .Values.list }}
l{{ $i }}: {{ tpl $t $ }}
{{- end }}
"""
VALUES = {
    "text": "{{ .Release.Name }}-{{ .Values.name }}",
    "inner": "{{ tpl .Values.text . }}!",
    "name": "n",
    "list": ["{{ .Values.name }}", "{{ .Values.name }}", "x{{ len .Values.list }}"],
}


def _chart(root: Path, template: str = TEMPLATE) -> Path:
    d = root / "demo"
    (d / "templates").mkdir(parents=True, exist_ok=True)
    (d / "Chart.yaml").write_text(CHART_YAML)
    (d / "templates" / "t.yaml").write_text(template)
    return d


def _render(chart: Path, values: dict, cache: TreeCache | None) -> str:
    from polystack.helm.chart import chart as chartmod
    from polystack.helm.chart import values as valuesmod
    from polystack.helm.funcs.helm import Capabilities

    ch = chartmod.load(str(chart))
    user = dict(values)
    valuesmod.process_dependencies(ch, user)
    opts = valuesmod.ReleaseOptions(name="rel", namespace="ns", is_install=True, is_upgrade=False)
    top = valuesmod.to_render_values(ch, user, opts, Capabilities())
    return Engine(cache=cache).render(ch, top)["demo/templates/t.yaml"]


def _error(chart: Path, values: dict, cache: TreeCache | None) -> str:
    with pytest.raises(RenderError) as e:
        _render(chart, values, cache)
    return str(e.value)


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts tpl parses (TemplateSet.parse_trees under the set's name)."""
    from polystack.helm.template import TemplateSet

    seen: list[str] = []
    real = TemplateSet.parse_trees

    def counting(self, name: str, text: str):  # type: ignore[no-untyped-def]
        if name == "gotpl":
            seen.append(text)
        return real(self, name, text)

    monkeypatch.setattr(TemplateSet, "parse_trees", counting)
    return seen


EXPECTED = '\na: "rel-n"\nb: rel-n\nc: rel-n!\nl0: n\nl1: n\nl2: x3\n'


def test_each_text_parsed_once_per_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chart = _chart(tmp_path)
    seen = _count_parses(monkeypatch)
    assert _render(chart, VALUES, None) == EXPECTED
    # four distinct texts, though tpl is called eight times
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 4


def test_disk_cache_skips_parsing_in_a_later_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = _chart(tmp_path)
    seen = _count_parses(monkeypatch)
    cache_dir = str(tmp_path / "cache")
    assert _render(chart, VALUES, TreeCache(cache_dir)) == EXPECTED
    assert len(seen) == 4
    seen.clear()
    second = TreeCache(cache_dir)  # a new process: a new cache object
    assert _render(chart, VALUES, second) == EXPECTED
    assert seen == []
    assert second.misses == 0 and second.hits == 5  # the chart's file and four texts


def test_changed_text_between_runs_is_parsed_again(tmp_path: Path) -> None:
    chart = _chart(tmp_path)
    cache_dir = str(tmp_path / "cache")
    assert _render(chart, VALUES, TreeCache(cache_dir)) == EXPECTED
    changed = dict(VALUES, text="{{ .Values.name }}/{{ .Release.Namespace }}")
    c = TreeCache(cache_dir)
    out = _render(chart, changed, c)
    assert out == '\na: "n/ns"\nb: n/ns\nc: n/ns!\nl0: n\nl1: n\nl2: x3\n'
    assert c.misses == 1
    # and the values the cached trees are executed with are this render's
    out = _render(chart, dict(VALUES, name="m"), TreeCache(cache_dir))
    assert out == '\na: "rel-m"\nb: rel-m\nc: rel-m!\nl0: m\nl1: m\nl2: x3\n'


def test_same_text_with_another_length_or_crc_collision_is_not_reused(tmp_path: Path) -> None:
    """An entry is used only for the very text it was parsed from."""
    chart = _chart(tmp_path)
    cache_dir = str(tmp_path / "cache")
    _render(chart, VALUES, TreeCache(cache_dir))
    # point the entry of one text at another text's file: compared, not trusted
    c = TreeCache(cache_dir)
    fkey = engine._funcs_key(_set())
    a = c._path(c.key("gotpl", VALUES["text"], fkey))
    b = c._path(c.key("gotpl", VALUES["inner"], fkey))
    os.replace(b, a)
    assert _render(chart, VALUES, TreeCache(cache_dir)) == EXPECTED


def _set():  # type: ignore[no-untyped-def]
    from polystack.helm.template import TemplateSet

    ts = TemplateSet(dict(engine.base_funcs()), missingkey="zero")
    ts.funcs.update(include=len, tpl=len, required=len, fail=len)
    return ts


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_corrupt_entry_is_a_miss_and_rewritten(tmp_path: Path, damage: str) -> None:
    chart = _chart(tmp_path)
    cache_dir = str(tmp_path / "cache")
    _render(chart, VALUES, TreeCache(cache_dir))
    c = TreeCache(cache_dir)
    path = Path(c._path(c.key("gotpl", VALUES["text"], engine._funcs_key(_set()))))
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:-3] + bytes([data[-3] ^ 0x40]) + data[-2:])
    else:
        path.write_bytes(b"not a cache file")
    c2 = TreeCache(cache_dir)
    assert _render(chart, VALUES, c2) == EXPECTED
    assert c2.misses == 1 and c2.written == 1
    c3 = TreeCache(cache_dir)
    assert _render(chart, VALUES, c3) == EXPECTED
    assert c3.misses == 0


@pytest.mark.parametrize(
    "text",
    [
        "{{ .Values.name | nosuchfunc }}",  # parse error: function not defined
        "a\n{{ if }}",  # parse error on line 2
        "x\ny {{ .Values.name.deeper }}",  # exec error with a position
        '{{ fail "stop" }}',  # Helm's fail inside tpl
        '{{ include "demo.missing" . }}',  # no such template
    ],
)
def test_errors_and_positions_same_cached_and_uncached(tmp_path: Path, text: str) -> None:
    chart = _chart(tmp_path, "a: {{ tpl .Values.text . }}\nb: {{ tpl .Values.text . }}\n")
    vals = dict(VALUES, text=text)
    plain = _error(chart, vals, None)
    cache_dir = str(tmp_path / "cache")
    first = _error(chart, vals, TreeCache(cache_dir))
    second = _error(chart, vals, TreeCache(cache_dir))
    assert plain == first == second
    assert "demo/templates/t.yaml:1:" in plain


def test_parse_errors_of_tpl_texts_are_not_stored(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "a: {{ tpl .Values.text . }}\n")
    cache_dir = tmp_path / "cache"
    _error(chart, dict(VALUES, text="{{ if }}"), TreeCache(str(cache_dir)))
    assert len(list(cache_dir.rglob("*.tpl"))) == 1  # the chart's own template only


def test_empty_and_define_only_texts_keep_gos_semantics_when_cached(tmp_path: Path) -> None:
    """Item 1's rule through the cache: tpl of an empty text (or of definitions
    only) inside text rendered by tpl renders nothing; it never re-runs the outer
    text (which would recurse)."""
    chart = _chart(tmp_path, "f: {{ tpl .Values.file . }}\ng: {{ tpl .Values.defs . }}\n")
    vals = {
        "file": "a: {{ tpl .Values.empty . }}",
        "empty": "",
        "defs": '{{ define "x" }}1{{ end }}',
    }
    expected = "f: a: \ng: \n"
    assert _render(chart, vals, None) == expected
    cache_dir = str(tmp_path / "cache")
    assert _render(chart, vals, TreeCache(cache_dir)) == expected
    assert _render(chart, vals, TreeCache(cache_dir)) == expected


def test_definitions_in_a_tpl_text_stay_in_their_call(tmp_path: Path) -> None:
    """Each call adds the (shared) trees to its own clone of the set: a define in
    one tpl text is not visible to the chart's templates or to other calls."""
    tmpl = "a: {{ tpl .Values.defs . }}\nb: {{ tpl .Values.defs . }}\nc: {{ tpl .Values.use . }}\n"
    chart = _chart(tmp_path, tmpl)
    vals = {"defs": '{{ define "d" }}D{{ end }}{{ template "d" }}', "use": '{{ template "d" }}'}
    plain = _error(chart, vals, None)
    assert 'template "d" not defined' in plain
    cache_dir = str(tmp_path / "cache")
    assert _error(chart, vals, TreeCache(cache_dir)) == plain
    assert _error(chart, vals, TreeCache(cache_dir)) == plain


def test_command_with_cache_does_not_import_the_parser(tmp_path: Path) -> None:
    """A second `helm template` of a chart whose templates call tpl loads every
    tree from the cache: neither the lexer nor the parser is imported."""
    chart = _chart(tmp_path)
    (chart / "values.yaml").write_text(
        'text: "{{ .Release.Name }}-{{ .Values.name }}"\n'
        'inner: "{{ tpl .Values.text . }}!"\n'
        "name: n\n"
        'list: ["{{ .Values.name }}", "{{ .Values.name }}", "x{{ len .Values.list }}"]\n'
    )
    env = dict(os.environ, POLYSTACK_HELM_TEMPLATE_CACHE=str(tmp_path / "cache"))
    probe = (  # (the command ends with os._exit)
        "import os, sys\n"
        "real = os._exit\n"
        "def _exit(code):\n"
        "    print('PARSER', 'polystack.helm.template.parse' in sys.modules, file=sys.stderr)\n"
        "    sys.stderr.flush()\n"
        "    real(code)\n"
        "os._exit = _exit\n"
        "from polystack.cli import main\n"
        "main()\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe, "helm", "template", "rel", str(chart)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout
    assert "l2: x3" in runs[0].stdout
    assert "PARSER True" in runs[0].stderr
    assert "PARSER False" in runs[1].stderr
