"""The RabbitMQ management HTTP API (the subset rabbitmqadmin, provisioning scripts and
dashboards use), sans-I/O: ``handle(Request) -> Response`` over a declarative route table
(management_http.py).  This module holds the routes for the overview, health, queues,
exchanges, bindings, connections, channels and consumers; management_access.py those for
virtual hosts, users, permissions and definitions.

JSON shapes follow RabbitMQ 3.10's management plugin; errors are
``{"error": "...", "reason": "..."}`` with RabbitMQ's statuses (401 with ``WWW-Authenticate`` for
a failed login or a user without a management tag, 404 ``Object Not Found``, 400 ``bad_request``
with the AMQP error text, 204 for a successful PUT/DELETE of an existing object, 201 for a new
one).
"""

from __future__ import annotations

import base64
from typing import Any

from . import constants as K
from . import management_access  # noqa: F401 - registers the vhost/user/permission routes
from . import rates as R
from .management_format import (
    default_bindings,
    format_binding,
    format_channel,
    format_connection,
    format_consumer,
    format_exchange,
    format_queue,
    lengths,
    message_stats,
    properties_key,
)
from .management_http import (
    ROUTES,
    HttpError,
    Management,
    Request,
    Response,
    json_response,
    not_found,
    route,
)
from .table import Table, to_json
from .wire import Properties, encode_properties

__all__ = ["ROUTES", "Management", "Request"]

EXCHANGE_DESCRIPTIONS = {
    "direct": "AMQP direct exchange, as per the AMQP specification",
    "fanout": "AMQP fanout exchange, as per the AMQP specification",
    "headers": "AMQP headers exchange, as per the AMQP specification",
    "topic": "AMQP topic exchange, as per the AMQP specification",
}


# -- routes: overview and health ---------------------------------------------------------------------


@route("GET", "/api/overview")
def overview(m: Management, req: Request) -> Response:
    b = m.broker
    vhosts = m.vhosts_for(req)
    totals = R.vhost_totals(b)
    values = R.overview_values(b, totals)
    nc, nl = len(R.CHANNEL), len(R.LENGTHS)
    stats: dict[str, Any] = {}
    if any(values[:nc]):
        now, interval = b.stats_now(), b.settings.collect_statistics_interval
        stats = message_stats(m, R.CHANNEL, values[:nc], b.samples)
        store = b.store
        disk = (store.disk_reads, store.disk_writes) if store is not None else (0, 0)
        stats.update(R.details(("disk_reads", "disk_writes"), disk, None, now, interval))
    now, interval = b.stats_now(), b.settings.collect_statistics_interval
    return json_response({
        "management_version": K.VERSION,
        "rates_mode": "basic",
        "exchange_types": [{"name": t, "description": EXCHANGE_DESCRIPTIONS[t], "enabled": True}
                           for t in ("direct", "fanout", "headers", "topic")],  # fmt: skip
        "product_version": K.VERSION,
        "product_name": K.PRODUCT,
        "rabbitmq_version": K.VERSION,
        "cluster_name": b.settings.cluster_name,
        "erlang_version": "25.2.3",
        "erlang_full_version": "polystack (Python)",
        "disable_stats": False,
        "enable_queue_totals": False,
        "message_stats": stats,
        "churn_rates": R.details(R.CHURN, values[nc + nl :], b.samples, now, interval,
                                 m.ranges.get("msg_rates"), nc + nl),  # fmt: skip
        "queue_totals": lengths(m, values[nc : nc + nl], b.samples, nc),
        "object_totals": {
            "channels": sum(len(cn.channels) for cn in b.connections),
            "connections": len(b.connections),
            "consumers": sum(len(q.consumers) for v in vhosts for q in v.queues.values()),
            "exchanges": sum(len(v.exchanges) for v in vhosts),
            "queues": sum(len(v.queues) for v in vhosts),
        },
        "statistics_db_event_queue": 0,
        "node": m.node,
        "listeners": m.listeners,
        "contexts": [],
    })  # fmt: skip


@route("GET", "/api/whoami")
def whoami(m: Management, req: Request) -> Response:
    u = req.user  # type: ignore[attr-defined]
    return json_response({"name": u.name, "tags": list(u.tags)})


@route("GET", "/api/healthchecks/node")
def healthcheck(m: Management, req: Request) -> Response:
    return json_response({"status": "ok"})


@route("GET", "/api/aliveness-test/{vhost}")
def aliveness(m: Management, req: Request) -> Response:
    v = m.vhost(req.params["vhost"])
    q, _ = v.declare_queue("aliveness-test", durable=False)
    msg = m.broker.new_message("", q.name, encode_properties({}), b"test_message")
    m.broker.deliver_to_queues(v, msg, [q])
    e = q.get()
    if e is not None:
        q.settled(e)
    return json_response({"status": "ok"})


