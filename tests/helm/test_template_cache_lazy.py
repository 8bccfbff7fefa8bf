"""Cached trees in their tuple form (template/treecodec.py), decoded lazily: a
cached run builds only the lists it executes, renders and fails exactly as a
fresh parse does, charges the same work, and stays correct when threads decode
the same tree at once or processes fill the same cache at once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.render import engine
from polystack.helm.template import ExecError, ParseError, TemplateSet
from polystack.helm.template.diskcache import TreeCache
from polystack.helm.template.limits import Budget
from polystack.helm.template.nodes import ListNode
from polystack.helm.template.treecodec import LazyListNode

from .test_template_lazy import ALPHABET, DATA

_NODES = ListNode.__dict__["nodes"]  # the slot itself: reading it never decodes


def _decoded(lst: ListNode) -> bool:
    try:
        _NODES.__get__(lst)
    except AttributeError:
        return False
    return True


def _funcs() -> dict[str, Any]:
    f = dict(engine.base_funcs())
    for name in ("include", "tpl", "required", "fail", "lookup"):
        f[name] = lambda *a: ""
    return f


def _cached_set(tmp_path: Path, name: str, text: str, budget: Budget | None = None) -> Any:
    """A TemplateSet holding the trees of ``text`` as a later process gets them."""
    ts = TemplateSet(_funcs(), missingkey="zero", budget=budget)
    fkey = engine._funcs_key(ts)
    c = TreeCache(str(tmp_path))
    if c.get(name, text, fkey) is None:
        c.put(name, text, fkey, ts.parse_trees(name, text))
    trees = TreeCache(str(tmp_path)).get(name, text, fkey)
    assert trees is not None
    ts.add_parse_trees(name, trees)
    return ts


def test_cached_run_builds_only_what_it_executes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from polystack.helm.template import compile as compile_mod
    from polystack.helm.template import runonce

    text = (
        '{{ define "used" }}u{{ if .on }}{{ .x }}{{ end }}{{ end }}'
        '{{ define "unused" }}{{ range .l }}{{ . }}{{ end }}{{ end }}'
        '{{ if .on }}{{ template "used" . }}{{ else }}{{ .y | upper }}{{ end }}'
        '{{ with .missing }}{{ .deep.er }}{{ end }}{{ "const" }}'
    )
    built: list[int] = []  # the positions of the statements the compiler built nodes for
    # ... and of those it compiled from their tuple form, without building nodes
    from_tuples: list[int] = []
    decode = compile_mod.decode_node
    tuple_node = compile_mod._Compiler.tuple_node

    def record(e: Any, src: Any) -> Any:
        built.append(e[1])
        return decode(e, src)

    def record_tuple(self: Any, e: Any, src: Any, iface: bool) -> Any:
        r = tuple_node(self, e, src, iface)
        if r is not None:
            from_tuples.append(e[1])
        return r

    monkeypatch.setattr(compile_mod, "decode_node", record)
    monkeypatch.setattr(runonce, "decode_node", record)
    monkeypatch.setattr(compile_mod._Compiler, "tuple_node", record_tuple)
    ts = _cached_set(tmp_path, "t", text)
    trees = {n: ts.tree(n) for n in ("t", "used", "unused")}
    assert all(type(t.root) is LazyListNode for t in trees.values())
    assert not any(_decoded(t.root) for t in trees.values())
    assert ts.execute("t", {"on": True, "x": "X"}) == "uXconst"
    assert not any(_decoded(t.root) for t in trees.values())  # read from the tuples
    # a first run runs the statements from their tuples (template/runonce.py): none
    # compiled but a {{template}} (compiled alone), no list's nodes built; a list run a
    # second time is compiled (the define's if-branch at its third run)
    assert not from_tuples and len(built) == 1
    for _ in range(2):
        assert ts.execute("t", {"on": True, "x": "X"}) == "uXconst"
    assert not any(_decoded(t.root) for t in trees.values())

    # the position of each statement, by its text, from a fresh parse
    pos: dict[str, int] = {}

    def walk(lst: Any) -> None:
        for n in lst.nodes:
            pos[str(n).split("}}")[0] + "}}"] = n.pos
            for sub in (getattr(n, "list", None), getattr(n, "else_list", None)):
                if sub is not None:
                    walk(sub)

    for tree in TemplateSet(_funcs()).parse_trees("t", text).values():
        walk(tree.root)
    compiled = set(built) | set(from_tuples)
    assert not set(built) & set(from_tuples)
    assert {pos["{{if .on}}"], pos["{{.x}}"], pos['{{template "used" .}}']} <= compiled
    # statements of one field: compiled from the tuples, no node built
    assert {pos["{{if .on}}"], pos["{{.x}}"], pos["{{with .missing}}"]} <= set(from_tuples)
    assert pos["{{with .missing}}"] in compiled  # run, its body not
    for never in ("{{range .l}}", "{{.}}", "{{.y | upper}}", "{{.deep.er}}"):
        assert pos[never] not in compiled, never
    assert pos['{{"const"}}'] not in compiled  # constant output: no node built
    assert ts.execute("t", {"on": False, "y": "y"}) == "Yconst"  # the else branch's 1st run
    assert pos["{{.y | upper}}"] not in built
    assert ts.execute("t", {"on": False, "y": "y"}) == "Yconst"
    assert pos["{{.y | upper}}"] in built
    # the nodes themselves are still there for whoever reads them (error contexts)
    assert str(trees["t"].root).startswith('{{if .on}}{{template "used" .}}{{else}}')


def _outcome(ts: TemplateSet) -> tuple[str, int]:
    try:
        out = ts.execute("t", DATA)
    except ExecError as e:
        out = "error: " + e.message
    return out, ts.budget.work


@settings(max_examples=200, deadline=None)
@given(st.lists(ALPHABET, max_size=25).map("".join))
def test_cached_trees_render_and_charge_as_fresh_ones(tmp_path_factory: Any, text: str) -> None:
    fresh = TemplateSet(_funcs(), missingkey="zero")
    try:
        fresh.parse("t", text)
    except ParseError:
        return
    cached = _cached_set(tmp_path_factory.mktemp("c"), "t", text)
    assert _outcome(cached) == _outcome(fresh)


def test_long_literal_action_charges_as_fresh(tmp_path: Path) -> None:
    """A literal over 64 characters is written as an action (charged), from the
    cache too; short ones are constant text."""
    text = '{{ range until 30 }}{{ "' + "z" * 200 + '" }}{{ "s" }}{{ end }}'
    fresh = TemplateSet(_funcs(), missingkey="zero")
    fresh.parse("t", text)
    assert _outcome(_cached_set(tmp_path, "t", text)) == _outcome(fresh)


RANGE_TEXTS = [
    "{{ range $i := until 40 }}{{ $i }}{{ $i }}{{ $i }}{{ printf `%d` $i }}{{ end }}",
    "{{ if true }}{{ range $i := until 40 }}{{ $i }}{{ $i }}{{ $i }}{{ end }}{{ end }}",
    "{{ range until 3 }}{{ range until 20 }}{{ . }}{{ . }}{{ . }}{{ . }}{{ end }}{{ end }}",
]


def test_range_iterations_cost_their_body(tmp_path: Path) -> None:
    """Each iteration of a range charges the weight of its body, whether the range
    sits in a branch compiled later or comes from the cache (before, both charged
    one unit per iteration)."""
    from polystack.helm.template.compile import compile_tree

    for i, text in enumerate(RANGE_TEXTS):
        eager = TemplateSet(_funcs(), missingkey="zero")
        eager.parse("t", text)
        tree = eager.tree("t")
        tree.compiled = compile_tree(tree, lazy=False)
        lazy = TemplateSet(_funcs(), missingkey="zero")
        lazy.parse("t", text)
        cached = _cached_set(tmp_path / str(i), "t", text)
        results = {_outcome(eager), _outcome(lazy), _outcome(cached)}
        assert len(results) == 1, (text, results)
        ((_, work),) = results
        assert work > 40 * 3, text


def test_a_loop_is_stopped_by_the_budget_when_cached(tmp_path: Path) -> None:
    text = "{{ if true }}{{ range until 100000 }}{{ $x := 1 }}{{ $y := 2 }}{{ end }}{{ end }}"
    msgs = []
    for ts in (
        TemplateSet(_funcs(), missingkey="zero", budget=Budget(max_work=200_000)),
        _cached_set(tmp_path, "t", text, budget=Budget(max_work=200_000)),
    ):
        if not ts.lookup("t"):
            ts.parse("t", text)
        try:
            ts.execute("t", {})
        except ExecError as e:
            msgs.append(e.message)
    assert len(msgs) == 2 and msgs[0] == msgs[1]


def test_threads_decoding_one_cached_tree(tmp_path: Path) -> None:
    text = "".join(
        f"{{{{ if .on }}}}{{{{ range .l }}}}{i}:{{{{ . }}}} {{{{ end }}}}{{{{ end }}}}\n"
        for i in range(60)
    )
    data = {"on": True, "l": [1, 2, 3]}
    want = TemplateSet(_funcs())
    want.parse("t", text)
    expected = want.execute("t", data)
    for _ in range(5):
        ts = _cached_set(tmp_path, "t", text)
        got: list[str] = []
        barrier = threading.Barrier(6)

        def run(ts: Any = ts, got: list[str] = got, barrier: Any = barrier) -> None:
            barrier.wait()
            got.append(ts.execute("t", data))

        threads = [threading.Thread(target=run) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got == [expected] * 6


def test_processes_filling_one_cache_at_once(tmp_path: Path) -> None:
    from polystack.helm.chart.create import create

    chart = str(tmp_path / "demo")
    create(chart)
    env = dict(os.environ, POLYSTACK_HELM_TEMPLATE_CACHE=str(tmp_path / "cache"))
    cmd = [sys.executable, "-m", "polystack.cli", "helm", "template", "rel", chart]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for _ in range(3)
    ]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(out)
    again = subprocess.run(cmd, capture_output=True, env=env, timeout=120)
    assert len(set(outs) | {again.stdout}) == 1
    files = list((tmp_path / "cache").rglob("*"))
    assert any(f.suffix == ".tpl" for f in files)
    assert not [f for f in files if f.name.startswith(".tmp")]


_ENC = LazyListNode.__dict__["_enc"]  # the slot itself: reading it never unpacks


def _unpacked(lst: ListNode) -> bool:
    try:
        return _ENC.__get__(lst) is not None  # (None: still packed)
    except AttributeError:
        return False


def test_packed_lists_are_unmarshalled_when_first_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large list (a branch, a definition's body) is stored as its own marshal
    bytes inside the tree's: loading the tree does not unpack it, and a branch
    that never runs (a definition never included) is never unpacked."""
    from polystack.helm.template import treecodec

    body = "".join(f"{{{{ .a{i} }}}} line {i}\n" for i in range(20))
    text = (
        f'{{{{ define "unused" }}}}{body}{{{{ end }}}}'
        f"{{{{ if .on }}}}{body}{{{{ else }}}}{body}{{{{ end }}}}"
    )
    fresh = TemplateSet(_funcs(), missingkey="zero")
    trees = fresh.parse_trees("t", text)
    root_e = treecodec.encode_list(trees["t"].root)
    (if_e,) = treecodec._loads(root_e[3])
    packed = {
        "root": root_e[3],
        "then": if_e[4][3],
        "else": if_e[5][3],
        "unused": treecodec.encode_list(trees["unused"].root)[3],
    }
    assert all(type(b) is bytes for b in packed.values())
    unpacked: list[bytes] = []
    loads = treecodec._loads

    def record(b: bytes) -> Any:
        unpacked.append(bytes(b))
        return loads(b)

    monkeypatch.setattr(treecodec, "_loads", record)
    ts = _cached_set(tmp_path, "t", text)
    root, unused = ts.tree("t").root, ts.tree("unused").root
    assert type(root) is LazyListNode and not _unpacked(root) and not _unpacked(unused)
    assert unpacked == []
    out = ts.execute("t", {"on": True, "a3": "x"})
    assert "x line 3\n" in out
    # a list's first run reads its tuples without keeping them (most run once)
    assert not _unpacked(root) and not _unpacked(unused)
    assert sorted(unpacked) == sorted([packed["root"], packed["then"]])
    fresh.add_parse_trees("t", trees)
    assert fresh.execute("t", {"on": True, "a3": "x"}) == out
    # its second run compiles it: unpacked again, and kept with its nodes
    assert ts.execute("t", {"on": True, "a3": "x"}) == out
    assert _unpacked(root) and not _unpacked(unused)
    assert unpacked.count(packed["root"]) == 2 and packed["unused"] not in unpacked


