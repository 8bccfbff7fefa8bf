"""Helm's shared flag sets for `polystack helm` (pkg/cmd/flags.go: the chart path
options, the install flags `helm template` inherits, `--wait`, `--dry-run`) and
the command aliases cobra gives Helm's commands (`show`/`inspect`, `pull`/`fetch`,
`dependency`/`dep`, `list`/`ls` ...).

Flags that only matter when Helm talks to a cluster are accepted by `template`
with no effect, as `helm template` (a client-side dry run) ignores them too; they
are checked the way pflag checks them, so a bad value fails as in Helm.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import click

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


def chart_path_from_kw(kw: dict[str, Any]) -> Any:
    """The downloader's ChartPathOptions from the chart_path_options flags."""
    from polystack.helm.remote.options import ChartPathOptions, default_keyring

    return ChartPathOptions(
        version=kw.get("chart_version", kw.get("version", "")) or "",
        devel=bool(kw.get("devel")),
        repo_url=kw.get("repo_url", kw.get("repo", "")) or "",
        verify=bool(kw.get("verify")),
        keyring=kw.get("keyring") or default_keyring(),
        username=kw.get("username") or "",
        password=kw.get("password") or "",
        cert_file=kw.get("cert_file") or "",
        key_file=kw.get("key_file") or "",
        ca_file=kw.get("ca_file") or "",
        insecure_skip_tls_verify=bool(kw.get("insecure_skip_tls_verify")),
        pass_credentials_all=bool(kw.get("pass_credentials")),
        plain_http=bool(kw.get("plain_http")),
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

_GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def dry_run_strategy(value: str) -> str:
    """cmdGetDryRunFlagStrategy(cmd, isTemplate=true); raises ValueError with Helm's text."""
    if value in ("unset", "client"):
        return "client"
    if value == "server":
        return "server"
    if value == "none" or value in _GO_FALSE:
        raise ValueError(f'invalid dry-run value ("{value}"). Must be "server" or "client"')
    if value in _GO_TRUE:
        return "client"
    raise ValueError(f'invalid dry-run value ("{value}"). Must be "none", "server", or "client"')


_DURATION_RE = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")
_UNITS = ("ns", "us", "µs", "μs", "ms", "s", "m", "h")


_UNIT_SECONDS = {
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
}  # fmt: skip


def parse_duration(flag: str, s: str) -> float:
    """time.ParseDuration for a flag, in seconds; ValueError with pflag's text."""
    err = _duration_error(s)
    if err:
        raise ValueError(f'invalid argument "{s}" for "{flag}" flag: {err}')
    sign = -1.0 if s.startswith("-") else 1.0
    rest = s.lstrip("+-")
    total = 0.0
    while rest and rest != "0":
        m = _DURATION_RE.match(rest)
        assert m is not None
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        rest = rest[len(m.group(1)) + len(m.group(2)) :]
    return sign * total


def _duration_error(s: str) -> str:
    """time.ParseDuration's error for s, or ""."""
    orig = s
    if s[:1] in ("-", "+"):
        s = s[1:]
    if s == "0":
        return ""
    if not s:
        return f'time: invalid duration "{orig}"'
    while s:
        m = _DURATION_RE.match(s)
        num, unit = (m.group(1), m.group(2)) if m else ("", "")
        if num in ("", "."):
            return f'time: invalid duration "{orig}"'
        if not unit:
            return f'time: missing unit in duration "{orig}"'
        if unit not in _UNITS:
            return f'time: unknown unit "{unit}" in duration "{orig}"'
        s = s[len(num) + len(unit) :]
    return ""


def _go_bool_error(flag: str, value: str) -> str:
    if value in _GO_TRUE or value in _GO_FALSE:
        return ""
    return (
        f'invalid argument "{value}" for "{flag}" flag:'
        f' strconv.ParseBool: parsing "{value}": invalid syntax'
    )


def check_install_only_flags(kw: dict[str, Any]) -> str:
    """pflag's parsing of the install-only flags: the error Helm prints, or ""."""
    err = _duration_error(kw["timeout"])
    if err:
        return f'invalid argument "{kw["timeout"]}" for "--timeout" flag: {err}'
    err = _go_bool_error("--server-side", kw["server_side"])
    if err:
        return err
    wait = kw["wait_strategy"]
    if wait is not None and wait not in ("watcher", "legacy", "true", "false"):
        return (
            f'invalid argument "{wait}" for "--wait" flag: invalid wait input "{wait}".'
            " Valid inputs are watcher, and legacy"
        )
    for item in kw["labels"]:
        for pair in item.split(","):
            if "=" not in pair:
                return (
                    f'invalid argument "{item}" for "-l, --labels" flag:'
                    f" {pair} must be formatted as key=value"
                )
    return ""
