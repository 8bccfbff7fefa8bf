"""Differential tests: the same frames to polystack and to a real RabbitMQ 3.10 give the same replies.

Each scenario opens a connection and channel 1 on both servers, sends its steps, and compares
every frame that comes back (method names, fields, reply codes and texts, content headers and
bodies).  Only what must differ is normalised: server-generated names and tags, node names.
"""

from __future__ import annotations

import copy
import re
import time
import uuid

import pytest
from pamqp.commands import Basic, Channel, Confirm, Connection, Exchange, Queue, Tx

from .rawclient import RawClient, describe

pytestmark = pytest.mark.differential


def run(port: int, steps: list, prefix: str, quiet: float = 0.0) -> list[str]:
    c = RawClient(port).open()
    c.channel(1)
    out: list[str] = []
    try:
        for st in copy.deepcopy(steps):
            if isinstance(st, tuple) and st and st[0] == "pub":
                c.publish(1, *[_sub(a, prefix) for a in st[1:]])
            elif isinstance(st, tuple) and st and st[0] == "raw":
                c.send_raw(st[1])
            elif isinstance(st, tuple) and st and st[0] == "until":
                # wait for a reply before sending more, as a client would
                while True:
                    ch, f = c.recv(5)
                    out.append(_norm(f"{ch} {describe(f)}", prefix))
                    if isinstance(f, (st[1], Channel.Close, Connection.Close)):
                        break
            elif isinstance(st, tuple) and st and st[0] == "sleep":
                time.sleep(st[1])  # RabbitMQ dead-letters asynchronously
            elif isinstance(st, tuple) and st and st[0] == "ch":
                c.send(st[1], _sub(st[2], prefix))
            else:
                c.send(1, _sub(st, prefix))
        c.send(1, Basic.Qos(0, 0, False))
        deadline = time.monotonic() + 5
        closing = False
        while time.monotonic() < deadline:
            try:
                ch, f = c.recv(0.15 if closing else 5)
            except TimeoutError:
                break
            if isinstance(f, Basic.QosOk) and ch == 1 and not quiet:
                break
            out.append(_norm(f"{ch} {describe(f)}", prefix))
            if isinstance(f, (Channel.Close, Connection.Close)):
                closing = True
        if quiet:
            out += [_norm(f"{ch} {describe(f)}", prefix) for ch, f in c.drain(quiet)]
            out = [x for x in out if "Basic.QosOk" not in x]
    finally:
        c.close()
    return out


def _sub(value, prefix: str):
    """Scenario names use ``@``: each run gets fresh names (same on both servers)."""
    if isinstance(value, str):
        return value.replace("@", prefix)
    if isinstance(value, (bytes, bool, int)) or value is None:
        return value
    if isinstance(value, dict):
        return {k: _sub(v, prefix) for k, v in value.items()}
    for name in getattr(value, "__slots__", ()):
        v = getattr(value, name, None)
        if isinstance(v, (str, dict)):
            setattr(value, name, _sub(v, prefix))
    return value


def _norm(text: str, prefix: str) -> str:
    text = text.replace(prefix, "@")
    text = re.sub(r"amq\.gen-[A-Za-z0-9_-]{22}", "amq.gen-*", text)
    text = re.sub(r"amq\.ctag-[A-Za-z0-9_-]{22}", "amq.ctag-*", text)
    text = re.sub(r"node '[^']*'", "node 'N'", text)
    text = re.sub(r"datetime\.datetime\([^)]*\)", "datetime(T)", text)
    return text


# confirms of queued and unroutable messages come back in either order from RabbitMQ
UNORDERED = {"confirms", "max-length reject-publish"}

