"""Clusters of separate processes for the cluster tests (tests/redis/test_cluster_faults.py and
test_cluster_mixed.py): a node is a redis-server 7.0 or a ``polystack serve`` process of its own,
on a port whose bus port (+10000) is free too."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import redis

from tests.redis.realredis import free_port

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
NODE_TIMEOUT = 2000


def wait_for(pred, timeout: float = 40.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if pred():
                return
        except (redis.RedisError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def free_cluster_port() -> int:
    while True:
        p = free_port()
        if p + 10000 < 65536:
            return p


def raw(port: int, *args: str) -> bytes:
    """One command's reply line, exactly as sent."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a.encode()))
        sock.sendall(b"".join(parts))
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return data


class Node:
    """One cluster node, a redis-server or a ``polystack serve`` process."""

    def __init__(self, kind: str, root: str, real_aof: bool = True) -> None:
        self.kind = kind
        self.real_aof = real_aof  # redis-server with an append-only file
        self.port = free_cluster_port()
        self.dir = os.path.join(root, f"{kind}-{self.port}")
        os.makedirs(self.dir)
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        if self.kind == "real":
            argv = [
                REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--dir", self.dir, "--cluster-enabled", "yes",
                "--appendonly", "yes" if self.real_aof else "no",
                "--cluster-node-timeout", str(NODE_TIMEOUT),
            ]  # fmt: skip
        else:
            conf = os.path.join(self.dir, "redis.conf")
            with open(conf, "w") as f:
                f.write(
                    f"port {self.port}\ncluster-enabled yes\n"
                    f"cluster-node-timeout {NODE_TIMEOUT}\nappendonly yes\n"
                )
            argv = [
                sys.executable, "-m", "polystack.cli", "serve", "--only", "redis",
                "--redis-config", conf, "--data-dir", os.path.join(self.dir, "data"),
                "--admin-port", "0",
            ]  # fmt: skip
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "log"), "a")
        )
        wait_for(lambda: self.client().ping(), what=f"{self.kind} node on {self.port}")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5, decode_responses=True)

    def signal(self, sig: int) -> None:
        if self.alive:
            self.proc.send_signal(sig)  # type: ignore[union-attr]

    def kill(self) -> None:
        if self.alive:
            self.proc.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
            self.proc.wait(10)  # type: ignore[union-attr]

    def stop(self) -> None:
        if self.alive:
            self.proc.send_signal(signal.SIGCONT)  # type: ignore[union-attr]
            self.proc.terminate()  # type: ignore[union-attr]
            try:
                self.proc.wait(10)  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                self.proc.kill()  # type: ignore[union-attr]
                self.proc.wait(5)  # type: ignore[union-attr]

    def myid(self) -> str:
        return self.client().execute_command("CLUSTER MYID")

    def role(self) -> str:
        return self.client().execute_command("ROLE")[0]


def cluster_ok(node: Node) -> bool:
    return node.client().cluster("info")["cluster_state"] == "ok"


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [REDIS_CLI, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
