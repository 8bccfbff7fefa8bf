"""Release names: `helm template --name-template/--generate-name` and Go's
os.ExpandEnv (the cases follow pkg/action/install.go NameAndChart, its tests in
install_test.go TestNameAndChart/TestNameTemplate, and os/env_test.go)."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import pytest
from click.testing import CliRunner

from polystack.helm.cli import helm_group
from polystack.helm.render.naming import expand_env, name_and_chart, template_name

from .conftest import CHARTS_DIR

PARENT = os.path.join(CHARTS_DIR, "parent")


def run(*args: str) -> Any:
    return CliRunner().invoke(helm_group, list(args), catch_exceptions=False)


def test_name_and_chart_rules() -> None:
    # two arguments: the name is given, and neither flag may be set
    assert name_and_chart(["rel", "chart"], "", "", False) == ("rel", "chart")
    with pytest.raises(ValueError, match="^cannot set --generate-name and also specify a name$"):
        name_and_chart(["rel", "chart"], "", "", True)
    with pytest.raises(ValueError, match="^cannot set --name-template and also specify a name$"):
        name_and_chart(["rel", "chart"], "", "x", False)
    with pytest.raises(
        ValueError, match="^expected at most two arguments, unexpected arguments: c, d$"
    ):
        name_and_chart(["a", "b", "c", "d"], "", "", False)
    # one argument: name template, then the preset release name, then --generate-name
    assert name_and_chart(["chart"], "release-name", '{{ print "a" "b" }}', False) == (
        "ab",
        "chart",
    )
    assert name_and_chart(["chart"], "release-name", "", True) == ("release-name", "chart")
    with pytest.raises(ValueError, match="^must either provide a name or specify --generate-name$"):
        name_and_chart(["chart"], "", "", False)


def test_generate_name_uses_the_chart_base_name_and_the_time() -> None:
    before = int(time.time())
    name, chart = name_and_chart(["./charts/my.chart-1.0.tgz"], "", "", True)
    assert chart == "./charts/my.chart-1.0.tgz"
    m = re.fullmatch(r"my-(\d+)", name)
    assert m and before <= int(m.group(1)) <= int(time.time())
    for ref in (".", "", "./"):
        assert name_and_chart([ref], "", "", True)[0].startswith("chart-")


def test_template_name_renders_with_sprig_and_no_data(monkeypatch: pytest.MonkeyPatch) -> None:
    assert template_name("") == ""
    assert template_name('{{ "Foo" | lower }}-{{ add 1 2 }}') == "foo-3"
    assert template_name("{{ . }}") == "<no value>"  # Execute(&b, nil)
    monkeypatch.setenv("PS_NAME", "from-env")
    # sprig.TxtFuncMap has env/expandenv (Helm's chart engine does not)
    assert template_name('{{ env "PS_NAME" }}') == "from-env"
    assert template_name('{{ expandenv "x-${PS_NAME}" }}') == "x-from-env"


def test_expand_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # os/env_test.go expandTests, through the real environment: the special
    # variables ($*, $$, $#, $1 ...) are unset there, so they expand to ""
    monkeypatch.setenv("HOME", "/usr/gopher")
    monkeypatch.setenv("H", "(Value of H)")
    monkeypatch.delenv("UNSET_VAR_XYZ", raising=False)
    cases = {
        "": "",
        "$*": "",
        "$$": "",
        "$": "$",
        "$HOME": "/usr/gopher",
        "${HOME}": "/usr/gopher",
        "${H}OME": "(Value of H)OME",
        "A$$$#$1$H$home_1*B": "A(Value of H)*B",
        "start$+middle$^end$": "start$+middle$^end$",
        "mixed$|bag$$$": "mixed$|bag$",
        "$}": "$}",
        "${": "",
        "${}": "",
        "$UNSET_VAR_XYZ.": ".",
        "abc": "abc",
    }
    for src, want in cases.items():
        assert expand_env(src) == want, src


def test_cli_name_template_and_generate_name() -> None:
    r = run("template", PARENT, "--name-template", '{{ "Web" | lower }}-{{ "x" | repeat 2 }}')
    assert r.exit_code == 0, r.output
    assert "name: web-xx-parent\n" in r.output
    # --generate-name with one argument: `helm template` presets the name "release-name"
    r = run("template", PARENT, "-g")
    assert r.exit_code == 0, r.output
    assert "name: release-name-parent\n" in r.output
    r = run("template", "rel", PARENT, "--generate-name")
    assert r.exit_code == 1
    assert r.output == "Error: cannot set --generate-name and also specify a name\n"
    r = run("template", PARENT, "--name-template", "{{ nope }}")
    assert r.output == 'Error: template: name-template:1: function "nope" not defined\n'
    r = run("template", PARENT, "--name-template", "{{ . }}")
    assert r.output.startswith('Error: release name "<no value>": invalid release name')


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("rel", True),
        ("a.b-c.d0", True),
        ("0", True),
        ("a" * 53, True),
        ("a" * 54, False),
        ("-a", False),
        ("a-", False),
        ("a..b", False),
        (".a", False),
        ("a.", False),
        ("Rel", False),
        ("a_b", False),
        ("rel\n", False),  # Go's $ is the end of the text; Python's also matches before "\n"
        ("r\u00e9l", False),
    ],
)
def test_release_name_rule_is_helms_regex(name: str, ok: bool) -> None:
    from polystack.helm.action.template import validate_release_name

    go_regex = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
    assert (go_regex.fullmatch(name) is not None and len(name) <= 53) == ok
    assert (validate_release_name(name) is None) == ok
