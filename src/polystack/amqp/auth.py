"""Users, password hashes, permissions and the SASL mechanisms (PLAIN, AMQPLAIN).

Passwords are hashed as RabbitMQ's ``rabbit_password_hashing_sha256`` does: a 4-byte salt, then
``sha256(salt + password)``, base64 of both.  Permissions are three regular expressions per user
and vhost (configure, write, read), matched unanchored like RabbitMQ's ``re:run``; an empty
pattern grants nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field

from .table import decode_table

HASHING_ALGORITHM = "rabbit_password_hashing_sha256"


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = os.urandom(4) if salt is None else salt
    digest = hashlib.sha256(salt + password.encode("utf-8")).digest()
    return base64.b64encode(salt + digest).decode()


def check_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        return False
    try:
        raw = base64.b64decode(password_hash)
    except ValueError:
        return False
    salt = raw[:4]
    return hmac.compare_digest(raw, base64.b64decode(hash_password(password, salt)))


@dataclass(slots=True)
class User:
    name: str
    password_hash: str
    tags: list[str] = field(default_factory=list)
    hashing_algorithm: str = HASHING_ALGORITHM

    @property
    def is_administrator(self) -> bool:
        return "administrator" in self.tags


@dataclass(slots=True)
class Permission:
    user: str
    vhost: str
    configure: str = ".*"
    write: str = ".*"
    read: str = ".*"

    def allows(self, kind: str, name: str) -> bool:
        pattern = getattr(self, kind)
        if pattern == "":
            return False
        try:
            return _compiled(pattern).search(name) is not None
        except re.error:
            return False


_RE_CACHE: dict[str, re.Pattern] = {}


def _compiled(pattern: str) -> re.Pattern:
    r = _RE_CACHE.get(pattern)
    if r is None:
        if len(_RE_CACHE) > 1024:
            _RE_CACHE.clear()
        r = _RE_CACHE[pattern] = re.compile(pattern)
    return r


def parse_response(mechanism: str, response: bytes | str) -> tuple[str, str] | None:
    """(username, password) from a start-ok response, or None when it cannot be parsed."""
    raw = response.encode("utf-8") if isinstance(response, str) else bytes(response)
    if mechanism == "PLAIN":
        parts = raw.split(b"\x00")
        if len(parts) != 3:
            return None
        return parts[1].decode("utf-8", "replace"), parts[2].decode("utf-8", "replace")
    if mechanism == "AMQPLAIN":
        try:
            table, _ = decode_table(len(raw).to_bytes(4, "big") + raw)
        except (ValueError, IndexError):
            return None
        login = table.get("LOGIN")
        password = table.get("PASSWORD")
        if isinstance(login, bytes):
            login = login.decode("utf-8", "replace")
        if isinstance(password, bytes):
            password = password.decode("utf-8", "replace")
        if not isinstance(login, str) or not isinstance(password, str):
            return None
        return login, password
    return None
