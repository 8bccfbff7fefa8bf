"""The declarative command table.

Every command is declared once with :func:`command`: its name, arity (negative
means "at least"), flags, key positions, group and handler.  Dispatch, arity
errors, COMMAND INFO/DOCS/COUNT/LIST/GETKEYS and ACL categories all read this
table.  Importing :mod:`polystack.redis.commands.table` registers every family.

A handler is ``fn(client, argv) -> reply`` where ``argv[0]`` is the command name
as sent and the reply is a value :func:`polystack.redis.wire.encode` understands
(or it raises :class:`~polystack.redis.errors.RedisError`).  A handler that
modifies the dataset increments ``client.server.dirty``; the command is then
written to the log (its ``argv``, or what the handler put in
``client.propagate``).
"""

from __future__ import annotations

import copy
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from polystack.redis import argspec

Handler = Callable[[Any, list[bytes]], Any]

COMMANDS: dict[bytes, Command] = {}
# The same commands keyed by lower- and upper-case names, so dispatch usually needs no lower().
DISPATCH: dict[bytes, Command] = {}
# A duration in seconds as a multiple of 1.024 us (ns >> 10): the latency histogram's unit.
_PER_1024NS = (1e9 / 1024).__mul__


@dataclass(slots=True)
class Command:
    name: str
    arity: int
    flags: frozenset[str]
    first_key: int
    last_key: int
    step: int
    handler: Handler
    group: str
    since: str
    summary: str
    complexity: str = ""
    acl_categories: tuple[str, ...] = ()
    tips: tuple[str, ...] = ()
    subcommands: dict[bytes, Command] = field(default_factory=dict)
    parent: Command | None = None
    arguments: tuple[dict, ...] = ()
    history: tuple[tuple[str, str], ...] = ()
    doc_flags: tuple[str, ...] = ()
    deprecated_since: str = ""
    replaced_by: str = ""
    key_specs: tuple[tuple, ...] | None = None
    write: bool = False
    noauth: bool = False
    getkeys: Callable[[list[bytes]], list[int]] | None = None
    calls: int = 0
    failed_calls: int = 0
    rejected_calls: int = 0
    _usec: float = 0.0  # seconds spent running it (INFO commandstats' usec)
    # latency histogram (LATENCY HISTOGRAM, INFO latencystats): calls per power-of-two
    # bucket of 1.024 microseconds; made by server_table, one per server
    _hist: list[int] | None = None
    # How long each call since the last fold took (seconds): the session appends one float
    # per call, and usec/hist take them in when read (or when the server cron folds them),
    # so the request path pays a list append instead of the bucket arithmetic.
    durations: list[float] = field(default_factory=list)

    @property
    def usec(self) -> float:
        if self.durations:
            self.fold_durations()
        return self._usec

    @usec.setter
    def usec(self, value: float) -> None:
        if self.durations:
            self.fold_durations()
        self._usec = value

    @property
    def hist(self) -> list[int] | None:
        if self.durations:
            self.fold_durations()
        return self._hist

    @hist.setter
    def hist(self, value: list[int] | None) -> None:
        if self.durations:
            self.fold_durations()
        self._hist = value

    def fold_durations(self) -> None:
        """Add the recorded call durations to usec and to the histogram: sorted once, each
        bucket's share counted by bisection at its bound (a call is in bucket k when its
        duration in units of 1.024 us, truncated, has bit length k)."""
        d = self.durations
        d.sort()
        self._usec += sum(d)
        hist = self._hist
        if hist is not None:
            n = len(d)
            lo = 0
            last = len(hist) - 1
            for k in range(last):
                hi = bisect_left(d, float(1 << k), lo, key=_PER_1024NS)
                if hi > lo:
                    hist[k] += hi - lo
                    lo = hi
                    if lo == n:
                        break
            if lo < n:
                hist[last] += n - lo
        d.clear()

    @property
    def full_name(self) -> str:
        return f"{self.parent.name}|{self.name}" if self.parent else self.name

    def key_indexes(self, argv: list[bytes]) -> list[int]:
        if self.getkeys is not None:
            return self.getkeys(argv)
        if self.first_key <= 0:
            return []
        last = self.last_key if self.last_key >= 0 else len(argv) + self.last_key
        return list(range(self.first_key, min(last, len(argv) - 1) + 1, self.step or 1))


_GROUP_CATEGORY = {
    "string": "@string",
    "generic": "@keyspace",
    "list": "@list",
    "hash": "@hash",
    "set": "@set",
    "sorted-set": "@sortedset",
    "connection": "@connection",
    "server": "",
    "transactions": "@transaction",
    "pubsub": "@pubsub",
    "scripting": "@scripting",
    "hyperloglog": "@hyperloglog",
    "stream": "@stream",
    "bitmap": "@bitmap",
    "geo": "@geo",
}


def _categories(flags: frozenset[str], group: str, extra: tuple[str, ...]) -> tuple[str, ...]:
    cats: list[str] = []
    if "write" in flags:
        cats.append("@write")
    if "readonly" in flags and group not in ("server", "connection"):
        cats.append("@read")
    if "admin" in flags:
        cats += ["@admin", "@dangerous"]
    g = _GROUP_CATEGORY.get(group, "")
    if g:
        cats.append(g)
    if "fast" in flags:
        cats.append("@fast")
    else:
        cats.append("@slow")
    if "blocking" in flags:
        cats.append("@blocking")
    for c in extra:
        if c not in cats:
            cats.append(c)
    return tuple(cats)


