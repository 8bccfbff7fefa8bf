"""`polystack helm`: Helm's command line. Importing the command modules
registers their commands on the `helm` group."""

import click

from polystack.helm.cli import commands, info, registry, repo  # noqa: F401 - registers them
from polystack.helm.cli.help_texts import LONG, USE
from polystack.helm.cli.root import helm_group, main

__all__ = ["helm_group", "main"]


def _set_help_texts() -> None:
    """cobra's Long and Use of the commands that do not set their own."""
    for table, attr in ((LONG, "long"), (USE, "use")):
        for path, text in table.items():
            cmd: click.Command = helm_group
            for part in path.split():
                cmd = cmd.commands[part]  # type: ignore[attr-defined]  # every parent is a group
            if getattr(cmd, attr, None) is None:
                setattr(cmd, attr, text)


_set_help_texts()
