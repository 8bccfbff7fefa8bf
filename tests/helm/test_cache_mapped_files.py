"""Large files of the on-disk cache (template/diskcache.py) and the module bundle
(helm/cli/imports.py) are mapped (MAP_POPULATE), not read into a new buffer:
what a reader gets is the same either way, a damaged mapped file is ignored as a
damaged read one is, and a render from a mapped set file is the render from a
read one."""

from __future__ import annotations

import marshal
import mmap
from pathlib import Path

import pytest

from polystack.helm.cli import imports
from polystack.helm.render.engine import Engine
from polystack.helm.template import diskcache
from polystack.helm.template.diskcache import TreeCache


def _big_body() -> bytes:
    return marshal.dumps(tuple(f"entry {i} " * 7 for i in range(4000)))


def test_a_large_cache_file_is_mapped_and_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = TreeCache(str(tmp_path))
    body = _big_body()
    assert len(body) >= diskcache.MAP_MIN
    c.put_blob("k", body)
    path = tmp_path / c.dir.rpartition("/")[2] / "k.bin"
    assert isinstance(diskcache._read_file(str(path)), mmap.mmap)
    mapped = c.get_blob("k")
    assert mapped is not None and bytes(mapped) == body and c._last_check
    check_mapped = c._last_check
    monkeypatch.setattr(diskcache, "MAP_MIN", 1 << 40)  # read, not mapped
    assert isinstance(diskcache._read_file(str(path)), bytes)
    read = c.get_blob("k")
    assert read is not None and bytes(read) == body and c._last_check == check_mapped


def test_a_small_cache_file_is_read(tmp_path: Path) -> None:
    c = TreeCache(str(tmp_path))
    c.put_blob("k", b"small")
    path = tmp_path / c.dir.rpartition("/")[2] / "k.bin"
    assert isinstance(diskcache._read_file(str(path)), bytes)
    assert bytes(c.get_blob("k") or b"") == b"small"


@pytest.mark.parametrize("how", ["flip", "truncate", "magic"])
def test_a_damaged_mapped_file_is_ignored(tmp_path: Path, how: str) -> None:
    c = TreeCache(str(tmp_path))
    body = _big_body()
    c.put_blob("k", body)
    path = tmp_path / c.dir.rpartition("/")[2] / "k.bin"
    data = bytearray(path.read_bytes())
    if how == "flip":
        data[len(data) // 2] ^= 0x40
    elif how == "truncate":
        del data[-100:]
    else:
        data[0] ^= 1
    path.write_bytes(bytes(data))
    assert len(data) >= diskcache.MAP_MIN
    assert c.get_blob("k") is None


def test_mapping_unavailable_falls_back_to_a_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = TreeCache(str(tmp_path))
    body = _big_body()
    c.put_blob("k", body)
    monkeypatch.setattr(diskcache, "map_file", lambda fd, size: None)
    got = c.get_blob("k")
    assert got is not None and bytes(got) == body


def _chart(root: Path, n: int) -> Path:
    d = root / "big"
    (d / "templates").mkdir(parents=True)
    (d / "Chart.yaml").write_text("apiVersion: v2\nname: big\nversion: 0.1.0\n")
    (d / "values.yaml").write_text("n: 3\nname: x\n")
    (d / "templates" / "_helpers.tpl").write_text(
        '{{- define "big.name" }}{{ .Values.name | quote }}-{{ .Values.n }}{{ end }}\n'
    )
    for i in range(n):
        (d / "templates" / f"t{i}.yaml").write_text(
            f'kind: ConfigMap\nmetadata:\n  name: {{{{ include "big.name" . }}}}-{i}\n'
            + "".join(
                f"  k{j}: {{{{ if gt (int .Values.n) {j % 5} }}}}{{{{ .Values.name }}}}"
                f"{{{{ else }}}}{j}{{{{ end }}}}\n"
                for j in range(30)
            )
        )
    return d


def _render(chart: Path, cache: TreeCache | None) -> dict[str, str]:
    from polystack.helm.chart import chart as chartmod
    from polystack.helm.chart import values as valuesmod
    from polystack.helm.funcs.helm import Capabilities

    ch = chartmod.load(str(chart))
    user: dict[str, object] = {}
    valuesmod.process_dependencies(ch, user)
    opts = valuesmod.ReleaseOptions(name="rel", namespace="ns", is_install=True, is_upgrade=False)
    top = valuesmod.to_render_values(ch, user, opts, Capabilities())
    return Engine(cache=cache).render(ch, top)


def test_a_render_from_a_mapped_set_file_is_the_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = _chart(tmp_path, 40)
    plain = _render(chart, None)
    cache_dir = tmp_path / "cache"
    assert _render(chart, TreeCache(str(cache_dir))) == plain  # writes the set
    (set_file,) = cache_dir.rglob("*.set")
    assert set_file.stat().st_size >= diskcache.MAP_MIN
    mapped: list[object] = []
    real = diskcache.map_file

    def spy(fd: int, size: int) -> object:
        m = real(fd, size)
        mapped.append(m)
        return m

    monkeypatch.setattr(diskcache, "map_file", spy)
    c = TreeCache(str(cache_dir))
    assert _render(chart, c) == plain
    assert mapped and c.last_set is not None  # the set was read, through a mapping
    monkeypatch.setattr(diskcache, "MAP_MIN", 1 << 40)
    c = TreeCache(str(cache_dir))
    assert _render(chart, c) == plain and c.last_set is not None


def _code_entries(root: Path, n: int) -> dict[str, imports.Entry]:
    entries: dict[str, imports.Entry] = {}
    for i in range(n):
        src = root / f"m{i}.py"
        text = f'"""module {i}"""\nX = {i}\n' + "".join(
            f"def f{j}(a):\n    return a + {j} + X\n" for j in range(40)
        )
        src.write_text(text)
        st = src.stat()
        code = compile(text, str(src), "exec")
        entries[f"pkg.m{i}"] = (str(src), str(src) + "c", st.st_mtime_ns, st.st_size, False, code)
    return entries


def test_a_large_bundle_is_mapped_and_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = _code_entries(tmp_path, 30)
    path = tmp_path / "modules.bundle"
    assert imports.Bundle(str(path)).save(entries)
    assert path.stat().st_size >= imports.MAP_MIN
    mapped: list[object] = []
    real = imports.map_file

    def spy(fd: int, size: int) -> object:
        m = real(fd, size)
        mapped.append(m)
        return m

    monkeypatch.setattr(imports, "map_file", spy)
    got = imports.Bundle(str(path)).entries()
    assert mapped and mapped[0] is not None
    monkeypatch.setattr(imports, "MAP_MIN", 1 << 40)
    read = imports.Bundle(str(path)).entries()
    assert got.keys() == read.keys() == entries.keys()
    for name, e in entries.items():
        assert got[name][:5] == read[name][:5] == e[:5]
        assert marshal.dumps(got[name][5]) == marshal.dumps(read[name][5])
        ns: dict[str, object] = {}
        exec(got[name][5], ns)
        assert ns["f3"](1) == 1 + 3 + ns["X"]  # type: ignore[operator]


def test_a_damaged_large_bundle_is_no_bundle(tmp_path: Path) -> None:
    entries = _code_entries(tmp_path, 30)
    path = tmp_path / "modules.bundle"
    assert imports.Bundle(str(path)).save(entries)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # cut: marshal ends early
    assert imports.Bundle(str(path)).entries() == {}
    path.write_bytes(b"X" + data[1:])  # not a bundle
    assert imports.Bundle(str(path)).entries() == {}
