"""ZooKeeper benchmark: polystack against Debian's ZooKeeper 3.8, in the same run.

Load: pre-encoded jute requests, a few hundred in flight per session, several sessions per process,
two or more generator processes. Operations: create, exists, getData, setData, getChildren (of a
node with 100 children) and delete of N znodes; then a kazoo Lock contention run. Each server is
measured alternately, best of two rounds per operation; the real ZooKeeper is warmed up first.
Writes are acknowledged after fsync on both (ZooKeeper's default forceSync=yes, polystack's
zookeeper.fsync=always).

    .venv/bin/python bench/zookeeper.py [--znodes 40000] [--procs 2] [--sessions 4] [--window 200]
        [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from polystack.zookeeper.records import (  # noqa: E402
    CreateRequest,
    PathVersionRequest,
    PathWatchRequest,
    SetDataRequest,
)
from polystack.zookeeper.wire import ACL, ConnectRequest, ConnectResponse, Id  # noqa: E402

OPEN = [ACL(31, Id("world", "anyone"))]
INT = struct.Struct(">i")
HDR = struct.Struct(">ii")
OPS = ("create", "exists", "getData", "setData", "getChildren", "delete")


def packet(xid: int, op: int, body: bytes) -> bytes:
    return INT.pack(8 + len(body)) + HDR.pack(xid, op) + body


def connect(host: str, port: int) -> socket.socket:
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = ConnectRequest(0, 0, 30000, 0, bytes(16), False).encode()
    s.sendall(INT.pack(len(body)) + body)
    buf = b""
    while len(buf) < 4 or len(buf) < 4 + INT.unpack_from(buf)[0]:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed during handshake")
        buf += chunk
    ConnectResponse.decode(buf[4:])
    return s


def requests_for(op: str, base: str, count: int, kids: str) -> list[bytes]:
    out = []
    data = b"x" * 16
    for i in range(count):
        path = f"{base}/n{i}"
        xid = i + 1
        if op == "create":
            out.append(packet(xid, 1, CreateRequest(path, data, OPEN, 0).encode()))
        elif op == "exists":
            out.append(packet(xid, 3, PathWatchRequest(path, False).encode()))
        elif op == "getData":
            out.append(packet(xid, 4, PathWatchRequest(path, False).encode()))
        elif op == "setData":
            out.append(packet(xid, 5, SetDataRequest(path, b"y" * 16, -1).encode()))
        elif op == "getChildren":
            out.append(packet(xid, 8, PathWatchRequest(kids, False).encode()))
        elif op == "delete":
            out.append(packet(xid, 2, PathVersionRequest(path, -1).encode()))
    return out


def drive(socks: list[socket.socket], batches: list[list[bytes]], window: int) -> int:
    """Send every connection's requests with ``window`` in flight; returns the error count."""
    sel = selectors.DefaultSelector()
    state = []
    for s, reqs in zip(socks, batches, strict=True):
        s.setblocking(False)
        st = {"sock": s, "reqs": reqs, "next": 0, "done": 0, "buf": b"", "out": b""}
        state.append(st)
        sel.register(s, selectors.EVENT_READ, st)
    errors = 0
    half = max(1, window // 2)

    def refill(st):
        n = st["next"]
        inflight = n - st["done"]
        if inflight <= half and n < len(st["reqs"]):
            k = min(len(st["reqs"]), n + (window - inflight))
            st["out"] += b"".join(st["reqs"][n:k])
            st["next"] = k
        if st["out"]:
            try:
                sent = st["sock"].send(st["out"])
                st["out"] = st["out"][sent:]
            except BlockingIOError:
                pass

    for st in state:
        refill(st)
    remaining = sum(1 for st in state if st["reqs"])
    while remaining:
        for key, _ in sel.select(timeout=1.0):
            st = key.data
            try:
                chunk = st["sock"].recv(1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                raise ConnectionError("server closed the connection")
            buf = st["buf"] + chunk if st["buf"] else chunk
            pos = 0
            end = len(buf)
            done = st["done"]
            while end - pos >= 4:
                n = INT.unpack_from(buf, pos)[0]
                if end - pos < 4 + n:
                    break
                if INT.unpack_from(buf, pos + 16)[0] != 0:
                    errors += 1
                pos += 4 + n
                done += 1
            st["buf"] = buf[pos:]
            st["done"] = done
            if done >= len(st["reqs"]):
                sel.unregister(st["sock"])
                remaining -= 1
            else:
                refill(st)
        for st in state:
            if st["out"]:
                refill(st)
    for s in socks:
        s.setblocking(True)
    return errors


def worker(host, port, proc_id, sessions, per_session, window, barrier, results):
    socks = [connect(host, port) for _ in range(sessions)]
    bases = [f"/bench/p{proc_id}s{j}" for j in range(sessions)]
    t0 = os.times()
    for op in OPS:
        batches = [requests_for(op, b, per_session, "/bench/kids") for b in bases]
        barrier.wait()
        start = time.perf_counter()
        errors = drive(socks, batches, window)
        elapsed = time.perf_counter() - start
        results.put((op, proc_id, elapsed, errors))
        barrier.wait()
    t1 = os.times()
    results.put(("cpu", proc_id, (t1.user - t0.user) + (t1.system - t0.system), 0))
    for s in socks:
        s.close()


def setup_tree(host, port, procs, sessions):
    s = connect(host, port)
    reqs = [packet(1, 1, CreateRequest("/bench", b"", OPEN, 0).encode())]
    reqs.append(packet(2, 1, CreateRequest("/bench/kids", b"", OPEN, 0).encode()))
    for i in range(100):
        reqs.append(packet(3 + i, 1, CreateRequest(f"/bench/kids/k{i:03d}", b"", OPEN, 0).encode()))
    for p in range(procs):
        for j in range(sessions):
            reqs.append(packet(200, 1, CreateRequest(f"/bench/p{p}s{j}", b"", OPEN, 0).encode()))
    drive([s], [reqs], 100)
    s.close()


def teardown_tree(host, port, procs, sessions):
    s = connect(host, port)
    reqs = []
    for i in range(100):
        reqs.append(packet(1, 2, PathVersionRequest(f"/bench/kids/k{i:03d}", -1).encode()))
    reqs.append(packet(2, 2, PathVersionRequest("/bench/kids", -1).encode()))
    for p in range(procs):
        for j in range(sessions):
            reqs.append(packet(3, 2, PathVersionRequest(f"/bench/p{p}s{j}", -1).encode()))
    reqs.append(packet(4, 2, PathVersionRequest("/bench", -1).encode()))
    drive([s], [reqs], 100)
    s.close()


def run_round(host, port, znodes, procs, sessions, window):
    per_session = max(1, znodes // (procs * sessions))
    total = per_session * procs * sessions
    setup_tree(host, port, procs, sessions)
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(procs + 1)
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=worker,
            args=(host, port, p, sessions, per_session, window, barrier, results),
        )
        for p in range(procs)
    ]
    for w in workers:
        w.start()
    rates = {}
    errors = {}
    for op in OPS:
        barrier.wait()
        t0 = time.perf_counter()
        barrier.wait()
        wall = time.perf_counter() - t0
        rates[op] = total / wall
        errors[op] = 0
    cpu = 0.0
    got = 0
    while got < procs * (len(OPS) + 1):
        op, _, value, err = results.get(timeout=600)
        got += 1
        if op == "cpu":
            cpu += value
        else:
            errors[op] += err
    for w in workers:
        w.join()
    teardown_tree(host, port, procs, sessions)
    return rates, errors, cpu, total


def lock_contention(hosts, clients=4, rounds=50):
    from kazoo.client import KazooClient

    zks = [KazooClient(hosts) for _ in range(clients)]
    for z in zks:
        z.start()
    path = f"/bench-lock-{os.getpid()}"
    count = [0]
    lock = threading.Lock()

    def run(z):
        lk = z.Lock(path)
        for _ in range(rounds):
            with lk:
                with lock:
                    count[0] += 1

    threads = [threading.Thread(target=run, args=(z,)) for z in zks]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    zks[0].delete(path, recursive=True)
    for z in zks:
        z.stop()
        z.close()
    return count[0] / elapsed


class Polystack:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="bench-polystack-")
        from tests.zookeeper.realzk import free_port

        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from polystack.cli import main; main()",
                "serve",
                "--only",
                "zookeeper",
                "--zookeeper-port",
                str(self.port),
                "--admin-port",
                "0",
                "--data-dir",
                self.dir,
                "--log-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("polystack did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--znodes", type=int, default=40000)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--window", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--only", choices=("polystack", "real"), default=None)
    ap.add_argument("--write", default=None, help="update the ZooKeeper section of this file")
    args = ap.parse_args()

    from tests.zookeeper.realzk import RealZooKeeper, missing_reason

    targets = {}
    ps = Polystack() if args.only != "real" else None
    real = None
    if args.only != "polystack":
        reason = missing_reason()
        if reason:
            print(f"skipping the real ZooKeeper: {reason}")
        else:
            real = RealZooKeeper()
    try:
        if ps:
            targets["polystack"] = ("127.0.0.1", ps.port)
        if real:
            targets["zookeeper"] = ("127.0.0.1", real.port)
            print("warming up the real ZooKeeper ...", flush=True)
            run_round(*targets["zookeeper"], 8000, args.procs, args.sessions, args.window)
        best: dict[str, dict[str, float]] = {t: {} for t in targets}
        cpu_used: dict[str, float] = {t: 0.0 for t in targets}
        locks: dict[str, float] = {t: 0.0 for t in targets}
        total = 0
        for rnd in range(args.rounds):
            for name, (host, port) in targets.items():
                rates, errors, cpu, total = run_round(
                    host, port, args.znodes, args.procs, args.sessions, args.window
                )
                for op, r in rates.items():
                    best[name][op] = max(best[name].get(op, 0.0), r)
                cpu_used[name] = max(cpu_used[name], cpu)
                locks[name] = max(locks[name], lock_contention(f"{host}:{port}"))
                line = "  ".join(f"{op} {rates[op]:>9.0f}/s" for op in OPS)
                bad = {op: e for op, e in errors.items() if e}
                print(
                    f"round {rnd + 1} {name:<10} {line}  lock {locks[name]:.0f}/s  "
                    f"generator cpu {cpu:.1f}s" + (f"  ERRORS {bad}" if bad else ""),
                    flush=True,
                )
        rows = []
        for op in OPS:
            p = best.get("polystack", {}).get(op)
            z = best.get("zookeeper", {}).get(op)
            ratio = f"{p / z:.2f}x" if p and z else "-"
            rows.append((op, z, p, ratio))
        p = locks.get("polystack")
        z = locks.get("zookeeper")
        rows.append(("kazoo Lock (4 clients)", z, p, f"{p / z:.2f}x" if p and z else "-"))
        table = [
            "| operation | ZooKeeper 3.8 ops/s | polystack ops/s | ratio |",
            "|---|---:|---:|---:|",
        ]
        for op, z, p, ratio in rows:
            table.append(
                f"| {op} | {z:,.0f} | {p:,.0f} | {ratio} |".replace("None", "-")
                if z and p
                else f"| {op} | {z or '-'} | {p or '-'} | {ratio} |"
            )
        print()
        print("\n".join(table))
        print(
            f"\n{total} znodes, {args.procs} generator processes x {args.sessions} sessions, "
            f"{args.window} requests in flight per session; generator CPU per round "
            + ", ".join(f"{n} {c:.1f}s" for n, c in cpu_used.items())
        )
        if args.write:
            write_section(Path(args.write), table, total, args, cpu_used)
    finally:
        if ps:
            ps.stop()
        if real:
            real.stop()


