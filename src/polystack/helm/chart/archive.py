"""Chart archives: writing NAME-VERSION.tgz exactly as Helm does
(chartutil.Save: its gzip header fields, USTAR entries) and unpacking one into a
directory (chartutil.ExpandFile)."""

from __future__ import annotations

import io
import json
import os
import struct
import tarfile
import time
import zlib
from typing import Any

from polystack.helm.chart.chart import API_V1, API_V2, Chart, archive_files, load_archive
from polystack.helm.encoding import yamlgo

__all__ = ["PackageError", "save", "expand", "lock_json"]

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


def _archive_time() -> float:
    """The time stamped on the entries: now, as Helm does, or SOURCE_DATE_EPOCH
    when set (reproducible archives, for builds and tests)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    return float(epoch) if epoch.isdigit() else time.time()


def save(c: Chart, out_dir: str) -> str:
    """chartutil.Save: write NAME-VERSION.tgz into out_dir, returning its path."""
    c.metadata.validate()
    if not os.path.isdir(out_dir):
        raise PackageError(f"stat {out_dir}: no such file or directory")
    filename = os.path.join(out_dir, f"{c.name()}-{c.metadata.version}.tgz")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        _write_tar_contents(tf, c, "", _archive_time())
    with open(filename, "wb") as fh:
        fh.write(_gzip(buf.getvalue()))
    return filename


def expand(archive: str, dest: str) -> None:
    """chartutil.ExpandFile: unpack into dest/<chart name>/."""
    with open(archive, "rb") as fh:
        data = fh.read()
    name = load_archive(data).name()
    for f in archive_files(data):
        target = os.path.join(dest, name, f.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as out:
            out.write(f.data)
