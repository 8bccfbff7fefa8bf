"""MIGRATE (cluster.c's migrateCommand): DUMP the keys, RESTORE (RESTORE-ASKING in cluster
mode) them on the target over a connection of our own, then delete them here (unless COPY).

Redis blocks the whole server while it waits for the target; polystack's loop serves other
systems (and, with ``--redis-cluster N``, the target node itself), so the migrating client is
blocked instead and this server's writes are paused until the target answered: no write can
slip in between the DUMP and the DEL, as in Redis."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import hiredis

from polystack.redis import rdb
from polystack.redis.errors import RedisError, err
from polystack.redis.wire import encode_command
from polystack.runtime import outbound

log = logging.getLogger(__name__)

SYNTAX = err("syntax error")


@dataclass(slots=True)
class MigrateRequest:
    host: str
    port: int
    dbid: int
    timeout: int
    copy: bool = False
    replace: bool = False
    username: bytes | None = None
    password: bytes | None = None
    keys: list[bytes] = field(default_factory=list)


def _long(arg: bytes) -> int:
    try:
        if arg != arg.strip():
            raise ValueError
        return int(arg)
    except ValueError:
        raise err("value is not an integer or out of range") from None


def _atoi(arg: bytes) -> int:
    """C's atoi, as migrateCommand reads the port: leading blanks, a sign, the digits that
    follow; 0 when there are none ("notaport" is port 0, "12x" port 12)."""
    text = arg.lstrip(b" \t\n\v\f\r")
    sign = 1
    if text[:1] in (b"+", b"-"):
        sign = -1 if text[:1] == b"-" else 1
        text = text[1:]
    digits = len(text) - len(text.lstrip(b"0123456789"))
    return sign * int(text[:digits]) if digits else 0


def parse(argv: list[bytes]) -> MigrateRequest:
    copy = replace = False
    username = password = None
    keys = [argv[3]]
    n = len(argv)
    j = 6
    while j < n:
        more = n - 1 - j
        opt = argv[j].lower()
        if opt == b"copy":
            copy = True
        elif opt == b"replace":
            replace = True
        elif opt == b"auth":
            if not more:
                raise SYNTAX
            j += 1
            password = argv[j]
        elif opt == b"auth2":
            if more < 2:
                raise SYNTAX
            username, password = argv[j + 1], argv[j + 2]
            j += 2
        elif opt == b"keys":
            if argv[3]:
                raise err(
                    "When using MIGRATE KEYS option, the key argument must be set to the "
                    "empty string"
                )
            keys = argv[j + 1 :]
            break
        else:
            raise SYNTAX
        j += 1
    timeout = _long(argv[5])
    dbid = _long(argv[4])
    if timeout <= 0:
        timeout = 1000
    port = _atoi(argv[2])
    return MigrateRequest(
        argv[1].decode("latin-1"), port, dbid, timeout, copy, replace, username, password, keys
    )


def payloads(items: list[tuple[bytes, Any, int]]) -> list[tuple[bytes, bytes, int]]:
    """(key, DUMP payload, ttl ms or 0)."""
    out = []
    for key, value, ttl in items:
        try:
            out.append((key, rdb.dump_payload(value), ttl))
        except TypeError:
            raise err("MIGRATE is not supported for this value type here") from None
    return out


class _TargetSession:
    def __init__(self, job: Migration, peer: Any) -> None:
        self.job = job
        self.peer = peer
        self.reader = hiredis.Reader(replyError=lambda e: RedisError("", e))

    def feed(self, data: bytes) -> None:
        self.reader.feed(data)
        while True:
            reply = self.reader.gets()
            if reply is False:
                return
            self.job.reply(reply)

    def connection_lost(self) -> None:
        self.job.lost()


class Migration:
    """One MIGRATE in flight; the blocked client's ``blocked`` value."""

    def __init__(
        self, client: Any, req: MigrateRequest, items: list[tuple[bytes, bytes, int]],
        cluster_mode: bool,
    ) -> None:  # fmt: skip
        self.client = client
        self.server = client.server
        self.req = req
        self.items = items
        self.cluster_mode = cluster_mode
        self.db_id = client.db_id
        self.pending = False
        self.result: Any = None
        self.expected: list[str] = []  # "auth", "select", or "key"
        self.key_index = 0
        self.done_keys: list[bytes] = []
        self.error: bytes | None = None
        self.peer: Any = None
        self._timer: Any = None
        self._paused = False
        self._finished = False

    def start(self) -> None:
        self.pending = True
        self._paused = not self.server.writes_paused
        if self._paused:
            self.server.pause_writes(True)
        self._timer = self.server.clock.call_later(self.req.timeout / 1000, self._timeout)
        try:
            asyncio.get_running_loop().create_task(self._connect())
        except RuntimeError:
            self._finish(b"-IOERR error or timeout connecting to the client\r\n")

    async def _connect(self) -> None:
        req = self.req
        if req.port < 0:  # no such service: the (blocking) connect itself fails
            self._finish(b"-IOERR error or timeout connecting to the client\r\n")
            return
        if req.port > 65535:  # a port number beyond the range: nothing answers there
            self._finish(b"-IOERR error or timeout writing to target instance\r\n")
            return
        try:
            peer = await outbound.connect(
                req.host, req.port, lambda p: _TargetSession(self, p),
                logs=self.server.ctx.logs, clock=self.server.clock, name="redis-migrate",
                timeout=req.timeout / 1000,
            )  # fmt: skip
        except ConnectionRefusedError:
            # Redis connects without blocking: a refused connection shows when it writes
            self._finish(b"-IOERR error or timeout writing to target instance\r\n")
            return
        except (OSError, TimeoutError, ValueError):
            self._finish(b"-IOERR error or timeout connecting to the client\r\n")
            return
        if self._finished:
            peer.close()
            return
        self.peer = peer
        out = []
        if req.password is not None:
            auth = [b"AUTH"] + ([req.username] if req.username is not None else [])
            out.append(encode_command(*auth, req.password))
            self.expected.append("auth")
        out.append(encode_command(b"SELECT", b"%d" % req.dbid))
        self.expected.append("select")
        name = b"RESTORE-ASKING" if self.cluster_mode else b"RESTORE"
        now = self.server.clock.time_ms()
        for key, payload, expire_at in self.items:
            ttl = max(expire_at - now, 1) if expire_at else 0
            args = [name, key, b"%d" % ttl, payload]
            if req.replace:
                args.append(b"REPLACE")
            out.append(encode_command(*args))
            self.expected.append("key")
        peer.write(b"".join(out))

    def reply(self, reply: Any) -> None:
        if self._finished or not self.expected:
            return
        what = self.expected.pop(0)
        if what == "key":
            key = self.items[self.key_index][0]
            self.key_index += 1
            if isinstance(reply, RedisError):
                if self.error is None:
                    self.error = b"-ERR Target instance replied with error: %s\r\n" % (
                        reply.message.encode("utf-8", "surrogateescape")
                    )
            else:
                self.done_keys.append(key)
        elif isinstance(reply, RedisError) and self.error is None:
            self.error = b"-ERR Target instance replied with error: %s\r\n" % (
                reply.message.encode("utf-8", "surrogateescape")
            )
            if what in ("auth", "select"):
                self._finish(self.error)
                return
        if not self.expected:
            self._finish(self.error)

    def lost(self) -> None:
        if not self._finished:
            self._finish(b"-IOERR error or timeout reading to target instance\r\n")

    def _timeout(self) -> None:
        self._timer = None
        if not self._finished:
            self._finish(b"-IOERR error or timeout reading to target instance\r\n")

    def _finish(self, error: bytes | None) -> None:
        if self._finished:
            return
        self._finished = True
        if self._timer is not None:
            self._timer.cancel()
        if self.peer is not None:
            self.peer.close()
        server = self.server
        if not self.req.copy and self.done_keys:
            db = server.keyspace.dbs[self.db_id]
            deleted = [k for k in self.done_keys if db.delete(k)]
            if deleted:
                server.keyspace.dirty += len(deleted)
                server.log_commands([(self.db_id, [b"DEL", *deleted])])
        if self._paused:
            server.pause_writes(False)
        reply = error if error is not None else b"+OK\r\n"
        self.result = reply
        client = self.client
        if client.blocked is self:
            client.unblock(reply)
