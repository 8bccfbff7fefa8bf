"""`polystack helm push|registry login|registry logout`: the commands that talk
to OCI registries (pkg/cmd/push.go, registry_login.go, registry_logout.go),
with Helm's flags and output. They are registered on `cli.helm_group`, which
imports this module. The registry client is registry.py; charts in registries
are oci.py."""

from __future__ import annotations

from typing import Any

import click

from polystack.helm.cli.flags import plain_http_option, tls_options
from polystack.helm.cli.root import HelmCLIError, helm_group


def _registry_config(kw: dict[str, Any]) -> str:
    from polystack.helm.remote.registry import registry_config_path

    return kw.get("registry_config") or registry_config_path()


def _registry_config_option(f: Any) -> Any:
    return click.option(
        "--registry-config",
        default="",
        envvar="HELM_REGISTRY_CONFIG",
        help="path to the registry config file",
    )(f)


def _push_tls_options(f: Any) -> Any:
    return tls_options(f, "skip tls certificate checks for the chart upload")


@helm_group.command("push")
@click.argument("args", nargs=-1, metavar="[chart] [remote]")
@plain_http_option
@_push_tls_options
@click.option(
    "--username", default="", help="chart repository username where to locate the requested chart"
)
@click.option(
    "--password", default="", help="chart repository password where to locate the requested chart"
)
@_registry_config_option
def push_cmd(args: tuple[str, ...], **kw: Any) -> None:
    """push a chart to remote"""
    from polystack.helm.cli.flags import registry_options_from_kw
    from polystack.helm.remote.oci import push
    from polystack.helm.remote.registry import RegistryError

    if len(args) != 2:
        raise HelmCLIError(
            '"helm push" requires 2 arguments\n\nUsage:  helm push [chart] [remote] [flags]'
        )
    opts = registry_options_from_kw(kw)
    opts.credentials_file = _registry_config(kw)
    try:
        out, _ = push(args[0], args[1], opts)
    except RegistryError as e:
        raise HelmCLIError(str(e)) from None
    click.echo(out, nl=False)


@helm_group.group("registry")
def registry_group() -> None:
    """login to or logout from a registry"""


@registry_group.command("login")
@click.argument("args", nargs=-1, metavar="[host]")
@click.option("-u", "--username", default="", help="registry username")
@click.option("-p", "--password", default="", help="registry password or identity token")
@click.option("--password-stdin", is_flag=True, help="read password or identity token from stdin")
@click.option("--insecure", is_flag=True, help="allow connections to TLS registry without certs")
@plain_http_option
@click.option(
    "--cert-file", default="", help="identify registry client using this SSL certificate file"
)
@click.option("--key-file", default="", help="identify registry client using this SSL key file")
@click.option(
    "--ca-file",
    default="",
    help="verify certificates of HTTPS-enabled servers using this CA bundle",
)
@_registry_config_option
def registry_login_cmd(args: tuple[str, ...], **kw: Any) -> None:
    """login to a registry"""
    from polystack.helm.remote.getter import GetterOptions
    from polystack.helm.remote.registry import Credentials, RegistryClient, RegistryError

    if len(args) != 1:
        raise HelmCLIError(
            '"helm registry login" requires 1 argument\n\n'
            "Usage:  helm registry login [host] [flags]"
        )
    host = _host(args[0])
    username, password = kw["username"], kw["password"]
    if kw["password_stdin"]:
        if password:
            raise HelmCLIError("--password and --password-stdin are mutually exclusive")
        if not username:
            raise HelmCLIError("Must provide --username with --password-stdin")
        import sys

        password = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    elif not password:
        if not username:
            username = click.prompt("Username", default="", show_default=False)
        password = click.prompt("Password", hide_input=True, default="", show_default=False)
    if password and not username:
        # an identity token (oras-go stores it as identitytoken)
        pass
    elif not username or not password:
        raise HelmCLIError("username and password required")
    cfg = _registry_config(kw)
    client = RegistryClient(
        plain_http=kw["plain_http"],
        username=username,
        password=password,
        tls=GetterOptions(
            cert_file=kw["cert_file"],
            key_file=kw["key_file"],
            ca_file=kw["ca_file"],
            insecure_skip_tls_verify=kw["insecure"],
        ),
        credentials_file=cfg,
    )
    try:
        client.ping(host)
    except RegistryError as e:
        raise HelmCLIError(f'authenticating to "{host}": {e}') from None
    try:
        Credentials.load(cfg).put(host, username, password)
    except (RegistryError, OSError) as e:
        raise HelmCLIError(str(e)) from None
    click.echo("Login Succeeded")


@registry_group.command("logout")
@click.argument("args", nargs=-1, metavar="[host]")
@_registry_config_option
def registry_logout_cmd(args: tuple[str, ...], **kw: Any) -> None:
    """logout from a registry"""
    from polystack.helm.remote.registry import Credentials, RegistryError

    if len(args) != 1:
        raise HelmCLIError(
            '"helm registry logout" requires 1 argument\n\n'
            "Usage:  helm registry logout [host] [flags]"
        )
    host = _host(args[0])
    try:
        Credentials.load(_registry_config(kw)).delete(host)
    except (RegistryError, OSError) as e:
        raise HelmCLIError(str(e)) from None
    click.echo(f"Removing login credentials for {host}")


def _host(arg: str) -> str:
    """The registry host of a login/logout argument (`oci://` and a path dropped)."""
    return arg.removeprefix("oci://").removeprefix("https://").removeprefix("http://").split("/")[0]
