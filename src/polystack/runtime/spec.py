"""One declaration per system: :class:`SystemSpec`.

Each system package has a small ``spec.py`` that imports only ``polystack.runtime`` and its own
config-section dataclass, and defines ``SPEC = SystemSpec(...)``.  ``polystack/systems.py``
lists the spec modules; ``config.py`` (sections, environment variables), ``cli.py`` (flags),
``testing.py`` (fixtures, URLs) and ``runtime/server.py`` (services, ports, URLs) read the specs
and name no system's options themselves.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Option:
    """A command-line flag of ``polystack serve`` that sets one key of the system's section.

    ``flag`` is the long option (``--appendfsync``); ``key`` the section's field
    (``appendfsync``).  ``choices`` restricts the value; ``type`` is ``str``, ``int``, ``bool``
    (a switch) or ``"path"``.  ``apply``, a lazily imported ``"module:function"``, is called as
    ``fn(value, overrides)`` to derive other settings from this one (a zoo.cfg that also sets
    the bind address and the admin port); it may raise ``ValueError`` with a message for the
    user.
    """

    flag: str
    key: str
    help: str
    type: Any = str
    choices: tuple[str, ...] | None = None
    apply: str | None = None

    def apply_fn(self) -> Callable[[Any, dict[str, Any]], None] | None:
        return _import(self.apply) if self.apply else None


@dataclass(frozen=True, slots=True)
class Command:
    """A ``polystack <name> ...`` sub-command group of the system (AMQP's rabbitmqctl-like
    ``polystack amqp``): ``target`` is the click group's ``"module:attribute"``, imported only
    when the command is used."""

    name: str
    target: str
    help: str


@dataclass(frozen=True, slots=True)
class Port:
    """A listening port of the system.  The first port of a spec is its main port, configured
    by the section's ``port`` key; others (AMQP's management API) by their own key."""

    name: str  # the listener's name: "redis", "amqp-management"
    key: str  # the section field holding the port: "port", "management_port"
    default: int
    scheme: str  # URL scheme in the banner: "redis", "http"
    url_path: str = "/"  # appended to scheme://host:port
    flag: str = ""  # --redis-port; derived from the name when empty

    @property
    def cli_flag(self) -> str:
        return self.flag or f"--{self.name}-port"


@dataclass(frozen=True)
class SystemSpec:
    """Everything the face of polystack needs to know about one system.

    ``config`` is the section dataclass (slots, defaults for every field, a ``port`` field and
    a ``validate()`` raising ``ValueError`` naming the key); ``service`` the
    ``"module:Class"`` of its :class:`~polystack.runtime.service.Service`, imported only when
    the system starts.
    """

    name: str  # section and ``--only`` name: "redis"
    title: str  # "Redis"
    config: type
    service: str
    ports: tuple[Port, ...]
    options: tuple[Option, ...] = ()
    commands: tuple[Command, ...] = ()
    fixture: str = ""  # the pytest fixture giving this system's address: "polystack_redis_url"
    # What that fixture (and ``ServerHandle.address(name)``) gives: "url" or "hostport"
    # ("127.0.0.1:2181", as kazoo's ``hosts`` wants it).
    fixture_value: str = "url"
    description: str = ""
    # Started by a plain ``polystack serve`` (and ``testing.serve()`` without a choice); a
    # system with ``default=False`` (Redis Sentinel) starts only when named (``--only``).
    default: bool = True

    @property
    def port(self) -> Port:
        return self.ports[0]

    @property
    def default_port(self) -> int:
        return self.ports[0].default

    @property
    def scheme(self) -> str:
        return self.ports[0].scheme

    def url(self, host: str, port: int, which: Port | None = None) -> str:
        p = which or self.ports[0]
        return f"{p.scheme}://{host}:{port}{p.url_path}"

    def service_class(self) -> type:
        return _import(self.service)


@dataclass(slots=True)
class Unavailable:
    """A system whose spec module does not exist in this version of polystack."""

    name: str
    reason: str = field(default="not available in this version of polystack")


def _import(target: str) -> Any:
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)


def check_choice(key: str, value: str, choices: tuple[str, ...]) -> None:
    """For a section's ``validate()``: raises ValueError naming ``key``."""
    if value not in choices:
        raise ValueError(f"{key}: must be one of {', '.join(choices)} (got {value!r})")


def check_range(key: str, value: int | float, lo: int | float, hi: int | float) -> None:
    """For a section's ``validate()``: raises ValueError naming ``key``."""
    if not lo <= value <= hi:
        raise ValueError(f"{key}: must be between {lo} and {hi} (got {value})")
