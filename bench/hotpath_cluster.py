"""What Redis Cluster mode adds to the request path, in instructions: bench/hotpath.py's Redis
requests (real ``Peer`` objects over a fake transport, 50 connections, ``--pipeline`` requests
per read) against a one-node cluster that owns all 16384 slots (state ok), or with
``--standalone`` against the same service with cluster mode off.

    valgrind --tool=callgrind --zero-before=math_gcd --dump-before=math_lcm \
        python bench/hotpath_cluster.py --only get --turns 5

(the run calls math.gcd just before its timed turns and math.lcm just after, so the first dump
holds their instructions only; divide by turns x 50 x pipeline requests).  ``--callgrind`` does
that for each of cluster/standalone x the requests named by ``--only`` (comma-separated) x
``--pipelines`` and prints instructions per request (``--turns`` at pipeline 16,
proportionally more at smaller pipelines).
``--idle SECONDS`` instead measures an idle in-process cluster's CPU (the cluster cron and
the bus pings): ``polystack serve --redis-cluster N`` as a subprocess, CPU seconds per second
(``--nodes 0``: a standalone ``polystack serve``, for comparison).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import pathlib
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from hotpath import FakeTransport, _redis_requests, _redis_setup  # noqa: E402


async def _service(data: pathlib.Path, cluster: bool, real_clock: bool = False):
    """The Redis service's ListenerState; with ``cluster`` one node owning every slot.  The
    clock is a ManualClock that never moves unless ``real_clock`` (as in bench/hotpath.py):
    under callgrind a turn takes 50 to 100 times as long, so the server's and the cluster's
    crons (ten a second of wall time each) would add a load-dependent cost per request."""
    import polystack.runtime.connection as conn
    from polystack import systems
    from polystack.runtime.alarms import ResourceAlarms
    from polystack.runtime.clock import SYSTEM_CLOCK, ManualClock

    if not real_clock:
        SYSTEM_CLOCK = ManualClock()  # noqa: N806
    from polystack.runtime.http import Routes
    from polystack.runtime.log import LogGroup
    from polystack.runtime.metrics import new_registry
    from polystack.runtime.service import ServerContext

    spec = systems.specs()["redis"]
    section = spec.config()
    section.cluster_enabled = cluster
    group = LogGroup(SYSTEM_CLOCK, "redis")
    ctx = ServerContext(
        "redis", section, data, "127.0.0.1", SYSTEM_CLOCK, group, new_registry(),
        ResourceAlarms(SYSTEM_CLOCK, data), Routes(), lambda reason: None,
    )  # fmt: skip
    svc = spec.service_class()(ctx)
    await svc.recover()
    if cluster:
        state = svc.cluster.state
        for slot in range(16384):
            state.add_slot(state.myself, slot)
        state.first_update_call = state.host.now_ms() - 60_000  # past the writable delay
        state.update_state()
        from polystack.redis.cluster.bus import CLUSTER_OK

        assert state.state == CLUSTER_OK, "the cluster state is not ok"
    return conn.ListenerState("redis", svc.new_client, 10000, b"")


def _tagged_requests(pipeline: int) -> dict[str, bytes]:
    """SET and GET as ``redis-benchmark --cluster`` sends them: its keys carry a hash tag that
    puts them in a slot of the node the client talks to (``key{06S}:<12 digits>``)."""
    key = b"key{06S}:%012d"
    return {
        "settag": b"".join(
            b"*3\r\n$3\r\nSET\r\n$21\r\n%b\r\n$3\r\nxxx\r\n" % (key % i) for i in range(pipeline)
        ),
        "gettag": b"".join(
            b"*2\r\n$3\r\nGET\r\n$21\r\n%b\r\n" % (key % i) for i in range(pipeline)
        ),
    }


async def run(args: argparse.Namespace) -> None:
    import polystack.runtime.connection as conn

    state = await _service(pathlib.Path(tempfile.mkdtemp()), not args.standalone, args.real_clock)
    peers = []
    for _ in range(args.connections):
        p = conn.Peer(state)
        p.connection_made(FakeTransport())
        peers.append(p)
    requests = {**_redis_requests(args.pipeline), **_tagged_requests(args.pipeline)}
    peers[0].data_received(_redis_setup())
    for p in peers:
        p.data_received(requests["set"])
        p.data_received(requests["settag"])
    await asyncio.sleep(0.01)
    for name, req in requests.items():
        if args.only and name != args.only:
            continue
        for _ in range(args.warmup):  # the adaptive interpreter specialised, buffers grown
            for p in peers:
                p.data_received(req)
            await asyncio.sleep(0)
        gc.collect()
        math.gcd(1, 1)  # callgrind --zero-before=math_gcd: the count starts here
        started = time.perf_counter()
        for _ in range(args.turns):
            for p in peers:
                p.data_received(req)
            await asyncio.sleep(0)
        math.lcm(1, 1)  # ... and --dump-before=math_lcm ends it
        n = max(1, args.turns * len(peers) * args.pipeline)
        mode = "standalone" if args.standalone else "cluster"
        print(f"redis {mode} {name}: {(time.perf_counter() - started) / n * 1e9:,.0f} ns/request")


def _instructions(argv: list[str]) -> int:
    """Instructions between the run's math.gcd and math.lcm calls (the timed turns only)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", "--zero-before=math_gcd", "--dump-before=math_lcm",
             f"--callgrind-out-file={out}", *argv],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},  # the same dict layouts every run
        )  # fmt: skip
        dumps = sorted(p for p in os.listdir(tmp) if p.startswith("cg.out."))
        if proc.returncode != 0 or not dumps:
            raise SystemExit(f"callgrind failed:\n{proc.stderr[-2000:]}")
        with open(os.path.join(tmp, dumps[0])) as f:
            m = re.search(r"^summary: (\d+)", f.read(), re.M)
        assert m is not None, "no summary in the callgrind dump"
        return int(m.group(1))


