"""Four-letter words on the client port (ZooKeeper's FourLetterCommands / command/*.java).

A connection that has not sent a ConnectRequest may send a 4-byte command instead of a packet
length; the server answers in plain text and closes. Commands outside ``4lw.commands.whitelist``
get ZooKeeper's refusal line.
"""

from __future__ import annotations

import os
import platform
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any

VERSION = "3.8.0-polystack, built on 1970-01-01 00:00 UTC"

COMMANDS = (
    "ruok",
    "srvr",
    "stat",
    "mntr",
    "envi",
    "isro",
    "conf",
    "cons",
    "wchs",
    "wchc",
    "wchp",
    "dump",
    "dirs",
    "crst",
    "srst",
    "gtmk",
    "stmk",
)
_CODES = {struct.unpack(">i", c.encode())[0]: c for c in COMMANDS}

# ZooKeeper's short names for the last operation (Request.op2String abbreviations in cons)
LAST_OP = {
    "create": "CREA",
    "create2": "CREA",
    "createContainer": "CREA",
    "createTTL": "CREA",
    "delete": "DELE",
    "deleteContainer": "DELE",
    "exists": "EXIS",
    "getData": "GETD",
    "setData": "SETD",
    "getACL": "GETA",
    "setACL": "SETA",
    "getChildren": "GETC",
    "getChildren2": "GETC",
    "getAllChildrenNumber": "GETACN",
    "getEphemerals": "GETE",
    "sync": "SYNC",
    "ping": "PING",
    "multi": "MULT",
    "multiRead": "MLTR",
    "check": "CHEC",
    "closeSession": "CLOS",
    "setWatches": "SETW",
    "setWatches2": "STW2",
    "removeWatches": "REMW",
    "checkWatches": "CHKW",
    "addWatch": "ADDW",
    "whoAmI": "HOMI",
    "auth": "AUTH",
    "NA": "NA",
}


def is_known(length_field: int) -> bool:
    return length_field in _CODES


def hexid(sid: int) -> str:
    return "0x%x" % (sid & 0xFFFFFFFFFFFFFFFF)


def java_double(x: float) -> str:
    return repr(round(float(x), 4))


def run(zk: Any, cnxn: Any, code: int) -> bytes:
    cmd = _CODES[code]
    wl = zk.settings.four_letter_whitelist
    if "*" not in wl and cmd not in wl:
        return f"{cmd} is not executed because it is not in the whitelist.\n".encode()
    return globals()["cmd_" + cmd](zk, cnxn).encode("utf-8")


def _addr(c: Any) -> str:
    pn = getattr(c.peer, "peername", None)
    if not pn:
        return "/127.0.0.1:0"
    return f"/{pn[0]}:{pn[1]}"


def _brief(c: Any) -> str:
    interest = 1 if c.state == 1 else 0
    return f" {_addr(c)}[{interest}](queued=0,recved={c.packets_received},sent={c.packets_sent}"


def _full(zk: Any, c: Any) -> str:
    s = _brief(c)
    if c.session_id:
        s += (
            f",sid={hexid(c.session_id)},lop={LAST_OP.get(c.last_op, 'NA')},"
            f"est={c.established_ms},to={c.timeout},lcxid={hexid(c.last_cxid)},"
            f"lzxid={hexid(c.last_zxid)},lresp={c.last_response_ms},llat={c.last_latency},"
            f"minlat={zk.stats.min_latency},avglat={int(zk.stats.avg_latency)},"
            f"maxlat={zk.stats.max_latency}"
        )
    return s + ")\n"


def _server_summary(zk: Any) -> str:
    st = zk.stats
    return (
        f"Latency min/avg/max: {st.min_latency}/{java_double(st.avg_latency)}/{st.max_latency}\n"
        f"Received: {st.packets_received}\n"
        f"Sent: {st.packets_sent}\n"
        f"Connections: {len(zk.connections)}\n"
        f"Outstanding: {zk.outstanding}\n"
        f"Zxid: {hexid(zk.last_zxid)}\n"
        f"Mode: standalone\n"
        f"Node count: {zk.tree.node_count()}\n"
    )


