"""INFO: the server's state in Redis's sections and field names.

Memory figures are Redis's: ``used_memory`` is what Redis 7.0 would allocate for the same
data (polystack/redis/memory.py), ``used_memory_rss`` the process's resident set.  Command
timings come from the session, which times every command (commandstats' ``usec``,
latencystats' percentiles from each command's power-of-two histogram).
"""

from __future__ import annotations

import os
import platform
import resource
import sys
from collections.abc import Callable
from typing import Any

from polystack.redis import memory
from polystack.redis.commands import command
from polystack.redis.version import REDIS_VERSION
from polystack.redis.wire import Verbatim

# Section order and membership as genRedisInfoString has them.
SECTIONS = (
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "cluster",
    "keyspace",
    "latencystats",
)
DEFAULT = frozenset(SECTIONS) - {"commandstats"}
ALL = frozenset(SECTIONS)
_TITLES = {
    "cpu": "CPU",
    "commandstats": "Commandstats",
    "errorstats": "Errorstats",
    "latencystats": "Latencystats",
}


def bytes_to_human(n: int) -> str:
    """Redis's bytesToHuman (B, K, M, G, T, P with two decimals)."""
    if n < 1024:
        return f"{n}B"
    for i, unit in enumerate("KMGTP", start=1):
        if n < 1024 ** (i + 1):
            return f"{n / 1024**i:.2f}{unit}"
    return f"{n}B"


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def total_system_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _server(s: Any, client: Any) -> list[str]:
    now = s.clock.time()
    uptime = int(now - s.start_time)
    uname = platform.uname()
    return [
        f"redis_version:{REDIS_VERSION}",
        "redis_git_sha1:00000000",
        "redis_git_dirty:0",
        "redis_mode:standalone",
        f"os:{uname.system} {uname.release} {uname.machine}",
        f"arch_bits:{64 if sys.maxsize > 2**32 else 32}",
        "monotonic_clock:POSIX clock_gettime",
        f"multiplexing_api:{'epoll' if sys.platform.startswith('linux') else 'kqueue'}",
        f"process_id:{os.getpid()}",
        "process_supervised:no",
        f"run_id:{s.run_id}",
        f"tcp_port:{s.bound_ports.get('redis', s.config.port)}",
        f"server_time_usec:{int(now * 1_000_000)}",
        f"uptime_in_seconds:{uptime}",
        f"uptime_in_days:{uptime // 86400}",
        f"hz:{s.config.hz}",
        f"configured_hz:{s.config.hz}",
        f"lru_clock:{int(now) & ((1 << 24) - 1)}",
        f"executable:{sys.executable}",
        f"config_file:{s.config_file or ''}",
        "io_threads_active:0",
    ]


def _clients(s: Any, client: Any) -> list[str]:
    clients = list(s.clients.values())
    blocked = sum(1 for c in clients if getattr(c, "blocked", None))
    out_max = max((getattr(c.peer, "pending_output", 0) for c in clients), default=0)
    return [
        f"connected_clients:{len(clients)}",
        f"cluster_connections:{len(s.cluster.state.links) if s.cluster is not None else 0}",
        f"maxclients:{s.config.maxclients}",
        "client_recent_max_input_buffer:0",
        f"client_recent_max_output_buffer:{out_max}",
        f"blocked_clients:{blocked}",
        f"tracking_clients:{s.tracking.clients if s.tracking is not None else 0}",
        f"clients_in_timeout_table:{blocked}",
    ]


def _lua_vm_bytes(engine: Any) -> int:
    if engine is None:
        return 0
    try:
        return int(engine.lua.execute('return collectgarbage("count")') * 1024)
    except Exception:  # noqa: BLE001 - a report figure, never a failure
        return 0


