"""MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP (object.c's memoryCommand), over
polystack's model of Redis's memory (polystack/redis/memory.py)."""

from __future__ import annotations

from typing import Any

from polystack.redis import memory
from polystack.redis.commands import COMMANDS, command, container
from polystack.redis.commands.help import help_reply
from polystack.redis.commands.info import rss_bytes
from polystack.redis.configtypes import string2ll
from polystack.redis.errors import SYNTAX, err
from polystack.redis.wire import OK, Verbatim

container("memory", "server", "4.0.0", "A container for memory diagnostics commands")
COMMANDS[b"memory"].acl_categories = ("@slow",)
COMMANDS[b"memory"].complexity = "Depends on subcommand."
_TIPS = ("nondeterministic_output", "request_policy:all_shards", "response_policy:special")


@command(
    "usage",
    -3,
    "readonly",
    (2, 2, 1),
    group="server",
    since="4.0.0",
    parent="memory",
    summary="Estimate the memory usage of a key",
    complexity="O(N) where N is the number of samples.",
    arguments=(
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "count", "type": "integer", "token": "SAMPLES", "flags": "optional"},
    ),
    specs=(("RO", ("index", 2), ("range", 0, 1, 0)),),
    categories=("@read", "@slow"),
)
def memory_usage(client: Any, argv: list[bytes]) -> Any:
    samples = memory.DEFAULT_SAMPLES
    j = 3
    while j < len(argv):
        if argv[j].lower() == b"samples" and j + 1 < len(argv):
            n = string2ll(argv[j + 1])
            if n is None:
                raise err("value is not an integer or out of range")
            if n < 0:
                raise SYNTAX
            samples = n  # 0: every element
            j += 2
        else:
            raise SYNTAX
    value = client.db.data.get(argv[2])  # dictFind: no expiry check, as in Redis
    if value is None:
        return None
    return memory.usage(argv[2], value, samples)


def stats(server: Any) -> dict[bytes, Any]:
    """MEMORY STATS (getMemoryOverheadData)."""
    ks = server.keyspace
    used = memory.used_memory(server)
    server.memory_peak = max(getattr(server, "memory_peak", 0), used)
    peak = server.memory_peak
    scripts, functions = memory.scripts_memory(server)
    clients = sum(getattr(c.peer, "pending_output", 0) for c in server.clients.values())
    out: dict[bytes, Any] = {
        b"peak.allocated": peak,
        b"total.allocated": used,
        b"startup.allocated": memory.STARTUP,
        b"replication.backlog": 0,
        b"clients.slaves": 0,
        b"clients.normal": clients,
        b"cluster.links": 0,
        b"aof.buffer": 0,
        b"lua.caches": scripts,
        b"functions.caches": functions,
    }
    tables = 0
    keys = 0
    for db in ks.dbs:
        if not db.data:
            continue
        main = memory.dict_slots(len(db.data)) * 8 + len(db.data) * (memory.DICT_ENTRY + 16)
        expires = 0
        if db.expires:
            expires = memory.dict_slots(len(db.expires)) * 8 + len(db.expires) * memory.DICT_ENTRY
        tables += main + expires
        keys += len(db.data)
        out[b"db.%d" % db.id] = {
            b"overhead.hashtable.main": main,
            b"overhead.hashtable.expires": expires,
            b"overhead.hashtable.slot-to-keys": 0,
        }
    overhead = memory.STARTUP + clients + scripts + functions + tables
    dataset = max(0, used - overhead)
    net = used - memory.STARTUP
    rss = rss_bytes()
    out.update(
        {
            b"overhead.total": overhead,
            b"keys.count": keys,
            b"keys.bytes-per-key": net // keys if keys else 0,
            b"dataset.bytes": dataset,
            b"dataset.percentage": dataset * 100.0 / net if net > 0 else 0.0,
            b"peak.percentage": used * 100.0 / peak if peak else 0.0,
            b"allocator.allocated": used,
            b"allocator.active": used,
            b"allocator.resident": rss,
            b"allocator-fragmentation.ratio": 1.0,
            b"allocator-fragmentation.bytes": 0,
            b"allocator-rss.ratio": rss / used if used else 0.0,
            b"allocator-rss.bytes": rss - used,
            b"rss-overhead.ratio": 1.0,
            b"rss-overhead.bytes": 0,
            b"fragmentation": rss / used if used else 0.0,
            b"fragmentation.bytes": rss - used,
        }
    )
    return out


@command(
    "stats",
    2,
    "",
    group="server",
    since="4.0.0",
    parent="memory",
    summary="Show memory usage details",
    complexity="O(1)",
    tips=_TIPS,
)
def memory_stats(client: Any, argv: list[bytes]) -> Any:
    return stats(client.server)


_EMPTY_DOCTOR = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't "
    "be used in these conditions. Please, leave for your mission on Earth and fill it with "
    "some data. The new Sam and I will be back to our programming as soon as I finished "
    "rebooting."
)
_HEALTHY_DOCTOR = (
    "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
    "occurs on this base."
)


@command(
    "doctor",
    2,
    "",
    group="server",
    since="4.0.0",
    parent="memory",
    summary="Outputs memory problems report",
    complexity="O(1)",
    tips=_TIPS,
)
def memory_doctor(client: Any, argv: list[bytes]) -> Any:
    """getMemoryDoctorReport: "empty" below 5 MB of memory, else no issue polystack models
    (fragmentation and allocator overheads are Python's, not Redis's)."""
    text = _EMPTY_DOCTOR if memory.used_memory(client.server) < 5 << 20 else _HEALTHY_DOCTOR
    return Verbatim(text.encode())


@command(
    "malloc-stats",
    2,
    "",
    group="server",
    since="4.0.0",
    parent="memory",
    summary="Show allocator internal stats",
    complexity="Depends on how much memory is allocated, could be slow",
    tips=_TIPS,
)
def memory_malloc_stats(client: Any, argv: list[bytes]) -> Any:
    return Verbatim(b"Stats not supported for the current allocator")


@command(
    "purge",
    2,
    "",
    group="server",
    since="4.0.0",
    parent="memory",
    summary="Ask the allocator to release memory",
    complexity="Depends on how much memory is allocated, could be slow",
    tips=("request_policy:all_shards", "response_policy:all_succeeded"),
)
def memory_purge(client: Any, argv: list[bytes]) -> Any:
    return OK


_MEMORY_HELP = [
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
]


@command(
    "help",
    2,
    "loading stale",
    group="server",
    since="4.0.0",
    parent="memory",
    summary="Show helpful text about the different subcommands",
    complexity="O(1)",
)
def memory_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("MEMORY", _MEMORY_HELP)
