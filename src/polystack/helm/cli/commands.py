"""`polystack helm ...`: Helm's command line with Helm's flags and output.

This module holds the commands that work on a local chart (template, create,
lint, package [--sign], verify, show) with the template action behind
`helm template`; the `helm` group is in root.py, the commands that talk to
chart repositories and manage dependencies in repo.py and registry.py.

Everything heavy is imported inside the commands so that `polystack helm`
starts fast and never imports the servers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

import polystack.helm as helm
from polystack.helm.cli.cobra import HelmCommand, minimum
from polystack.helm.cli.fast import merge_values
from polystack.helm.cli.flags import (
    chart_path_from_kw,
    chart_path_options,
    install_only_options,
    registry_client_options,
)
from polystack.helm.cli.root import _fail, helm_group


def _values_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option(
            "-f",
            "--values",
            "value_files",
            multiple=True,
            help="specify values in a YAML file or a URL (can specify multiple)",
        ),
        click.option("--set", "set_values", multiple=True, help="set values on the command line"),
        click.option(
            "--set-string",
            "set_string",
            multiple=True,
            help="set STRING values on the command line",
        ),
        click.option(
            "--set-file", "set_file", multiple=True, help="set values from respective files"
        ),
        click.option(
            "--set-json", "set_json", multiple=True, help="set JSON values on the command line"
        ),
        click.option(
            "--set-literal",
            "set_literal",
            multiple=True,
            help="set a literal STRING value on the command line",
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


# ---------------------------------------------------------------- template


TEMPLATE_DESC = """
Render chart templates locally and display the output.

Any values that would normally be looked up or retrieved in-cluster will be
faked locally. Additionally, none of the server-side testing of chart validity
(e.g. whether an API is supported) is done.

To specify the Kubernetes API versions used for Capabilities.APIVersions, use
the '--api-versions' flag. This flag can be specified multiple times or as a
comma-separated list:

    $ helm template --api-versions networking.k8s.io/v1 --api-versions cert-manager.io/v1 mychart ./mychart

or

    $ helm template --api-versions networking.k8s.io/v1,cert-manager.io/v1 mychart ./mychart
