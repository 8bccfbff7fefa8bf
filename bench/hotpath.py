"""The request path in one process, without sockets: real ``Peer`` objects over a fake transport,
the Redis and ZooKeeper sessions and services, 16 pipelined requests per read.

Wall-clock numbers on a shared machine swing by tens of percent, so the runtime's overhead is
compared in instructions instead, counted by callgrind (deterministic within a few hundred
instructions per request) over the measured turns only (``math.gcd``/``math.lcm`` mark them):

    valgrind --tool=callgrind --zero-before=math_gcd --dump-before=math_lcm \
        --callgrind-out-file=/tmp/cg python bench/hotpath.py --only get --turns 50

(the first dump's ``totals`` divided by the requests the turns made: turns x 50 connections x
pipeline).  ``--layer`` stops each read at one layer (peer, feed, parse, run, handler), so
neighbours' differences split the cost by layer.  ``--pipeline 1`` is redis-benchmark's ``-c 50`` (one request per
read); ``--system bare`` runs bench/bare_redis.py's loop (the ceiling) over the same reads; ``--only`` picks one of set, get, getnil, incr, mset, lpush, lpop, sadd, hset, zadd,
lrange_100, zrange, evalsha; ``--vary`` gives set, get and getnil other keys (of
the same length) on every connection and turn, as redis-benchmark ``-r`` does.  The loop is uvloop's, as ``polystack serve`` runs
(``--asyncio`` for asyncio's own).  Runs against this tree or, for a before/after comparison, an
older one on PYTHONPATH (it detects the runtime API of the tree it runs on).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import importlib.util
import math
import pathlib
import sys
import tempfile
import time
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent


class FakeTransport:
    def write(self, data: bytes) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return False

    def set_write_buffer_limits(self, *args: int) -> None:
        pass

    def get_extra_info(self, key: str) -> tuple:
        return ("127.0.0.1", 1)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self) -> None:
        pass


def _new_api() -> bool:
    return importlib.util.find_spec("polystack.runtime.service") is not None


async def _service(system: str, data: pathlib.Path, real_clock: bool = False):
    """(the service's session factory, the ListenerState) on either runtime API.  The clock is
    a ManualClock that never moves unless ``real_clock``: under callgrind a turn takes 50 to
    100 times as long, so the server cron's timers (10 a second of wall time) would add cost
    per request that depends on the machine's load."""
    import polystack.runtime.connection as conn
    from polystack.runtime.clock import SYSTEM_CLOCK, ManualClock

    if not real_clock:
        SYSTEM_CLOCK = ManualClock()  # noqa: N806

    if _new_api():
        from polystack import systems
        from polystack.runtime.alarms import ResourceAlarms
        from polystack.runtime.http import Routes
        from polystack.runtime.log import LogGroup
        from polystack.runtime.metrics import new_registry
        from polystack.runtime.service import ServerContext

        spec = systems.specs()[system]
        section = spec.config()
        if system == "zookeeper":
            section.fsync = "no"
        group = LogGroup(SYSTEM_CLOCK, system)
        ctx = ServerContext(
            system, section, data, "127.0.0.1", SYSTEM_CLOCK, group, new_registry(),
            ResourceAlarms(SYSTEM_CLOCK, data), Routes(), lambda reason: None,
        )  # fmt: skip
        svc = spec.service_class()(ctx)
        await svc.recover()
        if system == "redis":
            # SLOWLOG off: under callgrind on a loaded machine a descheduled call passes 10 ms
            # and the entries it adds moved the counts by thousands between identical runs
            from polystack.redis.ops import update_timing

            svc.extra_config["slowlog-log-slower-than"] = -1
            update_timing(svc)
        factory = svc.new_client if system == "redis" else svc.new_connection
        return conn.ListenerState(system, factory, 10000, b"", logs=group)
    from polystack import config

    cfg = config.load(None, {"data_dir": str(data), "zookeeper.fsync": "no"}, environ={})
    if system == "redis":
        from polystack.redis.service import RedisService

        svc = RedisService(cfg, data / "redis", SYSTEM_CLOCK)
        svc.recover()
        return conn.ListenerState("redis", svc.new_client, 10000, b"")
    from polystack.zookeeper.service import ZooKeeperService

    svc = ZooKeeperService(cfg, data / "zookeeper", SYSTEM_CLOCK)
    await svc.start()
    return conn.ListenerState("zookeeper", svc.new_connection, 10000, b"")


def _cmd(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


# --vary: the keys a turn's reads take their keys from (every one set: GET finds them all)
VARY_KEYS = 10000
# the cases --vary varies, by the request each key index is formatted into (one key length)
VARY_FORMATS = {
    "set": b"*3\r\n$3\r\nSET\r\n$8\r\nkey:%04d\r\n$3\r\nxxx\r\n",
    "get": b"*2\r\n$3\r\nGET\r\n$8\r\nkey:%04d\r\n",
    "getnil": b"*2\r\n$3\r\nGET\r\n$9\r\nnone:%04d\r\n",
}


def _varied_calls(peers: list, name: str, pipeline: int, turns: int) -> list:
    """The peer layer's calls for ``name`` with other keys (of the same length) on every
    connection and turn, as redis-benchmark -r sends (made before the measurement): no two
    reads are equal, nor two requests of a read, so nothing gains from identical requests."""
    fmt = VARY_FORMATS[name]
    mod = VARY_KEYS
    pending = []
    for j in range(len(peers)):
        reads = []
        for t in range(turns):
            i = t * len(peers) + j  # (shifted by one more key each time the keys wrap)
            first = i * pipeline + i * pipeline // mod
            reads.append(b"".join(fmt % ((first + n) * 7919 % mod) for n in range(pipeline)))
        reads.reverse()
        pending.append(reads)

    def peer(p: Any, queue: list) -> None:
        p.data_received(queue.pop())

    return [functools.partial(peer, p, q) for p, q in zip(peers, pending, strict=True)]


def _redis_requests(pipeline: int) -> dict[str, bytes]:
    """What redis-benchmark sends (its default keys and 3-byte values), ``pipeline`` per read."""

    def batch(fmt: bytes) -> bytes:
        return b"".join(fmt % i for i in range(pipeline))

    def same(req: bytes) -> bytes:
        return req * pipeline

    return {
        "set": batch(b"*3\r\n$3\r\nSET\r\n$8\r\nkey:%04d\r\n$3\r\nxxx\r\n"),
        "get": batch(b"*2\r\n$3\r\nGET\r\n$8\r\nkey:%04d\r\n"),
        "getnil": batch(b"*2\r\n$3\r\nGET\r\n$8\r\nnone:%03d\r\n"),
        "incr": same(_cmd(b"INCR", b"counter")),
        "mset": same(_cmd(b"MSET", *[b"key:__rand_int__", b"xxx"] * 10)),
        "lpush": same(_cmd(b"LPUSH", b"mylist", b"xxx")),
        "lpop": same(_cmd(b"LPOP", b"mylist")),
        # redis-benchmark's own SADD/HSET/ZADD tests without -r: ``__rand_int__`` is sent as it
        # is, so each adds or rewrites the same member of a one-member set, hash or sorted set.
        "sadd": same(_cmd(b"SADD", b"myset", b"element:__rand_int__")),
        "hset": same(_cmd(b"HSET", b"myhash", b"element:__rand_int__", b"xxx")),
        "zadd": same(_cmd(b"ZADD", b"myzset", b"0", b"element:__rand_int__")),
        "lrange_100": same(_cmd(b"LRANGE", b"mylist", b"0", b"99")),
        "zrange": same(_cmd(b"ZRANGE", b"bench:zset", b"0", b"99")),
        "evalsha": batch(
            b"*5\r\n$7\r\nEVALSHA\r\n$40\r\n"
            + SCRIPT_SHA.replace(b"%", b"%%")
            + b"\r\n$1\r\n1\r\n$7\r\nrl:%04d\r\n$2\r\n60\r\n"
        ),
    }


# bench/redis.py's EVALSHA workload: a fixed-window rate limiter (INCR, EXPIRE on the first hit).
SCRIPT = (
    b"local n = redis.call('INCR', KEYS[1]) "
    b"if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
    b"return n"
)
SCRIPT_SHA = hashlib.sha1(SCRIPT).hexdigest().encode()


def _redis_setup() -> bytes:
    """The data the read tests need: keys for GET, a 40,000-item list (LRANGE, and LPOP: enough
    for 50 turns of 50 connections x 16 pops, so that every pop measured finds an element), a
    100-member sorted set (ZRANGE) and the EVALSHA script."""
    members = []
    for i in range(100):
        members += [b"%d" % i, b"member:%d" % i]
    return b"".join(
        [
            _redis_requests(16)["set"],
            _cmd(b"MSET", *[a for i in range(VARY_KEYS) for a in (b"key:%04d" % i, b"xxx")]),
            _cmd(b"RPUSH", b"mylist", *[b"xxx"] * 40000),
            _cmd(b"ZADD", b"bench:zset", *members),
            _cmd(b"SCRIPT", b"LOAD", SCRIPT),
        ]
    )


async def main(args: argparse.Namespace) -> None:
    import polystack.runtime.connection as conn

    sys.path.insert(0, str(ROOT))
    peers: list[Any] = []
    if args.system == "bare":  # bench/bare_redis.py's loop: the ceiling, in instructions
        from bench.bare_redis import BareRedis

        store: dict = {}
        for _ in range(args.connections):
            p = BareRedis(store)
            p.connection_made(FakeTransport())  # type: ignore[arg-type]
            peers.append(p)
        args.layer = "peer"
    else:
        state = await _service(args.system, pathlib.Path(tempfile.mkdtemp()), args.real_clock)
        for _ in range(args.connections):
            p = conn.Peer(state)
            p.connection_made(FakeTransport())
            peers.append(p)
    if args.system in ("redis", "bare"):
        requests = _redis_requests(args.pipeline)
        peers[0].data_received(_redis_setup())
        for p in peers:
            p.data_received(requests["set"])  # the keys GET reads exist
    else:
        from tests.zookeeper import zkproto

        for p in peers:
            p.data_received(zkproto.connect())
        await asyncio.sleep(0.01)
        peers[0].data_received(zkproto.create(1, "/n", b"abc"))
        requests = {
            "getdata": b"".join(zkproto.get_data(i, "/n") for i in range(2, 18)),
            "exists": b"".join(zkproto.exists(i, "/n") for i in range(2, 18)),
            "setdata": b"".join(zkproto.set_data(i, "/n", b"xyz") for i in range(2, 18)),
        }
    await asyncio.sleep(0.01)
    for name, req in requests.items():
        if args.only and name != args.only:
            continue
        if name == "evalsha" and args.new_keys:  # every read on keys never seen
            calls = _fresh_calls(peers, req, args.warmup + args.turns)
        elif args.vary and name in VARY_FORMATS:
            calls = _varied_calls(peers, name, args.pipeline, args.warmup + args.turns)
        else:
            calls = _layer_calls(args.layer, peers, req)
        for _ in range(args.warmup):
            for call in calls:
                call()
            await asyncio.sleep(0)
        math.gcd(0, 0)  # callgrind --zero-before=math_gcd: count from here
        started = time.perf_counter()
        for _ in range(args.turns):
            for call in calls:
                call()
            await asyncio.sleep(0)
        math.lcm(0, 0)  # callgrind --dump-before=math_lcm: ... to here
        n = max(1, args.turns * len(peers) * args.pipeline)
        print(f"{args.system} {name}: {(time.perf_counter() - started) / n * 1e9:,.0f} ns/request")


def _fresh_calls(peers: list, req: bytes, turns: int) -> list:
    """The peer layer's calls for ``req`` with its ``rl:`` keys renamed per connection and
    turn (made before the measurement, at most 75 turns): the rate limiter's INCR and EXPIRE
    of new keys on every call."""
    pending = [
        [req.replace(b"rl:", bytes((65 + j % 26, 65 + j // 26, 48 + i))) for i in range(turns)]
        for j in range(len(peers))
    ]
    for q in pending:
        q.reverse()

    def peer(p: Any, queue: list) -> None:
        p.data_received(queue.pop())

    return [functools.partial(peer, p, q) for p, q in zip(peers, pending, strict=True)]


def _layer_calls(layer: str, peers: list, req: bytes) -> list:
    """What one read costs down to ``layer`` (redis): ``peer`` is the whole read as the runtime
    sees it; ``feed`` the session's (replies queued on the peer, no connection-layer work);
    ``parse`` the request parser alone; ``run`` the session's command loop on parsed requests
    (no parser, no reply write); ``batch`` the plain client's batch loop (_run_plain) on
    parsed requests; ``handler`` the command handlers alone; ``noop`` the harness alone.  Each is called
    through one Python function (the same frame cost in every layer), so subtracting
    neighbours splits a request's cost by layer."""
    if layer == "noop":  # the harness itself (a call per read, a loop turn per 50 reads)

        def noop(p: Any) -> None:
            pass

        return [functools.partial(noop, p) for p in peers]
    if layer == "peer":

        def peer(p: Any) -> None:
            p.data_received(req)

        return [functools.partial(peer, p) for p in peers]
    if layer == "feed":

        def feed(p: Any) -> None:
            p._in_feed = True  # the session's writes queue as they do inside data_received
            p.session.feed(req)
            p._in_feed = False
            p._wbuf.clear()
            p._wbuf_size = 0

        return [functools.partial(feed, p) for p in peers]
    sessions = [p.session for p in peers]
    requests = sessions[0]._parser.feed(req)
    if layer == "parse":

        def parse(s: Any) -> None:
            s._parser.feed(req)

        return [functools.partial(parse, s) for s in sessions]
    if layer == "run":

        def run(s: Any) -> None:
            s._run(requests)
            s._out.clear()
            s._log.clear()

        return [functools.partial(run, s) for s in sessions]
    if layer == "batch":

        def batch(s: Any) -> None:
            s._run_plain(requests)
            s._out.clear()
            s._log.clear()

        return [functools.partial(batch, s) for s in sessions]
    cmds = [(sessions[0].server.commands[argv[0].lower()].handler, argv) for argv in requests]

    def handlers(s: Any) -> None:
        for handler, argv in cmds:
            handler(s, argv)

    return [functools.partial(handlers, s) for s in sessions]


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--system", choices=("redis", "zookeeper", "bare"), default="redis")
    ap.add_argument("--only", default="")
    ap.add_argument("--turns", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=5, help="turns run before the counted ones")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--pipeline", type=int, default=16, help="requests per read (redis)")
    ap.add_argument(
        "--layer", choices=("noop", "peer", "feed", "parse", "run", "batch", "handler"), default="peer",
        help="how deep each read goes (redis; see _layer_calls)",
    )  # fmt: skip
    ap.add_argument(
        "--real-clock", action="store_true", help="the system clock (timers fire: the cron ...)"
    )
    ap.add_argument("--asyncio", action="store_true", help="asyncio's own loop, not uvloop")
    ap.add_argument(
        "--vary", action="store_true",
        help="set, get, getnil: other keys (one length) on every connection and turn (-r)",
    )  # fmt: skip
    ap.add_argument(
        "--new-keys", action="store_true",
        help="evalsha: every read on keys never seen (INCR and EXPIRE, as with -r 100000)",
    )  # fmt: skip
    args = ap.parse_args()
    if args.asyncio:
        asyncio.run(main(args))
    else:
        import uvloop

        uvloop.run(main(args))
