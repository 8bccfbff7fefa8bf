"""`helm template --enable-dns`: getHostByName resolves (Sprig's: net.LookupHost and
a random one of the addresses) instead of answering "". Only "localhost" is looked
up (no network here). Compared with real Helm's engine with EnableDNS through the
SDK's render options."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from click.testing import CliRunner

from polystack.helm.chart.chart import load
from polystack.helm.cli import helm_group
from polystack.helm.render import engine

TEMPLATE = 'host: {{ getHostByName "localhost" | quote }}\n'


@pytest.fixture
def dns_chart(tmp_path: Any) -> str:
    d = tmp_path / "dns"
    (d / "templates").mkdir(parents=True)
    (d / "Chart.yaml").write_text("apiVersion: v2\nname: dns\nversion: 0.1.0\n")
    (d / "templates" / "cm.yaml").write_text(TEMPLATE)
    (d / "templates" / "tpl.yaml").write_text(
        'tpl: {{ tpl "{{ getHostByName \\"localhost\\" }}" . }}\n'
    )
    return str(d)


def _localhost_addrs() -> set[str]:
    return {str(i[4][0]) for i in socket.getaddrinfo("localhost", None)}


def test_enable_dns(dns_chart: str) -> None:
    r = CliRunner().invoke(helm_group, ["template", dns_chart])
    assert r.exit_code == 0, r.output
    assert 'host: ""' in r.output and "tpl:\n" in r.output
    r = CliRunner().invoke(helm_group, ["template", dns_chart, "--enable-dns"])
    assert r.exit_code == 0, r.output
    lines = dict(line.split(": ", 1) for line in r.output.splitlines() if ": " in line)
    assert json.loads(lines["host"]) in _localhost_addrs()
    assert lines["tpl"] in _localhost_addrs()  # tpl clones the same function map


def test_enable_dns_matches_helm(helm_oracle: Any, dns_chart: str) -> None:
    chart = helm_oracle.Chart.load(dns_chart)  # keep the handle alive during the call
    theirs = json.loads(
        helm_oracle._native.call_string(
            "helm_render", chart._raw(), None, json.dumps({"enable_dns": True})
        )
    )
    ours = engine.Engine(enable_dns=True).render(load(dns_chart), _top(dns_chart))
    addrs = _localhost_addrs()
    assert json.loads(theirs["dns/templates/cm.yaml"][len("host: ") :]) in addrs
    assert json.loads(ours["dns/templates/cm.yaml"][len("host: ") :]) in addrs
    if len(addrs) == 1:  # one address: both pick it
        assert ours["dns/templates/cm.yaml"] == theirs["dns/templates/cm.yaml"]
    # without EnableDNS both answer ""
    plain = engine.Engine().render(load(dns_chart), _top(dns_chart))
    assert (
        plain["dns/templates/cm.yaml"]
        == helm_oracle.Chart.load(dns_chart).render()["dns/templates/cm.yaml"]
    )


def _top(path: str) -> dict[str, Any]:
    from polystack.helm.chart import values
    from polystack.helm.funcs.helm import Capabilities

    ch = load(path)
    opts = values.ReleaseOptions(name="release-name", namespace="default", is_install=True)
    return values.to_render_values(ch, {}, opts, Capabilities())


def test_enable_dns_is_a_template_flag(dns_chart: str) -> None:
    r = CliRunner().invoke(helm_group, ["lint", dns_chart, "--enable-dns"])
    assert r.exit_code == 1  # helm lint has no --enable-dns
    assert r.output == "Error: unknown flag: --enable-dns\n"
    assert "--enable-dns" in CliRunner().invoke(helm_group, ["template", "--help"]).output
