"""A small HTTP/1.1 server session for the management API's own port, sans-I/O.

Requests are framed by ``Content-Length`` (or chunked), kept alive unless the client says
``Connection: close``; a malformed request gets 400 and the connection closed.  The request
target's path stays percent-encoded so that ``%2F`` in a vhost name stays inside one segment.
"""

from __future__ import annotations

import logging
from typing import Any

from .management import Management, Request, parse_target

log = logging.getLogger(__name__)

MAX_HEADER = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


class HttpSession:
    def __init__(self, management: Management, peer: Any) -> None:
        self.management = management
        self.peer = peer
        self.buf = b""
        self.closed = False

    def feed(self, data: bytes) -> None:
        if self.closed:
            return
        self.buf += data
        while not self.closed:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                if len(self.buf) > MAX_HEADER:
                    self._fail(400, "request header too large")
                return
            head = self.buf[:head_end].decode("latin-1")
            lines = head.split("\r\n")
            try:
                method, target, _version = lines[0].split(" ", 2)
            except ValueError:
                self._fail(400, "malformed request line")
                return
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if not sep:
                    self._fail(400, "malformed header")
                    return
                headers[name.strip().lower()] = value.strip()
            start = head_end + 4
            if headers.get("transfer-encoding", "").lower() == "chunked":
                body, used = _dechunk(self.buf, start)
                if body is None:
                    if len(self.buf) - start > MAX_BODY:
                        self._fail(413, "request body too large")
                    return
                end = used
            else:
                try:
                    length = int(headers.get("content-length", "0"))
                except ValueError:
                    self._fail(400, "bad content-length")
                    return
                if length > MAX_BODY:
                    self._fail(413, "request body too large")
                    return
                if len(self.buf) - start < length:
                    return
                body = self.buf[start : start + length]
                end = start + length
            self.buf = self.buf[end:]
            path, query = parse_target(target)
            try:
                resp = self.management.handle(Request(method, path, query, headers, body))
            except Exception:
                log.exception("management request %s %s failed", method, path)
                self._fail(500, "internal error")
                return
            keep = headers.get("connection", "").lower() != "close"
            self._write(resp.status, resp.content_type, resp.body, resp.headers, keep,
                        head_only=method == "HEAD")  # fmt: skip
            if not keep:
                self.closed = True
                self.peer.close()

    def _write(self, status: int, ctype: str, body: bytes, extra: dict, keep: bool,
               head_only: bool = False) -> None:  # fmt: skip
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}", "server: polystack",
                 f"content-length: {len(body)}", "vary: accept, accept-encoding, origin"]  # fmt: skip
        if body or status not in (201, 204):
            lines.append(f"content-type: {ctype}")
        for k, v in extra.items():
            lines.append(f"{k}: {v}")
        if not keep:
            lines.append("connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.peer.write(data if head_only else data + body)

    def _fail(self, status: int, reason: str) -> None:
        import json

        body = json.dumps({"error": "bad_request", "reason": reason}).encode()
        self._write(status, "application/json", body, {}, keep=False)
        self.closed = True
        self.peer.close()

    def connection_lost(self) -> None:
        self.closed = True


def _dechunk(buf: bytes, pos: int) -> tuple[bytes | None, int]:
    out = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None, 0
        try:
            size = int(buf[pos:eol].split(b";")[0], 16)
        except ValueError:
            return None, 0
        start = eol + 2
        if size == 0:
            end = buf.find(b"\r\n\r\n", eol)
            if end < 0:
                return None, 0
            return b"".join(out), end + 4
        if len(buf) < start + size + 2:
            return None, 0
        out.append(buf[start : start + size])
        pos = start + size + 2
