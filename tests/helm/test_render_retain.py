"""A render made with the cyclic GC off (a `polystack helm` process, which ends
with os._exit: cli/process.py) keeps its template set instead of freeing it (the
last one only); with the GC on (a library call, a test) nothing is kept."""

from __future__ import annotations

import gc
from pathlib import Path

from polystack.helm.chart import chart as chartmod
from polystack.helm.chart import values as valuesmod
from polystack.helm.funcs.helm import Capabilities
from polystack.helm.render import engine


def _render(path: str) -> dict[str, str]:
    ch = chartmod.load(path)
    user: dict[str, object] = {}
    valuesmod.process_dependencies(ch, user)
    opts = valuesmod.ReleaseOptions(name="r", namespace="default")
    top = valuesmod.to_render_values(ch, user, opts, Capabilities())
    return engine.Engine().render(ch, top)


def test_render_keeps_its_set_only_with_the_gc_off(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (tmp_path / "templates" / "a.yaml").write_text("a: {{ .Chart.Name }}\n")
    engine._RETAINED.clear()
    assert gc.isenabled()
    assert _render(str(tmp_path)) == {"c/templates/a.yaml": "a: c\n"}
    assert engine._RETAINED == []
    gc.disable()
    try:
        assert _render(str(tmp_path)) == {"c/templates/a.yaml": "a: c\n"}
        (first,) = engine._RETAINED
        assert first.tree("c/templates/a.yaml") is not None
        assert _render(str(tmp_path)) == {"c/templates/a.yaml": "a: c\n"}
        (second,) = engine._RETAINED  # the last render's only
        assert second is not first
    finally:
        gc.enable()
        engine._RETAINED.clear()
