"""The reply of every container command's HELP subcommand (networking.c's addReplyHelp)."""

from __future__ import annotations

from polystack.redis.wire import Simple


def help_reply(name: str, lines: list[str]) -> list[Simple]:
    """Redis's addReplyHelp: a title line, the subcommand lines, then HELP."""
    out = [f"{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", *lines]
    out += ["HELP", "    Prints this help."]
    return [Simple(line.encode()) for line in out]
