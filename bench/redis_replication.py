"""Replication benchmark: polystack master vs a real redis-server master, in the same run.

1. Full sync: the master holds N small keys (key:0000001 -> 10-byte value); a fresh real
   redis-server replica runs REPLICAOF; the time until its link is up with every key loaded.
   Both masters sync diskless with repl-diskless-sync-delay 0.
2. Replication lag under ``redis-benchmark -t set -c 50``: while the load runs against the
   master, a probe writes a key every 20 ms and, from the moment the master acknowledged it,
   polls the replica until the key is there; p50/p99/max of those delays (the master's own
   reply time under the load is printed beside them).

3. Sentinel failover: a master, a replica and three Sentinels (polystack's with polystack
   servers, redis-sentinel with redis-server), down-after-milliseconds 1000; the master is
   SIGKILLed and the time until redis-py's Sentinel client writes to the new master is taken
   (median of --failovers runs).

Each server's CPU seconds and the load generator's own CPU time are printed beside the
results, and the ratios polystack/redis.

    .venv/bin/python bench/redis_replication.py [--keys 1000000] [--requests 300000]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# bench/redis.py would shadow the redis client package: look it up without this directory.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

import redis  # noqa: E402
from redis.sentinel import MasterNotFoundError, Sentinel  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def cpu_seconds(pid: int) -> float:
    """The process's CPU time, its forked children (RDB) included once they exited."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / CLK_TCK


