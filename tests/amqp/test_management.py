"""The management HTTP API: RabbitMQ's JSON shapes (compared with a real management plugin),
provisioning with PUT/DELETE, and users/vhosts/permissions enforced on AMQP."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
import uuid

import pika
import pytest

# Erlang/VM internals and cluster details that polystack has no counterpart for
ERLANG_ONLY = {
    "backing_queue_status", "garbage_collection", "reductions", "reductions_details",
    "idle_since", "slave_nodes", "synchronised_slave_nodes", "messages_paged_out_details",
    "ssl_protocol", "ssl_key_exchange", "ssl_cipher", "ssl_hash", "send_cnt", "channel_details",
    "owner_pid_details", "release_series_support_status", "sample_retention_policies",
    "statistics_db_node", "listeners", "contexts", "erlang_full_version",
}  # fmt: skip


def call(port: int, method: str, path: str, body=None, auth=("guest", "guest")):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/{path}", method=method, data=data)
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


@pytest.fixture
def mport(amqp_server):
    return amqp_server.ports["amqp-management"]


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_auth_and_whoami(mport):
    assert call(mport, "GET", "whoami") == (200, {"name": "guest", "tags": ["administrator"]})
    status, body = call(mport, "GET", "overview", auth=("guest", "bad"))
    assert (status, body) == (401, {"error": "not_authorized", "reason": "Login failed"})
    assert call(mport, "GET", "overview", auth=None)[0] == 401
    assert call(mport, "GET", "healthchecks/node") == (200, {"status": "ok"})
    assert call(mport, "GET", "queues/%2F/no-such-queue") == (
        404,
        {"error": "Object Not Found", "reason": "Not Found"},
    )


def test_provisioning_queues_exchanges_bindings_and_publish_get(mport, amqp_port):
    q, x = uniq("mq"), uniq("mx")
    assert (
        call(mport, "PUT", f"queues/%2F/{q}", {"durable": True, "arguments": {"x-max-length": 10}})[
            0
        ]
        == 201
    )
    assert (
        call(mport, "PUT", f"queues/%2F/{q}", {"durable": True, "arguments": {"x-max-length": 10}})[
            0
        ]
        == 204
    )
    status, body = call(mport, "PUT", f"queues/%2F/{q}", {"durable": False})
    assert status == 400 and body["reason"] == (
        f"inequivalent arg 'durable' for queue '{q}' in vhost '/': received 'false' but current is 'true'"
    )
    assert call(mport, "PUT", f"exchanges/%2F/{x}", {"type": "topic", "durable": True})[0] == 201
    assert call(mport, "PUT", f"exchanges/%2F/{x}x", {"type": "nope"}) == (
        400, {"error": "bad_request", "reason": "unknown exchange type 'nope'"})  # fmt: skip
    assert call(mport, "POST", f"bindings/%2F/e/{x}/q/{q}", {"routing_key": "a.*"})[0] == 201
    status, bindings = call(mport, "GET", f"bindings/%2F/e/{x}/q/{q}")
    assert bindings == [{"source": x, "vhost": "/", "destination": q, "destination_type": "queue",
                         "routing_key": "a.*", "arguments": {}, "properties_key": "a.*"}]  # fmt: skip
    msg = {"properties": {"headers": {"k": 1}}, "routing_key": "a.b", "payload": "hello",
           "payload_encoding": "string"}  # fmt: skip
    assert call(mport, "POST", f"exchanges/%2F/{x}/publish", msg) == (200, {"routed": True})
    status, got = call(mport, "POST", f"queues/%2F/{q}/get",
                       {"count": 5, "ackmode": "ack_requeue_false", "encoding": "auto"})  # fmt: skip
    assert got == [{"payload_bytes": 5, "redelivered": False, "exchange": x, "routing_key": "a.b",
                    "message_count": 0, "properties": {"headers": {"k": 1}}, "payload": "hello",
                    "payload_encoding": "string"}]  # fmt: skip
    # the AMQP side sees the same objects
    c = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", amqp_port))
    ch = c.channel()
    ch.basic_publish(x, "a.z", b"via amqp")
    assert ch.queue_declare(q, passive=True, durable=True).method.message_count == 1
    c.close()
    assert call(mport, "DELETE", f"bindings/%2F/e/{x}/q/{q}/a.*")[0] == 204
    assert call(mport, "DELETE", f"queues/%2F/{q}/contents")[0] == 204
    assert call(mport, "GET", f"queues/%2F/{q}")[1]["messages"] == 0
    assert call(mport, "DELETE", f"queues/%2F/{q}")[0] == 204
    assert call(mport, "DELETE", f"exchanges/%2F/{x}")[0] == 204
    assert call(mport, "DELETE", f"exchanges/%2F/{x}")[0] == 404


def test_users_vhosts_permissions_enforced_on_amqp(mport, amqp_port):
    vh, user = uniq("vh"), uniq("user")
    assert call(mport, "PUT", f"vhosts/{vh}", {})[0] == 201
    assert call(mport, "PUT", f"users/{user}", {"password": "pw", "tags": "monitoring"})[0] == 201
    params = pika.ConnectionParameters(
        "127.0.0.1", amqp_port, vh, pika.PlainCredentials(user, "pw")
    )
    with pytest.raises(pika.exceptions.ProbableAccessDeniedError) as e:
        pika.BlockingConnection(params)
    assert f"(530) \"NOT_ALLOWED - access to vhost '{vh}' refused for user '{user}'\"" in str(
        e.value
    )
    perms = {"configure": "^own-.*", "write": ".*", "read": ".*"}
    assert call(mport, "PUT", f"permissions/{vh}/{user}", perms)[0] == 201
    c = pika.BlockingConnection(params)
    ch = c.channel()
    ch.queue_declare("own-q")
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as e:
        ch.queue_declare("other-q")
    assert e.value.reply_code == 403
    assert e.value.reply_text == (
        f"ACCESS_REFUSED - access to queue 'other-q' in vhost '{vh}' refused for user '{user}'"
    )
    c.close()
    status, body = call(mport, "GET", f"users/{user}")
    assert (
        body["tags"] == ["monitoring"]
        and body["hashing_algorithm"] == "rabbit_password_hashing_sha256"
    )
    assert call(mport, "GET", f"permissions/{vh}/{user}") == (
        200,
        {"user": user, "vhost": vh, **perms},
    )
    assert call(mport, "GET", "users", auth=(user, "pw")) == (
        401, {"error": "not_authorized", "reason": "Not administrator user"})  # fmt: skip
    assert call(mport, "DELETE", f"users/{user}")[0] == 204
    assert call(mport, "DELETE", f"vhosts/{vh}")[0] == 204
    assert call(mport, "GET", f"vhosts/{vh}")[0] == 404


def test_connections_channels_consumers(mport, amqp_port):
    q = uniq("cq")
    c = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", amqp_port))
    ch = c.channel()
    ch.queue_declare(q, exclusive=True)
    ch.basic_qos(prefetch_count=7)
    ch.basic_consume(q, lambda *a: None, consumer_tag="mgmt-tag")
    conns = call(mport, "GET", "connections")[1]
    mine = [
        x for x in conns if x["client_properties"].get("product") == "Pika Python Client Library"
    ]
    assert mine and mine[-1]["user"] == "guest" and mine[-1]["protocol"] == "AMQP 0-9-1"
    consumers = [x for x in call(mport, "GET", "consumers")[1] if x["consumer_tag"] == "mgmt-tag"]
    assert consumers[0]["queue"] == {"name": q, "vhost": "/"}
    assert consumers[0]["prefetch_count"] == 7 and consumers[0]["ack_required"]
    chans = call(mport, "GET", "channels")[1]
    assert any(x["consumer_count"] == 1 and x["prefetch_count"] == 7 for x in chans)
    name = mine[-1]["name"]
    assert call(mport, "DELETE", "connections/" + urllib.request.quote(name, safe=""))[0] == 204
    with pytest.raises(pika.exceptions.ConnectionClosedByBroker) as e:
        c.process_data_events(time_limit=1)
        c.channel()
    assert e.value.reply_code == 320


def _shape_diff(ours: dict, theirs: dict) -> set[str]:
    return set(theirs) - set(ours) - ERLANG_ONLY


@pytest.mark.differential
def test_json_shapes_match_real_rabbitmq(mport, real_rabbit):
    rport = real_rabbit.management_port
    q = uniq("shape")
    for port in (mport, rport):
        assert call(port, "PUT", f"queues/%2F/{q}", {"durable": False})[0] == 201
        assert call(port, "PUT", f"exchanges/%2F/{q}x", {"type": "fanout"})[0] == 201
        assert call(port, "POST", f"bindings/%2F/e/{q}x/q/{q}", {"routing_key": ""})[0] == 201
    pairs = {}
    for path in ("overview", f"queues/%2F/{q}", f"exchanges/%2F/{q}x", "vhosts/%2F", "users/guest",
                 "whoami", "healthchecks/node", "permissions/%2F/guest",
                 f"queues/%2F/{q}/bindings", f"exchanges/%2F/{q}x/bindings/source"):  # fmt: skip
        ours, theirs = call(mport, "GET", path), call(rport, "GET", path)
        assert ours[0] == theirs[0] == 200, path
        pairs[path] = (ours[1], theirs[1])
    for path, (ours, theirs) in pairs.items():
        if isinstance(theirs, dict):
            assert _shape_diff(ours, theirs) == set(), path
        else:
            assert [sorted(x) for x in ours] == [sorted(x) for x in theirs], path
    assert pairs[f"queues/%2F/{q}/bindings"][0] == pairs[f"queues/%2F/{q}/bindings"][1]
    # error shapes
    for path in ("queues/%2F/missing", "exchanges/%2F/missing", "users/missing"):
        assert call(mport, "GET", path) == call(rport, "GET", path), path
    assert call(mport, "GET", "overview", auth=("guest", "x")) == call(
        rport, "GET", "overview", auth=("guest", "x"))  # fmt: skip
    for port in (mport, rport):
        call(port, "DELETE", f"queues/%2F/{q}")
        call(port, "DELETE", f"exchanges/%2F/{q}x")
    time.sleep(0)


def test_metrics_on_admin_port(amqp_server, amqp_port):
    q = uniq("metricq")
    c = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", amqp_port))
    ch = c.channel()
    ch.queue_declare(q)
    for _ in range(3):
        ch.basic_publish("", q, b"x")
    ch.queue_declare(q, passive=True)
    url = f"http://127.0.0.1:{amqp_server.ports['admin']}/metrics"
    text = urllib.request.urlopen(url, timeout=10).read().decode()
    c.close()
    assert f'amqp_queue_messages_ready{{queue="{q}",vhost="/"}} 3.0' in text
    for family in ("amqp_connections", "amqp_channels", "amqp_consumers",
                   "amqp_global_messages_received_total", "amqp_queue_messages_unacked"):  # fmt: skip
        assert family in text


def _wait_stats(port: int, path: str, keys: tuple[str, ...], seconds: float = 20) -> dict:
    """The object once its message_stats hold ``keys`` (RabbitMQ samples every 5 s)."""
    deadline = time.monotonic() + seconds
    while True:
        status, body = call(port, "GET", path)
        assert status == 200, (path, body)
        if all(k in body.get("message_stats", {}) for k in keys) or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


@pytest.mark.differential
def test_message_stats_shape_matches_real_rabbitmq(amqp_port, mport, real_rabbit):
    q = uniq("rates")
    for port in (amqp_port, real_rabbit.port):
        c = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
        ch = c.channel()
        ch.queue_declare(q)
        ch.confirm_delivery()
        for _ in range(3):
            ch.basic_publish("", q, b"m")
        method, _, _ = ch.basic_get(q)
        ch.basic_ack(method.delivery_tag)
        ch.basic_get(q, auto_ack=True)
        c.close()
    keys = ("publish", "ack", "get")
    shapes = {}
    for path in (f"queues/%2F/{q}", "vhosts/%2F", "overview"):
        ours = _wait_stats(mport, path, keys)["message_stats"]
        theirs = _wait_stats(real_rabbit.management_port, path, keys)["message_stats"]
        missing = set(theirs) - set(ours) - ERLANG_ONLY
        assert missing == set(), (path, missing)
        for k, v in theirs.items():
            if k.endswith("_details"):
                assert set(v) == set(ours[k]), (path, k)
        shapes[path] = ours
    qs = shapes[f"queues/%2F/{q}"]
    assert (qs["publish"], qs["get"], qs["get_no_ack"], qs["ack"]) == (3, 1, 1, 1)
    assert isinstance(qs["publish_details"]["rate"], float)
    for port in (amqp_port, real_rabbit.port):
        c = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
        c.channel().queue_delete(q)
        c.close()


def _mine(doc: dict, tag: str) -> dict:
    """The parts of a definitions document that name ``tag`` (a test's own objects)."""
    out = {}
    for key in ("users", "vhosts", "permissions", "queues", "exchanges", "bindings"):
        items = [
            {k: v for k, v in i.items() if k not in ("limits", "metadata", "description",
                                                     "tags", "default_queue_type")}
            for i in doc.get(key, [])
            if tag in json.dumps(i)
        ]  # fmt: skip
        out[key] = sorted(items, key=lambda i: json.dumps(i, sort_keys=True))
    return out


@pytest.mark.differential
def test_definitions_exported_by_rabbitmq_import_into_polystack(mport, amqp_port, real_rabbit):
    rport = real_rabbit.management_port
    tag = uniq("defs")
    v, u = f"{tag}-v", f"{tag}-u"
    assert call(rport, "PUT", f"vhosts/{v}", {})[0] == 201
    assert call(rport, "PUT", f"users/{u}", {"password": "s3cret", "tags": "monitoring"})[0] == 201
    perm = {"configure": ".*", "write": "^w", "read": ".*"}
    assert call(rport, "PUT", f"permissions/{v}/{u}", perm)[0] == 201
    assert call(rport, "PUT", f"queues/{v}/{tag}-q", {"durable": True,
                "arguments": {"x-max-length": 7}})[0] == 201  # fmt: skip
    assert call(rport, "PUT", f"exchanges/{v}/{tag}-x", {"type": "topic"})[0] == 201
    assert call(rport, "POST", f"bindings/{v}/e/{tag}-x/q/{tag}-q",
                {"routing_key": "a.#", "arguments": {"k": "v"}})[0] == 201  # fmt: skip
    status, theirs = call(rport, "GET", "definitions")
    assert status == 200
    # the same document imported into both: the same answer
    assert call(mport, "POST", "definitions", theirs) == call(rport, "POST", "definitions", theirs)
    ours = call(mport, "GET", "definitions")[1]
    assert _mine(ours, tag) == _mine(theirs, tag)
    # the imported password hash works on AMQP
    c = pika.BlockingConnection(pika.ConnectionParameters(
        "127.0.0.1", amqp_port, v, pika.PlainCredentials(u, "s3cret")))  # fmt: skip
    assert c.channel().queue_declare(f"{tag}-q", passive=True).method.message_count == 0
    c.close()
    # one vhost's definitions
    ours_v = call(mport, "GET", f"definitions/{v}")
    theirs_v = call(rport, "GET", f"definitions/{v}")
    assert ours_v[0] == theirs_v[0] == 200
    assert _mine(ours_v[1], tag) == _mine(theirs_v[1], tag)
    assert sorted(ours_v[1]) == sorted(theirs_v[1])
    # a queue in a vhost that does not exist: refused by both
    bad = {"queues": [{"name": "q", "vhost": f"{tag}-nope", "durable": True,
                       "auto_delete": False, "arguments": {}}]}  # fmt: skip
    assert call(mport, "POST", "definitions", bad)[0] == call(rport, "POST", "definitions", bad)[0]
    for port in (mport, rport):
        call(port, "DELETE", f"vhosts/{v}")
        call(port, "DELETE", f"users/{u}")


def test_definitions_with_policies_are_refused_before_anything_is_applied(mport):
    tag = uniq("pol")
    doc = {"vhosts": [{"name": tag}],
           "policies": [{"vhost": "/", "name": "p", "pattern": ".*", "definition": {}}]}  # fmt: skip
    status, body = call(mport, "POST", "definitions", doc)
    assert status == 400 and body["reason"] == "policies are not supported by polystack"
    assert call(mport, "GET", f"vhosts/{tag}")[0] == 404
