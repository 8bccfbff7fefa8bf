"""`helm package` (pkg/chart/v2/util/save.go) and `helm show`."""

from __future__ import annotations

import io
import json
import os
import struct
import tarfile
import time
import zlib
from typing import Any

from polystack.helm.chart.chart import API_V1, API_V2, Chart, ChartError, is_valid_semver, load
from polystack.helm.encoding import yamlgo

# Helm marks its archives with this gzip header "extra" field and comment.
GZIP_EXTRA = b"+aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo="
GZIP_COMMENT = b"Helm"


class PackageError(Exception):
    pass


def _gzip(data: bytes) -> bytes:
    """Go's gzip.Writer output with Helm's Extra and Comment header fields."""
    flags = 0x04 | 0x10  # FEXTRA | FCOMMENT
    head = b"\x1f\x8b\x08" + bytes([flags]) + struct.pack("<I", 0) + b"\x00\xff"
    head += struct.pack("<H", len(GZIP_EXTRA)) + GZIP_EXTRA + GZIP_COMMENT + b"\x00"
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = comp.compress(data) + comp.flush()
    tail = struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return head + body + tail


def _add(tf: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = 0o644
    ti.mtime = int(mtime)
    ti.type = tarfile.REGTYPE
    tf.addfile(ti, io.BytesIO(data))


def lock_json(c: Chart) -> dict[str, Any]:
    assert c.lock is not None
    return {
        "generated": c.lock.generated,
        "digest": c.lock.digest,
        "dependencies": [d.json() for d in c.lock.dependencies],
    }


def _write_tar_contents(tf: tarfile.TarFile, c: Chart, prefix: str, mtime: float) -> None:
    base = f"{prefix}/{c.name()}" if prefix else c.name()
    md = c.metadata.json()
    if c.metadata.api_version == API_V1:
        md.pop("dependencies", None)
    _add(tf, f"{base}/Chart.yaml", yamlgo.marshal_yaml(md).encode(), mtime)
    if c.metadata.api_version == API_V2 and c.lock is not None:
        _add(tf, f"{base}/Chart.lock", yamlgo.marshal_yaml(lock_json(c)).encode(), mtime)
    for f in c.raw:
        if f.name == "values.yaml":
            _add(tf, f"{base}/values.yaml", f.data, mtime)
    if c.schema is not None:
        try:
            json.loads(c.schema)
        except ValueError:
            raise PackageError("Invalid JSON in values.schema.json") from None
        _add(tf, f"{base}/values.schema.json", c.schema, mtime)
    for f in c.templates:
        _add(tf, f"{base}/{f.name}", f.data, mtime)
    for f in c.files:
        _add(tf, f"{base}/{f.name}", f.data, mtime)
    for d in c.dependencies():
        _write_tar_contents(tf, d, f"{base}/charts", mtime)


def save(c: Chart, out_dir: str) -> str:
    """chartutil.Save: write NAME-VERSION.tgz into out_dir, returning its path."""
    c.metadata.validate()
    if not os.path.isdir(out_dir):
        raise PackageError(f"stat {out_dir}: no such file or directory")
    filename = os.path.join(out_dir, f"{c.name()}-{c.metadata.version}.tgz")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        _write_tar_contents(tf, c, "", time.time())
    with open(filename, "wb") as fh:
        fh.write(_gzip(buf.getvalue()))
    return filename


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
