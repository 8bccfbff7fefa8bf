"""Helm's OCI registry client (pkg/registry: client.go, constants.go, util.go and
the oras-go transport under it): the distribution API calls Helm makes
(`/v2/`, manifests, blobs, monolithic blob uploads, tags/list), the
credentials file `registry login` writes (a docker-style config.json at
$HELM_REGISTRY_CONFIG), and oras-go's auth: Basic, or the token flow of a
`WWW-Authenticate: Bearer realm=...,service=...,scope=...` challenge.

Errors read as oras-go's: `GET "URL": response status code 404: name unknown:
repository name not known to registry`, `HEAD "URL": basic credential not
found`, `GET "URL": GET "TOKEN URL": response status code 401: ...`.
The chart operations built on this client (push, pull, tags for a version
constraint) are in oci.py."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import ssl
import urllib.parse
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPException, HTTPResponse, HTTPSConnection
from typing import Any

from polystack.helm.chart import helmpath
from polystack.helm.remote.getter import GetterError, GetterOptions, go_error, tls_context

__all__ = [
    "CHART_LAYER_MEDIA_TYPE",
    "CONFIG_MEDIA_TYPE",
    "MANIFEST_MEDIA_TYPE",
    "PROV_LAYER_MEDIA_TYPE",
    "Credentials",
    "RegistryClient",
    "RegistryError",
    "digest_of",
    "registry_config_path",
]

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.cncf.helm.config.v1+json"
CHART_LAYER_MEDIA_TYPE = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
LEGACY_CHART_LAYER_MEDIA_TYPE = "application/tar+gzip"
PROV_LAYER_MEDIA_TYPE = "application/vnd.cncf.helm.chart.provenance.v1.prov"
_MANIFEST_ACCEPT = ", ".join(
    [
        MANIFEST_MEDIA_TYPE,
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]
)
_STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class RegistryError(Exception):
    """A failed registry operation; str() is Helm's error text."""


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- credentials file


def registry_config_path() -> str:
    """$HELM_REGISTRY_CONFIG, else helmpath.ConfigPath("registry/config.json")."""
    return os.environ.get("HELM_REGISTRY_CONFIG") or helmpath.config_path("registry", "config.json")


@dataclass
class Credentials:
    """The `auths` of a docker-style config.json, as oras-go's file store keeps
    them: `{"auths": {"HOST": {"auth": base64("user:password")}}}` (a login with
    no user name stores the password as an identity token). Other keys of the
    file are kept as they are."""

    path: str = ""
    doc: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str = "") -> Credentials:
        path = path or registry_config_path()
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except FileNotFoundError:
            return cls(path, {})
        except OSError as e:
            raise RegistryError(f"failed to open config file at {path}: {e}") from None
        try:
            doc = json.loads(text) if text.strip() else {}
        except ValueError as e:
            raise RegistryError(f"failed to decode config file at {path}: {e}") from None
        return cls(path, doc if isinstance(doc, dict) else {})

    def get(self, host: str) -> tuple[str, str]:
        """(username, password) for host; ("", token) for an identity token."""
        entry = (self.doc.get("auths") or {}).get(host)
        if not isinstance(entry, dict):
            return "", ""
        if entry.get("identitytoken"):
            return "", str(entry["identitytoken"])
        auth = entry.get("auth") or ""
        if not auth:
            return str(entry.get("username") or ""), str(entry.get("password") or "")
        try:
            user, _, password = base64.b64decode(auth).decode().partition(":")
        except ValueError:
            return "", ""
        return user, password

    def put(self, host: str, username: str, password: str) -> None:
        auths = self.doc.setdefault("auths", {})
        if username:
            auths[host] = {"auth": base64.b64encode(f"{username}:{password}".encode()).decode()}
        else:
            auths[host] = {"identitytoken": password}
        self.save()

    def delete(self, host: str) -> bool:
        auths = self.doc.get("auths") or {}
        if host not in auths:
            return False
        del auths[host]
        self.save()
        return True

    def save(self) -> None:
        """Written as Go's json.MarshalIndent(cfg, "", "\\t"), mode 0600."""
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        text = json.dumps(self.doc, indent="\t", ensure_ascii=False)
        tmp = self.path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, self.path)


