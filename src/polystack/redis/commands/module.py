"""MODULE (module.c): polystack loads no Redis modules (they are C shared libraries built
against Redis's own process), so MODULE LIST answers an empty list and a LOAD fails as
Redis's does when a library cannot be loaded, with the reason in the server log.  LOAD,
LOADEX and UNLOAD are refused unless ``enable-module-command`` allows them, as in Redis."""

from __future__ import annotations

import logging
from typing import Any

from polystack.redis.commands import command, container
from polystack.redis.commands.help import help_reply
from polystack.redis.configtable import BY_NAME
from polystack.redis.errors import err
from polystack.redis.security import allow_protected_action

log = logging.getLogger(__name__)

_NOT_ALLOWED = err(
    'MODULE command not allowed. If the enable-module-command option is set to "local", you '
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server."
)
_LOAD_FAILED = err("Error loading the extension. Please check the server logs.")
_NO_SUCH_MODULE = err("Error unloading module: no such module with that name")
_GROUP = "server"
_HELP = [
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and "
    "optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
]

container("module", _GROUP, "4.0.0", "A container for module commands")


def _check_allowed(client: Any) -> None:
    """The protected-command check Redis makes for MODULE LOAD/LOADEX/UNLOAD."""
    setting = BY_NAME["enable-module-command"].get(client.server).decode()
    if not allow_protected_action(setting, client.peer):
        raise _NOT_ALLOWED


# (declared in the order Redis 7.0 lists MODULE's subcommands)
@command(
    "help",
    2,
    "loading stale",
    group=_GROUP,
    since="5.0.0",
    summary="Show helpful text about the different subcommands",
    complexity="O(1)",
    parent="module",
)
def module_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("MODULE", _HELP)


@command(
    "unload",
    3,
    "admin noscript no_async_loading",
    group=_GROUP,
    since="4.0.0",
    summary="Unload a module",
    complexity="O(1)",
    parent="module",
    arguments="name:string",
)
def module_unload(client: Any, argv: list[bytes]) -> Any:
    _check_allowed(client)
    raise _NO_SUCH_MODULE


@command(
    "list",
    2,
    "admin noscript",
    group=_GROUP,
    since="4.0.0",
    summary="List all modules loaded by the server",
    complexity="O(N) where N is the number of loaded modules.",
    parent="module",
    tips=("nondeterministic_output_order",),
)
def module_list(client: Any, argv: list[bytes]) -> Any:
    return []


@command(
    "load",
    -3,
    "admin noscript no_async_loading",
    group=_GROUP,
    since="4.0.0",
    summary="Load a module",
    complexity="O(1)",
    parent="module",
    arguments="path:string arg:string?+",
)
def module_load(client: Any, argv: list[bytes]) -> Any:
    _check_allowed(client)
    log.warning(
        "Module %s failed to load: polystack does not load Redis modules",
        argv[2].decode("utf-8", "replace"),
    )
    raise _LOAD_FAILED


@command(
    "loadex",
    -3,
    "admin noscript no_async_loading",
    group=_GROUP,
    since="7.0.0",
    summary="Load a module with extended parameters",
    complexity="O(1)",
    parent="module",
    arguments="path:string configs:block'CONFIG'?+!{name:string value:string} "
    "args:block'ARGS'?+{arg:string}",
)
def module_loadex(client: Any, argv: list[bytes]) -> Any:
    return module_load(client, argv)
