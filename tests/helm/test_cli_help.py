"""`helm CMD --help`: cobra's layout -- Long (or Short when Helm sets no Long),
Usage with the command's Use line, Aliases, Flags, Global Flags."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from polystack.cli import main
from polystack.helm.cli.help_texts import LONG, USE

# Helm's usage lines (cobra's UseLine of each command's Use)
USAGE = {
    "create": "helm create NAME [flags]",
    "lint": "helm lint PATH [flags]",
    "package": "helm package [CHART_PATH] [...] [flags]",
    "pull": "helm pull [chart URL | repo/chartname] [...] [flags]",
    "push": "helm push [chart] [remote] [flags]",
    "verify": "helm verify PATH [flags]",
    "repo add": "helm repo add [NAME] [URL] [flags]",
    "repo index": "helm repo index [DIR] [flags]",
    "repo update": "helm repo update [REPO1 [REPO2 ...]] [flags]",
    "repo remove": "helm repo remove [REPO1 [REPO2 ...]] [flags]",
    "search repo": "helm search repo [keyword] [flags]",
    "registry login": "helm registry login [host] [flags]",
    "registry logout": "helm registry logout [host] [flags]",
    "dependency update": "helm dependency update CHART [flags]",
    "dependency build": "helm dependency build CHART [flags]",
    "dependency list": "helm dependency list CHART [flags]",
    "show all": "helm show all [CHART] [flags]",
    "show values": "helm show values [CHART] [flags]",
    "template": "helm template [NAME] [CHART] [flags]",
}


def _help(path: str) -> str:
    r = CliRunner().invoke(main, ["helm", *path.split(), "--help"])
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.parametrize("path", sorted(USAGE))
def test_usage_line_is_helms(path: str) -> None:
    out = _help(path)
    assert f"\nUsage:\n  {USAGE[path]}\n" in out


@pytest.mark.parametrize("path", sorted(LONG))
def test_long_description_comes_first(path: str) -> None:
    out = _help(path)
    assert out.startswith(LONG[path].rstrip() + "\n\nUsage:\n")
    assert "\nGlobal Flags:\n" in out


def test_a_command_without_long_prints_its_short_description() -> None:
    out = _help("repo list")
    assert out.startswith(
        "list chart repositories\n\nUsage:\n  helm repo list [flags]\n\nAliases:\n"
    )


def test_every_table_entry_names_a_command() -> None:
    for path in set(LONG) | set(USE):
        assert _help(path)


def test_root_help_lists_helms_environment_variables() -> None:
    out = CliRunner().invoke(main, ["helm", "--help"]).output
    names = [line.split("|")[1].strip() for line in out.splitlines() if line.startswith("| $")]
    assert names[:6] == [
        "$HELM_CACHE_HOME",
        "$HELM_CONFIG_HOME",
        "$HELM_DATA_HOME",
        "$HELM_DEBUG",
        "$HELM_DRIVER",
        "$HELM_DRIVER_SQL_CONNECTION_STRING",
    ]
    for name in ("$HELM_NO_PLUGINS", "$KUBECONFIG", "$HELM_BURST_LIMIT", "$NO_COLOR"):
        assert name in names
    widths = {len(line) for line in out.splitlines() if line.startswith("| $")}
    assert len(widths) == 1  # one table, every row as wide