# ---------------------------------------------------------------- oras-go's errors


def _error_response(method: str, url: str, status: int, body: bytes) -> str:
    """errcode.ErrorResponse.Error()."""
    errs: list[str] = []
    try:
        doc = json.loads(body) if body else {}
    except ValueError:
        doc = {}
    for e in doc.get("errors") or [] if isinstance(doc, dict) else []:
        if not isinstance(e, dict):
            continue
        code = str(e.get("code") or "").replace("_", " ").lower()
        msg = str(e.get("message") or "")
        text = f"{code}: {msg}" if msg else code
        if e.get("detail") is not None:
            text += f": {e['detail']}"
        errs.append(text)
    detail = "; ".join(errs) if errs else _STATUS_TEXT.get(status, str(status))
    return f'{method} "{url}": response status code {status}: {detail}'


def _parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """auth.parseChallenge: (scheme lower-cased, params)."""
    scheme, _, rest = header.strip().partition(" ")
    params = {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))', rest)
    }
    return scheme.lower(), params


# ---------------------------------------------------------------- the client


@dataclass
class _Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


class RegistryClient:
    """registry.Client: one registry host's HTTP(S) transport with credentials
    (--username/--password, else the credentials file) and the TLS options of
    getter.py (--ca-file, --cert-file, --key-file, --insecure-skip-tls-verify)."""

    def __init__(
        self,
        *,
        plain_http: bool = False,
        username: str = "",
        password: str = "",
        tls: GetterOptions | None = None,
        credentials_file: str = "",
        timeout: float = 120.0,
    ) -> None:
        self.plain_http = plain_http
        self.username = username
        self.password = password
        self.tls = tls or GetterOptions()
        self.credentials_file = credentials_file
        self.timeout = timeout
        self._auth: dict[tuple[str, str], str] = {}  # (host, scope) -> Authorization
        self._ctx: ssl.SSLContext | None = None

    # ------------------------------------------------------------ transport

    def base(self, host: str) -> str:
        return f"{'http' if self.plain_http else 'https'}://{host}"

    def _context(self) -> ssl.SSLContext:
        if self._ctx is None:
            o = self.tls
            if (o.cert_file and o.key_file) or o.ca_file or o.insecure_skip_tls_verify:
                try:
                    self._ctx = tls_context(o)
                except GetterError as e:
                    raise RegistryError(str(e)) from None
            else:
                self._ctx = ssl.create_default_context()
                self._ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return self._ctx

    def _raw(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None = None
    ) -> _Response:
        """One request (redirects followed, Authorization dropped on another host)."""
        from polystack.helm.remote.getter import _user_agent

        first_host = urllib.parse.urlsplit(url).hostname or ""
        for _ in range(10):
            u = urllib.parse.urlsplit(url)
            conn: HTTPConnection
            if u.scheme == "https":
                conn = HTTPSConnection(
                    u.hostname or "", u.port, timeout=self.timeout, context=self._context()
                )
            else:
                conn = HTTPConnection(u.hostname or "", u.port, timeout=self.timeout)
            path = u.path + ("?" + u.query if u.query else "")
            hdrs = {"User-Agent": _user_agent(), **headers}
            if body is not None:
                hdrs["Content-Length"] = str(len(body))
            try:
                conn.request(method, path or "/", body=body, headers=hdrs)
                resp: HTTPResponse = conn.getresponse()
                data = resp.read()
            except (OSError, HTTPException) as e:
                op = method[:1] + method[1:].lower()
                text = go_error(e, url)
                if text == "tls: first record does not look like a TLS handshake":
                    # net/http's ErrSchemeMismatch: the record header was "HTTP/"
                    text = "http: server gave HTTP response to HTTPS client"
                raise RegistryError(f'{op} "{url}": {text}') from None
            finally:
                conn.close()
            rh = {k.lower(): v for k, v in resp.getheaders()}
            if resp.status in (301, 302, 303, 307, 308) and rh.get("location"):
                url = urllib.parse.urljoin(url, rh["location"])
                if (urllib.parse.urlsplit(url).hostname or "") != first_host:
                    headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
                if resp.status == 303:
                    method, body = "GET", None
                continue
            return _Response(resp.status, rh, data)
        raise RegistryError(f'{method} "{url}": stopped after 10 redirects')

    def _credential(self, host: str) -> tuple[str, str]:
        if self.username or self.password:
            return self.username, self.password
        return Credentials.load(self.credentials_file).get(host)

    def _token(
        self, host: str, method: str, url: str, params: dict[str, str], cred: tuple[str, str]
    ) -> str:
        """auth.Client.fetchBearerToken: a distribution token from the realm (basic
        credentials when there are some, anonymous otherwise)."""
        realm = params.get("realm", "")
        if not realm:
            raise RegistryError(f'{method} "{url}": missing realm in bearer auth challenge')
        q: dict[str, str] = {}
        if params.get("scope"):
            q["scope"] = params["scope"]
        if params.get("service"):
            q["service"] = params["service"]
        user, password = cred
        if user == "" and password:  # an identity token: the OAuth2 refresh flow
            form = {"grant_type": "refresh_token", "refresh_token": password}
            form.update(q)
            form["client_id"] = "oras-go"
            body = urllib.parse.urlencode(sorted(form.items())).encode()
            hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
            resp = self._raw("POST", realm, hdrs, body)
            token_url, token_method = realm, "POST"
        else:
            token_url = (
                realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(sorted(q.items()))
            )
            hdrs = {}
            if user or password:
                pair = base64.b64encode(f"{user}:{password}".encode()).decode()
                hdrs["Authorization"] = "Basic " + pair
            resp = self._raw("GET", token_url, hdrs)
            token_method = "GET"
        if resp.status != 200:
            err = _error_response(token_method, token_url, resp.status, resp.body)
            raise RegistryError(f'{method} "{url}": {err}')
        try:
            doc = json.loads(resp.body)
        except ValueError as e:
            raise RegistryError(f'{method} "{url}": {token_method} "{token_url}": {e}') from None
        token = doc.get("access_token") or doc.get("token") if isinstance(doc, dict) else ""
        if not token:
            raise RegistryError(
                f'{method} "{url}": {token_method} "{token_url}": empty token returned'
            )
        return str(token)

    def request(
        self,
        method: str,
        host: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        scope: str = "",
    ) -> _Response:
        """auth.Client.Do: the request, answered once more with credentials when
        the registry challenges it (Basic, or a token for the Bearer challenge)."""
        url = path if "://" in path else self.base(host) + path
        headers = dict(headers or {})
        cached = self._auth.get((host, scope))
        if cached:
            headers["Authorization"] = cached
        resp = self._raw(method, url, headers, body)
        if resp.status != 401:
            return resp
        scheme, params = _parse_challenge(resp.header("www-authenticate"))
        cred = self._credential(host)
        if scheme == "basic":
            user, password = cred
            if not user and not password:
                raise RegistryError(f'{method} "{url}": basic credential not found')
            value = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        elif scheme == "bearer":
            value = "Bearer " + self._token(host, method, url, params, cred)
        else:
            return resp
        headers["Authorization"] = value
        resp = self._raw(method, url, headers, body)
        if resp.status < 400:
            self._auth[(host, scope)] = value
        return resp

    def _check(self, resp: _Response, method: str, host: str, path: str, *ok: int) -> _Response:
        if resp.status not in (ok or (200,)):
            url = path if "://" in path else self.base(host) + path
            raise RegistryError(_error_response(method, url, resp.status, resp.body))
        return resp

    # ------------------------------------------------------------ API calls

    def ping(self, host: str) -> None:
        """GET /v2/ with credentials (what `registry login` checks)."""
        resp = self.request("GET", host, "/v2/", scope="login")
        self._check(resp, "GET", host, "/v2/")

    def tags(self, host: str, repository: str) -> list[str]:
        """Every tag of repository (following `Link` pagination)."""
        path = f"/v2/{repository}/tags/list"
        out: list[str] = []
        for _ in range(1000):
            resp = self._check(self.request("GET", host, path, scope=f"{repository}:pull"),
                               "GET", host, path)  # fmt: skip
            try:
                doc = json.loads(resp.body)
            except ValueError as e:
                raise RegistryError(f'GET "{self.base(host)}{path}": {e}') from None
            out.extend(str(t) for t in doc.get("tags") or [])
            m = re.match(r"<([^>]+)>", resp.header("link"))
            if not m:
                break
            path = urllib.parse.urljoin(path, m.group(1))
        return out

    def manifest(self, host: str, repository: str, reference: str) -> tuple[str, bytes] | None:
        """(digest, manifest bytes) by tag or digest; None when the registry has none."""
        path = f"/v2/{repository}/manifests/{reference}"
        resp = self.request(
            "GET", host, path, {"Accept": _MANIFEST_ACCEPT}, scope=f"{repository}:pull"
        )
        if resp.status == 404:
            return None
        self._check(resp, "GET", host, path)
        dg = digest_of(resp.body)
        if reference.startswith("sha256:") and dg != reference:
            raise RegistryError(f"{reference}: mismatch digest: {dg}")
        return dg, resp.body

    def manifest_exists(self, host: str, repository: str, reference: str) -> bool:
        path = f"/v2/{repository}/manifests/{reference}"
        resp = self.request(
            "HEAD", host, path, {"Accept": _MANIFEST_ACCEPT}, scope=f"{repository}:push"
        )
        if resp.status == 404:
            return False
        self._check(resp, "HEAD", host, path)
        return True

    def blob(self, host: str, repository: str, digest: str) -> bytes:
        path = f"/v2/{repository}/blobs/{digest}"
        resp = self._check(
            self.request("GET", host, path, scope=f"{repository}:pull"), "GET", host, path
        )
        if digest_of(resp.body) != digest:
            raise RegistryError(f"{digest}: mismatch digest: {digest_of(resp.body)}")
        return resp.body

    def push_blob(self, host: str, repository: str, data: bytes) -> str:
        """HEAD the blob, else POST an upload and PUT it whole (monolithic)."""
        dg = digest_of(data)
        scope = f"{repository}:push"
        path = f"/v2/{repository}/blobs/{dg}"
        head = self.request("HEAD", host, path, scope=scope)
        if head.status == 200:
            return dg
        if head.status != 404:
            self._check(head, "HEAD", host, path)
        start = f"/v2/{repository}/blobs/uploads/"
        resp = self._check(self.request("POST", host, start, scope=scope), "POST", host, start, 202)
        location = resp.header("location")
        if not location:
            raise RegistryError(f'POST "{self.base(host)}{start}": missing Location header')
        put = urllib.parse.urljoin(self.base(host) + start, location)
        put += ("&" if "?" in put else "?") + urllib.parse.urlencode({"digest": dg})
        hdrs = {"Content-Type": "application/octet-stream"}
        resp = self.request("PUT", host, put, hdrs, data, scope=scope)
        self._check(resp, "PUT", host, put, 201)
        return dg

    def push_manifest(self, host: str, repository: str, reference: str, data: bytes) -> str:
        path = f"/v2/{repository}/manifests/{reference}"
        hdrs = {"Content-Type": MANIFEST_MEDIA_TYPE}
        resp = self.request("PUT", host, path, hdrs, data, scope=f"{repository}:push")
        self._check(resp, "PUT", host, path, 201)
        return digest_of(data)