class Server:
    def __init__(self, kind: str, workdir: str) -> None:
        self.kind = kind
        self.port = free_port()
        self.dir = tempfile.mkdtemp(dir=workdir)
        if kind == "redis":
            argv = [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--appendonly", "yes",
                "--appendfsync", "everysec", "--repl-diskless-sync-delay", "0",
            ]  # fmt: skip
        else:
            argv = [
                sys.executable, "-m", "polystack.cli", "serve", "--only", "redis",
                "--data-dir", self.dir, "--redis-port", str(self.port),
                "--admin-port", str(free_port()), "--appendfsync", "everysec",
            ]  # fmt: skip
        self.proc = subprocess.Popen(
            argv, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_port(self.port, self.proc)
        self.client = redis.Redis(port=self.port, socket_timeout=120)
        if kind == "polystack":
            self.client.config_set("repl-diskless-sync-delay", 0)

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def load(r: redis.Redis, n: int) -> None:
    batch = 1000
    for start in range(0, n, batch * 50):
        pipe = r.pipeline(transaction=False)
        for b in range(start, min(n, start + batch * 50), batch):
            pipe.mset({b"key:%07d" % i: b"v%09d" % i for i in range(b, min(n, b + batch))})
        pipe.execute()


def full_sync(master: Server, workdir: str, n: int) -> float:
    replica = Server("redis", workdir)
    try:
        started = time.monotonic()
        replica.client.replicaof("127.0.0.1", master.port)
        while True:
            info = replica.client.info("replication")
            if info.get("master_link_status") == "up" and replica.client.dbsize() >= n:
                return time.monotonic() - started
            time.sleep(0.01)
    finally:
        replica.stop()


def lag_under_load(master: Server, workdir: str, requests: int) -> dict:
    replica = Server("redis", workdir)
    try:
        replica.client.replicaof("127.0.0.1", master.port)
        while replica.client.info("replication").get("master_link_status") != "up":
            time.sleep(0.05)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu0 = master.cpu()
        bench = subprocess.Popen(
            ["redis-benchmark", "-h", "127.0.0.1", "-p", str(master.port), "-t", "set",
             "-c", "50", "-n", str(requests), "-r", "100000", "-q"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        lags: list[float] = []
        replies: list[float] = []
        stop = threading.Event()

        def probe() -> None:
            m = redis.Redis(port=master.port)
            rep = redis.Redis(port=replica.port)
            i = 0
            while not stop.is_set():
                key = f"probe:{i}"
                sent = time.monotonic()
                m.set(key, "1")
                t0 = time.monotonic()
                replies.append(t0 - sent)
                while rep.get(key) is None:
                    time.sleep(0.0005)
                    if time.monotonic() - t0 > 30:
                        break
                lags.append(time.monotonic() - t0)
                i += 1
                time.sleep(0.02)

        t = threading.Thread(target=probe)
        t.start()
        out, _ = bench.communicate()
        stop.set()
        t.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        lags.sort()
        replies.sort()
        rps = out.strip().split(":")[-1].strip() if out else "?"
        return {
            "p50": statistics.median(lags) * 1000,
            "p99": lags[min(len(lags) - 1, int(len(lags) * 0.99))] * 1000,
            "max": lags[-1] * 1000,
            "probes": len(lags),
            "reply_p99": replies[min(len(replies) - 1, int(len(replies) * 0.99))] * 1000,
            "rps": rps,
            "server_cpu": master.cpu() - cpu0,
            "bench_cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        }
    finally:
        replica.stop()


def start_sentinel(kind: str, workdir: str, master_port: int) -> tuple[subprocess.Popen, int]:
    d = tempfile.mkdtemp(dir=workdir)
    port = free_port()
    path = os.path.join(d, "sentinel.conf")
    with open(path, "w") as f:
        f.write(
            f"port {port}\nsentinel monitor mymaster 127.0.0.1 {master_port} 2\n"
            "sentinel down-after-milliseconds mymaster 1000\n"
            "sentinel failover-timeout mymaster 10000\n"
        )
    if kind == "redis":
        argv = ["redis-sentinel", path, "--bind", "127.0.0.1", "--dir", d]
    else:
        argv = [
            sys.executable, "-m", "polystack.cli", "serve", "--only", "sentinel",
            "--data-dir", d, "--sentinel-config", path, "--admin-port", str(free_port()),
        ]  # fmt: skip
    proc = subprocess.Popen(argv, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc, port


def sentinel_failover(kind: str, workdir: str) -> float:
    master = Server(kind, workdir)
    replica = Server(kind, workdir)
    sentinels: list[subprocess.Popen] = []
    try:
        replica.client.replicaof("127.0.0.1", master.port)
        while replica.client.info("replication").get("master_link_status") != "up":
            time.sleep(0.05)
        ports = []
        for _ in range(3):
            proc, port = start_sentinel(kind, workdir, master.port)
            sentinels.append(proc)
            ports.append(port)
        for port in ports:  # every Sentinel knows the others and the replica
            c = redis.Redis(port=port, decode_responses=True)
            while True:
                m = c.sentinel_master("mymaster")
                if m["num-other-sentinels"] == 2 and m["num-slaves"] == 1:
                    break
                time.sleep(0.1)
        snt = Sentinel([("127.0.0.1", p) for p in ports], socket_timeout=0.5)
        started = time.monotonic()
        master.proc.kill()
        while True:
            try:
                if snt.discover_master("mymaster")[1] == replica.port:
                    snt.master_for("mymaster", socket_timeout=0.5).set("after", "failover")
                    return time.monotonic() - started
            except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError,
                    MasterNotFoundError):  # fmt: skip
                pass
            time.sleep(0.02)
    finally:
        for proc in sentinels:
            proc.kill()
            proc.wait()
        master.proc.kill()
        master.proc.wait()
        replica.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=300_000)
    ap.add_argument("--failovers", type=int, default=3)
    ap.add_argument("--only-failover", action="store_true")
    args = ap.parse_args()
    if not shutil.which("redis-server") or not shutil.which("redis-benchmark"):
        sys.exit("redis-server and redis-benchmark are needed (scripts/install-test-deps)")
    workdir = tempfile.mkdtemp(prefix="bench-repl-")
    results: dict[str, dict] = {}
    failovers: dict[str, list[float]] = {"redis": [], "polystack": []}
    try:
        for _ in range(args.failovers):
            for kind in ("redis", "polystack"):
                failovers[kind].append(sentinel_failover(kind, workdir))
        for kind in () if args.only_failover else ("redis", "polystack"):
            master = Server(kind, workdir)
            try:
                load(master.client, args.keys)
                cpu0 = master.cpu()
                sync = full_sync(master, workdir, args.keys)
                sync_cpu = master.cpu() - cpu0
                lag = lag_under_load(master, workdir, args.requests)
                results[kind] = {"sync": sync, "sync_cpu": sync_cpu, **lag}
            finally:
                master.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    fr, fp = statistics.median(failovers["redis"]), statistics.median(failovers["polystack"])
    print("Sentinel failover after SIGKILL of the master (down-after-milliseconds 1000):")
    print(f"  redis-sentinel + redis-server  median {fr:.2f} s  {_runs(failovers['redis'])}")
    print(f"  polystack Sentinel + servers   median {fp:.2f} s  {_runs(failovers['polystack'])}")
    if args.only_failover:
        return
    r, p = results["redis"], results["polystack"]
    print(f"full sync of {args.keys} keys to a real replica (diskless, delay 0):")
    print(f"  redis-server master  {r['sync']:7.2f} s   master CPU {r['sync_cpu']:.2f} s")
    print(f"  polystack master     {p['sync']:7.2f} s   master CPU {p['sync_cpu']:.2f} s")
    print(f"  ratio polystack/redis {p['sync'] / r['sync']:.2f}x")
    print(f"replication lag under redis-benchmark -t set -c 50 -n {args.requests} -r 100000:")
    for name, x in (("redis-server", r), ("polystack", p)):
        print(
            f"  {name:<12} master: p50 {x['p50']:6.2f} ms  p99 {x['p99']:6.2f} ms  "
            f"max {x['max']:7.2f} ms  ({x['probes']} probes; the probe SET's own reply p99 "
            f"{x['reply_p99']:.2f} ms)  SET {x['rps']}  "
            f"server CPU {x['server_cpu']:.2f} s  redis-benchmark CPU {x['bench_cpu']:.2f} s"
        )
    print(f"  ratio p99 polystack/redis {p['p99'] / max(r['p99'], 1e-9):.2f}x")


def _runs(xs: list[float]) -> str:
    return "(" + ", ".join(f"{x:.2f}" for x in xs) + ")"


if __name__ == "__main__":
    main()
