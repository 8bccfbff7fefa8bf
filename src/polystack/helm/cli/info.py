"""`helm version`, `helm env` and `helm completion`: what scripts written for
Helm ask before anything else."""

from __future__ import annotations

import click

from polystack.helm.cli.cobra import HelmCLIError, HelmCommand, maximum, no_args
from polystack.helm.cli.fast import build_info, format_version
from polystack.helm.cli.root import helm_group

VERSION_DESC = """
Show the version for Helm.

This will print a representation the version of Helm.
The output will look something like this:

version.BuildInfo{Version:"v3.2.1", GitCommit:"fe51cd1e31e6a202cba7dead9552a6d418ded79a", GitTreeState:"clean", GoVersion:"go1.13.10"}

- Version is the semantic version of the release.
- GitCommit is the SHA for the commit that this version was built from.
- GitTreeState is "clean" if there are no local code changes when this binary was
  built, and "dirty" if the binary was built from locally modified code.
- GoVersion is the version of Go that was used to compile Helm.

When using the --template flag the following properties are available to use in
the template:

- .Version contains the semantic version of Helm
- .GitCommit is the git commit
- .GitTreeState is the state of the git tree when Helm was built
- .GoVersion contains the version of Go that Helm was compiled with

For example, --template='Version: {{.Version}}' outputs 'Version: v3.2.1'.
"""


@helm_group.command(
    "version", cls=HelmCommand, use="version", long=VERSION_DESC, args_check=no_args
)
@click.argument("args", nargs=-1)
@click.option("--short", is_flag=True, help="print the version number")
@click.option("--template", "template", default="", help="template for version string format")
@click.option("-c", "--client", is_flag=True, default=True, hidden=True)
def version_cmd(args: tuple[str, ...], short: bool, template: str, client: bool) -> None:
    """print the client version information"""
    if template:
        from polystack.helm.template import ParseError, TemplateError, TemplateSet

        ts = TemplateSet({}, name="_")
        try:
            ts.parse("_", template)
            out = ts.execute("_", build_info())
        except ParseError as e:
            raise HelmCLIError(str(e)) from None
        except TemplateError as e:
            raise HelmCLIError(str(e)) from None
        click.echo(out, nl=False)
        return
    click.echo(format_version(short))


ENV_DESC = """
Env prints out all the environment information in use by Helm.
"""


@helm_group.command("env", cls=HelmCommand, use="env", long=ENV_DESC, args_check=maximum(1))
@click.argument("args", nargs=-1)
def env_cmd(args: tuple[str, ...]) -> None:
    """helm client environment information"""
    from polystack.helm.chart.helmpath import env_vars

    env = env_vars()
    if args:
        click.echo(env.get(args[0], ""))
        return
    for k in sorted(env):
        click.echo(f'{k}="{env[k]}"')


COMPLETION_DESC = """
Generate autocompletion scripts for Helm for the specified shell.

The script completes commands, flags and some arguments (shells, repository
names) by asking Helm itself ('helm __complete'), as each word is typed.
Supported shells: bash, fish and zsh. For example, in bash:

    source <(helm completion bash)
"""


@helm_group.command(
    "completion", cls=HelmCommand, use="completion", long=COMPLETION_DESC, args_check=maximum(1)
)
@click.argument("shell", nargs=-1)
@click.option("--no-descriptions", is_flag=True, help="disable completion descriptions")
def completion_cmd(shell: tuple[str, ...], no_descriptions: bool) -> None:
    """generate autocompletion scripts for the specified shell"""
    from polystack.helm.cli.completion import SHELLS, script

    if not shell:
        ctx = click.get_current_context()
        click.echo(ctx.get_help())
        return
    name = shell[0]
    if name not in SHELLS:
        raise HelmCLIError(f'unknown command "{name}" for "helm completion"')
    click.echo(script(name, descriptions=not no_descriptions), nl=False)


def _complete(args: tuple[str, ...], descriptions: bool) -> None:
    from polystack.helm.cli.completion import complete, directive_text

    out, directive = complete(helm_group, list(args), descriptions)
    for line in out:
        click.echo(line)
    click.echo(f":{directive}")
    click.echo(f"Completion ended with directive: {directive_text(directive)}", err=True)


_COMPLETE_SETTINGS = {
    "ignore_unknown_options": True,
    "allow_extra_args": True,
    "help_option_names": [],
}


@helm_group.command(
    "__complete", cls=click.Command, hidden=True, context_settings=_COMPLETE_SETTINGS
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def complete_cmd(args: tuple[str, ...]) -> None:
    """the completions of the last word (used by the completion scripts)"""
    _complete(args, True)


@helm_group.command(
    "__completeNoDesc", cls=click.Command, hidden=True, context_settings=_COMPLETE_SETTINGS
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def complete_no_desc_cmd(args: tuple[str, ...]) -> None:
    """the completions of the last word, without descriptions"""
    _complete(args, False)
