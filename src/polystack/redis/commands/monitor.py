"""MONITOR, SLOWLOG and LATENCY (replication.c's monitor feed, slowlog.c, latency.c).

MONITOR clients receive a line for every command the server runs (before it runs, as
call() feeds them), except admin commands and the scripting commands, which feed their own
line before their script's commands (``[0 lua]``).  While any client monitors, every client
runs through the session's slow path, where the feed happens.
"""

from __future__ import annotations

from typing import Any

from polystack.redis.commands import COMMANDS, command, container
from polystack.redis.commands.client import addr
from polystack.redis.commands.help import help_reply
from polystack.redis.configtypes import string2ll
from polystack.redis.errors import err
from polystack.redis.flags import set_server_condition
from polystack.redis.ops import monitor_line, redacted_argv
from polystack.redis.wire import OK, Verbatim

_ADMIN_CATS = ("@admin", "@slow", "@dangerous")


# -- MONITOR -----------------------------------------------------------------------------------
def feed_monitors(server: Any, client: Any, argv: list[bytes], cmd: Any = None) -> None:
    """replicationFeedMonitors: one line to every monitor (a script's commands as ``lua``)."""
    caller = getattr(client, "caller", None)
    if caller is not None:
        who = b"lua"
    else:
        who = addr(client).encode() or b"?"
    if cmd is None:
        cmd = getattr(client, "last_cmd", None)
    line = monitor_line(server.clock.time(), client.db_id, who, redacted_argv(cmd, argv))
    for m in list(server.monitors):
        if m.peer.closed:
            continue
        m.push_raw(line, None)


def stop_monitoring(server: Any, client: Any) -> None:
    if client in server.monitors:
        server.monitors.remove(client)
        if not server.monitors:
            set_server_condition(server, "monitor", False)


@command(
    "monitor",
    1,
    "admin noscript loading stale",
    group="server",
    since="1.0.0",
    summary="Listen for all requests received by the server in real time",
    categories=_ADMIN_CATS,
)
def monitor(client: Any, argv: list[bytes]) -> Any:
    if client.deny_blocking:
        raise err("MONITOR isn't allowed for DENY BLOCKING client")
    server = client.server
    if client.repl is not None or client in server.monitors:
        return None  # a replica (or a monitor already): no reply, as in Redis
    client.monitor = True
    server.monitors.append(client)
    set_server_condition(server, "monitor", True)
    return OK


