"""CONFIG GET/SET/RESETSTAT/REWRITE/HELP over the parameters polystack's Redis honours.

Each :class:`Param` knows how to parse a value (with Redis's own error texts from config.c),
read the live value, and apply a new one.  CONFIG SET of several pairs is atomic: every value
is parsed first, then all are applied, and if applying one fails the ones already applied are
restored.
"""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from polystack.redis import conf
from polystack.redis.commands import command, container
from polystack.redis.commands.help import help_reply
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.limits import format_output_limits, parse_output_limits
from polystack.redis.wire import OK

log = logging.getLogger(__name__)

_LLONG_MAX = (1 << 63) - 1
_INT_MAX = (1 << 31) - 1
_UINT_MAX = (1 << 32) - 1


class InvalidValue(Exception):
    """A value CONFIG SET refuses; the message is Redis's reason text."""


@dataclass(slots=True)
class Param:
    name: str
    parse: Callable[[bytes], Any]
    get: Callable[[Any], bytes]
    set: Callable[[Any, Any], None] | None  # None: immutable
    protected: bool = False
    aliases: tuple[str, ...] = ()


# -- value codecs (config.c's boolean, numeric, memory and enum configs) ------------------


def parse_bool(v: bytes) -> bool:
    low = v.lower()
    if low == b"yes":
        return True
    if low == b"no":
        return False
    raise InvalidValue("argument must be 'yes' or 'no'")


def _strict_ll(v: bytes) -> int | None:
    s = v.decode("latin-1")
    if not s or len(s) > 20:
        return None
    body = s[1:] if s[0] == "-" else s
    if not body.isdigit() or not body.isascii() or (body[0] == "0" and len(body) > 1):
        return None
    if s == "-0":
        return None
    n = int(s)
    return n if -(1 << 63) <= n <= _LLONG_MAX else None


