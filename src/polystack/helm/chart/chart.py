"""Helm's chart loader (pkg/chart/v2/loader): a chart from a directory
(honouring `.helmignore`) or a `.tgz` archive, with its metadata, templates,
other files, default values, schema and subcharts (from `charts/`, as
directories or archives). The model is chart/model.py (its names are exported
here too).

Chart files of the common shape are read by encoding/yamlsimple.py, the rest by
libyaml (encoding/yamlgo.py). Given a cache (template/diskcache.TreeCache), what
Chart.yaml, values.yaml and the lock and requirements files parse to is kept on
disk (chart/parsed.py): a second load of the same chart parses none of them.
"""

from __future__ import annotations

import io
import os
import stat

from polystack.helm.chart.ignore import HELMIGNORE, Rules
from polystack.helm.chart.model import (
    API_V1,
    API_V2,
    Chart,
    ChartError,
    Dependency,
    File,
    Lock,
    Maintainer,
    Metadata,
    _s,
    is_valid_semver,
    parse_dependencies,
)
from polystack.helm.chart.parsed import parse_cached
from polystack.helm.encoding.errors import EncodingError

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from polystack.helm.template.diskcache import TreeCache

__all__ = [
    "API_V1",
    "API_V2",
    "Chart",
    "ChartError",
    "Dependency",
    "File",
    "Lock",
    "Maintainer",
    "Metadata",
    "archive_files",
    "is_valid_semver",
    "load",
    "load_archive",
    "load_dir",
    "load_files",
    "load_values",
    "merge_maps",
    "parse_dependencies",
]

# ---------------------------------------------------------------- loading


def load(path: str, cache: TreeCache | None = None) -> Chart:
    """loader.Load: a directory or an archive (``cache``: where parsed chart files
    are kept, chart/parsed.py)."""
    if not os.path.exists(path):
        raise ChartError(f"stat {path}: no such file or directory")
    from polystack.helm.golang.runtime import gc_paused

    with gc_paused():
        if os.path.isdir(path):
            return load_dir(path, cache)
        with open(path, "rb") as fh:
            return load_archive(fh.read(), cache)


def load_dir(root: str, cache: TreeCache | None = None) -> Chart:
    root = os.path.abspath(root)
    rules = Rules()
    try:
        with open(os.path.join(root, HELMIGNORE), encoding="utf-8", errors="replace") as fh:
            rules = Rules.parse(fh.read())
    except FileNotFoundError:
        pass
    rules.add_defaults()
    files: list[File] = []
    _walk(root, "", rules, files)
    files.sort(key=lambda f: f.name)
    return load_files(files, cache)


def _walk(path: str, rel: str, rules: Rules, files: list[File]) -> None:
    """The files under the directory ``path`` (``rel``: its name in the chart, with
    a trailing "/"), as os.walk(followlinks=True) visits them: a directory's files
    in name order, then its directories (symbolic links followed), each read once
    with scandir; a directory that cannot be listed is skipped."""
    dirs: list[str] = []
    names: list[str] = []
    regular: set[str] = set()  # the files the listing says are regular (not links)
    try:
        it = os.scandir(path)
    except OSError:
        return
    with it:
        while True:
            try:
                entry = next(it)
            except StopIteration:
                break
            except OSError:
                return
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                dirs.append(entry.name)
                continue
            names.append(entry.name)
            try:
                if entry.is_file(follow_symlinks=False):  # (the listing's type: no stat)
                    regular.add(entry.name)
            except OSError:
                pass
    ignore = rules.ignore
    for fname in sorted(names):
        n = rel + fname
        if not ignore(n, False):
            files.append(File(n, _read_regular_file(path + "/" + fname, fname in regular)))
    for d in sorted(dirs):
        n = rel + d
        if not ignore(n, True):
            _walk(path + "/" + d, n + "/", rules, files)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


# a file the directory listing says is regular is read in reads of this size,
# without an fstat first (its stat_result, ~5,000 instructions, for each of a
# chart's files); one that fills a read is checked with fstat as any other
_READ_SIZE = 1 << 16


