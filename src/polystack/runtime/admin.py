"""The admin HTTP endpoint: /metrics, /healthz, and the routes each system adds
(for example ZooKeeper's AdminServer ``/commands/...``)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from polystack.runtime import metrics

log = logging.getLogger(__name__)

Route = Callable[[dict[str, str]], tuple[int, str, bytes]]
REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}
MAX_REQUEST = 64 * 1024


class AdminServer:
    """A small HTTP/1.1 server; one request per connection keeps it simple and robust."""

    def __init__(self, routes: dict[str, Route], status: Callable[[], dict]) -> None:
        self.routes = dict(routes)
        self.routes.setdefault(
            "/metrics", lambda q: (200, "text/plain; version=0.0.4", metrics.render())
        )
        self.routes.setdefault(
            "/healthz", lambda q: (200, "application/json", json.dumps(status()).encode())
        )
        self.routes.setdefault("/", self._index)

    def _index(self, query: dict[str, str]) -> tuple[int, str, bytes]:
        links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in sorted(self.routes) if p != "/")
        body = f"<!doctype html><title>polystack</title><h1>polystack</h1><ul>{links}</ul>"
        return 200, "text/html; charset=utf-8", body.encode()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        except (
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            TimeoutError,
            ConnectionError,
        ):
            writer.close()
            return
        try:
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, target, _ = request_line.split(" ", 2)
            parts = urlsplit(target)
            path = unquote(parts.path).rstrip("/") or "/"
            query = dict(parse_qsl(parts.query))
            route = self.routes.get(path)
            if route is None:
                status, ctype, body = 404, "text/plain", b"not found\n"
            elif method not in ("GET", "HEAD", "POST"):
                status, ctype, body = 405, "text/plain", b"method not allowed\n"
            else:
                status, ctype, body = route(query)
        except Exception:
            log.exception("admin request failed")
            status, ctype, body = 500, "text/plain", b"internal error\n"
        reason = REASONS.get(status, "OK")
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + (body if not head.startswith(b"HEAD") else b"")
        )
        try:
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()
