"""MIGRATE (cluster.c's migrateCommand): move keys to another Redis server, as DUMP here,
RESTORE there and DEL here, over a connection the command makes and waits on.

Like Redis, MIGRATE blocks the server while it talks to the target (at most ``timeout``
milliseconds per step); a refused or timed-out connection answers ``-IOERR``.  Redis keeps
the connection open for the next MIGRATE to the same target (closing it after 10 idle
seconds); polystack opens one per MIGRATE, so the target sees a SELECT each time."""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

from polystack.redis import rdb
from polystack.redis.args import parse_int
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import GETKEYS_FLAGS, spec
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.lookup import lookup_read
from polystack.redis.notify import NOTIFY_GENERIC, modified, notify
from polystack.redis.wire import OK, Raw

log = logging.getLogger(__name__)

_KEYS_WITH_KEY = err(
    "When using MIGRATE KEYS option, the key argument must be set to the empty string"
)
_CONNECT_ERROR = RedisError("IOERR", "error or timeout connecting to the client")
_NOKEY = Raw(b"+NOKEY\r\n")
_SKIP = {b"copy": 0, b"replace": 0, b"auth": 1, b"auth2": 2}


def migrate_keys(argv: list[bytes]) -> list[int]:
    """migrateGetKeys: the key argument, or everything after KEYS (none when the key
    argument is not empty then)."""
    i = 6
    while i < len(argv):
        word = argv[i].lower()
        if word == b"keys":
            return [] if argv[3] else list(range(i + 1, len(argv)))
        i += 1 + _SKIP.get(word, 0)
    return [3]


def _atoi(b: bytes) -> int:
    """C's atoi, as Redis reads MIGRATE's port: leading digits, else 0."""
    s = b.lstrip(b" \t\n\v\f\r")
    sign = -1 if s[:1] == b"-" else 1
    if s[:1] in (b"-", b"+"):
        s = s[1:]
    n = 0
    for c in s:
        if not 48 <= c <= 57:
            break
        n = n * 10 + c - 48
    return sign * n