def _read_regular_file(path: str, listed_regular: bool = False) -> bytes:
    """The bytes of a chart's file; ChartError for anything but a regular file (a
    FIFO, a socket, a device, a dangling link). os.open/fstat/read: a chart's
    hundreds of small files cost a fresh process less than open()'s file objects.
    O_NONBLOCK: opening a FIFO never waits for a writer. ``listed_regular``: the
    directory listing (scandir's entry type, as Go's walk's Lstat) says it is a
    regular file: a file shorter than _READ_SIZE is then read without an fstat."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        if not os.path.isfile(path):
            raise ChartError(
                f"cannot load irregular file {path} as it has file mode type bits set"
            ) from None
        raise
    try:
        if listed_regular:
            first = os.read(fd, _READ_SIZE)
            if len(first) < _READ_SIZE:
                return first  # all of it (a regular file read short is at its end)
            os.lseek(fd, 0, os.SEEK_SET)  # a large file: as any other, from the start
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ChartError(f"cannot load irregular file {path} as it has file mode type bits set")
        size = st.st_size + 1
        data = os.read(fd, size)
        if len(data) < size:
            return data  # all of it (a regular file read short is at its end)
        chunks = [data]  # it grew since fstat
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def load_archive(data: bytes, cache: TreeCache | None = None) -> Chart:
    return load_files(archive_files(data), cache)


def archive_files(data: bytes) -> list[File]:
    import tarfile  # archives only: not needed for a chart directory

    try:
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")
    except (tarfile.TarError, OSError, EOFError) as e:
        raise ChartError(f"gzip: invalid header ({e})") from None
    files: list[File] = []
    with tf:
        for m in tf:
            if m.isdir() or m.type in (tarfile.XGLTYPE, tarfile.XHDTYPE):
                continue
            name = m.name.replace("\\", "/")
            parts = name.split("/")
            if parts[0] == "Chart.yaml":
                raise ChartError("chart yaml not in base directory")
            n = "/".join(parts[1:])
            if not n:
                continue
            n = os.path.normpath(n).replace(os.sep, "/")
            if n.startswith("..") or n.startswith("/"):
                raise ChartError("chart illegally references parent directory")
            fh = tf.extractfile(m)
            if fh is None:
                continue
            files.append(File(n, fh.read()))
    if not files:
        raise ChartError("no files in chart archive")
    return files


def load_values(data: bytes | str) -> dict[str, Any]:
    """loader.LoadValues: every YAML document merged in order."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    from polystack.helm.encoding import yamlsimple  # (not needed for files in the cache)

    simple = yamlsimple.load(text)  # one document of the common shape: no PyYAML
    if simple is not None:
        return simple
    from polystack.helm.encoding import yamlgo

    out: dict[str, Any] = {}
    try:
        docs = yamlgo.load_all_raw(text)
    except yamlgo.EncodingError as e:
        msg = str(e)
        if not msg.startswith("error converting YAML to JSON"):
            msg = "error converting YAML to JSON: " + msg
        raise ChartError(f"cannot unmarshal yaml document: {msg}") from None
    bounded = yamlgo.json_depth_bounded(text)
    for doc in docs:
        try:
            if not bounded:
                yamlgo.check_json_depth(doc)
            v = yamlgo.to_json_value(doc)
        except yamlgo.EncodingError as e:
            raise ChartError(f"cannot unmarshal yaml document: {e}") from None
        if v is None:
            continue
        if not isinstance(v, dict):
            raise ChartError(
                "cannot unmarshal yaml document: error unmarshaling JSON: while decoding JSON:"
                f" json: cannot unmarshal {yamlgo.json_kind(v)} into Go value of type"
                " map[string]interface {}"
            )
        out = merge_maps(out, v)
    return out


def merge_maps(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict):
            bv = out.get(k)
            if isinstance(bv, dict):
                out[k] = merge_maps(bv, v)
                continue
        out[k] = v
    return out


