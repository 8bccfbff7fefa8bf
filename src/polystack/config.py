"""One typed configuration: TOML file < environment ``POLYSTACK_*`` < command-line flags.

Top-level keys (``bind``, ``data_dir``, ``only``, ``admin_port``, ``shutdown_timeout``,
``memory_high_watermark``, ``disk_free_limit`` ...) and one table per system, whose keys are the
fields of the section dataclass its spec names (``[redis]``, ``[zookeeper]`` ...).  In the
environment, ``POLYSTACK_BIND`` sets ``bind`` and ``POLYSTACK_REDIS_APPENDFSYNC`` sets
``redis.appendfsync``: ``POLYSTACK_<SECTION>_<KEY>`` for a system's key.  This module names no
system: the sections come from ``polystack.systems``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_type_hints

from polystack import systems
from polystack.runtime.admin import parse_admin_auth
from polystack.runtime.alarms import parse_size, parse_watermark
from polystack.runtime.spec import SystemSpec

if TYPE_CHECKING:
    from polystack.runtime.clock import Clock
    from polystack.runtime.server import Server, ServerSettings

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the key."""


class NotAvailable(ConfigError):
    """A system named in ``only`` that this version of polystack does not serve."""


TOP_LEVEL = (
    "bind",
    "data_dir",
    "only",
    "admin_port",
    "admin",
    "admin_bind",
    "admin_auth",
    "admin_allowed_hosts",
    "log_level",
    "shutdown_timeout",
    "memory_high_watermark",
    "disk_free_limit",
    "stall_threshold",
)


@dataclass
class Config:
    bind: str = "127.0.0.1"
    data_dir: Path = Path("./polystack-data")
    only: tuple[str, ...] = ()  # empty: every system this version serves
    admin_port: int = 8080
    admin: bool = True
    admin_bind: str = "127.0.0.1"
    admin_auth: str = ""
    admin_allowed_hosts: tuple[str, ...] = ()
    log_level: str = "info"
    shutdown_timeout: float = 10.0
    memory_high_watermark: str = "0.4"
    disk_free_limit: str = "50MB"
    stall_threshold: float = 2.0
    sections: dict[str, Any] = field(default_factory=dict)
    # Tables of systems this version does not serve, kept so a shared file still loads.
    ignored: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, spec in systems.specs().items():
            self.sections.setdefault(name, spec.config())

    def __getattr__(self, name: str) -> Any:
        sections = self.__dict__.get("sections")
        if sections is not None and name in sections:
            return sections[name]
        raise AttributeError(name)

    def section(self, name: str) -> Any:
        return self.sections[name]

    @property
    def chosen(self) -> tuple[str, ...]:
        """The systems to start, in the canonical order."""
        if self.only:
            return tuple(n for n in systems.KNOWN if n in self.only)
        return tuple(n for n, spec in systems.specs().items() if spec.default)

    def validate(self) -> None:
        unknown = [s for s in self.only if s not in systems.KNOWN]
        if unknown:
            raise ConfigError(
                f"only: unknown system {unknown[0]!r} (choose from {', '.join(systems.KNOWN)})"
            )
        available = systems.specs()
        missing = [s for s in self.only if s not in available]
        if missing:
            raise NotAvailable(
                f"{missing[0]} is not available in this version of polystack "
                f"(available: {', '.join(available) or 'none'})"
            )
        _choice("log_level", self.log_level, ("debug", "info", "warning", "error"))
        _range("admin_port", self.admin_port, 0, 65535)
        try:
            parse_admin_auth(self.admin_auth)
        except ValueError as e:
            raise ConfigError(f"admin_auth: {e}") from None
        if self.shutdown_timeout < 0:
            raise ConfigError(f"shutdown_timeout: must be 0 or more (got {self.shutdown_timeout})")
        if self.stall_threshold <= 0:
            raise ConfigError(f"stall_threshold: must be more than 0 (got {self.stall_threshold})")
        try:
            parse_watermark(self.memory_high_watermark, 1 << 30)
        except ValueError as e:
            raise ConfigError(f"memory_high_watermark: {e}") from None
        try:
            parse_size(self.disk_free_limit)
        except ValueError as e:
            raise ConfigError(f"disk_free_limit: {e}") from None
        for name, spec in available.items():
            section = self.sections[name]
            for p in spec.ports:
                _range(f"{name}.{p.key}", getattr(section, p.key), 0, 65535)
            try:
                section.validate()
            except ConfigError:
                raise
            except ValueError as e:
                raise ConfigError(str(e)) from None


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
        if hint is float or text == "float":
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
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
    return {
        "int": "an integer",
        "float": "a number",
        "bool": "true or false",
        "str": "a string",
    }.get(text.replace(" | None", ""), text)


