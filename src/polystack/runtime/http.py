"""HTTP routes for the admin port (``/metrics``, ``/healthz``, ``/readyz``, ZooKeeper's
``/commands/...``) and for a system's own HTTP ports (RabbitMQ's management API).

A handler gets an :class:`HttpRequest` (method, path, ``{name}`` params, query, headers, body)
and returns an :class:`HttpResponse` or a ``(status, content_type, body)`` tuple.  A request the
server cannot parse gets ``400 Bad Request`` (never a 500 and a traceback in the log); an
unknown path 404, a known path with another method 405 with ``Allow``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

log = logging.getLogger(__name__)

MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
REQUEST_TIMEOUT = 30.0
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    411: "Length Required",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str  # URL-decoded, without a trailing slash (except "/")
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    raw_path: str = ""

    def basic_auth(self) -> tuple[str, str] | None:
        """(user, password) from an ``Authorization: Basic`` header, or None."""
        value = self.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, sep, password = (
                base64.b64decode(token.strip(), validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        return (user, password) if sep else None


@dataclass(slots=True)
class HttpResponse:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[HttpRequest], "HttpResponse | tuple"]


class RouteConflict(ValueError):
    """Two registrations of the same method and path on one port."""


@dataclass(slots=True)
class _Route:
    method: str
    pattern: str
    parts: tuple[str, ...]
    handler: Handler
    owner: str


class Routes:
    """Every HTTP route of one server, by port name."""

    def __init__(self) -> None:
        self.by_port: dict[str, list[_Route]] = {}
        self.conflicts: list[str] = []

    def add(
        self, method: str, path: str, handler: Handler, *, port: str = "admin", owner: str = ""
    ) -> None:
        method = method.upper()
        if method not in METHODS:
            raise ValueError(f"unknown HTTP method {method!r}")
        parts = _split(path)
        routes = self.by_port.setdefault(port, [])
        for r in routes:
            if r.method == method and r.parts == parts:
                self.conflicts.append(
                    f"HTTP route {method} {path} on the {port} port is registered twice "
                    f"({r.owner or 'runtime'} and {owner or 'runtime'})"
                )
                return
        routes.append(_Route(method, path, parts, handler, owner))

    def check(self) -> None:
        if self.conflicts:
            raise RouteConflict(self.conflicts[0])

    def ports(self) -> list[str]:
        return list(self.by_port)

    def match(self, port: str, method: str, path: str) -> tuple[_Route | None, dict, list[str]]:
        """(route, params, allowed methods for the path)."""
        segs = _split(path)
        allowed: list[str] = []
        found = None
        params: dict[str, str] = {}
        for r in self.by_port.get(port, ()):
            p = _bind(r.parts, segs)
            if p is None:
                continue
            allowed.append(r.method)
            if found is None and (r.method == method or (method == "HEAD" and r.method == "GET")):
                found, params = r, p
        return found, params, allowed

    def paths(self, port: str) -> list[str]:
        return sorted({r.pattern for r in self.by_port.get(port, ()) if r.method == "GET"})


def _split(path: str) -> tuple[str, ...]:
    return tuple(s for s in path.split("/") if s != "")


def _bind(parts: tuple[str, ...], segs: tuple[str, ...]) -> dict[str, str] | None:
    if len(parts) != len(segs):
        return None
    out: dict[str, str] = {}
    for p, s in zip(parts, segs, strict=True):
        if p.startswith("{") and p.endswith("}"):
            out[p[1:-1]] = unquote(s)
        elif p != unquote(s):
            return None
    return out


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class HttpServer:
    """HTTP/1.1 with keep-alive for one port's routes."""

    def __init__(self, routes: Routes, port_name: str = "admin", guard: Any = None) -> None:
        self.routes = routes
        self.port_name = port_name
        self.guard = guard  # runtime.admin.AdminGuard: Host and credentials checks
        self.requests = 0
        self.bad_requests = 0
        self._writers: set[asyncio.StreamWriter] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    request = await asyncio.wait_for(self._read(reader), REQUEST_TIMEOUT)
                except BadRequest as e:
                    self.bad_requests += 1
                    await self._send(writer, HttpResponse(e.status, f"{e}\n".encode()), False)
                    return
                except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
                    return
                if request is None:
                    return
                self.requests += 1
                refused = self.guard.check(request) if self.guard is not None else None
                response = refused if refused is not None else self._dispatch(request)
                keep = request.headers.get("connection", "").lower() != "close"
                await self._send(writer, response, keep, head=request.method == "HEAD")
                if not keep:
                    return
        finally:
            self._writers.discard(writer)
            writer.close()

    def close_all(self) -> None:
        for w in list(self._writers):
            w.close()

    async def _read(self, reader: asyncio.StreamReader) -> HttpRequest | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as e:
            if not e.partial.strip():
                return None
            raise BadRequest(400, "incomplete request") from None
        except asyncio.LimitOverrunError:
            raise BadRequest(400, "request head too large") from None
        try:
            text = head.decode("latin-1")
            lines = text.split("\r\n")
            method, target, version = lines[0].split(" ")
        except ValueError:
            raise BadRequest(400, "malformed request line") from None
        if not version.startswith("HTTP/1.") or method not in METHODS:
            raise BadRequest(400, "unsupported method or protocol version")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise BadRequest(400, "malformed header line")
            headers[name.lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await _read_chunked(reader)
        else:
            try:
                length = int(headers.get("content-length", "0"))
            except ValueError:
                raise BadRequest(400, "bad Content-Length") from None
            if length < 0:
                raise BadRequest(400, "bad Content-Length")
            if length > MAX_BODY:
                raise BadRequest(413, "request body too large")
            body = await reader.readexactly(length) if length else b""
        try:
            parts = urlsplit(target)
            path = unquote(parts.path, errors="strict")
            query = dict(parse_qsl(parts.query, errors="strict"))
        except (ValueError, UnicodeDecodeError):
            raise BadRequest(400, "malformed request target") from None
        if not path.startswith("/"):
            raise BadRequest(400, "malformed request target")
        path = path.rstrip("/") or "/"
        return HttpRequest(method, path, query, headers, body, raw_path=parts.path)

    def _dispatch(self, request: HttpRequest) -> HttpResponse:
        route, params, allowed = self.routes.match(self.port_name, request.method, request.raw_path)
        if route is None:
            if allowed:
                return HttpResponse(
                    405, b"method not allowed\n", headers={"Allow": ", ".join(sorted(allowed))}
                )
            if request.path == "/" and self.port_name == "admin":
                return self._index()
            return HttpResponse(404, b"not found\n")
        request.params = params
        try:
            result = route.handler(request)
        except BadRequest as e:
            return HttpResponse(e.status, f"{e}\n".encode())
        except Exception:
            log.exception("%s %s failed", request.method, request.path)
            return HttpResponse(500, b"internal error\n")
        if isinstance(result, HttpResponse):
            return result
        status, ctype, body, *rest = result
        return HttpResponse(status, body, ctype, rest[0] if rest else {})

    def _index(self) -> HttpResponse:
        links = "".join(
            f'<li><a href="{p}">{p}</a></li>'
            for p in self.routes.paths(self.port_name)
            if "{" not in p
        )
        body = f"<!doctype html><title>polystack</title><h1>polystack</h1><ul>{links}</ul>"
        return HttpResponse(200, body.encode(), "text/html; charset=utf-8")

    @staticmethod
    async def _send(
        writer: asyncio.StreamWriter, r: HttpResponse, keep: bool, head: bool = False
    ) -> None:
        lines = [f"HTTP/1.1 {r.status} {REASONS.get(r.status, 'Unknown')}"]
        if r.status != 204:
            lines.append(f"Content-Type: {r.content_type}")
            lines.append(f"Content-Length: {len(r.body)}")
        for k, v in r.headers.items():
            lines.append(f"{k}: {v}")
        lines.append("Connection: keep-alive" if keep else "Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if not head and r.status != 204:
            data += r.body
        writer.write(data)
        try:
            await writer.drain()
        except ConnectionError:
            pass


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    out = bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadRequest(400, "bad chunk size") from None
        if size < 0:
            raise BadRequest(400, "bad chunk size")
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return bytes(out)
        if len(out) + size > MAX_BODY:
            raise BadRequest(413, "request body too large")
        out += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise BadRequest(400, "bad chunk")
