"""Chart downloads with credentials and TLS (getter.py, chartrepo.py, downloader.py):
`repo add` storing per-repository credentials, client certificate, CA bundle and
TLS flags; `repo update`, `pull`, `template`/`show` (`--repo` and `repo/chart`)
and `dependency update` using them; `repo remove`. The repositories are local
HTTPS servers (tests/helm/tls_server.py) on 127.0.0.1 port 0 that check basic
auth and client certificates. Error texts are compared with real Helm 4.2's
(helm-python-sdk's pull and index download) where the SDK exposes the flow."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from polystack.helm.action.package import package
from polystack.helm.cli import helm_group

from .conftest import CHARTS_DIR
from .tls_server import PKI, Server, serve

CHART = os.path.join(CHARTS_DIR, "fail-required")
AUTH = ("--username", "user", "--password", "s3cret")


def run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(helm_group, list(args), catch_exceptions=False, input=input)


@pytest.fixture(autouse=True)
def helm_home(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("HELM_REPOSITORY_CONFIG", str(tmp_path / "cfg" / "repositories.yaml"))
    monkeypatch.setenv("HELM_REPOSITORY_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def pki(tmp_path_factory: Any) -> PKI:
    return PKI.create(str(tmp_path_factory.mktemp("pki")))


@pytest.fixture(scope="module")
def server_cert(pki: PKI) -> tuple[str, str]:
    return pki.issue("server")


@pytest.fixture(scope="module")
def client_cert(pki: PKI) -> tuple[str, str]:
    return pki.issue("client", server=False)


def _www(tmp_path: Any, name: str = "www") -> str:
    root = tmp_path / name
    root.mkdir()
    package(CHART, str(root))
    return str(root)


def _index(root: str, url: str) -> None:
    assert run("repo", "index", root, "--url", url).exit_code == 0


@pytest.fixture
def secure_repo(tmp_path: Any, server_cert: tuple[str, str]) -> Iterator[Server]:
    """HTTPS with basic auth user/s3cret."""
    root = _www(tmp_path)
    with serve(root, cert=server_cert, auth="user:s3cret") as s:
        _index(root, s.url)
        yield s


def _oracle_pull(oracle: Any, ref: str, dest: str, **opts: Any) -> str:
    """helm_pull through the SDK's C ABI, which takes the ca_file, cert_file,
    key_file and pass_credentials_all options its Python wrapper does not expose.
    Returns "ok" or Helm's error text."""
    os.makedirs(dest, exist_ok=True)
    opts["dest_dir"] = dest
    try:
        oracle._native.call_string(
            "helm_pull", oracle.registry._client_handle(None), ref, json.dumps(opts)
        )
    except oracle.HelmError as e:
        return str(e)
    return "ok"


# ---------------------------------------------------------------- repo add


def test_repo_add_tls_and_auth_errors_match_helm(
    helm_oracle: Any, secure_repo: Server, pki: PKI
) -> None:
    url = secure_repo.url
    looks = f'Error: looks like "{url}" is not a valid chart repository or cannot be reached: '
    # the server's CA is not trusted: Go's x509 text inside Helm's wording
    r = run("repo", "add", "sec", url)
    assert r.exit_code == 1
    with pytest.raises(helm_oracle.HelmRepoError) as theirs:
        helm_oracle.repo_index(url)
    assert r.output == looks + str(theirs.value) + "\n"
    assert r.output.endswith(
        "tls: failed to verify certificate: x509: certificate signed by unknown authority\n"
    )
    # trusted, but no or wrong credentials: 401 from the server
    r = run("repo", "add", "sec", url, "--ca-file", pki.ca_file)
    with pytest.raises(helm_oracle.HelmRepoError) as theirs:
        helm_oracle.repo_index(url, insecure_skip_tls_verify=True)
    assert r.output == looks + str(theirs.value) + "\n"
    assert r.output == looks + f"failed to fetch {url}/index.yaml : 401 Unauthorized\n"
    r = run("repo", "add", "sec", url, "--ca-file", pki.ca_file, "--username", "user",
            "--password", "nope")  # fmt: skip
    assert r.output == looks + f"failed to fetch {url}/index.yaml : 401 Unauthorized\n"
    assert not os.path.exists(os.environ["HELM_REPOSITORY_CONFIG"])