class _Target:
    """A blocking connection to the target with Redis's syncio semantics: every read and
    write waits at most ``timeout`` seconds."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.sock: socket.socket | None = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.error: OSError | None = None

    @classmethod
    def failed(cls, error: OSError) -> _Target:
        """A connection that failed: its first write raises ``error``."""
        t = cls.__new__(cls)
        t.sock = None
        t.buf = b""
        t.error = error
        return t

    def send(self, data: bytes) -> None:
        if self.sock is None:
            raise self.error or OSError(errno.ECONNREFUSED, "connection refused")
        self.sock.sendall(data)

    def read_line(self) -> bytes:
        """connSyncReadLine: one reply line without its CRLF (status or error)."""
        while b"\n" not in self.buf:
            assert self.sock is not None
            chunk = self.sock.recv(16384)
            if not chunk:
                raise ConnectionResetError(errno.ECONNRESET, "connection closed by the target")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r")

    def close(self) -> None:
        if self.sock is None:
            return
        try:
            self.sock.close()
        except OSError:
            pass


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(b), b)


def _request(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(_bulk(a) for a in args)


@command(
    "migrate",
    -6,
    "write",
    (3, 3, 1),
    "generic",
    "2.6.0",
    "Atomically transfer a key from a Redis instance to another one.",
    complexity="This command actually executes a DUMP+DEL in the source instance, and a "
    "RESTORE in the target instance. See the pages of these commands for time complexity. "
    "Also an O(N) data transfer between the two instances is performed.",
    acl=("@dangerous",),
    tips=("nondeterministic_output",),
    arguments="host:string port:integer key_or_empty_string:oneof{key:key empty_string:"
    "pure-token''} destination-db:integer timeout:integer copy:pure-token'COPY'?@3.0.0 "
    "replace:pure-token'REPLACE'?@3.0.0 authentication:oneof?{password:string'AUTH'?@4.0.7 "
    "username_password:block'AUTH2'?@6.0.0{username:string password:string}} "
    "key:key'KEYS'?+@3.0.6",
    history=(
        ("3.0.0", "Added the `COPY` and `REPLACE` options."),
        ("3.0.6", "Added the `KEYS` option."),
        ("4.0.7", "Added the `AUTH` option."),
        ("6.0.0", "Added the `AUTH2` option."),
    ),
    getkeys=migrate_keys,
    specs=(
        spec("RW access delete", ("index", 3), ("range", 0, 1, 0)),
        spec("RW access delete incomplete", ("keyword", "KEYS", -2), ("range", -1, 1, 0)),
    ),
)
def migrate(client: Any, argv: list[bytes]) -> Any:
    copy = replace = False
    username: bytes | None = None
    password: bytes | None = None
    first_key, num_keys = 3, 1
    j = 6
    argc = len(argv)
    while j < argc:
        more = argc - 1 - j
        word = argv[j].lower()
        if word == b"copy":
            copy = True
        elif word == b"replace":
            replace = True
        elif word == b"auth":
            if not more:
                raise SYNTAX
            j += 1
            password = argv[j]
        elif word == b"auth2":
            if more < 2:
                raise SYNTAX
            username, password = argv[j + 1], argv[j + 2]
            j += 2
        elif word == b"keys":
            if argv[3]:
                raise _KEYS_WITH_KEY
            first_key, num_keys = j + 1, argc - j - 1
            break
        else:
            raise SYNTAX
        j += 1
    timeout_ms = parse_int(argv[5])
    dbid = parse_int(argv[4])
    if timeout_ms <= 0:
        timeout_ms = 1000

    keys = [k for k in argv[first_key : first_key + num_keys] if lookup_read(client, k) is not None]
    if not keys:
        return _NOKEY

    db = client.db
    now = client.now_ms()
    sent: list[bytes] = []
    request = []
    if password is not None:
        request.append(
            _request(b"AUTH", username, password)
            if username is not None
            else _request(b"AUTH", password)
        )
    request.append(_request(b"SELECT", b"%d" % dbid))
    for key in keys:
        value = db.data.get(key)
        if value is None:
            continue
        ttl = 0
        deadline = db.expires.get(key) if db.expires else None
        if deadline is not None:
            ttl = deadline - now
            if ttl < 0:
                continue
            ttl = max(ttl, 1)
        try:
            payload = rdb.dump_payload(value)
        except TypeError:
            raise err("DUMP is not supported for this value here") from None
        args = [b"RESTORE", key, b"%d" % ttl, payload] + ([b"REPLACE"] if replace else [])
        request.append(_request(*args))
        sent.append(key)
    data = b"".join(request)

    host = argv[1].decode("utf-8", "replace")
    port = _atoi(argv[2])
    timeout = timeout_ms / 1000
    may_retry = True
    while True:
        write_error = False
        error: bytes | None = None
        done: list[bytes] = []
        acknowledged = 0
        try:
            target = _Target(host, port, timeout)
        except (TimeoutError, socket.gaierror, OverflowError, ValueError) as e:
            log.warning("MIGRATE: cannot connect to %s:%s: %s", host, port, e)
            raise _CONNECT_ERROR from None
        except OSError as e:
            # Redis connects without blocking and waits for the socket to be writable: a
            # refused connection shows when the request is written
            target = _Target.failed(e)
        try:
            try:
                target.send(data)
            except OSError:
                write_error = True
                raise
            auth_reply = target.read_line() if password is not None else b""
            select_reply = target.read_line()
            for key in sent:
                line = target.read_line()
                acknowledged += 1
                if auth_reply[:1] == b"-" or select_reply[:1] == b"-" or line[:1] == b"-":
                    if error is None:
                        if auth_reply[:1] == b"-":
                            error = auth_reply
                        elif select_reply[:1] == b"-":
                            error = select_reply
                        else:
                            error = line
                elif not copy:
                    done.append(key)
        except OSError as e:
            target.close()
            timed_out = isinstance(e, TimeoutError) or e.errno == errno.ETIMEDOUT
            if may_retry and acknowledged == 0 and not timed_out:
                may_retry = False  # a stale connection: Redis tries once more
                continue
            if done:
                _delete_migrated(client, done)  # what the target acknowledged moved
            log.warning("MIGRATE to %s:%s failed: %s", host, port, e)
            if error is not None:
                raise _target_error(error) from None
            raise RedisError(
                "IOERR",
                f"error or timeout {'writing' if write_error else 'reading'} to target instance",
            ) from None
        target.close()
        break
    if done:
        _delete_migrated(client, done)
    if error is not None:
        raise _target_error(error)
    return OK


def _target_error(line: bytes) -> RedisError:
    return err("Target instance replied with error: " + line[1:].decode("utf-8", "surrogateescape"))


def _delete_migrated(client: Any, keys: list[bytes]) -> None:
    """The keys the target acknowledged leave this server (replicated as one DEL)."""
    for key in keys:
        client.db.delete(key)
        modified(client, key)
        notify(client, NOTIFY_GENERIC, b"del", key)
        client.ks.dirty += 1
    client.propagate = [[b"DEL", *keys]]


GETKEYS_FLAGS["migrate"] = lambda argv, pos: "RW access delete"
