"""The on-disk template cache's set files (template/diskcache.py get_set/put_set):
a render of a chart whose files were all cached before reads their trees from
one file; a changed, added or removed template misses the set, falls back to the
entries of single texts and writes a new set; a damaged set is ignored; the
output is the same every way."""

from __future__ import annotations

from pathlib import Path

import pytest

from polystack.helm.render.engine import Engine, RenderError
from polystack.helm.template.diskcache import TreeCache

CHART_YAML = "apiVersion: v2\nname: demo\nversion: 0.1.0\n"
FILES = {
    "_helpers.tpl": '{{- define "demo.name" }}{{ .Chart.Name }}-{{ .Values.n }}{{ end }}\n',
    "a.yaml": 'a: {{ include "demo.name" . }}\n',
    "b.yaml": "b: {{ .Values.n | quote }}\n{{- if .Values.more }}\nmore: yes\n{{- end }}\n",
}


def _chart(root: Path, files: dict[str, str] = FILES) -> Path:
    d = root / "demo"
    (d / "templates").mkdir(parents=True, exist_ok=True)
    (d / "Chart.yaml").write_text(CHART_YAML)
    for f in (d / "templates").iterdir():
        f.unlink()
    for name, text in files.items():
        (d / "templates" / name).write_text(text)
    return d


def _render(chart: Path, values: dict, cache: TreeCache | None) -> dict[str, str]:
    from polystack.helm.chart import chart as chartmod
    from polystack.helm.chart import values as valuesmod
    from polystack.helm.funcs.helm import Capabilities

    ch = chartmod.load(str(chart))
    user = dict(values)
    valuesmod.process_dependencies(ch, user)
    opts = valuesmod.ReleaseOptions(name="rel", namespace="ns", is_install=True, is_upgrade=False)
    top = valuesmod.to_render_values(ch, user, opts, Capabilities())
    return Engine(cache=cache).render(ch, top)


def _sets(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.rglob("*.set"))


def test_second_render_reads_one_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chart = _chart(tmp_path)
    cache_dir = tmp_path / "cache"
    vals = {"n": "x", "more": True}
    plain = _render(chart, vals, None)
    assert _render(chart, vals, TreeCache(str(cache_dir))) == plain
    assert len(_sets(cache_dir)) == 1
    c = TreeCache(str(cache_dir))
    single = []
    real_get = TreeCache.get

    def counting_get(self, *a):  # type: ignore[no-untyped-def]
        single.append(a[0])
        return real_get(self, *a)

    monkeypatch.setattr(TreeCache, "get", counting_get)
    assert _render(chart, vals, c) == plain
    assert single == []  # no entry of a single text was read
    assert c.hits == 3 and c.misses == 0 and c.written == 0
    # other values: the same set
    assert _render(chart, {"n": "y"}, TreeCache(str(cache_dir))) == _render(chart, {"n": "y"}, None)
    assert single == []


@pytest.mark.parametrize("change", ["edit", "add", "remove"])
def test_changed_chart_misses_the_set_and_writes_a_new_one(tmp_path: Path, change: str) -> None:
    cache_dir = tmp_path / "cache"
    chart = _chart(tmp_path)
    _render(chart, {"n": "x"}, TreeCache(str(cache_dir)))
    files = dict(FILES)
    if change == "edit":
        files["b.yaml"] = files["b.yaml"].replace("b:", "bb:")
    elif change == "add":
        files["c.yaml"] = "c: {{ .Values.n }}\n"
    else:
        del files["a.yaml"]
    chart = _chart(tmp_path, files)
    c = TreeCache(str(cache_dir))
    out = _render(chart, {"n": "x"}, c)
    assert out == _render(chart, {"n": "x"}, None)
    # the unchanged texts came from their own entries, the new one was parsed
    assert c.misses == (0 if change == "remove" else 1)
    assert c.hits == (2 if change == "remove" else 3 if change == "add" else 2)
    assert len(_sets(cache_dir)) == 2
    again = TreeCache(str(cache_dir))
    assert _render(chart, {"n": "x"}, again) == out
    assert again.misses == 0 and again.written == 0


@pytest.mark.parametrize("damage", ["truncate", "flip", "flip-text", "index", "text-length"])
def test_damaged_set_is_ignored(tmp_path: Path, damage: str) -> None:
    import marshal

    from polystack.helm.template.diskcache import SET_MAGIC, check_bytes

    cache_dir = tmp_path / "cache"
    chart = _chart(tmp_path)
    plain = _render(chart, {"n": "x"}, None)
    _render(chart, {"n": "x"}, TreeCache(str(cache_dir)))
    (path,) = _sets(cache_dir)
    data = path.read_bytes()
    head = len(SET_MAGIC) + 16 + 8
    ntexts = int.from_bytes(data[head - 8 : head], "little")
    if damage == "truncate":
        path.write_bytes(data[:-10])
    elif damage == "flip":  # in the trees: the check fails
        at = head + ntexts + 40
        path.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
    elif damage == "flip-text":  # in the texts: not the texts loaded
        at = head + 5
        path.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
    else:  # a well-checked body whose index does not fit its entries
        checked = data[head + ntexts :]
        n = int.from_bytes(checked[:4], "little")
        text_lens, tree_lens = marshal.loads(checked[4 : 4 + n])
        if damage == "index":
            tree_lens = (tree_lens[0] + 1, *tree_lens[1:])
        else:
            text_lens = (text_lens[0] + 1, text_lens[1] - 1, *text_lens[2:])
        index = marshal.dumps((text_lens, tree_lens))
        checked = len(index).to_bytes(4, "little") + index + checked[4 + n :]
        path.write_bytes(
            data[: len(SET_MAGIC)]
            + check_bytes(checked)
            + data[head - 8 : head]
            + data[head : head + ntexts]
            + checked
        )
    c = TreeCache(str(cache_dir))
    assert _render(chart, {"n": "x"}, c) == plain
    assert c.misses == 0 and c.hits == 3  # from the single entries
    again = TreeCache(str(cache_dir))
    assert _render(chart, {"n": "x"}, again) == plain  # (the set rewritten)


def test_parse_error_writes_no_set(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    files = dict(FILES, **{"bad.yaml": "{{ if }}\n"})
    chart = _chart(tmp_path, files)
    for _ in range(2):
        with pytest.raises(RenderError) as e:
            _render(chart, {"n": "x"}, TreeCache(str(cache_dir)))
        assert "parse error at (demo/templates/bad.yaml:1): missing value for if" in str(e.value)
    assert _sets(cache_dir) == []


def test_an_edit_of_the_same_length_misses_the_set_and_rewrites_it(tmp_path: Path) -> None:
    """The set's key spreads by names and lengths; its texts decide: an edit that
    keeps a template's length finds the old set, which is not of these texts."""
    cache_dir = tmp_path / "cache"
    chart = _chart(tmp_path)
    _render(chart, {"n": "x"}, TreeCache(str(cache_dir)))
    files = dict(FILES)
    files["b.yaml"] = files["b.yaml"].replace("b:", "c:")  # same length
    chart = _chart(tmp_path, files)
    c = TreeCache(str(cache_dir))
    out = _render(chart, {"n": "x"}, c)
    assert out == _render(chart, {"n": "x"}, None) and "c: " in out["demo/templates/b.yaml"]
    assert c.misses == 1 and c.hits == 2 and c.last_set is not None  # the set written anew
    assert len(_sets(cache_dir)) == 1
    again = TreeCache(str(cache_dir))
    assert _render(chart, {"n": "x"}, again) == out
    assert again.misses == 0 and again.written == 0 and again.hits == 3
