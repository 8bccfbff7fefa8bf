"""The management API's HTTP layer, sans-I/O: the request and response records, the route
table that the route modules (management.py, management_access.py) register into, and
:class:`Management`, which matches a request against it, authenticates the user (Basic auth,
a management tag) and turns errors into RabbitMQ's JSON error bodies.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from . import rates as R
from .auth import check_password
from .errors import AMQPError

MANAGEMENT_TAGS = frozenset({"administrator", "monitoring", "policymaker", "management"})


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)

    def basic_auth(self) -> tuple[str, str] | None:
        h = self.headers.get("authorization", "")
        if not h.lower().startswith("basic "):
            return None
        try:
            user, _, pw = base64.b64decode(h[6:].strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, pw

    def json(self) -> Any:
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise HttpError(400, "bad_request", "not_json") from None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(status, error, reason)
        self.status = status
        self.error = error
        self.reason = reason


def json_response(value: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(value, separators=(",", ":")).encode())


def not_found() -> HttpError:
    return HttpError(404, "Object Not Found", "Not Found")


Handler = Callable[["Management", Request], Response]
ROUTES: list[tuple[str, str, Handler, bool]] = []  # method, pattern, handler, admin only


def route(method: str, pattern: str, admin: bool = False):
    def register(fn: Handler) -> Handler:
        ROUTES.append((method, pattern, fn, admin))
        return fn

    return register


def _compile(pattern: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "/?$")


class Management:
    """One broker's management API."""

    def __init__(self, broker: Any, node_name: str = "polystack@localhost") -> None:
        self.broker = broker
        self.node = node_name
        self.routes = [(m, _compile(p), fn, admin) for m, p, fn, admin in ROUTES]
        self.listeners: list[dict] = []
        # the sample ranges the request at hand asked for (msg_rates, lengths, data_rates)
        self.ranges: dict[str, R.Range] = {}

    # -- dispatch --------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        try:
            return self._handle(req)
        except HttpError as e:
            return self._error(e)
        except AMQPError as e:
            return json_response({"error": "bad_request", "reason": e.text}, 400)

    def _handle(self, req: Request) -> Response:
        path = req.path.split("?", 1)[0]
        matched = [(m, rx.match(path), fn, admin) for m, rx, fn, admin in self.routes]
        matched = [(m, mt, fn, admin) for m, mt, fn, admin in matched if mt is not None]
        if not matched:
            raise not_found()
        for m, mt, fn, admin in matched:
            assert mt is not None
            if m == req.method or (req.method == "HEAD" and m == "GET"):
                req.params = {k: unquote(v) for k, v in mt.groupdict().items()}
                return self._call(fn, admin, req)
        allowed = sorted({m for m, *_ in matched})
        return Response(405, b"", headers={"allow": ", ".join(allowed)})

    def dispatch(self, fn: Handler, admin: bool, req: Request) -> Response:
        """Run one route's handler (``req.params`` already matched and decoded)."""
        try:
            return self._call(fn, admin, req)
        except HttpError as e:
            return self._error(e)
        except AMQPError as e:
            return json_response({"error": "bad_request", "reason": e.text}, 400)

    def _call(self, fn: Handler, admin: bool, req: Request) -> Response:
        user = self._authenticate(req)
        if admin and "administrator" not in user.tags:
            raise HttpError(401, "not_authorized", "Not administrator user")
        req.user = user  # type: ignore[attr-defined]
        now = self.broker.stats_now()
        self.ranges = {}
        for prefix in ("msg_rates", "lengths", "data_rates"):
            rng = R.Range.parse(req.query, prefix, now)
            if rng is not None:
                self.ranges[prefix] = rng
        try:
            return fn(self, req)
        finally:
            self.ranges = {}

    @staticmethod
    def _error(e: HttpError) -> Response:
        resp = json_response({"error": e.error, "reason": e.reason}, e.status)
        if e.status == 401:
            resp.headers["www-authenticate"] = 'Basic realm="RabbitMQ Management"'
        return resp

    def _authenticate(self, req: Request) -> Any:
        creds = req.basic_auth()
        if creds is None:
            raise HttpError(401, "not_authorized", "Login failed")
        u = self.broker.users.get(creds[0])
        if u is None or not check_password(u.password_hash, creds[1]):
            raise HttpError(401, "not_authorized", "Login failed")
        if not MANAGEMENT_TAGS & set(u.tags):
            raise HttpError(401, "not_authorized", "Not management user")
        return u

    # -- helpers ----------------------------------------------------------------------------------
    def vhost(self, name: str) -> Any:
        v = self.broker.vhosts.get(name)
        if v is None:
            raise not_found()
        return v

    def visible(self, req: Request, vhost: str) -> bool:
        u = req.user  # type: ignore[attr-defined]
        if {"administrator", "monitoring"} & set(u.tags):
            return True
        return (u.name, vhost) in self.broker.permissions

    def vhosts_for(self, req: Request) -> list[Any]:
        name = req.params.get("vhost")
        if name is not None:
            v = self.vhost(name)
            if not self.visible(req, v.name):
                raise HttpError(401, "not_authorized", "Access refused.")
            return [v]
        return [v for v in self.broker.vhosts.values() if self.visible(req, v.name)]


def parse_target(target: str) -> tuple[str, dict[str, str]]:
    """Split a request target into a path (still %-encoded per segment) and its query."""
    path, _, qs = target.partition("?")
    return path, dict(parse_qsl(qs))
