"""Server commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, LASTSAVE, SAVE, BGSAVE,
BGREWRITEAOF, SHUTDOWN, ROLE and DEBUG (INFO is in info.py, CONFIG in config.py)."""

from __future__ import annotations

import logging
from typing import Any

from polystack.redis.args import parse_int
from polystack.redis.commands import command
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.notify import signal_flushed_db, signal_swapdb
from polystack.redis.wire import OK, Raw, Simple

log = logging.getLogger(__name__)

ALL_SHARDS = ("request_policy:all_shards", "response_policy:all_succeeded")


@command(
    "dbsize",
    1,
    "readonly fast",
    group="server",
    since="1.0.0",
    summary="Return the number of keys in the selected database",
    complexity="O(1)",
    acl=("@keyspace", "@read"),
    tips=("request_policy:all_shards", "response_policy:agg_sum"),
)
def dbsize(client: Any, argv: list[bytes]) -> Any:
    return len(client.db)


def _flush_mode(argv: list[bytes]) -> None:
    """FLUSHDB/FLUSHALL [ASYNC|SYNC]: both empty the data at once here (the old dicts are
    dropped; freeing them is Python's job)."""
    if len(argv) > 2:
        raise SYNTAX
    if len(argv) == 2 and argv[1].lower() not in (b"async", b"sync"):
        raise SYNTAX


