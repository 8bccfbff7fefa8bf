"""`polystack helm ...` through click's CliRunner: output format and flags,
with real Helm as the reference where it can produce the same thing."""

from __future__ import annotations

import os
import shutil
import tarfile
from typing import Any

import pytest
from click.testing import CliRunner

from polystack.helm.cli import helm_group

from .conftest import CHARTS_DIR

PARENT = os.path.join(CHARTS_DIR, "parent")
KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"


def run(*args: str) -> Any:
    return CliRunner().invoke(helm_group, list(args), catch_exceptions=False)


def _oracle_manifest(
    helm: Any, path: str, name: str, values: dict[str, Any], ns: str = "default"
) -> dict[str, Any]:
    cfg = helm.Config(namespace=ns, storage_driver="memory", kubeconfig_content=KUBECONFIG)
    try:
        return cfg.install(path, name, values, dry_run="client")
    finally:
        cfg.close()


def test_template_layout(helm_oracle: Any) -> None:
    r = run("template", "rel", PARENT, "-n", "ns1")
    assert r.exit_code == 0, r.output
    rel = _oracle_manifest(helm_oracle, PARENT, "rel", {}, "ns1")
    # helm template: TrimSpace(manifest) + "\n", then hooks in kind order
    expected = rel["manifest"].strip() + "\n"
    assert r.output.startswith(expected)
    hooks = r.output[len(expected) :]
    assert hooks.startswith("---\n# Source: parent/templates/tests/test-connection.yaml\n")
    assert "---\n# Source: parent/templates/hook.yaml\napiVersion: batch/v1\nkind: Job\n" in hooks
    assert "NOTES.txt" not in r.output and "sub1 notes" not in r.output


def test_template_flags() -> None:
    r = run("template", PARENT, "--skip-tests", "--include-crds", "--set", "replicaCount=7")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("---\n# Source: parent/crds/widgets.yaml\n")
    assert "test-connection" not in r.output
    assert "name: release-name-parent" in r.output
    assert "replicas: 7\n" in r.output
    r = run("template", "x", PARENT, "--no-hooks", "--is-upgrade")
    assert "hook.yaml" not in r.output and 'install: "false/true"' in r.output


def test_template_show_only() -> None:
    r = run(
        "template",
        "rel",
        PARENT,
        "-s",
        "templates/deployment.yaml",
        "-s",
        "charts/sub1/templates/*",
    )
    assert r.exit_code == 0, r.output
    sources = [line for line in r.output.splitlines() if line.startswith("# Source:")]
    assert sources == [
        "# Source: parent/templates/deployment.yaml",
        "# Source: parent/templates/deployment.yaml",
        "# Source: parent/charts/sub1/templates/cm.yaml",
    ]
    r = run("template", "rel", PARENT, "-s", "templates/nope.yaml")
    assert r.exit_code == 1
    assert "Error: could not find template templates/nope.yaml in chart" in r.output


def test_template_kube_version_and_apis() -> None:
    r = run(
        "template",
        PARENT,
        "--kube-version",
        "1.29.3",
        "-a",
        "foo/v1,bar/v2",
        "-s",
        "templates/configmap.yaml",
    )
    assert r.exit_code == 0, r.output
    assert "kube: v1.29.3\n" in r.output
    assert 'kubeMinor: "1.29"' in r.output
    assert 'hasFoo: "true"' in r.output
    r = run("template", PARENT, "--kube-version", "1.30", "-s", "templates/configmap.yaml")
    assert "kube: v1.30\n" in r.output  # .Version keeps the input; String() is v1.30.0
    r = run("template", PARENT, "--kube-version", "abc")
    assert r.exit_code == 1
    assert "Error: invalid kube version 'abc'" in r.output


def test_template_output_dir(tmp_path: Any) -> None:
    r = run("template", "rel", PARENT, "--output-dir", str(tmp_path), "--release-name")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert f"wrote {tmp_path}/rel/parent/templates/configmap.yaml" in lines
    dep = (tmp_path / "rel/parent/templates/deployment.yaml").read_text()
    assert dep.count("---\n# Source: parent/templates/deployment.yaml\n") == 2


