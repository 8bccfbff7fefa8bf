"""Redis's error identity: ``RedisError("WRONGTYPE", "Operation against a key ...")``."""

from __future__ import annotations


class RedisError(Exception):
    """An error reply; ``code`` is the first word Redis sends (ERR, WRONGTYPE, NOAUTH ...)."""

    __slots__ = ("code", "message")

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def encode(self) -> bytes:
        text = f"-{self.code} {self.message}" if self.message else f"-{self.code}"
        return (
            text.replace("\r", " ").replace("\n", " ").encode("utf-8", "surrogateescape") + b"\r\n"
        )

    def __str__(self) -> str:
        return f"{self.code} {self.message}"


def err(message: str) -> RedisError:
    return RedisError("ERR", message)


WRONGTYPE = RedisError("WRONGTYPE", "Operation against a key holding the wrong kind of value")
NOT_INTEGER = err("value is not an integer or out of range")
NOT_FLOAT = err("value is not a valid float")
SYNTAX = err("syntax error")
NO_SUCH_KEY = err("no such key")
OVERFLOW = err("increment or decrement would overflow")
DB_INDEX = err("DB index is out of range")
INVALID_EXPIRE = "invalid expire time in '%s' command"
NOAUTH = RedisError("NOAUTH", "Authentication required.")
WRONGPASS = RedisError("WRONGPASS", "invalid username-password pair or user is disabled.")