def _memory(s: Any, client: Any) -> list[str]:
    rss = rss_bytes()
    used = memory.used_memory(s)
    s.memory_peak = max(getattr(s, "memory_peak", 0), used)
    peak = s.memory_peak
    total = total_system_memory()
    maxmem = s.config.maxmemory
    scripts, functions = memory.scripts_memory(s)
    startup = memory.STARTUP
    clients = sum(getattr(c.peer, "pending_output", 0) for c in s.clients.values())
    overhead = startup + memory.overhead(s.keyspace) + scripts + functions + clients
    dataset = max(0, used - overhead)
    net = used - startup
    vm_eval = _lua_vm_bytes(s.scripting.engine if s.scripting is not None else None)
    vm_functions = _lua_vm_bytes(s.functions.engine if s.functions is not None else None)
    n_scripts = len(s.scripting.scripts) if s.scripting is not None else 0
    n_libs, n_functions = s.functions.stats() if s.functions is not None else (0, 0)
    frag = rss / used if used else 0.0
    return [
        f"used_memory:{used}",
        f"used_memory_human:{bytes_to_human(used)}",
        f"used_memory_rss:{rss}",
        f"used_memory_rss_human:{bytes_to_human(rss)}",
        f"used_memory_peak:{peak}",
        f"used_memory_peak_human:{bytes_to_human(peak)}",
        f"used_memory_peak_perc:{used * 100 / peak if peak else 0:.2f}%",
        f"used_memory_overhead:{overhead}",
        f"used_memory_startup:{startup}",
        f"used_memory_dataset:{dataset}",
        f"used_memory_dataset_perc:{dataset * 100 / net if net > 0 else 0:.2f}%",
        f"allocator_allocated:{used}",
        f"allocator_active:{used}",
        f"allocator_resident:{rss}",
        f"total_system_memory:{total}",
        f"total_system_memory_human:{bytes_to_human(total)}",
        f"used_memory_lua:{vm_eval}",
        f"used_memory_vm_eval:{vm_eval}",
        f"used_memory_lua_human:{bytes_to_human(vm_eval)}",
        f"used_memory_scripts_eval:{scripts}",
        f"number_of_cached_scripts:{n_scripts}",
        f"number_of_functions:{n_functions}",
        f"number_of_libraries:{n_libs}",
        f"used_memory_vm_functions:{vm_functions}",
        f"used_memory_vm_total:{vm_eval + vm_functions}",
        f"used_memory_vm_total_human:{bytes_to_human(vm_eval + vm_functions)}",
        f"used_memory_functions:{functions}",
        f"used_memory_scripts:{scripts + functions}",
        f"used_memory_scripts_human:{bytes_to_human(scripts + functions)}",
        f"maxmemory:{maxmem}",
        f"maxmemory_human:{bytes_to_human(maxmem)}",
        f"maxmemory_policy:{s.config.maxmemory_policy}",
        "allocator_frag_ratio:1.00",
        "allocator_frag_bytes:0",
        f"allocator_rss_ratio:{frag:.2f}",
        f"allocator_rss_bytes:{rss - used}",
        "rss_overhead_ratio:1.00",
        "rss_overhead_bytes:0",
        f"mem_fragmentation_ratio:{frag:.2f}",
        f"mem_fragmentation_bytes:{rss - used}",
        "mem_not_counted_for_evict:0",
        "mem_replication_backlog:0",
        "mem_total_replication_buffers:0",
        "mem_clients_slaves:0",
        f"mem_clients_normal:{clients}",
        "mem_cluster_links:0",
        "mem_aof_buffer:0",
        "mem_allocator:libc",
        "active_defrag_running:0",
        "lazyfree_pending_objects:0",
        "lazyfreed_objects:0",
    ]


def _persistence(s: Any, client: Any) -> list[str]:
    aof = s.journal is not None
    rdb = s.rdb
    child = rdb.child
    now = s.clock.monotonic()
    lines = [
        f"loading:{int(s.loading)}",
        "async_loading:0",
        "current_cow_peak:0",
        "current_cow_size:0",
        "current_cow_size_age:0",
        "current_fork_perc:0.00",
        "current_save_keys_processed:0",
        "current_save_keys_total:0",
        f"rdb_changes_since_last_save:{s.rdb_changes_since_last_save}",
        f"rdb_bgsave_in_progress:{int(child is not None)}",
        f"rdb_last_save_time:{rdb.lastsave}",
        f"rdb_last_bgsave_status:{rdb.last_bgsave_status}",
        f"rdb_last_bgsave_time_sec:{rdb.last_bgsave_time_sec}",
        f"rdb_current_bgsave_time_sec:{int(now - child.started) if child else -1}",
        f"rdb_saves:{rdb.saves}",
        "rdb_last_cow_size:0",
        f"rdb_last_load_keys_expired:{rdb.last_load_keys_expired}",
        f"rdb_last_load_keys_loaded:{rdb.last_load_keys_loaded}",
        f"aof_enabled:{int(aof)}",
        f"aof_rewrite_in_progress:{int(bool(aof and s.journal.compacting))}",
        "aof_rewrite_scheduled:0",
        f"aof_last_rewrite_time_sec:{s.last_save_duration}",
        "aof_current_rewrite_time_sec:-1",
        f"aof_last_bgrewrite_status:{s.aof_last_bgrewrite_status}",
        f"aof_rewrites:{s.aof_rewrites}",
        "aof_rewrites_consecutive_failures:0",
        f"aof_last_write_status:{'err' if s.aof_write_error else 'ok'}",
        "aof_last_cow_size:0",
        "module_fork_in_progress:0",
        "module_fork_last_cow_size:0",
    ]
    if aof:
        lines += [
            f"aof_current_size:{s.journal.log.size}",
            f"aof_base_size:{s.aof_base_size}",
            "aof_pending_rewrite:0",
            f"aof_buffer_length:{s.journal.log.pending_bytes}",
            "aof_pending_bio_fsync:0",
            "aof_delayed_fsync:0",
        ]
    return lines


