"""RabbitMQ's error identity: :class:`AMQPError` carries a reply code and RabbitMQ's reply text.

The session turns it into ``channel.close`` (soft errors: 311-313, 403-406) or ``connection.close``
(hard errors), with the class and method ids of the method that failed.  RabbitMQ prefixes every
reply text with the code's name: ``NOT_FOUND - no queue 'q' in vhost '/'``.
"""

from __future__ import annotations

from .constants import CHANNEL_ERRORS, REPLY_NAMES


class AMQPError(Exception):
    __slots__ = ("reply_code", "text", "class_id", "method_id", "connection")

    def __init__(
        self,
        reply_code: int,
        text: str,
        class_id: int = 0,
        method_id: int = 0,
        connection: bool | None = None,
    ) -> None:
        super().__init__(reply_code, text)
        self.reply_code = reply_code
        self.text = text
        self.class_id = class_id
        self.method_id = method_id
        self.connection = reply_code not in CHANNEL_ERRORS if connection is None else connection

    @property
    def reply_text(self) -> str:
        return f"{REPLY_NAMES.get(self.reply_code, str(self.reply_code))} - {self.text}"

    def __str__(self) -> str:
        return self.reply_text


class FrameError(Exception):
    """The byte stream cannot be framed: the connection is closed with FRAME_ERROR (501)."""