@command(
    "flushdb",
    -1,
    "write",
    group="server",
    since="1.0.0",
    summary="Remove all keys from the current database",
    complexity="O(N) where N is the number of keys in the selected database",
    acl=("@keyspace", "@dangerous"),
    tips=ALL_SHARDS,
)
def flushdb(client: Any, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    signal_flushed_db(client.ks, client.db_id)
    client.db.clear()
    client.ks.dirty += 1
    return OK


@command(
    "flushall",
    -1,
    "write",
    group="server",
    since="1.0.0",
    summary="Remove all keys from all databases",
    complexity="O(N) where N is the total number of keys in all databases",
    acl=("@keyspace", "@dangerous"),
    tips=ALL_SHARDS,
)
def flushall(client: Any, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    signal_flushed_db(client.ks, -1)
    client.ks.flushall()
    client.ks.dirty += 1
    return OK


@command(
    "swapdb",
    3,
    "write fast",
    group="server",
    since="4.0.0",
    summary="Swaps two Redis databases",
    complexity="O(N) where N is the count of clients watching or blocking on keys from both databases.",
    acl=("@keyspace", "@dangerous"),
    arguments=({"name": "index1", "type": "integer"}, {"name": "index2", "type": "integer"}),
)
def swapdb(client: Any, argv: list[bytes]) -> Any:
    a = _db_index(argv[1], "invalid first DB index")
    b = _db_index(argv[2], "invalid second DB index")
    n = len(client.ks.dbs)
    if not (0 <= a < n and 0 <= b < n):
        raise err("DB index is out of range")
    if a != b:
        signal_swapdb(client.ks, a, b)  # before the swap: WATCH compares both databases
        client.ks.swap(a, b)
    client.ks.dirty += 1
    return OK


def _db_index(b: bytes, message: str) -> int:
    v = parse_int(b, message)
    if not -(1 << 31) <= v < (1 << 31):
        raise err(message)
    return v


@command(
    "time",
    1,
    "loading stale fast",
    group="server",
    since="2.6.0",
    summary="Return the current server time",
    complexity="O(1)",
    tips=("nondeterministic_output",),
)
def time_(client: Any, argv: list[bytes]) -> Any:
    us = int(client.server.clock.time() * 1_000_000)
    return [b"%d" % (us // 1_000_000), b"%d" % (us % 1_000_000)]


@command(
    "lastsave",
    1,
    "loading stale fast",
    group="server",
    since="1.0.0",
    summary="Get the UNIX time stamp of the last successful save to disk",
    complexity="O(1)",
    acl=("@admin", "@dangerous"),
    tips=("nondeterministic_output",),
)
def lastsave(client: Any, argv: list[bytes]) -> Any:
    return client.server.rdb.lastsave


def snapshot(server: Any, background: bool = False) -> None:
    """``server.save()`` from inside a command: keeps ``keyspace.dirty`` as it was, so the
    command that saved is not mistaken for a write and logged (or replayed)."""
    ks = server.keyspace
    dirty = ks.dirty
    try:
        server.save(background=background)
    finally:
        ks.dirty = dirty


def _rewrite_aof(server: Any) -> None:
    started = server.clock.monotonic()
    try:
        snapshot(server, background=True)
    except OSError as e:
        server.aof_last_bgrewrite_status = "err"
        log.error("redis: AOF rewrite failed: %s", e)
        raise RedisError("ERR", "") from None
    server.last_save_duration = int(server.clock.monotonic() - started)


@command(
    "save",
    1,
    "admin noscript no_async_loading no_multi",
    group="server",
    since="1.0.0",
    summary="Synchronously save the dataset to disk",
    complexity="O(N) where N is the total number of keys in all databases",
)
def save(client: Any, argv: list[bytes]) -> Any:
    """rdbSave: dump.rdb written on the loop (clients wait, as they do for Redis's SAVE)."""
    rdb = client.server.rdb
    if rdb.in_progress:
        raise err("Background save already in progress")
    try:
        rdb.save()
    except OSError:
        raise RedisError("ERR", "") from None
    return OK


@command(
    "bgsave",
    -1,
    "admin noscript no_async_loading",
    group="server",
    since="1.0.0",
    summary="Asynchronously save the dataset to disk",
    complexity="O(1)",
    arguments=(
        {
            "name": "schedule",
            "type": "pure-token",
            "token": "SCHEDULE",
            "since": "3.2.2",
            "flags": "optional",
        },
    ),
)
def bgsave(client: Any, argv: list[bytes]) -> Any:
    """rdbSaveBackground: a forked child writes dump.rdb from the dataset as it is now."""
    if len(argv) > 1 and (len(argv) > 2 or argv[1].lower() != b"schedule"):
        raise SYNTAX
    rdb = client.server.rdb
    if rdb.in_progress:
        raise err("Background save already in progress")
    if getattr(client, "in_exec", False):
        rdb.scheduled = True  # inside EXEC: forking now would split the transaction
        return Simple(b"Background saving scheduled")
    try:
        rdb.bgsave()
    except OSError as e:
        log.warning("Can't save in background: fork: %s", e)
        rdb.last_bgsave_status = "err"
        raise RedisError("ERR", "") from None
    return Simple(b"Background saving started")


@command(
    "bgrewriteaof",
    1,
    "admin noscript no_async_loading",
    group="server",
    since="1.0.0",
    summary="Asynchronously rewrite the append-only file",
    complexity="O(N) where N is the total number of keys in all databases",
)
def bgrewriteaof(client: Any, argv: list[bytes]) -> Any:
    """polystack's append-only file is its journal: a snapshot is written off the loop and a
    fresh log generation starts."""
    _rewrite_aof(client.server)
    return Simple(b"Background append only file rewriting started")


@command(
    "shutdown",
    -1,
    "admin noscript loading stale no_multi allow_busy",
    group="server",
    since="1.0.0",
    summary="Synchronously save the dataset to disk and then shut down the server",
    complexity="O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
)
def shutdown(client: Any, argv: list[bytes]) -> Any:
    opts = set()
    for a in argv[1:]:
        low = a.lower()
        if low not in (b"nosave", b"save", b"now", b"force", b"abort"):
            raise SYNTAX
        opts.add(low)
    if (b"abort" in opts and len(opts) > 1) or {b"save", b"nosave"} <= opts:
        raise SYNTAX
    if b"abort" in opts:
        raise err("No shutdown in progress.")
    server = client.server
    stop = server.request_server_stop
    if stop is None:
        raise err("Errors trying to SHUTDOWN. Check logs.")
    server.rdb.kill_child()
    if b"save" in opts or (b"nosave" not in opts and server.save_points):
        try:
            server.rdb.save()
        except OSError as e:
            log.error("redis: SHUTDOWN could not save: %s", e)
            if b"force" not in opts:
                raise err("Errors trying to SHUTDOWN. Check logs.") from None
        server.shutdown_save = True
    else:
        server.shutdown_save = False
    log.info("redis: SHUTDOWN requested by client %d; stopping", client.id)
    server.shutdown_requested = "shutdown"
    client.close_after_reply()
    stop()
    return Raw(b"")