"""


@helm_group.command(
    "template",
    cls=HelmCommand,
    use="template [NAME] [CHART]",
    long=TEMPLATE_DESC,
    args_check=minimum(1),
)
@click.argument("args", nargs=-1)
@_values_options
@click.option(
    "-s",
    "--show-only",
    "show_only",
    multiple=True,
    help="only show manifests rendered from the given templates",
)
@click.option(
    "--kube-version", default="", help="Kubernetes version used for Capabilities.KubeVersion"
)
@click.option(
    "-a",
    "--api-versions",
    "api_versions",
    multiple=True,
    help="Kubernetes api versions used for Capabilities.APIVersions",
)
@click.option("--include-crds", is_flag=True, help="include CRDs in the templated output")
@click.option("--skip-crds", is_flag=True, help="if set, no CRDs will be installed")
@click.option("--skip-tests", is_flag=True, help="skip tests from templated output")
@click.option(
    "--release-name",
    "use_release_name",
    is_flag=True,
    help="use release name in the output-dir path.",
)
@click.option(
    "--output-dir",
    default="",
    help="writes the executed templates to files in output-dir instead of stdout",
)
@click.option(
    "--is-upgrade", is_flag=True, help="set .Release.IsUpgrade instead of .Release.IsInstall"
)
@click.option("--no-hooks", is_flag=True, help="prevent hooks from running during install")
@click.option("--name-template", default="", help="specify template used to name the release")
@click.option(
    "--generate-name", "-g", is_flag=True, help="generate the name (and omit the NAME parameter)"
)
@click.option(
    "--skip-schema-validation", is_flag=True, help="if set, disables JSON schema validation"
)
@click.option(
    "--render-subchart-notes",
    is_flag=True,
    hidden=True,
    help="no effect: helm template never prints NOTES (deprecated in Helm 4)",
)
@click.option(
    "--dependency-update",
    is_flag=True,
    help="update dependencies if they are missing before installing the chart",
)
@click.option("--enable-dns", is_flag=True, help="enable DNS lookups when rendering templates")
@chart_path_options
@install_only_options
def template_cmd(args: tuple[str, ...], **kw: Any) -> None:
    """locally render templates"""
    from polystack.helm.cli.fast import TemplateFailure, template

    try:
        out, err = template(args, kw)
    except TemplateFailure as e:
        raise _fail(str(e)) from None
    if out:
        click.echo(out, nl=False)
    if err:
        raise _fail(err)


# ---------------------------------------------------------------- create


@helm_group.command("create")
@click.argument("name")
@click.option(
    "-p", "--starter", default="", help="the name or absolute path to Helm starter scaffold"
)
def create_cmd(name: str, starter: str) -> None:
    """create a new chart with the given name"""
    from polystack.helm.chart.create import CreateError, create, create_from

    click.echo(f"Creating {name}")
    try:
        if starter:
            create_from(name, starter)
        else:
            create(name)
    except CreateError as e:
        raise _fail(str(e)) from None


# ---------------------------------------------------------------- lint


@helm_group.command("lint")
@click.argument("paths", nargs=-1)
@_values_options
@click.option("--strict", is_flag=True, help="fail on lint warnings")
@click.option("--with-subcharts", is_flag=True, help="lint dependent charts")
@click.option("--quiet", is_flag=True, help="print only warnings and errors")
@click.option(
    "--skip-schema-validation", is_flag=True, help="if set, disables JSON schema validation"
)
@click.option(
    "--kube-version",
    default="",
    help="Kubernetes version used for capabilities and deprecation checks",
)
@click.option(
    "--kube-validate",
    is_flag=True,
    help="also validate rendered manifests against the Kubernetes OpenAPI schemas"
    " (kubernetes-validate; not a helm flag)",
)
def lint_cmd(paths: tuple[str, ...], **kw: Any) -> None:
    """examine a chart for possible issues"""
    from polystack.helm.action.lint import run_lint

    vals = merge_values(kw, _fail)
    out, failed = run_lint(
        list(paths) or ["."],
        vals,
        strict=kw["strict"],
        with_subcharts=kw["with_subcharts"],
        quiet=kw["quiet"],
        namespace=os.environ.get("HELM_NAMESPACE") or "default",
        kube_version=kw["kube_version"],
        skip_schema_validation=kw["skip_schema_validation"],
        kube_validate=kw["kube_validate"],
    )
    click.echo(out, nl=False)
    if failed:
        raise _fail(failed)


# ---------------------------------------------------------------- package


@helm_group.command("package")
@click.argument("paths", nargs=-1)
@click.option("--sign", is_flag=True, help="use a PGP private key to sign this package")
@click.option(
    "--key", default="", help="name of the key to use when signing. Used if --sign is true"
)
@click.option("--keyring", default=None, help="location of a public keyring")
@click.option(
    "--passphrase-file",
    default="",
    help='location of a file which contains the passphrase for the signing key. Use "-" in'
    " order to read from stdin.",
)
@click.option("--version", default="", help="set the version on the chart to this semver version")
@click.option("--app-version", default="", help="set the appVersion on the chart to this version")
@click.option("-d", "--destination", default=".", help="location to write the chart.")
@click.option(
    "-u",
    "--dependency-update",
    is_flag=True,
    help='update dependencies from "Chart.yaml" to dir "charts/" before packaging',
)
@registry_client_options
def package_cmd(
    paths: tuple[str, ...],
    sign: bool,
    key: str,
    keyring: str | None,
    passphrase_file: str,
    version: str,
    app_version: str,
    destination: str,
    dependency_update: bool,
    **_registry: Any,
) -> None:
    """package a chart directory into a chart archive"""
    from polystack.helm.action.package import PackageError, package
    from polystack.helm.remote.options import default_keyring
    from polystack.helm.remote.provenance import PassphraseSource, ProvenanceError, sign_chart

    if not paths:
        raise _fail("need at least one argument, the path to the chart")
    if keyring is None:
        keyring = default_keyring()
    if sign:
        if not key:
            raise _fail("--key is required for signing a package")
        if not keyring:
            raise _fail("--keyring is required for signing a package")
    passphrases = PassphraseSource(passphrase_file, echo=lambda t: click.echo(t, nl=False))
    for p in paths:
        if not os.path.exists(p):
            raise _fail(f"stat {p}: no such file or directory")
        try:
            if dependency_update:
                from polystack.helm.action.dependency import dependency_update as dep_update

                # Helm's download manager writes to io.Discard here
                dep_update(p, out=lambda s: None)
            dest = package(p, destination, version=version, app_version=app_version)
            if sign:
                sign_chart(dest, key, keyring, passphrases.fetcher)
        except (PackageError, ProvenanceError, OSError) as e:
            raise _fail(str(e)) from None
        except Exception as e:
            if type(e).__name__ in ("ChartError", "RepoError"):
                raise _fail(str(e)) from None
            raise
        click.echo(f"Successfully packaged chart and saved it to: {dest}")


# ---------------------------------------------------------------- verify


@helm_group.command("verify")
@click.argument("args", nargs=-1, metavar="PATH")
@click.option("--keyring", default=None, help="keyring containing public keys")
def verify_cmd(args: tuple[str, ...], keyring: str | None) -> None:
    """verify that a chart at the given path has been signed and is valid"""
    from polystack.helm.remote.options import default_keyring
    from polystack.helm.remote.provenance import ProvenanceError, verify_chart

    if len(args) != 1:
        raise _fail('"helm verify" requires 1 argument\n\nUsage:  helm verify PATH [flags]')
    try:
        v = verify_chart(args[0], args[0] + ".prov", keyring or default_keyring())
    except ProvenanceError as e:
        raise _fail(str(e)) from None
    click.echo(v.output(), nl=False)


# ---------------------------------------------------------------- show


@helm_group.group("show")
def show_group() -> None:
    """show information of a chart"""


def _show(what: str, chart_ref: str, kw: dict[str, Any]) -> None:
    from polystack.helm.action.package import show

    try:
        path = helm.locate_chart(chart_ref, chart_path_from_kw(kw))
        click.echo(show(what, path, jsonpath=kw.get("jsonpath") or ""), nl=False)
    except Exception as e:
        if type(e).__name__ in ("ChartError", "PackageError", "RepoError"):
            raise _fail(str(e)) from None
        raise


for _what, _help in (
    ("all", "show all information of the chart"),
    ("chart", "show the chart's definition"),
    ("values", "show the chart's values"),
    ("readme", "show the chart's README"),
    ("crds", "show the chart's CRDs"),
):

    def _make(what: str, help_text: str) -> None:
        @show_group.command(what, help=help_text)
        @click.argument("chart")
        @chart_path_options
        def _cmd(chart: str, **kw: Any) -> None:
            _show(what, chart, kw)

        if what == "values":  # addShowFlags: --jsonpath on `show values` only
            click.option(
                "--jsonpath", default="", help="supply a JSONPath expression to filter the output"
            )(_cmd)

    _make(_what, _help)


# ---------------------------------------------------------------- template action
# pkg/cmd/template.go + pkg/cmd/install.go (runInstall) + pkg/action/install.go
