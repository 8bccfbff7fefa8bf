"""DEBUG: the subcommands clients and test suites use (SLEEP, RELOAD, OBJECT,
SET-ACTIVE-EXPIRE, HELP).  Every other DEBUG subcommand answers Redis's own
"unknown subcommand" error."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from polystack.redis import objects, persist, rdb, slices
from polystack.redis.commands import command
from polystack.redis.commands.config import memtoull
from polystack.redis.commands.help import help_reply
from polystack.redis.commands.monitor import record_slow_command
from polystack.redis.commands.server import snapshot
from polystack.redis.errors import NO_SUCH_KEY, err
from polystack.redis.store import Keyspace, type_name
from polystack.redis.wire import OK, Raw, Simple

log = logging.getLogger(__name__)

_LRU_MASK = (1 << 24) - 1


def encoding_of(value: Any) -> str:
    """OBJECT ENCODING's answer (objects.py for strings; other types name their own)."""
    if type(value) is bytes:
        return objects.encoding_of(value)
    fn = getattr(value, "encoding", None)
    if callable(fn):
        return fn()
    return fn if isinstance(fn, str) else type_name(value)


def serialized_length(value: Any) -> int:
    """rdbSavedObjectLen: the value's length in Redis's RDB encoding (LZF included)."""
    try:
        return len(rdb.write_object(value))
    except TypeError:
        return 0


def _sleep(client: Any, argv: list[bytes]) -> Any:
    try:
        seconds = float(argv[2])
    except ValueError:
        seconds = 0.0  # Redis uses strtod: garbage sleeps 0 seconds
    if seconds <= 0:
        return OK
    if slices.can_yield(client):
        return _sleep_redis_only(client, seconds, argv)
    time.sleep(seconds)  # inside EXEC or a script: the whole process stops, as a Redis server
    return OK


def _sleep_redis_only(client: Any, seconds: float, argv: list[bytes]) -> Any:
    """DEBUG SLEEP stops the Redis server: until it ends no Redis client is read (their
    requests wait in the socket buffers) and the sleeping client gets +OK at the end; the
    event loop itself keeps serving the other systems (a ZooKeeper session does not expire)."""
    paused = []
    for other in client.server.clients.values():
        peer = other.peer
        if other is not client and hasattr(peer, "pause_reading"):  # (nothing else in
            # Redis pauses a client's reading, so resuming them all at the end is right)
            peer.pause_reading()
            paused.append(peer)

    server = client.server
    started = server.clock.monotonic()
    cmd = client.last_cmd

    def wake() -> None:
        left = seconds - (server.clock.monotonic() - started)
        if left > 0:  # the loop may run a timer up to its clock resolution early
            server.clock.call_later(left, wake)
            return
        for peer in paused:
            if not peer.closed:
                peer.resume_reading()
        # the server stood still this long: the slow log and latency monitor see it
        took = server.clock.monotonic() - started
        if took >= server.timing_threshold and hasattr(cmd, "flags"):
            record_slow_command(server, client, cmd, argv, took)
        client.unblock(b"+OK\r\n")

    server.clock.call_later(seconds, wake)
    return client.block("sleep")


def _object(client: Any, argv: list[bytes]) -> Any:
    key = argv[2]
    value = client.db.get(key, client.now_ms())
    if value is None:
        raise NO_SUCH_KEY
    now_s = client.now_ms() // 1000
    lru = client.db.lru.get(key, now_s) & _LRU_MASK
    clock = now_s & _LRU_MASK
    idle = clock - lru if clock >= lru else clock + (_LRU_MASK - lru)
    refcount = objects.refcount_of(client, value) if type(value) is bytes else 1
    return Simple(
        (
            f"Value at:0x{id(value):x} refcount:{refcount} encoding:{encoding_of(value)} "
            f"serializedlength:{serialized_length(value)} lru:{lru} lru_seconds_idle:{idle}"
            + (value.debug_fields() if hasattr(value, "debug_fields") else "")
        ).encode()
    )


