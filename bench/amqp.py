"""Side-by-side benchmark: polystack's AMQP broker vs Debian's rabbitmq-server, same run.

The load generator is not a client library: worker processes send pre-encoded frames in large
batches (publish + content header + body, ``--batch`` messages per ``sendall``) and consumers
count delivered bytes instead of parsing each frame (every delivery of a run has the same size,
learnt from the first one); manual-ack consumers acknowledge with ``multiple`` every half
prefetch.  Both servers run side by side and take every workload in turn, ``--rounds`` times,
alternating which goes first; the table shows the median rate and its spread over the rounds,
the ratio polystack/RabbitMQ (of the medians, and the range of the per-round ratios), each
server's CPU microseconds per message and the generator's own CPU seconds.

    .venv/bin/python bench/amqp.py [--seconds 4] [--rounds 3] [--only polystack] [--workloads a,b]
    .venv/bin/python bench/amqp.py --backlog 1000000    # RSS and restart time with a backlog
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pamqp import body as pbody  # noqa: E402
from pamqp import frame, header  # noqa: E402
from pamqp.commands import Basic, Channel, Confirm, Queue  # noqa: E402
from pamqp.commands import Connection as C  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- raw protocol helpers (setup only: the measured loops send pre-encoded bytes) ------------------


class Raw:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.sock.sendall(b"AMQP\x00\x00\x09\x01")
        self.expect(C.Start)
        self.send(0, C.StartOk(client_properties={"capabilities": {"basic.nack": True}},
                               mechanism="PLAIN", response="\0guest\0guest"))  # fmt: skip
        tune = self.expect(C.Tune)
        self.frame_max = tune.frame_max
        self.send(0, C.TuneOk(tune.channel_max, tune.frame_max, 0))
        self.send(0, C.Open("/"))
        self.expect(C.OpenOk)
        self.send(1, Channel.Open())
        self.expect(Channel.OpenOk)

    def send(self, ch: int, m) -> None:
        self.sock.sendall(frame.marshal(m, ch))

    def expect(self, cls):
        while True:
            while len(self.buf) < 8 or len(self.buf) < 8 + struct.unpack(">I", self.buf[3:7])[0]:
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("closed")
                self.buf += data
            n, _, f = frame.unmarshal(self.buf)
            self.buf = self.buf[n:]
            if isinstance(f, cls):
                return f
            if isinstance(f, (C.Close, Channel.Close)):
                raise RuntimeError(f"server closed: {f.reply_code} {f.reply_text}")

    def call(self, m, cls):
        self.send(1, m)
        return self.expect(cls)


def publish_bytes(rks: list[str], size: int, persistent: bool, n: int, frame_max: int) -> bytes:
    props = Basic.Properties(delivery_mode=2 if persistent else 1)
    out = []
    payload = b"x" * size
    for i in range(n):
        rk = rks[i % len(rks)]
        out.append(frame.marshal(Basic.Publish(exchange="", routing_key=rk), 1))
        out.append(frame.marshal(header.ContentHeader(0, size, props), 1))
        out.append(frame.marshal(pbody.ContentBody(payload), 1))
    return b"".join(out)


def cpu_of_self() -> float:
    t = os.times()
    return t.user + t.system


# -- workers -------------------------------------------------------------------------------------


def publisher(port, rks, size, persistent, confirm, seconds, batch, count, start_at, out):
    r = Raw(port)
    if confirm:
        r.call(Confirm.Select(), Confirm.SelectOk)
    data = publish_bytes(rks, size, persistent, batch, r.frame_max)
    cpu0 = cpu_of_self()
    while time.time() < start_at:
        time.sleep(0.001)
    t0 = time.monotonic()
    deadline = t0 + seconds
    sent = acked = 0
    window = 20 * batch
    sock = r.sock
    ack_buf = b""
    while (count and sent < count) or (not count and time.monotonic() < deadline):
        sock.sendall(data)
        sent += batch
        if confirm:
            # read confirms (small frames; the server coalesces them with ``multiple``)
            while sent - acked > window or (count and sent >= count and acked < sent):
                ack_buf += sock.recv(1 << 20)
                acked, ack_buf = _count_acks(ack_buf, acked)
    elapsed = time.monotonic() - t0
    out.put(("pub", sent, acked if confirm else sent, elapsed, cpu_of_self() - cpu0))
    sock.close()


def _count_acks(buf: bytes, acked: int) -> tuple[int, bytes]:
    pos = 0
    n = len(buf)
    while n - pos >= 8:
        ftype, _, size = struct.unpack_from(">BHI", buf, pos)
        if n - pos < size + 8:
            break
        if ftype == 1:
            cls, meth = struct.unpack_from(">HH", buf, pos + 7)
            if cls == 60 and meth in (80, 120):
                tag = struct.unpack_from(">Q", buf, pos + 11)[0]
                acked = max(acked, tag)
        pos += size + 8
    return acked, buf[pos:]


def consumer(port, queue, no_ack, prefetch, seconds, expected, start_at, out):
    r = Raw(port)
    if prefetch:
        r.call(Basic.Qos(prefetch_count=prefetch), Basic.QosOk)
    while time.time() < start_at:
        time.sleep(0.001)
    t0 = time.monotonic()  # from the subscription: a backlog's dispatch counts too
    r.send(1, Basic.Consume(queue=queue, consumer_tag="c", no_ack=no_ack))
    r.expect(Basic.ConsumeOk)
    sock = r.sock
    cpu0 = cpu_of_self()
    buf = r.buf
    # learn the size of one delivery from the first one
    while True:
        got = _delivery_size(buf)
        if got:
            break
        data = sock.recv(1 << 20)
        if not data:
            return
        buf += data
    per = got
    total = len(buf)
    acked = 0
    step = max(1, prefetch // 2) if prefetch else 0
    deadline = t0 + seconds
    last = t0
    sock.settimeout(0.5)
    while True:
        n = total // per
        if not no_ack and n - acked >= step:
            sock.sendall(frame.marshal(Basic.Ack(delivery_tag=n, multiple=True), 1))
            acked = n
        if expected and n >= expected:
            break
        if not expected and time.monotonic() >= deadline:
            break
        try:
            data = sock.recv(1 << 20)
        except TimeoutError:
            if expected and time.monotonic() - last > 5:
                break
            continue
        if not data:
            break
        last = time.monotonic()
        total += len(data)
    elapsed = last - t0
    out.put(("con", total // per, elapsed, cpu_of_self() - cpu0))
    sock.close()


def _delivery_size(buf: bytes) -> int:
    pos = 0
    for _ in range(2):  # method + header
        if len(buf) - pos < 7:
            return 0
        size = struct.unpack_from(">I", buf, pos + 3)[0]
        if len(buf) - pos < size + 8:
            return 0
        if _ == 1:
            body_size = struct.unpack_from(">Q", buf, pos + 11)[0]
        pos += size + 8
    rest = body_size
    while rest > 0:
        if len(buf) - pos < 7:
            return 0
        size = struct.unpack_from(">I", buf, pos + 3)[0]
        pos += size + 8
        rest -= size
    return pos


def latency_probe(port, queue, rate, seconds, start_at, out):
    """Publishes timestamped messages at ``rate``/s and consumes them: end-to-end latency.

    It waits in ``select`` until the next publish is due, so a delivery is read the moment it
    arrives (no polling interval in the figures)."""
    pub = Raw(port)
    con = Raw(port)
    con.send(1, Basic.Consume(queue=queue, consumer_tag="lat", no_ack=True))
    con.expect(Basic.ConsumeOk)
    while time.time() < start_at:
        time.sleep(0.001)
    lat: list[float] = []
    interval = 1.0 / rate
    next_at = time.monotonic()
    deadline = next_at + seconds
    sock = con.sock
    sock.setblocking(False)
    buf = b""
    head = frame.marshal(Basic.Publish(exchange="", routing_key=queue), 1) + frame.marshal(
        header.ContentHeader(0, 100, Basic.Properties()), 1
    )
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        if now >= next_at:
            payload = struct.pack(">d", time.monotonic()) + b"x" * 92
            pub.sock.sendall(head + frame.marshal(pbody.ContentBody(payload), 1))
            next_at += interval
            continue
        ready, _, _ = select.select([sock], [], [], next_at - now)
        if not ready:
            continue
        try:
            data = sock.recv(1 << 16)
        except BlockingIOError:
            continue
        got = time.monotonic()
        buf += data
        while len(buf) >= 8:
            size = struct.unpack_from(">I", buf, 3)[0]
            if len(buf) < size + 8:
                break
            if buf[0] == 3:
                lat.append(got - struct.unpack_from(">d", buf, 7)[0])
            buf = buf[size + 8 :]
    out.put(("lat", lat))


# -- servers -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open")


def proc_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Polystack:
    name = "polystack"

    def __init__(self, data_dir: str | None = None) -> None:
        self.dir = data_dir or tempfile.mkdtemp(prefix="bench-amqp-")
        self.port = free_port()
        self.start()

    def start(self) -> None:
        argv = [sys.executable, "-m", "polystack.cli", "serve", "--only", "amqp", "--data-dir",
                self.dir, "--amqp-port", str(self.port), "--amqp-management-port",
                str(free_port()), "--admin-port", str(free_port())]  # fmt: skip
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.t_start = time.monotonic()
        wait_port(self.port)
        self.startup_seconds = time.monotonic() - self.t_start
        self.pid = self.proc.pid

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class Rabbit:
    name = "rabbitmq"

    def __init__(self) -> None:
        from tests.amqp.realrabbit import RealRabbit

        self.rr = RealRabbit(management=False)
        self.rr.management_port = 0
        self.rr.wait()
        self.port = self.rr.port
        self.pid = _beam_pid(self.rr.proc.pid)

    def stop(self) -> None:
        self.rr.stop()

    def cleanup(self) -> None:
        pass


def _beam_pid(pgid: int) -> int:
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if "beam.smp" in stat.split(")")[0] and int(fields[2]) == pgid:
            return int(p)
    raise RuntimeError("no beam.smp found")


# -- workloads -------------------------------------------------------------------------------------

WORKLOADS = {
    # name: (kind, size, queues, no_ack, prefetch, confirm, persistent)
    "publish 100B 1q": ("publish", 100, 1, True, 0, False, False),
    "publish 1KB 1q": ("publish", 1024, 1, True, 0, False, False),
    "publish 1KB 10q": ("publish", 1024, 10, True, 0, False, False),
    "publish 1KB 1q confirms": ("publish", 1024, 1, True, 0, True, False),
    "consume 100B 1q autoack": ("consume", 100, 1, True, 0, False, False),
    "consume 1KB 1q autoack": ("consume", 1024, 1, True, 0, False, False),
    "consume 1KB 10q autoack": ("consume", 1024, 10, True, 0, False, False),
    "consume 1KB 1q ack prefetch 100": ("consume", 1024, 1, False, 100, False, False),
    "pub+con 100B 1q autoack": ("both", 100, 1, True, 0, False, False),
    "pub+con 1KB 1q autoack": ("both", 1024, 1, True, 0, False, False),
    "pub+con 1KB 10q autoack": ("both", 1024, 10, True, 0, False, False),
    "pub+con 1KB 1q ack prefetch 100": ("both", 1024, 1, False, 100, False, False),
    "pub+con 1KB 10q ack prefetch 100": ("both", 1024, 10, False, 100, False, False),
    "persistent 1KB 1q confirms": ("publish", 1024, 1, True, 0, True, True),
    "persistent 1KB 10q confirms": ("publish", 1024, 10, True, 0, True, True),
}


def run_workload(server, name: str, seconds: float, publishers: int, batch: int) -> dict:
    kind, size, nq, no_ack, prefetch, confirm, persistent = WORKLOADS[name]
    setup = Raw(server.port)
    tag = f"b{int(time.time() * 1000) % 100000}"
    queues = [f"{tag}-{i}" for i in range(nq)]
    for q in queues:
        setup.call(Queue.Declare(queue=q, durable=persistent), Queue.DeclareOk)
    out: mp.Queue = mp.Queue()
    procs: list[mp.Process] = []
    cpu_srv0 = proc_cpu(server.pid)
    result: dict = {"name": name}
    start_at = time.time() + 0.5
    if kind in ("publish", "both"):
        for i in range(publishers):
            rks = queues[i % nq :: 1] if nq > 1 else queues
            procs.append(mp.Process(target=publisher, args=(server.port, rks, size, persistent,
                         confirm, seconds, batch, 0, start_at, out)))  # fmt: skip
    if kind == "consume":
        # prefill, then time the consumers alone
        total = int((40000 if size <= 100 else 25000) * max(1, seconds))
        per_q = total // nq
        pre = [mp.Process(target=publisher, args=(server.port, [q], size, False, True, 0, batch,
               per_q, time.time(), out)) for q in queues]  # fmt: skip
        for p in pre:
            p.start()
        for p in pre:
            p.join()
        for _ in pre:
            out.get()
        _wait_depth(setup, queues, per_q)
        cpu_srv0 = proc_cpu(server.pid)
        start_at = time.time() + 0.3
        for q in queues:
            procs.append(mp.Process(target=consumer, args=(server.port, q, no_ack, prefetch, 0,
                         per_q, start_at, out)))  # fmt: skip
    if kind == "both":
        for q in queues:
            procs.append(mp.Process(target=consumer, args=(server.port, q, no_ack, prefetch,
                         seconds, 0, start_at, out)))  # fmt: skip
    t0 = time.monotonic()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    if os.environ.get("BENCH_DEBUG"):
        print(name, results, flush=True)
    for p in procs:
        p.join()
    wall = time.monotonic() - t0
    gen_cpu = sum(r[-1] for r in results)
    if kind == "publish":
        sent = sum(r[1] for r in results if r[0] == "pub")
        confirmed = sum(r[2] for r in results if r[0] == "pub")
        if confirm:
            elapsed = max(r[3] for r in results if r[0] == "pub")
            rate = confirmed / elapsed
            n = confirmed
        else:
            # the publishers' time plus the time the broker needed for what was still in flight
            drain = _wait_depth(setup, queues, 0, total=sent)
            elapsed = max(r[3] for r in results if r[0] == "pub") + drain
            rate = sent / elapsed
            n = sent
    elif kind == "consume":
        n = sum(r[1] for r in results)
        elapsed = max(r[2] for r in results)
        rate = n / elapsed
    else:
        n = sum(r[1] for r in results if r[0] == "con")
        elapsed = max(r[2] for r in results if r[0] == "con")
        rate = n / elapsed
    result.update(rate=rate, server_cpu=proc_cpu(server.pid) - cpu_srv0, gen_cpu=gen_cpu, wall=wall,
                  messages=n)  # fmt: skip
    for q in queues:
        setup.call(Queue.Delete(queue=q), Queue.DeleteOk)
    setup.sock.close()
    return result


def _wait_depth(setup: Raw, queues: list[str], per_q: int, total: int = 0) -> float:
    """Wait until the queues hold what was published; returns the seconds it took."""
    t0 = time.monotonic()
    want = total or per_q * len(queues)
    last = -1
    stable_since = time.monotonic()
    while time.monotonic() - t0 < 60:
        n = sum(setup.call(Queue.Declare(queue=q, passive=True), Queue.DeclareOk).message_count
                for q in queues)  # fmt: skip
        if n >= want:
            break
        if n != last:
            last, stable_since = n, time.monotonic()
        elif time.monotonic() - stable_since > 3:
            break
        time.sleep(0.02)
    return time.monotonic() - t0


def run_latency(server, seconds: float, rate: int) -> list[float]:
    setup = Raw(server.port)
    q = f"lat{int(time.time() * 1000) % 100000}"
    setup.call(Queue.Declare(queue=q, auto_delete=True), Queue.DeclareOk)
    out: mp.Queue = mp.Queue()
    p = mp.Process(
        target=latency_probe, args=(server.port, q, rate, seconds, time.time() + 0.3, out)
    )
    p.start()
    kind, lat = out.get()
    p.join()
    setup.sock.close()
    return sorted(lat)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def median(values: list[float]) -> float:
    v = sorted(values)
    n = len(v)
    return (v[n // 2] + v[(n - 1) // 2]) / 2 if v else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--rounds", type=int, default=3, help="runs of every workload on each server")
    ap.add_argument("--publishers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--only", choices=("polystack", "rabbitmq"))
    ap.add_argument("--workloads", default="", help="comma-separated names (default: all)")
    ap.add_argument("--latency-rate", type=int, default=2000)
    ap.add_argument("--json", default="", help="write every sample to this file")
    ap.add_argument("--backlog", type=int, default=0, help="RSS/restart test with N persistent 1KB")
    ap.add_argument("--cpu", action="store_true", help="CPU per message, in-process, no sockets")
    args = ap.parse_args()
    if args.cpu:
        cpu_per_message()
        return
    if args.backlog:
        backlog(args.backlog, args.batch)
        return
    names = [w for w in args.workloads.split(",") if w] or list(WORKLOADS)
    kinds = [k for k in (Polystack, Rabbit) if args.only in (None, k.name)]
    servers = [k() for k in kinds]
    # samples[workload][server] -> one result per round; lat[server] -> one list per round
    samples: dict[str, dict[str, list[dict]]] = {n: {s.name: [] for s in servers} for n in names}
    lat: dict[str, list[list[float]]] = {s.name: [] for s in servers}
    started = time.time()
    try:
        for rnd in range(args.rounds):
            for name in names:
                # alternate which server goes first, round by round and workload by workload
                order = servers if (rnd + names.index(name)) % 2 == 0 else servers[::-1]
                for srv in order:
                    r = run_workload(srv, name, args.seconds, args.publishers, args.batch)
                    samples[name][srv.name].append(r)
                    print(f"round {rnd + 1} {srv.name:10s} {name:36s} {r['rate']:10,.0f} msg/s"
                          f"  server cpu {r['server_cpu']:5.2f}s"
                          f" ({_us(r):5.1f} us/msg)  generator cpu {r['gen_cpu']:5.2f}s",
                          flush=True)  # fmt: skip
            for srv in servers if rnd % 2 == 0 else servers[::-1]:
                values = run_latency(srv, args.seconds, args.latency_rate)
                lat[srv.name].append(values)
                print(f"round {rnd + 1} {srv.name:10s} latency p50 {pct(values, .5):.2f} ms"
                      f" p99 {pct(values, .99):.2f} ms", flush=True)  # fmt: skip
    finally:
        for srv in servers:
            srv.stop()
            srv.cleanup()
    elapsed = time.time() - started
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"samples": samples, "latency": {k: [[pct(v, p) for p in (.5, .9, .99,
                      .999, 1)] for v in vs] for k, vs in lat.items()}}, f, indent=1)  # fmt: skip
    report(names, samples, lat, args, elapsed)


def _us(r: dict) -> float:
    return r["server_cpu"] / r["messages"] * 1e6 if r.get("messages") else float("nan")


def _spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    if len(values) < 2:
        return fmt.format(values[0]) if values else "-"
    return f"{fmt.format(median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def report(names: list[str], samples: dict, lat: dict, args: argparse.Namespace,
           elapsed: float) -> None:  # fmt: skip
    rounds = args.rounds
    print()
    print(f"{rounds} round(s) of {args.seconds:g} s per workload and server, servers alternating; "
          f"median (min-max) over the rounds; {elapsed / 60:.0f} min in all")  # fmt: skip
    print()
    print("| workload | polystack msg/s | RabbitMQ msg/s | ratio of medians | ratio per round "
          "| server CPU us/msg (ps / rmq) | generator CPU s (ps / rmq) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in names:
        ps = samples[name].get("polystack", [])
        rq = samples[name].get("rabbitmq", [])
        ps_rates = [r["rate"] for r in ps]
        rq_rates = [r["rate"] for r in rq]
        ratio = ratios = "-"
        if ps and rq:
            ratio = f"{median(ps_rates) / median(rq_rates):.2f}"
            per = [a["rate"] / b["rate"] for a, b in zip(ps, rq, strict=False) if b["rate"]]
            ratios = f"{min(per):.2f}-{max(per):.2f}"
        us = " / ".join(f"{median([_us(r) for r in x]):.1f}" if x else "-" for x in (ps, rq))
        gen = " / ".join(f"{median([r['gen_cpu'] for r in x]):.2f}" if x else "-"
                         for x in (ps, rq))  # fmt: skip
        print(f"| {name} | {_spread(ps_rates)} | {_spread(rq_rates)} | {ratio} | {ratios} | {us}"
              f" | {gen} |")  # fmt: skip
    print()
    print(f"End-to-end latency, {args.latency_rate} msg/s of 100 B, one publisher, one no-ack "
          "consumer (ms; median (min-max) over the rounds):")  # fmt: skip
    print("| server | p50 | p90 | p99 | p99.9 | max |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, runs in lat.items():
        cells = [_spread([pct(v, p) for v in runs], "{:.2f}") for p in (0.5, 0.9, 0.99, 0.999, 1)]
        print(f"| {name} | " + " | ".join(cells) + " |")
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"\nGenerator processes' total CPU (user+sys, set-up included): "
          f"{ru.ru_utime + ru.ru_stime:.1f}s")  # fmt: skip


class _NullPeer:
    peername = ("127.0.0.1", 1)
    sockname = ("127.0.0.1", 5672)

    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def output_full(self, extra: int = 0) -> bool:
        return False


def cpu_per_message(n: int = 100_000) -> None:
    """The session and broker alone (no sockets, no event loop): CPU microseconds per 1 KB
    message to publish, to publish and deliver (no-ack), and to publish, deliver and ack."""
    from polystack.amqp import session as S
    from polystack.amqp.broker import Broker, Settings
    from polystack.runtime.clock import ManualClock

    S.FRAME_BUDGET = 1 << 30  # no event loop here to yield to

    def connect(broker: Broker) -> S.Connection:
        c = S.Connection(broker, _NullPeer())
        c.feed(b"AMQP\x00\x00\x09\x01")
        c.feed(frame.marshal(C.StartOk(client_properties={}, mechanism="PLAIN",
                                       response="\0guest\0guest"), 0))  # fmt: skip
        c.feed(frame.marshal(C.TuneOk(2047, 131072, 0), 0) + frame.marshal(C.Open("/"), 0))
        c.feed(frame.marshal(Channel.Open(), 1))
        return c

    import shutil

    from polystack.amqp.persist import Store
    from polystack.runtime import log as runtime_log

    runtime_log.fsync = lambda fd: None  # our layers' CPU, not the disk's (no loop to overlap)

    qs = [f"q{i}" for i in range(10)]
    modes = {
        "publish": publish_bytes(["q0"], 1024, False, 100, 131072),
        "publish+deliver (no-ack)": publish_bytes(["q0"], 1024, False, 100, 131072),
        "publish+deliver+ack (prefetch 100)": publish_bytes(["q0"], 1024, False, 100, 131072),
        "publish 10q (alternating)": publish_bytes(qs, 1024, False, 100, 131072),
        "persistent+confirm 1q (store, fsync skipped)": publish_bytes(
            ["q0"], 1024, True, 100, 131072
        ),
        "persistent+confirm 10q (store, fsync skipped)": publish_bytes(qs, 1024, True, 100, 131072),
    }
    for mode, batch in modes.items():
        broker = Broker(Settings(memory_high_watermark=1 << 40), ManualClock())
        store = None
        if "store" in mode:
            store = Store(Path(tempfile.mkdtemp(prefix="bench-amqp-cpu-")) / "store", "no")
            broker.store = store
            store.open(broker)
        pub = connect(broker)
        if store is not None:
            pub.feed(frame.marshal(Confirm.Select(), 1))
        for q in qs:
            pub.feed(frame.marshal(Queue.Declare(queue=q, durable=store is not None), 1))
        con = None
        if mode != "publish":
            con = connect(broker)
            if "ack" in mode.split("+")[-1] and "no-ack" not in mode:
                con.feed(frame.marshal(Basic.Qos(prefetch_count=100), 1))
            con.feed(frame.marshal(Basic.Consume(queue="q0", consumer_tag="c",
                                                 no_ack="no-ack" in mode), 1))  # fmt: skip
        t0 = time.process_time()
        if store is None:
            tag = 0
            for _ in range(n // 100):
                pub.feed(batch)
                if con is not None and "prefetch" in mode:
                    tag += 100
                    con.feed(frame.marshal(Basic.Ack(delivery_tag=tag, multiple=True), 1))
        else:
            asyncio.run(_turns(pub, batch, n // 100))
        us = (time.process_time() - t0) / n * 1e6
        print(f"{mode:42s} {us:6.2f} us CPU per message")
        if store is not None:
            store.close()
            shutil.rmtree(store.dir.parent, ignore_errors=True)


async def _turns(pub: Any, batch: bytes, turns: int) -> None:
    """Feed one batch per turn of an event loop (the store writes its records at the end of
    each turn and syncs on its I/O thread, as in the server); then wait for every confirm."""
    for _ in range(turns):
        pub.feed(batch)
        await asyncio.sleep(0)
    ch = pub.channels[1]
    while ch.pending_confirms:
        await asyncio.sleep(0.001)


def backlog(n: int, batch: int) -> None:
    """Queue ``n`` persistent 1 KB messages, report RSS, restart, report restart time and RSS."""
    srv = Polystack()
    try:
        setup = Raw(srv.port)
        setup.call(Queue.Declare(queue="backlog", durable=True), Queue.DeclareOk)
        rss0 = proc_rss(srv.pid)
        out: mp.Queue = mp.Queue()
        per = n // 4
        t0 = time.monotonic()
        ps = [mp.Process(target=publisher, args=(srv.port, ["backlog"], 1024, True, True, 0, batch,
              per, time.time(), out)) for _ in range(4)]  # fmt: skip
        for p in ps:
            p.start()
        for _ in ps:
            out.get()
        for p in ps:
            p.join()
        fill = time.monotonic() - t0
        depth = setup.call(Queue.Declare(queue="backlog", passive=True), Queue.DeclareOk)
        rss1 = proc_rss(srv.pid)
        setup.sock.close()
        print(f"queued {depth.message_count:,} persistent 1 KB messages in {fill:.1f}s "
              f"({depth.message_count / fill:,.0f}/s confirmed); RSS {rss0 / 2**20:.0f} MiB -> "
              f"{rss1 / 2**20:.0f} MiB")  # fmt: skip
        srv.stop()
        srv.start()
        restart = srv.startup_seconds
        setup = Raw(srv.port)
        depth = setup.call(Queue.Declare(queue="backlog", passive=True), Queue.DeclareOk)
        print(f"restart: listening after {restart:.2f}s with {depth.message_count:,} messages; "
              f"RSS {proc_rss(srv.pid) / 2**20:.0f} MiB")  # fmt: skip
        t0 = time.monotonic()
        c = mp.Process(target=consumer, args=(srv.port, "backlog", True, 0, 0,
                       depth.message_count, time.time(), out))  # fmt: skip
        c.start()
        r = out.get()
        c.join()
        print(f"drained {r[1]:,} messages in {time.monotonic() - t0:.1f}s")
        setup.sock.close()
    finally:
        srv.stop()
        srv.cleanup()


if __name__ == "__main__":
    main()
