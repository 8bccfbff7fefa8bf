"""Redis Cluster benchmark: a 3-master polystack cluster vs a 3-master redis-server 7.0
cluster, in the same run.

1. Throughput: ``redis-benchmark --cluster -t set,get -c 50`` and the same with ``-P 16``
   against each cluster (several rounds, the clusters alternating; median and spread).
   Clusters:
     redis      three redis-server processes joined by ``redis-cli --cluster create``
     polystack-3proc  three ``polystack serve`` processes joined by ``redis-cli --cluster
                create``, the same shape as the real cluster: the headline, whose ratios
                the issue's targets are about
     polystack  ``polystack serve --redis-cluster 3``: the three masters in one process
                (one core; ``--no-inprocess`` leaves it out)
   Each cluster's server CPU seconds (all its processes) and redis-benchmark's own CPU time
   (and how busy it kept its one thread: near 100 % means the generator was the limit) are
   printed beside the requests per second.  Every cluster first gets ``--warmup`` requests
   that are not counted; the clusters take turns, in reverse order every other round; the
   load average is printed at the start and the end.  ``--idle S`` first measures each idle
   cluster's CPU per second (the crons, the bus pings and gossip).
2. Failover: 3 masters + 3 replicas, each node its own process (redis-server, or
   ``polystack serve``), ``cluster-node-timeout`` 2000 ms; a master is SIGKILLed and the time
   until redis-py's RedisCluster client writes a key of that master's slots is taken.

All servers run with a command log (``appendonly yes``, ``appendfsync everysec``).

    .venv/bin/python bench/redis_cluster.py [--requests 200000] [--rounds 3] [--failovers 3]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/redis.py would shadow the redis client package: look it up without this directory.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

import redis  # noqa: E402
from redis.cluster import ClusterNode, RedisCluster  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
NODE_TIMEOUT = 2000


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 < 65536:
            return port


def consecutive_ports(n: int) -> int:
    """A first port such that it and the next n-1 (and their bus ports) are free."""
    while True:
        base = free_port()
        if base + n + 10000 >= 65536:
            continue
        socks = []
        try:
            for p in [base + i for i in range(n)] + [base + 10000 + i for i in range(n)]:
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()


def wait_ping(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            redis.Redis(port=port, socket_timeout=1).ping()
            return
        except redis.RedisError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} did not answer")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / CLK_TCK


def cluster_ok(port: int) -> bool:
    try:
        info = redis.Redis(port=port, socket_timeout=2, decode_responses=True).cluster("info")
    except redis.RedisError:
        return False
    return info.get("cluster_state") == "ok"


def wait_cluster(ports: list[int], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not all(cluster_ok(p) for p in ports):
        if time.monotonic() > deadline:
            raise RuntimeError(f"cluster on {ports} not ok")
        time.sleep(0.1)


class Node:
    """One cluster node in its own process."""

    def __init__(self, kind: str, workdir: str) -> None:
        self.kind = kind
        self.port = free_port()
        self.dir = tempfile.mkdtemp(dir=workdir)
        if kind == "redis":
            argv = [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--appendonly", "yes",
                "--appendfsync", "everysec", "--cluster-enabled", "yes",
                "--cluster-node-timeout", str(NODE_TIMEOUT),
            ]  # fmt: skip
        else:
            conf = os.path.join(self.dir, "redis.conf")
            with open(conf, "w") as f:
                f.write(
                    f"port {self.port}\nbind 127.0.0.1\ncluster-enabled yes\n"
                    f"cluster-node-timeout {NODE_TIMEOUT}\nappendonly yes\n"
                    'appendfsync everysec\nsave ""\n'
                )
            argv = [
                sys.executable, "-m", "polystack.cli", "serve", "--only", "redis",
                "--redis-config", conf, "--data-dir", os.path.join(self.dir, "data"),
                "--admin-port", "0",
            ]  # fmt: skip
        self.proc = subprocess.Popen(
            argv, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_ping(self.port, self.proc)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Cluster:
    def __init__(self, kind: str, workdir: str, masters: int = 3, replicas: int = 0) -> None:
        self.kind = kind
        self.nodes: list[Node] = []
        self.proc: subprocess.Popen | None = None
        if kind == "polystack":  # all masters in one process
            base = consecutive_ports(masters)
            d = tempfile.mkdtemp(dir=workdir)
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "polystack.cli", "serve", "--only", "redis",
                 "--redis-port", str(base), "--redis-cluster", str(masters),
                 "--redis-cluster-replicas", str(replicas), "--appendfsync", "everysec",
                 "--data-dir", d, "--admin-port", "0"],
                cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            self.ports = [base + i for i in range(masters * (1 + replicas))]
            for p in self.ports:
                wait_ping(p, self.proc)
        else:
            node_kind = "redis" if kind == "redis" else "polystack"
            self.nodes = [Node(node_kind, workdir) for _ in range(masters * (1 + replicas))]
            self.ports = [n.port for n in self.nodes]
            out = subprocess.run(
                ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
                 "--cluster-replicas", str(replicas), "--cluster-yes"],
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            if out.returncode != 0:
                raise RuntimeError(out.stdout[-2000:] + out.stderr[-2000:])
        wait_cluster(self.ports)

    def pids(self) -> list[int]:
        if self.proc is not None:
            return [self.proc.pid]
        return [n.proc.pid for n in self.nodes if n.proc.poll() is None]

    def cpu(self) -> float:
        return sum(cpu_seconds(p) for p in self.pids())

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for n in self.nodes:
            n.stop()


def run_benchmark(cluster: Cluster, requests: int, pipeline: int) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0 = cluster.cpu()
    t0 = time.monotonic()
    out = subprocess.run(
        ["redis-benchmark", "--cluster", "-h", "127.0.0.1", "-p", str(cluster.ports[0]),
         "-t", "set,get", "-c", "50", "-P", str(pipeline), "-n", str(requests),
         "-r", "100000", "-q"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rps: dict[str, float] = {}
    for line in out.stdout.replace("\r", "\n").splitlines():
        m = re.match(r"^(SET|GET): ([\d.]+) requests per second", line.strip())
        if m:
            rps[m.group(1)] = float(m.group(2))
    if set(rps) != {"SET", "GET"}:
        raise RuntimeError(f"redis-benchmark output not understood: {out.stdout[-1000:]}")
    rps["server_cpu"] = cluster.cpu() - cpu0
    rps["bench_cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    rps["bench_busy"] = rps["bench_cpu"] / (time.monotonic() - t0)
    return rps


def idle_cpu(cluster: Cluster, seconds: float, settle: float = 3.0) -> float:
    """CPU seconds per second of an idle cluster (the crons, the bus pings and gossip)."""
    time.sleep(settle)
    c0, t0 = cluster.cpu(), time.monotonic()
    time.sleep(seconds)
    return (cluster.cpu() - c0) / (time.monotonic() - t0)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def failover(kind: str, workdir: str) -> tuple[float, float]:
    """3 masters + 3 replicas in six processes; SIGKILL a master; seconds until its replica
    says ROLE master, and until RedisCluster writes a key of its slots."""
    cluster = Cluster("redis" if kind == "redis" else "polystack-3proc", workdir, 3, 1)
    try:
        victim = cluster.nodes[0]  # redis-cli makes the first three nodes the masters
        rc = RedisCluster(
            startup_nodes=[ClusterNode("127.0.0.1", p) for p in cluster.ports[1:]],
            socket_timeout=1,
        )
        slots = redis.Redis(port=victim.port).cluster("slots")
        slot = next(a for a, _b, owner, *_ in slots if owner[1] == victim.port)
        key = next(k for k in (f"fo:{i}" for i in range(100000)) if rc.keyslot(k) == slot)
        rc.set(key, "before")
        replica_port = next(
            p for p in cluster.ports[3:]
            if redis.Redis(port=p).execute_command("ROLE")[1:3] == [b"127.0.0.1", victim.port]
        )  # fmt: skip
        while redis.Redis(port=replica_port).execute_command("ROLE")[3] != b"connected":
            time.sleep(0.05)
        time.sleep(0.5)
        probe = redis.Redis(port=replica_port, socket_timeout=1)
        started = time.monotonic()
        victim.proc.kill()
        victim.proc.wait()
        promoted = None
        while promoted is None:
            if probe.execute_command("ROLE")[0] == b"master":
                promoted = time.monotonic() - started
            else:
                time.sleep(0.01)
            if time.monotonic() - started > 60:
                raise RuntimeError("no promotion within 60 s")
        while True:
            try:
                rc.set(key, "after")
                elapsed = time.monotonic() - started
                break
            except redis.RedisError:
                time.sleep(0.02)
            if time.monotonic() - started > 60:
                raise RuntimeError("no failover within 60 s")
        rc.close()
        return promoted, elapsed
    finally:
        cluster.stop()


def spread(xs: list[float]) -> str:
    return f"{statistics.median(xs):,.0f} ({min(xs):,.0f}-{max(xs):,.0f})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--failovers", type=int, default=3)
    ap.add_argument(
        "--procs", action="store_true", help="(kept for old command lines: always on now)"
    )
    ap.add_argument("--no-inprocess", action="store_true", help="leave out the in-process cluster")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument(
        "--warmup", type=int, default=20_000, help="requests per cluster before the rounds"
    )
    ap.add_argument(
        "--idle", type=float, default=0, help="first measure each idle cluster's CPU (seconds)"
    )
    args = ap.parse_args()
    for tool in ("redis-server", "redis-cli", "redis-benchmark"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed (scripts/install-test-deps)")
    kinds = ["redis", "polystack-3proc"] + ([] if args.no_inprocess else ["polystack"])
    workdir = tempfile.mkdtemp(prefix="bench-cluster-")
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    failovers: dict[str, list[tuple[float, float]]] = {"redis": [], "polystack": []}
    idle: dict[str, float] = {}
    print(f"load average at the start: {load_average()}", flush=True)
    try:
        if not args.skip_throughput:
            clusters = {k: Cluster(k, workdir) for k in kinds}
            try:
                if args.idle:
                    for kind in kinds:
                        idle[kind] = idle_cpu(clusters[kind], args.idle)
                for kind in kinds if args.warmup else []:
                    for pipeline in (1, 16):  # not counted: code paths, buffers, the AOF file
                        run_benchmark(clusters[kind], args.warmup * pipeline, pipeline)
                for i in range(args.rounds):
                    for pipeline in (1, 16):
                        # the clusters take turns, in the reverse order every other round, so
                        # a drift of the machine's load does not favour one of them
                        for kind in kinds if i % 2 == 0 else kinds[::-1]:
                            r = run_benchmark(clusters[kind], args.requests * pipeline, pipeline)
                            results.setdefault((kind, pipeline), []).append(r)
            finally:
                for c in clusters.values():
                    c.stop()
        for _ in range(args.failovers):
            for kind in ("redis", "polystack"):
                failovers[kind].append(failover(kind, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average at the end: {load_average()}")
    if idle:
        print(f"idle cluster CPU over {args.idle:.0f} s (all its processes, after settling):")
        for kind in kinds:
            print(f"  {kind:<16} {idle[kind] * 1000:.1f} ms CPU per second")
    if results:
        print(f"redis-benchmark --cluster -t set,get -c 50 -r 100000, {args.rounds} rounds, "
              "median (min-max) requests/s; CPU seconds per round (median)")  # fmt: skip
        for pipeline in (1, 16):
            n = args.requests * pipeline
            print(f"-P {pipeline} -n {n}:")
            base = results[("redis", pipeline)]
            for kind in kinds:
                rs = results[(kind, pipeline)]
                line = f"  {kind:<16}"
                for op in ("SET", "GET"):
                    xs = [r[op] for r in rs]
                    ratio = statistics.median(xs) / statistics.median([r[op] for r in base])
                    line += f" {op} {spread(xs):>26} ({ratio:.2f}x)"
                    if kind != "redis":  # each round against the real cluster's same round
                        paired = [x / r[op] for x, r in zip(xs, base, strict=True)]
                        line += f" [rounds {' '.join(f'{p:.2f}' for p in paired)}]"
                cpu = statistics.median([r["server_cpu"] for r in rs])
                line += (
                    f"  server CPU {cpu:.2f} s ({cpu / (2 * n) * 1e6:.1f} us/request)"
                    f"  redis-benchmark CPU {statistics.median([r['bench_cpu'] for r in rs]):.2f} s"
                    f" (busy {statistics.median([r['bench_busy'] for r in rs]) * 100:.0f} %)"
                )
                print(line)
    if args.failovers:
        print(f"failover after SIGKILL of a master (3 masters + 3 replicas, one process each, "
              f"cluster-node-timeout {NODE_TIMEOUT} ms), until RedisCluster writes to its slot:")  # fmt: skip
        medians = {}
        for kind, label in (("redis", "redis-server"), ("polystack", "polystack")):
            promoted = [p for p, _ in failovers[kind]]
            written = [w for _, w in failovers[kind]]
            medians[kind] = statistics.median(written)
            print(
                f"  {label:<13} replica ROLE master: median {statistics.median(promoted):.2f} s "
                f"({', '.join(f'{x:.2f}' for x in promoted)}); first write: median "
                f"{medians[kind]:.2f} s ({', '.join(f'{x:.2f}' for x in written)})"
            )
        print(
            f"  ratio polystack/redis (first write) {medians['polystack'] / medians['redis']:.2f}x"
        )


if __name__ == "__main__":
    main()