def command(
    name: str,
    arity: int,
    flags: str = "",
    keys: tuple[int, int, int] = (0, 0, 0),
    group: str = "generic",
    since: str = "1.0.0",
    summary: str = "",
    complexity: str = "",
    acl: tuple[str, ...] = (),
    tips: tuple[str, ...] = (),
    parent: str | None = None,
    arguments: tuple[dict, ...] | str = (),
    getkeys: Callable[[list[bytes]], list[int]] | None = None,
    history: tuple[tuple[str, str], ...] = (),
    deprecated: tuple[str, str] | None = None,
    specs: tuple[tuple, ...] | None = None,
    doc_flags: tuple[str, ...] = (),
    categories: tuple[str, ...] | None = None,
) -> Callable[[Handler], Handler]:
    """Register ``handler`` as command ``name`` (or as subcommand ``parent|name``).

    ``categories`` gives the ACL categories exactly (``("@pubsub", "@slow")``) instead of
    deriving them from the flags and group.

    ``arguments`` may be given in :mod:`polystack.redis.argspec` notation; ``deprecated``
    is (deprecated_since, replaced_by); ``specs`` the key specifications (see keyspecs.py)."""
    if isinstance(arguments, str):
        arguments = argspec.parse(arguments)

    def register(handler: Handler) -> Handler:
        fl = frozenset(flags.split())
        cmd = Command(
            name=name.lower(),
            arity=arity,
            flags=fl,
            first_key=keys[0],
            last_key=keys[1],
            step=keys[2],
            handler=handler,
            group=group,
            since=since,
            summary=summary or (handler.__doc__ or "").strip().split("\n")[0],
            complexity=complexity,
            acl_categories=categories if categories is not None else _categories(fl, group, acl),
            tips=tips,
            arguments=arguments,
            history=history,
            doc_flags=doc_flags + (("deprecated",) if deprecated else ()),
            deprecated_since=deprecated[0] if deprecated else "",
            replaced_by=deprecated[1] if deprecated else "",
            key_specs=specs,
            write="write" in fl,
            noauth="no_auth" in fl,
            getkeys=getkeys,
        )
        if parent is None:
            existing = COMMANDS.get(cmd.name.encode())
            if existing is not None:
                cmd.subcommands = existing.subcommands
                for sub in cmd.subcommands.values():
                    sub.parent = cmd
            COMMANDS[cmd.name.encode()] = cmd
            DISPATCH[cmd.name.encode()] = cmd
            DISPATCH[cmd.name.upper().encode()] = cmd
        else:
            container = COMMANDS.get(parent.lower().encode())
            if container is None:
                raise RuntimeError(f"register the container command {parent} before {name}")
            cmd.parent = container
            container.subcommands[cmd.name.encode()] = cmd
        return handler

    return register


def container(name: str, group: str, since: str, summary: str, flags: str = "") -> None:
    """Declare a container command (CONFIG, CLIENT, OBJECT ...) whose subcommands register later."""

    def dispatch(client: Any, argv: list[bytes]) -> Any:
        raise AssertionError("container commands are dispatched by the session")

    command(name, -2, flags, group=group, since=since, summary=summary)(dispatch)


HIST_BUCKETS = 48  # 1.024 us * 2**47: more than a day


def all_commands(commands: dict[bytes, Command]) -> list[Command]:
    """Every command and subcommand of a table, flat: the server cron's folds and sums (ten
    a second) run over it in C (filter, map) instead of two nested Python loops."""
    return [c for cmd in commands.values() for c in (cmd, *cmd.subcommands.values())]


_durations = attrgetter("durations")


def fold_all(commands: dict[bytes, Command] | list[Command]) -> None:
    """Fold every command's recorded durations (the server cron: bounded memory); takes a
    table or its :func:`all_commands`."""
    flat = all_commands(commands) if isinstance(commands, dict) else commands
    for cmd in filter(_durations, flat):
        cmd.fold_durations()


def server_table() -> tuple[dict[bytes, Command], dict[bytes, Command]]:
    """A copy of the command table for one server: (by lower-case name, dispatch by name as
    sent), with subcommands copied too.  The declarations are shared; the call counters
    (``calls``, ``failed_calls``, ``rejected_calls``) are that server's own, so two servers in
    one process never count each other's commands."""
    commands: dict[bytes, Command] = {}
    dispatch: dict[bytes, Command] = {}
    for key, cmd in COMMANDS.items():
        mine = copy.copy(cmd)
        mine.calls = mine.failed_calls = mine.rejected_calls = 0
        mine.durations = []
        mine.usec, mine.hist = 0.0, [0] * HIST_BUCKETS
        mine.subcommands = {}
        for sub_key, sub in cmd.subcommands.items():
            sub_copy = copy.copy(sub)
            sub_copy.calls = sub_copy.failed_calls = sub_copy.rejected_calls = 0
            sub_copy.durations = []
            sub_copy.usec, sub_copy.hist = 0.0, [0] * HIST_BUCKETS
            sub_copy.parent = mine
            mine.subcommands[sub_key] = sub_copy
        commands[key] = mine
    for key, cmd in DISPATCH.items():
        dispatch[key] = commands[cmd.name.encode()]
    return commands, dispatch


def lookup(argv: list[bytes]) -> Command | None:
    return COMMANDS.get(argv[0].lower())
