"""Parsed chart files kept on disk (chart/parsed.py): a second load of a chart
takes what Chart.yaml, values.yaml and the lock/requirements files parsed to from
the cache, keyed by their bytes; a change of a file or of the parsing code misses,
a damaged entry is ignored and rewritten, a read-only directory is only read, and
a fresh cached `helm template` imports no YAML parser."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from polystack.helm.chart import chart as chartmod
from polystack.helm.chart import parsed
from polystack.helm.chart.create import create
from polystack.helm.template.diskcache import TreeCache
from tests.helm.test_startup import _fast_modules

CHART_YAML = """apiVersion: v2
name: demo
version: 0.1.0
appVersion: "1.16.0"
annotations:
  a: b
dependencies:
  - name: sub
    version: 0.1.0
"""
VALUES = (
    "replicaCount: 1\nimage:\n  tag: 1.2\n  pullPolicy: IfNotPresent\nlist: [a, 1, true, null]\n"
)
LOCK = "dependencies:\n- name: sub\n  version: 0.1.0\n  repository: ''\ndigest: sha256:x\n"


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text(CHART_YAML)
    (root / "values.yaml").write_text(VALUES)
    (root / "Chart.lock").write_text(LOCK)
    (root / "templates" / "cm.yaml").write_text("v: {{ .Values.image.tag }}\n")
    sub = root / "charts" / "sub"
    sub.mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    (sub / "values.yaml").write_text("x: 1\n")
    return root


class Counting:
    """Counts the parses that reach the YAML decoder."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        real_map, real_values = chartmod._unmarshal_map, chartmod.load_values

        def unmarshal_map(data: bytes) -> dict:
            self.calls.append("map")
            return real_map(data)

        def load_values(data: bytes) -> dict:
            self.calls.append("values")
            return real_values(data)

        monkeypatch.setattr(chartmod, "_unmarshal_map", unmarshal_map)
        monkeypatch.setattr(chartmod, "load_values", load_values)


def _snapshot(c: chartmod.Chart) -> list:
    out = [c.metadata, c.values, c.lock]
    for d in c.dependencies():
        out.append(_snapshot(d))
    return out


def _entries(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*/chart-*.bin"))


def test_second_load_parses_nothing_and_loads_the_same(
    chart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uncached = chartmod.load(str(chart))
    counting = Counting(monkeypatch)
    first = chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    assert sorted(counting.calls) == ["map", "map", "map", "values", "values"]
    assert len(_entries(tmp_path / "c")) == 5  # Chart.yaml x2, values.yaml x2, Chart.lock
    counting.calls.clear()
    second = chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))  # a new process
    assert counting.calls == []
    assert _snapshot(first) == _snapshot(second) == _snapshot(uncached)
    assert second.metadata.annotations == {"a": "b"} and not second.metadata.annotations_nil
    assert second.values["image"] == {"tag": 1.2, "pullPolicy": "IfNotPresent"}
    assert second.values["list"] == ["a", 1.0, True, None]
    assert type(second.values["list"][1]) is float  # JSON's numbers, as parsed
    # each load gets its own objects: a render that changes values changes no other load
    second.values["image"]["tag"] = "x"
    third = chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    assert third.values["image"]["tag"] == 1.2


def test_changed_values_yaml_misses(
    chart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    (chart / "values.yaml").write_text(VALUES.replace("1.2", "1.3"))
    counting = Counting(monkeypatch)
    c = chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    assert counting.calls == ["values"]
    assert c.values["image"]["tag"] == 1.3


def test_changed_chart_yaml_misses(
    chart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    (chart / "Chart.yaml").write_text(CHART_YAML.replace("1.16.0", "1.17.0"))
    counting = Counting(monkeypatch)
    c = chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    assert counting.calls == ["map"]
    assert c.metadata.app_version == "1.17.0"


def test_touched_file_with_the_same_content_hits(
    chart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    for name in ("Chart.yaml", "values.yaml", "Chart.lock"):
        os.utime(chart / name, (1, 1))
    (chart / "values.yaml").write_text(VALUES)  # rewritten, same bytes
    counting = Counting(monkeypatch)
    c = chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    assert counting.calls == []
    assert c.values["replicaCount"] == 1.0


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-3],  # truncated
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),  # a flipped bit
        lambda b: b"",  # empty
        lambda b: b"not a cache file",
    ],
)
def test_corrupt_cache_file_is_ignored_and_rewritten(
    chart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage
) -> None:
    chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    entries = _entries(tmp_path / "c")
    for p in entries:
        p.write_bytes(damage(p.read_bytes()))
    counting = Counting(monkeypatch)
    c = chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    assert len(counting.calls) == 5
    assert c.values["image"]["tag"] == 1.2
    counting.calls.clear()
    chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    assert counting.calls == []  # rewritten