@settings(max_examples=150, deadline=None)
@given(st.lists(ALPHABET, max_size=25).map("".join))
def test_every_list_packed_renders_and_charges_as_fresh(tmp_path_factory: Any, text: str) -> None:
    """With every list packed (PACK_MIN 0), cached trees still render, fail and
    charge as fresh ones."""
    from polystack.helm.template import treecodec

    fresh = TemplateSet(_funcs(), missingkey="zero")
    try:
        fresh.parse("t", text)
    except ParseError:
        return
    saved = treecodec.PACK_MIN
    treecodec.PACK_MIN = 0
    try:
        cached = _cached_set(tmp_path_factory.mktemp("c"), "t", text)
    finally:
        treecodec.PACK_MIN = saved
    assert _outcome(cached) == _outcome(fresh)


def test_a_packed_lists_elements_are_read_without_an_attribute_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A packed list holds None for its elements until ``elements`` unpacks them
    (no unset slot read: its AttributeError costs more than the unpacking's
    check); ``nodes`` decodes from them as before."""
    from polystack.helm.template import treecodec

    text = "".join(f"{{{{ .a{i} }}}} line {i}\n" for i in range(20))
    fresh = TemplateSet(_funcs(), missingkey="zero")
    trees = fresh.parse_trees("t", text)
    e = treecodec.encode_list(trees["t"].root)
    assert type(e[3]) is bytes
    asked: list[str] = []
    real = treecodec.LazyListNode.__getattr__

    def spy(self: Any, name: str) -> Any:
        asked.append(name)
        return real(self, name)

    monkeypatch.setattr(treecodec.LazyListNode, "__getattr__", spy)
    lst = treecodec.decode_list(e, trees["t"]._src)
    assert _ENC.__get__(lst) is None
    elems = treecodec.elements(lst)
    assert elems == treecodec._loads(e[3]) and treecodec.elements(lst) is elems
    assert asked == []
    assert [type(n) for n in lst.nodes] == [type(n) for n in trees["t"].root.nodes]
    assert asked == ["nodes"]
