"""The chart built from `helm create`'s starter, and chart statistics."""

from __future__ import annotations

import os

from .common import _write

# ---------------------------------------------------------------- starter chart

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


def starter_chart(root: str, copies: int = 10, subcharts: int = 4) -> str:
    """Write the starter-based chart under root and return its path."""
    from polystack.helm.chart.create import create

    base = os.path.join(root, "big")
    create(base)
    tdir = os.path.join(base, "templates")
    starter = {}
    for f in os.listdir(tdir):
        if f.endswith((".yaml", ".tpl")):
            with open(os.path.join(tdir, f), encoding="utf-8") as fh:
                starter[f] = fh.read()
    for i in range(copies):
        name = f"big{i}"
        for fname, text in starter.items():
            out = text.replace('"big.', f'"{name}.')
            out = out.replace('define "big.', f'define "{name}.')
            target = os.path.join(
                tdir, f"{name}-{fname}" if not fname.startswith("_") else f"_{name}{fname}"
            )
            _write(target, out)
        _write(os.path.join(tdir, f"{name}-extra.yaml"), EXTRA % {"name": name})
    with open(os.path.join(base, "values.yaml"), "a", encoding="utf-8") as fh:
        fh.write(EXTRA_VALUES)
    deps = []
    for j in range(subcharts):
        sub = os.path.join(base, "charts", f"sub{j}")
        create(sub)
        with open(os.path.join(sub, "values.yaml"), "a", encoding="utf-8") as fh:
            fh.write(EXTRA_VALUES)
        _write(os.path.join(sub, "templates", "extra.yaml"), EXTRA % {"name": f"sub{j}"})
        deps.append(f"  - name: sub{j}\n    version: 0.1.0\n")
    with open(os.path.join(base, "Chart.yaml"), "a", encoding="utf-8") as fh:
        fh.write("dependencies:\n" + "".join(deps))
    return base


def count_templates(path: str) -> int:
    n = 0
    for dirpath, _, files in os.walk(path):
        if f"{os.sep}templates" in dirpath:
            n += sum(1 for f in files if f.endswith((".yaml", ".tpl", ".txt")))
    return n


def chart_size(path: str) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    return total
