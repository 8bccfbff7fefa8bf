"""`helm completion SHELL` and cobra's `helm __complete` protocol."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from polystack.helm.cli import helm_group


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(helm_group, list(args), env=env, catch_exceptions=False)


def lines(*args: str, env: dict[str, str] | None = None) -> list[str]:
    r = run(*args, env=env)
    assert r.exit_code == 0, r.output
    return r.stdout.splitlines()


def test_subcommands_with_descriptions_and_the_directive() -> None:
    r = run("__complete", "re")
    assert r.stdout == "registry\tlogin to or logout from a registry\n" + (
        "repo\tadd, list, remove, update, and index chart repositories\n:4\n"
    )
    assert r.stderr == "Completion ended with directive: ShellCompDirectiveNoFileComp\n"
    assert lines("__completeNoDesc", "repo", "") == [
        "add",
        "index",
        "list",
        "remove",
        "update",
        ":4",
    ]
    top = lines("__complete", "")
    assert "template\tlocally render templates" in top and top[-1] == ":4"
    assert not any(x.startswith("__") for x in top)


def test_flags_local_and_global() -> None:
    assert lines("__complete", "template", "--na") == [
        "--name-template\tspecify template used to name the release",
        "--namespace\tnamespace scope for this request",
        ":4",
    ]
    out = lines("__completeNoDesc", "lint", "-")
    assert "--strict" in out and "-n" in out and "--help" in out and "-h" in out


def test_arguments() -> None:
    assert lines("__complete", "completion", "") == ["bash", "fish", "zsh", ":4"]
    # a flag's value and a chart argument: the shell completes file names
    assert lines("__complete", "template", "-n", "") == [":0"]
    assert lines("__complete", "template", "rel", "") == [":0"]
    # aliases lead to the command (`dep` = dependency, `repo ls` = repo list)
    assert lines("__complete", "dep", "") == [
        "build\trebuild the charts/ directory based on the Chart.lock file",
        "list\tlist the dependencies for the given chart",
        "update\tupdate charts/ based on the contents of Chart.yaml",
        ":4",
    ]


def test_repository_names(tmp_path: Path) -> None:
    cfg = tmp_path / "repositories.yaml"
    cfg.write_text(
        "apiVersion: v1\nrepositories:\n- name: bitnami\n  url: https://a.example\n"
        "- name: stable\n  url: https://b.example\n"
    )
    env = {"HELM_REPOSITORY_CONFIG": str(cfg)}
    assert lines("__complete", "repo", "remove", "", env=env) == ["bitnami", "stable", ":4"]
    assert lines("__complete", "repo", "update", "st", env=env) == ["stable", ":4"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_scripts_use_the_protocol(shell: str) -> None:
    out = run("completion", shell).output
    assert " __complete " in out and "__completeNoDesc" not in out
    nodesc = run("completion", shell, "--no-descriptions").output
    assert " __completeNoDesc " in nodesc
    program = shutil.which(shell)
    if program is not None:  # the shell's own syntax check
        r = subprocess.run([program, "-n"], input=out, text=True, capture_output=True)
        assert r.returncode == 0, r.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_script_completes_words(tmp_path: Path) -> None:
    script = run("completion", "bash").output
    (tmp_path / "helm.bash").write_text(script)
    driver = f"""
helm() {{ {sys.executable} -m polystack.cli helm "$@"; }}
source {tmp_path / "helm.bash"}
COMP_WORDS=(helm repo u); COMP_CWORD=2; __helm_complete_words; echo "1[${{COMPREPLY[*]}}]"
COMP_WORDS=(helm template --names); COMP_CWORD=2; __helm_complete_words
echo "2[${{COMPREPLY[*]}}]"
COMP_WORDS=(helm completion ""); COMP_CWORD=2; __helm_complete_words; echo "3[${{COMPREPLY[*]}}]"
complete -p helm
"""
    r = subprocess.run(
        ["bash", "-c", driver], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    assert r.stdout.splitlines() == [
        "1[update]",
        "2[--namespace]",
        "3[bash fish zsh]",
        "complete -o default -F __helm_complete_words helm",
    ], r.stderr
