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
        sorted(k for k in vars(m) if k.startswith("__")), path is locs,
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


# ------------------------------------------------------------ the bundle of modules

BUNDLE_DEMO = """
import json, sys
sys.path.insert(0, sys.argv[1])
import demo
from polystack.helm.cli.imports import Bundle, PackageFinder, _CachedLoader
finder = PackageFinder("demo.")
finder.bundle = Bundle(sys.argv[2])
sys.meta_path.insert(0, finder)
for name in sys.argv[3:]:
    __import__(name)
mods = {n: [sys.modules[n].X, isinstance(sys.modules[n].__loader__, _CachedLoader)]
        for n in sys.argv[3:]}
from_bundle = sorted(n for n, e in finder.found.items() if finder.bundle.entries().get(n) is e)
print(json.dumps([mods, from_bundle, finder.bundle.save(finder.found)]))
"""


def _bundle_demo(
    root: Path, bundle: Path, env: dict[str, str], *names: str
) -> tuple[dict[str, list[object]], list[str], bool]:
    r = subprocess.run(
        [sys.executable, "-c", BUNDLE_DEMO, str(root), str(bundle), *names],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    mods, from_bundle, saved = json.loads(r.stdout)
    return mods, from_bundle, saved


def _modules(root: Path, **bodies: str) -> None:
    (root / "demo").mkdir(exist_ok=True)
    (root / "demo" / "__init__.py").write_text("X = 0\n")
    for name, body in bodies.items():
        (root / "demo" / f"{name}.py").write_text(body)


def test_bundle_is_written_then_read_and_kept(tmp_path: Path) -> None:
    env = _env(tmp_path)
    root, bundle = tmp_path / "src", tmp_path / "cache" / "modules.bundle"
    root.mkdir()
    _modules(root, a="X = 1\n", b="from demo.a import X as Y\nX = Y + 1\n")
    _bundle_demo(root, bundle, env, "demo.a", "demo.b")  # writes the .pyc files
    assert not bundle.exists()  # (no module was read from a .pyc by the finder yet)
    mods, from_bundle, saved = _bundle_demo(root, bundle, env, "demo.a", "demo.b")
    assert mods == {"demo.a": [1, True], "demo.b": [2, True]} and from_bundle == []
    assert saved and bundle.is_file()
    stamp = bundle.stat().st_mtime_ns
    mods, from_bundle, saved = _bundle_demo(root, bundle, env, "demo.a", "demo.b")
    assert mods == {"demo.a": [1, True], "demo.b": [2, True]}
    assert from_bundle == ["demo.a", "demo.b"] and not saved
    assert bundle.stat().st_mtime_ns == stamp  # nothing new: not written again


def test_bundle_entry_of_a_changed_source_is_not_used(tmp_path: Path) -> None:
    env = _env(tmp_path)
    root, bundle = tmp_path / "src", tmp_path / "modules.bundle"
    root.mkdir()
    _modules(root, a="X = 1\n", b="X = 2\n")
    for _ in range(2):
        _bundle_demo(root, bundle, env, "demo.a", "demo.b")
    st = os.stat(root / "demo" / "a.py")
    (root / "demo" / "a.py").write_text("X = 7\n")  # the same size, a later mtime
    os.utime(root / "demo" / "a.py", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    _bundle_demo(root, bundle, env, "demo.a", "demo.b")  # (compiles the new .pyc)
    mods, from_bundle, saved = _bundle_demo(root, bundle, env, "demo.a", "demo.b")
    assert mods == {"demo.a": [7, True], "demo.b": [2, True]}
    assert from_bundle == ["demo.b"] and saved
    mods, from_bundle, saved = _bundle_demo(root, bundle, env, "demo.a", "demo.b")
    assert mods == {"demo.a": [7, True], "demo.b": [2, True]}
    assert from_bundle == ["demo.a", "demo.b"] and not saved


def test_bundle_adds_new_modules_and_drops_many_unused(tmp_path: Path) -> None:
    env = _env(tmp_path)
    root, bundle = tmp_path / "src", tmp_path / "modules.bundle"
    root.mkdir()
    names = [f"m{i}" for i in range(12)]
    _modules(root, **{n: f"X = {i}\n" for i, n in enumerate(names)})
    mods = [f"demo.{n}" for n in names]
    _bundle_demo(root, tmp_path / "other.bundle", env, *mods)  # (writes the .pyc files)
    _bundle_demo(root, bundle, env, *mods[:6])
    assert _bundle_demo(root, bundle, env, *mods[6:])[2]  # new ones: added
    _, from_bundle, saved = _bundle_demo(root, bundle, env, *mods[:11])
    assert from_bundle == sorted(mods[:11]) and not saved  # one unused of 12: kept
    _, from_bundle, saved = _bundle_demo(root, bundle, env, *mods[6:])
    assert from_bundle == sorted(mods[6:]) and saved  # half unused: only these kept
    assert _bundle_demo(root, bundle, env, *mods[:6])[2]  # added again
    _, from_bundle, saved = _bundle_demo(root, bundle, env, *mods[:6])
    assert len(from_bundle) == 6 and saved  # half of it unused: only these kept
    _, from_bundle, saved = _bundle_demo(root, bundle, env, *mods[:6])
    assert len(from_bundle) == 6 and not saved


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b[:-40] + b"\0" * 40,  # its end zeroed
        lambda b: b"",
        lambda b: b"PSMOD\x00\x02\n" + b"garbage",
        lambda b: b[:8] + bytes([b[8] ^ 0xFF]) + b[9:],  # a broken stream
    ],
)
def test_damaged_bundle_is_ignored_and_rewritten(tmp_path: Path, damage) -> None:
    env = _env(tmp_path)
    root, bundle = tmp_path / "src", tmp_path / "modules.bundle"
    root.mkdir()
    _modules(root, a="X = 1\n", b="X = 2\n")
    for _ in range(2):
        _bundle_demo(root, bundle, env, "demo.a", "demo.b")
    bundle.write_bytes(damage(bundle.read_bytes()))
    mods, from_bundle, saved = _bundle_demo(root, bundle, env, "demo.a", "demo.b")
    assert mods == {"demo.a": [1, True], "demo.b": [2, True]}
    assert saved
    assert _bundle_demo(root, bundle, env, "demo.a", "demo.b")[1] == ["demo.a", "demo.b"]


