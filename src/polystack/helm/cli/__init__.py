"""`polystack helm`: Helm's command line. Importing the command modules
registers their commands on the `helm` group."""

from polystack.helm.cli import commands, info, registry, repo  # noqa: F401 - registers them
from polystack.helm.cli.root import helm_group, main

__all__ = ["helm_group", "main"]
