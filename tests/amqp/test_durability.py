"""Durability: SIGKILL of a real `polystack serve` process and restart."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time

import pika
import pytest

from tests.processes import LIVE, free_port

pytestmark = pytest.mark.slow


class AmqpProcess:
    def __init__(self, data_dir, *args: str, fsize: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.management_port = free_port()
        self.admin_port = free_port()
        self.args = args
        self.fsize = fsize
        self.proc: subprocess.Popen | None = None

    def start(self) -> AmqpProcess:
        argv = [sys.executable, "-m", "polystack.cli", "serve", "--data-dir",
                str(self.data_dir), "--only", "amqp", "--amqp-port", str(self.port),
                "--amqp-management-port", str(self.management_port), "--admin-port",
                str(self.admin_port), *self.args]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLYSTACK_")}
        preexec = None
        if self.fsize is not None:
            limit = self.fsize

            def preexec() -> None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, preexec_fn=preexec
        )
        LIVE.append(self)  # killed by the autouse fixture if a test fails half-way
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stdout.read().decode())
            try:
                for port in (self.port, self.management_port):
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("polystack did not start") from None
                time.sleep(0.05)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc.stdout.close()

    def terminate(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=60)
        return out.decode("utf-8", "replace")

    def set_fsize(self, limit: int) -> None:
        resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    def connect(self) -> pika.BlockingConnection:
        return pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", self.port))


def test_confirmed_persistent_messages_survive_sigkill(tmp_path):
    srv = AmqpProcess(tmp_path).start()
    c = srv.connect()
    ch = c.channel()
    ch.exchange_declare("dx", "direct", durable=True)
    ch.queue_declare("dq", durable=True)
    ch.queue_bind("dq", "dx", "k")
    ch.queue_declare("tq", durable=False)
    ch.queue_declare("dq2", durable=True)
    ch.confirm_delivery()
    for i in range(50):
        ch.basic_publish("dx", "k", b"p%d" % i, pika.BasicProperties(delivery_mode=2))
    ch.basic_publish("", "dq", b"transient", pika.BasicProperties(delivery_mode=1))
    ch.basic_publish("", "tq", b"gone", pika.BasicProperties(delivery_mode=2))
    for i in range(3):
        ch.basic_publish("", "dq2", b"x%d" % i, pika.BasicProperties(delivery_mode=2))
    # ack the first 10, leave 5 delivered but unacknowledged
    for _ in range(10):
        m, _, _ = ch.basic_get("dq")
        ch.basic_ack(m.delivery_tag)
    for _ in range(5):
        ch.basic_get("dq")
    ch.queue_declare("dq2", passive=True)  # a round trip: the acks above were processed
    srv.kill9()

    srv2 = AmqpProcess(tmp_path).start()
    c2 = srv2.connect()
    ch2 = c2.channel()
    assert ch2.queue_declare("dq", durable=True).method.message_count == 40
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as e:
        ch2.queue_declare("tq", passive=True)
    assert e.value.reply_code == 404
    ch2 = c2.channel()
    got = []
    for _ in range(40):
        m, p, b = ch2.basic_get("dq", auto_ack=True)
        got.append((b, m.redelivered))
    assert got == [(b"p%d" % i, 10 <= i < 15) for i in range(10, 50)]
    assert ch2.basic_get("dq") == (None, None, None)
    ch2.basic_publish("dx", "k", b"still bound")
    assert ch2.basic_get("dq", auto_ack=True)[2] == b"still bound"
    assert ch2.queue_declare("dq2", passive=True).method.message_count == 3
    c2.close()
    srv2.kill9()


def test_definitions_survive_graceful_restart_and_transient_ones_do_not(tmp_path):
    import json
    import urllib.request

    srv = AmqpProcess(tmp_path).start()
    c = srv.connect()
    ch = c.channel()
    ch.exchange_declare("src", "topic", durable=True)
    ch.exchange_declare("dst", "fanout", durable=True)
    ch.exchange_declare("tmpx", "fanout", durable=False)
    ch.exchange_bind("dst", "src", "a.#")
    ch.queue_declare("kept", durable=True, arguments={"x-max-length": 5})
    ch.queue_bind("kept", "dst")
    ch.queue_declare("qq", durable=True, arguments={"x-queue-type": "quorum"})
    c.close()
    base = f"http://127.0.0.1:{srv.management_port}/api"

    def put(path, body):
        req = urllib.request.Request(f"{base}/{path}", data=json.dumps(body).encode(),
                                     method="PUT",
                                     headers={"content-type": "application/json",
                                              "authorization": "Basic Z3Vlc3Q6Z3Vlc3Q="})  # fmt: skip
        urllib.request.urlopen(req, timeout=10).close()

    put("vhosts/prod", {})
    put("users/app", {"password": "s3cret", "tags": "management"})
    put("permissions/prod/app", {"configure": "", "write": ".*", "read": ".*"})
    srv.terminate()

    srv2 = AmqpProcess(tmp_path).start()
    c = srv2.connect()
    ch = c.channel()
    ch.basic_publish("src", "a.b", b"routed", pika.BasicProperties(delivery_mode=2))
    m = ch.queue_declare("kept", durable=True, arguments={"x-max-length": 5}).method
    assert m.message_count == 1
    ch.queue_declare("qq", durable=True, arguments={"x-queue-type": "quorum"})
    with pytest.raises(pika.exceptions.ChannelClosedByBroker):
        ch.exchange_declare("tmpx", "fanout", passive=True)
    c.close()
    app = pika.BlockingConnection(pika.ConnectionParameters(
        "127.0.0.1", srv2.port, "prod", pika.PlainCredentials("app", "s3cret")))  # fmt: skip
    ach = app.channel()
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as e:
        ach.queue_declare("nope")  # configure permission is empty
    assert e.value.reply_code == 403
    app.close()
    srv2.kill9()


def test_torn_tail_is_truncated_and_corruption_in_the_middle_stops_start_up(tmp_path):
    srv = AmqpProcess(tmp_path).start()
    c = srv.connect()
    ch = c.channel()
    ch.queue_declare("t", durable=True)
    ch.confirm_delivery()
    for i in range(20):
        ch.basic_publish("", "t", b"m%d" % i * 300, pika.BasicProperties(delivery_mode=2))
    c.close()
    srv.kill9()
    segs = sorted((tmp_path / "amqp" / "store").glob("*.seg"))
    with open(segs[-1], "ab") as f:
        f.write(b"\x40\x00\x00\x00garbage")  # a record cut short by the crash
    srv2 = AmqpProcess(tmp_path).start()
    c = srv2.connect()
    assert c.channel().queue_declare("t", durable=True).method.message_count == 20
    c.close()
    srv2.kill9()
    # damage a record that has valid records after it
    segs = sorted((tmp_path / "amqp" / "store").glob("*.seg"))
    target = next(p for p in segs if p.stat().st_size > 4000)
    data = bytearray(target.read_bytes())
    data[300] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(RuntimeError) as e:
        AmqpProcess(tmp_path).start()
    assert str(target) in str(e.value) and "refusing to start" in str(e.value)


def test_confirm_waits_for_fsync_only_for_persistent_messages(tmp_path):
    import threading

    from polystack import testing
    from polystack.runtime import log as logmod

    gate = threading.Event()
    real = logmod.fsync

    def slow_fsync(fd: int) -> None:
        gate.wait(30)
        real(fd)

    with testing.serve(amqp=True, data_dir=tmp_path) as s:
        port = s.ports["amqp"]
        c = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
        ch = c.channel()
        ch.queue_declare("d", durable=True)
        ch.queue_declare("t", durable=False)
        acks: list[int] = []
        from .rawclient import RawClient

        raw = RawClient(port).open()
        raw.channel(1)
        from pamqp.commands import Basic, Confirm

        raw.send(1, Confirm.Select())
        raw.expect(Confirm.SelectOk)
        logmod.fsync = slow_fsync
        try:
            raw.publish(1, b"transient", routing_key="t")
            ack = raw.expect(Basic.Ack)
            acks.append(ack.delivery_tag)
            raw.publish(
                1, b"persistent", routing_key="d", properties=Basic.Properties(delivery_mode=2)
            )
            with pytest.raises(TimeoutError):
                raw.expect(Basic.Ack, timeout=1.0)  # held: its record is not fsynced yet
            gate.set()
            assert raw.expect(Basic.Ack, timeout=10).delivery_tag == 2
        finally:
            logmod.fsync = real
            gate.set()
        raw.close()
        c.close()
    assert acks == [1]


def test_full_disk_blocks_publishers_and_loses_nothing_confirmed(tmp_path):
    srv = AmqpProcess(tmp_path).start()
    c = srv.connect()
    ch = c.channel()
    ch.queue_declare("full", durable=True)
    c.close()
    store = tmp_path / "amqp" / "store"
    used = sum(p.stat().st_size for p in store.glob("*.seg"))
    srv.set_fsize(max(used, 1) + 200_000)  # room for ~190 more 1 KB messages
    from pamqp.commands import Basic, Confirm

    from .rawclient import RawClient

    raw = RawClient(srv.port).open()
    raw.channel(1)
    raw.send(1, Confirm.Select())
    raw.expect(Confirm.SelectOk)
    confirmed = sent = 0
    while sent < 400:
        for _ in range(20):  # small batches: each turn's write fits or fails as a whole
            raw.publish(1, b"%04d" % sent + b"x" * 1020, routing_key="full",
                        properties=Basic.Properties(delivery_mode=2))  # fmt: skip
            sent += 1
        before = confirmed
        for _, f in raw.drain(1.0):
            if isinstance(f, Basic.Ack):
                confirmed = max(confirmed, f.delivery_tag)
        if confirmed == before:
            break  # the disk is full: nothing more is confirmed
    assert 0 < confirmed < sent  # the disk filled up: the rest waits, unconfirmed
    assert srv.proc.poll() is None  # the broker is still up
    srv.kill9()
    srv2 = AmqpProcess(tmp_path).start()
    c = srv2.connect()
    depth = c.channel().queue_declare("full", durable=True).method.message_count
    c.close()
    assert depth >= confirmed  # every confirmed message survived
    srv2.kill9()