def test_template_errors() -> None:
    r = run("template", os.path.join(CHARTS_DIR, "fail-required"))
    assert r.exit_code == 1
    assert r.output == (
        "Error: execution error at (fail-required/templates/cm.yaml:6:11): A valid"
        " .Values.database.host entry required!\n\nUse --debug flag to render out invalid YAML\n"
    )
    r = run("template", os.path.join(CHARTS_DIR, "fail-schema"))
    assert r.output.startswith(
        "Error: values don't meet the specifications of the schema(s) in the following chart(s):\n"
    )
    r = run("template", "Bad_Name", PARENT)
    assert r.output.startswith('Error: release name "Bad_Name": invalid release name')
    r = run("template", "/nonexistent/chart")
    assert r.exit_code == 1


def test_template_values_files(tmp_path: Any) -> None:
    f = tmp_path / "v.yaml"
    f.write_text("replicaCount: 3\nimage: {tag: fromfile}\n")
    r = run(
        "template",
        PARENT,
        "-f",
        str(f),
        "--set-string",
        "image.tag=99",
        "-s",
        "templates/deployment.yaml",
    )
    assert "replicas: 3\n" in r.output and 'image: "nginx:99"' in r.output


def test_create_lint_template_roundtrip(helm_oracle: Any, tmp_path: Any) -> None:
    os.chdir(tmp_path)
    r = run("create", "mychart")
    assert r.output == "Creating mychart\n"
    os.mkdir("oracle")
    helm_oracle.Chart.create("mychart", "oracle")
    for dirpath, _, files in os.walk("oracle/mychart"):
        for fname in files:
            theirs = os.path.join(dirpath, fname)
            ours = os.path.relpath(theirs, "oracle")
            with open(theirs, "rb") as a, open(ours, "rb") as b:
                assert a.read() == b.read(), ours
    assert os.path.isdir("mychart/charts")
    r = run("lint", "mychart")
    assert r.exit_code == 0
    assert r.output == (
        "==> Linting mychart\n[INFO] Chart.yaml: icon is recommended\n\n"
        "1 chart(s) linted, 0 chart(s) failed\n"
    )
    r = run("template", "mychart")
    assert r.exit_code == 0, r.output
    rel = _oracle_manifest(helm_oracle, os.path.abspath("mychart"), "release-name", {})
    assert r.output.startswith(rel["manifest"].strip() + "\n")
    assert "# Source: mychart/templates/tests/test-connection.yaml" in r.output


def test_create_bad_name(tmp_path: Any) -> None:
    os.chdir(tmp_path)
    r = run("create", "Bad_Name")
    assert r.exit_code == 1
    assert "Error: invalid metadata name, must match regex" in r.output


def test_lint_failures_and_strict(helm_oracle: Any) -> None:
    r = run("lint", os.path.join(CHARTS_DIR, "fail-parse"))
    assert r.exit_code == 1
    assert r.output.endswith("Error: 1 chart(s) linted, 1 chart(s) failed\n")
    assert "[ERROR] templates/: parse error at (fail-parse/templates/cm.yaml:5)" in r.output
    r = run("lint", "--strict", PARENT)
    assert r.exit_code == 0  # only INFO messages
    r = run("lint", "--quiet", PARENT)
    assert r.output == ""
    r = run("lint", "/nonexistent")
    assert "Error unable to check Chart.yaml file in chart" in r.output


def test_lint_matches_helm(helm_oracle: Any) -> None:
    from polystack.helm.action.lint import lint_chart

    for chart in ["parent", "fail-required", "fail-schema", "fail-parse", "fail-nilpointer"]:
        path = os.path.join(CHARTS_DIR, chart)
        ours = [(m.severity, m.path, m.err) for m in lint_chart(path, {}).messages]
        theirs = [
            (m["severity"], m["path"], m["error"]) for m in helm_oracle.lint(path, {})["messages"]
        ]
        assert ours == theirs, chart


