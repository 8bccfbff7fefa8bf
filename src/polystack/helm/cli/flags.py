"""Helm's shared flag sets for `polystack helm` (pkg/cmd/flags.go: the chart path
options, the install flags `helm template` inherits, `--wait`, `--dry-run`) and
the command aliases cobra gives Helm's commands (`show`/`inspect`, `pull`/`fetch`,
`dependency`/`dep`, `list`/`ls` ...).

Flags that only matter when Helm talks to a cluster are accepted by `template`
with no effect, as `helm template` (a client-side dry run) ignores them too; they
are checked the way pflag checks them, so a bad value fails as in Helm.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from polystack.helm.cli.flag_values import (
    chart_path_from_kw,
    check_install_only_flags,
    dry_run_strategy,
    parse_duration,
)

__all__ = [
    "chart_path_from_kw",
    "chart_path_options",
    "check_install_only_flags",
    "dry_run_strategy",
    "install_only_options",
    "parse_duration",
    "plain_http_option",
    "registry_client_options",
    "registry_options_from_kw",
    "tls_options",
]


def _options(f: Callable[..., Any], opts: list[Callable[..., Any]]) -> Callable[..., Any]:
    for o in reversed(opts):
        f = o(f)
    return f


def tls_options(f: Callable[..., Any], insecure_help: str) -> Callable[..., Any]:
    """--cert-file, --key-file, --insecure-skip-tls-verify and --ca-file (the TLS
    half of addChartPathOptionsFlags, `repo add` and the registry-client flags)."""
    return _options(
        f,
        [
            click.option(
                "--cert-file",
                default="",
                help="identify HTTPS client using this SSL certificate file",
            ),
            click.option(
                "--key-file", default="", help="identify HTTPS client using this SSL key file"
            ),
            click.option("--insecure-skip-tls-verify", is_flag=True, help=insecure_help),
            click.option(
                "--ca-file",
                default="",
                help="verify certificates of HTTPS-enabled servers using this CA bundle",
            ),
        ],
    )


def _credential_options(f: Callable[..., Any]) -> Callable[..., Any]:
    return _options(
        f,
        [
            click.option(
                "--username",
                default="",
                help="chart repository username where to locate the requested chart",
            ),
            click.option(
                "--password",
                default="",
                help="chart repository password where to locate the requested chart",
            ),
        ],
    )


def chart_path_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """addChartPathOptionsFlags plus --devel: where a chart is (--version, --repo,
    --verify, --keyring) and how to fetch it (--username, --password, --cert-file,
    --key-file, --insecure-skip-tls-verify, --ca-file, --pass-credentials,
    --plain-http for OCI registries)."""
    f = plain_http_option(f)
    f = click.option(
        "--pass-credentials", "pass_credentials", is_flag=True,
        help="pass credentials to all domains",
    )(f)  # fmt: skip
    f = tls_options(f, "skip tls certificate checks for the chart download")
    f = _credential_options(f)
    return _options(
        f,
        [
            click.option(
                "--version",
                "chart_version",
                default="",
                help="specify a version constraint for the chart version to use. This"
                " constraint can be a specific tag (e.g. 1.1.1) or it may reference a valid"
                " range (e.g. ^2.0.0). If this is not specified, the latest version is used",
            ),
            click.option(
                "--devel",
                is_flag=True,
                help="use development versions, too. Equivalent to version '>0.0.0-0'. If"
                " --version is set, this is ignored",
            ),
            click.option("--verify", is_flag=True, help="verify the package before using it"),
            click.option(
                "--keyring",
                default=None,
                help="location of public keys used for verification",
            ),
            click.option(
                "--repo",
                "repo_url",
                default="",
                help="chart repository url where to locate the requested chart",
            ),
        ],
    )


def plain_http_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """--plain-http: talk HTTP instead of HTTPS to an OCI registry."""
    return click.option(
        "--plain-http", is_flag=True, help="use insecure HTTP connections for the chart download"
    )(f)


def registry_client_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The flags `package` and `dependency update|build` hand to Helm's OCI
    registry client (newRegistryClient): credentials, TLS files and --plain-http.
    They never reach an HTTP repository, whose credentials come from
    repositories.yaml."""
    f = plain_http_option(f)
    f = tls_options(f, "skip tls certificate checks for the chart download")
    return _credential_options(f)


def registry_options_from_kw(kw: dict[str, Any]) -> Any:
    """oci.RegistryOptions from the registry-client flags."""
    from polystack.helm.remote.oci import RegistryOptions

    return RegistryOptions(
        plain_http=bool(kw.get("plain_http")),
        username=kw.get("username") or "",
        password=kw.get("password") or "",
        cert_file=kw.get("cert_file") or "",
        key_file=kw.get("key_file") or "",
        ca_file=kw.get("ca_file") or "",
        insecure_skip_tls_verify=bool(kw.get("insecure_skip_tls_verify")),
    )


def install_only_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The flags of addInstallFlags that only act on a cluster: `helm template`
    accepts them and renders the same output whatever they say."""
    flag = "no effect on local rendering (accepted as helm template does)"
    return _options(
        f,
        [
            click.option("--create-namespace", is_flag=True, help=flag),
            click.option("--force-replace", is_flag=True, help=flag),
            click.option("--force-conflicts", is_flag=True, help=flag),
            click.option("--server-side", default="true", help=flag),
            click.option("--replace", is_flag=True, help=flag),
            click.option("--timeout", default="5m0s", help=flag),
            click.option("--wait", "wait_strategy", default=None, help=flag),
            click.option("--wait-for-jobs", is_flag=True, help=flag),
            click.option("--description", default="", help=flag),
            click.option("-l", "--labels", multiple=True, help=flag),
            click.option("--rollback-on-failure", is_flag=True, help=flag),
            click.option("--take-ownership", is_flag=True, help=flag),
            click.option("--disable-openapi-validation", is_flag=True, help=flag),
            click.option("--hide-notes", is_flag=True, hidden=True),
            click.option("--atomic", is_flag=True, hidden=True),
            click.option("--force", is_flag=True, hidden=True),
            click.option("--dry-run", "dry_run", default="client", help=_DRY_RUN_HELP),
        ],
    )


_DRY_RUN_HELP = (
    'must be "client" (the default; "server" needs a cluster and is not supported by'
    " polystack helm)"
)
