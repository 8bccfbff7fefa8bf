"""EVAL scripting (eval.c): EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD, EXISTS,
FLUSH, KILL, DEBUG, HELP.

Scripts run in one Lua 5.1 state per server (lupa; see ``polystack.redis.lua``), cached by
the SHA1 of their body.  A script's writes are logged command by command in the caller's
batch (so replay applies the script's effects, atomically); the EVAL itself is not logged.
"""

from __future__ import annotations

from typing import Any

from polystack.redis.args import parse_int
from polystack.redis.commands import COMMANDS, DISPATCH, command, container
from polystack.redis.commands.help import help_reply
from polystack.redis.commands.keyspecs import key_specs
from polystack.redis.commands.monitor import feed_monitors
from polystack.redis.commands.scriptrun import TRANSLATED_HOST, ScriptRun, script_call
from polystack.redis.errors import RedisError, err
from polystack.redis.lua.bitstruct import Rand48
from polystack.redis.lua.engine import PACKED_ARGS, error_from_text, sha1hex
from polystack.redis.lua.scripts import ALLOW_OOM, EVAL_COMPAT_MODE, NO_WRITES, ScriptCache
from polystack.redis.wire import OK, Raw

NOSCRIPT = RedisError("NOSCRIPT", "No matching script. Please use EVAL.")
_EVAL_FLAGS = "noscript skip_monitor no_mandatory_keys stale"
_CATS = ("@slow", "@scripting")


def lua_rand(server: Any) -> Rand48:
    """The rand48 state math.random draws from: one per server, shared by EVAL scripts and
    functions (Redis's is process-wide)."""
    rand = server.lua_rand
    if rand is None:
        rand = server.lua_rand = Rand48()
    return rand


def scripts_of(server: Any) -> ScriptCache:
    """The server's EVAL script cache (made on first use)."""
    cache = server.scripting
    if cache is None:
        cache = server.scripting = ScriptCache(lua_rand(server), script_call, TRANSLATED_HOST)
    return cache


def eval_keys(argv: list[bytes]) -> list[int]:
    """The key positions of EVAL-like commands (numkeys, then the keys)."""
    try:
        n = int(argv[2])
    except (ValueError, IndexError):
        return []
    return list(range(3, 3 + n)) if 0 <= n <= len(argv) - 3 else []


_SMALL = {b"%d" % i: i for i in range(64)}  # numkeys as most calls give it


def _numkeys(argv: list[bytes]) -> int:
    n = _SMALL.get(argv[2])
    if n is not None and n <= len(argv) - 3:
        return n
    n = parse_int(argv[2])
    if n > len(argv) - 3:
        raise err("Number of keys can't be greater than number of args")
    if n < 0:
        raise err("Number of keys can't be negative")
    return n


def prepare_run(flags: int, ro: bool) -> tuple[bool, bool]:
    """scriptPrepareForRun's checks of the script's flags: (read_only, allow_oom)."""
    compat = bool(flags & EVAL_COMPAT_MODE)
    if not compat and not flags & NO_WRITES and ro:
        raise err("Can not execute a script with write flag using *_ro command.")
    read_only = ro or (not compat and bool(flags & NO_WRITES))
    allow_oom = not compat and bool(flags & ALLOW_OOM)
    return read_only, allow_oom


def execute(
    client: Any,
    engine: Any,
    fn: Any,
    funcname: bytes,
    flags: int,
    ro: bool,
    argv: list[bytes],
    numkeys: int,
    eval_mode: bool,
) -> Raw:
    """Run a script (EVAL) or a function (FCALL) for ``client``: its reply as RESP."""
    server = client.server
    if server.monitors:  # the script's command before its commands, as eval.c feeds it
        feed_monitors(server, client, argv)
    if flags & EVAL_COMPAT_MODE:  # (prepare_run's answer without a shebang)
        read_only, allow_oom = ro, False
    else:
        read_only, allow_oom = prepare_run(flags, ro)
        if (
            server.config.maxmemory
            and server.pre_command_oom_state
            and not flags & (ALLOW_OOM | NO_WRITES)
        ):
            raise RedisError(
                "OOM",
                "allow-oom flag is not set on the script, can not run it when used memory > "
                "'maxmemory'",
            )
    run = ScriptRun(client, funcname, read_only, allow_oom, eval_mode, argv)
    try:
        reply = engine.run_argv(fn, funcname, client.resp3, run, argv, numkeys, not eval_mode)
    finally:
        run.finish()
        if run.wrote:
            client.propagate = []  # its commands were logged one by one
    return Raw(reply)


