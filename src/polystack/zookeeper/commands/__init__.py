"""The op table: every opcode the server understands, declared once.

Each entry names the opcode, ZooKeeper's name for it, whether it is a write (a transaction that
takes a zxid and goes through the log before its reply), the jute request record and the handler.
Dispatch, the ``cons``/``stat`` op names and the "unimplemented" reply all come from this table.

Handlers: ``read(zk, cnxn, req) -> body`` and ``write(zk, cnxn, req, zxid, time) -> body``; both
raise :class:`~polystack.zookeeper.errors.ZKError` for a KeeperException.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..records import RecordType


@dataclass(frozen=True, slots=True)
class OpSpec:
    code: int
    name: str
    write: bool
    record: RecordType
    handler: Callable
    special_xid: int | None = None  # ping/auth/setWatches use their own xid


TABLE: dict[int, OpSpec] = {}


def op(code: int, name: str, record: RecordType, *, write: bool = False, special_xid=None):
    def register(fn: Callable) -> Callable:
        TABLE[int(code)] = OpSpec(int(code), name, write, record, fn, special_xid)
        return fn

    return register


def _load() -> None:
    from . import data, multi, session_ops, watches  # noqa: F401  (registration side effects)


_load()