def memtoull(v: bytes) -> int | None:
    """Redis's memtoull: a number with an optional b/k/kb/m/mb/g/gb unit (case-insensitive)."""
    s = v.decode("latin-1").lower()
    units = (
        ("gb", 1 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("g", 10**9),
        ("m", 10**6),
        ("k", 1000),
        ("b", 1),
    )
    mul = 1
    for suffix, m in units:
        if s.endswith(suffix):
            s, mul = s[: -len(suffix)], m
            break
    if not s or not s.isdigit() or not s.isascii():
        return None
    n = int(s) * mul
    return n if n <= (1 << 64) - 1 else None


def integer(lo: int, hi: int) -> Callable[[bytes], int]:
    def parse(v: bytes) -> int:
        n = _strict_ll(v)
        if n is None:
            raise InvalidValue("argument couldn't be parsed into an integer")
        if not lo <= n <= hi:
            raise InvalidValue(f"argument must be between {lo} and {hi} inclusive")
        return n

    return parse


def memory(lo: int, hi: int) -> Callable[[bytes], int]:
    def parse(v: bytes) -> int:
        n = memtoull(v)
        if n is None:
            raise InvalidValue("argument must be a memory value")
        if not lo <= n <= hi:
            raise InvalidValue(f"argument must be between {lo} and {hi} inclusive")
        return n

    return parse


def enum(*choices: str) -> Callable[[bytes], str]:
    def parse(v: bytes) -> str:
        s = v.decode("latin-1").lower()
        if s not in choices:
            raise InvalidValue("argument(s) must be one of the following: " + ", ".join(choices))
        return s

    return parse


def parse_save(v: bytes) -> list[tuple[int, int]]:
    words = v.split()
    if len(words) % 2:
        raise InvalidValue("Invalid save parameters")
    points = []
    for i in range(0, len(words), 2):
        secs, changes = _strict_ll(words[i]), _strict_ll(words[i + 1])
        if secs is None or changes is None or secs < 1 or changes < 0:
            raise InvalidValue("Invalid save parameters")
        points.append((secs, changes))
    return points


# notify-keyspace-events classes, as notify.c spells them.
NOTIFY_FLAGS = {
    "g": 1 << 2,
    "$": 1 << 3,
    "l": 1 << 4,
    "s": 1 << 5,
    "h": 1 << 6,
    "z": 1 << 7,
    "x": 1 << 8,
    "e": 1 << 9,
    "t": 1 << 10,
    "m": 1 << 12,
    "d": 1 << 11,
    "n": 1 << 13,
    "K": 1 << 0,
    "E": 1 << 1,
}
NOTIFY_ALL = sum(NOTIFY_FLAGS[c] for c in "g$lshzxetd")


def parse_notify(v: bytes) -> int:
    flags = 0
    for ch in v.decode("latin-1"):
        if ch == "A":
            flags |= NOTIFY_ALL
        elif ch in NOTIFY_FLAGS:
            flags |= NOTIFY_FLAGS[ch]
        else:
            raise InvalidValue("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    return flags


def notify_to_string(flags: int) -> str:
    if flags & NOTIFY_ALL == NOTIFY_ALL:
        out = "A"
    else:
        out = "".join(c for c in "g$lshzxetd" if flags & NOTIFY_FLAGS[c])
    for c in "nKEm":
        if flags & NOTIFY_FLAGS[c]:
            out += c
    return out


def _yesno(b: bool) -> bytes:
    return b"yes" if b else b"no"


# -- the parameters -------------------------------------------------------------------------


def _attr(
    name: str, fmt: Callable[[Any], bytes] = lambda v: b"%d" % v
) -> tuple[Callable, Callable]:
    def get(server: Any) -> bytes:
        return fmt(getattr(server.config, name))

    def set_(server: Any, value: Any) -> None:
        setattr(server.config, name, value)

    return get, set_


def _extra(name: str, default: bytes) -> tuple[Callable, Callable]:
    def get(server: Any) -> bytes:
        return server.extra_config.get(name, default)

    def set_(server: Any, value: bytes) -> None:
        server.extra_config[name] = value

    return get, set_


def _set_appendonly(server: Any, on: bool) -> None:
    ks = server.keyspace
    dirty = ks.dirty  # turning the log on writes a snapshot; CONFIG SET itself is no write
    try:
        server.set_appendonly(on)
    finally:
        ks.dirty = dirty


def _set_appendfsync(server: Any, policy: str) -> None:
    server.set_appendfsync(policy)


def _set_maxclients(server: Any, n: int) -> None:
    server.config.maxclients = n
    for c in list(server.clients.values()):
        listener = getattr(c.peer, "listener", None)
        if listener is not None:
            listener.max_clients = n


def _set_query_limit(server: Any, n: int) -> None:
    server.config.client_query_buffer_limit = n
    for c in list(server.clients.values()):
        parser = getattr(c, "_parser", None)
        if parser is not None:
            parser.max_query = n


def _set_hz(server: Any, n: int) -> None:
    server.config.hz = min(max(n, 1), 500)  # Redis clamps to CONFIG_MIN_HZ..CONFIG_MAX_HZ


def _get_save(server: Any) -> bytes:
    points = getattr(server, "save_points", None)
    if points is None:
        return b"3600 1 300 100 60 10000"
    return " ".join(f"{s} {c}" for s, c in points).encode()


def _set_save(server: Any, points: list[tuple[int, int]]) -> None:
    server.save_points = points
    server.config.save = " ".join(f"{s} {c}" for s, c in points)


def _get_notify(server: Any) -> bytes:
    return notify_to_string(getattr(server, "notify_keyspace_events", 0)).encode()


def _set_notify(server: Any, flags: int) -> None:
    server.notify_keyspace_events = flags


def _get_port(server: Any) -> bytes:
    return b"%d" % server.bound_ports.get("redis", server.config.port)


def _set_port(server: Any, port: int) -> None:
    if port != server.bound_ports.get("redis", server.config.port):
        raise InvalidValue("Unable to listen on this port")


def _get_bind(server: Any) -> bytes:
    return server.bind.encode()


def _set_bind(server: Any, value: bytes) -> None:
    if value.decode("latin-1").split() != server.bind.split():
        raise InvalidValue("Failed to bind to specified addresses.")


def _get_dir(server: Any) -> bytes:
    return os.fsencode(server.rdb_dir())


def _parse_output_limits(value: bytes) -> Any:
    try:
        return parse_output_limits(value.decode("latin-1"))
    except ValueError as e:
        raise InvalidValue(str(e)) from None


def _get_output_limits(server: Any) -> bytes:
    return format_output_limits(server.output_limits).encode()


def _set_output_limits(server: Any, limits: Any) -> None:
    server.set_output_limits(limits)


def _extra_int(name: str, default: int) -> tuple[Callable, Callable]:
    def get(server: Any) -> bytes:
        return b"%d" % getattr(server, name.replace("-", "_"), default)

    def set_(server: Any, value: int) -> None:
        setattr(server, name.replace("-", "_"), value)

    return get, set_


def _limit(name: str) -> tuple[Callable, Callable]:
    """A value-encoding threshold, kept in the keyspace's EncodingLimits."""

    def get(server: Any) -> bytes:
        return b"%d" % getattr(server.keyspace.limits, name)

    def set_(server: Any, value: int) -> None:
        setattr(server.keyspace.limits, name, value)

    return get, set_


_LONG_MAX = _LLONG_MAX


def _encoding_params() -> list[Param]:
    """The *-max-listpack-*, set-max-intset-entries, list and stream node parameters."""
    return [
        Param(
            "hash-max-listpack-entries",
            integer(0, _LONG_MAX),
            *_limit("hash_max_listpack_entries"),
            aliases=("hash-max-ziplist-entries",),
        ),
        Param(
            "hash-max-listpack-value",
            memory(0, _LONG_MAX),
            *_limit("hash_max_listpack_value"),
            aliases=("hash-max-ziplist-value",),
        ),
        Param("set-max-intset-entries", integer(0, _LONG_MAX), *_limit("set_max_intset_entries")),
        Param(
            "zset-max-listpack-entries",
            integer(0, _LONG_MAX),
            *_limit("zset_max_listpack_entries"),
            aliases=("zset-max-ziplist-entries",),
        ),
        Param(
            "zset-max-listpack-value",
            memory(0, _LONG_MAX),
            *_limit("zset_max_listpack_value"),
            aliases=("zset-max-ziplist-value",),
        ),
        Param(
            "list-max-listpack-size",
            integer(-_INT_MAX - 1, _INT_MAX),
            *_limit("list_max_listpack_size"),
            aliases=("list-max-ziplist-size",),
        ),
        Param("list-compress-depth", integer(0, _INT_MAX), *_limit("list_compress_depth")),
        Param("stream-node-max-bytes", memory(0, _LONG_MAX), *_limit("stream_node_max_bytes")),
        Param(
            "hll-sparse-max-bytes", memory(0, _LONG_MAX), *_extra_int("hll-sparse-max-bytes", 3000)
        ),
        Param(
            "stream-node-max-entries", integer(0, _LLONG_MAX), *_limit("stream_node_max_entries")
        ),
    ]


def _params() -> dict[str, Param]:
    p: list[Param] = [
        *_encoding_params(),
        Param("maxmemory", memory(0, _LLONG_MAX), *_attr("maxmemory")),
        Param(
            "maxmemory-policy",
            enum(
                "volatile-lru",
                "volatile-lfu",
                "volatile-random",
                "volatile-ttl",
                "allkeys-lru",
                "allkeys-lfu",
                "allkeys-random",
                "noeviction",
            ),
            *_attr("maxmemory_policy", str.encode),
        ),
        Param("appendonly", parse_bool, _attr("appendonly", _yesno)[0], _set_appendonly),
        Param(
            "appendfsync",
            enum("everysec", "always", "no"),
            _attr("appendfsync", str.encode)[0],
            _set_appendfsync,
        ),
        Param(
            "requirepass",
            bytes,
            _attr("requirepass", str.encode)[0],
            lambda s, v: setattr(s.config, "requirepass", v.decode("utf-8", "surrogateescape")),
        ),
        Param("timeout", integer(0, _INT_MAX), *_attr("timeout")),
        Param("hz", integer(0, _INT_MAX), _attr("hz")[0], _set_hz),
        Param("databases", integer(1, _INT_MAX), _attr("databases")[0], None),
        Param("maxclients", integer(1, _UINT_MAX), _attr("maxclients")[0], _set_maxclients),
        Param("save", parse_save, _get_save, _set_save),
        Param("dir", bytes, _get_dir, None, protected=True),
        Param("dbfilename", bytes, _attr("dbfilename", str.encode)[0], None, protected=True),
        Param("rdbcompression", parse_bool, *_attr("rdbcompression", _yesno)),
        Param("rdbchecksum", parse_bool, _attr("rdbchecksum", _yesno)[0], None),
        Param(
            "stop-writes-on-bgsave-error",
            parse_bool,
            *_attr("stop_writes_on_bgsave_error", _yesno),
        ),
        Param("port", integer(0, 65535), _get_port, _set_port),
        Param("bind", bytes, _get_bind, _set_bind),
        Param("notify-keyspace-events", parse_notify, _get_notify, _set_notify),
        Param("lfu-log-factor", integer(0, _INT_MAX), *_extra_int("lfu-log-factor", 10)),
        Param("lfu-decay-time", integer(0, _INT_MAX), *_extra_int("lfu-decay-time", 1)),
        Param("proto-max-bulk-len", memory(1024 * 1024, _LLONG_MAX), *_attr("proto_max_bulk_len")),
        Param(
            "client-query-buffer-limit",
            memory(1024 * 1024, _LLONG_MAX),
            _attr("client_query_buffer_limit")[0],
            _set_query_limit,
        ),
        Param(
            "auto-aof-rewrite-percentage",
            integer(0, _INT_MAX),
            *_attr("auto_aof_rewrite_percentage"),
        ),
        Param(
            "auto-aof-rewrite-min-size", memory(0, _LLONG_MAX), *_attr("auto_aof_rewrite_min_size")
        ),
        Param(
            "client-output-buffer-limit",
            _parse_output_limits,
            _get_output_limits,
            _set_output_limits,
        ),
    ]
    out = {x.name: x for x in p}
    for x in p:
        for alias in x.aliases:
            out[alias] = x
    return out


PARAMS = _params()


def set_params(server: Any, pairs: list[tuple[bytes, bytes]]) -> None:
    """Apply ``pairs`` atomically (all or none), raising Redis's CONFIG SET errors."""
    chosen: list[tuple[Param, Any]] = []
    seen: set[str] = set()
    for name, value in pairs:
        key = name.decode("latin-1").lower()
        param = PARAMS.get(key)
        if param is None:
            raise err(
                "Unknown option or number of arguments for CONFIG SET - "
                f"'{name.decode('utf-8', 'replace')}'"
            )

        def fail(reason: str, param: Param = param) -> RedisError:
            return err(
                f"CONFIG SET failed (possibly related to argument '{param.name}') - {reason}"
            )

        if param.protected:
            raise fail("can't set protected config")
        if param.set is None:
            raise fail("can't set immutable config")
        if param.name in seen:
            raise err(
                "CONFIG SET failed (possibly related to argument "
                f"'{name.decode('utf-8', 'replace')}') - duplicate parameter"
            )
        seen.add(param.name)
        try:
            chosen.append((param, param.parse(value)))
        except InvalidValue as e:
            raise fail(str(e)) from None
    old = [(param, param.get(server)) for param, _ in chosen]
    applied: list[Param] = []
    try:
        for param, value in chosen:
            assert param.set is not None
            param.set(server, value)
            applied.append(param)
    except InvalidValue as e:
        for param, previous in reversed(old):
            if param in applied and param.set is not None:
                try:
                    param.set(server, param.parse(previous))
                except Exception:
                    log.exception("CONFIG SET: could not restore %s", param.name)
        raise err(
            f"CONFIG SET failed (possibly related to argument '{param.name}') - {e}"
        ) from None


def get_params(server: Any, patterns: list[bytes]) -> dict[bytes, bytes]:
    out: dict[bytes, bytes] = {}
    done: set[str] = set()
    for pat in patterns:
        text = pat.decode("latin-1")
        if not any(c in text for c in "*?["):
            param = PARAMS.get(text.lower())
            if param is not None and text.lower() not in done:
                done.add(text.lower())
                out[pat] = param.get(server)
            continue
        for name, param in PARAMS.items():
            if name not in done and fnmatch.fnmatchcase(name, text.lower()):
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
    set_params(client.server, pairs)
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
    for name, param in PARAMS.items():
        value = param.get(server).decode("utf-8", "surrogateescape")
        options[name] = _rewrite_lines(name, value)
        default = conf.REDIS_DEFAULTS.get(name)
        if default is not None and name != "save":  # save is always written, as Redis does
            defaults[name] = _rewrite_lines(name, default)
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
    if name in ("bind", "oom-score-adj-values", "replicaof") and value:
        return [f"{name} {value}"]
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
