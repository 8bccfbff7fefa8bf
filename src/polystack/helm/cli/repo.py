"""`polystack helm dependency|repo|search|pull`: the commands that work with
chart repositories (index, add with credentials and TLS files, list, update,
remove, search, pull with --prov/--verify and the download flags) and with a
chart's dependencies (list, update, build), with Helm's flags and output. They
are registered on `cli.helm_group`, which imports this module.

Everything heavy is imported inside the commands, as in cli.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from polystack.helm.cli.cobra import AliasGroup, no_args
from polystack.helm.cli.flags import (
    chart_path_from_kw,
    parse_duration,
    plain_http_option,
    registry_client_options,
    registry_options_from_kw,
    tls_options,
)
from polystack.helm.cli.root import HelmCLIError, helm_group


def tls_options_for_download(f: Callable[..., Any]) -> Callable[..., Any]:
    return tls_options(f, "skip tls certificate checks for the chart download")


# ---------------------------------------------------------------- dependency


DEPENDENCY_DESC = """
Manage the dependencies of a chart.

Helm charts store their dependencies in 'charts/'. For chart developers, it is
often easier to manage dependencies in 'Chart.yaml' which declares all
dependencies.

The dependency commands operate on that file, making it easy to synchronize
between the desired dependencies and the actual dependencies stored in the
'charts/' directory.

For example, this Chart.yaml declares two dependencies:

    # Chart.yaml
    dependencies:
    - name: nginx
      version: "1.2.3"
      repository: "https://example.com/charts"
    - name: memcached
      version: "3.2.1"
      repository: "https://another.example.com/charts"


The 'name' should be the name of a chart, where that name must match the name
in that chart's 'Chart.yaml' file.

The 'version' field should contain a semantic version or version range.

The 'repository' URL should point to a Chart Repository. Helm expects that by
appending '/index.yaml' to the URL, it should be able to retrieve the chart
repository's index. Note: 'repository' can be an alias. The alias must start
with 'alias:' or '@'.

Starting from 2.2.0, repository can be defined as the path to the directory of
the dependency charts stored locally. The path should start with a prefix of
"file://". For example,

    # Chart.yaml
    dependencies:
    - name: nginx
      version: "1.2.3"
      repository: "file://../dependency_chart/nginx"

If the dependency chart is retrieved locally, it is not required to have the
repository added to helm by "helm add repo". Version matching is also supported
for this case.
"""

DEPENDENCY_LIST_DESC = """
List all of the dependencies declared in a chart.

This can take chart archives and chart directories as input. It will not alter
the contents of a chart.

This will produce an error if the chart cannot be loaded.
"""


@helm_group.group(
    "dependency",
    cls=AliasGroup,
    aliases={"ls": "list", "up": "update"},
    use="dependency update|build|list",
    long=DEPENDENCY_DESC,
    cobra_aliases=("dep", "dependencies"),
)
def dependency_group() -> None:
    """manage a chart's dependencies"""


@dependency_group.command(
    "list",
    use="list CHART",
    long=DEPENDENCY_LIST_DESC,
    cobra_aliases=("ls",),
)
@click.argument("chart", default=".")
@click.option(
    "--max-col-width",
    type=click.IntRange(min=0),
    default=80,
    help="maximum column width for output table",
)
def dependency_list_cmd(chart: str, max_col_width: int) -> None:
    """list the dependencies for the given chart"""
    from polystack.helm.action.dependency import RepoError, dependency_list

    try:
        click.echo(dependency_list(chart, max_col_width), nl=False)
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


def _dependency_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = registry_client_options(f)  # the OCI registry client's: HTTP repositories never see them
    f = click.option("--keyring", default=None, help="keyring containing public keys")(f)
    f = click.option("--verify", is_flag=True, help="verify the packages against signatures")(f)
    return click.option(
        "--skip-refresh", is_flag=True, help="do not refresh the local repository cache"
    )(f)


@dependency_group.command("update")
@click.argument("chart", default=".")
@_dependency_options
def dependency_update_cmd(
    chart: str, skip_refresh: bool, verify: bool, keyring: str | None, **registry: Any
) -> None:
    """update charts/ based on the contents of Chart.yaml"""
    from polystack.helm.action.dependency import RepoError, dependency_update
    from polystack.helm.remote.downloader import VERIFY_ALWAYS, VERIFY_NEVER
    from polystack.helm.remote.options import default_keyring

    try:
        dependency_update(
            chart,
            out=lambda s: click.echo(s, nl=False),
            skip_refresh=skip_refresh,
            verify=VERIFY_ALWAYS if verify else VERIFY_NEVER,
            keyring=keyring or default_keyring(),
            registry=registry_options_from_kw(registry),
        )
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


