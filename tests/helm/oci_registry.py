"""A small OCI distribution registry for the tests: a thread serving HTTP (or
HTTPS) on 127.0.0.1 port 0 with the endpoints Helm's registry client uses:
`/v2/`, manifests GET/HEAD/PUT by tag and digest, blobs GET/HEAD, uploads
(POST, then PUT monolithic; POST with `?digest=`; PATCH chunks), tags/list.

It can require basic auth (`users`), or the token flow (`token=True`): a 401
with `WWW-Authenticate: Bearer realm=.../token,service=...,scope=...`, and a
`/token` endpoint that trades basic credentials (or none, with
`anonymous_pull`) for a bearer token. Errors are distribution's JSON bodies.
Every request is recorded (method, path, Authorization) in `requests`."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import re
import secrets
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_NAME = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
_ROUTES = [
    ("manifest", re.compile(rf"^/v2/(?P<name>{_NAME})/manifests/(?P<ref>[^/]+)$")),
    ("upload_start", re.compile(rf"^/v2/(?P<name>{_NAME})/blobs/uploads/?$")),
    ("upload", re.compile(rf"^/v2/(?P<name>{_NAME})/blobs/uploads/(?P<uuid>[^/]+)$")),
    ("blob", re.compile(rf"^/v2/(?P<name>{_NAME})/blobs/(?P<digest>sha256:[a-f0-9]{{64}})$")),
    ("tags", re.compile(rf"^/v2/(?P<name>{_NAME})/tags/list$")),
]
MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


@dataclass
class Registry:
    """What the registry holds, and how it is reached."""

    url: str = ""
    users: dict[str, str] = field(default_factory=dict)
    token: bool = False
    anonymous_pull: bool = False
    blobs: dict[str, bytes] = field(default_factory=dict)
    # repository -> tag or digest -> (media type, manifest bytes)
    manifests: dict[str, dict[str, tuple[str, bytes]]] = field(default_factory=dict)
    uploads: dict[str, bytearray] = field(default_factory=dict)
    tokens: dict[str, set[str]] = field(default_factory=dict)  # token -> allowed actions
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1]

    def tags(self, name: str) -> list[str]:
        return sorted(t for t in self.manifests.get(name, {}) if not t.startswith("sha256:"))

    def manifest(self, name: str, ref: str) -> dict[str, Any]:
        return dict(json.loads(self.manifests[name][ref][1]))


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    reg: Registry

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    # ---------------------------------------------------------- replies

    def _reply(
        self,
        code: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        head: bool = False,
    ) -> None:
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head:
            self.wfile.write(body)

    def _error(
        self, code: int, err: str, message: str, extra: dict[str, str] | None = None
    ) -> None:
        body = json.dumps({"errors": [{"code": err, "message": message, "detail": None}]})
        headers = {"Content-Type": "application/json; charset=utf-8"}
        headers.update(extra or {})
        self._reply(code, body.encode() + b"\n", headers, head=self.command == "HEAD")

    # ---------------------------------------------------------- auth

    def _challenge(self, scope: str) -> dict[str, str]:
        if self.reg.token:
            value = f'Bearer realm="{self.reg.url}/token",service="test-registry"'
            if scope:
                value += f',scope="{scope}"'
            return {"WWW-Authenticate": value}
        return {"WWW-Authenticate": 'Basic realm="Registry Realm"'}

    def _basic_user(self) -> str | None:
        got = self.headers.get("Authorization") or ""
        if not got.startswith("Basic "):
            return None
        try:
            user, _, pw = base64.b64decode(got[6:]).decode().partition(":")
        except ValueError:
            return None
        return user if self.reg.users.get(user) == pw else None

    def _authorized(self, name: str, action: str) -> bool:
        if not self.reg.users and not self.reg.token:
            return True
        if self.reg.token:
            got = self.headers.get("Authorization") or ""
            if not got.startswith("Bearer "):
                return False
            allowed = self.reg.tokens.get(got[7:], set())
            return f"{name}:{action}" in allowed or (not name and bool(allowed))
        return self._basic_user() is not None

    def _need(self, name: str, action: str) -> bool:
        """True when the request may go on; else the 401 was sent."""
        if self._authorized(name, action):
            return True
        scope = f"repository:{name}:{'pull,push' if action == 'push' else 'pull'}" if name else ""
        self._error(401, "UNAUTHORIZED", "authentication required", self._challenge(scope))
        return False

    def _token(self, query: dict[str, list[str]]) -> None:
        user = self._basic_user()
        has_creds = (self.headers.get("Authorization") or "").startswith("Basic ")
        if has_creds and user is None:
            self._error(401, "UNAUTHORIZED", "authentication required")
            return
        if user is None and not self.reg.anonymous_pull:
            self._error(401, "UNAUTHORIZED", "authentication required")
            return
        allowed: set[str] = set()
        for scope in query.get("scope", []):
            for item in scope.split(" "):
                parts = item.split(":")
                if len(parts) != 3 or parts[0] != "repository":
                    continue
                for act in parts[2].split(","):
                    if act == "pull" or user is not None:
                        allowed.add(f"{parts[1]}:{act}")
        allowed.add(":login")
        tok = secrets.token_hex(16)
        self.reg.tokens[tok] = allowed
        body = json.dumps({"token": tok, "access_token": tok, "expires_in": 300}).encode()
        self._reply(200, body, {"Content-Type": "application/json"})

    # ---------------------------------------------------------- dispatch

    def _route(self) -> None:
        u = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(u.query)
        with self.reg.lock:
            self.reg.requests.append(
                (self.command, self.path, self.headers.get("Authorization") or "")
            )
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if u.path == "/token" and self.reg.token:
            self._token(query)
            return
        if u.path in ("/v2", "/v2/"):
            if self._need("", "pull"):
                self._reply(200, b"{}", {"Content-Type": "application/json"})
            return
        for kind, rx in _ROUTES:
            m = rx.match(u.path)
            if m:
                getattr(self, "_" + kind)(m.groupdict(), query, body)
                return
        self._error(404, "NOT_FOUND", "not found")

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _route  # noqa: N815

    # ---------------------------------------------------------- endpoints

    def _manifest(self, g: dict[str, str], query: Any, body: bytes) -> None:
        name, ref = g["name"], g["ref"]
        if self.command in ("GET", "HEAD"):
            if not self._need(name, "pull"):
                return
            found = self.reg.manifests.get(name, {}).get(ref)
            if found is None:
                self._error(404, "MANIFEST_UNKNOWN", "manifest unknown")
                return
            media, data = found
            headers = {
                "Content-Type": media,
                "Docker-Content-Digest": _digest(data),
                "Content-Length": str(len(data)),
            }
            self._reply(200, data, headers, head=self.command == "HEAD")
            return
        if self.command != "PUT":
            self._error(405, "UNSUPPORTED", "unsupported")
            return
        if not self._need(name, "push"):
            return
        media = (self.headers.get("Content-Type") or "").split(";")[0]
        if media not in MANIFEST_TYPES:
            self._error(400, "MANIFEST_INVALID", "manifest invalid")
            return
        doc = json.loads(body)
        for d in [doc.get("config", {})] + doc.get("layers", []):
            if d.get("digest") not in self.reg.blobs:
                self._error(400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry")
                return
        dg = _digest(body)
        if ref.startswith("sha256:") and ref != dg:
            self._error(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
            return
        repo = self.reg.manifests.setdefault(name, {})
        repo[dg] = (media, body)
        repo[ref] = (media, body)
        headers = {"Location": f"/v2/{name}/manifests/{dg}", "Docker-Content-Digest": dg}
        self._reply(201, b"", headers)

    def _blob(self, g: dict[str, str], query: Any, body: bytes) -> None:
        if not self._need(g["name"], "pull"):
            return
        data = self.reg.blobs.get(g["digest"])
        if data is None:
            self._error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            return
        headers = {
            "Content-Type": "application/octet-stream",
            "Docker-Content-Digest": g["digest"],
            "Content-Length": str(len(data)),
        }
        self._reply(200, data, headers, head=self.command == "HEAD")

    def _store(self, name: str, data: bytes, digest: str) -> None:
        if _digest(data) != digest:
            self._error(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
            return
        self.reg.blobs[digest] = data
        headers = {"Location": f"/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest}
        self._reply(201, b"", headers)

    def _upload_start(self, g: dict[str, str], query: dict[str, list[str]], body: bytes) -> None:
        if self.command != "POST" or not self._need(g["name"], "push"):
            if self.command != "POST":
                self._error(405, "UNSUPPORTED", "unsupported")
            return
        if "digest" in query:
            self._store(g["name"], body, query["digest"][0])
            return
        uid = secrets.token_hex(8)
        self.reg.uploads[uid] = bytearray(body)
        headers = {
            "Location": f"/v2/{g['name']}/blobs/uploads/{uid}?_state=x",
            "Docker-Upload-UUID": uid,
            "Range": "0-0",
        }
        self._reply(202, b"", headers)

    def _upload(self, g: dict[str, str], query: dict[str, list[str]], body: bytes) -> None:
        if not self._need(g["name"], "push"):
            return
        buf = self.reg.uploads.get(g["uuid"])
        if buf is None:
            self._error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
            return
        buf.extend(body)
        if self.command == "PATCH":
            headers = {
                "Location": f"/v2/{g['name']}/blobs/uploads/{g['uuid']}",
                "Range": f"0-{len(buf) - 1}",
            }
            self._reply(202, b"", headers)
            return
        if self.command != "PUT" or "digest" not in query:
            self._error(400, "DIGEST_INVALID", "digest missing")
            return
        del self.reg.uploads[g["uuid"]]
        self._store(g["name"], bytes(buf), query["digest"][0])

    def _tags(self, g: dict[str, str], query: Any, body: bytes) -> None:
        if not self._need(g["name"], "pull"):
            return
        if g["name"] not in self.reg.manifests:
            self._error(404, "NAME_UNKNOWN", "repository name not known to registry")
            return
        doc = {"name": g["name"], "tags": self.reg.tags(g["name"])}
        self._reply(200, json.dumps(doc).encode(), {"Content-Type": "application/json"})


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients closing kept-alive connections are no test failure: stay quiet
        (the CLI tests capture stderr, where socketserver would print them)."""


@contextmanager
def serve_registry(
    *,
    users: dict[str, str] | None = None,
    token: bool = False,
    anonymous_pull: bool = False,
    cert: tuple[str, str] | None = None,
) -> Iterator[Registry]:
    """Run a registry on 127.0.0.1 (HTTPS with cert) until the block ends."""
    reg = Registry(users=dict(users or {}), token=token, anonymous_pull=anonymous_pull)
    handler = type("Handler", (_Handler,), {"reg": reg})
    srv = _Server(("127.0.0.1", 0), handler)
    scheme = "http"
    if cert is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*cert)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        scheme = "https"
    reg.url = f"{scheme}://127.0.0.1:{srv.server_address[1]}"
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        yield reg
    finally:
        srv.shutdown()
        srv.server_close()
        th.join(timeout=5)
