"""Functions (functions.c): FCALL, FCALL_RO and FUNCTION LOAD, DELETE, LIST, DUMP, RESTORE,
FLUSH, KILL, STATS, HELP.

FUNCTION LOAD, DELETE, FLUSH and RESTORE are writes: they go to the command log and are
replayed at start-up (without the load timeout, as Redis loads functions from its files);
the snapshot and dump.rdb keep each library's code.  A function's writes are logged command
by command, as a script's are.
"""

from __future__ import annotations

from typing import Any

from polystack.redis.commands import COMMANDS, DISPATCH, command, container
from polystack.redis.commands.help import help_reply
from polystack.redis.commands.keyspecs import key_specs
from polystack.redis.commands.scripting import eval_keys, execute, kill_running, lua_rand
from polystack.redis.commands.scriptrun import script_call
from polystack.redis.configtypes import string2ll
from polystack.redis.errors import RedisError, err
from polystack.redis.glob import compile_pattern
from polystack.redis.lua.functions import (
    FLAG_NAMES,
    LOAD_TIMEOUT_MS,
    FunctionError,
    Functions,
)
from polystack.redis.wire import OK, Raw

_CATS = ("@slow", "@scripting")
_WRITE_CATS = ("@write", "@slow", "@scripting")
_BUSY_EVAL = RedisError(
    "BUSY", "Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
)


def functions_of(server: Any) -> Functions:
    """The server's function libraries (made on first use)."""
    fns = server.functions
    if fns is None:
        fns = server.functions = Functions(lua_rand(server), script_call)
    return fns


def _failed(e: FunctionError) -> RedisError:
    return err(str(e))


def _changed(client: Any) -> None:
    """server.dirty++: the command is logged (and counts as a change for save points)."""
    client.ks.dirty += 1


# -- FCALL ---------------------------------------------------------------------------------
def _fcall(client: Any, argv: list[bytes], ro: bool) -> Any:
    """fcallCommandGeneric."""
    fi = functions_of(client.server).get(argv[1])
    if fi is None:
        raise err("Function not found")
    numkeys = string2ll(argv[2])
    if numkeys is None:
        raise err("Bad number of keys provided")
    if numkeys > len(argv) - 3:
        raise err("Number of keys can't be greater than number of args")
    if numkeys < 0:
        raise err("Number of keys can't be negative")
    engine = functions_of(client.server).engine
    return execute(client, engine, fi.callback, fi.name, fi.flags, ro, argv, numkeys, False)


_ARGS = (
    {"name": "function", "type": "string"},
    {"name": "numkeys", "type": "integer"},
    {"name": "key", "type": "key", "key_spec_index": 0, "flags": "optional multiple"},
    {"name": "arg", "type": "string", "flags": "optional multiple"},
)
_FCALL_FLAGS = "noscript skip_monitor no_mandatory_keys stale"


@command(
    "fcall",
    -3,
    _FCALL_FLAGS,
    group="scripting",
    since="7.0.0",
    summary="Invoke a function",
    complexity="Depends on the function that is executed.",
    categories=_CATS,
    getkeys=eval_keys,
    arguments=_ARGS,
)
def fcall(client: Any, argv: list[bytes]) -> Any:
    return _fcall(client, argv, ro=False)


@command(
    "fcall_ro",
    -3,
    "readonly " + _FCALL_FLAGS,
    group="scripting",
    since="7.0.0",
    summary="Invoke a read-only function",
    complexity="Depends on the function that is executed.",
    categories=_CATS,
    getkeys=eval_keys,
    arguments=_ARGS,
)
def fcall_ro(client: Any, argv: list[bytes]) -> Any:
    return _fcall(client, argv, ro=True)


# Functions run off the session's fast path: in a greenlet of their own, so they can yield.
for _name in (b"fcall", b"fcall_ro"):
    DISPATCH.pop(_name, None)
    DISPATCH.pop(_name.upper(), None)

_RW_NOTE = {
    "notes": "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"
}
_RO_NOTE = {
    "notes": "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"
}
key_specs("fcall", ("RW access update", ("index", 2), ("keynum", 0, 1, 1), _RW_NOTE))
key_specs("fcall_ro", ("RO access", ("index", 2), ("keynum", 0, 1, 1), _RO_NOTE))


