"""CONFIG GET/SET/RESETSTAT/REWRITE/HELP over every Redis 7.0 parameter (configtable.py).

CONFIG SET of several pairs is atomic, as config.c's configSetCommand is: every name is
checked first (unknown, immutable, protected, duplicate), then every value is parsed and
set, then the parameters' apply steps run; if a value or an apply step fails, the values
already set are restored.  Error texts are Redis's own.
"""

from __future__ import annotations

import logging
from typing import Any

from polystack.redis import conf
from polystack.redis.commands import command, container
from polystack.redis.commands.acl import queue_conf_user
from polystack.redis.commands.help import help_reply
from polystack.redis.configtable import BY_NAME, PARAMS
from polystack.redis.configtypes import (
    DENY_LOADING,
    HIDDEN,
    IMMUTABLE,
    LIVE,
    MULTI_ARG,
    PROTECTED,
    InvalidValue,
    Param,
    memtoull,
)
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.glob import compile_pattern
from polystack.redis.security import allow_protected_action
from polystack.redis.wire import OK

log = logging.getLogger(__name__)

__all__ = ["PARAMS", "BY_NAME", "get_params", "memtoull", "parse_notify", "set_params"]

_LOADING = RedisError("LOADING", "Redis is loading the dataset in memory")


def parse_notify(v: bytes) -> int:
    """notify-keyspace-events' parser (for tests and the runtime's config file)."""
    return BY_NAME["notify-keyspace-events"].parse([v])


def _failed(name: str, reason: str) -> RedisError:
    return err(f"CONFIG SET failed (possibly related to argument '{name}') - {reason}")


def set_params(server: Any, pairs: list[tuple[bytes, bytes]], peer: Any = None) -> None:
    """configSetCommand: apply ``pairs`` atomically, raising Redis's CONFIG SET errors.
    Protected parameters (dir, dbfilename) as ``enable-protected-configs`` allows for the
    client connected through ``peer``."""
    protected_ok = allow_protected_action(server.config.enable_protected_configs, peer)
    chosen: list[tuple[str, Param, bytes]] = []
    unknown: bytes | None = None
    refusal: tuple[str, str] | None = None
    loading = False
    for name, value in pairs:
        key = name.decode("latin-1").lower()
        param = BY_NAME.get(key)
        if param is None:
            if unknown is None and refusal is None and not loading:
                unknown = name
            continue
        if unknown is not None or refusal is not None or loading:
            continue
        shown = name.decode("utf-8", "replace")
        if param.flags & IMMUTABLE or (param.flags & PROTECTED and not protected_ok):
            why = "immutable" if param.flags & IMMUTABLE else "protected"
            refusal = (shown, f"can't set {why} config")
            continue
        if server.loading and param.flags & DENY_LOADING:
            loading = True
            continue
        if any(k == key for k, _, _ in chosen):
            refusal = (shown, "duplicate parameter")
            continue
        chosen.append((key, param, value))
    if loading:
        raise _LOADING
    if unknown is not None:
        raise err(
            "Unknown option or number of arguments for CONFIG SET - "
            f"'{unknown.decode('utf-8', 'replace')}'"
        )
    if refusal is not None:
        raise _failed(*refusal)
    old = [(key, param, param.read(server)) for key, param, _ in chosen]
    done: list[tuple[str, Param]] = []
    try:
        for key, param, value in chosen:
            parsed = param.parse(param.split(value))
            before = param.read(server)
            param.write(server, parsed)
            done.append((key, param))
            if param.apply is not None and parsed != before:
                param.apply(server)
    except InvalidValue as e:
        failed = key
        for k, p, previous in reversed(old):
            if any(k == d for d, _ in done):
                try:
                    p.write(server, previous)
                    if p.apply is not None:
                        p.apply(server)
                except Exception:
                    log.exception("CONFIG SET: could not restore %s", p.name)
        raise _failed(failed, str(e)) from None


def load_directive(server: Any, name: str, args: list[bytes]) -> bool:
    """A redis.conf line naming a parameter (loadServerConfigFromString): set it, immutable
    ones included.  False when polystack has no such parameter or the value changes nothing
    here (a stored parameter set to other than its default); raises InvalidValue."""
    if name.lower() == "user":
        queue_conf_user(server, args)
        return True
    param = BY_NAME.get(name.lower())
    if param is None:
        return False
    if not param.flags & MULTI_ARG and len(args) != 1:
        raise InvalidValue("wrong number of arguments")
    value = param.parse(args)
    param.write(server, value)
    if param.apply is not None:
        param.apply(server)
    return param.effect == LIVE or value == param.default


