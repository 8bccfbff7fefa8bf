"""The method table: every channel-level AMQP method the broker accepts, declared once.

Each entry names the method (RabbitMQ's ``class.method`` spelling), whether it carries content
(basic.publish), and its handler ``handler(conn, channel, method)``.  Dispatch, the
"unimplemented method" reply and the compatibility document all come from this table.
Connection-class methods belong to the connection's state machine (``session.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..constants import METHOD_NAMES


@dataclass(frozen=True, slots=True)
class MethodSpec:
    index: int
    name: str
    handler: Callable
    content: bool = False


TABLE: dict[int, MethodSpec] = {}


def method(class_id: int, method_id: int, *, content: bool = False):
    def register(fn: Callable) -> Callable:
        index = (class_id << 16) | method_id
        TABLE[index] = MethodSpec(index, METHOD_NAMES[(class_id, method_id)], fn, content)
        return fn

    return register


def _load() -> None:
    from . import basic, channel_ops, confirm, exchange, queue  # noqa: F401  (registration)


_load()