def cmd_ruok(zk: Any, cnxn: Any) -> str:
    return "imok"


def cmd_isro(zk: Any, cnxn: Any) -> str:
    return "rw"


def cmd_srvr(zk: Any, cnxn: Any) -> str:
    return f"Zookeeper version: {VERSION}\n" + _server_summary(zk)


def cmd_stat(zk: Any, cnxn: Any) -> str:
    clients = "".join(_brief(c) + ")\n" for c in list(zk.connections))
    return f"Zookeeper version: {VERSION}\nClients:\n{clients}\n" + _server_summary(zk)


def cmd_cons(zk: Any, cnxn: Any) -> str:
    return "".join(_full(zk, c) for c in list(zk.connections)) + "\n"


def cmd_crst(zk: Any, cnxn: Any) -> str:
    for c in list(zk.connections):
        c.packets_received = c.packets_sent = 0
        c.last_cxid = c.last_zxid = -1
        c.last_op = "NA"
        c.last_latency = 0
    return "Connection stats reset.\n"


def cmd_srst(zk: Any, cnxn: Any) -> str:
    zk.stats.reset()
    return "Server stats reset.\n"


def cmd_gtmk(zk: Any, cnxn: Any) -> str:
    return "0\n"


def cmd_stmk(zk: Any, cnxn: Any) -> str:
    return "0\n"


def monitor_values(zk: Any) -> list[tuple[str, Any]]:
    """mntr's keys, in ZooKeeper 3.8's order (the ones that have a meaning here)."""
    st = zk.stats
    tree = zk.tree
    watch_count = zk.data_watches.size() + zk.child_watches.size()
    return [
        ("zk_version", VERSION),
        ("zk_server_state", "standalone"),
        ("zk_ephemerals_count", sum(len(v) for v in tree.ephemerals.values())),
        ("zk_num_alive_connections", len(zk.connections)),
        ("zk_avg_latency", java_double(st.avg_latency)),
        ("zk_outstanding_requests", zk.outstanding),
        ("zk_znode_count", tree.node_count()),
        ("zk_global_sessions", len(zk.tracker.sessions)),
        ("zk_packets_sent", st.packets_sent),
        ("zk_packets_received", st.packets_received),
        ("zk_connection_drop_probability", "0.0"),
        ("zk_watch_count", watch_count),
        ("zk_auth_failed_count", st.extra.get("auth_failed", 0)),
        ("zk_min_latency", st.min_latency),
        ("zk_max_file_descriptor_count", _max_fds()),
        ("zk_approximate_data_size", tree.approximate_data_size()),
        ("zk_open_file_descriptor_count", _open_fds()),
        ("zk_local_sessions", 0),
        ("zk_uptime", zk.now_ms() - st.started_ms),
        ("zk_max_latency", st.max_latency),
    ]


def cmd_mntr(zk: Any, cnxn: Any) -> str:
    return "".join(f"{k}\t{v}\n" for k, v in monitor_values(zk))


def _open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0


def _max_fds() -> int:
    try:
        import resource

        return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return 0


def environment() -> list[tuple[str, str]]:
    return [
        ("zookeeper.version", VERSION),
        ("host.name", socket.gethostname()),
        ("python.version", platform.python_version()),
        ("python.implementation", platform.python_implementation()),
        ("python.executable", sys.executable),
        ("os.name", platform.system()),
        ("os.arch", platform.machine()),
        ("os.version", platform.release()),
        ("user.name", os.environ.get("USER", "")),
        ("user.home", os.path.expanduser("~")),
        ("user.dir", os.getcwd()),
    ]


def cmd_envi(zk: Any, cnxn: Any) -> str:
    return "Environment:\n" + "".join(f"{k}={v}\n" for k, v in environment())


