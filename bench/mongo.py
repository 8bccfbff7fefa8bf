"""MongoDB benchmark: polystack against SecantusDB (a Python wire server) and mongomock.

Every workload runs through pymongo against polystack and SecantusDB (each a subprocess on a
free port) and through mongomock's in-process client, in the same run, on the same documents:

    insert_many   N small documents in one insert_many call (pymongo batches them)
    find_by_id    find_one({_id}) for random inserted ids
    range_sort    an indexed range with sort and limit: {age: {$gte: a, $lt: a+2}} sort age
    unindexed     a filter on fields without an index (a collection scan)
    group         $group by city with $sum/$avg
    update_many   update_many({age: {$lt: 10}}, {$inc: {score: 1}})

Query workloads run for a time budget each (at least one operation), so a slow peer cannot
stall the run; results are operations per second, with the ratio polystack/peer.  The load
generator's own CPU time is printed beside the server's (from /proc).  polystack's resident
memory per stored document and its restart (recovery) time at --recovery-docs documents are
measured too.

    .venv/bin/python bench/mongo.py [--docs 100000] [--budget 3] [--recovery-docs 1000000]
        [--skip secantusdb,mongomock] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import bson  # noqa: E402
import pymongo  # noqa: E402

WORKLOADS = ("insert_many", "find_by_id", "range_sort", "unindexed", "group", "update_many")
QUERY_WORKLOADS = ("find_by_id", "range_sort", "unindexed", "group")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_docs(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "i": i,
            "name": f"user{i}",
            "age": i % 90,
            "city": f"city{i % 50}",
            "score": rng.randrange(1000),
        }
        for i in range(n)
    ]


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / tick
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Target:
    name = ""
    pid: int | None = None

    def start(self) -> None: ...

    def client(self) -> Any: ...

    def stop(self) -> None: ...


class Subprocess(Target):
    def __init__(self, name: str, argv_fn: Any) -> None:
        self.name = name
        self.argv_fn = argv_fn
        self.proc: subprocess.Popen | None = None
        self.tmp = tempfile.mkdtemp(prefix=f"bench-{name}-")
        self.port = free_port()

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLYSTACK_")}
        self.proc = subprocess.Popen(
            self.argv_fn(self.port, self.tmp),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.pid = self.proc.pid
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                c = pymongo.MongoClient(
                    f"mongodb://127.0.0.1:{self.port}/",
                    directConnection=True,
                    serverSelectionTimeoutMS=500,
                )
                c.admin.command("ping")
                c.close()
                return
            except Exception:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited") from None
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start")

    def client(self) -> Any:
        return pymongo.MongoClient(f"mongodb://127.0.0.1:{self.port}/", directConnection=True)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)


def polystack_argv(port: int, tmp: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "polystack.cli",
        "serve",
        "--only",
        "mongo",
        "--mongo-port",
        str(port),
        "--data-dir",
        tmp,
        "--admin-port",
        str(free_port()),
    ]


def secantus_argv(port: int, tmp: str) -> list[str]:
    exe = Path(sys.executable).with_name("secantusd-py")
    return [
        str(exe),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--storage-path",
        os.path.join(tmp, "data"),
        "--log-level",
        "ERROR",
    ]


class Mongomock(Target):
    name = "mongomock"
    port = 0

    def start(self) -> None:
        import mongomock

        self._client = mongomock.MongoClient()
        self.pid = os.getpid()

    def client(self) -> Any:
        return self._client


def _worker(args: tuple) -> tuple[int, float]:
    """One load-generator process: its own pymongo client, the same operation in a loop."""
    port, kind, budget, seed, ids = args
    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/", directConnection=True)
    coll = client["bench"]["c"]
    coll.find_one()
    rng = random.Random(seed)
    n = 0
    c0 = time.process_time()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < budget:
        if kind == "find_by_id":
            coll.find_one({"_id": bson.ObjectId(ids[rng.randrange(len(ids))])})
        else:
            a = rng.randrange(88)
            list(coll.find({"age": {"$gte": a, "$lt": a + 2}}).sort("age", 1).limit(50))
        n += 1
    client.close()
    return n, time.process_time() - c0


def parallel_ops(
    port: int, kind: str, budget: float, procs: int, ids: list
) -> tuple[int, float, float]:
    """``procs`` load-generator processes for ``budget`` seconds: (ops, wall, client cpu)."""
    import multiprocessing as mp

    raw_ids = [i.binary for i in ids[:20000]]
    ctx = mp.get_context("fork")
    with ctx.Pool(procs) as pool:
        t0 = time.perf_counter()
        res = pool.map(_worker, [(port, kind, budget, k, raw_ids) for k in range(procs)])
        wall = time.perf_counter() - t0
    return sum(r[0] for r in res), wall, sum(r[1] for r in res)


def timed_ops(fn: Any, budget: float, max_ops: int) -> tuple[int, float, float]:
    """Run ``fn(i)`` until ``budget`` seconds or ``max_ops``; returns (ops, wall, client cpu)."""
    n = 0
    c0 = time.process_time()
    t0 = time.perf_counter()
    while n < max_ops:
        fn(n)
        n += 1
        if time.perf_counter() - t0 >= budget:
            break
    return n, time.perf_counter() - t0, time.process_time() - c0


def _measure(t: Target, fn: Any, budget: float, cap: int) -> dict[str, float]:
    in_process = t.pid == os.getpid()
    s0 = 0.0 if in_process else cpu_seconds(t.pid or 0)
    n, wall, ccpu = timed_ops(fn, budget, cap)
    return {
        "ops": n,
        "wall": wall,
        "ops_s": n / wall,
        "client_cpu": ccpu,
        "server_cpu": 0.0 if in_process else cpu_seconds(t.pid or 0) - s0,
    }


def _measure_parallel(
    t: Target, kind: str, budget: float, procs: int, ids: list
) -> dict[str, float]:
    s0 = cpu_seconds(t.pid or 0)
    n, wall, ccpu = parallel_ops(t.port, kind, budget, procs, ids)
    return {
        "ops": n,
        "wall": wall,
        "ops_s": n / wall,
        "client_cpu": ccpu,
        "server_cpu": cpu_seconds(t.pid or 0) - s0,
    }


def run_all(
    targets: list[Target], docs_n: int, budget: float, procs: int, rounds: int
) -> dict[str, dict[str, dict[str, float]]]:
    """Every target is loaded, then each workload is measured on the targets in turn, ``rounds``
    times, keeping each target's best round (the machine's load changes over a run; taking
    turns exposes every target to it alike)."""
    results: dict[str, dict[str, dict[str, float]]] = {t.name: {} for t in targets}
    colls: dict[str, Any] = {}
    ids: list = []
    for t in targets:
        t.start()
        client = t.client()
        coll = client["bench"]["c"]
        coll.drop()
        colls[t.name] = coll
        docs = make_docs(docs_n)
        in_process = t.pid == os.getpid()
        srv0 = 0.0 if in_process else cpu_seconds(t.pid or 0)
        rss0 = rss_bytes(t.pid or 0)
        c0 = time.process_time()
        t0 = time.perf_counter()
        coll.insert_many(docs)
        wall = time.perf_counter() - t0
        results[t.name]["insert_many"] = {
            "ops": docs_n,
            "wall": wall,
            "ops_s": docs_n / wall,
            "client_cpu": time.process_time() - c0,
            "server_cpu": 0.0 if in_process else cpu_seconds(t.pid or 0) - srv0,
        }
        if not in_process:
            time.sleep(1.5)
            rss = rss_bytes(t.pid or 0) - rss0
            bson_size = sum(len(bson.encode(d)) for d in docs) / docs_n
            results[t.name]["memory"] = {"rss_per_doc": rss / docs_n, "bson_per_doc": bson_size}
        coll.create_index("age")
        ids = ids or [d["_id"] for d in docs]
        print(f"   {t.name:10s} insert_many {docs_n / wall:12.1f} docs/s", flush=True)
    rng = random.Random(1)
    ages = [rng.randrange(88) for _ in range(100_000)]

    def workload(name: str, coll: Any) -> tuple[Any, int]:
        if name == "find_by_id":
            picks = [rng.choice(ids) for _ in range(20_000)]
            return (lambda i: coll.find_one({"_id": picks[i % len(picks)]})), 100_000
        if name == "range_sort":
            return (
                lambda i: list(
                    coll.find({"age": {"$gte": ages[i], "$lt": ages[i] + 2}})
                    .sort("age", 1)
                    .limit(50)
                )
            ), 100_000
        if name == "unindexed":
            return (
                lambda i: list(coll.find({"city": f"city{i % 50}", "score": {"$gte": 990}}))
            ), 10_000
        if name == "group":
            return (
                lambda i: list(
                    coll.aggregate(
                        [{"$group": {"_id": "$city", "n": {"$sum": 1}, "avg": {"$avg": "$score"}}}]
                    )
                )
            ), 10_000
        return (lambda i: coll.update_many({"age": {"$lt": 10}}, {"$inc": {"score": 1}})), 1000

    for name in WORKLOADS[1:]:
        for r in range(rounds):
            for t in targets:
                if r and t.name == "mongomock" and results[t.name][name]["wall"] > 5 * budget:
                    continue  # one round of a many-second operation is enough
                in_process = t.pid == os.getpid()
                if procs > 1 and not in_process and name in ("find_by_id", "range_sort"):
                    res = _measure_parallel(t, name, budget, procs, ids)
                else:
                    fn, cap = workload(name, colls[t.name])
                    res = _measure(t, fn, budget, cap)
                best = results[t.name].get(name)
                if best is None or res["ops_s"] > best["ops_s"]:
                    results[t.name][name] = res
        line = "  ".join(f"{t.name} {results[t.name][name]['ops_s']:.1f}" for t in targets)
        print(f"   {name:12s} ops/s: {line}", flush=True)
    for t in targets:
        t.stop()
    return results


def recovery(docs_n: int) -> dict[str, float]:
    """polystack: resident memory per document and restart time at ``docs_n`` documents."""
    t = Subprocess("polystack", polystack_argv)
    t.start()
    try:
        c = t.client()
        coll = c.bench.c
        rss0 = rss_bytes(t.pid or 0)
        batch = 100_000
        bson_total = 0
        for start in range(0, docs_n, batch):
            docs = [
                {
                    "i": i,
                    "name": f"user{i}",
                    "age": i % 90,
                    "city": f"city{i % 50}",
                    "score": i % 1000,
                }
                for i in range(start, min(docs_n, start + batch))
            ]
            coll.insert_many(docs)
            bson_total += sum(len(bson.encode(d)) for d in docs)
        time.sleep(1.0)
        rss = rss_bytes(t.pid or 0) - rss0
        c.close()
        proc = t.proc
        assert proc is not None
        proc.terminate()
        proc.wait(120)
        t0 = time.perf_counter()
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLYSTACK_")}
        t.proc = subprocess.Popen(
            polystack_argv(t.port, t.tmp),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        t.pid = t.proc.pid
        while True:
            try:
                c = pymongo.MongoClient(
                    f"mongodb://127.0.0.1:{t.port}/",
                    directConnection=True,
                    serverSelectionTimeoutMS=200,
                )
                n = c.bench.c.estimated_document_count()
                c.close()
                break
            except Exception:
                time.sleep(0.05)
        restart = time.perf_counter() - t0
        return {
            "docs": docs_n,
            "rss_per_doc": rss / docs_n,
            "bson_per_doc": bson_total / docs_n,
            "restart_s": restart,
            "recovered": n,
            "rss_after_restart_per_doc": rss_bytes(t.pid or 0) / docs_n,
        }
    finally:
        t.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--budget", type=float, default=3.0)
    ap.add_argument("--recovery-docs", type=int, default=1_000_000)
    ap.add_argument("--skip", default="")
    ap.add_argument("--rounds", type=int, default=2, help="rounds per workload (best kept)")
    ap.add_argument(
        "--clients",
        type=int,
        default=4,
        help="load-generator processes for find_by_id and range_sort",
    )
    ap.add_argument("--write", default="")
    args = ap.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    targets: list[Target] = [Subprocess("polystack", polystack_argv)]
    if "secantusdb" not in skip:
        targets.append(Subprocess("secantusdb", secantus_argv))
    if "mongomock" not in skip:
        targets.append(Mongomock())
    results = run_all(targets, args.docs, args.budget, args.clients, args.rounds)
    rec = recovery(args.recovery_docs) if args.recovery_docs else None
    lines = render(results, rec, args)
    print("\n".join(lines))
    if args.write:
        write_block(Path(args.write), lines)


def render(results: dict, rec: dict | None, args: Any) -> list[str]:
    cmd = (
        f".venv/bin/python bench/mongo.py --docs {args.docs} --budget {args.budget} "
        f"--clients {args.clients} --rounds {args.rounds} --recovery-docs {args.recovery_docs}"
        + (f" --skip {args.skip}" if args.skip else "")
    )
    peers = [p for p in results if p != "polystack"]
    out = [
        "## MongoDB",
        "",
        f"`{cmd}` (same run, same documents; pymongo against polystack and SecantusDB, "
        "mongomock in-process; each query workload runs for "
        f"{args.budget:g} s on each target in turn, {args.rounds} rounds, best round kept; "
        f"find_by_id and range_sort from {args.clients} load-generator processes against the "
        "two servers, one against in-process mongomock). Operations per second, polystack's "
        "speed as a multiple of each peer's, and the load generators' CPU time beside "
        "polystack's server CPU time for the kept round.",
        "",
        "| workload | polystack ops/s | "
        + " | ".join(f"{p} ops/s | ×{p}" for p in peers)
        + " | polystack server CPU s | client CPU s |",
        "|---|---:|" + "---:|---:|" * len(peers) + "---:|---:|",
    ]
    ps = results["polystack"]
    for w in WORKLOADS:
        row = [w, f"{ps[w]['ops_s']:.1f}"]
        for p in peers:
            r = results[p][w]
            row += [f"{r['ops_s']:.1f}", f"{ps[w]['ops_s'] / r['ops_s']:.2f}"]
        row += [f"{ps[w]['server_cpu']:.2f}", f"{ps[w]['client_cpu']:.2f}"]
        out.append("| " + " | ".join(row) + " |")
    mem = ps.get("memory")
    if mem:
        out += [
            "",
            f"Resident memory at {args.docs} documents: {mem['rss_per_doc']:.0f} bytes per "
            f"document for {mem['bson_per_doc']:.0f} bytes of BSON "
            f"({mem['rss_per_doc'] / mem['bson_per_doc']:.2f}×).",
        ]
    if rec:
        out += [
            f"At {rec['docs']} documents: {rec['rss_per_doc']:.0f} bytes resident per document "
            f"for {rec['bson_per_doc']:.0f} bytes of BSON "
            f"({rec['rss_per_doc'] / rec['bson_per_doc']:.2f}×); restart (recovery) took "
            f"{rec['restart_s']:.2f} s and recovered {rec['recovered']} documents."
        ]
    return out


def write_block(path: Path, lines: list[str]) -> None:
    start, end = "<!-- mongo-bench:start -->", "<!-- mongo-bench:end -->"
    text = path.read_text() if path.exists() else ""
    block = start + "\n" + "\n".join(lines) + "\n" + end
    if start in text and end in text:
        a = text.index(start)
        b = text.index(end) + len(end)
        text = text[:a] + block + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
