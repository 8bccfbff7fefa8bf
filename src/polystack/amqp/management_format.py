"""RabbitMQ's management JSON for each object (``rabbit_mgmt_format``): queues, exchanges,
bindings, connections, channels, consumers, users, permissions, vhosts."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from . import rates as R
from .table import to_json

# -- formatting -------------------------------------------------------------------------------------


def _now(m: Any) -> tuple[int, int]:
    b = m.broker
    return b.stats_now(), b.settings.collect_statistics_interval


def message_stats(m: Any, names: tuple, values: tuple, samples: Any, offset: int = 0) -> dict:
    now, interval = _now(m)
    return R.details(names, values, samples, now, interval, m.ranges.get("msg_rates"), offset)


def lengths(m: Any, values: tuple, samples: Any, offset: int) -> dict:
    now, interval = _now(m)
    return R.details(R.LENGTHS, values, samples, now, interval, m.ranges.get("lengths"), offset)


def octets(m: Any, values: tuple, samples: Any, offset: int = 0) -> dict:
    now, interval = _now(m)
    return R.details(R.OCTETS, values, samples, now, interval, m.ranges.get("data_rates"), offset)


def _channel_like(m: Any, values: tuple, samples: Any) -> dict | None:
    """RabbitMQ shows the publishing stats of a channel (or vhost) that published and the
    delivery stats of one that delivered; neither: no message_stats at all."""
    out: dict[str, Any] = {}
    nf = len(R.FINE)
    if any(values[:nf]):
        out.update(message_stats(m, R.FINE, values[:nf], samples))
    if any(values[nf:]):
        out.update(message_stats(m, R.DELIVER, values[nf:], samples, nf))
    return out or None


def format_queue(m: Any, q: Any, details: bool = False) -> dict:
    ready = len(q.ready)
    unacked = q.unacked_count
    consumers = q.consumers
    active = q.active_consumer()
    d: dict[str, Any] = {
        "arguments": to_json(q.arguments),
        "auto_delete": q.auto_delete,
        "consumer_capacity": 1.0 if consumers else 0,
        "consumer_utilisation": 1.0 if consumers else 0,
        "consumers": len(consumers),
        "durable": q.durable,
        "effective_policy_definition": {},
        "exclusive": q.exclusive,
        "exclusive_consumer_tag": next((c.tag for c in consumers if c.exclusive), None),
        "head_message_timestamp": None,
        "memory": 0,
        "message_bytes": q.ready_bytes + q.unacked_bytes,
        "message_bytes_paged_out": 0,
        "message_bytes_persistent": 0,
        "message_bytes_ram": q.ready_bytes + q.unacked_bytes,
        "message_bytes_ready": q.ready_bytes,
        "message_bytes_unacknowledged": q.unacked_bytes,
        "messages_paged_out": 0,
        "messages_persistent": 0,
        "messages_ram": ready + unacked,
        "messages_ready_ram": ready,
        "messages_unacknowledged_ram": unacked,
        "name": q.name,
        "node": m.node,
        "operator_policy": None,
        "policy": None,
        "recoverable_slaves": None,
        "single_active_consumer_tag": active.tag if active is not None else None,
        "state": "running",
        "type": q.type,
        "vhost": q.vhost,
    }
    values = R.queue_values(q)
    d.update(lengths(m, values[-3:], q.samples, len(R.QUEUE)))
    stats: dict[str, Any] = {}
    if values[0]:
        stats.update(message_stats(m, ("publish",), values[:1], q.samples))
    if any(values[1 : len(R.QUEUE)]):
        stats.update(message_stats(m, R.DELIVER, values[1 : len(R.QUEUE)], q.samples, 1))
    if stats:
        d["message_stats"] = stats
    if q.exclusive:
        d["owner_pid_details"] = _conn_ref(q.exclusive_owner)
    if details:
        d["consumer_details"] = [format_consumer(m, c) for c in consumers]
        d["deliveries"] = []
        d["incoming"] = []
    return d


def format_exchange(m: Any, x: Any, details: bool = False) -> dict:
    d: dict[str, Any] = {
        "arguments": to_json(x.arguments),
        "auto_delete": x.auto_delete,
        "durable": x.durable,
        "internal": x.internal,
        "name": x.name,
        "type": x.type,
        "user_who_performed_action": "rmq-internal" if x.builtin else "guest",
        "vhost": x.vhost,
    }
    if x.messages_in or x.messages_out:
        d["message_stats"] = message_stats(
            m, R.EXCHANGE, (x.messages_in, x.messages_out), x.samples
        )
    if details:
        d["incoming"] = []
        d["outgoing"] = []
    return d


def properties_key(rk: str, args: dict) -> str:
    if not args:
        return rk.replace("%", "%25").replace("/", "%2F") if rk else "~"
    digest = hashlib.sha1(json.dumps(to_json(args), sort_keys=True).encode()).digest()
    return f"{rk}~{base64.urlsafe_b64encode(digest[:12]).decode().rstrip('=')}"


def format_binding(vhost: str, b: Any) -> dict:
    return {
        "source": b.source,
        "vhost": vhost,
        "destination": b.destination,
        "destination_type": b.dest_kind,
        "routing_key": b.routing_key,
        "arguments": to_json(b.arguments),
        "properties_key": properties_key(b.routing_key, b.arguments),
    }


def default_bindings(v: Any) -> list[dict]:
    return [
        {
            "source": "",
            "vhost": v.name,
            "destination": q.name,
            "destination_type": "queue",
            "routing_key": q.name,
            "arguments": {},
            "properties_key": q.name,
        }  # fmt: skip
        for q in v.queues.values()
    ]


def _conn_ref(c: Any) -> dict:
    p = c.peer.peername or ("127.0.0.1", 0)
    return {"name": c.name, "peer_host": p[0], "peer_port": p[1]}


def format_connection(m: Any, c: Any) -> dict:
    p = c.peer.peername or ("127.0.0.1", 0)
    s = c.peer.sockname or ("127.0.0.1", 5672)
    return {
        "auth_mechanism": c.mechanism,
        "channel_max": c.channel_max,
        "channels": len(c.channels),
        "client_properties": to_json(c.client_properties),
        "connected_at": int(m.broker.clock.time() * 1000 - (m.broker.now_ms() - c.connected_ms)),
        "frame_max": c.frame_max,
        "host": s[0],
        "name": c.name,
        "node": m.node,
        "peer_cert_issuer": None,
        "peer_cert_subject": None,
        "peer_cert_validity": None,
        "peer_host": p[0],
        "peer_port": p[1],
        "port": s[1],
        "protocol": "AMQP 0-9-1",
        "recv_cnt": c.recv_cnt,
        **octets(m, (c.recv_oct, c.send_oct), c.samples),
        "send_pend": 0,
        "ssl": False,
        "state": "blocked" if c.blocked else "flow" if c.flow_queues else "running",
        "timeout": c.heartbeat,
        "type": "network",
        "user": c.user.name if c.user else "",
        "user_who_performed_action": c.user.name if c.user else "",
        "vhost": c.vhost.name if c.vhost else "/",
    }


def format_channel(m: Any, ch: Any) -> dict:
    c = ch.conn
    d = {
        "acks_uncommitted": sum(1 for op in ch.tx_ops if op[0] != "publish"),
        "confirm": ch.confirm,
        "connection_details": _conn_ref(c),
        "consumer_count": len(ch.consumers),
        "global_prefetch_count": ch.global_prefetch,
        "messages_unacknowledged": len(ch.unacked),
        "messages_uncommitted": sum(1 for op in ch.tx_ops if op[0] == "publish"),
        "messages_unconfirmed": ch.unconfirmed,
        "name": f"{c.name} ({ch.number})",
        "node": m.node,
        "number": ch.number,
        "pending_raft_commands": 0,
        "prefetch_count": ch.prefetch,
        "state": "running",
        "transactional": ch.tx,
        "user": c.user.name if c.user else "",
        "user_who_performed_action": c.user.name if c.user else "",
        "vhost": c.vhost.name if c.vhost else "/",
    }
    stats = _channel_like(m, ch.stats.values(), ch.samples)
    if stats is not None:
        d["message_stats"] = stats
    return d


def format_consumer(m: Any, c: Any) -> dict:
    ch = c.channel
    conn = ch.conn
    p = conn.peer.peername or ("127.0.0.1", 0)
    q = c.queue
    active = not q.single_active or q.active_consumer() is c
    return {
        "arguments": to_json(c.arguments),
        "ack_required": not c.no_ack,
        "active": active,
        "activity_status": "single_active"
        if q.single_active and active
        else ("waiting" if not active else "up"),  # fmt: skip
        "channel_details": {
            "connection_name": conn.name,
            "name": f"{conn.name} ({ch.number})",
            "node": m.node,
            "number": ch.number,
            "peer_host": p[0],
            "peer_port": p[1],
            "user": conn.user.name if conn.user else "",
        },  # fmt: skip
        "consumer_tag": c.tag,
        "exclusive": c.exclusive,
        "prefetch_count": c.prefetch,
        "queue": {"name": q.name, "vhost": q.vhost},
    }


def format_user(u: Any) -> dict:
    return {"name": u.name, "password_hash": u.password_hash,
            "hashing_algorithm": u.hashing_algorithm, "tags": list(u.tags), "limits": {}}  # fmt: skip


def format_permission(p: Any) -> dict:
    return {"user": p.user, "vhost": p.vhost, "configure": p.configure, "write": p.write,
            "read": p.read}  # fmt: skip


def format_vhost(m: Any, v: Any, totals: dict | None = None) -> dict:
    totals = R.vhost_totals(m.broker) if totals is None else totals
    msg, octs, lens = totals[v.name]
    d: dict[str, Any] = {
        "cluster_state": {m.node: "running"},
        **octets(m, tuple(octs), v.samples, len(R.CHANNEL)),
        "default_queue_type": "undefined",
        "description": v.description,
        **lengths(m, tuple(lens), v.samples, len(R.CHANNEL) + len(R.OCTETS)),
        "metadata": {"description": v.description, "tags": list(v.tags)},
        "name": v.name,
        "tags": list(v.tags),
        "tracing": False,
    }
    stats = _channel_like(m, tuple(msg), v.samples)
    if stats is not None:
        d["message_stats"] = stats
    return d