def _stats(s: Any, client: Any) -> list[str]:
    calls, failed, rejected = s.command_totals()
    ks = s.keyspace
    bytes_in = s.closed_bytes_in + sum(getattr(c.peer, "bytes_in", 0) for c in s.clients.values())
    bytes_out = s.closed_bytes_out + sum(
        getattr(c.peer, "bytes_out", 0) for c in s.clients.values()
    )
    channels = s.pubsub.channels
    patterns = s.pubsub.patterns
    return [
        f"total_connections_received:{s.total_connections() - s.connections_at_reset}",
        f"total_commands_processed:{calls}",
        f"instantaneous_ops_per_sec:{s.instantaneous_ops()}",
        f"total_net_input_bytes:{bytes_in}",
        f"total_net_output_bytes:{bytes_out}",
        f"rejected_connections:{s.rejected_connections()}",
        f"expired_keys:{ks.expired_keys}",
        f"evicted_keys:{s.eviction.evicted_keys}",
        f"keyspace_hits:{ks.keyspace_hits}",
        f"keyspace_misses:{ks.keyspace_misses}",
        f"pubsub_channels:{len(channels) if channels else 0}",
        f"pubsub_patterns:{len(patterns) if patterns else 0}",
        f"pubsubshard_channels:{len(s.pubsub.shard_channels)}",
        "latest_fork_usec:0",
        "total_forks:0",
        f"tracking_total_keys:{len(s.tracking.table) if s.tracking is not None else 0}",
        f"tracking_total_items:{s.tracking.total_items() if s.tracking is not None else 0}",
        f"tracking_total_prefixes:{len(s.tracking.prefixes) if s.tracking is not None else 0}",
        "unexpected_error_replies:0",
        f"total_error_replies:{failed + rejected + s.unknown_commands}",
    ]


def _replication(s: Any, client: Any) -> list[str]:
    st = s.repl
    cfg = s.config
    if s.is_replica():
        lines = ["role:slave", *s.link.info_lines()]
        lines += [
            f"slave_priority:{cfg.replica_priority}",
            f"slave_read_only:{int(cfg.replica_read_only)}",
            f"replica_announced:{int(cfg.replica_announced)}",
        ]
    else:
        lines = ["role:master"]
    lines += s.master_side.info_lines()
    backlog = st.backlog
    lines += [
        f"master_failover_state:{getattr(s, 'failover_state', 'no-failover')}",
        f"master_replid:{st.replid}",
        f"master_replid2:{st.replid2}",
        f"master_repl_offset:{st.offset}",
        f"second_repl_offset:{st.second_replid_offset}",
        f"repl_backlog_active:{int(backlog is not None)}",
        f"repl_backlog_size:{st.backlog_size}",
        f"repl_backlog_first_byte_offset:{backlog.first_byte_offset if backlog else 0}",
        f"repl_backlog_histlen:{backlog.histlen if backlog else 0}",
    ]
    return lines


def _cpu(s: Any, client: Any) -> list[str]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [
        f"used_cpu_sys:{me.ru_stime:.6f}",
        f"used_cpu_user:{me.ru_utime:.6f}",
        f"used_cpu_sys_children:{kids.ru_stime:.6f}",
        f"used_cpu_user_children:{kids.ru_utime:.6f}",
    ]
    thread = getattr(resource, "RUSAGE_THREAD", None)
    if thread is not None:
        main = resource.getrusage(thread)  # the event loop's thread, which runs every command
        lines += [
            f"used_cpu_sys_main_thread:{main.ru_stime:.6f}",
            f"used_cpu_user_main_thread:{main.ru_utime:.6f}",
        ]
    return lines


