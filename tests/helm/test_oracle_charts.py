"""Golden charts rendered by polystack and by real Helm 4 (helm-python-sdk),
compared template by template; charts that must fail must fail with the same
error text."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from polystack.helm import render_chart
from polystack.helm.chart import strvals

from .conftest import CHARTS_DIR

GOOD = ["parent"]
BAD = [
    "fail-required",
    "fail-fail",
    "fail-schema",
    "include-recursion",
    "fail-nilpointer",
    "fail-parse",
]

VALUE_SETS: list[tuple[str, str]] = [
    ("defaults", ""),
    ("overrides", "replicaCount=5,image.tag=1.25,global.env=staging,sub1.greeting=hi there"),
    ("disable-sub1", "sub1.enabled=false,tags.backend=false"),
    ("tags", "tags.frontend=false,tags.backend=false,third.enabled=true"),
    ("null-deletes", "sub1.removed=null,image.pullPolicy=null,config.b=null"),
    ("lists", "list={x,y},resources.limits.cpu=100m,second.size=7"),
]


def _user_values(spec: str) -> dict[str, Any]:
    return strvals.parse(spec) if spec else {}


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, int) and not isinstance(v, bool):
        return int(v)
    return v


def _ours(path: str, vals: dict[str, Any], **kw: Any) -> tuple[str, Any]:
    try:
        return "ok", render_chart(path, vals, **kw)
    except Exception as e:  # noqa: BLE001 - compared with Helm's error text
        return "err", str(e)


def _theirs(helm: Any, path: str, vals: dict[str, Any], **kw: Any) -> tuple[str, Any]:
    try:
        return "ok", helm.Chart.load(path).render(values=_plain(vals), **kw)
    except helm.HelmError as e:
        return "err", str(e)


def _compare(ours: tuple[str, Any], theirs: tuple[str, Any]) -> None:
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "err":
        assert ours[1] == theirs[1]
        return
    assert sorted(ours[1]) == sorted(theirs[1])
    for name in sorted(theirs[1]):
        assert ours[1][name] == theirs[1][name], name


@pytest.mark.parametrize("chart", GOOD)
@pytest.mark.parametrize(("label", "spec"), VALUE_SETS)
def test_golden_chart(helm_oracle: Any, chart: str, label: str, spec: str) -> None:
    path = os.path.join(CHARTS_DIR, chart)
    vals = _user_values(spec)
    _compare(
        _ours(path, vals, name="golden", namespace="ns1"),
        _theirs(helm_oracle, path, vals, name="golden", namespace="ns1"),
    )


def test_golden_chart_upgrade(helm_oracle: Any) -> None:
    path = os.path.join(CHARTS_DIR, "parent")
    _compare(
        _ours(path, {}, name="up", is_upgrade=True),
        _theirs(helm_oracle, path, {}, name="up", is_upgrade=True, is_install=False),
    )


@pytest.mark.parametrize("chart", BAD)
def test_failing_chart(helm_oracle: Any, chart: str) -> None:
    path = os.path.join(CHARTS_DIR, chart)
    ours, theirs = _ours(path, {}, name="rel"), _theirs(helm_oracle, path, {}, name="rel")
    assert theirs[0] == "err"
    _compare(ours, theirs)


def test_required_satisfied(helm_oracle: Any) -> None:
    path = os.path.join(CHARTS_DIR, "fail-required")
    vals = {"database": {"host": "db.local"}}
    _compare(_ours(path, vals, name="rel"), _theirs(helm_oracle, path, vals, name="rel"))


def test_schema_satisfied(helm_oracle: Any) -> None:
    path = os.path.join(CHARTS_DIR, "fail-schema")
    vals = {"port": 80.0, "sub": {"size": 2.0}}
    _compare(_ours(path, vals, name="rel"), _theirs(helm_oracle, path, vals, name="rel"))


def test_packaged_subchart(helm_oracle: Any, tmp_path: Any) -> None:
    """A subchart shipped as a .tgz in charts/ renders like the directory."""
    from polystack.helm.chart.archive import save
    from polystack.helm.chart.chart import load

    dst = tmp_path / "parent"
    shutil.copytree(os.path.join(CHARTS_DIR, "parent"), dst)
    sub = load(str(dst / "charts" / "sub2"))
    save(sub, str(dst / "charts"))
    shutil.rmtree(dst / "charts" / "sub2")
    assert (dst / "charts" / "sub2-0.2.0.tgz").exists()
    _compare(_ours(str(dst), {}, name="rel"), _theirs(helm_oracle, str(dst), {}, name="rel"))


def test_our_archive_loads_in_helm(helm_oracle: Any, tmp_path: Any) -> None:
    """A chart packaged by polystack is loaded and rendered by real Helm."""
    from polystack.helm.action.package import package

    out = package(os.path.join(CHARTS_DIR, "parent"), str(tmp_path))
    assert os.path.basename(out) == "parent-1.2.3.tgz"
    theirs = _theirs(helm_oracle, out, {}, name="rel")
    ours = _ours(out, {}, name="rel")
    _compare(ours, theirs)
    _compare(ours, _ours(os.path.join(CHARTS_DIR, "parent"), {}, name="rel"))


_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"


def _our_release(path: str, vals: dict[str, Any], name: str, namespace: str) -> tuple[str, str]:
    from polystack.helm.chart import chart as chartmod
    from polystack.helm.chart import values
    from polystack.helm.funcs.helm import Capabilities
    from polystack.helm.render import release

    ch = chartmod.load(path)
    caps = Capabilities()
    values.process_dependencies(ch, vals)
    top = values.to_render_values(
        ch, vals, values.ReleaseOptions(name=name, namespace=namespace), caps
    )
    rel = release.render_resources(ch, top, caps)
    return rel.manifest, rel.notes


@pytest.mark.parametrize(("label", "spec"), VALUE_SETS[:3])
def test_release_manifest_matches_install_dry_run(helm_oracle: Any, label: str, spec: str) -> None:
    """rel.Manifest (what `helm template` prints before hooks) and the NOTES."""
    path = os.path.join(CHARTS_DIR, "parent")
    vals = _user_values(spec)
    cfg = helm_oracle.Config(
        namespace="ns1", storage_driver="memory", kubeconfig_content=_KUBECONFIG
    )
    try:
        theirs = cfg.install(path, "rel", _plain(vals), dry_run="client")
    finally:
        cfg.close()
    manifest, notes = _our_release(path, vals, "rel", "ns1")
    assert manifest == theirs["manifest"]
    assert notes == theirs["notes"]
