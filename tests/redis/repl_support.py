"""Real redis-server / redis-sentinel processes for the replication, RDB and Sentinel tests, and
dataset comparison by DUMP."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from polystack.redis import rdb

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_SENTINEL = shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"
REDIS_CHECK_RDB = shutil.which("redis-check-rdb") or "/usr/bin/redis-check-rdb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need(binary: str) -> None:
    if not Path(binary).exists():
        pytest.skip(f"{Path(binary).name} is not installed (scripts/install-test-deps)")


def wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"process exited with {proc.returncode}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on {port}") from None
            time.sleep(0.05)


def wait_for(cond: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = cond()
        except (redis.ConnectionError, redis.ResponseError, OSError) as e:
            last = e
        else:
            if last:
                return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class RealServer:
    """A real redis-server (or redis-sentinel with ``sentinel=True``) on a spare port."""

    def __init__(
        self,
        *args: str,
        dir: str | None = None,
        config: str | None = None,
        port: int | None = None,
        sentinel: bool = False,
    ) -> None:
        need(REDIS_SENTINEL if sentinel else REDIS_SERVER)
        self.own_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix="real-redis-")
        self.port = port or free_port()
        self.config = config
        self.sentinel = sentinel
        self.args = args
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        cmd = [REDIS_SENTINEL if self.sentinel else REDIS_SERVER]
        if self.config:
            cmd.append(self.config)
        cmd += ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]
        if not self.sentinel:
            cmd += ["--enable-debug-command", "yes"]
            if not any(a == "--save" for a in self.args):
                cmd += ["--save", ""]
        cmd += list(self.args)
        self.log_path = Path(self.dir) / f"redis-{self.port}.log"
        self.proc = subprocess.Popen(
            cmd + ["--logfile", str(self.log_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.dir,
        )
        wait_port(self.port, self.proc)

    def client(self, **kw: Any) -> redis.Redis:
        return redis.Redis(port=self.port, **kw)

    def log(self) -> str:
        try:
            return self.log_path.read_text()
        except OSError:
            return ""

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def close(self) -> None:
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def real_server(*args: str, **kw: Any) -> Iterator[RealServer]:
    srv = RealServer(*args, **kw)
    try:
        yield srv
    finally:
        srv.close()


def canonical(payload: bytes) -> Any:
    """A DUMP payload with the iteration order of hash-table encodings (sets, hashes, skiplist
    sorted sets: it differs between two servers holding the same data) taken out."""
    t = payload[0]
    if t not in (2, 3, 4, 5):
        return payload
    reader = rdb.Reader(payload, 1)
    n = reader.load_plain_len()
    items = []
    for _ in range(n):
        if t == 2:
            items.append(reader.load_string())
        elif t == 4:
            items.append((reader.load_string(), reader.load_string()))
        elif t == 5:
            items.append((reader.load_string(), reader.load_double()))
        else:
            items.append((reader.load_string(), reader.load_old_double()))
    return (t, sorted(items))


def dataset(r: redis.Redis, databases: int = 16) -> dict[tuple[int, bytes], tuple[Any, bool]]:
    """Every key of every database: (db, key) -> (DUMP payload, has a TTL), the payload made
    :func:`canonical`."""
    out: dict[tuple[int, bytes], tuple[Any, bool]] = {}
    for db in range(databases):
        r.execute_command("SELECT", db)
        keys = list(r.scan_iter(count=1000))
        for i in range(0, len(keys), 1000):
            batch = keys[i : i + 1000]
            pipe = r.pipeline(transaction=False)
            for key in batch:
                pipe.dump(key)
                pipe.pttl(key)
            replies = pipe.execute()
            for j, key in enumerate(batch):
                payload, ttl = replies[2 * j], replies[2 * j + 1]
                if payload is not None:
                    out[(db, key)] = (canonical(payload), ttl > 0)
    r.execute_command("SELECT", 0)
    return out


def check_rdb(path: str) -> subprocess.CompletedProcess:
    need(REDIS_CHECK_RDB)
    return subprocess.run(
        [REDIS_CHECK_RDB, path], capture_output=True, text=True, timeout=60, check=False
    )
