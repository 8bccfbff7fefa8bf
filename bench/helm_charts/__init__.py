"""Benchmark charts for bench/helm.py, written by our own code.

Public charts cannot be fetched on this machine (no chart repositories, no
GitHub), so the large charts are generated with the shape and size of the ones
users render most:

* ``stack``: an umbrella chart shaped like kube-prometheus-stack -- ~150
  templates of its own (one directory per component, ~35 PrometheusRule files
  of several hundred alerting rules, ~28 dashboard ConfigMaps of embedded JSON,
  exporters' Services/ServiceMonitors, admission-webhook jobs), a
  ``_helpers.tpl`` with dozens of defines, a values.yaml of several thousand
  lines, and four subcharts (a CRD chart with large CRDs in ``crds/``, a
  dashboard server with a big ``_pod.tpl``, a metrics exporter with many
  ``has``-guarded RBAC rules, and a node exporter used twice through aliases).
* ``starter``: ~130 templates built from ``helm create``'s starter (copies of
  its templates with their own helpers, plus starter subcharts), heavy on
  include/tpl/toYaml.

Both are deterministic: the same arguments give the same files.
"""

from .stack import stack_chart
from .starter import chart_size, count_templates, starter_chart

__all__ = ["chart_size", "count_templates", "stack_chart", "starter_chart"]
