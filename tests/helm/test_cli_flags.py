"""Helm 4.2's flags on the `polystack helm` commands (the audit of
docs/helm-compatibility.md "Commands and flags"): chart path options on template
and show, the install-only flags `helm template` accepts, `--dry-run`, the
command aliases, `create -p`, `package` arguments, `search repo`, `pull` and
`dependency list` options, `repo index --merge` errors. Real Helm (the
helm-python-sdk oracle) is the reference where it exposes the same action."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest
from click.testing import CliRunner

from polystack.helm.action.package import package
from polystack.helm.cli import helm_group

from .conftest import CHARTS_DIR
from .gpg_keys import GpgKeys
from .test_cli_repo import helm_home, repo_server  # noqa: F401

PARENT = os.path.join(CHARTS_DIR, "parent")
FAIL_REQUIRED = os.path.join(CHARTS_DIR, "fail-required")


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(helm_group, list(args), env=env, catch_exceptions=False)


# ---------------------------------------------------------------- template


def test_template_accepts_install_only_flags() -> None:
    plain = run("template", "rel", PARENT)
    assert plain.exit_code == 0, plain.output
    r = run(
        "template",
        "rel",
        PARENT,
        "--create-namespace",
        "--force-replace",
        "--force-conflicts",
        "--server-side=false",
        "--replace",
        "--timeout",
        "1m30s",
        "--wait",
        "--wait-for-jobs",
        "--description",
        "d",
        "-l",
        "a=b,c=d",
        "--rollback-on-failure",
        "--take-ownership",
        "--disable-openapi-validation",
        "--hide-notes",
        "--render-subchart-notes",
        "--skip-crds",
        "--atomic",
        "--force",
    )
    assert r.exit_code == 0, r.output
    assert r.output == plain.output
    # a bare --wait / --dry-run never takes the next word as its value (pflag NoOptDefVal)
    r = run("template", "rel", "--wait", PARENT, "--dry-run")
    assert r.output == plain.output
    for dry in ("client", "true", "1", "unset"):
        assert run("template", "rel", PARENT, f"--dry-run={dry}").output == plain.output


@pytest.mark.parametrize(
    ("flag", "error"),
    [
        (
            "--dry-run=none",
            'invalid dry-run value ("none"). Must be "server" or "client"',
        ),
        (
            "--dry-run=false",
            'invalid dry-run value ("false"). Must be "server" or "client"',
        ),
        (
            "--dry-run=maybe",
            'invalid dry-run value ("maybe"). Must be "none", "server", or "client"',
        ),
        (
            "--timeout=10",
            'invalid argument "10" for "--timeout" flag: time: missing unit in duration "10"',
        ),
        (
            "--timeout=5y",
            'invalid argument "5y" for "--timeout" flag: time: unknown unit "y" in duration "5y"',
        ),
        (
            "--wait=always",
            'invalid argument "always" for "--wait" flag: invalid wait input "always".'
            " Valid inputs are watcher, and legacy",
        ),
        (
            "--labels=a=b,c",
            'invalid argument "a=b,c" for "-l, --labels" flag: c must be formatted as key=value',
        ),
        (
            "--server-side=maybe",
            'invalid argument "maybe" for "--server-side" flag:'
            ' strconv.ParseBool: parsing "maybe": invalid syntax',
        ),
    ],
)
def test_template_flag_errors(flag: str, error: str) -> None:
    r = run("template", PARENT, flag)
    assert r.exit_code == 1
    assert r.output == f"Error: {error}\n"


def test_template_dry_run_server_is_not_supported() -> None:
    r = run("template", PARENT, "--dry-run=server")
    assert r.exit_code == 1
    assert "--dry-run=server" in r.output and "not supported" in r.output


def test_template_help_mirrors_helm() -> None:
    out = run("template", "--help").output
    for flag in (
        "--version",
        "--devel",
        "--verify",
        "--keyring",
        "--repo",
        "--dry-run",
        "--wait",
        "--timeout",
        "--create-namespace",
        "--labels",
    ):
        assert flag in out, flag
    # deprecated in Helm 4 and hidden from its help, accepted
    assert "--hide-notes" not in out and "--render-subchart-notes" not in out


def _add_versions(url: str, root: Any, *versions: str) -> None:
    for v in versions:
        package(FAIL_REQUIRED, str(root), version=v)
    assert run("repo", "index", str(root), "--url", url).exit_code == 0


def test_template_chart_path_flags(repo_server: tuple[str, Any]) -> None:  # noqa: F811
    url, root = repo_server
    _add_versions(url, root, "0.4.0-rc.1")
    run("repo", "add", "local", url)
    vals = ("--set", "database.host=db")
    r = run("template", "local/fail-required", *vals, "--version", "0.1.0")
    assert r.exit_code == 0, r.output
    # the same chart by repository name or with --repo
    assert run("template", "fail-required", "--repo", url, *vals, "--version", "0.1.0").output == (
        r.output
    )
    r = run("template", f"{url}/fail-required-0.1.0.tgz", *vals)
    assert r.exit_code == 0, r.output
    r = run("template", "local/fail-required", *vals, "--version", "9.9.9")
    assert r.exit_code == 1
    assert r.output == (
        'Error: chart "fail-required" matching 9.9.9 not found in local index.'
        " (try 'helm repo update'): no chart version found for fail-required-9.9.9\n"
    )
    r = run("template", "nope", "--repo", url, *vals)
    assert r.output == f'Error: chart "nope" not found in {url} repository\n'
    r = run("template", "nope", "--repo", url, "--version", "1.0.0", *vals)
    assert r.output == f'Error: chart "nope" version "1.0.0" not found in {url} repository\n'
    # --verify needs a .prov next to the downloaded chart
    r = run("template", "local/fail-required", *vals, "--verify", "--keyring", "/nonexistent")
    assert r.exit_code == 1
    assert r.output.startswith('Error: failed to fetch provenance "')


def test_template_and_show_devel(
    helm_oracle: Any,
    repo_server: tuple[str, Any],  # noqa: F811
    tmp_path: Any,
) -> None:
    url, root = repo_server
    _add_versions(url, root, "0.4.0-rc.1")
    run("repo", "add", "local", url)
    ours = run("show", "chart", "local/fail-required")
    assert "version: 0.3.0" in ours.output
    ours = run("show", "chart", "local/fail-required", "--devel")
    assert "version: 0.4.0-rc.1" in ours.output
    # the SDK's show neither turns --devel into ">0.0.0-0" (runShow in pkg/cmd does)
    # nor takes a version: compare the latest stable chart
    for what in ("chart", "values", "readme", "crds", "all"):
        theirs = helm_oracle.show("fail-required", repo_url=url, output_format=what)
        assert run("show", what, "fail-required", "--repo", url).output == theirs, what
    r = run("show", "chart", "fail-required", "--repo", url, "--devel")
    assert "version: 0.4.0-rc.1" in r.output
    # --version wins over --devel
    r = run("show", "chart", "local/fail-required", "--devel", "--version", "0.1.0")
    assert "version: 0.1.0" in r.output
    cached = tmp_path / "cache" / "fail-required-0.4.0-rc.1.tgz"  # HELM_REPOSITORY_CACHE
    cached.unlink()
    r = run("template", "local/fail-required", "--devel", "--set", "database.host=x")
    assert r.exit_code == 0, r.output
    assert cached.exists()


def test_show_verify(gpg_keys: GpgKeys, tmp_path: Any) -> None:
    r = run(
        "package",
        FAIL_REQUIRED,
        "-d",
        str(tmp_path),
        "--sign",
        "--key",
        "signer@example.com",
        "--keyring",
        gpg_keys.path("secring.gpg"),
    )
    assert r.exit_code == 0, r.output
    archive = str(tmp_path / "fail-required-0.1.0.tgz")
    pub = gpg_keys.path("pubring.gpg")
    r = run("show", "chart", archive, "--verify", "--keyring", pub)
    assert r.exit_code == 0, r.output
    assert r.output == run("show", "chart", archive).output  # verification prints nothing
    r = run("template", archive, "--verify", "--keyring", pub, "--set", "database.host=h")
    assert r.exit_code == 0, r.output
    os.unlink(archive + ".prov")
    r = run("show", "chart", archive, "--verify", "--keyring", pub)
    assert r.output == (
        f"Error: could not load provenance file {archive}.prov:"
        f" stat {archive}.prov: no such file or directory\n"
    )
    r = run("show", "chart", FAIL_REQUIRED, "--verify", "--keyring", pub)
    assert r.output == "Error: unpacked charts cannot be verified\n"


def test_show_local_path_errors(tmp_path: Any) -> None:
    assert run("show", "chart", "./nope").output == 'Error: path "./nope" not found\n'
    assert run("show", "chart", "nope/x").output == "Error: repo nope not found\n"


# ---------------------------------------------------------------- aliases


def test_command_aliases(tmp_path: Any) -> None:
    assert run("inspect", "chart", PARENT).output == run("show", "chart", PARENT).output
    assert run("dep", "ls", PARENT).output == run("dependency", "list", PARENT).output
    assert run("dependencies", "list", PARENT).exit_code == 0
    assert run("dependency", "up", "--help").exit_code == 0
    assert run("fetch", "--help").exit_code == 0
    assert run("repo", "ls").output == run("repo", "list").output


# ---------------------------------------------------------------- create -p


def test_create_from_starter(helm_oracle: Any, tmp_path: Any, monkeypatch: Any) -> None:
    starter = tmp_path / "data" / "starters" / "mystarter"
    (starter / "templates").mkdir(parents=True)
    (starter / "charts").mkdir()
    (starter / "Chart.yaml").write_text(
        "apiVersion: v2\nname: mystarter\nversion: 9.9.9\ndescription: a starter\nkeywords: [x]\n"
    )
    (starter / "values.yaml").write_text("# for <CHARTNAME>\nname: <CHARTNAME>\n")
    (starter / "values.schema.json").write_text('{"title": "<CHARTNAME>"}')
    (starter / "templates" / "cm.yaml").write_text("name: {{ .Chart.Name }}-<CHARTNAME>\n")
    (starter / "NOTES.md").write_text("about <CHARTNAME>\n")
    shutil.copytree(os.path.join(PARENT, "charts", "sub2"), starter / "charts" / "sub2")
    monkeypatch.setenv("HELM_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    r = run("create", "foo", "-p", "mystarter")
    assert r.exit_code == 0, r.output
    assert r.output == "Creating foo\n"
    (tmp_path / "oracle").mkdir()
    helm_oracle.Chart.create_from("foo", str(tmp_path / "oracle"), str(starter))
    for rel in ("values.yaml", "values.schema.json", "templates/cm.yaml", "NOTES.md"):
        assert (tmp_path / "foo" / rel).read_bytes() == (
            tmp_path / "oracle" / "foo" / rel
        ).read_bytes(), rel
    assert sorted(os.listdir(tmp_path / "foo" / "charts")) == sorted(
        os.listdir(tmp_path / "oracle" / "foo" / "charts")
    )
    # the metadata `helm create` gives CreateFrom (pkg/cmd/create.go)
    assert (tmp_path / "foo" / "Chart.yaml").read_text() == (
        "apiVersion: v2\nappVersion: 0.1.0\ndescription: A Helm chart for Kubernetes\n"
        "name: foo\ntype: application\nversion: 0.1.0\n"
    )
    # an absolute starter path is used as is; a relative one only under starters/
    r = run("create", "bar", "-p", str(starter))
    assert r.exit_code == 0, r.output
    r = run("create", "baz", "-p", "data")
    assert r.exit_code == 1
    assert r.output.startswith(
        f"Creating baz\nError: could not load {tmp_path}/data/starters/data: "
    )


# ---------------------------------------------------------------- package


def test_package_arguments(repo_server: tuple[str, Any], tmp_path: Any) -> None:  # noqa: F811
    r = run("package")
    assert r.exit_code == 1
    assert r.output == "Error: need at least one argument, the path to the chart\n"
    r = run("package", str(tmp_path / "nope"), "-u")
    assert r.output == f"Error: stat {tmp_path / 'nope'}: no such file or directory\n"
    url, _ = repo_server
    app = tmp_path / "app"
    shutil.copytree(os.path.join(CHARTS_DIR, "fail-fail"), app)
    with open(app / "Chart.yaml", "a") as fh:
        fh.write(
            f"dependencies:\n  - name: fail-required\n    version: ^0.1.0\n    repository: {url}\n"
        )
    r = run("package", str(app), "-u", "-d", str(tmp_path))
    assert r.exit_code == 0, r.output
    # the download manager's output goes to io.Discard in `helm package -u`
    assert r.output == (
        f"Successfully packaged chart and saved it to: {tmp_path / 'fail-fail-0.1.0.tgz'}\n"
    )


# ---------------------------------------------------------------- dependency list


def test_dependency_list_max_col_width() -> None:
    wide = run("dependency", "list", PARENT)
    assert wide.exit_code == 0
    narrow = run("dependency", "list", PARENT, "--max-col-width", "4")
    lines = narrow.output.splitlines()
    assert lines[0].split("\t")[:2] == ["NAME", "V..."]
    assert all(len(c.strip()) <= 4 for c in lines[1].split("\t"))
    assert run("dependency", "list", PARENT, "--max-col-width", "80").output == wide.output


# ---------------------------------------------------------------- search repo


def test_search_repo_flags(repo_server: tuple[str, Any]) -> None:  # noqa: F811
    url, root = repo_server
    _add_versions(url, root, "0.4.0-rc.1")
    run("repo", "add", "local", url)
    # the newest version is a pre-release: the latest stable one is listed
    r = run("search", "repo", "fail-required")
    assert [c.strip() for c in r.output.splitlines()[1].split("\t")][:2] == [
        "local/fail-required",
        "0.3.0",
    ]
    r = run("search", "repo", "fail-required", "--devel")
    assert r.output.splitlines()[1].split("\t")[1].strip() == "0.4.0-rc.1"
    r = run("search", "repo", "fail-required", "--version", "<0.3.0")
    assert r.output.splitlines()[1].split("\t")[1].strip() == "0.1.0"
    r = run("search", "repo", "fail-required", "--version", "abc")
    assert r.output == 'Error: an invalid version/constraint format: improper constraint: "abc"\n'
    r = run("search", "repo", "nothing-here", "--fail-on-no-result")
    assert r.exit_code == 1 and r.output == "Error: no results found\n"
    r = run("search", "repo", "nothing-here", "--fail-on-no-result", "-o", "json")
    assert r.output == "Error: no results found\n"
    assert run("search", "repo", "nothing-here", "-o", "json").output == "[]\n"
    r = run("search", "repo", "fail", "-o", "xml")
    assert r.output == (
        'Error: invalid argument "xml" for "-o, --output" flag: invalid format type \'xml\'\n'
    )
    r = run("search", "repo", "fail", "--max-col-width", "6")
    assert r.output.splitlines()[1].split("\t")[0] == "loc..."
    # several keywords are joined with a space and searched as one literal, as Helm does
    assert run("search", "repo", "sub2 fail").output == "No results found\n"
    assert run("search", "repo", "sub2", "fail").output == "No results found\n"
    assert run("search", "repo", "-r", "sub2|fail").output.count("local/") == 2


# ---------------------------------------------------------------- pull


def test_pull_devel_and_several_charts(
    helm_oracle: Any,
    repo_server: tuple[str, Any],  # noqa: F811
    tmp_path: Any,
) -> None:
    url, root = repo_server
    _add_versions(url, root, "0.4.0-rc.1")
    run("repo", "add", "local", url)
    dest = tmp_path / "dl"
    dest.mkdir()
    r = run("pull", "local/fail-required", "local/sub2", "--devel", "-d", str(dest))
    assert r.exit_code == 0, r.output
    assert sorted(os.listdir(dest)) == ["fail-required-0.4.0-rc.1.tgz", "sub2-0.2.0.tgz"]
    twin = tmp_path / "twin"
    twin.mkdir()
    helm_oracle.pull("fail-required", repo_url=url, version=">0.0.0-0", destination=str(twin))
    assert os.listdir(twin) == ["fail-required-0.4.0-rc.1.tgz"]
    r = run("fetch", "fail-required", "--repo", url, "-d", str(dest), "--version", "0.1.0")
    assert r.exit_code == 0, r.output
    assert "fail-required-0.1.0.tgz" in os.listdir(dest)
    r = run("pull", "local/nope")
    assert r.output == (
        'Error: chart "nope" matching  not found in local index.'
        " (try 'helm repo update'): no chart name found\n"
    )
    r = run("pull", "nope")
    assert r.output == (
        "Error: non-absolute URLs should be in form of repo_name/path_to_chart, got: nope\n"
    )
    # an absolute chart URL is downloaded as is
    r = run("pull", f"{url}/sub2-0.2.0.tgz", "-d", str(tmp_path))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "sub2-0.2.0.tgz").exists()


# ---------------------------------------------------------------- repo index


def test_repo_index_merge_errors(helm_oracle: Any, tmp_path: Any) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("garbage: [\n")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("apiVersion: v1\nfoo: 1\n")
    for path in (bad, unknown):
        with pytest.raises(Exception) as theirs:
            helm_oracle.repo_index_generate(str(tmp_path), merge=str(path))
        r = run("repo", "index", str(tmp_path), "--merge", str(path))
        assert r.exit_code == 1
        # `helm repo index` wraps repo.LoadIndexFile's error
        assert r.output == f"Error: merge failed: {theirs.value}\n"
    # a missing --merge file is created empty first
    missing = tmp_path / "new.yaml"
    r = run("repo", "index", str(tmp_path), "--merge", str(missing))
    assert r.exit_code == 0, r.output
    assert missing.read_text().startswith("apiVersion: v1\nentries: {}\n")


# ---------------------------------------------------------------- lint


def test_lint_namespace_and_quiet(helm_oracle: Any, tmp_path: Any) -> None:
    chart = tmp_path / "nsonly"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: nsonly\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
        '  name: {{ if eq .Release.Namespace "ns1" }}ok{{ else }}Not_OK{{ end }}\n'
    )

    def ours(*args: str, env: dict[str, str] | None = None) -> list[str]:
        r = run("lint", str(chart), *args, env=env)
        return [l for l in r.output.splitlines() if l.startswith("[")]

    def theirs(**kw: Any) -> list[str]:
        names = {1: "INFO", 2: "WARNING", 3: "ERROR"}
        msgs = helm_oracle.lint(str(chart), {}, **kw)["messages"]
        return [f"[{names[m['severity']]}] {m['path']}: {m['error']}" for m in msgs]

    assert ours() == theirs()
    assert any("Not_OK" in m for m in ours())
    assert (
        ours("-n", "ns1") == theirs(namespace="ns1") == ["[INFO] Chart.yaml: icon is recommended"]
    )
    # as Helm's settings.Namespace(): HELM_NAMESPACE when there is no -n
    assert ours(env={"HELM_NAMESPACE": "ns1"}) == theirs(namespace="ns1")
    # --quiet: only the charts with warnings or errors, without INFO lines, then the summary
    r = run("lint", "--quiet", PARENT, str(chart))
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[0] == f"==> Linting {chart}"
    assert all(not l.startswith("[INFO]") for l in lines)
    assert lines[-1] == "2 chart(s) linted, 0 chart(s) failed"
    assert run("lint", "--quiet", PARENT, str(chart), "-n", "ns1").output == ""
