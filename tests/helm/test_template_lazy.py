"""Branches compiled when they first run (template/compile.py `later`): the same
output, the same errors and the same work weight as compiling everything first."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.render import engine
from polystack.helm.template import ExecError, ParseError, TemplateSet
from polystack.helm.template.compile import compile_tree

CHARTS = Path(__file__).parent / "charts"
BENCH = Path(__file__).parents[2] / "bench"

ALPHABET = st.sampled_from(
    list('{}()|.$:=,- \n"0123456789abxyz')
    + ["{{", "}}", "{{-", "-}}", "if ", "end", "else", "else if ", "range ", "with "]
    + ["$x := ", "$i, $e := ", ".a", ".b", ".c", "(len .a)", "eq ", "print ", "and ", "or "]
    + ["not ", "break", "continue", 'template "t" ', 'block "d" .', 'define "d"', "nil"]
    + ["{{ if .a }}x{{ else }}y{{ end }}", "{{ range .a }}{{ . }}{{ end }}", "$"]
)
DATA = {"a": [1, 2], "b": {"c": None, "d": [{"e": 1}]}, "c": "s"}


def _funcs() -> dict[str, Any]:
    f = dict(engine.base_funcs())
    for name in ("include", "tpl", "required", "fail", "lookup"):
        f[name] = lambda *a: ""
    return f


def _run(text: str, lazy: bool) -> tuple[str, int | None]:
    ts = TemplateSet(_funcs(), missingkey="zero")
    ts.parse("t", text)
    tree = ts.tree("t")
    assert tree is not None and tree.root is not None
    tree.compiled = compile_tree(tree, lazy=lazy)
    weight = tree.weight
    try:
        return ts.execute("t", DATA), weight
    except ExecError as e:
        return "error: " + e.message, weight


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=25).map("".join))
def test_lazy_branches_change_nothing(text: str) -> None:
    try:
        eager = _run(text, lazy=False)
    except ParseError:
        return
    assert _run(text, lazy=True) == eager


def _trees(root: Path) -> list[Any]:
    out = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or "templates" not in path.parts:
            continue
        ts = TemplateSet(_funcs())
        try:
            ts.parse(str(path), path.read_text(encoding="utf-8"))
        except (ParseError, UnicodeDecodeError):
            continue
        out += [t for t in ts._trees.values() if t.root is not None]
    return out


def test_weights_of_real_shaped_charts_match(tmp_path: Path) -> None:
    """The weight counted for branches not yet compiled (template/weight.py) is
    what compiling them counts, for every tree of the test charts and of the
    generated kube-prometheus-stack-shaped benchmark chart."""
    sys.path.insert(0, str(BENCH))
    try:
        import helm_charts
    finally:
        sys.path.remove(str(BENCH))
    stack = Path(helm_charts.stack_chart(str(tmp_path)))
    trees = _trees(CHARTS) + _trees(stack)
    assert len(trees) > 300
    for tree in trees:
        compile_tree(tree, lazy=False)
        eager = tree.weight
        compile_tree(tree, lazy=True)
        assert tree.weight == eager, tree.name


def test_a_branch_is_compiled_once_and_only_when_it_runs() -> None:
    ts = TemplateSet(_funcs())
    ts.parse("t", "{{ if .on }}{{ .x | upper }}{{ else }}{{ .y }}{{ end }}")
    assert ts.execute("t", {"on": False, "y": "n"}) == "n"
    assert ts.execute("t", {"on": True, "x": "a"}) == "A"
    assert ts.execute("t", {"on": True, "x": "b"}) == "B"
    # a Go type error inside a branch is reported when the branch runs, as before
    ts.parse("u", "{{ if .on }}{{ upper 3 }}{{ end }}")
    assert ts.execute("u", {"on": False}) == ""
    try:
        ts.execute("u", {"on": True})
    except ExecError as e:
        assert e.message == 'template: u:1:21: executing "u" at <3>: expected string; found 3'
    else:
        raise AssertionError("no error")


def test_cached_trees_carry_their_weight(tmp_path: Path) -> None:
    """A tree from the on-disk cache brings the weight counted when it was stored
    (template/treecodec.py): compiling it skips the walk of its lazy branches
    and keeps the weight an eager compile counts."""
    from polystack.helm.template import diskcache

    trees = _trees(CHARTS)
    assert trees
    for tree in trees:
        back = diskcache._load_trees(diskcache._dump_trees({"t": tree}), tree.text)["t"]
        assert back.weight_known
        compile_tree(tree, lazy=False)
        compile_tree(back)
        assert back.weight == tree.weight, tree.name