def _apply_section(target: Any, values: dict[str, Any], prefix: str) -> None:
    hints = get_type_hints(type(target))
    names = {f.name for f in dataclasses.fields(target)}
    for raw_key, value in values.items():
        key = raw_key.replace("-", "_").replace(".", "_")
        full = f"{prefix}{raw_key}"
        if key not in names:
            raise ConfigError(f"{full}: unknown configuration key")
        setattr(target, key, _coerce(full, value, hints[key]))


def _apply(cfg: Config, values: dict[str, Any]) -> None:
    hints = get_type_hints(Config)
    specs = systems.specs()
    for raw_key, value in values.items():
        key = raw_key.replace("-", "_")
        if key in specs:
            if not isinstance(value, dict):
                raise ConfigError(f"{raw_key}: expected a table")
            _apply_section(cfg.sections[key], value, f"{key}.")
        elif key in systems.KNOWN:
            cfg.ignored.setdefault(key, {}).update(value if isinstance(value, dict) else {})
        elif key in TOP_LEVEL:
            setattr(cfg, key, _coerce(raw_key, value, hints[key]))
        else:
            raise ConfigError(f"{raw_key}: unknown configuration key")


def _from_env(environ: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith("POLYSTACK_"):
            continue
        rest = name[len("POLYSTACK_") :].lower()
        section = next((s for s in systems.KNOWN if rest.startswith(s + "_")), None)
        if section is not None:
            out.setdefault(section, {})[rest[len(section) + 1 :]] = value
        elif rest in TOP_LEVEL:
            out[rest] = value
    return out


def load(
    path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Build the configuration: file < environment < ``overrides`` (flags), then validate.

    ``overrides`` keys are top-level names or ``"section.key"``; None values are skipped.
    """
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


def server_settings(cfg: Config) -> ServerSettings:
    """The runtime's :class:`~polystack.runtime.server.ServerSettings` for ``cfg``."""
    from polystack.runtime.server import ServerSettings

    return ServerSettings(
        bind=cfg.bind,
        data_dir=Path(cfg.data_dir),
        admin=cfg.admin,
        admin_port=cfg.admin_port,
        admin_bind=cfg.admin_bind,
        admin_auth=cfg.admin_auth,
        admin_allowed_hosts=cfg.admin_allowed_hosts,
        shutdown_timeout=cfg.shutdown_timeout,
        memory_high_watermark=cfg.memory_high_watermark,
        disk_free_limit=cfg.disk_free_limit,
        stall_threshold=cfg.stall_threshold,
    )


def build_server(cfg: Config, clock: Clock | None = None) -> Server:
    """A :class:`~polystack.runtime.server.Server` for the chosen systems of ``cfg``."""
    from polystack.runtime.server import Server

    specs: dict[str, SystemSpec] = systems.specs()
    chosen = [(specs[n], cfg.sections[n]) for n in cfg.chosen]
    kwargs: dict[str, Any] = {}
    if clock is not None:
        kwargs["clock"] = clock
    unavailable = [] if cfg.only else systems.unavailable()
    if cfg.ignored:
        for name in cfg.ignored:
            log.warning("[%s]: not available in this version of polystack; ignored", name)
    return Server(server_settings(cfg), chosen, unavailable=unavailable, **kwargs)
