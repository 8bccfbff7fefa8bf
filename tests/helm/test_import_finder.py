"""The `polystack helm` process's finder of polystack's own modules
(helm/cli/imports.py): the modules it loads are the import system's (spec, loader,
file, cached bytecode), and whatever it cannot vouch for (no bytecode yet, stale
bytecode, a namespace package) it leaves to the import system."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, sys
from polystack.helm.cli.imports import install, _CachedLoader
if sys.argv[1] == "finder":
    install()
import polystack.helm.render.release, polystack.helm.template.parse, polystack.helm.cli.fast
import polystack.helm.funcs.sprig.strings, polystack.helm.chart.starter
SFL = sys.modules["_frozen_importlib_external"].SourceFileLoader
out = {}
for name, m in sorted(sys.modules.items()):
    if not name.startswith("polystack"):
        continue
    s = m.__spec__
    path = getattr(m, "__path__", None)
    locs = s.submodule_search_locations
    out[name] = [
        getattr(m, "__file__", None), getattr(m, "__cached__", None), list(path) if path is not None else None,
        m.__package__, s.name, s.origin, s.cached, s.parent, s.has_location,
        list(locs) if locs is not None else None, isinstance(m.__loader__, SFL),
        getattr(m.__loader__, "name", None), getattr(m.__loader__, "path", None),
        m.__loader__.get_filename(name) if isinstance(m.__loader__, SFL) else None,
    ]
via = sorted(n for n, m in sys.modules.items() if isinstance(m.__loader__, _CachedLoader))
print(json.dumps([out, via]))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(tmp_path / "pyc"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _probe(mode: str, env: dict[str, str]) -> tuple[dict[str, list[object]], list[str]]:
    r = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, env=env, timeout=120
    )
    assert r.returncode == 0, r.stderr
    out, via = json.loads(r.stdout)
    return out, via


def test_modules_found_are_the_import_systems(tmp_path: Path) -> None:
    env = _env(tmp_path)
    plain, none = _probe("plain", env)  # (writes the bytecode)
    assert none == []
    found, via = _probe("finder", env)
    assert found == plain
    assert "polystack.helm.template.parse" in via and "polystack.helm.chart" in via
    assert _probe("plain", env)[0] == plain


def _package(root: Path, body: str) -> None:
    (root / "demo").mkdir(exist_ok=True)
    (root / "demo" / "__init__.py").write_text("")
    (root / "demo" / "m.py").write_text(body)


DEMO = """
import json, sys
sys.path.insert(0, sys.argv[1])
import demo
from polystack.helm.cli.imports import PackageFinder, _CachedLoader
if sys.argv[2] == "finder":
    sys.meta_path.insert(0, PackageFinder("demo."))
import demo.m
print(json.dumps([demo.m.X, isinstance(demo.m.__loader__, _CachedLoader)]))
"""


def _demo(root: Path, mode: str, env: dict[str, str]) -> list[object]:
    r = subprocess.run(
        [sys.executable, "-c", DEMO, str(root), mode],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_bytecode_missing_or_stale_is_left_to_the_import_system(tmp_path: Path) -> None:
    env = _env(tmp_path)
    root = tmp_path / "src"
    root.mkdir()
    _package(root, "X = 1\n")
    assert _demo(root, "finder", env) == [1, False]  # no bytecode yet: written now
    assert _demo(root, "finder", env) == [1, True]
    _package(root, "X = 22\n")  # another size
    assert _demo(root, "finder", env) == [22, False]
    assert _demo(root, "finder", env) == [22, True]
    _package(root, "X = 33\n")  # the same size, a later mtime
    st = os.stat(root / "demo" / "m.py")
    os.utime(root / "demo" / "m.py", (st.st_atime + 10, st.st_mtime + 10))
    assert _demo(root, "finder", env) == [33, False]
    assert _demo(root, "finder", env) == [33, True]


def test_a_namespace_package_is_left_to_the_import_system(tmp_path: Path) -> None:
    from polystack.helm.cli.imports import PackageFinder

    (tmp_path / "ns").mkdir()
    finder = PackageFinder("demo.")
    assert finder.find_spec("demo.ns", [str(tmp_path)]) is None
    assert finder.find_spec("demo.absent", [str(tmp_path)]) is None
    assert finder.find_spec("other.ns", [str(tmp_path)]) is None
    assert finder.find_spec("demo.ns", None) is None


@pytest.fixture()
def chart(tmp_path: Path) -> str:
    from polystack.helm.chart.create import create

    path = tmp_path / "demo-chart"
    create(str(path))
    return str(path)


def test_helm_template_is_the_same_through_the_finder(tmp_path: Path, chart: str) -> None:
    env = _env(tmp_path)
    env["POLYSTACK_HELM_TEMPLATE_CACHE"] = "off"
    cmd = [sys.executable, "-m", "polystack.cli", "helm", "template", "rel", chart]
    outs = [subprocess.run(cmd, capture_output=True, text=True, env=env) for _ in range(2)]
    assert [(r.returncode, r.stderr) for r in outs] == [(0, "")] * 2
    assert outs[0].stdout == outs[1].stdout and "kind: Deployment" in outs[0].stdout