def _modules(s: Any, client: Any) -> list[str]:
    return []


def _commandstats(s: Any, client: Any) -> list[str]:
    lines = []
    for cmd in s.commands.values():
        for c in (cmd, *cmd.subcommands.values()):
            if c.calls or c.failed_calls or c.rejected_calls:
                usec = int(c.usec * 1_000_000)
                per_call = usec / c.calls if c.calls else 0.0
                lines.append(
                    f"cmdstat_{c.full_name}:calls={c.calls},usec={usec},"
                    f"usec_per_call={per_call:.2f},"
                    f"rejected_calls={c.rejected_calls},failed_calls={c.failed_calls}"
                )
    return lines


def _percentile_name(p: float) -> str:
    text = f"{p:f}".rstrip("0").rstrip(".")
    return f"p{text}"


def _latencystats(s: Any, client: Any) -> list[str]:
    """latency_percentiles_usec_<command>: each configured percentile from the command's
    histogram (the upper bound of the power-of-two bucket it falls in)."""
    if not s.extra_config.get("latency-tracking", True):
        return []
    percentiles = s.extra_config.get("latency-tracking-info-percentiles", [50.0, 99.0, 99.9])
    lines = []
    for cmd in s.commands.values():
        for c in (cmd, *cmd.subcommands.values()):
            hist = c.hist
            total = sum(hist) if hist else 0
            if not total:
                continue
            parts = []
            for p in percentiles:
                want = max(1, -(-total * p // 100))
                seen = 0
                value = 0.0
                for k, n in enumerate(hist):
                    seen += n
                    if seen >= want:
                        ns = 1024 << k
                        value = (ns + (1 << max(0, ns.bit_length() - 8)) - 1) / 1000
                        break
                parts.append(f"{_percentile_name(p)}={value:.3f}")
            lines.append(f"latency_percentiles_usec_{c.full_name}:{','.join(parts)}")
    return lines


def _errorstats(s: Any, client: Any) -> list[str]:
    return [f"errorstat_{code}:count={n}" for code, n in sorted(s.error_counts.items())]


def _cluster(s: Any, client: Any) -> list[str]:
    return [f"cluster_enabled:{1 if s.cluster is not None else 0}"]


def _keyspace(s: Any, client: Any) -> list[str]:
    now = s.clock.time_ms()
    return [
        f"db{db.id}:keys={len(db)},expires={len(db.expires)},avg_ttl={db.avg_ttl(now)}"
        for db in s.keyspace.dbs
        if len(db)
    ]


_BUILDERS: dict[str, Callable[[Any, Any], list[str]]] = {
    "server": _server,
    "clients": _clients,
    "memory": _memory,
    "persistence": _persistence,
    "stats": _stats,
    "replication": _replication,
    "cpu": _cpu,
    "modules": _modules,
    "commandstats": _commandstats,
    "errorstats": _errorstats,
    "cluster": _cluster,
    "keyspace": _keyspace,
    "latencystats": _latencystats,
}


def chosen_sections(args: list[bytes]) -> set[str]:
    """The sections ``INFO args...`` asks for (unknown names select nothing)."""
    if not args:
        return set(DEFAULT)
    out: set[str] = set()
    for a in args:
        name = a.decode("latin-1").lower()
        if name in ("all", "everything"):
            out |= ALL
        elif name == "default":
            out |= DEFAULT
        elif name in _BUILDERS:
            out.add(name)
    return out


def info_text(server: Any, client: Any, args: list[bytes]) -> str:
    wanted = chosen_sections(args)
    parts = []
    for name in SECTIONS:
        if name not in wanted:
            continue
        title = _TITLES.get(name, name.capitalize())
        lines = _BUILDERS[name](server, client)
        parts.append("".join([f"# {title}\r\n", *(line + "\r\n" for line in lines)]))
    return "\r\n".join(parts)


@command(
    "info",
    -1,
    "loading stale",
    group="server",
    since="1.0.0",
    summary="Get information and statistics about the server",
    complexity="O(1)",
    acl=("@dangerous",),
    tips=("nondeterministic_output", "request_policy:all_shards", "response_policy:special"),
)
def info(client: Any, argv: list[bytes]) -> Any:
    text = info_text(client.server, client, argv[1:])
    try:
        # bytes that came in as they were (an error code a script made up, a client name)
        # go back out as they were, as Redis sends them
        return Verbatim(text.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return Verbatim(text.encode("utf-8", "replace"))
