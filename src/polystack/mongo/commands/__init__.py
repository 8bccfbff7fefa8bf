"""The command table: every command the server understands, declared once.

Each entry names the command (and its aliases), its flags and its handler.  Dispatch,
``CommandNotFound``, ``listCommands`` and the per-command metrics all come from this table.

Handlers take ``(ctx, cmd)`` — the :class:`~.context.CommandContext` and the command document
with its document sequences merged in — and return a reply ``dict`` (``ok`` is added) or
already-encoded BSON ``bytes`` (cursor replies splice stored documents in unchanged).  They
raise :class:`~polystack.mongo.errors.MongoError` for MongoDB's errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    handler: Callable
    help: str = ""
    write: bool = False  # changes data: write concern applies
    admin_only: bool = False  # must run against the admin database
    read: bool = False  # reads documents (readConcern applies)
    aliases: tuple[str, ...] = ()
    secondary_ok: bool = True
    requires_auth: bool = True
    in_transaction: bool = False  # may run inside a multi-document transaction


TABLE: dict[str, CommandSpec] = {}


def command(
    name: str,
    help: str = "",
    *,
    write: bool = False,
    admin_only: bool = False,
    read: bool = False,
    aliases: tuple[str, ...] = (),
    requires_auth: bool = True,
    in_transaction: bool = False,
) -> Callable:
    def register(fn: Callable) -> Callable:
        spec = CommandSpec(
            name,
            fn,
            help,
            write,
            admin_only,
            read,
            aliases,
            True,
            requires_auth,
            in_transaction,
        )
        TABLE[name] = spec
        for a in aliases:
            TABLE[a] = spec
        return fn

    return register


def lookup(name: str) -> CommandSpec | None:
    spec = TABLE.get(name)
    if spec is None:
        # MongoDB matches command names case-insensitively only for a few legacy spellings
        lowered = {"ismaster": "isMaster", "buildinfo": "buildInfo"}.get(name.lower())
        if lowered is not None:
            spec = TABLE.get(lowered)
    return spec


def _load() -> None:
    from . import (  # noqa: F401  (registration side effects)
        admin,
        aggregate,
        bulk,
        catalog,
        crud,
        explain,
        handshake,
        indexes,
        query,
        sessions,
    )


_load()