# -- FUNCTION ------------------------------------------------------------------------------
container("function", "scripting", "7.0.0", "A container for function commands")
COMMANDS[b"function"].acl_categories = ("@slow",)
COMMANDS[b"function"].complexity = "Depends on subcommand."
_SHARDS = ("request_policy:all_shards", "response_policy:all_succeeded")


@command(
    "load",
    -3,
    "write denyoom noscript",
    group="scripting",
    since="7.0.0",
    parent="function",
    summary="Create a function with the given arguments (name, code, description)",
    complexity="O(1) (considering compilation time is redundant)",
    categories=_WRITE_CATS,
    tips=_SHARDS,
    arguments=(
        {"name": "replace", "type": "pure-token", "token": "REPLACE", "flags": "optional"},
        {"name": "function-code", "type": "string"},
    ),
)
def function_load(client: Any, argv: list[bytes]) -> Any:
    replace = False
    for arg in argv[2:-1]:
        if arg.lower() != b"replace":
            raise err(f"Unknown option given: {arg.decode('utf-8', 'replace')}")
        replace = True
    server = client.server
    timeout = 0 if server.loading else LOAD_TIMEOUT_MS  # a replayed load is never cut short
    try:
        name = functions_of(server).load(argv[-1], replace, timeout)
    except FunctionError as e:
        raise _failed(e) from None
    _changed(client)
    return name


@command(
    "delete",
    3,
    "write noscript",
    group="scripting",
    since="7.0.0",
    parent="function",
    summary="Delete a function by name",
    complexity="O(1)",
    categories=_WRITE_CATS,
    tips=_SHARDS,
    arguments=({"name": "library-name", "type": "string"},),
)
def function_delete(client: Any, argv: list[bytes]) -> Any:
    try:
        functions_of(client.server).delete(argv[2])
    except FunctionError as e:
        raise _failed(e) from None
    _changed(client)
    return OK


def _flags_reply(flags: int, resp3: bool) -> Raw:
    names = [name for name, bit in FLAG_NAMES if flags & bit]
    head = (b"~%d\r\n" if resp3 else b"*%d\r\n") % len(names)
    return Raw(head + b"".join(b"+%b\r\n" % n for n in names))


@command(
    "list",
    -2,
    "noscript",
    group="scripting",
    since="7.0.0",
    parent="function",
    summary="List information about all the functions",
    complexity="O(N) where N is the number of functions",
    categories=_CATS,
    tips=("nondeterministic_output_order",),
    arguments=(
        {"name": "library-name-pattern", "type": "string", "token": "LIBRARYNAME",
         "flags": "optional"},
        {"name": "withcode", "type": "pure-token", "token": "WITHCODE", "flags": "optional"},
    ),
)  # fmt: skip
def function_list(client: Any, argv: list[bytes]) -> Any:
    with_code = False
    pattern: bytes | None = None
    i = 2
    while i < len(argv):
        arg = argv[i]
        low = arg.lower()
        if not with_code and low == b"withcode":
            with_code = True
        elif pattern is None and low == b"libraryname":
            if i >= len(argv) - 1:
                raise err("library name argument was not given")
            i += 1
            pattern = argv[i]
        else:
            raise err(f"Unknown argument {arg.decode('utf-8', 'replace')}")
        i += 1
    match = compile_pattern(pattern, nocase=True) if pattern is not None else None
    resp3 = client.resp3
    out = []
    for lib in functions_of(client.server).libraries.values():
        if match is not None and not match(lib.name):
            continue
        entry: dict[bytes, Any] = {
            b"library_name": lib.name,
            b"engine": b"LUA",
            b"functions": [
                {
                    b"name": fi.name,
                    b"description": fi.description,
                    b"flags": _flags_reply(fi.flags, resp3),
                }
                for fi in lib.functions.values()
            ],
        }
        if with_code:
            entry[b"library_code"] = lib.code
        out.append(entry)
    return out