# -- the slow log and the latency monitor -------------------------------------------------
def record_slow_command(server: Any, client: Any, cmd: Any, argv: list[bytes], took: float):
    """slowlogPushCurrentCommand and the ``command``/``fast-command`` latency events."""
    us = int(took * 1_000_000)
    cfg = server.extra_config
    now = int(server.clock.time())
    threshold = cfg.get("slowlog-log-slower-than", 10000)
    keep = cfg.get("slowlog-max-len", 128)
    if 0 <= threshold <= us and keep and "skip_slowlog" not in cmd.flags:
        if getattr(client, "caller", None) is not None:  # a script's own client
            peer, name = b"?:0", b""
        else:
            peer, name = addr(client).encode(), client.name
        server.slowlog.push(redacted_argv(cmd, argv), us, now, peer, name, keep)
    latency_ms = cfg.get("latency-monitor-threshold", 0)
    if latency_ms and us // 1000 >= latency_ms:
        event = b"fast-command" if "fast" in cmd.flags else b"command"
        server.latency.add(event, now, us // 1000)


container("slowlog", "server", "2.2.12", "A container for slow log commands")
COMMANDS[b"slowlog"].acl_categories = ("@slow",)
COMMANDS[b"slowlog"].complexity = "Depends on subcommand."


@command(
    "get",
    -2,
    "admin loading stale",
    group="server",
    since="2.2.12",
    parent="slowlog",
    summary="Get the slow log's entries",
    complexity="O(N) where N is the number of entries returned",
    categories=_ADMIN_CATS,
    tips=("request_policy:all_nodes", "nondeterministic_output"),
    arguments=({"name": "count", "type": "integer", "flags": "optional"},),
    history=(("4.0.0", "Added client IP address, port and name to the reply."),),
)
def slowlog_get(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise err(
            "unknown subcommand or wrong number of arguments for "
            f"'{argv[1].decode('utf-8', 'replace')}'. Try SLOWLOG HELP."
        )
    entries = client.server.slowlog.entries
    count = 10
    if len(argv) == 3:
        n = string2ll(argv[2])
        if n is None or n < -1:
            raise err("count should be greater than or equal to -1")
        count = len(entries) if n == -1 else n
    return [
        [e.id, e.time, e.duration, list(e.argv), e.peerid, e.cname] for e in list(entries)[:count]
    ]


@command(
    "len",
    2,
    "admin loading stale",
    group="server",
    since="2.2.12",
    parent="slowlog",
    summary="Get the slow log's length",
    complexity="O(1)",
    categories=_ADMIN_CATS,
    tips=("request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"),
)
def slowlog_len(client: Any, argv: list[bytes]) -> Any:
    return len(client.server.slowlog.entries)


@command(
    "reset",
    2,
    "admin loading stale",
    group="server",
    since="2.2.12",
    parent="slowlog",
    summary="Clear all entries from the slow log",
    complexity="O(N) where N is the number of entries in the slowlog",
    categories=_ADMIN_CATS,
    tips=("request_policy:all_nodes", "response_policy:all_succeeded"),
)
def slowlog_reset(client: Any, argv: list[bytes]) -> Any:
    client.server.slowlog.entries.clear()
    return OK


_SLOWLOG_HELP = [
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
]


@command(
    "help",
    2,
    "loading stale",
    group="server",
    since="6.2.0",
    parent="slowlog",
    summary="Show helpful text about the different subcommands",
    complexity="O(1)",
)
def slowlog_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("SLOWLOG", _SLOWLOG_HELP)


# -- LATENCY ---------------------------------------------------------------------------------
container("latency", "server", "2.8.13", "A container for latency diagnostics commands")
COMMANDS[b"latency"].acl_categories = ("@slow",)
COMMANDS[b"latency"].complexity = "Depends on subcommand."
_LATENCY_FLAGS = "admin noscript loading stale"
_SPECIAL = ("nondeterministic_output", "request_policy:all_nodes", "response_policy:special")


@command(
    "latest",
    2,
    _LATENCY_FLAGS,
    group="server",
    since="2.8.13",
    parent="latency",
    summary="Return the latest latency samples for all events.",
    complexity="O(1)",
    categories=_ADMIN_CATS,
    tips=_SPECIAL,
)
def latency_latest(client: Any, argv: list[bytes]) -> Any:
    out = []
    for event, ts in client.server.latency.events.items():
        last = ts["samples"][-1]
        out.append([event, last[0], last[1], ts["max"]])
    return out


@command(
    "history",
    3,
    _LATENCY_FLAGS,
    group="server",
    since="2.8.13",
    parent="latency",
    summary="Return timestamp-latency samples for the event.",
    complexity="O(1)",
    categories=_ADMIN_CATS,
    tips=_SPECIAL,
    arguments=({"name": "event", "type": "string"},),
)
def latency_history(client: Any, argv: list[bytes]) -> Any:
    ts = client.server.latency.events.get(argv[2])
    if ts is None:
        return []
    return [[t, v] for t, v in ts["samples"]]


@command(
    "reset",
    -2,
    _LATENCY_FLAGS,
    group="server",
    since="2.8.13",
    parent="latency",
    summary="Reset latency data for one or more events.",
    complexity="O(1)",
    categories=_ADMIN_CATS,
    tips=("request_policy:all_nodes", "response_policy:all_succeeded"),
    arguments=({"name": "event", "type": "string", "flags": "optional multiple"},),
)
def latency_reset(client: Any, argv: list[bytes]) -> Any:
    return client.server.latency.reset(argv[2:] if len(argv) > 2 else None)


@command(
    "graph",
    3,
    _LATENCY_FLAGS,
    group="server",
    since="2.8.13",
    parent="latency",
    summary="Return a latency graph for the event.",
    complexity="O(1)",
    categories=_ADMIN_CATS,
    tips=_SPECIAL,
    arguments=({"name": "event", "type": "string"},),
)
def latency_graph(client: Any, argv: list[bytes]) -> Any:
    ts = client.server.latency.events.get(argv[2])
    if ts is None:
        raise err(f"No samples available for event '{argv[2].decode('utf-8', 'replace')}'")
    samples = list(ts["samples"])
    values = [v for _, v in samples]
    head = (
        f"{argv[2].decode('utf-8', 'replace')} - high {max(values)} ms, low {min(values)} ms "
        f"(all time high {ts['max']} ms)\n" + "-" * 80 + "\n"
    )
    return Verbatim((head + _sparkline(samples, client.server.clock.time())).encode())


def _sparkline(samples: list[tuple[int, int]], now: float) -> str:
    """latencyCommandGenSparkeline: one column per sample (4 rows of _ o # |), then the age
    of each sample written vertically."""
    values = [v for _, v in samples]
    lo, hi = min(values), max(values)
    rows = ["", "", "", ""]
    labels: list[str] = []
    for t, v in samples:
        level = 0 if hi == lo else round((v - lo) / (hi - lo) * 7)
        for r in range(4):
            lvl = level - (3 - r) * 2
            rows[r] += "|" if lvl >= 2 else "_" if lvl == 1 else "#" if lvl > 2 else " "
        age = int(now - t)
        labels.append(
            f"{age}s" if age < 60 else f"{age // 60}m" if age < 3600 else f"{age // 3600}h"
        )
    height = max(len(x) for x in labels)
    label_rows = ["".join(x[i] if i < len(x) else " " for x in labels) for i in range(height)]
    return "\n".join(rows + label_rows) + "\n"


@command(
    "doctor",
    2,
    _LATENCY_FLAGS,
    group="server",
    since="2.8.13",
    parent="latency",
    summary="Return a human readable latency analysis report.",
    complexity="O(1)",
    categories=_ADMIN_CATS,
    tips=_SPECIAL,
)
def latency_doctor(client: Any, argv: list[bytes]) -> Any:
    events = client.server.latency.events
    if not events:
        return Verbatim(
            b"Dave, no latency spike was observed during the lifetime of this Redis instance, "
            b"not in the slightest bit. I honestly think you ought to sleep tonight.\n"
        )
    lines = [
        "Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
        "about it, do you Dave?",
        "",
    ]
    for i, (event, ts) in enumerate(events.items(), 1):
        values = [v for _, v in ts["samples"]]
        avg = sum(values) // len(values)
        dev = sum(abs(v - avg) for v in values) // len(values)
        lines.append(
            f"{i}. {event.decode('utf-8', 'replace')}: {len(values)} latency spikes (average "
            f"{avg}ms, mean deviation {dev}ms, period 1.00 sec). Worst all time event "
            f"{ts['max']}ms."
        )
    lines += [
        "",
        "I have a few advices for you:",
        "",
        "- Check your Slow Log to understand what are the commands you are running which are "
        "too slow to execute. Please check https://redis.io/commands/slowlog for more "
        "information.",
        "",
    ]
    return Verbatim("\n".join(lines).encode())


def histogram_entry(cmd: Any) -> dict[bytes, Any]:
    """fillCommandCDF: the calls, and the cumulative count at each power-of-two bucket (in
    microseconds, as HdrHistogram's log iterator labels them) that saw calls."""
    buckets: dict[int, int] = {}
    total = 0
    for k, n in enumerate(cmd.hist or ()):
        if not n:
            continue
        total += n
        ns = 1024 << k
        buckets[(ns + (1 << max(0, ns.bit_length() - 8)) - 1) // 1000 if k else 1] = total
    return {b"calls": cmd.calls, b"histogram_usec": buckets}


@command(
    "histogram",
    -2,
    _LATENCY_FLAGS,
    group="server",
    since="7.0.0",
    parent="latency",
    summary="Return the cumulative distribution of latencies of a subset of commands or all.",
    complexity="O(N) where N is the number of commands with latency information being retrieved.",
    categories=_ADMIN_CATS,
    tips=_SPECIAL,
    arguments=({"name": "command", "type": "string", "flags": "optional multiple"},),
)
def latency_histogram(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    chosen = []
    if len(argv) == 2:
        for cmd in server.commands.values():
            for c in (cmd, *cmd.subcommands.values()):
                if c.calls:
                    chosen.append(c)
    else:
        for name in argv[2:]:
            parts = name.lower().split(b"|")
            cmd = server.commands.get(parts[0])
            if cmd is not None and len(parts) == 2:
                cmd = cmd.subcommands.get(parts[1])
            if cmd is not None and cmd.calls and cmd not in chosen:
                chosen.append(cmd)
    return {c.full_name.encode(): histogram_entry(c) for c in chosen}


_LATENCY_HELP = [
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the "
    "specified command names.",
    "    If no commands are specified then all histograms are replied.",
]


@command(
    "help",
    2,
    "loading stale",
    group="server",
    since="2.8.13",
    parent="latency",
    summary="Show helpful text about the different subcommands.",
    complexity="O(1)",
)
def latency_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("LATENCY", _LATENCY_HELP)


__all__ = ["feed_monitors", "record_slow_command", "stop_monitoring"]