@route("GET", "/api/nodes")
def nodes(m: Management, req: Request) -> Response:
    b = m.broker
    node = {"name": m.node, "type": "disc", "running": True, "mem_alarm": b.alarm,
            "disk_free_alarm": False, "mem_used": b.memory_used,
            "mem_limit": b.settings.memory_high_watermark,
            "uptime": b.now_ms() - b.started_ms, "processors": 1, "partitions": []}  # fmt: skip
    return json_response([node])


# -- queues -----------------------------------------------------------------------------------------


@route("GET", "/api/queues")
@route("GET", "/api/queues/{vhost}")
def list_queues(m: Management, req: Request) -> Response:
    return json_response([format_queue(m, q) for v in m.vhosts_for(req) for q in v.queues.values()])


def _queue(m: Management, req: Request) -> Any:
    v = m.vhosts_for(req)[0]
    q = v.queues.get(req.params["name"])
    if q is None:
        raise not_found()
    return v, q


@route("GET", "/api/queues/{vhost}/{name}")
def get_queue(m: Management, req: Request) -> Response:
    _, q = _queue(m, req)
    return json_response(format_queue(m, q, details=True))


@route("PUT", "/api/queues/{vhost}/{name}")
def put_queue(m: Management, req: Request) -> Response:
    v = m.vhosts_for(req)[0]
    body = req.json()
    args = Table(body.get("arguments") or {})
    if "x-queue-type" not in args and body.get("type"):
        args["x-queue-type"] = body["type"]
    name = req.params["name"]
    existed = name in v.queues
    v.declare_queue(name, durable=bool(body.get("durable", True)),
                    auto_delete=bool(body.get("auto_delete", False)), arguments=args)  # fmt: skip
    return Response(204 if existed else 201)


@route("DELETE", "/api/queues/{vhost}/{name}")
def delete_queue(m: Management, req: Request) -> Response:
    v, q = _queue(m, req)
    v.delete_queue(q, if_unused=req.query.get("if-unused") == "true",
                   if_empty=req.query.get("if-empty") == "true")  # fmt: skip
    return Response(204)


@route("DELETE", "/api/queues/{vhost}/{name}/contents")
def purge_queue(m: Management, req: Request) -> Response:
    v, q = _queue(m, req)
    v.purge_queue(q)
    return Response(204)


@route("GET", "/api/queues/{vhost}/{name}/bindings")
def queue_bindings(m: Management, req: Request) -> Response:
    v, q = _queue(m, req)
    out = [{"source": "", "vhost": v.name, "destination": q.name, "destination_type": "queue",
            "routing_key": q.name, "arguments": {}, "properties_key": q.name}]  # fmt: skip
    out += [format_binding(v.name, b) for b in q.bindings.values()]
    return json_response(out)


@route("POST", "/api/queues/{vhost}/{name}/get")
def queue_get(m: Management, req: Request) -> Response:
    v, q = _queue(m, req)
    body = req.json()
    count = int(body.get("count", 1))
    mode = body.get("ackmode", "ack_requeue_true")
    encoding = body.get("encoding", "auto")
    truncate = body.get("truncate")
    if mode not in ("ack_requeue_true", "ack_requeue_false", "reject_requeue_true",
                    "reject_requeue_false"):  # fmt: skip
        raise HttpError(400, "bad_request", f"Invalid ackmode: {mode}")
    out = []
    taken = []
    for _ in range(count):
        e = q.get()
        if e is None:
            break
        q.took_unacked(e)
        taken.append(e)
        msg = e.msg
        payload = m.broker.body_of(msg)
        if truncate is not None:
            payload = payload[: int(truncate)]
        try:
            text, enc = (payload.decode("utf-8"), "string") if encoding == "auto" else (None, "")
        except UnicodeDecodeError:
            text = None
        if text is None:
            text, enc = base64.b64encode(payload).decode(), "base64"
        out.append({
            "payload_bytes": msg.size, "redelivered": e.redelivered, "exchange": msg.exchange,
            "routing_key": msg.routing_key, "message_count": len(q.ready),
            "properties": to_json(msg.properties.as_dict()), "payload": text,
            "payload_encoding": enc,
        })  # fmt: skip
    if mode.endswith("requeue_true"):
        q.requeue(taken)
    elif mode.startswith("reject"):
        q.reject_discard(taken)
    else:
        for e in taken:
            q.acked(e)
    return json_response(out)


# -- exchanges --------------------------------------------------------------------------------------


@route("GET", "/api/exchanges")
@route("GET", "/api/exchanges/{vhost}")
def list_exchanges(m: Management, req: Request) -> Response:
    out = []
    for v in m.vhosts_for(req):
        for x in v.exchanges.values():
            out.append(format_exchange(m, x))
    return json_response(out)