def _reload(client: Any, argv: list[bytes]) -> Any:
    """Save, empty the keyspace and load it back (NOSAVE loads the last snapshot on disk,
    NOFLUSH keeps what is in memory, MERGE lets loaded keys replace existing ones)."""
    merge = noflush = nosave = False
    for opt in argv[2:]:
        low = opt.lower()
        if low == b"merge":
            merge = True
        elif low == b"noflush":
            noflush = True
        elif low == b"nosave":
            nosave = True
        else:
            raise err("DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    server = client.server
    ks = server.keyspace
    if nosave:
        payload = _snapshot_on_disk(server)
        if payload is None:
            raise err("Error trying to load the RDB dump, check server logs.")
    else:
        payload = list(persist.dump_keyspace(ks))
        snapshot(server)
    if not noflush:
        ks.flushall()
    if noflush and not merge:
        probe = Keyspace(len(ks.dbs))
        persist.load_keyspace(probe, payload)
        for db, loaded in zip(ks.dbs, probe.dbs, strict=True):
            if any(k in db.data for k in loaded.data):
                raise err("Error trying to load the RDB dump, check server logs.")
    persist.load_keyspace(ks, payload)
    if nosave or noflush:
        snapshot(server)  # the data now differs from what the log says: start it afresh
    log.info("redis: DEBUG RELOAD reloaded the dataset")
    return OK


def _snapshot_on_disk(server: Any) -> list[bytes] | None:
    journal = server.journal
    if journal is None:
        return None
    try:
        chunks = journal.read_snapshot()
        return None if chunks is None else list(chunks)
    except ValueError:
        return None


def _set_active_expire(client: Any, argv: list[bytes]) -> Any:
    client.server.active_expire = argv[2] != b"0"
    return OK


def _error(client: Any, argv: list[bytes]) -> Any:
    """An error reply with the given text (CR and LF become spaces), as a client library's
    tests use to meet every kind of error; written as is, so INFO errorstats does not count
    it (as in Redis, where it bypasses the error-reply accounting)."""
    return Raw(b"-" + argv[2].replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n")


def _log(client: Any, argv: list[bytes]) -> Any:
    log.warning("DEBUG LOG: %s", argv[2].decode("utf-8", "replace"))
    return OK


_DEBUG_HELP = [
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "RELOAD [option ...]",
    "    Save the dataset, empty it and load it back. Options:",
    "    * MERGE: conflicting keys will be loaded from the snapshot.",
    "    * NOFLUSH: the existing data is not removed before loading.",
    "    * NOSAVE: load the last snapshot on disk instead of saving first.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
]


# name -> (handler, argument counts it accepts: exact or minimum when negative)
def _quicklist_packed_threshold(client: Any, argv: list[bytes]) -> Any:
    """Elements at least this long go into plain quicklist nodes (0 restores 1 GB)."""
    size = memtoull(argv[2])
    if size is None or size > (1 << 32) - (1 << 20):
        raise err("argument must be a memory value bigger than 1 and smaller than 4gb")
    client.ks.limits.packed_threshold = size or (1 << 30)
    return OK


def _change_repl_id(client: Any, argv: list[bytes]) -> Any:
    """A new replication ID (INFO replication's master_replid)."""
    client.server.replid = secrets.token_hex(20)
    return OK


_SUBCOMMANDS = {
    b"sleep": (_sleep, 3),
    b"quicklist-packed-threshold": (_quicklist_packed_threshold, 3),
    b"change-repl-id": (_change_repl_id, 2),
    b"error": (_error, 3),
    b"log": (_log, 3),
    b"object": (_object, 3),
    b"reload": (_reload, -2),
    b"set-active-expire": (_set_active_expire, 3),
    b"help": (lambda c, a: help_reply("DEBUG", _DEBUG_HELP), 2),
}


@command(
    "debug",
    -2,
    "admin noscript loading stale",
    group="server",
    since="1.0.0",
    summary="A container for debugging commands",
    complexity="Depends on subcommand.",
)
def debug(client: Any, argv: list[bytes]) -> Any:
    entry = _SUBCOMMANDS.get(argv[1].lower())
    if entry is not None:
        handler, arity = entry
        if (arity > 0 and len(argv) == arity) or (arity < 0 and len(argv) >= -arity):
            return handler(client, argv)
    raise err(
        f"unknown subcommand or wrong number of arguments for '{argv[1].decode('utf-8', 'replace')}'. "
        "Try DEBUG HELP."
    )
