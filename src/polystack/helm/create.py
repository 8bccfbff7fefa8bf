"""`helm create`: scaffold a chart from Helm's default starter (package data in
`polystack/helm/starter/`, Helm's own files with `<CHARTNAME>` placeholders)
or from a starter chart directory (`-p`)."""

from __future__ import annotations

import logging
import os
import re
import sys
from importlib import resources

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
    return (resources.files("polystack.helm") / "starter" / data).read_text(encoding="utf-8")


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


def create_from(path: str, starter: str) -> str:
    """chartutil.CreateFrom: copy a starter chart, renaming it."""
    from polystack.helm import yamlgo
    from polystack.helm.chart import ChartError, load

    name = os.path.basename(path.rstrip("/"))
    parent = os.path.dirname(path.rstrip("/")) or "."
    validate_chart_name(name)
    if not os.path.isabs(starter) and not os.path.exists(starter):
        home = os.environ.get("HELM_DATA_HOME") or os.path.join(
            os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "helm"
        )
        starter = os.path.join(home, "starters", starter)
    try:
        src = load(starter)
    except ChartError as e:
        raise CreateError(str(e)) from None
    cdir = os.path.join(parent, name)
    md = src.metadata
    md.name = name
    if md.api_version == "v1":
        md.api_version = "v1"
    files = list(src.templates) + list(src.files)
    schema = [("values.schema.json", src.schema)] if src.schema is not None else []
    os.makedirs(cdir, exist_ok=True)
    with open(os.path.join(cdir, "Chart.yaml"), "w", encoding="utf-8") as fh:
        fh.write(yamlgo.marshal_yaml(md.json()))
    for f in src.raw:
        if f.name == "values.yaml":
            with open(os.path.join(cdir, "values.yaml"), "wb") as fh:
                fh.write(f.data.replace(PLACEHOLDER.encode(), name.encode()))
    for rel, data in [(f.name, f.data) for f in files] + schema:
        if data is None:
            continue
        target = os.path.join(cdir, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as fh:
            fh.write(data.replace(PLACEHOLDER.encode(), name.encode()))
    return cdir