def test_repo_add_stores_credentials_and_tls_files(secure_repo: Server, pki: PKI) -> None:
    url = secure_repo.url
    r = run("repo", "add", "sec", url, "--ca-file", pki.ca_file, *AUTH, "--pass-credentials")
    assert r.output == '"sec" has been added to your repositories\n'
    cfg = os.environ["HELM_REPOSITORY_CONFIG"]
    with open(cfg) as fh:
        assert fh.read() == (
            'apiVersion: ""\ngenerated: "0001-01-01T00:00:00Z"\nrepositories:\n'
            f"- caFile: {pki.ca_file}\n"
            '  certFile: ""\n  insecure_skip_tls_verify: false\n  keyFile: ""\n  name: sec\n'
            f"  pass_credentials_all: true\n  password: s3cret\n  url: {url}\n  username: user\n"
        )
    assert stat.S_IMODE(os.stat(cfg).st_mode) == 0o600  # File.WriteFile(path, 0600)
    assert ("/index.yaml", "Basic dXNlcjpzM2NyZXQ=") in secure_repo.seen
    # the same configuration again is a no-op; a different one needs --force-update
    r = run("repo", "add", "sec", url, "--ca-file", pki.ca_file, *AUTH, "--pass-credentials")
    assert r.output == '"sec" already exists with the same configuration, skipping\n'
    r = run("repo", "add", "sec", url, "--ca-file", pki.ca_file, *AUTH)
    assert r.output == (
        "Error: repository name (sec) already exists, please specify a different name\n"
    )
    r = run("repo", "add", "sec", url, "--ca-file", pki.ca_file, *AUTH, "--force-update")
    assert r.exit_code == 0, r.output
    with open(cfg) as fh:
        assert "pass_credentials_all: false" in fh.read()
    # repo update fetches with the stored credentials and CA
    r = run("repo", "update")
    assert '...Successfully got an update from the "sec" chart repository\n' in r.output


def test_repo_add_password_sources(secure_repo: Server, pki: PKI) -> None:
    url = secure_repo.url
    # --password-stdin: stdin less one trailing newline
    r = run("repo", "add", "sec", url, "--ca-file", pki.ca_file, "--username", "user",
            "--password-stdin", input="s3cret\r\n")  # fmt: skip
    assert r.output == '"sec" has been added to your repositories\n'
    # a username without a password prompts on a terminal; without one, term.ReadPassword fails
    r = run("repo", "add", "other", url, "--ca-file", pki.ca_file, "--username", "user")
    assert r.exit_code == 1
    assert r.output == "Password: \nError: inappropriate ioctl for device\n"


def test_repo_add_checks(secure_repo: Server) -> None:
    r = run("repo", "add", "a/b", secure_repo.url)
    assert r.output == (
        "Error: repository name (a/b) contains '/', please specify a different name without '/'\n"
    )
    stable = "https://kubernetes-charts.storage.googleapis.com"
    r = run("repo", "add", "stable", stable)
    assert r.output == (
        f'Error: repo "{stable}" is no longer available; try "https://charts.helm.sh/stable"'
        " instead\n"
    )
    r = run("repo", "add", "x", secure_repo.url, "--timeout", "10")
    assert r.output == (
        'Error: invalid argument "10" for "--timeout" flag: time: missing unit in duration "10"\n'
    )
    r = run("repo", "add", "only-name")
    assert r.output == (
        'Error: "helm repo add" requires 2 arguments\n\nUsage:  helm repo add [NAME] [URL] [flags]\n'
    )
    # --insecure-skip-tls-verify: no CA needed
    r = run("repo", "add", "x", secure_repo.url, "--insecure-skip-tls-verify", *AUTH)
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------- pull, template, show