def run_eval(client: Any, argv: list[bytes], evalsha: bool, ro: bool) -> Any:
    """evalGenericCommand."""
    numkeys = _numkeys(argv)
    cache = scripts_of(client.server)
    if evalsha:
        script = cache.by_sha.get(argv[1])
        if script is None:  # (not in lowercase)
            sha = argv[1].decode("latin-1").lower()
            script = cache.get(sha) if len(sha) == 40 else None
            if script is None:
                raise NOSCRIPT
    else:
        script = cache.create(argv[1])
    return execute(
        client, cache.engine, script.function, script.sha_bytes, script.flags, ro, argv,
        numkeys, True,
    )  # fmt: skip


_ARGS = (
    {"name": "script", "type": "string"},
    {"name": "numkeys", "type": "integer"},
    {"name": "key", "type": "key", "key_spec_index": 0, "flags": "optional multiple"},
    {"name": "arg", "type": "string", "flags": "optional multiple"},
)
_SHA_ARGS = ({"name": "sha1", "type": "string"}, *_ARGS[1:])


@command(
    "eval",
    -3,
    _EVAL_FLAGS,
    group="scripting",
    since="2.6.0",
    summary="Execute a Lua script server side",
    complexity="Depends on the script that is executed.",
    categories=_CATS,
    getkeys=eval_keys,
    arguments=_ARGS,
)
def eval_(client: Any, argv: list[bytes]) -> Any:
    return run_eval(client, argv, evalsha=False, ro=False)


@command(
    "evalsha",
    -3,
    _EVAL_FLAGS,
    group="scripting",
    since="2.6.0",
    summary="Execute a Lua script server side",
    complexity="Depends on the script that is executed.",
    categories=_CATS,
    getkeys=eval_keys,
    arguments=_SHA_ARGS,
)
def evalsha(client: Any, argv: list[bytes]) -> Any:
    n = len(argv) - 3
    numkeys = _SMALL.get(argv[2])
    if numkeys is None or numkeys > n:
        numkeys = _numkeys(argv)
    server = client.server
    cache = server.scripting
    script = None if cache is None else cache.by_sha.get(argv[1])
    if script is None or not script.flags & EVAL_COMPAT_MODE or server.monitors or n > PACKED_ARGS:
        return run_eval(client, argv, evalsha=True, ro=False)
    # A cached script without shebang (the usual one): execute() and run_argv(), inline
    run = ScriptRun(client, script.sha_bytes, False, False, True, argv)
    engine = cache.engine
    previous = engine.current
    engine.current = run
    try:
        kind, payload = engine.run_packed(
            script.function, script.sha_bytes, client.resp3,
            0 if script.brief or not run.watched else engine.hook_count, False, numkeys,
            *argv[3:],
        )  # fmt: skip
    finally:
        engine.current = previous
        if run.wrote or run.timed_out:
            run.finish()
            if run.wrote:
                client.propagate = []  # its commands were logged one by one
        else:
            run.client._run = None  # (finish(), inline: nothing to log)
    if kind == 0:
        return Raw(payload)
    raise error_from_text(payload.decode("utf-8", "surrogateescape"))


@command(
    "eval_ro",
    -3,
    "readonly " + _EVAL_FLAGS,
    group="scripting",
    since="7.0.0",
    summary="Execute a read-only Lua script server side",
    complexity="Depends on the script that is executed.",
    categories=_CATS,
    getkeys=eval_keys,
    arguments=_ARGS,
)
def eval_ro(client: Any, argv: list[bytes]) -> Any:
    return run_eval(client, argv, evalsha=False, ro=True)


@command(
    "evalsha_ro",
    -3,
    "readonly " + _EVAL_FLAGS,
    group="scripting",
    since="7.0.0",
    summary="Execute a read-only Lua script server side",
    complexity="Depends on the script that is executed.",
    categories=_CATS,
    getkeys=eval_keys,
    arguments=_SHA_ARGS,
)
def evalsha_ro(client: Any, argv: list[bytes]) -> Any:
    return run_eval(client, argv, evalsha=True, ro=True)


# Scripts run off the session's fast path: in a greenlet of their own, so they can yield.
for _name in (b"eval", b"evalsha", b"eval_ro", b"evalsha_ro"):
    DISPATCH.pop(_name, None)
    DISPATCH.pop(_name.upper(), None)

