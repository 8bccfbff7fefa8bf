"""Charts in OCI registries: `push`, `pull oci://` (--version constraints,
--untar, -d), `template`/`show` from oci://, `dependency update|build` with an
`oci://` repository, `registry login|logout`, Basic auth and the Bearer token
flow, HTTPS with --ca-file. The registry is tests/helm/oci_registry.py on
127.0.0.1 port 0. Manifests, config blobs and error texts are compared with
real Helm 4.2's (helm-python-sdk's RegistryClient) where the SDK exposes the
flow, and each side pulls what the other pushed."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tarfile
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from polystack.helm.action.package import package
from polystack.helm.cli import helm_group
from polystack.helm.remote.oci import RegistryOptions, push

from .gpg_keys import PLAIN_UID, GpgKeys
from .oci_registry import Registry, serve_registry
from .tls_server import PKI

CHART_YAML = """apiVersion: v2
name: {name}
version: {version}
description: A <demo> & chart
home: https://example.com/home
sources: [https://example.com/src]
maintainers:
  - name: Ann
    email: ann@example.com
annotations:
  zeta: "1"
  org.opencontainers.image.title: ignored
"""
CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
data:
  version: {{ .Chart.Version | quote }}
  who: {{ .Values.who | quote }}
"""


def run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(helm_group, list(args), input=input, catch_exceptions=False)


@pytest.fixture(autouse=True)
def helm_home(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("HELM_REPOSITORY_CONFIG", str(tmp_path / "cfg" / "repositories.yaml"))
    monkeypatch.setenv("HELM_REPOSITORY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HELM_REGISTRY_CONFIG", str(tmp_path / "cfg" / "registry.json"))


def make_chart(root: Any, name: str = "demo", version: str = "0.1.0") -> str:
    """A packaged chart NAME-VERSION.tgz in root/dist; returns its path."""
    src = root / f"src-{name}-{version}"
    (src / "templates").mkdir(parents=True, exist_ok=True)
    (src / "Chart.yaml").write_text(CHART_YAML.format(name=name, version=version))
    (src / "values.yaml").write_text("who: world\n")
    (src / "templates" / "cm.yaml").write_text(CM)
    (root / "dist").mkdir(exist_ok=True)
    return package(str(src), str(root / "dist"))


@pytest.fixture
def registry() -> Iterator[Registry]:
    with serve_registry() as reg:
        yield reg


def _no_digest(text: str) -> str:
    return re.sub(r"sha256:[0-9a-f]{64}", "sha256:...", text)


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


# ---------------------------------------------------------------- push / pull


def test_push_then_pull_is_byte_identical(registry: Registry, tmp_path: Any) -> None:
    tgz = make_chart(tmp_path)
    r = run("push", tgz, f"oci://{registry.host}/charts", "--plain-http")
    assert r.exit_code == 0, r.output
    digest = r.output.splitlines()[1].removeprefix("Digest: ")
    assert r.output == f"Pushed: {registry.host}/charts/demo:0.1.0\nDigest: {digest}\n"
    m = registry.manifest("charts/demo", "0.1.0")
    assert registry.manifest("charts/demo", digest) == m
    assert m["config"]["mediaType"] == "application/vnd.cncf.helm.config.v1+json"
    assert [x["mediaType"] for x in m["layers"]] == [
        "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
    ]
    assert "mediaType" not in m  # Helm's manifests carry none
    ann = m["annotations"]
    assert ann["org.opencontainers.image.title"] == "demo"  # the chart's own cannot replace it
    assert ann["org.opencontainers.image.authors"] == "Ann (ann@example.com)"
    assert ann["org.opencontainers.image.url"] == "https://example.com/home"
    assert ann["zeta"] == "1"
    config = registry.blobs[m["config"]["digest"]]
    assert config.startswith(b'{"name":"demo","home":"https://example.com/home","sources":')
    assert b"\\u003cdemo\\u003e \\u0026 chart" in config  # Go's HTML escaping

    dest = tmp_path / "out"
    r = run("pull", f"oci://{registry.host}/charts/demo", "--plain-http", "-d", str(dest))
    assert r.exit_code == 0, r.output
    assert r.output == f"Pulled: {registry.host}/charts/demo:0.1.0\nDigest: {digest}\n"
    assert _read(str(dest / "demo-0.1.0.tgz")) == _read(tgz)


def test_pull_versions_untar_and_underscore_tags(registry: Registry, tmp_path: Any) -> None:
    remote = f"oci://{registry.host}/charts"
    for v in ("0.2.0", "0.10.0", "1.0.0-rc.1", "0.9.0+build.7"):
        assert run("push", make_chart(tmp_path, version=v), remote, "--plain-http").exit_code == 0
    r = run("push", make_chart(tmp_path, version="0.9.1+meta"), remote, "--plain-http")
    assert "demo:0.9.1_meta contains an underscore." in r.output
    assert "a plus (+) when pulling from a registry." in r.output
    assert registry.tags("charts/demo") == [
        "0.10.0", "0.2.0", "0.9.0_build.7", "0.9.1_meta", "1.0.0-rc.1"
    ]  # fmt: skip
    ref = f"{remote}/demo"
    dest = tmp_path / "d"
    # no --version: the newest stable tag; constraints pick among the tags
    assert "demo:0.10.0\n" in run("pull", ref, "--plain-http", "-d", str(dest)).output
    assert (
        "demo:0.9.1_meta\n"
        in run("pull", ref, "--plain-http", "-d", str(dest), "--version", "~0.9.0").output
    )
    assert (
        "demo:1.0.0-rc.1\n" in run("pull", ref, "--plain-http", "-d", str(dest), "--devel").output
    )
    assert sorted(os.listdir(dest)) == [
        "demo-0.10.0.tgz",
        "demo-0.9.1+meta.tgz",
        "demo-1.0.0-rc.1.tgz",
    ]
    # an exact version with + and a tag in the reference
    r = run("pull", ref, "--plain-http", "-d", str(dest), "--version", "0.9.0+build.7")
    assert "demo:0.9.0_build.7 contains an underscore." in r.output
    assert os.path.exists(dest / "demo-0.9.0+build.7.tgz")
    r = run("pull", ref + ":0.2.0", "--plain-http", "--untar", "-d", str(tmp_path / "u"))
    assert r.exit_code == 0, r.output
    assert "version: 0.2.0" in (tmp_path / "u" / "demo" / "Chart.yaml").read_text()
    r = run("pull", ref, "--plain-http", "--version", "^5", "-d", str(dest))
    assert r.output == "Error: could not locate a version matching provided version string ^5\n"
    r = run("pull", ref + ":0.2.0", "--plain-http", "--version", "0.3.0")
    assert r.output == "Error: chart reference and version mismatch: 0.2.0 is not 0.3.0\n"


def test_pull_errors_match_helm(registry: Registry, tmp_path: Any, helm_oracle: Any) -> None:
    assert (
        run("push", make_chart(tmp_path), f"oci://{registry.host}/c", "--plain-http").exit_code == 0
    )
    client = helm_oracle.RegistryClient(plain_http=True, credentials_file=str(tmp_path / "n.json"))
    cases = [
        (f"oci://{registry.host}/c/demo", "9.9.9"),
        (f"oci://{registry.host}/c/nope", None),
        (f"oci://{registry.host}/c/nope", "1.0.0"),
        (f"oci://{registry.host}/c/demo", "^5"),
    ]
    for ref, version in cases:
        with pytest.raises(helm_oracle.HelmError) as e:
            helm_oracle.registry.pull(
                ref, client=client, destination=str(tmp_path / "o"), version=version
            )
        args = ["pull", ref, "--plain-http", "-d", str(tmp_path / "p")]
        r = run(*args, *(["--version", version] if version else []))
        assert r.output == f"Error: {e.value}\n"
    r = run("push", make_chart(tmp_path), f"http://{registry.host}/c")
    assert r.output == 'Error: scheme prefix missing from remote (e.g. "oci://")\n'
    r = run("push", str(tmp_path / "missing.tgz"), f"oci://{registry.host}/c")
    assert r.output == f"Error: stat {tmp_path / 'missing.tgz'}: no such file or directory\n"


def test_template_and_show_from_oci(registry: Registry, tmp_path: Any) -> None:
    run("push", make_chart(tmp_path, version="1.2.0"), f"oci://{registry.host}/c", "--plain-http")
    ref = f"oci://{registry.host}/c/demo"
    r = run("template", "rel", ref, "--plain-http", "--set", "who=me")
    assert r.exit_code == 0, r.output
    assert "name: rel-demo\n" in r.output and 'who: "me"' in r.output
    assert 'version: "1.2.0"' in r.output
    r = run("show", "chart", ref, "--plain-http", "--version", "^1.0.0")
    assert r.output.startswith("annotations:\n") and "version: 1.2.0\n" in r.output
    r = run("show", "values", ref, "--plain-http")
    assert r.output == "who: world\n\n"
    # without --plain-http the client speaks TLS to a plain HTTP server
    r = run("show", "chart", ref)
    assert r.exit_code == 1
    assert r.output == (
        f'Error: Get "https://{registry.host}/v2/c/demo/tags/list":'
        " http: server gave HTTP response to HTTPS client\n"
    )


# ---------------------------------------------------------------- dependencies


def test_dependency_update_and_build_from_oci(registry: Registry, tmp_path: Any) -> None:
    remote = f"oci://{registry.host}/deps"
    for v in ("0.1.0", "0.1.5", "0.2.0"):
        run("push", make_chart(tmp_path, name="sub", version=v), remote, "--plain-http")
    parent = tmp_path / "parent"
    (parent / "templates").mkdir(parents=True)
    (parent / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n"
        f"  - name: sub\n    version: ~0.1.0\n    repository: {remote}\n"
    )
    r = run("dependency", "update", str(parent), "--plain-http")
    assert r.exit_code == 0, r.output
    assert (
        r.output
        == f"Saving 1 charts\nDownloading sub from repo {remote}\nDeleting outdated charts\n"
    )
    assert os.listdir(parent / "charts") == ["sub-0.1.5.tgz"]
    lock = (parent / "Chart.lock").read_text()
    assert f"- name: sub\n  repository: {remote}\n  version: 0.1.5\n" in lock
    os.remove(parent / "charts" / "sub-0.1.5.tgz")
    r = run("dependency", "build", str(parent), "--plain-http")
    assert r.exit_code == 0, r.output
    assert os.listdir(parent / "charts") == ["sub-0.1.5.tgz"]
    r = run("template", "rel", str(parent))
    assert "name: rel-sub" in r.output
    # no tag matches
    (parent / "Chart.yaml").write_text(
        (parent / "Chart.yaml").read_text().replace("~0.1.0", "^3.0.0")
    )
    r = run("dependency", "update", str(parent), "--plain-http")
    assert r.output.endswith(
        f'Error: can\'t get a valid version for 1 subchart(s): "sub" (repository "{remote}",'
        ' version "^3.0.0"). Make sure a matching chart version exists in the repo, or change'
        " the version constraint in Chart.yaml\n"
    )


# ---------------------------------------------------------------- login / auth


@pytest.mark.parametrize("token", [False, True], ids=["basic", "bearer"])
def test_login_push_pull_logout(token: bool, tmp_path: Any, helm_oracle: Any) -> None:
    cfg = tmp_path / "cfg" / "registry.json"
    with serve_registry(users={"user": "s3cret"}, token=token) as reg:
        host = reg.host
        tgz = make_chart(tmp_path)
        oracle = helm_oracle.RegistryClient(
            plain_http=True, credentials_file=str(tmp_path / "o.json")
        )
        # unauthenticated push and pull: Helm's texts
        with pytest.raises(helm_oracle.HelmError) as e:
            oracle.push(tgz, f"oci://{host}/c")
        r = run("push", tgz, f"oci://{host}/c", "--plain-http")
        # the manifest digest holds the creation time (seconds): compared apart from it
        assert _no_digest(r.output) == _no_digest(f"Error: {e.value}\n")
        # a wrong password
        with pytest.raises(helm_oracle.HelmError) as e:
            oracle.login(host, "user", "wrong", plain_http=True)
        r = run("registry", "login", host, "-u", "user", "-p", "wrong", "--plain-http")
        assert r.output == f"Error: {e.value}\n"
        assert not cfg.exists()
        r = run(
            "registry", "login", host, "-u", "user", "--password-stdin", "--plain-http",
            input="s3cret\n",
        )  # fmt: skip
        assert r.output == "Login Succeeded\n", r.output
        oracle.login(host, "user", "s3cret", plain_http=True)
        assert json.loads(cfg.read_text()) == json.loads((tmp_path / "o.json").read_text())
        assert cfg.read_text() == (tmp_path / "o.json").read_text()  # byte for byte
        assert (
            json.loads(cfg.read_text())["auths"][host]["auth"]
            == base64.b64encode(b"user:s3cret").decode()
        )
        assert oct(cfg.stat().st_mode & 0o777) == "0o600"
        r = run("push", tgz, f"oci://{host}/c", "--plain-http")
        assert r.exit_code == 0, r.output
        r = run("pull", f"oci://{host}/c/demo", "--plain-http", "-d", str(tmp_path / "p"))
        assert r.exit_code == 0, r.output
        assert _read(str(tmp_path / "p" / "demo-0.1.0.tgz")) == _read(tgz)
        scheme = "Bearer " if token else "Basic "
        assert any(a.startswith(scheme) for _, _, a in reg.requests)
        r = run("registry", "logout", host)
        assert r.output == f"Removing login credentials for {host}\n"
        assert json.loads(cfg.read_text()) == {"auths": {}}
        oracle_pull_err = None
        try:
            helm_oracle.registry.pull(
                f"oci://{host}/c/demo",
                client=helm_oracle.RegistryClient(plain_http=True, credentials_file=str(cfg)),
                destination=str(tmp_path / "x"),
                version="0.1.0",
            )
        except helm_oracle.HelmError as e2:
            oracle_pull_err = str(e2)
        r = run(
            "pull", f"oci://{host}/c/demo", "--plain-http", "--version", "0.1.0",
            "-d", str(tmp_path / "x"),
        )  # fmt: skip
        assert r.output == f"Error: {oracle_pull_err}\n"
        # credentials on the command line, with nothing stored
        r = run(
            "pull", f"oci://{host}/c/demo", "--plain-http", "-d", str(tmp_path / "y"),
            "--username", "user", "--password", "s3cret",
        )  # fmt: skip
        assert r.exit_code == 0, r.output


def test_login_keeps_other_config_keys(registry: Registry, tmp_path: Any) -> None:
    cfg = tmp_path / "cfg" / "registry.json"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('{"auths": {"other.example.com": {"auth": "eDp5"}}, "credsStore": ""}')
    assert (
        run("registry", "login", registry.host, "-u", "a", "-p", "b", "--plain-http").exit_code == 0
    )
    doc = json.loads(cfg.read_text())
    assert set(doc["auths"]) == {"other.example.com", registry.host}
    assert doc["credsStore"] == ""
    assert run("registry", "logout", f"oci://{registry.host}").exit_code == 0
    assert set(json.loads(cfg.read_text())["auths"]) == {"other.example.com"}


# ---------------------------------------------------------------- TLS


def test_https_registry_with_ca_file(tmp_path: Any) -> None:
    pki = PKI.create(str(tmp_path / "pki"))
    with serve_registry(cert=pki.issue("server")) as reg:
        tgz = make_chart(tmp_path)
        r = run("push", tgz, f"oci://{reg.host}/c")
        assert r.exit_code == 1
        assert (
            "tls: failed to verify certificate: x509: certificate signed by unknown authority"
            in r.output
        )
        r = run("push", tgz, f"oci://{reg.host}/c", "--ca-file", pki.ca_file)
        assert r.exit_code == 0, r.output
        r = run(
            "pull",
            f"oci://{reg.host}/c/demo",
            "--insecure-skip-tls-verify",
            "-d",
            str(tmp_path / "p"),
        )
        assert r.exit_code == 0, r.output
        r = run("show", "chart", f"oci://{reg.host}/c/demo", "--ca-file", pki.ca_file)
        assert "name: demo" in r.output


# ---------------------------------------------------------------- Helm interop


def test_interop_with_helm(registry: Registry, tmp_path: Any, helm_live: Any) -> None:
    """Helm pushes, we pull, and the other way round; for the same chart and
    creation time the manifests (and so the config blobs) are byte-identical,
    with a provenance layer too."""
    tgz = make_chart(tmp_path, version="2.0.0+b.1")
    with open(tgz + ".prov", "w") as fh:
        fh.write("not checked on push\n")
    client = helm_live.RegistryClient(plain_http=True, credentials_file=str(tmp_path / "o.json"))
    client.push(tgz, f"oci://{registry.host}/theirs")
    theirs = registry.manifests["theirs/demo"]["2.0.0_b.1"][1]
    created = json.loads(theirs)["annotations"]["org.opencontainers.image.created"]
    _, digest = push(tgz, f"oci://{registry.host}/ours", RegistryOptions(plain_http=True), created)
    ours = registry.manifests["ours/demo"]["2.0.0_b.1"][1]
    assert ours == theirs
    layers = json.loads(ours)["layers"]
    assert [x["digest"] for x in layers] == sorted(x["digest"] for x in layers)
    assert "application/vnd.cncf.helm.chart.provenance.v1.prov" in [x["mediaType"] for x in layers]
    # Helm pulls ours; we pull Helm's (with the .prov when asked)
    (tmp_path / "h").mkdir()
    helm_live.registry.pull(
        f"oci://{registry.host}/ours/demo", client=client, destination=str(tmp_path / "h"),
        version="2.0.0+b.1",
    )  # fmt: skip
    assert os.listdir(tmp_path / "h") == ["demo-2.0.0+b.1.tgz"]
    assert _read(str(tmp_path / "h" / "demo-2.0.0+b.1.tgz")) == _read(tgz)
    r = run(
        "pull", f"oci://{registry.host}/theirs/demo", "--plain-http", "--prov",
        "-d", str(tmp_path / "w"),
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert f"Digest: sha256:{hashlib.sha256(theirs).hexdigest()}\n" in r.output
    assert _read(str(tmp_path / "w" / "demo-2.0.0+b.1.tgz")) == _read(tgz)
    assert _read(str(tmp_path / "w" / "demo-2.0.0+b.1.tgz.prov")) == b"not checked on push\n"
    assert client.tags(f"oci://{registry.host}/ours/demo") == ["2.0.0+b.1"]
    assert digest.startswith("sha256:")
    with tarfile.open(str(tmp_path / "w" / "demo-2.0.0+b.1.tgz")) as tf:
        assert "demo/Chart.yaml" in tf.getnames()


# ---------------------------------------------------------------- provenance


def test_signed_chart_push_and_pull_verify(
    registry: Registry, tmp_path: Any, gpg_keys: GpgKeys
) -> None:
    src = tmp_path / "signed"
    make_chart(tmp_path)  # writes the chart sources
    os.rename(tmp_path / "src-demo-0.1.0", src)
    dist = tmp_path / "signed-dist"
    dist.mkdir()
    r = run(
        "package", str(src), "-d", str(dist), "--sign", "--key", "signer@example.com",
        "--keyring", gpg_keys.path("secring.gpg"),
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    tgz = str(dist / "demo-0.1.0.tgz")
    assert run("push", tgz, f"oci://{registry.host}/s", "--plain-http").exit_code == 0
    ref = f"oci://{registry.host}/s/demo"
    dest = tmp_path / "v"
    r = run("pull", ref, "--plain-http", "--verify", "--keyring", gpg_keys.path("pubring.gpg"),
            "-d", str(dest))  # fmt: skip
    assert r.exit_code == 0, r.output
    assert f"Signed by: {PLAIN_UID}\n" in r.output
    assert _read(str(dest / "demo-0.1.0.tgz.prov")) == _read(tgz + ".prov")
    r = run("template", "x", ref, "--plain-http", "--verify", "--keyring",
            gpg_keys.path("pubring.gpg"))  # fmt: skip
    assert r.exit_code == 0, r.output
    # an unsigned chart cannot be verified
    run("push", make_chart(tmp_path, version="0.2.0"), f"oci://{registry.host}/s", "--plain-http")
    r = run("pull", ref, "--plain-http", "--verify", "--version", "0.2.0", "-d", str(dest))
    assert r.output == (
        "Error: manifest does not contain a layer with mediatype"
        " application/vnd.cncf.helm.chart.provenance.v1.prov\n"
    )
