"""The admin port's guard (README "Security"): it listens on loopback unless ``admin_bind``
says otherwise; every request's ``Host`` must name this machine by address, ``localhost`` or
a name in ``admin_allowed_hosts`` (a page on another site that resolves its own name to
127.0.0.1, DNS rebinding, is refused); with ``admin_auth`` every route but ``/healthz`` and
``/readyz`` needs a bearer token or Basic credentials (compared in constant time).

``admin_auth`` is ``"bearer:TOKEN"`` (``Authorization: Bearer TOKEN``) or
``"basic:USER:PASSWORD"`` (``Authorization: Basic ...``); empty is no authentication.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from dataclasses import dataclass

from polystack.runtime.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

# Routes an orchestrator's probes call without credentials.
PUBLIC_PATHS = frozenset(("/healthz", "/readyz"))


def parse_admin_auth(value: str) -> tuple[str, str, str]:
    """("", "", "") | ("bearer", token, "") | ("basic", user, password); ValueError names what
    is wrong."""
    if not value:
        return "", "", ""
    kind, _, rest = value.partition(":")
    kind = kind.lower()
    if kind == "bearer" and rest:
        return "bearer", rest, ""
    if kind == "basic":
        user, sep, password = rest.partition(":")
        if sep and user and password:
            return "basic", user, password
    raise ValueError("must be 'bearer:TOKEN' or 'basic:USER:PASSWORD'")


def is_loopback(address: str) -> bool:
    """An address (or ``localhost``) that only this machine can reach."""
    host = address.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_name(header: str) -> str:
    """The host part of a Host header (without the port; IPv6 without brackets)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


@dataclass
class AdminGuard:
    bind: str = "127.0.0.1"
    auth: str = ""
    allowed_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self._kind, self._a, self._b = parse_admin_auth(self.auth)
        self._allowed = {h.strip().lower() for h in self.allowed_hosts if h.strip()}

    @property
    def authenticated(self) -> bool:
        return bool(self._kind)

    def host_allowed(self, header: str | None) -> bool:
        if header is None or "*" in self._allowed:
            return True  # HTTP/1.0 without Host (no browser sends that)
        host = _host_name(header)
        if not host:
            return False
        if host in self._allowed or host == "localhost" or host == self.bind.lower():
            return True
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return False
        return True  # an address literal: no name to rebind

    def credentials_ok(self, request: HttpRequest) -> bool:
        if self._kind == "bearer":
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            return scheme.lower() == "bearer" and hmac.compare_digest(
                token.strip().encode(), self._a.encode()
            )
        if self._kind == "basic":
            creds = request.basic_auth()
            if creds is None:
                return False
            user_ok = hmac.compare_digest(creds[0].encode(), self._a.encode())
            password_ok = hmac.compare_digest(creds[1].encode(), self._b.encode())
            return user_ok and password_ok
        return True

    def check(self, request: HttpRequest) -> HttpResponse | None:
        """None when the request may proceed, else the refusal."""
        if not self.host_allowed(request.headers.get("host")):
            log.warning(
                "admin: refused a request for Host %r (not this machine's address, localhost "
                "or admin_allowed_hosts: DNS rebinding?)",
                request.headers.get("host"),
            )
            return HttpResponse(403, b"invalid Host header\n")
        if request.path in PUBLIC_PATHS or self.credentials_ok(request):
            return None
        challenge = (
            'Bearer realm="polystack"' if self._kind == "bearer" else ('Basic realm="polystack"')
        )
        return HttpResponse(401, b"authentication required\n", headers={
            "WWW-Authenticate": challenge
        })  # fmt: skip