SCENARIOS: dict[str, list] = {
    # exchanges
    "declare bad type": [Exchange.Declare(exchange="@x1", exchange_type="foo")],
    "declare amq.": [Exchange.Declare(exchange="amq.@", exchange_type="direct")],
    "redeclare amq.direct": [
        Exchange.Declare(exchange="amq.direct", exchange_type="direct", durable=True)
    ],
    "redeclare amq.direct nondurable": [
        Exchange.Declare(exchange="amq.direct", exchange_type="direct")
    ],
    "ineq type": [
        Exchange.Declare(exchange="@x2", exchange_type="direct", auto_delete=False),
        Exchange.Declare(exchange="@x2", exchange_type="fanout"),
    ],
    "ineq durable/auto_delete/internal/args": [
        Exchange.Declare(exchange="@x3", exchange_type="direct"),
        Exchange.Declare(exchange="@x3", exchange_type="direct", durable=True),
    ],
    "ineq auto_delete": [
        Exchange.Declare(exchange="@x4", exchange_type="direct"),
        Exchange.Declare(exchange="@x4", exchange_type="direct", auto_delete=True),
    ],
    "ineq internal": [
        Exchange.Declare(exchange="@x5", exchange_type="direct"),
        Exchange.Declare(exchange="@x5", exchange_type="direct", internal=True),
    ],
    "ineq ae": [
        Exchange.Declare(exchange="@x6", exchange_type="direct"),
        Exchange.Declare(
            exchange="@x6", exchange_type="direct", arguments={"alternate-exchange": "foo"}
        ),
    ],
    "passive missing": [Exchange.Declare(exchange="@nope", passive=True)],
    "delete missing": [Exchange.Delete(exchange="@nope")],
    "delete default": [Exchange.Delete(exchange="")],
    "delete amq.direct": [Exchange.Delete(exchange="amq.direct")],
    "declare default": [Exchange.Declare(exchange="", exchange_type="direct")],
    "exchange delete if-unused": [
        Queue.Declare(queue="@q5", exclusive=True),
        Exchange.Declare(exchange="@x7", exchange_type="direct"),
        Queue.Bind(queue="@q5", exchange="@x7", routing_key="a"),
        Exchange.Delete(exchange="@x7", if_unused=True),
    ],
    "exchange to exchange": [
        Exchange.Declare(exchange="@src", exchange_type="topic"),
        Exchange.Declare(exchange="@dst", exchange_type="fanout"),
        Exchange.Bind(destination="@dst", source="@src", routing_key="a.#"),
        Queue.Declare(queue="@q6", exclusive=True),
        Queue.Bind(queue="@q6", exchange="@dst"),
        ("pub", b"one", "@src", "a.b"),
        ("pub", b"two", "@src", "b.a"),
        Basic.Get(queue="@q6", no_ack=True),
        Basic.Get(queue="@q6", no_ack=True),
        Exchange.Unbind(destination="@dst", source="@src", routing_key="a.#"),
        Exchange.Delete(exchange="@src"),
        Exchange.Delete(exchange="@dst"),
    ],
    "xbind missing": [Exchange.Bind(destination="@nope", source="amq.direct")],
    # publishing
    "publish missing exchange": [("pub", b"x", "@nope", "rk")],
    "publish internal": [
        Exchange.Declare(exchange="@xi", exchange_type="direct", internal=True),
        ("pub", b"x", "@xi", "rk"),
    ],
    "mandatory return": [("pub", b"x", "amq.direct", "@nope", True)],
    "confirms": [
        Confirm.Select(),
        Queue.Declare(queue="@cq", exclusive=True),
        ("pub", b"1", "", "@cq"),
        ("pub", b"2", "", "@nowhere"),
        ("pub", b"3", "amq.direct", "@nowhere", True),
    ],
    "cc and bcc": [
        Queue.Declare(queue="bcc-a", exclusive=True),
        Queue.Declare(queue="bcc-b", exclusive=True),
        Queue.Declare(queue="bcc-c", exclusive=True),
        (
            "pub",
            b"x",
            "",
            "bcc-a",
            False,
            Basic.Properties(headers={"CC": ["bcc-b"], "BCC": ["bcc-c"], "k": "v"}),
        ),
        ("pub", b"y", "", "bcc-a", False, Basic.Properties(headers={"BCC": ["bcc-c"]})),
        ("pub", b"z", "amq.direct", "nowhere", True, Basic.Properties(headers={"BCC": ["no"]})),
        Basic.Get(queue="bcc-a", no_ack=True),
        Basic.Get(queue="bcc-a", no_ack=True),
        Basic.Get(queue="bcc-b", no_ack=True),
        Basic.Get(queue="bcc-c", no_ack=True),
        Basic.Get(queue="bcc-c", no_ack=True),
    ],
    "user_id mismatch": [
        ("pub", b"x", "", "q", False, Basic.Properties(user_id="someone")),
    ],
    # queues
    "queue passive missing": [Queue.Declare(queue="@nope", passive=True)],
    "queue amq.": [Queue.Declare(queue="amq.@")],
    "queue ineq durable": [
        Queue.Declare(queue="@q1", exclusive=True),
        Queue.Declare(queue="@q1", durable=True, exclusive=True),
    ],
    "queue ineq args": [
        Queue.Declare(queue="@q2", exclusive=True),
        Queue.Declare(queue="@q2", exclusive=True, arguments={"x-message-ttl": 100}),
    ],
    "queue ineq args values": [
        Queue.Declare(queue="@q3", exclusive=True, arguments={"x-max-length": 10}),
        Queue.Declare(queue="@q3", exclusive=True, arguments={"x-max-length": 300}),
    ],
    "queue locked": [
        Queue.Declare(queue="@q4", exclusive=True),
        Queue.Declare(queue="@q4"),
    ],
    "queue bad ttl": [Queue.Declare(queue="@q", arguments={"x-message-ttl": -1})],
    "queue bad ttl type": [Queue.Declare(queue="@q", arguments={"x-message-ttl": "a"})],
    "queue ttl too large": [Queue.Declare(queue="@q", arguments={"x-message-ttl": 2**40})],
    "queue bad expires": [Queue.Declare(queue="@q", arguments={"x-expires": 0})],
    "queue bad max-length": [Queue.Declare(queue="@q", arguments={"x-max-length": -1})],
    "queue bad overflow": [Queue.Declare(queue="@q", arguments={"x-overflow": "foo"})],
    "queue bad priority": [Queue.Declare(queue="@q", arguments={"x-max-priority": 256})],
    "queue bad dlx type": [Queue.Declare(queue="@q", arguments={"x-dead-letter-exchange": 5})],
    "queue dlrk without dlx": [
        Queue.Declare(queue="@q", arguments={"x-dead-letter-routing-key": "a"})
    ],
    "queue bad sac": [Queue.Declare(queue="@q", arguments={"x-single-active-consumer": "yes"})],
    "queue bad type": [Queue.Declare(queue="@q", arguments={"x-queue-type": "foo"})],
    "queue bad mode": [Queue.Declare(queue="@q", arguments={"x-queue-mode": "foo"})],
    "classic delivery-limit": [Queue.Declare(queue="@q", arguments={"x-delivery-limit": 5})],
    "quorum non-durable": [Queue.Declare(queue="@q", arguments={"x-queue-type": "quorum"})],
    "quorum exclusive": [
        Queue.Declare(
            queue="@q", durable=True, exclusive=True, arguments={"x-queue-type": "quorum"}
        )
    ],
    "quorum auto-delete": [
        Queue.Declare(
            queue="@q", durable=True, auto_delete=True, arguments={"x-queue-type": "quorum"}
        )
    ],
    "quorum priority": [
        Queue.Declare(
            queue="@q", durable=True, arguments={"x-queue-type": "quorum", "x-max-priority": 5}
        )
    ],
    "quorum server-named": [
        Queue.Declare(queue="", durable=True, arguments={"x-queue-type": "quorum"})
    ],
    "server-named": [Queue.Declare(queue="", exclusive=True)],
    "bind missing queue": [Queue.Bind(queue="@nope", exchange="amq.direct", routing_key="a")],
    "bind missing exchange": [
        Queue.Declare(queue="@q7", exclusive=True),
        Queue.Bind(queue="@q7", exchange="@nope", routing_key="a"),
    ],
    "bind both missing": [Queue.Bind(queue="@nope", exchange="@nope2", routing_key="a")],
    "bind default": [
        Queue.Declare(queue="@q8", exclusive=True),
        Queue.Bind(queue="@q8", exchange="", routing_key="a"),
    ],
    "unbind missing binding": [
        Queue.Declare(queue="@q9", exclusive=True),
        Queue.Unbind(queue="@q9", exchange="amq.direct", routing_key="zz"),
    ],
    "headers bad x-match": [
        Queue.Declare(queue="@q10", exclusive=True),
        Queue.Bind(queue="@q10", exchange="amq.headers", arguments={"x-match": "foo"}),
    ],
    "purge missing": [Queue.Purge(queue="@nope")],
    "delete missing queue": [Queue.Delete(queue="@nope")],
    "delete if-empty": [
        Queue.Declare(queue="@q11", exclusive=True),
        ("pub", b"x", "", "@q11"),
        Queue.Delete(queue="@q11", if_empty=True),
    ],
    "queue delete if-unused": [
        Queue.Declare(queue="@q12", exclusive=True),
        Basic.Consume(queue="@q12", consumer_tag="c1"),
        ("until", Basic.ConsumeOk),
        Queue.Delete(queue="@q12", if_unused=True),
    ],
    "no previously declared queue": [Queue.Bind(queue="", exchange="amq.direct")],
    "last declared queue": [
        Queue.Declare(queue="@q13", exclusive=True),
        ("pub", b"x", "", "@q13"),
        Queue.Purge(queue=""),
        Queue.Delete(queue=""),
    ],
    # basic
    "get and get-empty": [
        Queue.Declare(queue="@q14", exclusive=True),
        ("pub", b"hello", "", "@q14", False, Basic.Properties(content_type="text/plain")),
        Basic.Get(queue="@q14"),
        Basic.Get(queue="@q14"),
    ],
    "nack multiple requeue": [
        Queue.Declare(queue="@q15", exclusive=True),
        ("pub", b"1", "", "@q15"),
        ("pub", b"2", "", "@q15"),
        ("pub", b"3", "", "@q15"),
        Basic.Get(queue="@q15"),
        Basic.Get(queue="@q15"),
        Basic.Nack(delivery_tag=2, multiple=True, requeue=True),
        Basic.Get(queue="@q15", no_ack=True),
        Basic.Get(queue="@q15", no_ack=True),
        Basic.Get(queue="@q15", no_ack=True),
    ],
    "reject requeue keeps position": [
        Queue.Declare(queue="@q16", exclusive=True),
        ("pub", b"1", "", "@q16"),
        ("pub", b"2", "", "@q16"),
        Basic.Get(queue="@q16"),
        Basic.Get(queue="@q16"),
        Basic.Reject(delivery_tag=2, requeue=True),
        Basic.Reject(delivery_tag=1, requeue=True),
        Basic.Get(queue="@q16", no_ack=True),
        Basic.Get(queue="@q16", no_ack=True),
    ],
    "unknown delivery tag": [Basic.Ack(delivery_tag=5)],
    "double ack": [
        Queue.Declare(queue="@q17", exclusive=True),
        ("pub", b"1", "", "@q17"),
        Basic.Get(queue="@q17"),
        Basic.Ack(delivery_tag=1),
        Basic.Ack(delivery_tag=1),
    ],
    "ack all with tag 0": [
        Queue.Declare(queue="@q18", exclusive=True),
        ("pub", b"1", "", "@q18"),
        ("pub", b"2", "", "@q18"),
        Basic.Get(queue="@q18"),
        Basic.Get(queue="@q18"),
        Basic.Ack(delivery_tag=0, multiple=True),
        Queue.Delete(queue="@q18"),
    ],
    "consume missing": [Basic.Consume(queue="@nope")],
    "get missing": [Basic.Get(queue="@nope")],
    "reuse consumer tag": [
        Queue.Declare(queue="@q19", exclusive=True),
        Basic.Consume(queue="@q19", consumer_tag="t"),
        ("until", Basic.ConsumeOk),
        Basic.Consume(queue="@q19", consumer_tag="t"),
        ("until", Basic.ConsumeOk),
    ],
    "exclusive consumer": [
        Queue.Declare(queue="@q20", exclusive=True),
        Basic.Consume(queue="@q20", consumer_tag="t1"),
        ("until", Basic.ConsumeOk),
        Basic.Consume(queue="@q20", consumer_tag="t2", exclusive=True),
    ],
    "cancel unknown": [Basic.Cancel(consumer_tag="zz")],
    "x-priority bad": [
        Queue.Declare(queue="@q21", exclusive=True),
        Basic.Consume(queue="@q21", arguments={"x-priority": "a"}),
    ],
    "recover requeue false": [Basic.Recover(requeue=False)],
    "recover": [
        Queue.Declare(queue="@q22", exclusive=True),
        ("pub", b"1", "", "@q22"),
        Basic.Get(queue="@q22"),
        Basic.Recover(requeue=True),
        Basic.Get(queue="@q22", no_ack=True),
    ],
    "qos prefetch size": [Basic.Qos(prefetch_size=10)],
    "qos global": [Basic.Qos(prefetch_count=5, global_=True)],
    "reply-to needs no-ack": [Basic.Consume(queue="amq.rabbitmq.reply-to")],
    "reply-to without consumer": [
        ("pub", b"x", "", "rk", False, Basic.Properties(reply_to="amq.rabbitmq.reply-to"))
    ],
    "flow off": [Channel.Flow(active=False)],
    "flow on": [Channel.Flow(active=True)],
    # transactions
    "tx commit without select": [Tx.Commit()],
    "tx then confirm": [Tx.Select(), Confirm.Select()],
    "confirm then tx": [Confirm.Select(), Tx.Select()],
    "tx publish commit rollback": [
        Queue.Declare(queue="@q23", exclusive=True),
        Tx.Select(),
        ("pub", b"a", "", "@q23"),
        Tx.Rollback(),
        ("pub", b"b", "", "@q23"),
        Tx.Commit(),
        ("until", Tx.CommitOk),
        Basic.Get(queue="@q23"),
        Basic.Ack(delivery_tag=1),
        Tx.Rollback(),
        Basic.Ack(delivery_tag=1),
        Tx.Commit(),
        ("until", Tx.CommitOk),
        Queue.Declare(queue="@q23", passive=True),
    ],
    # channels and frames
    "second channel.open": [Channel.Open()],
    "unopened channel": [("ch", 5, Queue.Declare(queue="@x"))],
    "method on channel 0": [("ch", 0, Queue.Declare(queue="@x"))],
    "connection method on channel 1": [Connection.Open()],
    "bad frame end": [("raw", b"\x01\x00\x01\x00\x00\x00\x04\x00\x0a\x00\x0a\xcd")],
    "unknown frame type": [("raw", b"\x09\x00\x01\x00\x00\x00\x00\xce")],
    "header without publish": [
        (
            "raw",
            b"\x02\x00\x01\x00\x00\x00\x0e\x00\x3c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\xce",
        )
    ],
    "channel close then method": [Channel.Close(200, "bye", 0, 0), Queue.Declare(queue="@x")],
    # routing details
    "topic routing": [
        Exchange.Declare(exchange="@t", exchange_type="topic", auto_delete=True),
        Queue.Declare(queue="@tq1", exclusive=True),
        Queue.Declare(queue="@tq2", exclusive=True),
        Queue.Bind(queue="@tq1", exchange="@t", routing_key="*.orange.*"),
        Queue.Bind(queue="@tq2", exchange="@t", routing_key="*.*.rabbit"),
        Queue.Bind(queue="@tq2", exchange="@t", routing_key="lazy.#"),
        ("pub", b"1", "@t", "quick.orange.rabbit"),
        ("pub", b"2", "@t", "lazy.orange.elephant"),
        ("pub", b"3", "@t", "lazy"),
        ("pub", b"4", "@t", "quick.brown.fox"),
        ("pub", b"5", "@t", "lazy.orange.male.rabbit"),
        Queue.Purge(queue="@tq1"),
        Queue.Purge(queue="@tq2"),
    ],
    "headers routing": [
        Queue.Declare(queue="@hq", exclusive=True),
        Queue.Bind(
            queue="@hq", exchange="amq.headers", arguments={"x-match": "all", "a": 1, "b": "x"}
        ),
        ("pub", b"1", "amq.headers", "", False, Basic.Properties(headers={"a": 1, "b": "x"})),
        ("pub", b"2", "amq.headers", "", False, Basic.Properties(headers={"a": 1})),
        (
            "pub",
            b"3",
            "amq.headers",
            "",
            False,
            Basic.Properties(headers={"a": 1, "b": "x", "c": 1}),
        ),
        Queue.Purge(queue="@hq"),
    ],
    "alternate exchange": [
        Exchange.Declare(exchange="@ae", exchange_type="fanout", auto_delete=True),
        Exchange.Declare(
            exchange="@main",
            exchange_type="direct",
            auto_delete=True,
            arguments={"alternate-exchange": "@ae"},
        ),
        Queue.Declare(queue="@aq", exclusive=True),
        Queue.Bind(queue="@aq", exchange="@ae"),
        ("pub", b"lost", "@main", "nothing", True),
        Basic.Get(queue="@aq", no_ack=True),
    ],
    "max-length drop-head": [
        Queue.Declare(queue="@ml", exclusive=True, arguments={"x-max-length": 2}),
        ("pub", b"1", "", "@ml"),
        ("pub", b"2", "", "@ml"),
        ("pub", b"3", "", "@ml"),
        Basic.Get(queue="@ml", no_ack=True),
        Basic.Get(queue="@ml", no_ack=True),
        Basic.Get(queue="@ml", no_ack=True),
    ],
    "max-length reject-publish": [
        Confirm.Select(),
        Queue.Declare(
            queue="@mr",
            exclusive=True,
            arguments={"x-max-length": 1, "x-overflow": "reject-publish"},
        ),
        ("pub", b"1", "", "@mr"),
        ("pub", b"2", "", "@mr"),
    ],
    "priority queue": [
        Queue.Declare(queue="@pq", exclusive=True, arguments={"x-max-priority": 10}),
        ("pub", b"low", "", "@pq", False, Basic.Properties(priority=1)),
        ("pub", b"none", "", "@pq"),
        ("pub", b"high", "", "@pq", False, Basic.Properties(priority=9)),
        ("pub", b"over", "", "@pq", False, Basic.Properties(priority=200)),
        Basic.Get(queue="@pq", no_ack=True),
        Basic.Get(queue="@pq", no_ack=True),
        Basic.Get(queue="@pq", no_ack=True),
        Basic.Get(queue="@pq", no_ack=True),
    ],
    "dead letter on reject with x-death": [
        Exchange.Declare(exchange="@dlx", exchange_type="fanout", auto_delete=True),
        Queue.Declare(queue="@dead", exclusive=True),
        Queue.Bind(queue="@dead", exchange="@dlx"),
        Queue.Declare(queue="@src", exclusive=True, arguments={"x-dead-letter-exchange": "@dlx"}),
        ("pub", b"d", "", "@src", False, Basic.Properties(headers={"h": "v"}, expiration="60000")),
        Basic.Get(queue="@src"),
        Basic.Reject(delivery_tag=1, requeue=False),
        ("sleep", 0.3),
        Queue.Declare(queue="@dead", passive=True),
        Basic.Get(queue="@dead", no_ack=True),
    ],
    "dead letter routing key and maxlen": [
        Queue.Declare(queue="@dead2", exclusive=True),
        Queue.Declare(
            queue="@src2",
            exclusive=True,
            arguments={
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": "@dead2",
                "x-max-length": 1,
            },  # fmt: skip
        ),
        ("pub", b"1", "", "@src2"),
        ("pub", b"2", "", "@src2"),
        ("sleep", 0.3),
        Queue.Declare(queue="@dead2", passive=True),
        Basic.Get(queue="@dead2", no_ack=True),
    ],
    "ttl zero expires without consumer": [
        Queue.Declare(queue="@tz", exclusive=True, arguments={"x-message-ttl": 0}),
        ("pub", b"1", "", "@tz"),
        Basic.Get(queue="@tz", no_ack=True),
    ],
}


def _expand_acks(frames: list[str]) -> list[str]:
    """A confirm with ``multiple`` stands for each tag it covers (servers coalesce differently)."""
    out: list[str] = []
    done: set[int] = set()
    for f in frames:
        m = re.match(r"(\d+) Basic\.(Ack|Nack)\(delivery_tag=(\d+), multiple=(True|False)(.*)", f)
        if m is None:
            out.append(f)
            continue
        tag = int(m.group(3))
        tags = range(1, tag + 1) if m.group(4) == "True" else [tag]
        for t in tags:
            if t not in done:
                done.add(t)
                out.append(
                    f"{m.group(1)} Basic.{m.group(2)}(delivery_tag={t}, multiple=False{m.group(5)}"
                )
    return out


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_replies(name, amqp_port, real_rabbit):
    prefix = "d" + uuid.uuid4().hex[:6]
    steps = SCENARIOS[name]
    quiet = 0.5 if name in UNORDERED else 0.0
    ours = run(amqp_port, steps, prefix, quiet)
    theirs = run(real_rabbit.port, steps, prefix, quiet)
    if name in UNORDERED:
        ours, theirs = sorted(_expand_acks(ours)), sorted(_expand_acks(theirs))
    assert ours == theirs