def test_pull_with_stored_and_flag_credentials(
    helm_oracle: Any, secure_repo: Server, pki: PKI, tmp_path: Any
) -> None:
    url = secure_repo.url
    assert run("repo", "add", "sec", url, "--ca-file", pki.ca_file, *AUTH).exit_code == 0
    dest = tmp_path / "dl"
    r = run("pull", "sec/fail-required", "-d", str(dest))
    assert r.exit_code == 0, r.output
    assert os.listdir(dest) == ["fail-required-0.1.0.tgz"]
    assert ("/fail-required-0.1.0.tgz", "Basic dXNlcjpzM2NyZXQ=") in secure_repo.seen
    # a chart URL: the flags' credentials and CA
    churl = f"{url}/fail-required-0.1.0.tgz"
    r = run("pull", churl, "-d", str(tmp_path / "u"), "--ca-file", pki.ca_file, *AUTH)
    assert r.exit_code == 0, r.output
    # --repo: the same errors as Helm's pull
    not_a_ca = pki.issue("k")[1]
    other_cert = pki.issue("c", server=False)[0]
    for extra, opts in (
        ((), {}),
        (("--ca-file", pki.ca_file), {"ca_file": pki.ca_file}),
        (("--ca-file", pki.ca_file, "--username", "user", "--password", "x"),
         {"ca_file": pki.ca_file, "username": "user", "password": "x"}),
        (("--ca-file", "/nonexistent/ca.crt"), {"ca_file": "/nonexistent/ca.crt"}),
        (("--ca-file", not_a_ca), {"ca_file": not_a_ca}),
        (("--ca-file", pki.ca_file, "--cert-file", other_cert, "--key-file", not_a_ca),
         {"ca_file": pki.ca_file, "cert_file": other_cert, "key_file": not_a_ca}),
    ):  # fmt: skip
        ours = run("pull", "fail-required", "--repo", url, "-d", str(tmp_path / "e"), *extra)
        theirs = _oracle_pull(helm_oracle, "fail-required", str(tmp_path / "o"), repo_url=url,
                              **opts)  # fmt: skip
        assert ours.output == f"Error: {theirs}\n", extra
    r = run("pull", "fail-required", "--repo", url, "--ca-file", "/nonexistent/ca.crt")
    assert r.output == (
        f'Error: looks like "{url}" is not a valid chart repository or cannot be reached: can\'t'
        ' create TLS config for client: can\'t read CA file: "/nonexistent/ca.crt": open'
        " /nonexistent/ca.crt: no such file or directory\n"
    )
    r = run("pull", "fail-required", "--repo", url, "--ca-file", pki.ca_file, "--cert-file",
            other_cert, "--key-file", not_a_ca)  # fmt: skip
    assert r.output.endswith(
        "can't create TLS config for client: unable to load cert from key pair: tls: private key"
        " does not match public key\n"
    )


def test_pull_template_show_with_repo_flag(secure_repo: Server, pki: PKI, tmp_path: Any) -> None:
    url = secure_repo.url
    tls = ("--ca-file", pki.ca_file)
    r = run("pull", "fail-required", "--repo", url, *tls, *AUTH, "-d", str(tmp_path / "p"),
            "--untar")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert os.path.exists(tmp_path / "p" / "fail-required" / "Chart.yaml")
    r = run("template", "fail-required", "--repo", url, *tls, *AUTH, "--set", "database.host=db")
    assert r.exit_code == 0, r.output
    assert "host: db" in r.output
    r = run("show", "chart", "fail-required", "--repo", url, *tls, *AUTH)
    assert r.output.startswith("apiVersion: v2\n")
    r = run("show", "values", "fail-required", "--repo", url, "--insecure-skip-tls-verify",
            *AUTH, "--jsonpath", "{.database}")  # fmt: skip
    assert r.output == '{"host":""}'
    # the repository's insecure_skip_tls_verify does not reach chart downloads of
    # `repo/chart` (ResolveChartVersion takes its TLS files and credentials only)
    assert run("repo", "add", "ins", url, "--insecure-skip-tls-verify", *AUTH).exit_code == 0
    r = run("template", "ins/fail-required")
    assert r.output == (
        f'Error: Get "{url}/fail-required-0.1.0.tgz": tls: failed to verify certificate: x509:'
        " certificate signed by unknown authority\n"
    )
    r = run("template", "ins/fail-required", "--insecure-skip-tls-verify", "--set",
            "database.host=x")  # fmt: skip
    assert r.exit_code == 0, r.output