def _xname(name: str) -> str:
    return "" if name == "amq.default" else name


@route("GET", "/api/exchanges/{vhost}/{name}")
def get_exchange(m: Management, req: Request) -> Response:
    v = m.vhosts_for(req)[0]
    x = v.exchanges.get(_xname(req.params["name"]))
    if x is None:
        raise not_found()
    return json_response(format_exchange(m, x, details=True))


@route("PUT", "/api/exchanges/{vhost}/{name}")
def put_exchange(m: Management, req: Request) -> Response:
    v = m.vhosts_for(req)[0]
    body = req.json()
    xtype = body.get("type")
    if xtype is None:
        raise HttpError(400, "bad_request", "key_missing: type")
    if xtype not in K.EXCHANGE_TYPES:
        raise HttpError(400, "bad_request", f"unknown exchange type '{xtype}'")
    name = req.params["name"]
    existed = name in v.exchanges
    v.declare_exchange(name, xtype, durable=bool(body.get("durable", True)),
                       auto_delete=bool(body.get("auto_delete", False)),
                       internal=bool(body.get("internal", False)),
                       arguments=Table(body.get("arguments") or {}))  # fmt: skip
    return Response(204 if existed else 201)


@route("DELETE", "/api/exchanges/{vhost}/{name}")
def delete_exchange(m: Management, req: Request) -> Response:
    v = m.vhosts_for(req)[0]
    name = req.params["name"]
    if name not in v.exchanges:
        raise not_found()
    v.delete_exchange(name, if_unused=req.query.get("if-unused") == "true")
    return Response(204)


@route("POST", "/api/exchanges/{vhost}/{name}/publish")
def publish(m: Management, req: Request) -> Response:
    v = m.vhosts_for(req)[0]
    x = v.exchanges.get(_xname(req.params["name"]))
    if x is None:
        raise not_found()
    body = req.json()
    for key in ("routing_key", "payload", "payload_encoding"):
        if key not in body:
            raise HttpError(400, "bad_request", f"key_missing: {key}")
    enc = body["payload_encoding"]
    if enc == "base64":
        payload = base64.b64decode(body["payload"])
    elif enc == "string":
        payload = str(body["payload"]).encode("utf-8")
    else:
        raise HttpError(400, "bad_request", f"invalid_encoding: {enc}")
    props = body.get("properties") or {}
    known = {k: v for k, v in props.items() if k in Properties.__slots__}
    raw = encode_properties(known)
    b = m.broker
    msg = b.new_message(x.name, body["routing_key"], raw, payload)
    queues = v.route(x, body["routing_key"], msg)
    if queues:
        b.deliver_to_queues(v, msg, queues)
    else:
        b.memory_used -= msg.size
    b.counters.published += 1
    return json_response({"routed": bool(queues)})


@route("GET", "/api/exchanges/{vhost}/{name}/bindings/source")
def exchange_bindings_source(m: Management, req: Request) -> Response:
    v = m.vhosts_for(req)[0]
    name = _xname(req.params["name"])
    x = v.exchanges.get(name)
    if x is None:
        raise not_found()
    if name == "":
        return json_response(default_bindings(v))
    return json_response([format_binding(v.name, b) for b in x.bindings.values()])


@route("GET", "/api/exchanges/{vhost}/{name}/bindings/destination")
def exchange_bindings_destination(m: Management, req: Request) -> Response:
    v = m.vhosts_for(req)[0]
    name = req.params["name"]
    if name not in v.exchanges:
        raise not_found()
    return json_response([format_binding(v.name, b) for b in v.bindings_list()
                  if b.dest_kind == "exchange" and b.destination == name])  # fmt: skip


# -- bindings -----------------------------------------------------------------------------------------


@route("GET", "/api/bindings")
@route("GET", "/api/bindings/{vhost}")
def list_bindings(m: Management, req: Request) -> Response:
    out = []
    for v in m.vhosts_for(req):
        out += default_bindings(v)
        out += [format_binding(v.name, b) for b in v.bindings_list()]
    return json_response(out)


def _ends(m: Management, req: Request, kind: str) -> tuple[Any, str, str]:
    v = m.vhosts_for(req)[0]
    src = req.params["source"]
    dst = req.params["destination"]
    if src not in v.exchanges:
        raise not_found()
    if (kind == "queue" and dst not in v.queues) or (kind == "exchange" and dst not in v.exchanges):
        raise not_found()
    return v, src, dst


def _binding_list(m: Management, req: Request, kind: str) -> Response:
    v, src, dst = _ends(m, req, kind)
    return json_response([format_binding(v.name, b) for b in v.exchanges[src].bindings.values()
                  if b.dest_kind == kind and b.destination == dst])  # fmt: skip


