"""Queue and exchange arguments: validation and equivalence with RabbitMQ 3.10's rules and texts.

Validation errors read ``invalid arg 'x-expires' for queue 'q' in vhost '/': {value_zero,0}``
(the Erlang term RabbitMQ prints); redeclaring with a different argument reads
``inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/': received the value '100' of type
'byte' but current is none``.
"""

from __future__ import annotations

from typing import Any

from .errors import AMQPError
from .table import INTEGER_TYPES, TYPE_NAMES, Table

MAX_EXPIRY = 4294967295
QUEUE_TYPES = {"classic": "rabbit_classic_queue", "quorum": "rabbit_quorum_queue"}
STREAM_TYPE = "rabbit_stream_queue"
OVERFLOW = ("drop-head", "reject-publish", "reject-publish-dlx")

# the arguments whose values RabbitMQ compares on redeclare (rabbit_amqqueue:declare_args/0)
QUEUE_EQUIVALENCE_KEYS = (
    "x-expires",
    "x-message-ttl",
    "x-dead-letter-exchange",
    "x-dead-letter-routing-key",
    "x-max-length",
    "x-max-length-bytes",
    "x-max-in-memory-length",
    "x-max-in-memory-bytes",
    "x-max-priority",
    "x-overflow",
    "x-queue-mode",
    "x-single-active-consumer",
    "x-quorum-initial-group-size",
    "x-max-age",
    "x-stream-max-segment-size-bytes",
    "x-initial-cluster-size",
    "x-queue-leader-locator",
)
INVALID_FOR_TYPE = {
    "classic": (
        "x-delivery-limit",
        "x-quorum-initial-group-size",
        "x-max-age",
        "x-stream-max-segment-size-bytes",
        "x-initial-cluster-size",
        "x-queue-leader-locator",
    ),
    "quorum": ("x-max-priority", "x-queue-mode", "x-queue-master-locator", "x-queue-version"),
}


def rs(kind: str, name: str, vhost: str) -> str:
    """RabbitMQ's ``rabbit_misc:rs/1``: ``queue 'q' in vhost '/'``."""
    return f"{kind} '{name}' in vhost '{vhost}'"


def _type(args: dict, key: str) -> str:
    if isinstance(args, Table):
        t = args.types.get(key)
        if t:
            return t
    from .table import infer_type

    return infer_type(args[key])


def _erl(v: Any) -> str:
    """An Erlang term as ``~p`` prints the few shapes RabbitMQ uses here."""
    if isinstance(v, tuple):
        return "{" + ",".join(_erl(x) for x in v) + "}"
    if isinstance(v, str) and v.startswith('"'):
        return v
    return str(v)


def _int(args: dict, key: str) -> int | str:
    """The argument's integer value, or the error term (a string) when it is not an integer."""
    t = _type(args, key)
    if t not in INTEGER_TYPES:
        return f'"expected integer, got {TYPE_NAMES.get(t, t)}"'
    return int(args[key])


def _check(args: dict, key: str) -> Any:
    """The error term for one argument, or None."""
    v = args[key]
    t = _type(args, key)
    if key in ("x-max-length", "x-max-length-bytes", "x-max-in-memory-length",
               "x-max-in-memory-bytes", "x-stream-max-segment-size-bytes"):  # fmt: skip
        n = _int(args, key)
        if isinstance(n, str):
            return n
        return ("value_negative", n) if n < 0 else None
    if key == "x-expires":
        n = _int(args, key)
        if isinstance(n, str):
            return n
        if n == 0:
            return ("value_zero", 0)
        return _expiry(n)
    if key == "x-message-ttl":
        n = _int(args, key)
        if isinstance(n, str):
            return n
        return _expiry(n)
    if key == "x-max-priority":
        n = _int(args, key)
        if isinstance(n, str):
            return n
        if n < 0:
            return ("value_negative", n)
        return ("max_value_exceeded", n) if n > 255 else None
    if key == "x-dead-letter-exchange":
        return None if t == "S" else ("unacceptable_type", TYPE_NAMES[t])
    if key == "x-dead-letter-routing-key":
        if t != "S":
            return ("unacceptable_type", TYPE_NAMES[t])
        return None if "x-dead-letter-exchange" in args else "routing_key_but_no_dlx_defined"
    if key == "x-overflow":
        if t != "S":
            return ("unacceptable_type", TYPE_NAMES[t])
        return None if v in OVERFLOW else "invalid_overflow"
    if key == "x-single-active-consumer":
        return None if t == "t" else ("unacceptable_type", TYPE_NAMES[t])
    if key == "x-queue-mode":
        if t != "S":
            return ("unacceptable_type", TYPE_NAMES[t])
        return None if v in ("default", "lazy") else f"\"unsupported queue mode '{v}'\""
    if key == "x-queue-type":
        if t != "S":
            return ("unacceptable_type", TYPE_NAMES[t])
        return None if v in ("classic", "quorum", "stream") else f"\"unsupported queue type '{v}'\""
    if key in ("x-quorum-initial-group-size", "x-initial-cluster-size"):
        n = _int(args, key)
        if isinstance(n, str):
            return n
        return ("value_zero", 0) if n == 0 else (("value_negative", n) if n < 0 else None)
    return None


