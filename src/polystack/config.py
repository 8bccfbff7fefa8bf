"""One typed configuration: TOML file < environment ``POLYSTACK_*`` < command-line flags.

Top-level keys (``bind``, ``data_dir``, ``only``, ``admin_port``) and one table per
system (``[redis]``, ``[amqp]``, ``[mongo]``, ``[zookeeper]``).  In the environment,
``POLYSTACK_BIND`` sets ``bind`` and ``POLYSTACK_REDIS_APPENDFSYNC`` sets
``redis.appendfsync``: ``POLYSTACK_<SECTION>_<KEY>`` for a system's key.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

SYSTEMS = ("redis", "amqp", "mongo", "zookeeper")


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the key."""


@dataclass(slots=True)
class RedisConfig:
    port: int = 6379
    appendonly: bool = True
    appendfsync: str = "everysec"
    requirepass: str = ""
    databases: int = 16
    maxclients: int = 10000
    hz: int = 10
    client_query_buffer_limit: int = 1024 * 1024 * 1024
    proto_max_bulk_len: int = 512 * 1024 * 1024
    auto_aof_rewrite_percentage: int = 100
    auto_aof_rewrite_min_size: int = 64 * 1024 * 1024
    timeout: int = 0
    maxmemory: int = 0
    maxmemory_policy: str = "noeviction"

    def validate(self) -> None:
        _choice("redis.appendfsync", self.appendfsync, ("always", "everysec", "no"))
        _range("redis.databases", self.databases, 1, 1 << 20)
        _range("redis.maxclients", self.maxclients, 1, 1 << 20)
        _range("redis.hz", self.hz, 1, 500)


@dataclass(slots=True)
class AmqpConfig:
    port: int = 5672

    def validate(self) -> None:
        pass


@dataclass(slots=True)
class MongoConfig:
    port: int = 27017

    def validate(self) -> None:
        pass


@dataclass(slots=True)
class ZooKeeperConfig:
    port: int = 2181
    tick_time: int = 2000
    min_session_timeout: int | None = None
    max_session_timeout: int | None = None
    max_client_cnxns: int = 60
    four_letter_whitelist: str = "srvr"
    jute_maxbuffer: int = 0xFFFFF
    fsync: str = "always"
    data_log_dir: str | None = None
    autopurge_snap_retain_count: int = 3
    autopurge_purge_interval: int = 0
    zoo_cfg: str | None = None
    snap_count: int = 100000
    extended_types_enabled: bool = True
    container_check_interval_ms: int = 60000
    super_digest: str = ""

    def validate(self) -> None:
        _choice("zookeeper.fsync", self.fsync, ("always", "everysec", "no"))
        _range("zookeeper.tick_time", self.tick_time, 1, 1 << 30)
        _range("zookeeper.snap_count", self.snap_count, 1, 1 << 31)
        _range("zookeeper.jute_maxbuffer", self.jute_maxbuffer, 1, 1 << 31)
        _range(
            "zookeeper.container_check_interval_ms", self.container_check_interval_ms, 1, 1 << 31
        )


@dataclass(slots=True)
class Config:
    bind: str = "127.0.0.1"
    data_dir: Path = Path("./polystack-data")
    only: tuple[str, ...] = SYSTEMS
    admin_port: int = 8080
    admin: bool = True
    log_level: str = "info"
    redis: RedisConfig = field(default_factory=RedisConfig)
    amqp: AmqpConfig = field(default_factory=AmqpConfig)
    mongo: MongoConfig = field(default_factory=MongoConfig)
    zookeeper: ZooKeeperConfig = field(default_factory=ZooKeeperConfig)

    def validate(self) -> None:
        unknown = [s for s in self.only if s not in SYSTEMS]
        if unknown:
            raise ConfigError(
                f"only: unknown system {unknown[0]!r} (choose from {', '.join(SYSTEMS)})"
            )
        _choice("log_level", self.log_level, ("debug", "info", "warning", "error"))
        for port_key, port in [("admin_port", self.admin_port)] + [
            (f"{s}.port", getattr(self, s).port) for s in SYSTEMS
        ]:
            _range(port_key, port, 0, 65535)
        for s in SYSTEMS:
            getattr(self, s).validate()

    def section(self, name: str) -> Any:
        return getattr(self, name)


def _choice(key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{key}: must be one of {', '.join(choices)} (got {value!r})")


def _range(key: str, value: int, lo: int, hi: int) -> None:
    if not lo <= value <= hi:
        raise ConfigError(f"{key}: must be between {lo} and {hi} (got {value})")


def _coerce(key: str, value: Any, hint: Any) -> Any:
    """Convert a TOML/env/flag value to the field's type, with a clear error."""
    text = hint.__name__ if isinstance(hint, type) else str(hint)
    try:
        if hint is bool or text == "bool":
            if isinstance(value, bool):
                return value
            v = str(value).strip().lower()
            if v in ("1", "true", "yes", "on"):
                return True
            if v in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if hint is int or text == "int":
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if text in ("int | None", "typing.Optional[int]"):
            return None if value in (None, "", "none") else int(value)
        if text in ("str | None", "typing.Optional[str]"):
            return None if value is None else str(value)
        if hint is Path or text == "Path":
            return Path(str(value))
        if text.startswith("tuple"):
            if isinstance(value, str):
                return tuple(p.strip() for p in value.split(",") if p.strip())
            return tuple(str(v) for v in value)
        if hint is str or text == "str":
            if not isinstance(value, str | int | float):
                raise ValueError(value)
            return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: expected {_type_word(text)}, got {value!r}") from None
    return value


def _type_word(text: str) -> str:
    return {"int": "an integer", "bool": "true or false", "str": "a string"}.get(
        text.replace(" | None", ""), text
    )


def _apply(target: Any, values: dict[str, Any], prefix: str = "") -> None:
    hints = get_type_hints(type(target))
    names = {f.name for f in dataclasses.fields(target)}
    for raw_key, value in values.items():
        key = raw_key.replace("-", "_").replace(".", "_")
        full = f"{prefix}{raw_key}"
        if key not in names:
            raise ConfigError(f"{full}: unknown configuration key")
        current = getattr(target, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"{full}: expected a table")
            _apply(current, value, prefix=f"{full}.")
        else:
            setattr(target, key, _coerce(full, value, hints[key]))


def _from_env(environ: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    top = {f.name for f in dataclasses.fields(Config)}
    for name, value in environ.items():
        if not name.startswith("POLYSTACK_"):
            continue
        rest = name[len("POLYSTACK_") :].lower()
        section = next((s for s in SYSTEMS if rest.startswith(s + "_")), None)
        if section is not None:
            out.setdefault(section, {})[rest[len(section) + 1 :]] = value
        elif rest in top:
            out[rest] = value
    return out


def load(
    path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Build the configuration: file < environment < ``overrides`` (flags), then validate."""
    cfg = Config()
    if path is not None:
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except FileNotFoundError:
            raise ConfigError(f"config file {path}: not found") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"config file {path}: {e}") from None
        _apply(cfg, data)
    _apply(cfg, _from_env(dict(os.environ) if environ is None else environ))
    if overrides:
        nested: dict[str, Any] = {}
        for key, value in overrides.items():
            if value is None:
                continue
            if "." in key:
                section, sub = key.split(".", 1)
                nested.setdefault(section, {})[sub] = value
            else:
                nested[key] = value
        _apply(cfg, nested)
    cfg.validate()
    return cfg