def test_package_and_show(helm_oracle: Any, tmp_path: Any) -> None:
    r = run("package", PARENT, "-d", str(tmp_path), "--version", "9.9.9", "--app-version", "app-1")
    assert r.exit_code == 0, r.output
    out = tmp_path / "parent-9.9.9.tgz"
    assert r.output == f"Successfully packaged chart and saved it to: {out}\n"
    theirs = helm_oracle.Chart.load(str(out))
    assert theirs.version == "9.9.9"
    assert theirs.metadata["appVersion"] == "app-1"
    with tarfile.open(out) as tf:
        chart_yaml = tf.extractfile("parent/Chart.yaml").read().decode()  # type: ignore[union-attr]
    assert chart_yaml.startswith(
        "annotations:\n  category: Testing\napiVersion: v2\nappVersion: app-1\n"
    )
    r = run("show", "chart", str(out))
    assert r.output == chart_yaml + "\n"
    r = run("show", "values", PARENT)
    with open(os.path.join(PARENT, "values.yaml")) as fh:
        assert r.output == fh.read() + "\n"
    r = run("show", "readme", PARENT)
    assert r.output == "# parent\n\nA golden chart.\n\n"
    r = run("show", "crds", PARENT)
    assert r.output.startswith("---\napiVersion: apiextensions.k8s.io/v1\n")
    r = run("show", "all", PARENT)
    assert r.output.count("---\n") == 3


def test_repo_index(helm_oracle: Any, tmp_path: Any) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for d in (ours, theirs):
        d.mkdir()
        helm_oracle.package(os.path.join(CHARTS_DIR, "fail-required"), destination=str(d))
        (d / "sub").mkdir()
        helm_oracle.package(PARENT, destination=str(d / "sub"))
    r = run("repo", "index", str(ours), "--url", "https://charts.example.com/x")
    assert r.exit_code == 0, r.output
    helm_oracle.repo_index_generate(str(theirs), base_url="https://charts.example.com/x")

    def strip(text: str) -> list[str]:
        return [
            l
            for l in text.splitlines()
            if "created:" not in l and "generated:" not in l and "digest:" not in l
        ]

    assert strip((ours / "index.yaml").read_text()) == strip((theirs / "index.yaml").read_text())
    # --merge keeps entries of the other index
    other = tmp_path / "other.yaml"
    shutil.copy(theirs / "index.yaml", other)
    (ours / "fail-required-0.1.0.tgz").unlink()
    r = run("repo", "index", str(ours), "--merge", str(other))
    text = (ours / "index.yaml").read_text()
    assert "fail-required" in text and "parent" in text


def test_dependency_update_build_list(helm_oracle: Any, tmp_path: Any) -> None:
    app = tmp_path / "app"
    shutil.copytree(os.path.join(CHARTS_DIR, "fail-required"), app)
    shutil.copytree(os.path.join(PARENT, "charts", "sub2"), tmp_path / "sub2")
    with open(app / "Chart.yaml", "a") as fh:
        fh.write(
            "dependencies:\n  - name: sub2\n    version: ~0.2.0\n    repository: file://../sub2\n"
        )
    twin = tmp_path / "twin"
    shutil.copytree(app, twin)
    r = run("dependency", "list", str(app))
    assert r.output.splitlines()[1].split("\t")[3].strip() == "missing"
    r = run("dependency", "update", str(app))
    assert r.exit_code == 0, r.output
    assert r.output == "Saving 1 charts\nDeleting outdated charts\n"
    helm_oracle.dependency_update(str(twin))
    digest = [l for l in (app / "Chart.lock").read_text().splitlines() if l.startswith("digest:")]
    assert digest == [
        l for l in (twin / "Chart.lock").read_text().splitlines() if l.startswith("digest:")
    ]
    assert sorted(os.listdir(app / "charts")) == ["sub2-0.2.0.tgz"]
    r = run("dependency", "list", str(app))
    assert r.output == (
        "NAME\tVERSION\tREPOSITORY    \tSTATUS\nsub2\t~0.2.0 \tfile://../sub2\tok    \n\n\n"
    )
    theirs = helm_oracle.dependency_list(str(app))
    assert [d["status"] for d in theirs] == ["ok"]
    (app / "charts" / "sub2-0.2.0.tgz").unlink()
    r = run("dependency", "build", str(app))
    assert r.exit_code == 0, r.output
    assert os.listdir(app / "charts") == ["sub2-0.2.0.tgz"]
    with open(app / "Chart.yaml", "a") as fh:
        fh.write("  - name: other\n    version: 1.0.0\n    repository: file://../sub2\n")
    r = run("dependency", "build", str(app))
    assert r.exit_code == 1
    assert "the lock file (Chart.lock) is out of sync" in r.output


