"""The click-free `helm template` parser (polystack.helm.cli.fast) against click's.

For every command line it accepts, its positional arguments, keywords and the
HELM_* variables the global flags set equal what the click command produces; the
rest goes to the click path (None), whose messages and exit codes are tested in
test_cli*.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import click
import pytest

from polystack.helm.cli import helm_group
from polystack.helm.cli.fast import parse_template, parse_version, template_defaults

ACCEPTED = [
    ["rel", "chart"],
    ["chart"],
    ["-"],
    ["rel", "chart", "extra"],
    ["rel", "chart", "-f", "a.yaml", "--values", "b.yaml,c.yaml"],
    ["--set", "a=1", "rel", "--set=b=2", "chart", "--set-string", "c=3"],
    ["rel", "chart", "--set-file", "k=f", "--set-json", '{"a":1}', "--set-literal", "x={y}"],
    ["rel", "chart", "-s", "templates/a.yaml", "--show-only=templates/b.yaml"],
    ["rel", "chart", "-a", "v1", "--api-versions", "apps/v1,batch/v1", "--api-versions=x/v1"],
    ["rel", "chart", "--kube-version", "1.29.0", "--kube-version=1.30"],
    ["rel", "chart", "--output-dir", "/tmp/out", "--release-name", "--name-template", "n"],
    ["rel", "chart", "--version", "1.2.3", "--repo", "https://example.com/charts"],
    ["rel", "chart", "--version="],
    ["chart", "-g", "--generate-name", "--include-crds", "--skip-crds", "--skip-tests"],
    ["rel", "chart", "--is-upgrade", "--no-hooks", "--skip-schema-validation"],
    ["rel", "chart", "--dependency-update", "--enable-dns", "--devel", "--verify"],
    ["rel", "chart", "-n", "ns1", "--namespace=ns2", "--debug"],
    ["rel", "chart", "--namespace", "ns"],
    ["rel", "--", "-chart", "--set", "x"],
    ["rel", "chart", "--"],
    ["--", "rel"],
    ["rel", "chart", "--set", "a=-1"],
    ["rel", "chart", "--set", ""],
]

REJECTED = [
    [],
    ["--help"],
    ["rel", "chart", "-h"],
    ["rel", "chart", "--unknown"],
    ["rel", "chart", "--set"],
    ["rel", "chart", "-f"],
    ["rel", "chart", "--set", "--debug"],
    ["rel", "chart", "-fvalues.yaml"],
    ["rel", "chart", "-gs", "x"],
    ["rel", "chart", "--debug=true"],
    ["rel", "chart", "--include-crds=false"],
    ["rel", "chart", "--dry-run"],
    ["rel", "chart", "--dry-run=server"],
    ["rel", "chart", "--wait"],
    ["rel", "chart", "--timeout", "1m"],
    ["rel", "chart", "--kube-context", "c"],
    ["rel", "chart", "--vals", "a"],
    ["--set", "a=1"],
    ["--"],
    ["rel", "chart", "-f=x.yaml"],
]


def click_parse(argv: list[str]) -> tuple[tuple[str, ...], dict[str, Any], dict[str, str]]:
    """What the click path hands template_cmd, and the HELM_* variables it sets."""
    before = dict(os.environ)
    try:
        with helm_group.make_context("helm", ["template", *argv]) as gctx:
            cmd = helm_group.get_command(gctx, "template")
            assert cmd is not None
            with cmd.make_context("template", list(argv), parent=gctx) as ctx:
                params = dict(ctx.params)
        env = {k: v for k, v in os.environ.items() if before.get(k) != v}
    finally:
        os.environ.clear()
        os.environ.update(before)
    args = params.pop("args")
    return tuple(args), params, env


@pytest.mark.parametrize("argv", ACCEPTED, ids=lambda a: " ".join(a) or "(none)")
def test_fast_parser_equals_click(argv: list[str]) -> None:
    fast = parse_template(argv)
    assert fast is not None
    assert fast == click_parse(argv)


@pytest.mark.parametrize("argv", REJECTED, ids=lambda a: " ".join(a) or "(none)")
def test_the_rest_goes_to_click(argv: list[str]) -> None:
    assert parse_template(argv) is None


def test_defaults_are_clicks() -> None:
    _, params, _ = click_parse(["rel", "chart"])
    assert params == template_defaults()
    assert "click" in sys.modules  # this test module's click path, not the fast one


def test_a_template_process_imports_no_click(tmp_path: Any, monkeypatch: Any) -> None:
    """`polystack helm template NAME CHART` (the console script's main) renders the
    same bytes as the click path and never imports click; `--help` still does."""
    from click.testing import CliRunner

    from polystack.helm.cli.commands import create_cmd

    monkeypatch.chdir(tmp_path)
    CliRunner().invoke(create_cmd, ["mychart"])
    probe = "from polystack.cli import main; main()"
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    fast = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe, "helm", "template", "rel", "mychart"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert fast.returncode == 0
    imported = [line.split("|")[-1].strip() for line in fast.stderr.splitlines()]
    assert "click" not in imported
    from polystack.cli import main

    expected = CliRunner().invoke(main, ["helm", "template", "rel", str(tmp_path / "mychart")])
    slow = subprocess.run(
        [sys.executable, "-m", "polystack.cli", "helm", "template", "rel", "mychart", "--set"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert (slow.returncode, slow.stderr) == (1, "Error: flag needs an argument: --set\n")
    assert fast.stdout == expected.output.replace(str(tmp_path / "mychart"), "mychart")
    assert "kind: Deployment" in fast.stdout


@pytest.mark.parametrize(
    "argv, code, err",
    [
        (["x", "missing-chart"], 1, None),
        (["x", "c", "--kube-version", "bogus"], 1, None),
        (["x", "c", "--set", "a"], 1, None),
    ],
)
def test_fast_errors_equal_clicks(
    tmp_path: Any, monkeypatch: Any, argv: list[str], code: int, err: Any
) -> None:
    """An error of the fast path is the click path's: `Error: ...`, exit 1."""
    from click.testing import CliRunner

    from polystack.helm.cli.commands import create_cmd

    monkeypatch.chdir(tmp_path)
    CliRunner().invoke(create_cmd, ["c"])
    run = [sys.executable, "-m", "polystack.cli", "helm", "template", *argv]
    fast = subprocess.run(run, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    click_run = subprocess.run(
        [*run[:2], "polystack.cli_click", *run[3:]],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        click_run.returncode,
        click_run.stdout,
        click_run.stderr,
    )
    assert fast.returncode == code and fast.stderr.startswith("Error: ")
    if err is not None:
        assert fast.stderr == err


def test_click_is_a_click_group_stand_in() -> None:
    from polystack.cli import main

    assert isinstance(main.commands, dict)
    assert isinstance(main.get_command(click.Context(click.Group()), "status"), click.Command)


@pytest.mark.parametrize(
    "argv, short",
    [([], False), (["--short"], True), (["-c", "--short"], True), (["--client"], False)]
    + [(a, None) for a in (["--template", "{{.Version}}"], ["x"], ["--short=true"], ["-h"])],
)
def test_fast_version_parser(argv: list[str], short: bool | None) -> None:
    assert parse_version(argv) is short


@pytest.mark.parametrize("argv", [[], ["--short"], ["-c"], ["--template={{.Version}}"], ["x"]])
def test_fast_version_equals_clicks(argv: list[str]) -> None:
    run = [sys.executable, "-m", "polystack.cli", "helm", "version", *argv]
    fast = subprocess.run(run, capture_output=True, text=True, timeout=120)
    click_run = subprocess.run(
        [*run[:2], "polystack.cli_click", *run[3:]], capture_output=True, text=True, timeout=120
    )
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        click_run.returncode,
        click_run.stdout,
        click_run.stderr,
    )
    assert fast.stdout or fast.stderr