def callgrind(args: argparse.Namespace) -> None:
    """Both modes x requests x pipelines, four callgrind runs at a time."""
    from concurrent.futures import ThreadPoolExecutor

    me = [sys.executable, str(pathlib.Path(__file__).resolve())]
    jobs = {}
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name in args.only.split(","):
            for pipeline in (int(p) for p in args.pipelines.split(",")):
                turns = max(1, args.turns * 16 // pipeline)  # the same number of requests
                for mode in ("--standalone", "--cluster"):
                    argv = [*me, mode, "--only", name, "--pipeline", str(pipeline),
                            "--turns", str(turns), "--warmup", str(args.warmup)]  # fmt: skip
                    jobs[name, pipeline, mode] = (
                        pool.submit(_instructions, argv),
                        turns * args.connections * pipeline,
                    )
    print(f"{'request':<10} {'pipeline':>8} {'standalone':>11} {'cluster':>9} {'added':>7}")
    for name in args.only.split(","):
        for pipeline in (int(p) for p in args.pipelines.split(",")):
            row = [jobs[name, pipeline, m][0].result() / jobs[name, pipeline, m][1]
                   for m in ("--standalone", "--cluster")]  # fmt: skip
            print(
                f"{name:<10} {pipeline:>8} {row[0]:>11,.0f} {row[1]:>9,.0f} "
                f"{row[1] - row[0]:>+7,.0f}"
            )


def _free_base(count: int) -> int:
    """A port P with P..P+count-1 and their bus ports (+10000) free."""
    for _ in range(200):
        base = random.randrange(20000, 55000 - count)
        try:
            for port in [*range(base, base + count), *range(base + 10000, base + 10000 + count)]:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise SystemExit("no free ports")


def idle(args: argparse.Namespace) -> None:
    """CPU seconds per second of an idle ``polystack serve --redis-cluster N`` (after it has
    settled), read from /proc."""
    data = tempfile.mkdtemp()
    port = _free_base(max(1, args.nodes * (1 + args.replicas)))
    exe = shutil.which("polystack", path=os.path.dirname(sys.executable)) or "polystack"
    cluster = ["--redis-cluster", str(args.nodes), "--redis-cluster-replicas", str(args.replicas)]
    proc = subprocess.Popen(
        [exe, "serve", "--only", "redis", "--data-dir", data, "--redis-port", str(port),
         *(cluster if args.nodes else [])],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(data, "serve.log"), "wb"),
    )  # fmt: skip
    try:
        time.sleep(args.settle)
        if proc.poll() is not None:
            with open(os.path.join(data, "serve.log")) as f:
                raise SystemExit(f"polystack serve exited:\n{f.read()[-2000:]}")

        def cpu() -> float:
            with open(f"/proc/{proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        c0, t0 = cpu(), time.monotonic()
        time.sleep(args.idle)
        c1, t1 = cpu(), time.monotonic()
        if proc.poll() is not None:
            raise SystemExit("polystack serve exited during the measurement")
        what = (
            f"idle cluster ({args.nodes} masters, {args.replicas} replicas each)"
            if args.nodes
            else "idle standalone server"
        )
        print(f"{what}: {(c1 - c0) / (t1 - t0) * 1000:.1f} ms CPU per second")
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--standalone", action="store_true", help="cluster mode off")
    ap.add_argument("--cluster", action="store_true", help="(the default)")
    ap.add_argument("--only", default="")
    ap.add_argument("--turns", type=int, default=200)
    ap.add_argument(
        "--warmup",
        type=int,
        default=10,
        help="turns before the counted ones (with 2, a one-off of the type cache, about 800,000 "
        "instructions, fell inside the counted turns of some runs and not of others)",
    )
    ap.add_argument(
        "--real-clock", action="store_true", help="the system clock (the crons' timers fire)"
    )
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--pipeline", type=int, default=16, help="requests per read")
    ap.add_argument("--callgrind", action="store_true", help="count both modes' instructions")
    ap.add_argument("--pipelines", default="1,16", help="with --callgrind")
    ap.add_argument("--jobs", type=int, default=4, help="callgrind runs at a time")
    ap.add_argument("--idle", type=float, default=0, help="seconds of an idle cluster's CPU")
    ap.add_argument("--settle", type=float, default=5.0)
    ap.add_argument("--nodes", type=int, default=3, help="with --idle (0: standalone)")
    ap.add_argument("--replicas", type=int, default=0)
    args = ap.parse_args()
    if args.idle:
        idle(args)
    elif args.callgrind:
        if args.turns == 200:
            args.turns = 5
        callgrind(args)
    else:
        import uvloop

        uvloop.run(run(args))
