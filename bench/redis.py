"""Side-by-side benchmark: polystack vs a real redis-server, both with persistence on.

Runs redis-benchmark (the C load generator) against both servers in the same run,
alternating, and prints requests per second, the ratio polystack/redis, the
server CPU seconds per million requests, and the load generator's own CPU time.

    .venv/bin/python bench/redis.py [-n 200000] [--tests set,get,incr,mset]
    .venv/bin/python bench/redis.py --suite ds        # the data-structure commands
    .venv/bin/python bench/redis.py --memory 1000000  # bytes per small hash / sorted set

``--suite ds`` runs redis-benchmark's lpush,lpop,sadd,hset,zadd,lrange_100 tests, ZRANGE
(``ZRANGE bench:zset 0 99`` on a 100-member sorted set loaded first) and EVALSHA (below).
``--bare`` adds a third server, ``bench/bare_redis.py``
(a bare uvloop + hiredis loop: the ceiling of a Python server on this machine), and
``--before DIR`` a second polystack run from another source tree (``DIR/src``), in the same
run and alternation, for before/after comparisons on a noisy machine.  ``--memory N`` loads N
small strings (``SET string:<i> value-<i>``), then N small hashes (``HSET hash:<i> f1 <v> f2 <v>
f3 <v>``) and then N small sorted sets (``ZADD zset:<i> 1 a 2 b 3 c``) into each server (and the
``--before`` tree's) through ``redis-cli --pipe`` and prints the memory
each server gained per key: the process's resident set (VmRSS) for both, and Redis's
``INFO memory`` used_memory beside it.

``--tests ...,evalsha`` adds a Lua workload: EVALSHA of a cached script (a fixed-window rate
limiter: INCR, then EXPIRE on the window's first hit) on 100,000 random keys, through
redis-benchmark's arbitrary-command mode (the script is loaded into each server first).
``--keyspace N`` passes ``-r N`` to the built-in tests: without it redis-benchmark sends the
same bytes for every request of a test (``key:__rand_int__`` as written); with it each request's
key or member differs (same length), as an application's do.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
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
    def __init__(
        self, name: str, argv: list[str], port: int, workdir: str, env: dict | None = None
    ) -> None:
        self.name = name
        self.port = port
        self.proc = subprocess.Popen(
            argv, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_port(port, self.proc)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


ZRANGE_KEY = "bench:zset"
# The EVALSHA workload's script: a fixed-window rate limiter.
LIMITER = (
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
    "return n"
)
LIMITER_SHA = hashlib.sha1(LIMITER.encode()).hexdigest()
CUSTOM = {
    "zrange": ["ZRANGE", ZRANGE_KEY, "0", "99"],
    "evalsha": ["-r", "100000", "EVALSHA", LIMITER_SHA, "1", "rl:__rand_int__", "60"],
}
BARE_TESTS = {"set", "get", "incr", "mset", "lpush", "lpop", "sadd", "hset", "zadd"}
DS_SUITE = "lpush,lpop,sadd,hset,zadd,lrange_100,zrange,evalsha"


def resp(*args: str) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a.encode()
        out.append(b"$%d\r\n%b\r\n" % (len(b), b))
    return b"".join(out)


def pipe_in(port: int, data: bytes) -> None:
    """Send pre-encoded commands through ``redis-cli --pipe`` (replies checked by it)."""
    subprocess.run(
        ["redis-cli", "-p", str(port), "--pipe", "--pipe-timeout", "0"],
        input=data,
        check=True,
        capture_output=True,
    )


def prepare(port: int) -> None:
    """The data the custom tests read: a 100-member sorted set, and the EVALSHA script."""
    members = []
    for i in range(100):
        members += [str(i), f"member:{i}"]
    pipe_in(
        port,
        resp("DEL", ZRANGE_KEY)
        + resp("ZADD", ZRANGE_KEY, *members)
        + resp("SCRIPT", "LOAD", LIMITER),
    )


def run_benchmark(
    port: int, tests: str, n: int, clients: int, pipeline: int, keyspace: int = 0
) -> tuple[dict[str, float], float]:
    """Built-in redis-benchmark tests in one run, then each custom test (its own run).
    ``keyspace``: redis-benchmark's ``-r`` for the built-in tests (0: its default, every
    request of a test the same bytes)."""
    names = tests.split(",")
    builtin = ",".join(t for t in names if t not in CUSTOM)
    rps: dict[str, float] = {}
    gen = 0.0
    if builtin:
        rand = ["-r", str(keyspace)] if keyspace else []
        got, g = _redis_benchmark(port, [*rand, "-t", builtin], n, clients, pipeline)
        rps.update(got)
        gen += g
    for t in names:
        if t in CUSTOM:
            got, g = _redis_benchmark(port, CUSTOM[t], n, clients, pipeline)
            rps[t] = next(iter(got.values()))
            gen += g
    return rps, gen


def _redis_benchmark(
    port: int, what: list[str], n: int, clients: int, pipeline: int
) -> tuple[dict[str, float], float]:
    argv = [
        "redis-benchmark",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-n",
        str(n),
        "-c",
        str(clients),
        "-P",
        str(pipeline),
        "--csv",
        *what,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    gen_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rps: dict[str, float] = {}
    for row in csv.reader(io.StringIO(out)):
        if not row or row[0] == "test" or "needed to benchmark" in row[0]:
            continue
        name = row[0].split()[0].lower()
        rps[name] = float(row[1])
    return rps, gen_cpu


def polystack_target(name: str, port: int, tmp: str, src: str | None = None) -> Target:
    env = None
    if src is not None:
        env = dict(os.environ, PYTHONPATH=os.path.join(src, "src"))
    argv = [sys.executable, "-m", "polystack.cli", "serve", "--only", "redis"]
    argv += ["--redis-port", str(port), "--admin-port", "0"]
    argv += ["--data-dir", os.path.join(tmp, name), "--log-level", "warning"]
    return Target(name, argv, port, tmp, env)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument(
        "--tests", help="default: set,get,incr,mset (with --suite ds: the suite's tests)"
    )
    ap.add_argument("--suite", choices=["ds"], help="ds: " + DS_SUITE)
    ap.add_argument("--rounds", type=int, default=2, help="best of N rounds per configuration")
    ap.add_argument("--memory", type=int, default=0, help="measure memory per key for N keys")
    ap.add_argument("--configs", default="-c 50,-c 50 -P 16,-c 1")
    ap.add_argument("--bare", action="store_true", help="also bench/bare_redis.py (the ceiling)")
    ap.add_argument(
        "--keyspace",
        type=int,
        default=0,
        help="redis-benchmark -r N for the built-in tests (keys and members differ per request)",
    )
    ap.add_argument("--before", help="also polystack from this source tree (DIR/src)")
    args = ap.parse_args()
    if not args.tests:
        args.tests = DS_SUITE if args.suite == "ds" else "set,get,incr,mset"
    if not shutil.which("redis-benchmark") or not shutil.which("redis-server"):
        print("redis-benchmark/redis-server not found: apt-get install redis-server redis-tools")
        return 1
    tmp = tempfile.mkdtemp(prefix="bench-redis-")
    targets: list[Target] = []
    try:
        targets.append(polystack_target("polystack", free_port(), tmp))
        os.makedirs(os.path.join(tmp, "r"))
        rport = free_port()
        real = Target(
            "redis",
            ["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", os.path.join(tmp, "r")],
            rport,
            tmp,
        )
        targets.append(real)
        if args.before:
            targets.insert(1, polystack_target("before", free_port(), tmp, args.before))
        if args.bare:
            bport = free_port()
            bare = [sys.executable, str(ROOT / "bench" / "bare_redis.py"), "--port", str(bport)]
            targets.append(Target("bare", bare, bport, tmp))
        if args.memory:
            return memory([t for t in targets if t.name != "bare"], args.memory)
        return run_suite(args, targets)
    finally:
        for t in targets:
            t.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run_suite(args: argparse.Namespace, targets: list[Target]) -> int:
    configs = []
    for label in args.configs.split(","):
        words = label.split()
        c = int(words[words.index("-c") + 1])
        p = int(words[words.index("-P") + 1]) if "-P" in words else 1
        configs.append((label, c, p))
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True)
    rand = f" -r {args.keyspace}" if args.keyspace else ""
    print(
        f"redis-benchmark -t {args.tests} -n {args.n}{rand}; best of {args.rounds} rounds, "
        "alternating"
    )
    print(
        "polystack: appendfsync everysec (default); redis-server "
        f"{version.stdout.split()[2]}: --appendonly yes --appendfsync everysec"
        + ("; bare: bench/bare_redis.py (no persistence)" if args.bare else "")
    )
    names = [t.name for t in targets]
    for t in targets:  # warm up
        run_benchmark(t.port, "set,get", 20000, 50, 1)
        if t.name != "bare":
            prepare(t.port)
    for label, c, p in configs:
        best: dict[str, dict[str, float]] = {n: {} for n in names}
        cpu = dict.fromkeys(names, 0.0)
        gen = dict.fromkeys(names, 0.0)
        reqs = dict.fromkeys(names, 0)
        for _ in range(args.rounds):
            for t in targets:
                tests = args.tests
                if t.name == "bare":
                    tests = ",".join(x for x in tests.split(",") if x in BARE_TESTS)
                    if not tests:
                        continue
                c0 = cpu_seconds(t.proc.pid)
                rps, g = run_benchmark(t.port, tests, args.n, c, p, args.keyspace)
                cpu[t.name] += cpu_seconds(t.proc.pid) - c0
                gen[t.name] += g
                reqs[t.name] += args.n * len(rps)
                for k, v in rps.items():
                    best[t.name][k] = max(best[t.name].get(k, 0.0), v)
        print(f"\n{label}")
        head = f"  {'test':<10}" + "".join(f" {n + ' req/s':>16}" for n in names)
        others = [n for n in names if n != "redis"]
        print(head + "".join(f" {n[:9] + '/redis':>15}" for n in others))
        for test, theirs in best["redis"].items():
            line = f"  {test:<10}"
            for n in names:
                v = best[n].get(test)
                line += f" {v:>16,.0f}" if v else f" {'-':>16}"
            for n in others:
                v = best[n].get(test)
                line += f" {v / theirs:>15.2f}" if v else f" {'-':>15}"
            print(line)
        for n in names:
            per_m = cpu[n] / max(1, reqs[n]) * 1e6
            print(
                f"  {n:<10} server CPU {per_m:6.2f} s per million requests; "
                f"load generator CPU {gen[n]:.2f} s for {reqs[n]:,} requests"
            )
    return 0


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def used_memory(port: int) -> int:
    out = subprocess.run(
        ["redis-cli", "-p", str(port), "INFO", "memory"], capture_output=True, text=True
    ).stdout
    for line in out.splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return 0


KINDS = ("string", "hash", "zset")


def _load(kind: str, n: int) -> bytes:
    chunks = []
    for i in range(n):
        if kind == "string":
            chunks.append(resp("SET", f"string:{i}", f"value-{i}"))
        elif kind == "hash":
            chunks.append(resp("HSET", f"hash:{i}", "f1", f"v{i}", "f2", "value-2", "f3", "3"))
        else:
            chunks.append(resp("ZADD", f"zset:{i}", "1", "a", "2", "b", "3", f"m{i}"))
    return b"".join(chunks)


def memory(targets: list[Target], n: int) -> int:
    """Each kind's keys into every server (one after the other), and what each process's
    resident set grew by, per key; Redis's own used_memory growth beside it."""
    print(
        f"memory per key: {n:,} small strings (SET string:<i> value-<i>), then {n:,} small "
        f"hashes (3 fields), then {n:,} small sorted sets (3 members)"
    )
    ours = [t for t in targets if t.name != "redis"]
    real = next(t for t in targets if t.name == "redis")
    head = f"  {'keys':<8}" + "".join(f" {t.name + ' RSS/key':>20}" for t in ours)
    print(head + f" {'redis RSS/key':>14} {'redis used_memory/key':>22}")
    for kind in KINDS:
        data = _load(kind, n)
        grew: dict[str, float] = {}
        used0 = used_memory(real.port)
        for t in targets:
            before = rss_bytes(t.proc.pid)
            pipe_in(t.port, data)
            grew[t.name] = (rss_bytes(t.proc.pid) - before) / n
        used = (used_memory(real.port) - used0) / n
        line = f"  {kind:<8}" + "".join(f" {grew[t.name]:>20,.0f}" for t in ours)
        print(line + f" {grew['redis']:>14,.0f} {used:>22,.0f}")
        ratios = ", ".join(f"{t.name} {grew[t.name] / grew['redis']:.2f}" for t in ours)
        print(f"  {'':<8} ratio to redis's RSS growth: {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