def get_params(server: Any, patterns: list[bytes]) -> dict[bytes, bytes]:
    """configGetCommand: exact names (echoed as given) and glob patterns (case-insensitive;
    hidden parameters answer exact names only), each parameter once."""
    out: dict[bytes, bytes] = {}
    done: set[str] = set()
    for pat in patterns:
        text = pat.decode("latin-1").lower()
        if not any(c in text for c in "*?["):
            param = BY_NAME.get(text)
            if param is not None and text not in done:
                done.add(text)
                out[pat] = param.get(server)
            continue
        match = compile_pattern(pat, nocase=True)
        for name, param in BY_NAME.items():
            if param.flags & HIDDEN or name in done:
                continue
            if match(name.encode()):
                done.add(name)
                out[name.encode()] = param.get(server)
    return out


# -- the commands ---------------------------------------------------------------------------

container("config", "server", "2.0.0", "A container for server configuration commands")
_FLAGS = "admin noscript loading stale"


@command(
    "get",
    -3,
    _FLAGS,
    group="server",
    since="2.0.0",
    parent="config",
    summary="Get the values of configuration parameters",
    complexity="O(N) when N is the number of configuration parameters provided",
)
def config_get(client: Any, argv: list[bytes]) -> Any:
    return get_params(client.server, argv[2:])


@command(
    "set",
    -4,
    _FLAGS,
    group="server",
    since="2.0.0",
    parent="config",
    summary="Set configuration parameters to the given values",
    complexity="O(N) when N is the number of configuration parameters provided",
    tips=("request_policy:all_nodes", "response_policy:all_succeeded"),
)
def config_set(client: Any, argv: list[bytes]) -> Any:
    if len(argv) % 2:
        raise SYNTAX
    pairs = [(argv[i], argv[i + 1]) for i in range(2, len(argv), 2)]
    set_params(client.server, pairs, client.peer)
    return OK


@command(
    "resetstat",
    2,
    _FLAGS,
    group="server",
    since="2.0.0",
    parent="config",
    summary="Reset the stats returned by INFO",
    complexity="O(1)",
)
def config_resetstat(client: Any, argv: list[bytes]) -> Any:
    client.server.reset_stats()
    return OK


@command(
    "rewrite",
    2,
    _FLAGS,
    group="server",
    since="2.8.0",
    parent="config",
    summary="Rewrite the configuration file with the in memory configuration",
    complexity="O(1)",
)
def config_rewrite(client: Any, argv: list[bytes]) -> Any:
    """rewriteConfig: the redis.conf polystack was started with (--redis-config) gets the
    live configuration, keeping its comments and order."""
    server = client.server
    path = server.config_file
    if not path:
        raise err("The server is running without a config file")
    options: dict[str, list[str]] = {}
    defaults: dict[str, list[str]] = {}
    for param in PARAMS:
        name = param.name
        if param.flags & HIDDEN:
            continue
        value = param.get(server).decode("utf-8", "surrogateescape")
        options[name] = _rewrite_lines(name, value)
        if name in ("save", "dir"):  # always written, as Redis does
            continue
        default = conf.REDIS_DEFAULTS.get(name)
        if default is None:
            default = param.format(param.default).decode("utf-8", "surrogateescape")
        defaults[name] = _rewrite_lines(name, default)
    # rewriteConfigUserOption: the users, unless they live in an ACL file
    acl = server.acl
    has_file = bool(server.extra_config.get("aclfile"))
    options["user"] = (
        []
        if has_file
        else [
            f"user {u.name.decode('utf-8', 'surrogateescape')} {acl.describe_user(u)}"
            for u in acl.sorted_users()
        ]
    )
    try:
        conf.rewrite(path, options, defaults)
    except OSError as e:
        log.warning("CONFIG REWRITE failed: %s", e)
        raise err(f"Rewriting config file: {e.strerror}") from None
    log.info("CONFIG REWRITE executed with success.")
    return OK


def _rewrite_lines(name: str, value: str) -> list[str]:
    if name == "save":
        words = value.split()
        if not words:
            return ['save ""']
        return [f"save {words[i]} {words[i + 1]}" for i in range(0, len(words), 2)]
    if name == "client-output-buffer-limit":
        words = value.split()
        return [
            f"{name} {words[i]} {conf.format_memory(int(words[i + 1]))} "
            f"{conf.format_memory(int(words[i + 2]))} {words[i + 3]}"
            for i in range(0, len(words), 4)
        ]
    if name in conf.MEMORY_DIRECTIVES and value.isdigit():
        return [f"{name} {conf.format_memory(int(value))}"]
    if name in ("bind", "oom-score-adj-values", "replicaof", "latency-tracking-info-percentiles"):
        return [f"{name} {value}"] if value else []
    return [f"{name} {conf.quote(value, always=name in conf.STRING_DIRECTIVES)}"]


_CONFIG_HELP = [
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
]


@command(
    "help",
    2,
    "loading stale",
    group="server",
    since="5.0.0",
    parent="config",
    summary="Show helpful text about the different subcommands",
    complexity="O(1)",
)
def config_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("CONFIG", _CONFIG_HELP)
