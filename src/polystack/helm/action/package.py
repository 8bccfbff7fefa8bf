"""`helm package` (action.Package) and `helm show`; the archive itself is written by
chart/archive.py (pkg/chart/v2/util/save.go)."""

from __future__ import annotations

import os

from polystack.helm.chart.archive import PackageError, save
from polystack.helm.chart.chart import ChartError, is_valid_semver, load
from polystack.helm.encoding import yamlgo


def package(path: str, destination: str = ".", version: str = "", app_version: str = "") -> str:
    """action.Package.Run."""
    from polystack.helm.chart.values import check_dependencies

    if not os.path.exists(path):
        raise PackageError(f"stat {path}: no such file or directory")
    if not os.path.isdir(path):
        raise PackageError(f"{os.path.abspath(path)} is not a directory")
    try:
        ch = load(path)
    except ChartError as e:
        raise PackageError(str(e)) from None
    if version:
        ch.metadata.version = version
    if not is_valid_semver(ch.metadata.version):
        raise PackageError("invalid Semantic Version")
    if app_version:
        ch.metadata.app_version = app_version
    if ch.metadata.dependencies:
        try:
            check_dependencies(ch)
        except ChartError as e:
            raise PackageError(str(e)) from None
    dest = os.getcwd() if destination == "." else destination
    try:
        return save(ch, dest)
    except (PackageError, ChartError, OSError) as e:
        raise PackageError(f"failed to save: {e}") from None


# ---------------------------------------------------------------- show

_README_NAMES = ("readme.md", "readme.txt", "readme")


def show(what: str, chart_ref: str, jsonpath: str = "") -> str:
    """action.Show.Run for chart|values|readme|crds|all. With a JSONPath template
    (`show values --jsonpath`) the values are printed through it, as Helm's
    JSONPathPrinter does; an evaluation error prints nothing (Helm ignores it)."""
    path = chart_ref
    if not os.path.exists(path):
        from polystack.helm.remote.downloader import locate_repo_chart

        path = locate_repo_chart(chart_ref)
    c = load(path)
    out: list[str] = []
    if what in ("chart", "all"):
        out.append(yamlgo.marshal_yaml(c.metadata.json()) + "\n")
    if what in ("values", "all"):
        has_values = any(f.name == "values.yaml" for f in c.raw)
        if what == "all" and has_values:
            out.append("---\n")
        if jsonpath and has_values:
            from polystack.helm.encoding import jsonpath as jp

            try:
                printer = jp.JSONPath.parse(jsonpath)
            except jp.JSONPathError as e:
                raise PackageError(f"error parsing jsonpath {jsonpath}: {e}") from None
            try:
                out.append(printer.execute(c.values))
            except jp.JSONPathError:
                pass  # Show.Run ignores printer.Execute's error
        else:
            for f in c.raw:
                if f.name == "values.yaml":
                    out.append(f.data.decode("utf-8", "replace") + "\n")
    if what in ("readme", "all"):
        readme = next(
            (f for n in _README_NAMES for f in c.files if f.name.lower() == n),
            None,
        )
        if readme is not None:
            if what == "all":
                out.append("---\n")
            out.append(readme.data.decode("utf-8", "replace") + "\n")
    if what in ("crds", "all"):
        for _, _, data in c.crd_objects():
            if not data.startswith(b"---"):
                out.append("---\n")
            out.append(data.decode("utf-8", "replace") + "\n")
    return "".join(out)
