"""Definitions export and import (``GET``/``POST /api/definitions``), in RabbitMQ's JSON shape.

An export lists users (with password hashes), vhosts, permissions, durable and transient queues
and exchanges that are not built in or exclusive, and bindings.  An import applies a file of the
same shape — RabbitMQ's own exports included — in RabbitMQ's order: users, vhosts, permissions,
queues, exchanges, bindings; what exists is updated or left as it is.  Missing vhosts and users,
unknown exchange types and hashing algorithms are found before anything is applied; a queue or
exchange redeclared with other properties stops the import there with the AMQP error.  Policies and (vhost-scoped) parameters are not supported: a file
with some is refused before anything is applied, rather than half applied; global parameters
(``cluster_name``, ``internal_cluster_id`` in every RabbitMQ export) are ignored.
"""

from __future__ import annotations

from typing import Any

from . import constants as K
from .auth import HASHING_ALGORITHM, hash_password
from .management_format import format_binding, format_permission
from .table import Table, to_json


class DefinitionsError(ValueError):
    """A definitions file that cannot be imported (RabbitMQ answers 400 bad_request)."""


def export(broker: Any, vhost: str | None = None) -> dict[str, Any]:
    """Every definition, or one vhost's queues, exchanges and bindings (``vhost``)."""
    out: dict[str, Any] = {"rabbit_version": K.VERSION, "rabbitmq_version": K.VERSION,
                           "product_name": K.PRODUCT, "product_version": K.VERSION,
                           "users": [], "vhosts": [], "permissions": [], "topic_permissions": [],
                           "parameters": [], "global_parameters": [], "policies": [],
                           "queues": [], "exchanges": [], "bindings": []}  # fmt: skip
    if vhost is None:
        for u in broker.users.values():
            out["users"].append({"name": u.name, "password_hash": u.password_hash,
                                 "hashing_algorithm": u.hashing_algorithm, "tags": u.tags,
                                 "limits": {}})  # fmt: skip
        for p in broker.permissions.values():
            out["permissions"].append(format_permission(p))
    for v in broker.vhosts.values():
        if vhost is not None and v.name != vhost:
            continue
        if vhost is None:
            out["vhosts"].append({"name": v.name})
        for q in v.queues.values():
            if q.exclusive:
                continue
            out["queues"].append({"name": q.name, "vhost": v.name, "durable": q.durable,
                                  "auto_delete": q.auto_delete,
                                  "arguments": to_json(q.arguments)})  # fmt: skip
        for x in v.exchanges.values():
            if x.builtin:
                continue
            out["exchanges"].append({"name": x.name, "vhost": v.name, "type": x.type,
                                     "durable": x.durable, "auto_delete": x.auto_delete,
                                     "internal": x.internal,
                                     "arguments": to_json(x.arguments)})  # fmt: skip
        for bd in v.bindings_list():
            fb = format_binding(v.name, bd)
            fb.pop("properties_key")
            out["bindings"].append(fb)
    if vhost is not None:  # RabbitMQ's per-vhost export names no vhost
        for key in ("users", "vhosts", "permissions", "topic_permissions", "global_parameters",
                    "rabbitmq_version", "product_name", "product_version"):  # fmt: skip
            del out[key]
        for key in ("queues", "exchanges", "bindings"):
            for item in out[key]:
                del item["vhost"]
    return out


def _list(doc: dict, key: str) -> list[dict]:
    items = doc.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise DefinitionsError(f"{key}: expected a list of objects")
    return items


def _field(item: dict, key: str, kind: str) -> Any:
    try:
        return item[key]
    except KeyError:
        raise DefinitionsError(f"{kind} definition without '{key}': {item}") from None


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, list):
        return [str(t) for t in value]
    return []


def import_(broker: Any, doc: Any, vhost: str | None = None) -> None:
    """Apply a definitions document (all of it, or its objects into ``vhost``)."""
    if not isinstance(doc, dict):
        raise DefinitionsError("definitions must be a JSON object")
    for key in ("policies", "parameters"):
        if _list(doc, key):
            raise DefinitionsError(f"{key} are not supported by polystack")
    users = [] if vhost is not None else _list(doc, "users")
    vhosts = [] if vhost is not None else _list(doc, "vhosts")
    perms = [] if vhost is not None else _list(doc, "permissions")
    queues, exchanges, bindings = (_list(doc, k) for k in ("queues", "exchanges", "bindings"))
    # everything is checked before anything is applied
    for u in users:
        _field(u, "name", "user")
        algo = u.get("hashing_algorithm", HASHING_ALGORITHM)
        if "password_hash" in u and algo != HASHING_ALGORITHM:
            raise DefinitionsError(f"unsupported hashing algorithm: {algo}")
        if "password_hash" not in u and "password" not in u:
            raise DefinitionsError(f"user definition without a password: {u['name']}")
    known_vhosts = set(broker.vhosts) | {_field(v, "name", "vhost") for v in vhosts}
    known_users = set(broker.users) | {u["name"] for u in users}
    for p in perms:
        if _field(p, "vhost", "permission") not in known_vhosts:
            raise DefinitionsError(f"vhost_not_found: {p['vhost']}")
        if _field(p, "user", "permission") not in known_users:
            raise DefinitionsError(f"user_not_found: {p['user']}")
    for kind, items in (("queue", queues), ("exchange", exchanges), ("binding", bindings)):
        for item in items:
            if kind != "binding":
                _field(item, "name", kind)
            v = vhost if vhost is not None else _field(item, "vhost", kind)
            if v not in known_vhosts:
                raise DefinitionsError(f"vhost_not_found: {v}")
    for x in exchanges:
        if _field(x, "type", "exchange") not in K.EXCHANGE_TYPES:
            raise DefinitionsError(f"unknown exchange type '{x['type']}'")
    # users, vhosts, permissions, queues, exchanges, bindings (RabbitMQ's order)
    for u in users:
        pw_hash = u["password_hash"] if "password_hash" in u else hash_password(u["password"])
        broker.put_user(u["name"], pw_hash, _tags(u.get("tags")))
    for v in vhosts:
        meta = v.get("metadata") or {}
        broker.add_vhost(v["name"], v.get("description", meta.get("description", "")),
                         _tags(v.get("tags", meta.get("tags", []))))  # fmt: skip
    for p in perms:
        broker.set_permissions(p["user"], p["vhost"], p.get("configure", ""),
                               p.get("write", ""), p.get("read", ""))  # fmt: skip
    for q in queues:
        host = broker.vhosts[vhost if vhost is not None else q["vhost"]]
        host.declare_queue(q["name"], durable=bool(q.get("durable", True)),
                           auto_delete=bool(q.get("auto_delete", False)),
                           arguments=Table(q.get("arguments") or {}))  # fmt: skip
    for x in exchanges:
        host = broker.vhosts[vhost if vhost is not None else x["vhost"]]
        host.declare_exchange(x["name"], x["type"], durable=bool(x.get("durable", True)),
                              auto_delete=bool(x.get("auto_delete", False)),
                              internal=bool(x.get("internal", False)),
                              arguments=Table(x.get("arguments") or {}))  # fmt: skip
    for b in bindings:
        host = broker.vhosts[vhost if vhost is not None else b["vhost"]]
        host.bind(_field(b, "source", "binding"), b.get("destination_type", "queue"),
                  _field(b, "destination", "binding"), b.get("routing_key", ""),
                  Table(b.get("arguments") or {}))  # fmt: skip
