"""Flow control and scale: a consumer that never reads, a flood of publishes, 10,000 queues and
1,000 connections — the broker's memory stays bounded and other clients keep being served."""

from __future__ import annotations

import socket
import time

import pika
import pytest
from pamqp import body as pbody
from pamqp import frame, header
from pamqp.commands import Basic, Channel, Queue
from pamqp.commands import Connection as C

from polystack import testing

from .rawclient import RawClient
from .test_durability import AmqpProcess

pytestmark = pytest.mark.slow


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def test_slow_consumer_memory_stays_bounded_and_others_are_served(tmp_path):
    limit = 16 << 20
    overrides = {"amqp.memory_high_watermark": limit}
    with testing.serve(amqp=True, data_dir=tmp_path, config_overrides=overrides) as s:
        port = s.ports["amqp"]
        broker = s.service("amqp").broker
        # a no-ack consumer that never reads its socket
        slow = RawClient(port).open()
        slow.channel(1)
        slow.send(1, Queue.Declare(queue="flood"))
        slow.expect(Queue.DeclareOk)
        slow.send(1, Basic.Consume(queue="flood", no_ack=True))
        slow.expect(Basic.ConsumeOk)
        slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        rss0 = _rss()
        pub = RawClient(port).open()
        pub.channel(1)
        body = b"z" * 10_000
        batch = b"".join(
            frame.marshal(Basic.Publish(exchange="", routing_key="flood"), 1)
            + frame.marshal(header.ContentHeader(0, len(body), Basic.Properties()), 1)
            + frame.marshal(pbody.ContentBody(body), 1)
            for _ in range(100)
        )
        peak = 0
        for _ in range(200):  # 20,000 messages, 200 MB
            pub.sock.sendall(batch)
            peak = max(peak, s.call(lambda: broker.memory_used))
        # another client is served promptly all along
        c = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
        ch = c.channel()
        ch.queue_declare("bystander")
        ch.basic_publish("", "bystander", b"hello")
        assert ch.basic_get("bystander", auto_ack=True)[2] == b"hello"
        depth = ch.queue_declare("flood", passive=True).method.message_count
        c.close()
        assert peak <= limit + (1 << 20)  # bodies beyond the watermark went to disk
        assert depth > 10_000  # most of the flood waits in the queue, not in a socket buffer
        assert _rss() - rss0 < 150 << 20  # 200 MB published; the process holds far less
        slow.close()
        pub.close()


def _handshake_bytes() -> bytes:
    return (
        frame.marshal(
            C.StartOk(client_properties={}, mechanism="PLAIN", response="\0guest\0guest"), 0
        )  # fmt: skip
        + frame.marshal(C.TuneOk(2047, 131072, 0), 0)
        + frame.marshal(C.Open("/"), 0)
        + frame.marshal(Channel.Open(), 1)
    )


def test_ten_thousand_queues_and_a_thousand_connections(tmp_path):
    srv = AmqpProcess(tmp_path).start()
    try:
        setup = RawClient(srv.port).open()
        setup.channel(1)
        declares = b"".join(
            frame.marshal(Queue.Declare(queue=f"scale-{i}", nowait=True), 1) for i in range(10_000)
        )
        setup.send_raw(declares)
        setup.send(1, Queue.Declare(queue="scale-9999", passive=True))
        setup.expect(Queue.DeclareOk, timeout=60)
        socks = []
        hello = _handshake_bytes()
        for _ in range(1000):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"AMQP\x00\x00\x09\x01" + hello)
            socks.append(s)
        # every connection completes its handshake
        for s in socks:
            s.settimeout(30)
            data = b""
            while b"\x00\x14\x00\x0b" not in data:  # channel.open-ok
                chunk = s.recv(65536)
                assert chunk, "connection closed"
                data += chunk
        # and the broker stays responsive: a round trip on a fresh connection
        started = time.monotonic()
        c = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", srv.port))
        ch = c.channel()
        ch.basic_publish("", "scale-5000", b"x")
        assert ch.queue_declare("scale-5000", passive=True).method.message_count == 1
        c.close()
        took = time.monotonic() - started
        for s in socks:
            s.close()
        print(f"round trip with 10,000 queues and 1,000 connections: {took * 1000:.0f} ms")
    finally:
        srv.kill9()
