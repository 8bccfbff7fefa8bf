"""How long one Redis command holds the event loop every system shares (issue #20, item 3).

A probe thread schedules a callback on the server's loop every 5 ms and times how long it
waits to run; the longest wait while the command runs is the command's loop hold (what a
ZooKeeper session or an AMQP heartbeat would have waited).  Run:

    .venv/bin/python bench/hostile_loop.py [KEYS]

KEYS: keys in the dataset (default 1,000,000).
"""

from __future__ import annotations

import os
import sys
import threading
import time

# bench/redis.py would shadow redis-py
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(__file__)]

import redis  # noqa: E402

import polystack.testing  # noqa: E402


def fill(port: int, n: int) -> None:
    r = redis.Redis(port=port)
    batch = 10000
    for i in range(0, n, batch):
        args: list = []
        for j in range(i, min(n, i + batch)):
            args += [f"key:{j}", f"value-{j}"]
        r.execute_command("MSET", *args)
    r.close()


class Probe:
    """Measures the longest time the server's loop took to run a callback."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.worst = 0.0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        loop = self.handle._loop
        while not self._stop.is_set():
            done = threading.Event()
            t0 = time.perf_counter()
            loop.call_soon_threadsafe(done.set)
            done.wait()
            self.worst = max(self.worst, time.perf_counter() - t0)
            time.sleep(0.005)

    def __enter__(self) -> Probe:
        self._t.start()
        time.sleep(0.05)
        self.worst = 0.0
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(0.05)
        self._stop.set()
        self._t.join()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with polystack.testing.serve(
        redis=True, config_overrides={"redis.auto_aof_rewrite_percentage": 0}
    ) as s:
        fill(s.redis_port, n)
        r = redis.Redis(port=s.redis_port)
        cases = [
            ("KEYS key:1*", lambda: r.keys("key:1*")),
            ("BGREWRITEAOF", lambda: (r.bgrewriteaof(), _wait_rewrite(s))),
            ("SETRANGE 512MB", lambda: r.setrange("big", 512 * 1024 * 1024 - 1, "x")),
            ("DEL 512MB", lambda: r.delete("big")),
            ("FLUSHALL", lambda: r.flushall()),
        ]
        print(f"{n} keys; longest loop hold while the command ran (client wall time):")
        for name, fn in cases:
            with Probe(s) as p:
                t0 = time.perf_counter()
                fn()
                wall = time.perf_counter() - t0
            print(
                f"  {name:<16} loop held {p.worst * 1000:8.1f} ms   (command {wall * 1000:8.1f} ms)"
            )
        r.close()


def _wait_rewrite(s) -> None:
    svc = s.service("redis")
    while s.call(lambda: svc.journal is not None and svc.journal.compacting):
        time.sleep(0.01)


if __name__ == "__main__":
    main()
