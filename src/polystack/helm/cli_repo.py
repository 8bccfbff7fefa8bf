"""`polystack helm dependency|repo|search|pull`: the commands that work with
chart repositories (index, add, list, update, search, pull with --prov/--verify)
and with a chart's dependencies (list, update, build), with Helm's flags and
output. They are registered on `cli.helm_group`, which imports this module.

Everything heavy is imported inside the commands, as in cli.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from polystack.helm.cli import HelmCLIError, helm_group
from polystack.helm.cli_flags import AliasGroup

# ---------------------------------------------------------------- dependency


@helm_group.group("dependency", cls=AliasGroup, aliases={"ls": "list", "up": "update"})
def dependency_group() -> None:
    """manage a chart's dependencies"""


@dependency_group.command("list")
@click.argument("chart", default=".")
@click.option(
    "--max-col-width",
    type=click.IntRange(min=0),
    default=80,
    help="maximum column width for output table",
)
def dependency_list_cmd(chart: str, max_col_width: int) -> None:
    """list the dependencies for the given chart"""
    from polystack.helm.dependency import RepoError, dependency_list

    try:
        click.echo(dependency_list(chart, max_col_width), nl=False)
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


def _dependency_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--keyring", default=None, help="keyring containing public keys")(f)
    f = click.option("--verify", is_flag=True, help="verify the packages against signatures")(f)
    return click.option(
        "--skip-refresh", is_flag=True, help="do not refresh the local repository cache"
    )(f)


@dependency_group.command("update")
@click.argument("chart", default=".")
@_dependency_options
def dependency_update_cmd(
    chart: str, skip_refresh: bool, verify: bool, keyring: str | None
) -> None:
    """update charts/ based on the contents of Chart.yaml"""
    from polystack.helm.dependency import RepoError, dependency_update
    from polystack.helm.provenance import default_keyring
    from polystack.helm.repo import VERIFY_ALWAYS, VERIFY_NEVER

    try:
        dependency_update(
            chart,
            out=lambda s: click.echo(s, nl=False),
            skip_refresh=skip_refresh,
            verify=VERIFY_ALWAYS if verify else VERIFY_NEVER,
            keyring=keyring or default_keyring(),
        )
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


@dependency_group.command("build")
@click.argument("chart", default=".")
@_dependency_options
def dependency_build_cmd(chart: str, skip_refresh: bool, verify: bool, keyring: str | None) -> None:
    """rebuild the charts/ directory based on the Chart.lock file"""
    from polystack.helm.dependency import RepoError, dependency_build
    from polystack.helm.provenance import default_keyring
    from polystack.helm.repo import VERIFY_IF_POSSIBLE, VERIFY_NEVER

    try:
        dependency_build(
            chart,
            out=lambda s: click.echo(s, nl=False),
            skip_refresh=skip_refresh,
            verify=VERIFY_IF_POSSIBLE if verify else VERIFY_NEVER,
            keyring=keyring or default_keyring(),
        )
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


# ---------------------------------------------------------------- repo / search / pull


@helm_group.group("repo", cls=AliasGroup, aliases={"ls": "list"})
def repo_group() -> None:
    """add, list, remove, update, and index chart repositories"""


@repo_group.command("index")
@click.argument("directory")
@click.option("--url", default="", help="url of chart repository")
@click.option("--merge", default="", help="merge the generated index into the given index")
@click.option("--json", "json_index", is_flag=True, help="output in JSON format")
def repo_index_cmd(directory: str, url: str, merge: str, json_index: bool) -> None:
    """generate an index file given a directory containing packaged charts"""
    from polystack.helm.repo import RepoError, index_directory

    try:
        index_directory(directory, url=url, merge=merge, json_index=json_index)
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


@repo_group.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--force-update", is_flag=True)
def repo_add_cmd(name: str, url: str, force_update: bool) -> None:
    """add a chart repository"""
    from polystack.helm.repo import RepoError, repo_add

    try:
        click.echo(repo_add(name, url, force_update=force_update))
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


@repo_group.command("list")  # alias "ls": see repo_group
def repo_list_cmd() -> None:
    """list chart repositories"""
    from polystack.helm.repo import RepoError, repo_list

    try:
        click.echo(repo_list(), nl=False)
    except RepoError as e:
        raise HelmCLIError(str(e)) from None


@repo_group.command("update")
@click.argument("names", nargs=-1)
def repo_update_cmd(names: tuple[str, ...]) -> None:
    """update information of available charts locally from chart repositories"""
    from polystack.helm.repo import RepoError, repo_update

    try:
        click.echo(repo_update(list(names)), nl=False)
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
    from polystack.helm.repo import RepoError, search_repo

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
def pull_cmd(charts: tuple[str, ...], keyring: str | None, **kw: Any) -> None:
    """download a chart from a repository and (optionally) unpack it in local directory"""
    from polystack.helm.provenance import default_keyring
    from polystack.helm.repo import RepoError, pull

    for chart in charts:
        try:
            msg = pull(
                chart,
                repo_url=kw["repo"],
                version=kw["version"],
                destination=kw["destination"],
                untar=kw["untar"],
                untardir=kw["untardir"],
                verify=kw["verify"],
                prov=kw["prov"],
                keyring=keyring or default_keyring(),
                devel=kw["devel"],
            )
        except RepoError as e:
            raise HelmCLIError(str(e)) from None
        if msg:
            click.echo(msg, nl=False)