def test_another_pythons_bundle_is_ignored(tmp_path: Path) -> None:
    import importlib.util
    import marshal

    from polystack.helm.cli.imports import BUNDLE_MAGIC, Bundle

    path = tmp_path / "modules.bundle"
    code = compile("X = 1", str(tmp_path / "a.py"), "exec")
    entry = (str(tmp_path / "a.py"), "", 0, 0, False, code)
    path.write_bytes(BUNDLE_MAGIC + marshal.dumps((b"\0\0\r\n", {"demo.a": entry})))
    assert Bundle(str(path)).entries() == {}
    path.write_bytes(BUNDLE_MAGIC + marshal.dumps((importlib.util.MAGIC_NUMBER, {"demo.a": entry})))
    assert list(Bundle(str(path)).entries()) == ["demo.a"]  # (this Python's: read)


def test_helm_template_writes_and_reads_the_bundle(tmp_path: Path, chart: str) -> None:
    """The console script's `helm template`, with the cache on: the first run
    writes the bundle of the modules it imported, the next ones read them from it
    (the same output, the bundle not written again); with the cache off, none."""
    env = _env(tmp_path)
    cache = tmp_path / "cache"
    env["POLYSTACK_HELM_TEMPLATE_CACHE"] = str(cache)
    cmd = [sys.executable, "-m", "polystack.cli", "helm", "template", "rel", chart]
    subprocess.run(cmd, capture_output=True, env=env, check=True)  # (writes the .pyc files)
    bundle = cache / f"modules.{sys.implementation.cache_tag}.bundle"
    bundle.unlink(missing_ok=True)
    outs = []
    for _ in range(3):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert (r.returncode, r.stderr) == (0, "")
        outs.append((r.stdout, bundle.stat().st_mtime_ns))
    assert outs[0][0] == outs[1][0] == outs[2][0] and "kind: Deployment" in outs[0][0]
    assert outs[1][1] == outs[2][1]  # read, not written again
    from polystack.helm.cli.imports import Bundle

    names = set(Bundle(str(bundle)).entries())
    assert "polystack.helm.render.engine" in names and "polystack.helm.template.compile" in names
    off = dict(env, POLYSTACK_HELM_TEMPLATE_CACHE="off", XDG_CACHE_HOME=str(tmp_path / "xdg"))
    r = subprocess.run(cmd, capture_output=True, text=True, env=off)
    assert r.stdout == outs[0][0] and not (tmp_path / "xdg").exists()


def test_bundle_path_follows_the_template_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    from polystack.helm.cli import imports
    from polystack.helm.render import engine

    assert (imports._CACHE_ENV, imports._CACHE_OFF) == (engine.CACHE_ENV, engine._OFF)
    tag = sys.implementation.cache_tag
    monkeypatch.setenv(engine.CACHE_ENV, "/somewhere/tc")
    assert imports.module_bundle_path() == f"/somewhere/tc/modules.{tag}.bundle"
    monkeypatch.setenv(engine.CACHE_ENV, "Off")
    assert imports.module_bundle_path() is None
    monkeypatch.delenv(engine.CACHE_ENV)
    monkeypatch.setenv("HELM_CACHE_HOME", "/hc")
    assert imports.module_bundle_path() == f"/hc/polystack/templates/modules.{tag}.bundle"
    assert engine.default_template_cache().root == "/hc/polystack/templates"