def _unmarshal_map(data: bytes) -> dict[str, Any]:
    from polystack.helm.encoding import yamlsimple  # (not needed for files in the cache)

    text = data.decode("utf-8", "replace")
    simple = yamlsimple.load(text)  # the common shape: no PyYAML
    if simple is not None:
        return simple
    from polystack.helm.encoding import yamlgo

    return yamlgo.unmarshal_map(text)


def load_files(files: list[File], cache: TreeCache | None = None) -> Chart:
    c = Chart(metadata=Metadata())
    subcharts: dict[str, list[File]] = {}
    have_chart_yaml = False
    requirements: list[Dependency] | None = None
    for f in files:
        c.raw.append(f)
        n = f.name
        if n == "Chart.yaml":
            have_chart_yaml = True
            try:
                d = parse_cached(cache, "map", f.data, _unmarshal_map)
            except EncodingError as e:
                raise ChartError(f"cannot load Chart.yaml: {e}") from None
            c.metadata = Metadata.from_dict(d)
            if not c.metadata.api_version:
                c.metadata.api_version = API_V1
        elif n == "Chart.lock":
            try:
                d = parse_cached(cache, "map", f.data, _unmarshal_map)
            except EncodingError as e:
                raise ChartError(f"cannot load Chart.lock: {e}") from None
            c.lock = Lock(
                _s(d.get("generated")),
                _s(d.get("digest")),
                parse_dependencies(d.get("dependencies")),
            )
        elif n == "values.yaml":
            try:
                c.values = parse_cached(cache, "values", f.data, load_values)
            except ChartError as e:
                raise ChartError(f"cannot load values.yaml: {e}") from None
        elif n == "values.schema.json":
            c.schema = f.data
        elif n == "requirements.yaml":
            try:
                d = parse_cached(cache, "map", f.data, _unmarshal_map)
            except EncodingError as e:
                raise ChartError(f"cannot load requirements.yaml: {e}") from None
            requirements = parse_dependencies(d.get("dependencies"))
            c.files.append(f)
        elif n == "requirements.lock":
            try:
                d = parse_cached(cache, "map", f.data, _unmarshal_map)
            except EncodingError as e:
                raise ChartError(f"cannot load requirements.lock: {e}") from None
            if c.lock is None:
                c.lock = Lock(
                    _s(d.get("generated")),
                    _s(d.get("digest")),
                    parse_dependencies(d.get("dependencies")),
                )
            c.files.append(f)
        elif n.startswith("templates/"):
            c.templates.append(f)
        elif n.startswith("charts/"):
            if os.path.splitext(n)[1] == ".prov":
                c.files.append(f)
                continue
            fname = n[len("charts/") :]
            cname = fname.split("/", 1)[0]
            subcharts.setdefault(cname, []).append(File(fname, f.data))
        else:
            c.files.append(f)
    if not have_chart_yaml:
        raise ChartError("Chart.yaml file is missing")
    if requirements is not None and c.metadata.api_version == API_V1:
        c.metadata.dependencies = requirements
    c.metadata.validate()
    for cname in sorted(subcharts):
        sfiles = subcharts[cname]
        if len(sfiles) == 1 and sfiles[0].name == cname and cname.endswith(".tgz"):
            try:
                sc = load_archive(sfiles[0].data, cache)
            except ChartError as e:
                raise ChartError(f"error unpacking subchart {cname} in {c.name()}: {e}") from None
        elif len(sfiles) == 1 and sfiles[0].name == cname:
            # a plain file directly in charts/: Helm tries to load it as an archive
            try:
                sc = load_archive(sfiles[0].data, cache)
            except ChartError as e:
                raise ChartError(f"error unpacking subchart {cname} in {c.name()}: {e}") from None
        else:
            inner = [File(sf.name[len(cname) + 1 :], sf.data) for sf in sfiles]
            try:
                sc = load_files(inner, cache)
            except ChartError as e:
                raise ChartError(f"error unpacking subchart {cname} in {c.name()}: {e}") from None
        c.add_dependency(sc)
    return c
