"""ZooKeeper's AdminServer JSON endpoints (``/commands/<name>``) on the admin HTTP port.

Names and aliases follow ZooKeeper's admin/Commands.java; every response carries ``command`` and
``error`` like ZooKeeper's CommandResponse.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import fourletter

Route = Callable[[dict[str, str]], tuple[int, str, bytes]]


def _hex(v: int) -> str:
    return fourletter.hexid(v)


def _server_stats(zk: Any) -> dict[str, Any]:
    st = zk.stats
    return {
        "version": fourletter.VERSION,
        "read_only": False,
        "server_stats": {
            "packets_sent": st.packets_sent,
            "packets_received": st.packets_received,
            "fsync_threshold_exceed_count": 0,
            "client_response_stats": {
                "last_buffer_size": -1,
                "min_buffer_size": -1,
                "max_buffer_size": -1,
            },
            "data_dir_size": fourletter._dir_size(zk.settings.data_dir),
            "log_dir_size": fourletter._dir_size(zk.settings.data_log_dir or zk.settings.data_dir),
            "last_processed_zxid": zk.last_zxid,
            "outstanding_requests": zk.outstanding,
            "server_state": "standalone",
            "avg_latency": round(st.avg_latency, 4),
            "max_latency": st.max_latency,
            "min_latency": st.min_latency,
            "num_alive_client_connections": len(zk.connections),
            "provider_null": False,
            "uptime": zk.now_ms() - st.started_ms,
        },
        "client_response": {"last_buffer_size": -1, "min_buffer_size": -1, "max_buffer_size": -1},
        "node_count": zk.tree.node_count(),
    }


def _connections(zk: Any) -> list[dict[str, Any]]:
    out = []
    for c in list(zk.connections):
        pn = getattr(c.peer, "peername", None) or ("127.0.0.1", 0)
        info: dict[str, Any] = {
            "remote_socket_address": f"{pn[0]}:{pn[1]}",
            "interest_ops": 1 if c.state == 1 else 0,
            "outstanding_requests": 0,
            "packets_received": c.packets_received,
            "packets_sent": c.packets_sent,
        }
        if c.session_id:
            info.update(
                session_id=_hex(c.session_id),
                last_operation=fourletter.LAST_OP.get(c.last_op, "NA"),
                session_timeout=c.timeout,
                last_cxid=_hex(c.last_cxid),
                last_zxid=_hex(c.last_zxid),
                established=c.established_ms,
            )
        out.append(info)
    return out


def commands(zk: Any) -> dict[str, tuple[tuple[str, ...], Callable[[], dict[str, Any]]]]:
    """name -> (aliases, producer of the response fields)."""

    def ruok() -> dict[str, Any]:
        return {}

    def monitor() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in fourletter.monitor_values(zk):
            key = k[3:]
            if isinstance(v, str):
                try:
                    v = float(v) if "." in v else int(v)
                except ValueError:
                    pass
            out[key] = v
        return out

    def stats() -> dict[str, Any]:
        d = _server_stats(zk)
        d["connections"] = _connections(zk)
        d["secure_connections"] = []
        return d

    def configuration() -> dict[str, Any]:
        return dict(fourletter.configuration(zk))

    def environment() -> dict[str, Any]:
        return dict(fourletter.environment())

    def connections() -> dict[str, Any]:
        return {"connections": _connections(zk), "secure_connections": []}

    def watch_summary() -> dict[str, Any]:
        by = fourletter._watchers(zk)
        paths: set[str] = set()
        for p in by.values():
            paths |= p
        return {
            "num_connections": len(by),
            "num_paths": len(paths),
            "num_total_watches": zk.data_watches.size() + zk.child_watches.size(),
        }

    def watches() -> dict[str, Any]:
        return {
            "session_id_to_watched_paths": {
                str(getattr(w, "session_id", 0)): sorted(p)
                for w, p in fourletter._watchers(zk).items()
            }
        }

    def watches_by_path() -> dict[str, Any]:
        by_path: dict[str, list[int]] = {}
        for w, paths in fourletter._watchers(zk).items():
            for p in paths:
                by_path.setdefault(p, []).append(getattr(w, "session_id", 0))
        return {"path_to_session_ids": by_path}

    def dump() -> dict[str, Any]:
        return {
            "expiry_time_to_session_ids": _expiry(zk),
            "session_id_to_ephemeral_paths": {
                str(sid): sorted(p) for sid, p in zk.tree.ephemerals.items()
            },
        }

    def dirs() -> dict[str, Any]:
        s = zk.settings
        return {
            "datadir_size": fourletter._dir_size(s.data_dir),
            "logdir_size": fourletter._dir_size(s.data_log_dir or s.data_dir),
        }

    def is_read_only() -> dict[str, Any]:
        return {"read_only": False}

    def stat_reset() -> dict[str, Any]:
        zk.stats.reset()
        return {}

    def connection_stat_reset() -> dict[str, Any]:
        fourletter.cmd_crst(zk, None)
        return {}

    def server_stats() -> dict[str, Any]:
        return _server_stats(zk)

    return {
        "configuration": (("conf", "config"), configuration),
        "connection_stat_reset": (("crst",), connection_stat_reset),
        "connections": (("cons",), connections),
        "dirs": (("dirs",), dirs),
        "dump": (("dump",), dump),
        "environment": (("envi", "env"), environment),
        "is_read_only": (("isro",), is_read_only),
        "monitor": (("mntr",), monitor),
        "ruok": (("ruok",), ruok),
        "server_stats": (("srvr",), server_stats),
        "stat_reset": (("srst",), stat_reset),
        "stats": (("stat",), stats),
        "watch_summary": (("wchs",), watch_summary),
        "watches": (("wchc",), watches),
        "watches_by_path": (("wchp",), watches_by_path),
    }


def pretty(value: Any, level: int = 0) -> str:
    """JSON as Jackson's DefaultPrettyPrinter writes it (ZooKeeper's AdminServer output):
    ``"key" : value``, two-space indents, arrays on one line as ``[ a, b ]``."""
    if isinstance(value, dict):
        if not value:
            return "{ }"
        pad = "  " * (level + 1)
        items = ",\n".join(
            f"{pad}{json.dumps(str(k))} : {pretty(v, level + 1)}" for k, v in value.items()
        )
        return "{\n" + items + "\n" + "  " * level + "}"
    if isinstance(value, list | tuple | set):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(pretty(v, level) for v in value) + " ]"
    return json.dumps(value)


def _expiry(zk: Any) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for s in zk.tracker.sessions.values():
        out.setdefault(str(s.expire_at), []).append(s.session_id)
    return out


# Commands that change the server's state: served on POST only, so that a page a browser
# loads (an <img> pointing at the admin port) cannot reset them.
STATE_CHANGING = frozenset(("stat_reset", "srst", "connection_stat_reset", "crst"))


def changes_state(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in STATE_CHANGING


def routes(zk: Any) -> dict[str, Route]:
    table = commands(zk)
    result: dict[str, Route] = {}

    def make(name: str, fn: Callable[[], dict[str, Any]]) -> Route:
        def route(query: dict[str, str]) -> tuple[int, str, bytes]:
            body = fn()
            body["command"] = name
            body["error"] = None
            return 200, "application/json", pretty(body).encode()

        return route

    for name, (aliases, fn) in table.items():
        r = make(name, fn)
        result[f"/commands/{name}"] = r
        for a in aliases:
            result[f"/commands/{a}"] = r

    def index(query: dict[str, str]) -> tuple[int, str, bytes]:
        links = "".join(f'<a href="/commands/{n}">{n}</a><br/>\n' for n in sorted(table))
        html = f"<html>\n<body>\n<h1>ZooKeeper AdminServer</h1>\n{links}</body>\n</html>\n"
        return 200, "text/html", html.encode()

    result["/commands"] = index
    return result
