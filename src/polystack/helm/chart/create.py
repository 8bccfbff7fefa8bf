"""`helm create`: scaffold a chart from Helm's default starter (package data in
`polystack/helm/chart/starter/`, Helm's own files with `<CHARTNAME>` placeholders)
or from a starter chart directory (`-p`)."""

from __future__ import annotations

import logging
import os
import re
import sys
from importlib import resources

from polystack.helm.chart import helmpath

log = logging.getLogger(__name__)

PLACEHOLDER = "<CHARTNAME>"
_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
STARTER_FILES = (
    "Chart.yaml",
    "values.yaml",
    ".helmignore",
    "templates/ingress.yaml",
    "templates/httproute.yaml",
    "templates/deployment.yaml",
    "templates/service.yaml",
    "templates/serviceaccount.yaml",
    "templates/hpa.yaml",
    "templates/NOTES.txt",
    "templates/_helpers.tpl",
    "templates/tests/test-connection.yaml",
)


class CreateError(Exception):
    pass


def validate_chart_name(name: str) -> None:
    if not name or len(name) > 250:
        raise CreateError("chart name must be between 1 and 250 characters")
    if len(name) > 253 or not _NAME_RE.match(name):
        raise CreateError(
            "invalid metadata name, must match regex"
            " ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
            " and the length must not be longer than 253"
        )


# Package data keeps `.helmignore` as `helmignore.txt` so that wheels include it.
_DATA_NAME = {".helmignore": "helmignore.txt"}


def starter_text(rel: str) -> str:
    data = _DATA_NAME.get(rel, rel)
    return (resources.files("polystack.helm.chart") / "starter" / data).read_text(encoding="utf-8")


def create(path: str) -> str:
    """chartutil.Create(filepath.Base(path), filepath.Dir(path))."""
    name = os.path.basename(path.rstrip("/")) or path
    parent = os.path.dirname(path.rstrip("/")) or "."
    validate_chart_name(name)
    cdir = os.path.join(parent, name)
    if os.path.exists(cdir) and not os.path.isdir(cdir):
        raise CreateError(f"file {cdir} already exists and is not a directory")
    for rel in STARTER_FILES:
        target = os.path.join(cdir, rel)
        if os.path.exists(target):
            print(f'WARNING: File "{target}" already exists. Overwriting.', file=sys.stderr)  # noqa: T201
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(starter_text(rel).replace(PLACEHOLDER, name))
    os.makedirs(os.path.join(cdir, "charts"), exist_ok=True)
    return cdir


def starters_dir() -> str:
    """helmpath.DataPath("starters")."""
    return helmpath.data_path("starters")


def create_from(path: str, starter: str) -> str:
    """`helm create -p`: chartutil.CreateFrom with the metadata `helm create` writes.

    As in Helm, a starter that is not an absolute path is looked up in
    $HELM_DATA_HOME/starters; the starter's Chart.yaml is replaced by a new one
    (name, description, type, version and appVersion of `helm create`);
    `<CHARTNAME>` is replaced in the templates and values.yaml only; other files,
    values.schema.json and the starter's subcharts (written as archives under
    charts/, as SaveDir does) are copied unchanged."""
    from polystack.helm.chart.archive import PackageError, save
    from polystack.helm.chart.chart import ChartError, Metadata, load
    from polystack.helm.encoding import yamlgo

    name = os.path.basename(path.rstrip("/"))
    parent = os.path.dirname(path.rstrip("/")) or "."
    validate_chart_name(name)
    src_path = starter if os.path.isabs(starter) else os.path.join(starters_dir(), starter)
    try:
        src = load(src_path)
    except ChartError as e:
        raise CreateError(f"could not load {src_path}: {e}") from None
    md = Metadata(
        name=name,
        description="A Helm chart for Kubernetes",
        type="application",
        version="0.1.0",
        app_version="0.1.0",
        api_version="v2",
    )
    cdir = os.path.join(parent, name)
    if os.path.exists(cdir) and not os.path.isdir(cdir):
        raise CreateError(f"file {cdir} already exists and is not a directory")
    os.makedirs(cdir, exist_ok=True)
    with open(os.path.join(cdir, "Chart.yaml"), "w", encoding="utf-8") as fh:
        fh.write(yamlgo.marshal_yaml(md.json()))
    placeholder = PLACEHOLDER.encode()
    out: list[tuple[str, bytes]] = [
        ("values.yaml", f.data.replace(placeholder, name.encode()))
        for f in src.raw
        if f.name == "values.yaml"
    ]
    if src.schema is not None:
        out.append(("values.schema.json", src.schema))
    out += [(f.name, f.data.replace(placeholder, name.encode())) for f in src.templates]
    out += [(f.name, f.data) for f in src.files]
    for rel, data in out:
        target = os.path.join(cdir, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as fh:
            fh.write(data)
    for dep in src.dependencies():
        charts = os.path.join(cdir, "charts")
        os.makedirs(charts, exist_ok=True)
        try:
            save(dep, charts)
        except (PackageError, ChartError) as e:
            raise CreateError(f"saving {dep.chart_full_path()}: {e}") from None
    return cdir
