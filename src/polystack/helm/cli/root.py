"""The `helm` command group and how the command line reports errors."""

from __future__ import annotations

from typing import Any

import click

from polystack.helm.cli.flags import HelmGroup

__all__ = ["HelmCLIError", "helm_group", "main"]


class HelmCLIError(click.ClickException):
    """Printed as Helm prints errors: `Error: MESSAGE` on stderr, exit 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.message}", err=True)


def _fail(msg: str) -> HelmCLIError:
    return HelmCLIError(msg)


@click.group(
    name="helm",
    cls=HelmGroup,
    aliases={"inspect": "show", "fetch": "pull", "dep": "dependency", "dependencies": "dependency"},
    context_settings={"help_option_names": ["-h", "--help"]},
)
def helm_group() -> None:
    """The Kubernetes package manager (Helm-compatible, in Python)."""


def main(argv: list[str] | None = None) -> None:
    helm_group.main(args=argv, prog_name="helm")