@dependency_group.command("build")
@click.argument("chart", default=".")
@_dependency_options
def dependency_build_cmd(
    chart: str, skip_refresh: bool, verify: bool, keyring: str | None, **registry: Any
) -> None:
    """rebuild the charts/ directory based on the Chart.lock file"""
    from polystack.helm.action.dependency import RepoError, dependency_build
    from polystack.helm.remote.downloader import VERIFY_IF_POSSIBLE, VERIFY_NEVER
    from polystack.helm.remote.options import default_keyring

    try:
        dependency_build(
            chart,
            out=lambda s: click.echo(s, nl=False),
            skip_refresh=skip_refresh,
            verify=VERIFY_IF_POSSIBLE if verify else VERIFY_NEVER,
            keyring=keyring or default_keyring(),
            registry=registry_options_from_kw(registry),
        )
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


# ---------------------------------------------------------------- repo / search / pull


@helm_group.group("repo", cls=AliasGroup, aliases={"ls": "list", "rm": "remove"})
def repo_group() -> None:
    """add, list, remove, update, and index chart repositories"""


@repo_group.command("index")
@click.argument("directory")
@click.option("--url", default="", help="url of chart repository")
@click.option("--merge", default="", help="merge the generated index into the given index")
@click.option("--json", "json_index", is_flag=True, help="output in JSON format")
def repo_index_cmd(directory: str, url: str, merge: str, json_index: bool) -> None:
    """generate an index file given a directory containing packaged charts"""
    from polystack.helm.remote.repo import RepoError, index_directory

    try:
        index_directory(directory, url=url, merge=merge, json_index=json_index)
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


@repo_group.command("add")
@click.argument("args", nargs=-1, metavar="[NAME] [URL]")
@click.option("--username", default="", help="chart repository username")
@click.option("--password", default="", help="chart repository password")
@click.option("--password-stdin", is_flag=True, help="read chart repository password from stdin")
@click.option(
    "--force-update", is_flag=True, help="replace (overwrite) the repo if it already exists"
)
@click.option(
    "--cert-file", default="", help="identify HTTPS client using this SSL certificate file"
)
@click.option("--key-file", default="", help="identify HTTPS client using this SSL key file")
@click.option(
    "--ca-file",
    default="",
    help="verify certificates of HTTPS-enabled servers using this CA bundle",
)
@click.option(
    "--insecure-skip-tls-verify",
    is_flag=True,
    help="skip tls certificate checks for the repository",
)
@click.option(
    "--allow-deprecated-repos",
    is_flag=True,
    help="by default, this command will not allow adding official repos that have been"
    " permanently deleted. This disables that behavior",
)
@click.option("--pass-credentials", is_flag=True, help="pass credentials to all domains")
@click.option(
    "--timeout",
    default="2m0s",
    help="time to wait for the index file download to complete",
)
def repo_add_cmd(args: tuple[str, ...], **kw: Any) -> None:
    """add a chart repository"""
    _repo_add(args, kw)


def _repo_add(args: tuple[str, ...], kw: dict[str, Any]) -> None:
    from polystack.helm.remote.chartrepo import repo_add
    from polystack.helm.remote.repo import Entry, RepoError

    if len(args) != 2:
        raise HelmCLIError(
            '"helm repo add" requires 2 arguments\n\nUsage:  helm repo add [NAME] [URL] [flags]'
        )
    try:
        timeout = parse_duration("--timeout", kw["timeout"])
    except ValueError as e:
        raise HelmCLIError(str(e)) from None
    entry = Entry(
        name=args[0],
        url=args[1],
        username=kw["username"],
        password=kw["password"],
        cert_file=kw["cert_file"],
        key_file=kw["key_file"],
        ca_file=kw["ca_file"],
        insecure_skip_tls_verify=kw["insecure_skip_tls_verify"],
        pass_credentials_all=kw["pass_credentials"],
    )
    try:
        click.echo(
            repo_add(
                entry,
                force_update=kw["force_update"],
                allow_deprecated_repos=kw["allow_deprecated_repos"],
                timeout=timeout,
                read_password=_password_reader(kw["password_stdin"]),
            )
        )
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


def _password_reader(from_stdin: bool) -> Callable[[], str]:
    """--password-stdin: all of stdin less one trailing \\n and one \\r; else
    Helm's prompt `Password: ` read without echo from the terminal (and
    term.ReadPassword's `inappropriate ioctl for device` when stdin is not one)."""

    def read() -> str:
        import sys

        stdin = sys.stdin
        if from_stdin:
            text = stdin.read()
            return text.removesuffix("\n").removesuffix("\r")
        click.echo("Password: ", nl=False)
        try:
            if not stdin.isatty():
                raise HelmCLIError("inappropriate ioctl for device")
            import getpass

            return getpass.getpass(prompt="", stream=None)
        finally:
            click.echo()

    return read


@repo_group.command("list", use="list", cobra_aliases=("ls",), args_check=no_args)
@click.argument("args", nargs=-1)
@click.option(
    "-o",
    "--output",
    default="table",
    help="prints the output in the specified format. Allowed values: table, json, yaml",
)
def repo_list_cmd(args: tuple[str, ...], output: str) -> None:
    """list chart repositories"""
    from polystack.helm.remote.chartrepo import repo_list
    from polystack.helm.remote.repo import RepoError

    if output not in ("table", "json", "yaml"):
        raise HelmCLIError(
            f'invalid argument "{output}" for "-o, --output" flag: invalid format type \'{output}\''
        )
    try:
        click.echo(repo_list(output), nl=False)
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


