"""Durability: SIGKILL of a real `polystack serve` process and restart."""

from __future__ import annotations

import os
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
    def __init__(self, data_dir, *args: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.args = args
        self.proc: subprocess.Popen | None = None

    def start(self) -> AmqpProcess:
        argv = [sys.executable, "-m", "polystack.cli", "serve", "--data-dir",
                str(self.data_dir), "--only", "amqp", "--amqp-port", str(self.port),
                "--amqp-management-port", str(free_port()), "--admin-port", str(free_port()),
                *self.args]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLYSTACK_")}
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
        )
        LIVE.append(self)  # killed by the autouse fixture if a test fails half-way
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stdout.read().decode())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("polystack did not start") from None
                time.sleep(0.05)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc.stdout.close()

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
