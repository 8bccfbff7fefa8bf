"""`polystack helm` as a drop-in for `helm` in scripts: version, env and
completion; Helm's global flags on every command, before or after it; cobra's
help layout; `Error: ...` and exit code 1 for every failure."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import click
import pytest
from click.testing import CliRunner

from polystack.helm.cli import helm_group
from polystack.helm.cli.cobra import GLOBAL_FLAGS

from .conftest import CHARTS_DIR

PARENT = os.path.join(CHARTS_DIR, "parent")


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(helm_group, list(args), env=env, catch_exceptions=False)


def _leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for name, cmd in sorted(group.commands.items()):
        if cmd.hidden:  # __complete, __completeNoDesc: the completion scripts' protocol
            continue
        if isinstance(cmd, click.Group):
            out.append((*prefix, name))
            out += _leaf_commands(cmd, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


COMMANDS = _leaf_commands(helm_group)


def test_version() -> None:
    r = run("version")
    assert r.exit_code == 0
    assert re.fullmatch(
        r'version\.BuildInfo\{Version:"v4\.\d+[^"]*", GitCommit:"[0-9a-f]*",'
        r' GitTreeState:"[a-z]*", GoVersion:"go[0-9.]+", KubeClientVersion:"v1\.\d+"\}\n',
        r.output,
    ), r.output
    short = run("version", "--short")
    assert short.exit_code == 0 and re.fullmatch(
        r"v4\.\d+(\.\d+)?(\+g[0-9a-f]{7})?\n", short.output
    )
    t = run("version", "--template", "{{ .Version }}|{{ .GoVersion }}")
    assert (
        t.output
        == short.output.strip().split("+")[0] + "|" + r.output.split('GoVersion:"')[1].split('"')[0]
    )


def test_version_errors() -> None:
    r = run("version", "extra")
    assert r.exit_code == 1
    assert (
        r.output == 'Error: "helm version" accepts no arguments\n\nUsage:  helm version [flags]\n'
    )
    r = run("version", "--template", "{{ .Nope }}")
    assert r.exit_code == 1
    assert r.output.startswith('Error: template: _:1:3: executing "_" at <.Nope>: can\'t evaluate')
    r = run("version", "--template", "{{ if }}")
    assert r.exit_code == 1 and r.output.startswith("Error: template: _:1: missing value for if")


def test_env(tmp_path: Any) -> None:
    env = {
        "HELM_CACHE_HOME": str(tmp_path / "cache"),
        "HELM_CONFIG_HOME": str(tmp_path / "config"),
        "HELM_DATA_HOME": str(tmp_path / "data"),
        "HELM_NAMESPACE": "",
        "HELM_REPOSITORY_CONFIG": "",
    }
    r = run("env", env=env)
    assert r.exit_code == 0
    lines = dict(l.split("=", 1) for l in r.output.splitlines())
    assert list(lines) == sorted(lines)
    assert lines["HELM_CACHE_HOME"] == json.dumps(str(tmp_path / "cache"))
    assert lines["HELM_REPOSITORY_CACHE"] == json.dumps(str(tmp_path / "cache" / "repository"))
    assert lines["HELM_REGISTRY_CONFIG"] == json.dumps(
        str(tmp_path / "config" / "registry" / "config.json")
    )
    assert lines["HELM_NAMESPACE"] == '"default"' and lines["HELM_BURST_LIMIT"] == '"100"'
    assert lines["HELM_QPS"] == '"0.00"' and lines["HELM_DEBUG"] == '"false"'
    assert run("env", "HELM_DATA_HOME", env=env).output == str(tmp_path / "data") + "\n"
    assert run("env", "NOPE", env=env).output == "\n"
    r = run("env", "a", "b")
    assert r.exit_code == 1 and r.output.startswith('Error: "helm env" accepts at most 1 argument')


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion(shell: str) -> None:
    r = run("completion", shell)
    assert r.exit_code == 0
    assert " __complete " in r.output  # cobra's protocol (tests/helm/test_cli_completion.py)
    r = run("completion", "tcsh")
    assert r.exit_code == 1 and r.output == 'Error: unknown command "tcsh" for "helm completion"\n'


def test_global_flags_before_and_after_the_command(tmp_path: Any) -> None:
    kube = ("--kube-context", "ctx", "--kubeconfig", str(tmp_path / "kc"), "--burst-limit", "7")
    for args in (
        ("-n", "ns1", *kube, "env"),
        ("env", "-n", "ns1", *kube),
        ("--namespace=ns1", "env", "--debug", "--qps", "2.5", "--kube-as-group", "a"),
    ):
        r = run(*args)
        assert r.exit_code == 0, (args, r.output)
        assert 'HELM_NAMESPACE="ns1"' in r.output
    r = run("env", *kube, "--debug", "--qps", "2.5", "--kube-as-group", "a", "--kube-as-group", "b")
    assert 'HELM_KUBECONTEXT="ctx"' in r.output and 'HELM_BURST_LIMIT="7"' in r.output
    assert 'HELM_DEBUG="true"' in r.output and 'HELM_QPS="2.50"' in r.output
    assert 'HELM_KUBEASGROUPS="a,b"' in r.output and f'KUBECONFIG="{tmp_path / "kc"}"' in r.output
    # the variables last only for the command
    assert 'HELM_KUBECONTEXT=""' in run("env").output
    # template renders into the global namespace
    r = run("template", "x", PARENT, "--kube-context", "c", "-n", "other")
    assert r.exit_code == 0 and "namespace: other" in r.output
    r = run("--namespace", "first", "template", "x", PARENT)
    assert "namespace: first" in r.output


@pytest.mark.parametrize("cmd", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_takes_the_global_flags(cmd: tuple[str, ...]) -> None:
    extra = [
        "--kube-context", "c", "--kubeconfig", "/dev/null", "-n", "ns", "--debug",
        "--burst-limit", "5", "--registry-config", "/dev/null", "--repository-config", "/x",
        "--repository-cache", "/y", "--content-cache", "/z",
    ]  # fmt: skip
    r = run(*cmd, *extra, "--help")
    assert r.exit_code == 0, r.output
    text = r.output
    assert "\nUsage:\n  helm " in "\n" + text
    section = "Global Flags:" if cmd else "Flags:"
    assert section in text
    for flag in GLOBAL_FLAGS:
        assert f"--{flag.name} " in text
    flags = re.findall(r"^  (?:-\w, )?--([a-z0-9-]+)|^      --([a-z0-9-]+)", text, re.M)
    names = [a or b for a, b in flags]
    block = text.split("Flags:\n", 1)[1].split("\n\n", 1)[0]
    local = re.findall(r"^(?:  -\w, |      )--([a-z0-9-]+)", block, re.M)
    assert local == sorted(local), cmd
    assert names


def test_help_layout() -> None:
    r = run("template", "--help")
    text = r.output
    assert text.startswith("\nRender chart templates locally and display the output.\n")
    order = [text.index(s) for s in ("\nUsage:\n", "\nFlags:\n", "\nGlobal Flags:\n")]
    assert order == sorted(order)
    assert "\nUsage:\n  helm template [NAME] [CHART] [flags]\n" in text
    assert "  -h, --help " in text and "help for template" in text
    assert re.search(r"^      --set stringArray +set values on the command line", text, re.M)
    assert re.search(
        r"^      --burst-limit int +client-side default throttling limit \(default 100\)$",
        text,
        re.M,
    )
    r = run("dependency", "--help")
    assert "\nAliases:\n  dependency, dep, dependencies\n" in r.output
    assert "\nAvailable Commands:\n  build " in r.output
    assert r.output.endswith(
        '\nUse "helm dependency [command] --help" for more information about a command.\n'
    )
    assert run("dependency").output == r.output  # cobra prints the help of a group


def test_errors_and_exit_codes() -> None:
    r = run("template", PARENT, "--nope")
    assert (r.exit_code, r.output) == (1, "Error: unknown flag: --nope\n")
    r = run("template", PARENT, "-Z")
    assert (r.exit_code, r.output) == (1, "Error: unknown shorthand flag: 'Z' in -Z\n")
    r = run("template", PARENT, "--set")
    assert (r.exit_code, r.output) == (1, "Error: flag needs an argument: --set\n")
    r = run("template")
    assert r.exit_code == 1
    assert r.output == (
        'Error: "helm template" requires at least 1 argument\n\n'
        "Usage:  helm template [NAME] [CHART] [flags]\n"
    )
    r = run("verison")
    assert r.exit_code == 1
    assert r.output == (
        'Error: unknown command "verison" for "helm"\n\nDid you mean this?\n\tversion\n\n'
        "Run 'helm --help' for usage.\n"
    )
    r = run("repo", "list", "-o", "xml")
    assert r.exit_code == 1 and "invalid format type 'xml'" in r.output


def test_repo_list_output_formats(tmp_path: Any) -> None:
    cfg = tmp_path / "repositories.yaml"
    cfg.write_text(
        "apiVersion: v1\nrepositories:\n- name: a\n  url: https://a.example.com\n"
        "- name: b\n  url: https://b.example.com/charts\n"
    )
    env = {"HELM_REPOSITORY_CONFIG": str(cfg)}
    assert json.loads(run("repo", "list", "-o", "json", env=env).output) == [
        {"name": "a", "url": "https://a.example.com"},
        {"name": "b", "url": "https://b.example.com/charts"},
    ]
    assert run("repo", "ls", "-o", "yaml", env=env).output == (
        "- name: a\n  url: https://a.example.com\n- name: b\n  url: https://b.example.com/charts\n"
    )
    table = run("repo", "list", env=env).output
    assert table.splitlines()[0].split() == ["NAME", "URL"]
    empty = {"HELM_REPOSITORY_CONFIG": str(tmp_path / "none.yaml")}
    assert run("repo", "list", "-o", "json", env=empty).output == "[]\n"
    r = run("repo", "list", env=empty)
    assert (r.exit_code, r.output) == (1, "Error: no repositories to show\n")
