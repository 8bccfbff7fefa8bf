"""What a fresh `polystack helm template` process loads: no server, none of the
network code for a local chart, and only the function libraries its templates
call (template/funcmap.py). Checked in a subprocess, by the modules it imported."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from polystack.helm.funcs import sprig
from polystack.helm.render import engine
from polystack.helm.template import TemplateSet
from polystack.helm.template.funcmap import LazyFunc

PROBE = """
import json, sys
from polystack.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
sys.stdout.flush()
print("\\n@@" + json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(args: list[str], env: dict[str, str] | None = None) -> tuple[str, set[str]]:
    r = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    _, _, tail = r.stderr.rpartition("\n@@")
    return r.stdout, set(json.loads(tail))


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> str:
    from polystack.helm.chart.create import create

    path = tmp_path_factory.mktemp("startup") / "demo"
    create(str(path))
    return str(path)


def test_helm_template_imports_no_server_and_no_network_code(chart: str) -> None:
    out, mods = _modules_after(["helm", "template", "rel", chart])
    assert "kind: Deployment" in out
    loaded = sorted(
        m
        for m in mods
        if m.startswith(
            (
                "polystack.systems",
                "polystack.runtime",
                "polystack.redis",
                "polystack.zookeeper",
                "polystack.amqp",
                "polystack.mongo",
                "polystack.helm.remote.getter",
                "polystack.helm.remote.repo",
                "polystack.helm.remote.oci",
                "polystack.helm.remote.openpgp",
                "polystack.helm.remote.provenance",
                "polystack.helm.remote.downloader",
                "polystack.helm.encoding.tomlgo",
                "polystack.helm.funcs.sprig.crypto",
                "polystack.helm.funcs.sprig.regex",
                "polystack.helm.funcs.sprig.dates",
            )
        )
        or m in ("ssl", "http.client", "urllib.request", "tarfile", "socket", "tempfile", "pathlib")
    )
    assert loaded == []


def test_function_libraries_load_when_a_template_calls_them(tmp_path: Path, chart: str) -> None:
    tpl = Path(chart) / "templates" / "regex.yaml"
    tpl.write_text(
        'r: {{ regexReplaceAll "a+" "caaat" "b" }}\nt: {{ toToml (dict "k" 1) }}\n'
        's: {{ "x" | sha256sum }}\n'
    )
    try:
        out, mods = _modules_after(["helm", "template", "rel", chart])
    finally:
        tpl.unlink()
    assert "r: cbt" in out
    assert "t: k = 1" in out
    assert "polystack.helm.funcs.sprig.regex" in mods
    assert "polystack.helm.funcs.sprig.crypto" not in mods
    # the checksum/config pattern: CPython's own SHA-256, OpenSSL not loaded
    assert "s: 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881" in out
    assert "_hashlib" not in mods and "zlib" not in mods


def test_serve_still_has_every_systems_flags() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "polystack.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0
    assert "--redis-port" in r.stdout and "--only" in r.stdout
    top = subprocess.run(
        [sys.executable, "-m", "polystack.cli", "--help"], capture_output=True, text=True
    )
    assert "serve" in top.stdout and "helm" in top.stdout


def test_name_table_matches_the_modules() -> None:
    """The lazy map's names (sprig._NAMES) are each module's FUNCS, no more, no less."""
    for mod, names in sprig._NAMES.items():
        module = importlib.import_module(f"polystack.helm.funcs.sprig.{mod}")
        assert tuple(module.FUNCS) == names, mod
    assert set(sprig.lazy_sprig_funcs()) == set(sprig.sprig_funcs()) == sprig.SPRIG_NAMES


def test_lazy_functions_behave_as_loaded_ones() -> None:
    lazy = sprig.lazy_sprig_funcs()
    real = sprig.sprig_funcs()
    assert isinstance(lazy["upper"], LazyFunc)
    assert lazy["upper"]("ab") == real["upper"]("ab") == "AB"
    assert lazy["upper"].load() is real["upper"]
    text = '{{ upper "x" }} {{ regexFind "[0-9]+" "ab12" }} {{ semver "1.2.3" | toString }}'
    ts_lazy = TemplateSet(dict(engine.base_funcs()))
    ts_real = TemplateSet(dict(real))
    for ts in (ts_lazy, ts_real):
        ts.parse("t", text)
    assert ts_lazy.execute("t", {}) == ts_real.execute("t", {})
    # the set's own map now holds the loaded function
    assert not isinstance(ts_lazy.funcs["upper"], LazyFunc)
    # and a Go type error is reported as for a loaded function
    ts = TemplateSet(dict(engine.base_funcs()))
    ts.parse("t", "{{ upper 3 }}")
    ts2 = TemplateSet(dict(real))
    ts2.parse("t", "{{ upper 3 }}")
    with pytest.raises(Exception) as a:
        ts.execute("t", {})
    with pytest.raises(Exception) as b:
        ts2.execute("t", {})
    assert str(a.value) == str(b.value)


def test_lazy_loading_is_no_global_side_effect() -> None:
    """The engine's shared base map keeps its LazyFunc entries: a render loads
    functions into its own set's map only."""
    base = engine.base_funcs()
    ts = TemplateSet(dict(base))
    ts.parse("t", '{{ trimSuffix "-" "a-" }}')
    assert ts.execute("t", {}) == "a"
    assert isinstance(base["trimSuffix"], LazyFunc)


def test_the_helm_process_ends_with_its_output_and_status(chart: str) -> None:
    """`polystack helm` as the process ends with os._exit (cli/process.py): every
    byte written before is flushed, and the status is the command's."""
    from click.testing import CliRunner

    from polystack.cli import main

    expected = CliRunner().invoke(main, ["helm", "template", "rel", chart]).output
    r = subprocess.run(
        [sys.executable, "-m", "polystack.cli", "helm", "template", "rel", chart],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == expected and "kind: Deployment" in r.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "polystack.cli", "helm", "template", "rel", chart + "-missing"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert bad.stderr == f'Error: path "{chart}-missing" not found\n'
    help_ = subprocess.run(
        [sys.executable, "-m", "polystack.cli", "helm", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert help_.returncode == 0 and "Usage:" in help_.stdout


def test_exit_code_is_sys_exits() -> None:
    from polystack.helm.cli.process import exit_code

    assert exit_code(None) == 0
    assert exit_code(3) == 3
    assert exit_code(256 + 2) == 2
    assert exit_code("boom") == 1


def test_libyaml_nesting_limit_is_raised_only_when_a_document_needs_it() -> None:
    """A fresh process loads no ctypes for shallow documents; the first document
    nested past libyaml's own limit (1000) raises it to goyaml's and is parsed
    again, so it loads as Go loads it (and 10001 levels fail with Go's error)."""
    probe = """
import json, sys
from polystack.helm.encoding import yamlgo
from polystack.helm.golang.runtime import run_deep
shallow = yamlgo.unmarshal("a: {b: [1, 2]}")
before = "ctypes" in sys.modules
deep = run_deep(lambda: yamlgo.unmarshal("[" * 1500 + "]" * 1500))
depth = 0
while isinstance(deep, list) and deep:
    deep, depth = deep[0], depth + 1
try:
    run_deep(lambda: yamlgo.unmarshal("[" * 10001 + "]" * 10001))
    err = ""
except Exception as e:
    err = str(e)
print(json.dumps([shallow, before, depth, err]))
"""
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    shallow, before, depth, err = json.loads(r.stdout)
    assert shallow == {"a": {"b": [1, 2]}}
    assert before is False
    assert depth == 1499  # the innermost [] is empty
    assert "exceeded max depth of 10000" in err


# The console script's fast path (cli/fast.py) ends the process with os._exit:
# the probe lists the modules loaded by then.
FAST_PROBE = """
import os, sys
_exit = os._exit
def _dump(code):
    mods = sorted(sys.modules)
    import json
    sys.stdout.flush()
    print("\\n@@" + json.dumps(mods), file=sys.stderr)
    sys.stderr.flush()
    _exit(code)
os._exit = _dump
from polystack.cli import main
main()
"""

# what a fresh `helm template` of a chart that logs nothing and decodes no JSON
# does without: dataclass creation (inspect, ast, dis, tokenize), logging (traceback,
# string), threading (the render thread is started with _thread), json, copy,
# typing (imported by type checkers only)
NOT_AT_START_UP = (
    "dataclasses",
    "inspect",
    "ast",
    "dis",
    "tokenize",
    "logging",
    "traceback",
    "threading",
    "json",
    "copy",
    "typing",
)


def _fast_modules(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, set[str]]:
    """A fresh `polystack` command's exit code, output and the modules it had loaded."""
    r = subprocess.run(
        [sys.executable, "-c", FAST_PROBE, *args],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    head, _, tail = r.stderr.rpartition("\n@@")
    assert head == "", head
    return r.returncode, r.stdout, set(json.loads(tail))


def test_fresh_helm_template_builds_no_dataclasses_and_imports_no_logging(chart: str) -> None:
    code, out, mods = _fast_modules(["helm", "template", "rel", chart])
    assert code == 0 and "kind: Deployment" in out
    assert "polystack.helm.render.engine" in mods  # the fast path rendered it
    assert sorted(m for m in NOT_AT_START_UP if m in mods) == []
    code, out, mods = _fast_modules(["helm", "version", "--short"])
    assert code == 0 and out.startswith("v")
    assert sorted(m for m in NOT_AT_START_UP if m in mods) == []


def test_helm_version_imports_nothing_of_rendering() -> None:
    """`helm version` renders nothing: no PyYAML, no re, no template functions."""
    code, out, mods = _fast_modules(["helm", "version"])
    assert code == 0
    assert out == (
        'version.BuildInfo{Version:"v4.2", GitCommit:"", GitTreeState:"",'
        ' GoVersion:"go1.26.6", KubeClientVersion:"v1.36"}\n'
    )
    heavy = ("yaml", "re", "enum", "polystack.helm.funcs.helm", "polystack.helm.encoding.yamlgo")
    assert sorted(m for m in heavy if m in mods) == []


def test_lazy_logger_is_the_modules_logger(caplog: pytest.LogCaptureFixture) -> None:
    """golang/log.get_logger: logging.getLogger(name)'s records, attributed to the
    caller, created on the first call."""
    import logging

    from polystack.helm.golang.log import get_logger

    log = get_logger("polystack.helm.chart.values")
    with caplog.at_level(logging.WARNING, logger="polystack.helm.chart.values"):
        log.warning("skipping %s", "x")
        log.debug("not recorded")
    (rec,) = caplog.records
    assert (rec.name, rec.levelname, rec.getMessage()) == (
        "polystack.helm.chart.values",
        "WARNING",
        "skipping x",
    )
    assert rec.funcName == "test_lazy_logger_is_the_modules_logger"
    assert log.isEnabledFor(logging.WARNING)
    assert log.getEffectiveLevel() == logging.getLogger(log.name).getEffectiveLevel()


def test_cached_helm_template_imports_no_lexer_or_parser(chart: str, tmp_path: Path) -> None:
    """With every template in the on-disk cache (and no `tpl`), a fresh `helm
    template` builds its trees from the cache: template/tree.py, not the parser."""
    import os

    env = dict(os.environ, POLYSTACK_HELM_TEMPLATE_CACHE=str(tmp_path / "cache"))
    runs = []
    for _ in range(2):
        r = subprocess.run(
            [sys.executable, "-c", FAST_PROBE, "helm", "template", "rel", chart],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        head, _, tail = r.stderr.rpartition("\n@@")
        assert (r.returncode, head) == (0, "")
        runs.append((r.stdout, set(json.loads(tail))))
    (first, cold), (second, cached) = runs
    assert first == second and "kind: Deployment" in second
    parser = {f"polystack.helm.template.{m}" for m in ("parse", "items", "scan", "actionmemo")}
    assert parser <= cold
    assert sorted(parser & cached) == []
    # the lexer's state machine runs only for texts lex_all leaves to it (errors, rare forms)
    assert "polystack.helm.template.lexer" not in cold
    assert "polystack.helm.template.tree" in cached
