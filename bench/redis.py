"""Side-by-side benchmark: polystack vs a real redis-server, both with persistence on.

Runs redis-benchmark (the C load generator) against both servers in the same run,
alternating, and prints requests per second, the ratio polystack/redis, the
server CPU seconds per million requests, and the load generator's own CPU time.

    .venv/bin/python bench/redis.py [-n 200000] [--tests set,get,incr,mset,evalsha]

``evalsha`` is a Lua workload: EVALSHA of a cached script (a fixed-window rate limiter: INCR,
then EXPIRE on the window's first hit) on 100,000 random keys, through redis-benchmark's
arbitrary-command mode.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 20) -> None:
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
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Target:
    def __init__(self, name: str, argv: list[str], port: int, workdir: str) -> None:
        self.name = name
        self.port = port
        self.proc = subprocess.Popen(
            argv, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_port(port, self.proc)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# The EVALSHA workload's script: a fixed-window rate limiter.
LIMITER = (
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
    "return n"
)


def load_script(port: int) -> str:
    """SCRIPT LOAD the limiter; its SHA1."""
    out = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "SCRIPT", "LOAD", LIMITER],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.strip()


def run_benchmark(
    port: int, tests: str, n: int, clients: int, pipeline: int
) -> tuple[dict[str, float], float]:
    names = tests.split(",")
    rps: dict[str, float] = {}
    gen_cpu = 0.0
    if "evalsha" in names:
        names.remove("evalsha")
        sha = load_script(port)
        extra = ["-r", "100000", "EVALSHA", sha, "1", "rl:__rand_int__", "60"]
        got, cpu = _redis_benchmark(port, [], n, clients, pipeline, extra)
        rps["evalsha"] = next(iter(got.values()))
        gen_cpu += cpu
    if names:
        got, cpu = _redis_benchmark(port, ["-t", ",".join(names)], n, clients, pipeline, [])
        rps.update(got)
        gen_cpu += cpu
    return rps, gen_cpu


def _redis_benchmark(
    port: int, tests: list[str], n: int, clients: int, pipeline: int, extra: list[str]
) -> tuple[dict[str, float], float]:
    argv = [
        "redis-benchmark",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        *tests,
        "-n",
        str(n),
        "-c",
        str(clients),
        "-P",
        str(pipeline),
        "--csv",
        *extra,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    gen_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rps: dict[str, float] = {}
    for row in csv.reader(io.StringIO(out)):
        if not row or row[0] == "test":
            continue
        name = row[0].split()[0].lower()
        rps[name] = float(row[1])
    return rps, gen_cpu


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("--tests", default="set,get,incr,mset")
    ap.add_argument("--rounds", type=int, default=2, help="best of N rounds per configuration")
    args = ap.parse_args()
    if not shutil.which("redis-benchmark") or not shutil.which("redis-server"):
        print("redis-benchmark/redis-server not found: apt-get install redis-server redis-tools")
        return 1
    tmp = tempfile.mkdtemp(prefix="bench-redis-")
    ppath = free_port()
    rport = free_port()
    py = sys.executable
    polystack = Target(
        "polystack",
        [
            py,
            "-m",
            "polystack.cli",
            "serve",
            "--only",
            "redis",
            "--redis-port",
            str(ppath),
            "--admin-port",
            "0",
            "--data-dir",
            os.path.join(tmp, "p"),
            "--log-level",
            "warning",
        ],
        ppath,
        tmp,
    )
    os.makedirs(os.path.join(tmp, "r"))
    real = Target(
        "redis",
        [
            "redis-server",
            "--port",
            str(rport),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--dir",
            os.path.join(tmp, "r"),
        ],
        rport,
        tmp,
    )
    configs = [("-c 50", 50, 1), ("-c 50 -P 16", 50, 16), ("-c 1", 1, 1)]
    print(
        f"redis-benchmark -t {args.tests} -n {args.n}; best of {args.rounds} rounds, servers alternating"
    )
    print(
        f"polystack: appendfsync everysec (default); redis-server {subprocess.run(['redis-server', '--version'], capture_output=True, text=True).stdout.split()[2]}: --appendonly yes --appendfsync everysec"
    )
    try:
        # warm both up
        run_benchmark(ppath, "set,get", 20000, 50, 1)
        run_benchmark(rport, "set,get", 20000, 50, 1)
        rows = []
        for label, c, p in configs:
            best: dict[str, dict[str, float]] = {"polystack": {}, "redis": {}}
            cpu: dict[str, float] = {"polystack": 0.0, "redis": 0.0}
            gen: dict[str, float] = {"polystack": 0.0, "redis": 0.0}
            reqs = {"polystack": 0, "redis": 0}
            for _ in range(args.rounds):
                for t in (polystack, real):
                    c0 = cpu_seconds(t.proc.pid)
                    rps, g = run_benchmark(t.port, args.tests, args.n, c, p)
                    cpu[t.name] += cpu_seconds(t.proc.pid) - c0
                    gen[t.name] += g
                    reqs[t.name] += args.n * len(rps)
                    for k, v in rps.items():
                        best[t.name][k] = max(best[t.name].get(k, 0.0), v)
            for test in best["redis"]:
                ours = best["polystack"].get(test, 0.0)
                theirs = best["redis"][test]
                rows.append((label, test, ours, theirs))
            print(f"\n{label}")
            print(f"  {'test':<7} {'polystack req/s':>16} {'redis req/s':>12} {'ratio':>7}")
            for lab, test, ours, theirs in rows:
                if lab == label:
                    print(f"  {test:<7} {ours:>16,.0f} {theirs:>12,.0f} {ours / theirs:>7.2f}")
            for name in ("polystack", "redis"):
                per_m = cpu[name] / max(1, reqs[name]) * 1e6
                print(
                    f"  {name:<10} server CPU {per_m:6.2f} s per million requests; "
                    f"load generator CPU {gen[name]:.2f} s for {reqs[name]:,} requests"
                )
    finally:
        polystack.stop()
        real.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