_RW_NOTE = {
    "notes": "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"
}
_RO_NOTE = {
    "notes": "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"
}
key_specs("eval", ("RW access update", ("index", 2), ("keynum", 0, 1, 1), _RW_NOTE))
key_specs("evalsha", ("RW access update", ("index", 2), ("keynum", 0, 1, 1)))
key_specs("eval_ro", ("RO access", ("index", 2), ("keynum", 0, 1, 1), _RO_NOTE))
key_specs("evalsha_ro", ("RO access", ("index", 2), ("keynum", 0, 1, 1)))


# -- SCRIPT --------------------------------------------------------------------------------
container("script", "scripting", "2.6.0", "A container for Lua scripts management commands")
COMMANDS[b"script"].acl_categories = ("@slow",)
COMMANDS[b"script"].complexity = "Depends on subcommand."


@command(
    "load",
    3,
    "noscript stale",
    group="scripting",
    since="2.6.0",
    parent="script",
    summary="Load the specified Lua script into the script cache.",
    complexity="O(N) with N being the length in bytes of the script body.",
    categories=_CATS,
    tips=("request_policy:all_nodes", "response_policy:all_succeeded"),
    arguments=({"name": "script", "type": "string"},),
)
def script_load(client: Any, argv: list[bytes]) -> Any:
    return scripts_of(client.server).create(argv[2]).sha.encode()


@command(
    "exists",
    -3,
    "noscript",
    group="scripting",
    since="2.6.0",
    parent="script",
    summary="Check existence of scripts in the script cache.",
    complexity="O(N) with N being the number of scripts to check (so checking a single "
    "script is an O(1) operation).",
    categories=_CATS,
    tips=("request_policy:all_shards", "response_policy:agg_logical_and"),
    arguments=({"name": "sha1", "type": "string", "flags": "multiple"},),
)
def script_exists(client: Any, argv: list[bytes]) -> Any:
    cache = scripts_of(client.server)
    return [int(cache.get(a.decode("latin-1").lower()) is not None) for a in argv[2:]]


@command(
    "flush",
    -2,
    "noscript",
    group="scripting",
    since="2.6.0",
    parent="script",
    summary="Remove all the scripts from the script cache.",
    complexity="O(N) with N being the number of scripts in cache",
    categories=_CATS,
    tips=("request_policy:all_nodes", "response_policy:all_succeeded"),
)
def script_flush(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3 or (len(argv) == 3 and argv[2].lower() not in (b"sync", b"async")):
        raise err("SCRIPT FLUSH only support SYNC|ASYNC option")
    scripts_of(client.server).flush()
    return OK


@command(
    "kill",
    2,
    "noscript allow_busy",
    group="scripting",
    since="2.6.0",
    parent="script",
    summary="Kill the script currently in execution.",
    complexity="O(1)",
    categories=_CATS,
    tips=("request_policy:all_shards", "response_policy:one_succeeded"),
)
def script_kill(client: Any, argv: list[bytes]) -> Any:
    return kill_running(client.server, is_eval=True)


def kill_running(server: Any, is_eval: bool) -> Any:
    """scriptKill: flag the running (busy) script to stop at its next check."""
    run = getattr(server, "busy_script", None)
    if run is None:
        raise RedisError("NOTBUSY", "No scripts in execution right now.")
    if run.write_dirty:
        raise RedisError(
            "UNKILLABLE",
            "Sorry the script already executed write commands against the dataset. You can "
            "either wait the script termination or kill the server in a hard way using the "
            "SHUTDOWN NOSAVE command.",
        )
    if is_eval and not run.eval_mode:
        raise RedisError(
            "BUSY",
            "Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
        )
    if not is_eval and run.eval_mode:
        raise RedisError(
            "BUSY",
            "Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
        )
    run.killed = True
    return OK


@command(
    "debug",
    3,
    "noscript",
    group="scripting",
    since="3.2.0",
    parent="script",
    summary="Set the debug mode for executed scripts.",
    complexity="O(1)",
    categories=_CATS,
)
def script_debug(client: Any, argv: list[bytes]) -> Any:
    mode = argv[2].lower()
    if mode == b"no":
        return OK
    if mode in (b"yes", b"sync"):
        raise err("SCRIPT DEBUG (the Lua debugger) is not supported by polystack")
    raise err("Use SCRIPT DEBUG YES/SYNC/NO")


_SCRIPT_HELP = [
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
]


@command(
    "help",
    2,
    "loading stale",
    group="scripting",
    since="5.0.0",
    parent="script",
    summary="Show helpful text about the different subcommands",
    complexity="O(1)",
    categories=_CATS,
)
def script_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("SCRIPT", _SCRIPT_HELP)


__all__ = ["NOSCRIPT", "eval_keys", "kill_running", "run_eval", "scripts_of", "sha1hex"]
