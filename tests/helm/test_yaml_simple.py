"""encoding/yamlsimple.py: the common shape of chart YAML files read without
PyYAML. Whatever it accepts, it must read exactly as the libyaml path (yamlgo,
chart.load_values) does; anything else it refuses (None), and then the libyaml
path parses (and words the errors). Checked on generated documents, on mutated
ones, and on every chart file in the repository and the benchmark charts."""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.chart import chart as chartmod
from polystack.helm.encoding import yamlgo, yamlsimple

ROOT = Path(__file__).resolve().parents[2]


def _reference(text: str) -> object:
    """What the libyaml path gives: the map, or the error text."""
    try:
        return repr(chartmod.load_values(text))
    except chartmod.ChartError as e:
        return f"error: {e}"


def _check(text: str) -> bool:
    """Simple's answer, if any, is the libyaml path's (repr: 1.0 is not 1 nor True).
    Returns whether simple accepted the text."""
    got = yamlsimple.load(text)
    if got is None:
        return False
    assert _reference(text) == repr(got), text
    try:
        ref_map = yamlgo.unmarshal_map(text)
    except yamlgo.EncodingError as e:  # a multi-document text: load_values only
        pytest.fail(f"libyaml refuses what simple read: {e}\n{text}")
    assert repr(ref_map) == repr(got)
    return True


WORDS = [
    "a", "b", "name", "x.y", "a-b", "a_b", "A", "y", "Y", "n", "no", "yes", "on", "off",
    "true", "False", "~", "null", "Null", "1", "-1", "+1", "0", "007", "0x1F", "0o17",
    "0b101", "1_000", "1e3", "1.5", "-2.5e-3", ".5", "1.", ".inf", "-.Inf", ".nan", "1.2.3",
    "0.1.0", "v1", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "12:30", "1:20:30",
    "a:b", "http://x/y?z=1", "a#b", "-a", "?a", ":a", "<<", "=", "é", "日本", "a b",
    "99999999999999999999", "18446744073709551616", "1e400", "0.", "-", "--", "a%b",
    "a,b", "a[0]", "{a}", "@a", "`a`", "!a", "&a", "*a", "|", ">", "#", "'", '"', "\\",
]  # fmt: skip


def _plain(w: str) -> str:
    return w


def _single(w: str) -> str:
    return "'" + w.replace("'", "''") + "'"


def _double(w: str) -> str:
    return '"' + w.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


scalars = st.tuples(st.sampled_from(WORDS), st.sampled_from([_plain, _single, _double])).map(
    lambda t: t[1](t[0])
)
comments = st.sampled_from(["", "", " # c", "  #c", " #", "#x"])