def _binding_create(m: Management, req: Request, kind: str) -> Response:
    v, src, dst = _ends(m, req, kind)
    body = req.json()
    rk = body.get("routing_key", "")
    args = Table(body.get("arguments") or {})
    v.bind(src, kind, dst, rk, args)
    return Response(201, headers={"location": f"{dst}/{properties_key(rk, args)}"})


def _binding_find(m: Management, req: Request, kind: str) -> tuple[Any, Any]:
    v, src, dst = _ends(m, req, kind)
    props = req.params["props"]
    for b in v.exchanges[src].bindings.values():
        if (b.dest_kind == kind and b.destination == dst
                and properties_key(b.routing_key, b.arguments) == props):  # fmt: skip
            return v, b
    raise not_found()


@route("GET", "/api/bindings/{vhost}/e/{source}/q/{destination}")
def bindings_eq(m: Management, req: Request) -> Response:
    return _binding_list(m, req, "queue")


@route("POST", "/api/bindings/{vhost}/e/{source}/q/{destination}")
def bind_eq(m: Management, req: Request) -> Response:
    return _binding_create(m, req, "queue")


@route("GET", "/api/bindings/{vhost}/e/{source}/q/{destination}/{props}")
def binding_eq(m: Management, req: Request) -> Response:
    v, b = _binding_find(m, req, "queue")
    return json_response(format_binding(v.name, b))


@route("DELETE", "/api/bindings/{vhost}/e/{source}/q/{destination}/{props}")
def unbind_eq(m: Management, req: Request) -> Response:
    v, b = _binding_find(m, req, "queue")
    v.unbind(b.source, "queue", b.destination, b.routing_key, b.arguments)
    return Response(204)


@route("GET", "/api/bindings/{vhost}/e/{source}/e/{destination}")
def bindings_ee(m: Management, req: Request) -> Response:
    return _binding_list(m, req, "exchange")


@route("POST", "/api/bindings/{vhost}/e/{source}/e/{destination}")
def bind_ee(m: Management, req: Request) -> Response:
    return _binding_create(m, req, "exchange")


@route("GET", "/api/bindings/{vhost}/e/{source}/e/{destination}/{props}")
def binding_ee(m: Management, req: Request) -> Response:
    v, b = _binding_find(m, req, "exchange")
    return json_response(format_binding(v.name, b))


@route("DELETE", "/api/bindings/{vhost}/e/{source}/e/{destination}/{props}")
def unbind_ee(m: Management, req: Request) -> Response:
    v, b = _binding_find(m, req, "exchange")
    v.unbind(b.source, "exchange", b.destination, b.routing_key, b.arguments)
    return Response(204)


# -- connections, channels, consumers -------------------------------------------------------------------


def _conns(m: Management, req: Request) -> list[Any]:
    u = req.user  # type: ignore[attr-defined]
    allc = sorted(m.broker.connections, key=lambda c: c.connected_ms)
    allc = [c for c in allc if c.user is not None]
    if {"administrator", "monitoring"} & set(u.tags):
        return allc
    return [c for c in allc if c.user.name == u.name]


@route("GET", "/api/connections")
def list_connections(m: Management, req: Request) -> Response:
    return json_response([format_connection(m, c) for c in _conns(m, req)])


@route("GET", "/api/connections/{name}")
def get_connection(m: Management, req: Request) -> Response:
    for c in _conns(m, req):
        if c.name == req.params["name"]:
            return json_response(format_connection(m, c))
    raise not_found()


@route("DELETE", "/api/connections/{name}")
def close_connection(m: Management, req: Request) -> Response:
    for c in _conns(m, req):
        if c.name == req.params["name"]:
            reason = req.headers.get("x-reason", "Closed via management plugin")
            c.close_by_server(320, f"CONNECTION_FORCED - {reason}")
            return Response(204)
    raise not_found()


@route("GET", "/api/connections/{name}/channels")
def connection_channels(m: Management, req: Request) -> Response:
    for c in _conns(m, req):
        if c.name == req.params["name"]:
            return json_response([format_channel(m, ch) for ch in c.channels.values()])
    raise not_found()


@route("GET", "/api/channels")
def list_channels(m: Management, req: Request) -> Response:
    return json_response(
        [format_channel(m, ch) for c in _conns(m, req) for ch in c.channels.values()]
    )


@route("GET", "/api/consumers")
@route("GET", "/api/consumers/{vhost}")
def list_consumers(m: Management, req: Request) -> Response:
    vhosts = m.vhosts_for(req)
    return json_response(
        [format_consumer(m, c) for v in vhosts for q in v.queues.values() for c in q.consumers]
    )