@command(
    "dump",
    2,
    "noscript",
    group="scripting",
    since="7.0.0",
    parent="function",
    summary="Dump all functions into a serialized binary payload",
    complexity="O(N) where N is the number of functions",
    categories=_CATS,
)
def function_dump(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    return functions_of(server).dump(server.config.rdbcompression)


@command(
    "restore",
    -3,
    "write denyoom noscript",
    group="scripting",
    since="7.0.0",
    parent="function",
    summary="Restore all the functions on the given payload",
    complexity="O(N) where N is the number of functions on the payload",
    categories=_WRITE_CATS,
    tips=_SHARDS,
    arguments=(
        {"name": "serialized-value", "type": "string"},
        {"name": "policy", "type": "oneof", "flags": "optional", "arguments": (
            {"name": "flush", "type": "pure-token", "token": "FLUSH"},
            {"name": "append", "type": "pure-token", "token": "APPEND"},
            {"name": "replace", "type": "pure-token", "token": "REPLACE"},
        )},
    ),
)  # fmt: skip
def function_restore(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 4:
        raise _subcommand_syntax(argv)
    policy = "append"
    if len(argv) == 4:
        policy = argv[3].decode("latin-1").lower()
        if policy not in ("append", "replace", "flush"):
            raise err(
                "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
            )
    try:
        functions_of(client.server).restore(argv[2], policy)
    except FunctionError as e:
        raise _failed(e) from None
    _changed(client)
    return OK


def _subcommand_syntax(argv: list[bytes]) -> RedisError:
    """addReplySubcommandSyntaxError."""
    return err(
        "unknown subcommand or wrong number of arguments for "
        f"'{argv[1].decode('utf-8', 'replace')}'. Try FUNCTION HELP."
    )


@command(
    "flush",
    -2,
    "write noscript",
    group="scripting",
    since="7.0.0",
    parent="function",
    summary="Deleting all functions",
    complexity="O(N) where N is the number of functions deleted",
    categories=_WRITE_CATS,
    tips=_SHARDS,
    arguments=(
        {"name": "async", "type": "oneof", "flags": "optional", "arguments": (
            {"name": "async", "type": "pure-token", "token": "ASYNC"},
            {"name": "sync", "type": "pure-token", "token": "SYNC"},
        )},
    ),
)  # fmt: skip
def function_flush(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise _subcommand_syntax(argv)
    if len(argv) == 3 and argv[2].lower() not in (b"sync", b"async"):
        raise err("FUNCTION FLUSH only supports SYNC|ASYNC option")
    functions_of(client.server).flush()
    _changed(client)
    return OK


@command(
    "kill",
    2,
    "noscript allow_busy",
    group="scripting",
    since="7.0.0",
    parent="function",
    summary="Kill the function currently in execution.",
    complexity="O(1)",
    categories=_CATS,
    tips=("request_policy:all_shards", "response_policy:one_succeeded"),
)
def function_kill(client: Any, argv: list[bytes]) -> Any:
    return kill_running(client.server, is_eval=False)


@command(
    "stats",
    2,
    "noscript allow_busy",
    group="scripting",
    since="7.0.0",
    parent="function",
    summary="Return information about the function currently running (name, description, duration)",
    complexity="O(1)",
    categories=_CATS,
    tips=("nondeterministic_output", "request_policy:all_shards", "response_policy:special"),
)
def function_stats(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    run = server.busy_script
    if run is not None and run.eval_mode:
        raise _BUSY_EVAL
    running: Any = None
    if run is not None:
        elapsed = int((server.clock.monotonic() - run.started) * 1000)
        running = {b"name": run.funcname, b"command": list(run.argv), b"duration_ms": elapsed}
    libraries, functions = functions_of(server).stats()
    return {
        b"running_script": running,
        b"engines": {b"LUA": {b"libraries_count": libraries, b"functions_count": functions}},
    }


_FUNCTION_HELP = [
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using "
    "FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a "
    "restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
    "replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance "
    "of failure",
    "      in case of functions name collision with another library).",
]


@command(
    "help",
    2,
    "loading stale",
    group="scripting",
    since="7.0.0",
    parent="function",
    summary="Show helpful text about the different subcommands",
    complexity="O(1)",
    categories=_CATS,
)
def function_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("FUNCTION", _FUNCTION_HELP)


__all__ = ["functions_of"]
