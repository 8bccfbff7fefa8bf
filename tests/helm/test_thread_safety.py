"""Library use is thread-safe: importing polystack.helm changes no process-wide
setting (recursion limit, garbage collector), a render borrows a deep stack and
a paused GC only while it runs and gives them back, and renders on many threads
at once give the results they give alone."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
from typing import Any

from polystack.helm import render_chart

CHART = "apiVersion: v2\nname: c\nversion: 0.1.0\n"


def test_import_changes_no_process_setting() -> None:
    code = (
        "import gc, sys\n"
        "before = (sys.getrecursionlimit(), gc.isenabled(), gc.get_threshold())\n"
        "import polystack.helm.cli.commands, polystack.helm.render.engine, polystack.helm.template\n"
        "from polystack.helm.render.engine import base_funcs\n"
        "base_funcs()\n"
        "after = (sys.getrecursionlimit(), gc.isenabled(), gc.get_threshold())\n"
        "assert before == after, (before, after)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)


def _chart(root: Any, files: dict[str, str]) -> str:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Chart.yaml").write_text(CHART)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(root)


def _render(path: str, values: dict[str, Any]) -> Any:
    try:
        return render_chart(path, values, name="r")
    except Exception as e:  # noqa: BLE001 - the error text is the result
        return str(e)


def test_render_restores_recursion_limit_and_gc(tmp_path: Any) -> None:
    path = _chart(
        tmp_path,
        {"templates/a.yaml": '{{ define "d" }}{{ include "d" . }}{{ end }}a: {{ include "d" . }}'},
    )
    limit, enabled = sys.getrecursionlimit(), gc.isenabled()
    assert "nested reference name: d" in _render(path, {})
    assert (sys.getrecursionlimit(), gc.isenabled()) == (limit, enabled)
    gc.disable()
    try:
        _render(path, {})
        assert not gc.isenabled()  # a user's choice is kept
    finally:
        gc.enable()


def test_concurrent_renders_match_sequential(tmp_path: Any) -> None:
    charts = {
        "deep": {
            "templates/a.yaml": '{{ define "d" }}{{ if gt . 0 }}{{ include "d" (sub . 1) }}'
            '{{ else }}bottom{{ end }}{{ end }}a: {{ include "d" 900 }}\n'
        },
        "recursion": {
            "templates/a.yaml": '{{ define "l" }}{{ include "l" . }}{{ end }}a: {{ include "l" . }}'
        },
        "tpl": {"templates/a.yaml": "a: {{ tpl .Values.t . }}\n"},
        "loop": {"templates/a.yaml": "a: {{ range until 2000 }}{{ . }}{{ end }}\n"},
    }
    values = {"t": "{{ tpl .Values.u . }}-{{ .Release.Name }}", "u": ""}
    paths = {k: _chart(tmp_path / k, f) for k, f in charts.items()}
    want = {k: _render(p, values) for k, p in paths.items()}
    limit = sys.getrecursionlimit()
    results: list[tuple[str, Any]] = []
    lock = threading.Lock()

    def work(k: str) -> None:
        for _ in range(3):
            r = _render(paths[k], values)
            with lock:
                results.append((k, r))

    threads = [threading.Thread(target=work, args=(k,)) for k in list(paths) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == len(threads) * 3
    for k, r in results:
        assert r == want[k], k
    assert sys.getrecursionlimit() == limit
    assert gc.isenabled()
