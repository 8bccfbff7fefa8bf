"""The on-disk cache of parsed templates (template/diskcache.py) and the command
line's use of it: a second `helm template` of a chart reuses the trees, a changed
template or a changed engine misses, damaged files are ignored, the directory
stays bounded, and the output is the same with and without it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.render import engine
from polystack.helm.render.manifests import _SEP, split_manifests
from polystack.helm.template import TemplateSet, diskcache
from polystack.helm.template.diskcache import TreeCache

TEXT = (
    '{{- define "x.name" }}{{ .Values.name | default "n" }}{{ end }}a: {{ template "x.name" . }}\n'
)


def _funcs() -> dict:
    return dict(engine.base_funcs(), include=lambda *a: "", tpl=lambda *a: "")


def _render(cache: TreeCache, name: str, text: str, data: dict) -> str:
    ts = TemplateSet(_funcs(), missingkey="zero")
    fkey = engine._funcs_key(ts)
    trees = cache.get(name, text, fkey)
    if trees is None:
        trees = ts.parse_trees(name, text)
        cache.put(name, text, fkey, trees)
    ts.add_parse_trees(name, trees)
    return ts.execute(name, data)


def _files(cache: TreeCache) -> list[Path]:
    return [p for p in Path(cache.dir).glob("*.tpl")]


def test_hit_after_miss(tmp_path: Path) -> None:
    c1 = TreeCache(str(tmp_path))
    assert _render(c1, "c/templates/a.yaml", TEXT, {"Values": {"name": "v"}}) == "a: v\n"
    assert (c1.hits, c1.misses, c1.written) == (0, 1, 1)
    c2 = TreeCache(str(tmp_path))  # a new process: a new cache object
    assert _render(c2, "c/templates/a.yaml", TEXT, {"Values": {"name": "w"}}) == "a: w\n"
    assert (c2.hits, c2.misses, c2.written) == (1, 0, 0)


def test_cached_trees_keep_error_positions(tmp_path: Path) -> None:
    """Exec errors name the line and column: the text comes back with the trees."""
    text = "a: 1\nb: {{ .Values.x.y }}\n"
    c1 = TreeCache(str(tmp_path))
    ts = TemplateSet(_funcs(), missingkey="zero")
    c1.put("c/t.yaml", text, engine._funcs_key(ts), ts.parse_trees("c/t.yaml", text))
    c2 = TreeCache(str(tmp_path))
    ts2 = TemplateSet(_funcs(), missingkey="zero")
    trees = c2.get("c/t.yaml", text, engine._funcs_key(ts2))
    assert trees is not None
    ts2.add_parse_trees("c/t.yaml", trees)
    with pytest.raises(Exception) as e:
        ts2.execute("c/t.yaml", {"Values": {}})
    fresh = TemplateSet(_funcs(), missingkey="zero")
    fresh.parse("c/t.yaml", text)
    with pytest.raises(Exception) as e2:
        fresh.execute("c/t.yaml", {"Values": {}})
    assert str(e.value) == str(e2.value)
    assert "c/t.yaml:2:" in str(e.value)


def test_miss_after_template_change(tmp_path: Path) -> None:
    c = TreeCache(str(tmp_path))
    _render(c, "c/templates/a.yaml", TEXT, {"Values": {}})
    changed = TEXT.replace("a:", "b:")
    assert _render(c, "c/templates/a.yaml", changed, {"Values": {}}) == "b: n\n"
    assert c.misses == 2 and c.hits == 0
    # the same text under another name is another template (names are in the trees)
    _render(c, "c/templates/b.yaml", TEXT, {"Values": {}})
    assert c.misses == 3


def test_miss_after_function_names_change(tmp_path: Path) -> None:
    c = TreeCache(str(tmp_path))
    ts = TemplateSet(_funcs())
    c.put("t", TEXT, engine._funcs_key(ts), ts.parse_trees("t", TEXT))
    assert c.get("t", TEXT, engine._funcs_key(ts)) is not None
    assert c.get("t", TEXT, engine._funcs_key(ts) + ",more") is None


def test_miss_after_engine_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = TreeCache(str(tmp_path))
    _render(c, "t", TEXT, {"Values": {}})
    monkeypatch.setattr(diskcache, "_ENGINE_ID", "another-polystack-or-parser")
    c2 = TreeCache(str(tmp_path))
    assert c2.dir != c.dir
    _render(c2, "t", TEXT, {"Values": {}})
    assert (c2.hits, c2.misses) == (0, 1)


def test_engine_id_covers_version_and_parser_source() -> None:
    diskcache._ENGINE_ID = None
    first = diskcache.engine_id()
    assert first == diskcache.engine_id()
    assert "parse.py" in diskcache._ENGINE_SOURCES and "lexer.py" in diskcache._ENGINE_SOURCES


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),  # one bit flipped
        lambda b: b"",  # empty
        lambda b: b"not a cache file at all",
        lambda b: b[:24] + b"\x80\x05garbage",  # right header, body not a pickle
    ],
)
def test_damaged_file_is_ignored_and_rewritten(tmp_path: Path, damage) -> None:
    c = TreeCache(str(tmp_path))
    _render(c, "t", TEXT, {"Values": {}})
    (f,) = _files(c)
    f.write_bytes(damage(f.read_bytes()))
    c2 = TreeCache(str(tmp_path))
    assert _render(c2, "t", TEXT, {"Values": {"name": "z"}}) == "a: z\n"
    assert (c2.hits, c2.misses, c2.written) == (0, 1, 1)
    c3 = TreeCache(str(tmp_path))
    _render(c3, "t", TEXT, {"Values": {}})
    assert c3.hits == 1


def test_unwritable_directory_renders_without_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    c = TreeCache(str(blocker / "sub"))  # a directory cannot be made under a file
    assert _render(c, "t", TEXT, {"Values": {}}) == "a: n\n"
    assert c.written == 0 and c._broken


def test_writes_are_atomic_between_threads(tmp_path: Path) -> None:
    """Writers racing on one entry: every reader sees a whole file or none."""
    ts = TemplateSet(_funcs())
    fkey = engine._funcs_key(ts)
    trees = ts.parse_trees("t", TEXT)
    errors: list[str] = []

    def work() -> None:
        c = TreeCache(str(tmp_path))
        for _ in range(30):
            c.put("t", TEXT, fkey, trees)
            got = c.get("t", TEXT, fkey)
            if got is None:
                errors.append("miss after put")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    c = TreeCache(str(tmp_path))
    assert [p.name for p in Path(c.dir).iterdir() if p.name.startswith(".tmp")] == []


def test_bounded_size(tmp_path: Path) -> None:
    c = TreeCache(str(tmp_path), max_bytes=20_000)
    for i in range(60):
        _render(c, f"t{i}", TEXT + "x" * i, {"Values": {}})
    c.prune()
    total = sum(p.stat().st_size for p in Path(tmp_path).rglob("*") if p.is_file())
    assert total <= 20_000
    assert 0 < len(_files(c)) < 60


def test_prune_removes_other_engine_versions_first(tmp_path: Path) -> None:
    old = tmp_path / "old-engine"
    old.mkdir()
    stale = old / "x.tpl"
    stale.write_bytes(b"x" * 5000)
    os.utime(stale, (1, 1))
    c = TreeCache(str(tmp_path), max_bytes=5200)
    _render(c, "t", TEXT, {"Values": {}})
    c.prune()
    assert not old.exists()
    assert len(_files(c)) == 1


def test_default_location_and_opt_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(engine.CACHE_ENV, raising=False)
    monkeypatch.setenv("HELM_CACHE_HOME", str(tmp_path / "helmcache"))
    c = engine.default_template_cache()
    assert c.root == str(tmp_path / "helmcache" / "polystack" / "templates")
    monkeypatch.delenv("HELM_CACHE_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert engine.default_template_cache().root == str(
        tmp_path / "xdg" / "helm" / "polystack" / "templates"
    )
    monkeypatch.setenv(engine.CACHE_ENV, str(tmp_path / "mine"))
    assert engine.default_template_cache().root == str(tmp_path / "mine")
    for off in ("off", "0", "false", ""):
        monkeypatch.setenv(engine.CACHE_ENV, off)
        assert engine.default_template_cache() is None


def _helm_template(chart: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "polystack.cli", "helm", "template", "rel", chart],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_command_output_same_with_and_without_cache(tmp_path: Path) -> None:
    from polystack.helm.chart.create import create

    chart = str(tmp_path / "demo")
    create(chart)
    env = dict(os.environ, POLYSTACK_HELM_TEMPLATE_CACHE="off")
    plain = _helm_template(chart, env)
    assert plain.returncode == 0, plain.stderr
    env[engine.CACHE_ENV] = str(tmp_path / "cache")
    first = _helm_template(chart, env)
    second = _helm_template(chart, env)
    assert first.stdout == second.stdout == plain.stdout
    assert list((tmp_path / "cache").rglob("*.tpl"))
    # a changed template is rendered from its new text
    dep = Path(chart) / "templates" / "service.yaml"
    dep.write_text(dep.read_text().replace("kind: Service", "kind: Service # changed"))
    third = _helm_template(chart, env)
    assert "kind: Service # changed" in third.stdout


def test_parse_errors_are_not_cached(tmp_path: Path) -> None:
    from polystack.helm.chart.create import create

    chart = tmp_path / "demo"
    create(str(chart))
    (chart / "templates" / "bad.yaml").write_text("{{ if }}\n")
    env = dict(os.environ, POLYSTACK_HELM_TEMPLATE_CACHE=str(tmp_path / "cache"))
    for _ in range(2):
        r = _helm_template(str(chart), env)
        assert r.returncode == 1
        assert "parse error at (demo/templates/bad.yaml:1): missing value for if" in r.stderr


# -------------------------------------------------------------- SplitManifests


def _split_by_regex(big: str) -> list[str]:
    return [d.lstrip() for d in _SEP.split(big.lstrip()) if d != ""]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(["---", "\n", " ", "\t", "\r", "\f", "a", "b: c", "-", "--", "x---"]),
        max_size=40,
    ).map("".join)
)
def test_split_manifests_is_helms_separator(big: str) -> None:
    assert split_manifests(big) == _split_by_regex(big)


def test_split_manifests_long_indented_text() -> None:
    doc = "a:\n" + ("        " * 40 + "x: 1\n") * 2000
    big = doc + "\n---\n" + doc + "   \n  \n---   \n" + doc
    assert split_manifests(big) == _split_by_regex(big)
    assert len(split_manifests(big)) == 3


def _slot_names(cls: type) -> list[str]:
    names: list[str] = []
    for c in reversed(cls.__mro__):
        for n in c.__dict__.get("__slots__", ()):
            if n not in names and not n.startswith("_"):
                names.append(n)
    return names


def test_tuple_form_round_trips_every_node_kind() -> None:
    """Cached trees are stored as tuples (treecodec.py): every node kind of a
    parse comes back with the same values in every slot, and the same text."""
    from polystack.helm.template import nodes

    text = (
        '{{- define "t" }}{{ .a.b | default "x" }}{{ end }}{{ $v := 1.5e3 }}{{ nil | not }}'
        "{{ if true }}{{ range $i, $e := .l }}{{ break }}{{ continue }}{{ end }}"
        '{{ else }}{{ with .m }}{{ template "t" . }}{{ end }}{{ end }}{{/* c */}}'
        "{{ (.a).b }}{{ $v.x }}{{ 0x1F }}{{ 'c' }}{{ 1i }}{{ $v = 2 }}{{ 18446744073709551615 }}"
        '{{ "{{ $labels.x }}" }}{{- `raw` -}}{{ "' + "y" * 70 + '" }}'
    )
    ts = TemplateSet(_funcs(), missingkey="zero")
    trees = ts.parse_trees("t.yaml", text)
    back = diskcache._load_trees(diskcache._dump_trees(trees), text)
    assert back is not None and set(back) == set(trees)
    seen: set[str] = set()

    def same(a: object, b: object) -> None:
        if isinstance(a, nodes.Node):
            assert isinstance(b, type(a))
            seen.add(type(a).__name__)
            assert b.tree is not None and b.tree.text == text
            for n in _slot_names(type(a)):
                if n != "tree":
                    same(getattr(a, n), getattr(b, n))
        elif isinstance(a, list):
            assert type(b) is list and len(a) == len(b)
            for x, y in zip(a, b, strict=True):
                same(x, y)
        else:
            assert type(a) is type(b)
            assert a == b or (a != a and b != b)

    for name, tree in trees.items():
        got = back[name]
        same(tree.root, got.root)
        assert str(tree.root) == str(got.root)
        assert (got.name, got.parse_name, got.text) == (tree.name, tree.parse_name, text)
    kinds = {"IfNode", "RangeNode", "WithNode", "TemplateNode", "ChainNode", "NumberNode"}
    assert kinds | {"BreakNode", "ContinueNode", "VariableNode"} <= seen


def test_tuple_form_knows_every_node_class() -> None:
    """A node class, or a slot, the codec does not know is refused (the tree is
    then not cached) instead of being stored without it."""
    from polystack.helm.template import nodes, treecodec

    known = {
        "ListNode": ("pos", "tree", "nodes"),
        "TextNode": ("pos", "tree", "text"),
        "CommentNode": ("pos", "tree", "text"),
        "PipeNode": ("pos", "tree", "line", "is_assign", "decl", "cmds"),
        "ActionNode": ("pos", "tree", "line", "pipe"),
        "CommandNode": ("pos", "tree", "args"),
        "IdentifierNode": ("pos", "tree", "ident"),
        "VariableNode": ("pos", "tree", "ident"),
        "DotNode": ("pos", "tree"),
        "NilNode": ("pos", "tree"),
        "FieldNode": ("pos", "tree", "ident"),
        "ChainNode": ("pos", "tree", "node", "field"),
        "BoolNode": ("pos", "tree", "true"),
        "NumberNode": (
            "pos",
            "tree",
            "text",
            "is_int",
            "is_uint",
            "is_float",
            "is_complex",
            "int64",
            "uint64",
            "float64",
            "complex128",
        ),
        "StringNode": ("pos", "tree", "quoted", "text"),
        "EndNode": ("pos", "tree"),
        "ElseNode": ("pos", "tree", "line"),
        "IfNode": ("pos", "tree", "line", "pipe", "list", "else_list"),
        "RangeNode": ("pos", "tree", "line", "pipe", "list", "else_list"),
        "WithNode": ("pos", "tree", "line", "pipe", "list", "else_list"),
        "BreakNode": ("pos", "tree", "line"),
        "ContinueNode": ("pos", "tree", "line"),
        "TemplateNode": ("pos", "tree", "line", "name", "pipe"),
    }
    for name in nodes.__all__:
        if name == "Node":
            continue
        assert tuple(_slot_names(getattr(nodes, name))) == known[name], name

    class Odd(nodes.TextNode):
        __slots__ = ()

    lst = nodes.ListNode(0)
    lst.nodes.append(Odd(0, "x"))
    with pytest.raises(treecodec.Unstorable):
        treecodec.encode_list(lst)


def test_unstorable_tree_is_rendered_but_not_cached(tmp_path: Path) -> None:
    from polystack.helm.golang.types import Int64
    from polystack.helm.template.nodes import NumberNode

    text = "{{ 7 }}"
    ts = TemplateSet(_funcs(), missingkey="zero")
    fkey = engine._funcs_key(ts)
    trees = ts.parse_trees("t", text)
    num = trees["t"].root.nodes[0].pipe.cmds[0].args[0]
    assert isinstance(num, NumberNode)
    num.int64 = Int64(7)  # not a plain int: the tuple form refuses it
    c = TreeCache(str(tmp_path))
    c.put("t", text, fkey, trees)
    assert c.written == 0 and c.get("t", text, fkey) is None


def test_sources_stamp_changes_with_a_source_edit(tmp_path: Path) -> None:
    """The engine's identity is its sources' modification times and sizes (no
    read): an edit of the same length, or a touch, changes it; nothing else does."""
    import os

    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")

    def stamp() -> str:
        h = diskcache.blake2b(digest_size=16)
        diskcache.sources_stamp(h, str(tmp_path), ("a.py", "b.py", "gone.py"))
        return h.hexdigest()

    first = stamp()
    assert stamp() == first
    st = os.stat(tmp_path / "a.py")
    (tmp_path / "a.py").write_text("x = 3\n")  # same size
    os.utime(tmp_path / "a.py", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    second = stamp()
    assert second != first
    (tmp_path / "b.py").write_text("y = 22\n")  # another size, mtime kept
    os.utime(tmp_path / "b.py", ns=(st.st_atime_ns, os.stat(tmp_path / "b.py").st_mtime_ns))
    assert stamp() != second
    (tmp_path / "gone.py").write_text("")
    assert stamp() != second