def test_mutual_tls(
    helm_oracle: Any,
    tmp_path: Any,
    pki: PKI,
    server_cert: tuple[str, str],
    client_cert: tuple[str, str],
) -> None:
    root = _www(tmp_path)
    with serve(root, cert=server_cert, client_ca=pki.ca_file) as s:
        _index(root, s.url)
        mtls = ("--cert-file", client_cert[0], "--key-file", client_cert[1])
        churl = f"{s.url}/fail-required-0.1.0.tgz"
        r = run("pull", churl, "--ca-file", pki.ca_file, "-d", str(tmp_path / "a"))
        theirs = _oracle_pull(helm_oracle, churl, str(tmp_path / "o"), ca_file=pki.ca_file)
        # TLS 1.3: the server's "certificate required" alert comes after the
        # client's handshake is done, and a client may read the server's close
        # first -- Go and Python alike (Go may also add its transport's racy
        # "readLoopPeekFailLocked: " prefix). Both outcomes are the same failure.
        same = {
            f'Get "{churl}": remote error: tls: certificate required',
            f'Get "{churl}": EOF',
        }
        assert r.exit_code == 1
        assert r.output[len("Error: ") : -1] in same, r.output
        # (or, when Go writes the request after the server closed, the write's error)
        theirs = re.sub(r"write tcp \S+->\S+: write: connection reset by peer", "EOF", theirs)
        assert theirs.replace("readLoopPeekFailLocked: ", "") in same, theirs
        r = run("pull", churl, "--ca-file", pki.ca_file, *mtls, "-d", str(tmp_path / "b"))
        assert r.exit_code == 0, r.output
        # stored by repo add, used by repo update, pull and show
        r = run("repo", "add", "m", s.url, "--ca-file", pki.ca_file, *mtls)
        assert r.output == '"m" has been added to your repositories\n'
        assert "keyFile: " + client_cert[1] in open(os.environ["HELM_REPOSITORY_CONFIG"]).read()
        assert run("repo", "update", "m").exit_code == 0
        r = run("pull", "m/fail-required", "-d", str(tmp_path / "c"))
        assert r.exit_code == 0, r.output
        r = run("show", "chart", "m/fail-required")
        assert r.output.startswith("apiVersion: v2\n")


@pytest.fixture
def cross_host(tmp_path: Any) -> Iterator[tuple[Server, Server]]:
    """An index on server A (basic auth) whose chart is on server B (same auth)."""
    chart_root = _www(tmp_path, "b")
    index_root = _www(tmp_path, "a")
    with serve(chart_root, auth="user:s3cret") as b, serve(index_root, auth="user:s3cret") as a:
        _index(index_root, b.url)
        os.remove(os.path.join(index_root, "fail-required-0.1.0.tgz"))
        yield a, b


def _chart_auth(b: Server) -> list[str]:
    return [h for p, h in b.seen if p.endswith(".tgz")]