def write_section(path: Path, table, total, args, cpu_used) -> None:
    start, end = "<!-- zookeeper-bench:start -->", "<!-- zookeeper-bench:end -->"
    body = "\n".join(
        [
            start,
            "## ZooKeeper",
            "",
            "`bench/zookeeper.py`: polystack and Debian's ZooKeeper 3.8 (standalone, default "
            "forceSync, warmed up) measured alternately in the same run, best of "
            f"{args.rounds} rounds. {total} znodes; {args.procs} generator processes x "
            f"{args.sessions} sessions, {args.window} pre-encoded requests in flight per session. "
            "Writes are acknowledged after fsync on both servers. getChildren reads a node with "
            "100 children.",
            "",
            *table,
            "",
            "kazoo Lock: 4 kazoo clients (threads of one process) take one Lock 50 times each; "
            "this run is bound by kazoo's client threads and the lock's round trips, so it "
            "measures latency more than server throughput.",
            "",
            "Generator CPU per round: "
            + ", ".join(f"{n} {c:.1f}s" for n, c in cpu_used.items())
            + ".",
            end,
        ]
    )
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        a = text.index(start)
        b = text.index(end) + len(end)
        text = text[:a] + body + text[b:]
    else:
        text = text.rstrip() + "\n\n" + body + "\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