@st.composite
def docs(draw: st.DrawFn, depth: int = 0) -> list[str]:
    """Lines of a block mapping at indent 0 (nested ones indented by the caller)."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1 if depth == 0 else 1, 4))):
        key = draw(scalars)
        kind = draw(st.sampled_from(["scalar", "scalar", "map", "seq", "flow", "empty"]))
        if depth >= 3 and kind in ("map", "seq"):
            kind = "scalar"
        if draw(st.booleans()) and draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "# comment", "   # indented comment"])))
        if kind == "scalar":
            lines.append(f"{key}: {draw(scalars)}{draw(comments)}")
        elif kind == "empty":
            lines.append(f"{key}:{draw(st.sampled_from(['', ' ', ' # c']))}")
        elif kind == "flow":
            items = draw(st.lists(scalars, max_size=3))
            if draw(st.booleans()):
                body = ", ".join(items)
                lines.append(f"{key}: [{body}]{draw(comments)}")
            else:
                keys = draw(st.lists(scalars, min_size=len(items), max_size=len(items)))
                body = ", ".join(f"{k}: {v}" for k, v in zip(keys, items, strict=True))
                lines.append(f"{key}: {{{body}}}{draw(comments)}")
        elif kind == "map":
            lines.append(f"{key}:{draw(comments)}")
            ind = " " * draw(st.integers(1, 4))
            lines += [ind + x if x else x for x in draw(docs(depth + 1))]
        else:
            lines.append(f"{key}:")
            ind = " " * draw(st.integers(0, 3))
            for _ in range(draw(st.integers(1, 3))):
                if draw(st.booleans()):
                    lines.append(f"{ind}- {draw(scalars)}{draw(comments)}")
                else:
                    sub = draw(docs(depth + 1))
                    pad = " " * draw(st.integers(1, 3))
                    first, rest = sub[0], sub[1:]
                    lines.append(f"{ind}-{pad}{first}")
                    lines += [
                        (ind + " " + pad + x) if x and not x.startswith("#") else x for x in rest
                    ]
    return lines


@settings(max_examples=400, deadline=None)
@given(docs())
def test_generated_documents_read_as_libyaml_reads_them(lines: list[str]) -> None:
    _check("\n".join(lines) + "\n")


MUTATIONS = [" ", "  ", "\t", "\r", "#", ":", ": ", "-", "- ", "'", '"', "[", "]", "{", "}", ",",
             "&a ", "*a", "!!str ", "|", ">", "?", "\\", "\n", "\n  ", "---\n", "\x85", "\u2028",
             "\ufeff", "\x07", "é", "%"]  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(docs(), st.data())
def test_mutated_documents_are_read_as_libyaml_reads_them_or_refused(
    lines: list[str], data: st.DataObject
) -> None:
    text = "\n".join(lines) + "\n"
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 2))
        text = text[:i] + data.draw(st.sampled_from(MUTATIONS)) + text[i + cut :]
    _check(text)


CASES = {
    "a: 1\nb: y\nc: ~\nd: 'x'\ne: \"\\u00e9\\n\"\n": True,
    "a:\n- 1\n- b: 2\n  c: [x, 'y', \"z\"]\n": True,
    "a: {}\nb: []\nc: {k: v, 'q': 2, y: n}\n": True,
    "": True,
    "# only a comment\n\n": True,
    "{}\n": True,
    "a: |\n  text\n": False,
    "a: &x 1\nb: *x\n": False,
    "---\na: 1\n": False,
    "a: 1\n---\nb: 2\n": False,
    "a:\tb\n": False,
    "- a\n": False,
    "a\n": False,
    "a: b\n  c\n": False,
    "a: 2001-12-14\n": False,
    "a: .nan\n": False,
    "1: a\n": True,
    "~: a\n": False,
    "<<: {a: 1}\n": False,
    "a: [1, [2]]\n": False,
    "a: {b: {c: 1}}\n": False,
    "a: 'unclosed\n": False,
    "a: b: c\n": False,
    "a: 1\na: 2\n": True,
    "a: [?a]\n": False,  # (a single-pair mapping in libyaml)
    "a: {a: ?a}\n": False,
    "a: ?a\n": True,
    "a: [-1, -a]\n": True,
}


@pytest.mark.parametrize("text", list(CASES))
def test_cases(text: str) -> None:
    assert _check(text) is CASES[text]


def _chart_files() -> list[str]:
    pats = ["tests/helm/**/values.yaml", "tests/helm/**/Chart.yaml", "tests/helm/**/Chart.lock"]
    pats += ["src/polystack/helm/chart/starter/**/*.yaml", "charts/**/values.yaml"]
    pats += ["charts/**/Chart.yaml"]
    out: list[str] = []
    for p in pats:
        out += glob.glob(str(ROOT / p), recursive=True)
    return sorted(f for f in out if "/templates/" not in f)


def test_every_chart_file_of_the_repository() -> None:
    files = _chart_files()
    assert len(files) > 10
    accepted = 0
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            accepted += _check(fh.read())
    assert accepted >= len(files) // 2


def test_the_benchmark_charts_are_read_without_pyyaml(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import helm_charts
    finally:
        sys.path.pop(0)
    for chart in (helm_charts.starter_chart(str(tmp_path)), helm_charts.stack_chart(str(tmp_path))):
        for dirpath, _dirs, names in os.walk(chart):
            if "/templates" in dirpath:
                continue
            for name in names:
                if name in ("values.yaml", "Chart.yaml", "Chart.lock"):
                    with open(os.path.join(dirpath, name), encoding="utf-8") as fh:
                        assert _check(fh.read()), os.path.join(dirpath, name)


def test_cold_helm_template_of_a_common_chart_imports_no_pyyaml(tmp_path: Path) -> None:
    """`helm create`'s chart, cache off: its Chart.yaml and values.yaml are read
    without PyYAML, and the output is what the libyaml path renders."""
    import json
    import subprocess

    from polystack.helm.chart.create import create

    path = tmp_path / "demo"
    create(str(path))
    probe = (
        "import json, sys\n"
        "from polystack.helm.action.template import TemplateOptions, run_template\n"
        "out, err = run_template(TemplateOptions(args=['r', sys.argv[1]]))\n"
        "print(json.dumps([out, err, sorted(m for m in sys.modules if m.split('.')[0] == 'yaml')]))\n"
    )
    env = dict(os.environ, POLYSTACK_HELM_TEMPLATE_CACHE="off")
    r = subprocess.run(
        [sys.executable, "-c", probe, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    out, err, yaml_mods = json.loads(r.stdout)
    assert (err, yaml_mods) == ("", [])
    # the same chart with values.yaml read by libyaml (a block scalar added, unused)
    with open(path / "values.yaml", "a") as fh:
        fh.write("unused: |\n  x\n")
    r2 = subprocess.run(
        [sys.executable, "-c", probe, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    out2, err2, yaml_mods2 = json.loads(r2.stdout)
    assert err2 == "" and "yaml" in yaml_mods2
    assert out2 == out and "kind: Deployment" in out
