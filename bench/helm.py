"""Render a large chart with polystack and with real Helm (helm-python-sdk) in
the same process, best of N, and print both times and the ratio.

The chart is generated from Helm's `helm create` starter: a parent chart with
COPIES renamed copies of the starter templates (each copy with its own
helpers, heavy on include/tpl/toYaml), plus SUBCHARTS starter subcharts.

    .venv/bin/python bench/helm.py [--copies 10] [--subcharts 4] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from typing import Any

EXTRA = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "%(name)s.fullname" . }}-extra
  labels:
    {{- include "%(name)s.labels" . | nindent 4 }}
data:
  tpl: {{ tpl .Values.extra.template . | quote }}
  values.yaml: |
    {{- toYaml .Values.extra.data | nindent 4 }}
  json: {{ toJson .Values.extra.data | quote }}
  {{- range $k, $v := .Values.extra.data }}
  {{ $k }}: {{ $v | toString | upper | quote }}
  {{- end }}
"""

EXTRA_VALUES = """
extra:
  template: "{{ .Release.Name }}-{{ .Chart.Name }}-{{ .Values.image.repository }}"
  data:
    alpha: one
    beta: two
    gamma: [1, 2, 3]
    delta: {x: 1, y: "z"}
"""


def build_chart(root: str, copies: int, subcharts: int) -> str:
    """Write the benchmark chart under root and return its path."""
    from polystack.helm.chart.create import create

    base = os.path.join(root, "big")
    create(base)
    tdir = os.path.join(base, "templates")
    starter = {
        f: open(os.path.join(tdir, f), encoding="utf-8").read()
        for f in os.listdir(tdir)
        if f.endswith((".yaml", ".tpl"))
    }
    for i in range(copies):
        name = f"big{i}"
        for fname, text in starter.items():
            out = text.replace('"big.', f'"{name}.')
            out = out.replace('define "big.', f'define "{name}.')
            target = os.path.join(
                tdir, f"{name}-{fname}" if not fname.startswith("_") else f"_{name}{fname}"
            )
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(out)
        with open(os.path.join(tdir, f"{name}-extra.yaml"), "w", encoding="utf-8") as fh:
            fh.write(EXTRA % {"name": name})
    with open(os.path.join(base, "values.yaml"), "a", encoding="utf-8") as fh:
        fh.write(EXTRA_VALUES)
    deps = []
    for j in range(subcharts):
        sub = os.path.join(base, "charts", f"sub{j}")
        create(sub)
        with open(os.path.join(sub, "values.yaml"), "a", encoding="utf-8") as fh:
            fh.write(EXTRA_VALUES)
        with open(os.path.join(sub, "templates", "extra.yaml"), "w", encoding="utf-8") as fh:
            fh.write(EXTRA % {"name": f"sub{j}"})
        deps.append(f"  - name: sub{j}\n    version: 0.1.0\n")
    with open(os.path.join(base, "Chart.yaml"), "a", encoding="utf-8") as fh:
        fh.write("dependencies:\n" + "".join(deps))
    return base


def count_templates(path: str) -> int:
    n = 0
    for _dirpath, _, files in os.walk(path):
        n += sum(
            1 for f in files if f.endswith((".yaml", ".tpl", ".txt")) and "templates" in _dirpath
        )
    return n


def best(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--subcharts", type=int, default=4)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)

    from polystack.helm import render_chart

    root = tempfile.mkdtemp(prefix="helm-bench-")
    try:
        path = build_chart(root, args.copies, args.subcharts)
        print(f"chart: {count_templates(path)} templates, {args.subcharts} subcharts")
        from polystack.helm.render import engine

        # cold: every template parsed and compiled, as in one `helm template` run
        engine.PARSE_CACHE_ENABLED = False
        ours_cold = best(lambda: render_chart(path, {}, name="bench"), args.runs)
        # warm: parsed templates reused (the opt-in parse cache)
        engine.PARSE_CACHE_ENABLED = True
        ours_out = render_chart(path, {}, name="bench")
        ours = best(lambda: render_chart(path, {}, name="bench"), args.runs)
        engine.PARSE_CACHE_ENABLED = False
        engine.clear_parse_cache()
        print(
            f"polystack: {ours * 1000:.1f} ms warm (parsed templates reused),"
            f" {ours_cold * 1000:.1f} ms cold (everything parsed), best of {args.runs},"
            " load + coalesce + render"
        )
        try:
            cwd = os.getcwd()
            os.chdir(root)
            import helm_python
        except Exception as e:  # noqa: BLE001 - the reference renderer is optional
            print(f"helm (helm-python-sdk) unavailable: {e}")
            return 0
        finally:
            os.chdir(cwd)
        theirs_out = helm_python.Chart.load(path).render(values={}, name="bench")
        same = ours_out == theirs_out
        theirs = best(
            lambda: helm_python.Chart.load(path).render(values={}, name="bench"), args.runs
        )
        print(f"helm:      {theirs * 1000:.1f} ms (best of {args.runs}, load + render)")
        print(
            f"ratio:     {ours / theirs:.2f}x warm, {ours_cold / theirs:.2f}x cold"
            f"   output identical: {same}"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
