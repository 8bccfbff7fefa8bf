"""polystack.helm: Helm's chart tool as a Python library (the `polystack helm`
command line is built on it).

    import polystack.helm as helm

    chart = helm.load_chart("path/to/chart")          # a directory or a .tgz
    values = helm.parse_set("image.tag=1.2,replicas=3")  # --set syntax
    files = helm.render_chart("path/to/chart", values, name="rel", namespace="ns")
    # {"chart/templates/deployment.yaml": "...", ...} as Helm's engine renders them

    out, err = helm.run_template(helm.TemplateOptions(args=["rel", "path/to/chart"]))
    # what `helm template rel path/to/chart` prints, or Helm's error text

Renders are bounded (nesting, work, value sizes: see golang/runtime.py and
template/limits.py) and thread-safe; the names below load on first use, so
importing this package costs nothing.
"""

from __future__ import annotations

import sys

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from polystack.helm.action.template import (
        TemplateOptions,
        locate_chart,
        run_template,
        validate_release_name,
    )
    from polystack.helm.action.values import ValueOptions
    from polystack.helm.chart.chart import Chart, ChartError
    from polystack.helm.chart.chart import load as load_chart
    from polystack.helm.chart.strvals import StrvalsError
    from polystack.helm.chart.strvals import parse as parse_set
    from polystack.helm.chart.strvals import parse_string as parse_set_string
    from polystack.helm.chart.values import ValuesError
    from polystack.helm.funcs.helm import Capabilities
    from polystack.helm.render.engine import Engine, RenderError
    from polystack.helm.render.release import render_chart, render_resources

# public name -> (module, attribute)
_API: dict[str, tuple[str, str]] = {
    "Chart": ("polystack.helm.chart.chart", "Chart"),
    "ChartError": ("polystack.helm.chart.chart", "ChartError"),
    "load_chart": ("polystack.helm.chart.chart", "load"),
    "parse_set": ("polystack.helm.chart.strvals", "parse"),
    "parse_set_string": ("polystack.helm.chart.strvals", "parse_string"),
    "StrvalsError": ("polystack.helm.chart.strvals", "StrvalsError"),
    "ValueOptions": ("polystack.helm.action.values", "ValueOptions"),
    "ValuesError": ("polystack.helm.chart.values", "ValuesError"),
    "Capabilities": ("polystack.helm.funcs.helm", "Capabilities"),
    "Engine": ("polystack.helm.render.engine", "Engine"),
    "RenderError": ("polystack.helm.render.engine", "RenderError"),
    "render_chart": ("polystack.helm.render.release", "render_chart"),
    "render_resources": ("polystack.helm.render.release", "render_resources"),
    "TemplateOptions": ("polystack.helm.action.template", "TemplateOptions"),
    "run_template": ("polystack.helm.action.template", "run_template"),
    "locate_chart": ("polystack.helm.action.template", "locate_chart"),
    "validate_release_name": ("polystack.helm.action.template", "validate_release_name"),
}

__all__ = [
    "Capabilities",
    "Chart",
    "ChartError",
    "Engine",
    "RenderError",
    "StrvalsError",
    "TemplateOptions",
    "ValueOptions",
    "ValuesError",
    "load_chart",
    "locate_chart",
    "parse_set",
    "parse_set_string",
    "render_chart",
    "render_resources",
    "run_template",
    "validate_release_name",
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _API[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    __import__(module)  # (importlib's package is a fresh command's cost)
    value = getattr(sys.modules[module], attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
