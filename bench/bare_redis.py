"""The ceiling of a Python Redis server on this machine: a bare uvloop + hiredis loop.

No command table, no persistence, no flow control, no metrics: an ``asyncio.Protocol`` that
feeds each read to a ``hiredis.Reader``, answers the commands redis-benchmark sends from a
plain dict, and writes the replies with one ``transport.write`` per read.  ``bench/redis.py
--bare`` runs it beside polystack and redis-server, so the share of Redis's throughput that
Python itself costs is measured in the same run as ours:

    .venv/bin/python bench/bare_redis.py --port 7000
"""

from __future__ import annotations

import argparse
import asyncio

import hiredis

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is a dependency
    uvloop = None

OK = b"+OK\r\n"
NIL = b"$-1\r\n"


class BareRedis(asyncio.Protocol):
    __slots__ = ("reader", "transport", "store")

    def __init__(self, store: dict) -> None:
        self.store = store
        self.reader = hiredis.Reader()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        reader = self.reader
        reader.feed(data)
        out = []
        store = self.store
        while (req := reader.gets()) is not False:
            name = req[0].upper()
            if name == b"SET":
                store[req[1]] = req[2]
                out.append(OK)
            elif name == b"GET":
                v = store.get(req[1])
                out.append(NIL if v is None else b"$%d\r\n%b\r\n" % (len(v), v))
            elif name == b"INCR":
                v = int(store.get(req[1], 0)) + 1
                store[req[1]] = b"%d" % v
                out.append(b":%d\r\n" % v)
            elif name == b"MSET":
                for i in range(1, len(req), 2):
                    store[req[i]] = req[i + 1]
                out.append(OK)
            elif name in (b"LPUSH", b"RPUSH"):
                lst = store.setdefault(req[1], [])
                lst.extend(req[2:])
                out.append(b":%d\r\n" % len(lst))
            elif name in (b"LPOP", b"RPOP"):
                lst = store.get(req[1])
                v = lst.pop() if lst else None
                out.append(NIL if v is None else b"$%d\r\n%b\r\n" % (len(v), v))
            elif name == b"SADD":
                s = store.setdefault(req[1], set())
                n = len(s)
                s.update(req[2:])
                out.append(b":%d\r\n" % (len(s) - n))
            elif name in (b"HSET", b"ZADD"):
                h = store.setdefault(req[1], {})
                n = len(h)
                for i in range(2, len(req) - 1, 2):
                    if name == b"HSET":
                        h[req[i]] = req[i + 1]
                    else:  # ZADD score member
                        h[req[i + 1]] = float(req[i])
                out.append(b":%d\r\n" % (len(h) - n))
            elif name == b"PING":
                out.append(b"+PONG\r\n")
            elif name == b"CONFIG":
                out.append(b"*0\r\n")
            else:
                out.append(b"-ERR unknown command\r\n")
        if out:
            self.transport.write(b"".join(out))  # type: ignore[union-attr]


async def serve(port: int) -> None:
    store: dict = {}
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: BareRedis(store), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    if uvloop is not None:
        uvloop.install()
    try:
        asyncio.run(serve(args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