def test_help_lists_commands() -> None:
    r = run("--help")
    for cmd in (
        "create",
        "lint",
        "template",
        "package",
        "show",
        "dependency",
        "repo",
        "search",
        "pull",
    ):
        assert cmd in r.output


@pytest.fixture(autouse=True)
def _restore_cwd() -> Any:
    cwd = os.getcwd()
    yield
    os.chdir(cwd)


def test_template_dependency_update_and_generate_name(tmp_path: Any) -> None:
    app = tmp_path / "app"
    shutil.copytree(os.path.join(CHARTS_DIR, "fail-required"), app)
    shutil.copytree(os.path.join(PARENT, "charts", "sub2"), tmp_path / "sub2")
    shutil.copytree(os.path.join(PARENT, "charts", "lib"), tmp_path / "lib")
    with open(app / "Chart.yaml", "a") as fh:
        fh.write(
            "dependencies:\n  - name: sub2\n    version: 0.2.0\n    repository: file://../sub2\n"
            "  - name: lib\n    version: 1.0.0\n    repository: file://../lib\n"
        )
    r = run("template", str(app), "--set", "database.host=h")
    assert r.exit_code == 1
    assert "found in Chart.yaml, but missing in charts/ directory: sub2, lib" in r.output
    r = run("template", str(app), "--set", "database.host=h", "--dependency-update")
    assert r.exit_code == 0, r.output
    assert "# Source: fail-required/charts/sub2/templates/svc.yaml" in r.output
    # one argument and --generate-name: `helm template` presets "release-name"
    r = run("template", str(app), "--set", "database.host=h", "--generate-name")
    assert r.exit_code == 0, r.output
    assert "release-name" in r.output


def test_template_debug_drops_hint() -> None:
    r = run("template", os.path.join(CHARTS_DIR, "fail-fail"), "--debug")
    assert r.output == (
        'Error: execution error at (fail-fail/templates/cm.yaml:2:6): mode "bad" is not supported\n'
    )


def test_lint_kube_validate(tmp_path: Any) -> None:
    pytest.importorskip("kubernetes_validate")
    chart = tmp_path / "kv"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: kv\nversion: 0.1.0\nicon: https://x/i.png\n"
    )
    (chart / "values.yaml").write_text("")
    (chart / "templates" / "s.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: eighty\n"
    )
    r = run("lint", str(chart))
    assert r.exit_code == 0
    r = run("lint", str(chart), "--kube-validate")
    assert r.exit_code == 1
    assert (
        "[ERROR] templates/s.yaml: kubernetes 1.36 schema: at '/spec/ports/0/port': 'eighty' is"
        " not of type 'integer'" in r.output
    )


def test_helm_command_does_not_import_servers(tmp_path: Any) -> None:
    """`polystack helm` stays light: no server package is imported."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from polystack.cli import main\n"
        f"r = CliRunner().invoke(main, ['helm', 'show', 'chart', {PARENT!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        # the systems' specs (polystack.cli builds `serve`'s flags from them) are light
        "light = lambda m: m.count('.') == 1 or m.endswith('.spec') or m.endswith('.limits')"
        " or m + '.spec' in sys.modules\n"
        "bad = [m for m in sys.modules if m.split('.')[:2] in (['polystack', 'redis'],"
        " ['polystack', 'amqp'], ['polystack', 'mongo'], ['polystack', 'zookeeper'],"
        " ['polystack', 'runtime']) and not light(m)]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
