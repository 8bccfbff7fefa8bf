"""What a command handler sees: the server state, the database, the request and the client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..bsontypes import is_integral, is_numeric
from ..errors import MongoError
from ..mongod import MongoServer
from ..wire import Request


@dataclass(slots=True)
class ClientInfo:
    """The connection a command arrived on (for whatsmyuri, currentOp, hello's metadata)."""

    conn_id: int
    remote: str = ""
    metadata: dict[str, Any] | None = None
    hello_done: bool = False
    compressor: int = -1
    compressors: list[str] = field(default_factory=list)
    current_op: dict[str, Any] | None = None


@dataclass(slots=True)
class CommandContext:
    server: MongoServer
    db: str
    request: Request
    client: ClientInfo
    op_id: int = 0
    # set by handlers: the cluster time of the last write this command made
    write_ts: int = 0
    # a handler that must reply later (awaitable hello, awaitData getMore) stores a callback
    deferred: Any = None

    @property
    def storage(self) -> Any:
        return self.server.storage

    def now_ms(self) -> int:
        return self.server.clock.time_ms()


def ns_of(ctx: CommandContext, cmd: dict, name: str) -> str:
    """The collection a command names (its first field), checked to be a string."""
    coll = cmd.get(name)
    if not isinstance(coll, str):
        raise MongoError(
            2,
            f"collection name has invalid type {_type(coll)}",
        )
    if not coll:
        raise MongoError(73, f"Invalid namespace specified '{ctx.db}.'")
    return coll


def _type(v: Any) -> str:
    from ..bsontypes import type_name

    return type_name(v)


def get_bool(cmd: dict, name: str, default: bool = False) -> bool:
    v = cmd.get(name, default)
    if v is None:
        return default
    if isinstance(v, bool):
        return v
    from ..bsontypes import is_numeric, truthy

    if is_numeric(v):
        return truthy(v)
    raise MongoError(
        14, f"BSON field '{name}' is the wrong type '{_type(v)}', expected type 'bool'"
    )


def get_int(cmd: dict, name: str, default: int = 0, field_path: str | None = None) -> int:
    v = cmd.get(name, default)
    if v is None:
        return default
    if type(v) is int:
        return v
    if isinstance(v, bool) or not is_numeric(v):
        raise MongoError(
            14,
            f"BSON field '{field_path or name}' is the wrong type '{_type(v)}', expected types "
            "'[long, int, decimal, double]'",
        )
    if not is_integral(v):
        raise MongoError(
            2,
            f"Expected an integer: {name}: {v}",
        )
    return int(v)


def get_doc(cmd: dict, name: str, default: Any = None, field_path: str | None = None) -> Any:
    v = cmd.get(name, default)
    if v is None:
        return default
    if not isinstance(v, dict):
        raise MongoError(
            14,
            f"BSON field '{field_path or name}' is the wrong type '{_type(v)}', expected type "
            "'object'",
        )
    return v


class Deferred:
    """A reply that is sent later: after ``delay`` seconds, or earlier when :meth:`wake` is
    called (awaitable hello on a topology change, awaitData getMore on a new document)."""

    __slots__ = ("delay", "build", "hook", "done")

    def __init__(self, delay: float, build: Any) -> None:
        self.delay = delay
        self.build = build
        self.hook: Any = None  # set by the session
        self.done = False

    def wake(self) -> None:
        if self.hook is not None and not self.done:
            self.hook()


def op_document(ctx: CommandContext, body: dict) -> dict[str, Any]:
    """The currentOp entry of a running (or waiting) command."""
    return {
        "type": "op",
        "opid": ctx.op_id,
        "active": True,
        "op": "command",
        "ns": f"{ctx.db}.$cmd",
        "command": {k: v for k, v in body.items() if k not in ("lsid", "$clusterTime")},
        "client": ctx.client.remote,
        "connectionId": ctx.client.conn_id,
    }
