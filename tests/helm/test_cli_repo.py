"""Chart repositories over HTTP (a local http.server on 127.0.0.1, port 0):
repo add/list/update, search repo, pull, dependency update from an index."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from polystack.helm.action.package import package
from polystack.helm.cli import helm_group

from .conftest import CHARTS_DIR


def run(*args: str) -> Any:
    return CliRunner().invoke(helm_group, list(args), catch_exceptions=False)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass


@pytest.fixture
def repo_server(tmp_path: Any) -> Iterator[tuple[str, Any]]:
    root = tmp_path / "www"
    root.mkdir()
    package(os.path.join(CHARTS_DIR, "fail-required"), str(root))
    package(os.path.join(CHARTS_DIR, "fail-required"), str(root), version="0.2.0-beta.1")
    package(os.path.join(CHARTS_DIR, "fail-required"), str(root), version="0.3.0")
    package(os.path.join(CHARTS_DIR, "parent", "charts", "sub2"), str(root))
    handler = functools.partial(_Quiet, directory=str(root))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    assert run("repo", "index", str(root), "--url", url).exit_code == 0
    try:
        yield url, root
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(autouse=True)
def helm_home(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("HELM_REPOSITORY_CONFIG", str(tmp_path / "cfg" / "repositories.yaml"))
    monkeypatch.setenv("HELM_REPOSITORY_CACHE", str(tmp_path / "cache"))


def test_repo_add_search_pull(repo_server: tuple[str, Any], tmp_path: Any) -> None:
    url, _ = repo_server
    r = run("repo", "add", "local", url)
    assert r.output == '"local" has been added to your repositories\n'
    r = run("repo", "add", "local", url)
    assert r.output == '"local" already exists with the same configuration, skipping\n'
    r = run("repo", "list")
    assert r.output.splitlines()[1].split("\t")[0].strip() == "local"
    r = run("repo", "update")
    assert '...Successfully got an update from the "local" chart repository' in r.output
    r = run("search", "repo", "fail")
    lines = r.output.splitlines()
    assert lines[0].split("\t")[0].strip() == "NAME"
    assert [c.strip() for c in lines[1].split("\t")][:2] == ["local/fail-required", "0.3.0"]
    r = run("search", "repo", "fail", "--versions")
    assert [c.split("\t")[1].strip() for c in r.output.splitlines()[1:]] == ["0.3.0", "0.1.0"]
    r = run("search", "repo", "fail", "--devel", "--versions")
    assert len(r.output.splitlines()) == 4
    r = run("search", "repo", "fail", "-o", "json")
    assert r.output.startswith('[{"name":"local/fail-required","version":"0.3.0","app_version":""')
    r = run("search", "repo", "nothing-matches")
    assert r.output == "No results found\n"
    dest = tmp_path / "dl"
    r = run("pull", "local/fail-required", "--version", "0.1.0", "-d", str(dest))
    assert r.exit_code == 0, r.output
    assert os.listdir(dest) == ["fail-required-0.1.0.tgz"]
    r = run("pull", "sub2", "--repo", url, "-d", str(dest), "--untar")
    assert r.exit_code == 0, r.output
    assert os.path.exists(dest / "sub2" / "Chart.yaml")
    r = run("pull", "local/nope")
    assert r.exit_code == 1


def test_template_repo_chart(repo_server: tuple[str, Any]) -> None:
    url, _ = repo_server
    run("repo", "add", "local", url)
    r = run("template", "local/fail-required", "--set", "database.host=db")
    assert r.exit_code == 0, r.output
    assert "# Source: fail-required/templates/cm.yaml" in r.output
    assert "host: db" in r.output


def test_dependency_update_from_http(
    helm_oracle: Any, repo_server: tuple[str, Any], tmp_path: Any
) -> None:
    url, _ = repo_server
    app = tmp_path / "app"
    shutil.copytree(os.path.join(CHARTS_DIR, "fail-fail"), app)
    with open(app / "Chart.yaml", "a") as fh:
        fh.write(
            f"dependencies:\n  - name: fail-required\n    version: ^0.1.0\n    repository: {url}\n"
        )
    twin = tmp_path / "twin"
    shutil.copytree(app, twin)
    r = run("dependency", "update", str(app))
    assert r.exit_code == 0, r.output
    assert (
        r.output
        == f"Saving 1 charts\nDownloading fail-required from repo {url}\nDeleting outdated charts\n"
    )
    assert os.listdir(app / "charts") == ["fail-required-0.1.0.tgz"]
    helm_oracle.dependency_update(str(twin))
    assert os.listdir(twin / "charts") == ["fail-required-0.1.0.tgz"]

    def digest(p: Any) -> list[str]:
        # (a recording's digest hashes the repository URL of its own test server)
        skip = ("generated",) if helm_oracle.live else ("generated", "digest")
        return [l for l in (p / "Chart.lock").read_text().splitlines() if not l.startswith(skip)]

    assert digest(app) == digest(twin)
    r = run("dependency", "build", str(app))
    assert r.exit_code == 1
    assert "no repository definition for" in r.output
    run("repo", "add", "local", url)
    r = run("dependency", "build", str(app))
    assert r.exit_code == 0, r.output
    assert r.output.startswith(
        "Hang tight while we grab the latest from your chart repositories...\n"
        '...Successfully got an update from the "local" chart repository\n'
        "Update Complete. ⎈Happy Helming!⎈\nSaving 1 charts\n"
    )
    r = run("dependency", "update", str(app), "--skip-refresh")
    assert "Hang tight" not in r.output
