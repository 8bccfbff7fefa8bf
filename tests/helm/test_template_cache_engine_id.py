"""The on-disk template cache's engine id (template/diskcache.py): polystack's
version, the interpreter's and the size and modification time of each of the
parser's source files, as Python's bytecode cache checks a source: any change of
those files gives another id (the cache misses), an unchanged tree the same."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from polystack.helm.template import diskcache


def _copy_sources(dest: Path) -> None:
    here = os.path.dirname(os.path.abspath(diskcache.__file__))
    dest.mkdir()
    for name in diskcache._ENGINE_SOURCES:
        shutil.copy2(os.path.join(here, name), dest / name)


def test_engine_id_changes_with_any_source_file(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _copy_sources(src)
    first = diskcache._engine_id(str(src))
    assert diskcache._engine_id(str(src)) == first
    seen = {first}
    for name in diskcache._ENGINE_SOURCES:
        path = src / name
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # touched
        seen.add(diskcache._engine_id(str(src)))
    assert len(seen) == 1 + len(diskcache._ENGINE_SOURCES)
    path = src / "parse.py"
    st = path.stat()
    path.write_bytes(path.read_bytes() + b"\n# edited\n")  # edited, its time put back
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert diskcache._engine_id(str(src)) not in seen
    path.unlink()
    assert diskcache._engine_id(str(src)) not in seen


def test_engine_id_covers_the_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    _copy_sources(src)
    first = diskcache._engine_id(str(src))
    monkeypatch.setattr(diskcache, "__version__", "0.0.0-other")
    assert diskcache._engine_id(str(src)) != first