def test_entry_of_other_bytes_under_the_same_key_is_a_miss(
    chart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key is a fingerprint; the stored bytes decide (a colliding entry misses)."""
    cache = TreeCache(str(tmp_path / "c"))
    data = (chart / "values.yaml").read_bytes()
    key = parsed._key("values", data)
    import marshal

    cache.put_blob(key, marshal.dumps((data + b"#", {"forged": True})))
    counting = Counting(monkeypatch)
    c = chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    assert "values" in counting.calls
    assert "forged" not in c.values


def test_read_only_cache_directory_is_only_read(
    chart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache directory filled before and then read-only (a shared, read-only
    mount): hits are read, nothing is written, a miss is parsed as without a cache."""
    import errno

    from polystack.helm.template import diskcache

    chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    (chart / "values.yaml").write_text(VALUES.replace("1.2", "2.5"))  # a miss
    before = {p: p.read_bytes() for p in _entries(tmp_path / "c")}
    real_open = os.open

    def read_only_open(path: str, flags: int, *a: object) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system", path)
        return real_open(path, flags, *a)

    monkeypatch.setattr(diskcache.os, "open", read_only_open)
    (tmp_path / "c").chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        counting = Counting(monkeypatch)
        cache = TreeCache(str(tmp_path / "c"))
        c = chartmod.load(str(chart), cache)
    finally:
        (tmp_path / "c").chmod(stat.S_IRWXU)
    assert counting.calls == ["values"]  # Chart.yaml x2, the lock, sub's values: read
    assert c.values["image"]["tag"] == 2.5
    assert cache.written == 0
    assert {p: p.read_bytes() for p in _entries(tmp_path / "c")} == before


def test_unwritable_cache_directory_loads_without_cache(chart: Path, tmp_path: Path) -> None:
    """A cache path that cannot be a directory (a file is there): loads as without one."""
    blocked = tmp_path / "file"
    blocked.write_text("x")
    cache = TreeCache(str(blocked))
    c = chartmod.load(str(chart), cache)
    assert _snapshot(c) == _snapshot(chartmod.load(str(chart)))
    assert cache.written == 0


def test_parse_errors_are_not_cached(chart: Path, tmp_path: Path) -> None:
    (chart / "values.yaml").write_text("a: [1\n")
    errors = []
    for _ in range(2):
        with pytest.raises(chartmod.ChartError) as e:
            chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
        errors.append(str(e.value))
    with pytest.raises(chartmod.ChartError) as e:
        chartmod.load(str(chart))
    assert errors == [str(e.value)] * 2
    assert errors[0].startswith("cannot load values.yaml: ")
    assert not any("values" in str(p) for p in _entries(tmp_path / "c")) or all(
        p.stat().st_size > 0 for p in _entries(tmp_path / "c")
    )


def test_parser_change_misses(chart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    monkeypatch.setattr(parsed, "_PARSER_ID", b"another polystack")
    counting = Counting(monkeypatch)
    chartmod.load(str(chart), TreeCache(str(tmp_path / "c")))
    assert len(counting.calls) == 5


def test_parser_id_covers_version_and_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsed, "_PARSER_ID", None)
    a = parsed.parser_id()
    monkeypatch.setattr(parsed, "_PARSER_ID", None)
    monkeypatch.setattr(parsed, "__version__", "0.0.0-other")
    assert parsed.parser_id() != a
    helm = Path(parsed.__file__).parent.parent
    for name in parsed._PARSER_SOURCES:
        assert (helm / name).is_file(), name


def test_unstorable_result_is_parsed_every_time(tmp_path: Path) -> None:
    cache = TreeCache(str(tmp_path / "c"))
    calls = []

    class Odd(dict):
        pass

    def parse(data: bytes) -> dict:
        calls.append(data)
        return Odd(a=1)

    for _ in range(2):
        assert parsed.parse_cached(cache, "odd", b"x", parse) == {"a": 1}
    assert len(calls) == 2 and cache.written == 0


def _fresh(args: list[str], env: dict[str, str]) -> tuple[str, set[str]]:
    code, out, mods = _fast_modules(args, env)
    assert code == 0
    return out, mods


def test_cached_helm_template_imports_no_yaml_parser(tmp_path: Path) -> None:
    """The second `helm template` of a chart (a fresh process) takes the chart's
    parsed files and trees from the cache: PyYAML is never imported (the cold run
    needs it for the values' block scalar), and the output is the cold run's;
    values given with -f and --set still apply."""
    path = tmp_path / "demo"
    create(str(path))
    # a block scalar: not the shape encoding/yamlsimple.py reads, libyaml parses it
    with open(path / "values.yaml", "a") as fh:
        fh.write("notes: |\n  some text\n")
    env = dict(os.environ, POLYSTACK_HELM_TEMPLATE_CACHE=str(tmp_path / "cache"))
    cold_env = dict(os.environ, POLYSTACK_HELM_TEMPLATE_CACHE="off")
    args = ["helm", "template", "rel", str(path)]
    cold, cold_mods = _fresh(args, cold_env)
    first, _ = _fresh(args, env)
    second, mods = _fresh(args, env)
    assert cold == first == second and "kind: Deployment" in second
    assert "yaml" in cold_mods
    assert sorted(m for m in mods if m == "yaml" or m.startswith(("yaml.", "_yaml"))) == []
    assert "polystack.helm.encoding.yamlload" not in mods
    # -f and --set are parsed every time (they are not chart files)
    vf = tmp_path / "v.yaml"
    vf.write_text("replicaCount: 7\n")
    with_f, _ = _fresh([*args, "-f", str(vf), "--set", "image.tag=9.9"], env)
    assert with_f == _fresh([*args, "-f", str(vf), "--set", "image.tag=9.9"], cold_env)[0]
    assert "replicas: 7" in with_f and ":9.9" in with_f
    vf.write_text("replicaCount: 8\n")
    assert "replicas: 8" in _fresh([*args, "-f", str(vf)], env)[0]
