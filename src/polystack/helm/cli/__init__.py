"""`polystack helm`: Helm's command line. The `helm` group (``helm_group``) and
``main`` are built on first use: importing the command modules registers their
commands on the group. Importing this package itself imports no click, so that
cli/fast.py (the common `helm template` command line) runs without it."""

from __future__ import annotations

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["helm_group", "main"]


def _set_help_texts(helm_group: Any) -> None:
    """cobra's Long and Use of the commands that do not set their own."""
    from polystack.helm.cli.help_texts import LONG, USE

    for table, attr in ((LONG, "long"), (USE, "use")):
        for path, text in table.items():
            cmd = helm_group
            for part in path.split():
                cmd = cmd.commands[part]  # every parent is a group
            if getattr(cmd, attr, None) is None:
                setattr(cmd, attr, text)


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from polystack.helm.cli import commands, info, registry, repo  # noqa: F401 - registers them
    from polystack.helm.cli.root import helm_group, main

    if not getattr(helm_group, "_help_texts_set", False):
        _set_help_texts(helm_group)
        helm_group._help_texts_set = True  # type: ignore[attr-defined]
    globals().update(helm_group=helm_group, main=main)
    return globals()[name]
