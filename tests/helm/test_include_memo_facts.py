"""The include memo's facts of the defines (render/includememo.py), kept in the
on-disk template cache beside the chart's set of trees: a cached render reads them
instead of analysing each define again, and they are never taken for other trees
(another chart, another text, lint mode) nor from a damaged blob."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from polystack.helm.chart import chart as chartmod
from polystack.helm.chart import values as valuesmod
from polystack.helm.funcs.helm import Capabilities
from polystack.helm.render import includememo
from polystack.helm.render.engine import Engine
from polystack.helm.template.diskcache import TreeCache

CHART = "apiVersion: v2\nname: c\nversion: 0.1.0\n"
PURE = """{{- define "c.name" -}}{{ .Chart.Name | trunc 63 }}{{- end }}
{{- define "c.labels" -}}app: {{ include "c.name" . }}{{- end }}
{{- define "c.r" -}}{{ upper "r" }}{{- end }}
"""
# the same names, and "c.r" random: never memoized
IMPURE = PURE.replace('{{ upper "r" }}', "{{ randAlphaNum 24 }}")
MAIN = '{{ include "c.labels" . }}\n{{ include "c.r" . }}\n{{ include "c.r" . }}\n'


def _chart(root: Path, helpers: str) -> str:
    files = {"Chart.yaml": CHART, "templates/_helpers.tpl": helpers, "templates/a.yaml": MAIN}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return str(root)


def _render(path: str, cache: TreeCache | None) -> dict[str, str]:
    ch = chartmod.load(path)
    user: dict[str, Any] = {}
    valuesmod.process_dependencies(ch, user)
    opts = valuesmod.ReleaseOptions(name="r", namespace="default")
    top = valuesmod.to_render_values(ch, user, opts, Capabilities())
    return Engine(cache=cache).render(ch, top)


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of defines analysed (their trees walked), in a list."""
    count = [0]
    walk = includememo._tuple_facts
    walk_nodes = includememo._facts

    def counting(*a: Any) -> Any:
        count[0] += 1
        return walk(*a)

    def counting_nodes(*a: Any) -> Any:
        count[0] += 1
        return walk_nodes(*a)

    monkeypatch.setattr(includememo, "_tuple_facts", counting)
    monkeypatch.setattr(includememo, "_facts", counting_nodes)
    return count


def _blobs(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.rglob("memo-*.bin"))


def test_cached_render_reads_the_facts(tmp_path: Path, analysed: list[int]) -> None:
    path = _chart(tmp_path / "c", PURE)
    want = _render(path, None)
    analysed[0] = 0
    assert _render(path, TreeCache(str(tmp_path / "cache"))) == want  # cold: parsed, stored
    assert analysed[0] == 3 and len(_blobs(tmp_path / "cache")) == 1
    analysed[0] = 0
    assert _render(path, TreeCache(str(tmp_path / "cache"))) == want
    assert analysed[0] == 0  # every define's facts read from the cache


def test_facts_of_other_trees_are_not_taken(tmp_path: Path) -> None:
    cache = TreeCache(str(tmp_path / "cache"))
    pure = _chart(tmp_path / "pure", PURE)
    impure = _chart(tmp_path / "impure", IMPURE)
    for _ in range(2):
        assert _render(pure, cache)["c/templates/a.yaml"] == "app: c\nR\nR\n"
    for _ in range(2):  # the same cache object, then a fresh one
        out = _render(impure, cache)["c/templates/a.yaml"].split("\n")
        assert out[0] == "app: c" and out[1] != out[2]  # each include of c.r ran
    out = _render(impure, TreeCache(str(tmp_path / "cache")))["c/templates/a.yaml"].split("\n")
    assert out[1] != out[2]
    assert len(_blobs(tmp_path / "cache")) == 2


def test_damaged_facts_are_analysed_again(tmp_path: Path, analysed: list[int]) -> None:
    path = _chart(tmp_path / "c", PURE)
    want = _render(path, None)
    _render(path, TreeCache(str(tmp_path / "cache")))
    (blob,) = _blobs(tmp_path / "cache")
    data = blob.read_bytes()
    blob.write_bytes(data[:-3] + b"\xff\xff\xff")  # its check bytes no longer match
    analysed[0] = 0
    assert _render(path, TreeCache(str(tmp_path / "cache"))) == want
    assert analysed[0] == 3
    analysed[0] = 0  # (and stored again)
    assert _render(path, TreeCache(str(tmp_path / "cache"))) == want
    assert analysed[0] == 0


def test_wrong_shaped_facts_are_ignored() -> None:
    import marshal

    memo = includememo.IncludeMemo(None)
    for body in (b"\x00garbage", marshal.dumps([1, 2]), marshal.dumps({"d": (True, False)})):
        memo.load_facts(body)
        assert memo.known == {}
    memo.load_facts(marshal.dumps({"d": (False, True, ("e",))}))
    assert memo.known == {"d": (False, True, ("e",))}


def test_facts_key_depends_on_the_set_and_lint_mode() -> None:
    keys = {
        includememo.facts_key("a", False),
        includememo.facts_key("a", True),
        includememo.facts_key("b", False),
    }
    assert len(keys) == 3
    assert all(os.sep not in k for k in keys)