def _expiry(n: int) -> Any:
    if n > MAX_EXPIRY:
        return ("value_too_large", n)
    if n < 0:
        return ("value_negative", n)
    return None


_VALIDATED = (
    "x-expires",
    "x-message-ttl",
    "x-dead-letter-exchange",
    "x-dead-letter-routing-key",
    "x-max-length",
    "x-max-length-bytes",
    "x-max-in-memory-length",
    "x-max-in-memory-bytes",
    "x-max-priority",
    "x-overflow",
    "x-queue-mode",
    "x-single-active-consumer",
    "x-queue-type",
    "x-quorum-initial-group-size",
    "x-stream-max-segment-size-bytes",
    "x-initial-cluster-size",
)


def validate_queue_declare(
    name: str, vhost: str, durable: bool, exclusive: bool, auto_delete: bool, args: dict
) -> str:
    """Check a new queue's arguments and properties; returns its type (``classic``/``quorum``)."""
    where = rs("queue", name, vhost)
    if "x-dead-letter-exchange" in args and _type(args, "x-dead-letter-exchange") != "S":
        t = TYPE_NAMES[_type(args, "x-dead-letter-exchange")]
        raise AMQPError(406, f"invalid type '{t}' for arg 'x-dead-letter-exchange' in {where}")
    for key in _VALIDATED:
        if key in args:
            err = _check(args, key)
            if err is not None:
                raise AMQPError(406, f"invalid arg '{key}' for {where}: {_erl(err)}")
    qtype = args.get("x-queue-type", "classic")
    if qtype == "stream":
        raise AMQPError(
            541,
            f"Cannot declare a queue '{where}' of type '{STREAM_TYPE}' on node "
            "'polystack@localhost': the corresponding feature flag is disabled",
        )
    for key in INVALID_FOR_TYPE[qtype]:
        if key in args:
            raise AMQPError(
                406, f"invalid arg '{key}' for {where} of queue type {QUEUE_TYPES[qtype]}"
            )
    if qtype == "quorum":
        if auto_delete:
            raise AMQPError(406, f"invalid property 'auto-delete' for {where}")
        if exclusive:
            raise AMQPError(406, f"invalid property 'exclusive-owner' for {where}")
        if not durable:
            raise AMQPError(406, f"invalid property 'non-durable' for {where}")
    return qtype


def _val(table: dict | None, key: str) -> str:
    if table is None or key not in table:
        return "none"
    return f"the value '{_fmt(table[key])}' of type '{TYPE_NAMES[_type(table, key)]}'"


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _type_class(t: str) -> str:
    return "int" if t in INTEGER_TYPES else t


def assert_args_equivalence(
    current: dict, received: dict, where: str, keys: tuple[str, ...]
) -> None:
    for key in keys:
        a = key in current
        b = key in received
        if not a and not b:
            continue
        if a and b:
            if _type_class(_type(current, key)) == _type_class(_type(received, key)) and (
                current[key] == received[key]
                and isinstance(current[key], bool) == isinstance(received[key], bool)
            ):
                continue
            raise AMQPError(
                406,
                f"inequivalent arg '{key}' for {where}: received '{_fmt(received[key])}' "
                f"but current is '{_fmt(current[key])}'",
            )
        raise AMQPError(
            406,
            f"inequivalent arg '{key}' for {where}: received {_val(received, key)} "
            f"but current is {_val(current, key)}",
        )


def assert_field_equivalence(current: Any, received: Any, where: str, field: str) -> None:
    if current != received:
        raise AMQPError(
            406,
            f"inequivalent arg '{field}' for {where}: received '{_fmt(received)}' "
            f"but current is '{_fmt(current)}'",
        )


def queue_settings(args: dict) -> dict[str, Any]:
    """The settings a queue runs with, from its (validated) arguments."""

    def num(key: str) -> int | None:
        v = args.get(key)
        return int(v) if isinstance(v, int) and not isinstance(v, bool) else None

    qtype = args.get("x-queue-type", "classic")
    if qtype not in QUEUE_TYPES:
        qtype = "classic"
    overflow = args.get("x-overflow", "drop-head")
    dlx = args.get("x-dead-letter-exchange")
    dlrk = args.get("x-dead-letter-routing-key")
    sac = args.get("x-single-active-consumer")
    mp = num("x-max-priority")
    return {
        "type": qtype,
        "message_ttl": num("x-message-ttl"),
        "expires": num("x-expires"),
        "max_length": num("x-max-length"),
        "max_length_bytes": num("x-max-length-bytes"),
        "overflow": overflow if overflow in OVERFLOW else "drop-head",
        "dlx": dlx if isinstance(dlx, str) else None,
        "dlrk": dlrk if isinstance(dlrk, str) else None,
        "max_priority": mp if qtype == "classic" else None,
        "single_active": sac is True,
        "delivery_limit": num("x-delivery-limit") if qtype == "quorum" else None,
    }