def test_pass_credentials(
    helm_oracle: Any, cross_host: tuple[Server, Server], tmp_path: Any
) -> None:
    a, b = cross_host
    # LocateChart (template, show): with --repo, credentials reach the chart's host
    # only when it is the repository's scheme and host, or with --pass-credentials
    r = run("show", "chart", "fail-required", "--repo", a.url, *AUTH)
    assert (
        r.output == f"Error: failed to fetch {b.url}/fail-required-0.1.0.tgz : 401 Unauthorized\n"
    )
    assert _chart_auth(b) == [""]
    r = run("show", "chart", "fail-required", "--repo", a.url, *AUTH, "--pass-credentials")
    assert r.exit_code == 0, r.output
    assert _chart_auth(b)[-1] == "Basic dXNlcjpzM2NyZXQ="
    # Pull has no such check: the chart URL is fetched with the flags' credentials,
    # as real Helm's pull does
    r = run("pull", "fail-required", "--repo", a.url, *AUTH, "-d", str(tmp_path / "p"))
    assert r.exit_code == 0, r.output
    theirs = _oracle_pull(helm_oracle, "fail-required", str(tmp_path / "o"), repo_url=a.url,
                          username="user", password="s3cret")  # fmt: skip
    assert theirs == "ok"
    # a repository's stored pass_credentials_all decides for `repo/chart`
    assert run("repo", "add", "a", a.url, *AUTH).exit_code == 0
    r = run("pull", "a/fail-required", "-d", str(tmp_path / "q"))
    assert (
        r.output == f"Error: failed to fetch {b.url}/fail-required-0.1.0.tgz : 401 Unauthorized\n"
    )
    assert (
        run("repo", "add", "a", a.url, *AUTH, "--pass-credentials", "--force-update").exit_code == 0
    )
    r = run("pull", "a/fail-required", "-d", str(tmp_path / "q"))
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------- dependency update


def test_dependency_update_uses_stored_credentials(
    secure_repo: Server, pki: PKI, tmp_path: Any
) -> None:
    url = secure_repo.url
    app = tmp_path / "app"
    shutil.copytree(os.path.join(CHARTS_DIR, "fail-fail"), app)
    with open(app / "Chart.yaml", "a") as fh:
        fh.write(
            f"dependencies:\n  - name: fail-required\n    version: ^0.1.0\n    repository: {url}\n"
        )
    # an unknown repository is fetched anonymously (the command's --username ...
    # only reach OCI registries, as in Helm): the server's CA is not trusted
    r = run("dependency", "update", str(app), "--skip-refresh", *AUTH, "--ca-file", pki.ca_file)
    assert r.exit_code == 1
    assert "x509: certificate signed by unknown authority" in r.output
    assert run("repo", "add", "sec", url, "--ca-file", pki.ca_file, *AUTH).exit_code == 0
    r = run("dependency", "update", str(app))
    assert r.exit_code == 0, r.output
    assert '...Successfully got an update from the "sec" chart repository\n' in r.output
    assert os.listdir(app / "charts") == ["fail-required-0.1.0.tgz"]
    r = run("dependency", "build", str(app), "--skip-refresh")
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------- repo remove


def test_repo_remove(tmp_path: Any) -> None:
    root = _www(tmp_path)
    with serve(root) as s:
        _index(root, s.url)
        for name in ("one", "two", "three"):
            assert run("repo", "add", name, s.url).exit_code == 0
    cache = tmp_path / "cache"
    assert sorted(os.listdir(cache)) == sorted(
        f"{n}-{k}" for n in ("one", "two", "three") for k in ("index.yaml", "charts.txt")
    )
    r = run("repo", "remove", "one", "two")
    assert r.output == (
        '"one" has been removed from your repositories\n'
        '"two" has been removed from your repositories\n'
    )
    assert sorted(os.listdir(cache)) == ["three-charts.txt", "three-index.yaml"]
    assert run("repo", "list").output.splitlines()[1].split("\t")[0].strip() == "three"
    # names are removed one by one: an unknown one stops there
    r = run("repo", "rm", "three", "nope")
    assert r.exit_code == 1
    assert r.output == (
        '"three" has been removed from your repositories\nError: no repo named "nope" found\n'
    )
    assert os.listdir(cache) == []
    r = run("repo", "remove", "three")
    assert r.output == "Error: no repositories configured\n"
    r = run("repo", "remove")
    assert r.output == (
        'Error: "helm repo remove" requires at least 1 argument\n\n'
        "Usage:  helm repo remove [REPO1 [REPO2 ...]] [flags]\n"
    )