def configuration(zk: Any) -> list[tuple[str, Any]]:
    s = zk.settings
    return [
        ("clientPort", s.client_port),
        ("secureClientPort", -1),
        ("dataDir", s.data_dir),
        ("dataDirSize", _dir_size(s.data_dir)),
        ("dataLogDir", s.data_log_dir or s.data_dir),
        ("dataLogSize", _dir_size(s.data_log_dir or s.data_dir)),
        ("tickTime", s.tick_time),
        ("maxClientCnxns", s.max_client_cnxns),
        ("minSessionTimeout", s.min_timeout),
        ("maxSessionTimeout", s.max_timeout),
        ("clientPortListenBacklog", -1),
        ("serverId", 0),
    ]


def cmd_conf(zk: Any, cnxn: Any) -> str:
    return "".join(f"{k}={v}\n" for k, v in configuration(zk))


def _dir_size(d: str) -> int:
    if not d:
        return 0
    total = 0
    p = Path(d)
    if not p.is_dir():
        return 0
    for f in p.rglob("*"):
        try:
            if f.is_file():
                total += f.stat().st_size
        except OSError:
            pass
    return total


def cmd_dirs(zk: Any, cnxn: Any) -> str:
    s = zk.settings
    return (
        f"datadir_size: {_dir_size(s.data_dir)}\n"
        f"logdir_size: {_dir_size(s.data_log_dir or s.data_dir)}\n"
    )


def _watchers(zk: Any) -> dict[Any, set[str]]:
    by: dict[Any, set[str]] = {}
    for m in (zk.data_watches, zk.child_watches):
        for w, paths in m.by_watcher.items():
            by.setdefault(w, set()).update(paths)
    return by


def cmd_wchs(zk: Any, cnxn: Any) -> str:
    by = _watchers(zk)
    paths = set()
    for p in by.values():
        paths |= p
    total = zk.data_watches.size() + zk.child_watches.size()
    return f"{len(by)} connections watching {len(paths)} paths\nTotal watches:{total}\n"


def cmd_wchc(zk: Any, cnxn: Any) -> str:
    out = []
    for w, paths in _watchers(zk).items():
        out.append(hexid(getattr(w, "session_id", 0)) + "\n")
        out.extend(f"\t{p}\n" for p in sorted(paths))
    return "".join(out) + "\n"


def cmd_wchp(zk: Any, cnxn: Any) -> str:
    by_path: dict[str, set[int]] = {}
    for w, paths in _watchers(zk).items():
        for p in paths:
            by_path.setdefault(p, set()).add(getattr(w, "session_id", 0))
    out = []
    for p in sorted(by_path):
        out.append(p + "\n")
        out.extend(f"\t{hexid(s)}\n" for s in sorted(by_path[p]))
    return "".join(out) + "\n"


def _when(zk: Any, ms_from_now: int) -> str:
    t = zk.clock.time() + ms_from_now / 1000.0
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(t))


def cmd_dump(zk: Any, cnxn: Any) -> str:
    tracker = zk.tracker
    now = zk.mono_ms()
    buckets: dict[int, list[int]] = {}
    for s in tracker.sessions.values():
        buckets.setdefault(s.expire_at, []).append(s.session_id)
    out = ["SessionTracker dump:\n"]
    out.append(f"Session Sets ({len(buckets)})/({len(tracker.sessions)}):\n")
    for exp in sorted(buckets):
        ids = buckets[exp]
        out.append(f"{len(ids)} expire at {_when(zk, exp - now)}:\n")
        out.extend(f"\t{hexid(i)}\n" for i in ids)
    eph = zk.tree.ephemerals
    out.append("ephemeral nodes dump:\n")
    out.append(f"Sessions with Ephemerals ({len(eph)}):\n")
    for sid, paths in eph.items():
        out.append(f"{hexid(sid)}:\n")
        out.extend(f"\t{p}\n" for p in sorted(paths))
    conns = list(zk.connections)
    out.append("Connections dump:\n")
    out.append(f"Connections Sets (1)/({len(conns)}):\n")
    out.append(f"{len(conns)} expire at {_when(zk, zk.settings.tick_time)}:\n")
    for c in conns:
        out.append(f"\tip: {_addr(c)} sessionId: {hexid(c.session_id)}\n")
    return "".join(out)