@repo_group.command("update")
@click.argument("names", nargs=-1)
def repo_update_cmd(names: tuple[str, ...]) -> None:
    """update information of available charts locally from chart repositories"""
    from polystack.helm.remote.chartrepo import repo_update
    from polystack.helm.remote.repo import RepoError

    try:
        click.echo(repo_update(list(names)), nl=False)
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


@repo_group.command("remove")  # alias "rm": see repo_group
@click.argument("names", nargs=-1, metavar="[REPO1 [REPO2 ...]]")
def repo_remove_cmd(names: tuple[str, ...]) -> None:
    """remove one or more chart repositories"""
    from polystack.helm.remote.chartrepo import repo_remove
    from polystack.helm.remote.repo import RepoError

    if not names:  # require.MinimumNArgs(1)
        raise HelmCLIError(
            '"helm repo remove" requires at least 1 argument\n\n'
            "Usage:  helm repo remove [REPO1 [REPO2 ...]] [flags]"
        )
    try:
        repo_remove(list(names), out=lambda s: click.echo(s, nl=False))
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


@helm_group.group("search")
def search_group() -> None:
    """search for a keyword in charts"""


@search_group.command("repo")
@click.argument("keyword", nargs=-1)
@click.option(
    "-l",
    "--versions",
    is_flag=True,
    help="show the long listing, with each version of each chart on its own line, for"
    " repositories you have added",
)
@click.option(
    "--version",
    default="",
    help="search using semantic versioning constraints on repositories you have added",
)
@click.option(
    "--devel",
    is_flag=True,
    help="use development versions (alpha, beta, and release candidate releases), too."
    " Equivalent to version '>0.0.0-0'. If --version is set, this is ignored",
)
@click.option(
    "-r",
    "--regexp",
    is_flag=True,
    help="use regular expressions for searching repositories you have added",
)
@click.option(
    "-o",
    "--output",
    default="table",
    help="prints the output in the specified format. Allowed values: table, json, yaml",
)
@click.option(
    "--max-col-width",
    type=click.IntRange(min=0),
    default=50,
    help="maximum column width for output table",
)
@click.option("--fail-on-no-result", is_flag=True, help="search fails if no results are found")
def search_repo_cmd(keyword: tuple[str, ...], **kw: Any) -> None:
    """search repositories for a keyword in charts"""
    from polystack.helm.remote.repo import RepoError, search_repo

    if kw["output"] not in ("table", "json", "yaml"):
        raise HelmCLIError(
            f'invalid argument "{kw["output"]}" for "-o, --output" flag:'
            f" invalid format type '{kw['output']}'"
        )
    try:
        click.echo(search_repo(" ".join(keyword), **kw), nl=False)
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


@helm_group.command("pull")
@click.argument("charts", nargs=-1, required=True, metavar="[chart URL | repo/chartname] [...]")
@click.option("--repo", default="", help="chart repository url where to locate the requested chart")
@click.option(
    "--version",
    default="",
    help="specify a version constraint for the chart version to use. This constraint can be a"
    " specific tag (e.g. 1.1.1) or it may reference a valid range (e.g. ^2.0.0). If this is"
    " not specified, the latest version is used",
)
@click.option(
    "--devel",
    is_flag=True,
    help="use development versions, too. Equivalent to version '>0.0.0-0'. If --version is"
    " set, this is ignored.",
)
@click.option(
    "-d",
    "--destination",
    default=".",
    help="location to write the chart. If this and untardir are specified, untardir is"
    " appended to this",
)
@click.option(
    "--untar", is_flag=True, help="if set to true, will untar the chart after downloading it"
)
@click.option(
    "--untardir",
    default=".",
    help="if untar is specified, this flag specifies the name of the directory into which the chart is expanded",
)
@click.option("--verify", is_flag=True, help="verify the package before using it")
@click.option(
    "--prov", is_flag=True, help="fetch the provenance file, but don't perform verification"
)
@click.option("--keyring", default=None, help="location of public keys used for verification")
@click.option(
    "--username",
    default="",
    help="chart repository username where to locate the requested chart",
)
@click.option(
    "--password",
    default="",
    help="chart repository password where to locate the requested chart",
)
@click.option("--pass-credentials", is_flag=True, help="pass credentials to all domains")
@plain_http_option
@tls_options_for_download
def pull_cmd(charts: tuple[str, ...], **kw: Any) -> None:
    """download a chart from a repository and (optionally) unpack it in local directory"""
    from polystack.helm.remote.downloader import pull
    from polystack.helm.remote.repo import RepoError

    cpo = chart_path_from_kw(kw)
    for chart in charts:
        try:
            msg = pull(
                chart,
                cpo,
                destination=kw["destination"],
                untar=kw["untar"],
                untardir=kw["untardir"],
                prov=kw["prov"],
            )
        except RepoError as e:
            raise HelmCLIError(str(e)) from None
        if msg:
            click.echo(msg, nl=False)
