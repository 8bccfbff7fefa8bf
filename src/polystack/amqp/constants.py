"""AMQP 0-9-1 constants: frame types, reply codes, class and method ids, and RabbitMQ's identity."""

from __future__ import annotations

PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"
FRAME_METHOD = 1
FRAME_HEADER = 2
FRAME_BODY = 3
FRAME_HEARTBEAT = 8
FRAME_END = 0xCE
FRAME_MIN_SIZE = 4096

# what RabbitMQ 3.10 offers in connection.tune
CHANNEL_MAX = 2047
FRAME_MAX = 131072
HEARTBEAT = 60

PRODUCT = "RabbitMQ"
VERSION = "3.10.8"
PLATFORM = "Erlang/OTP 25.2.3"
COPYRIGHT = "Copyright (c) 2007-2022 VMware, Inc. or its affiliates."
INFORMATION = "Licensed under the MPL 2.0. Website: https://rabbitmq.com"
CAPABILITIES = {
    "publisher_confirms": True,
    "exchange_exchange_bindings": True,
    "basic.nack": True,
    "consumer_cancel_notify": True,
    "connection.blocked": True,
    "consumer_priorities": True,
    "authentication_failure_close": True,
    "per_consumer_qos": True,
    "direct_reply_to": True,
}

# reply codes (AMQP 0-9-1 section 1.2, with RabbitMQ's names)
REPLY_SUCCESS = 200
CONTENT_TOO_LARGE = 311
NO_ROUTE = 312
NO_CONSUMERS = 313
CONNECTION_FORCED = 320
INVALID_PATH = 402
ACCESS_REFUSED = 403
NOT_FOUND = 404
RESOURCE_LOCKED = 405
PRECONDITION_FAILED = 406
FRAME_ERROR = 501
SYNTAX_ERROR = 502
COMMAND_INVALID = 503
CHANNEL_ERROR = 504
UNEXPECTED_FRAME = 505
RESOURCE_ERROR = 506
NOT_ALLOWED = 530
NOT_IMPLEMENTED = 540
INTERNAL_ERROR = 541

REPLY_NAMES = {
    200: "OK",
    311: "CONTENT_TOO_LARGE",
    312: "NO_ROUTE",
    313: "NO_CONSUMERS",
    320: "CONNECTION_FORCED",
    402: "INVALID_PATH",
    403: "ACCESS_REFUSED",
    404: "NOT_FOUND",
    405: "RESOURCE_LOCKED",
    406: "PRECONDITION_FAILED",
    501: "FRAME_ERROR",
    502: "SYNTAX_ERROR",
    503: "COMMAND_INVALID",
    504: "CHANNEL_ERROR",
    505: "UNEXPECTED_FRAME",
    506: "RESOURCE_ERROR",
    530: "NOT_ALLOWED",
    540: "NOT_IMPLEMENTED",
    541: "INTERNAL_ERROR",
}
# soft errors close the channel; the rest close the connection
CHANNEL_ERRORS = frozenset({311, 312, 313, 403, 404, 405, 406})

# classes
CONNECTION = 10
CHANNEL = 20
ACCESS = 30
EXCHANGE = 40
QUEUE = 50
BASIC = 60
CONFIRM = 85
TX = 90

METHOD_NAMES: dict[tuple[int, int], str] = {
    (10, 10): "connection.start",
    (10, 11): "connection.start_ok",
    (10, 20): "connection.secure",
    (10, 21): "connection.secure_ok",
    (10, 30): "connection.tune",
    (10, 31): "connection.tune_ok",
    (10, 40): "connection.open",
    (10, 41): "connection.open_ok",
    (10, 50): "connection.close",
    (10, 51): "connection.close_ok",
    (10, 60): "connection.blocked",
    (10, 61): "connection.unblocked",
    (10, 70): "connection.update_secret",
    (10, 71): "connection.update_secret_ok",
    (20, 10): "channel.open",
    (20, 11): "channel.open_ok",
    (20, 20): "channel.flow",
    (20, 21): "channel.flow_ok",
    (20, 40): "channel.close",
    (20, 41): "channel.close_ok",
    (30, 10): "access.request",
    (30, 11): "access.request_ok",
    (40, 10): "exchange.declare",
    (40, 11): "exchange.declare_ok",
    (40, 20): "exchange.delete",
    (40, 21): "exchange.delete_ok",
    (40, 30): "exchange.bind",
    (40, 31): "exchange.bind_ok",
    (40, 40): "exchange.unbind",
    (40, 51): "exchange.unbind_ok",
    (50, 10): "queue.declare",
    (50, 11): "queue.declare_ok",
    (50, 20): "queue.bind",
    (50, 21): "queue.bind_ok",
    (50, 30): "queue.purge",
    (50, 31): "queue.purge_ok",
    (50, 40): "queue.delete",
    (50, 41): "queue.delete_ok",
    (50, 50): "queue.unbind",
    (50, 51): "queue.unbind_ok",
    (60, 10): "basic.qos",
    (60, 11): "basic.qos_ok",
    (60, 20): "basic.consume",
    (60, 21): "basic.consume_ok",
    (60, 30): "basic.cancel",
    (60, 31): "basic.cancel_ok",
    (60, 40): "basic.publish",
    (60, 50): "basic.return",
    (60, 60): "basic.deliver",
    (60, 70): "basic.get",
    (60, 71): "basic.get_ok",
    (60, 72): "basic.get_empty",
    (60, 80): "basic.ack",
    (60, 90): "basic.reject",
    (60, 100): "basic.recover_async",
    (60, 110): "basic.recover",
    (60, 111): "basic.recover_ok",
    (60, 120): "basic.nack",
    (85, 10): "confirm.select",
    (85, 11): "confirm.select_ok",
    (90, 10): "tx.select",
    (90, 11): "tx.select_ok",
    (90, 20): "tx.commit",
    (90, 21): "tx.commit_ok",
    (90, 30): "tx.rollback",
    (90, 31): "tx.rollback_ok",
}

EXCHANGE_TYPES = ("direct", "fanout", "topic", "headers")
DEFAULT_EXCHANGES = (
    ("amq.direct", "direct"),
    ("amq.fanout", "fanout"),
    ("amq.topic", "topic"),
    ("amq.headers", "headers"),
    ("amq.match", "headers"),
    ("amq.rabbitmq.trace", "topic"),
)
REPLY_TO_QUEUE = "amq.rabbitmq.reply-to"
