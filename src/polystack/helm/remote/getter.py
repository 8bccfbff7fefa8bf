"""Helm's HTTP(S) getter (pkg/getter/httpgetter.go, internal/tlsutil): GET a URL
with the options a chart repository carries: basic-auth credentials (sent only
to the repository's own scheme and host unless `pass_credentials_all`), a client
certificate and key, a CA bundle, and `insecure_skip_tls_verify`.

Errors read as Go's: `failed to fetch URL : 401 Unauthorized` for a status other
than 200, `Get "URL": ...` for transport errors with Go's texts where Python's
exceptions can be mapped (`dial tcp 127.0.0.1:1: connect: connection refused`,
`tls: failed to verify certificate: x509: certificate signed by unknown
authority`, `remote error: tls: certificate required` ...), and
`can't create TLS config for client: ...` for unreadable TLS files.
"""

from __future__ import annotations

import base64
import dataclasses
import ipaddress
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from http.client import HTTPException, HTTPSConnection, RemoteDisconnected
from typing import Any

__all__ = [
    "CHART_ACCEPT",
    "GetterError",
    "GetterOptions",
    "get",
    "hostname",
    "same_scheme_host",
    "url_equal",
]

# ChartDownloader's getter.WithAcceptHeader for chart archives
CHART_ACCEPT = "application/gzip,application/octet-stream"
# getter.DefaultHTTPTimeout (seconds): `repo add --timeout`'s default; used for every request
DEFAULT_TIMEOUT = 120.0


class GetterError(Exception):
    """A failed GET; str() is Helm's error text."""


@dataclass(frozen=True)
class GetterOptions:
    """getter.Options as the HTTP getter reads them. `url` is getter.WithURL: the
    repository the credentials and TLS files belong to (the SNI name comes from it)."""

    url: str = ""
    username: str = ""
    password: str = ""
    pass_credentials_all: bool = False
    cert_file: str = ""
    key_file: str = ""
    ca_file: str = ""
    insecure_skip_tls_verify: bool = False
    accept: str = ""
    timeout: float = DEFAULT_TIMEOUT

    def but(self, **changes: Any) -> GetterOptions:
        """These options with some replaced (a later getter.Option wins)."""
        return dataclasses.replace(self, **changes)


# ---------------------------------------------------------------- URLs


def _host_port(u: urllib.parse.SplitResult) -> str:
    """url.URL.Host: host[:port] without user info."""
    return u.netloc.rsplit("@", 1)[-1]


def hostname(url: str) -> str:
    """urlutil.ExtractHostname: url.URL.Hostname()."""
    return urllib.parse.urlsplit(url).hostname or ""


def same_scheme_host(a: str, b: str) -> bool:
    """`u1.Scheme == u2.Scheme && u1.Host == u2.Host` (the port is part of Host)."""
    ua, ub = urllib.parse.urlsplit(a), urllib.parse.urlsplit(b)
    return ua.scheme == ub.scheme and _host_port(ua) == _host_port(ub)


def url_equal(a: str, b: str) -> bool:
    """urlutil.Equal: the same URL once paths are cleaned (a trailing `/` does not count)."""

    def norm(s: str) -> str:
        u = urllib.parse.urlsplit(s)
        path = "/" + "/".join(p for p in u.path.split("/") if p not in ("", "."))
        return urllib.parse.urlunsplit((u.scheme, u.netloc, path, u.query, u.fragment))

    return norm(a) == norm(b)


# ---------------------------------------------------------------- TLS config


def _go_file_error(op: str, path: str, e: OSError) -> str:
    """Go's *fs.PathError text: `open PATH: no such file or directory`."""
    import errno

    if isinstance(e, IsADirectoryError) or e.errno == errno.EISDIR:
        return f"read {path}: is a directory"
    return f"{op} {path}: {(e.strerror or str(e)).lower()}"


def _read(path: str, what: str) -> tuple[bytes | None, str]:
    try:
        with open(path, "rb") as fh:
            return fh.read(), ""
    except OSError as e:
        return None, f'{what}: "{path}": {_go_file_error("open", path, e)}'


def _pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """(type, whole PEM block) for every block in data, as encoding/pem.Decode finds them."""
    out: list[tuple[str, bytes]] = []
    rest = data
    while True:
        i = rest.find(b"-----BEGIN ")
        if i < 0:
            return out
        j = rest.find(b"-----", i + 11)
        if j < 0:
            return out
        kind = rest[i + 11 : j].decode("ascii", "replace")
        end_marker = b"-----END " + kind.encode() + b"-----"
        k = rest.find(end_marker, j)
        if k < 0:
            return out
        out.append((kind, rest[i : k + len(end_marker)]))
        rest = rest[k + len(end_marker) :]


def _check_key_pair(cert_pem: bytes, key_pem: bytes) -> str:
    """tls.X509KeyPair's checks: the error text, or ""."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    blocks = _pem_blocks(cert_pem)
    certs = [b for t, b in blocks if t == "CERTIFICATE"]
    if not certs:
        skipped = [t for t, _ in blocks]
        if not skipped:
            return "tls: failed to find any PEM data in certificate input"
        return (
            'tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping'
            f" PEM blocks of the following types: [{' '.join(skipped)}]"
        )
    key_block = b""
    skipped = []
    for kind, block in _pem_blocks(key_pem):
        if kind == "PRIVATE KEY" or kind.endswith(" PRIVATE KEY"):
            key_block = block
            break
        skipped.append(kind)
    if not key_block:
        if not skipped:
            return "tls: failed to find any PEM data in key input"
        if skipped == ["CERTIFICATE"]:
            return "tls: found a certificate rather than a key in the PEM for the private key"
        return (
            'tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after'
            f" skipping PEM blocks of the following types: [{' '.join(skipped)}]"
        )
    try:
        leaf = x509.load_pem_x509_certificate(certs[0])
    except ValueError:
        return "x509: malformed certificate"
    try:
        key = serialization.load_pem_private_key(key_block, password=None)
    except (ValueError, TypeError):
        return "tls: failed to parse private key"
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if leaf.public_key().public_bytes(der, pub) != key.public_key().public_bytes(der, pub):
        return "tls: private key does not match public key"
    return ""


def _ca_certificates(pem: bytes) -> str:
    """x509.CertPool.AppendCertsFromPEM: the CERTIFICATE blocks that parse (other
    blocks and text are skipped), as PEM text; "" when there is none."""
    from cryptography import x509

    good: list[str] = []
    for kind, block in _pem_blocks(pem):
        if kind != "CERTIFICATE":
            continue
        try:
            x509.load_pem_x509_certificate(block)
        except ValueError:
            continue
        good.append(block.decode("ascii"))
    return "\n".join(good)


def tls_context(o: GetterOptions) -> ssl.SSLContext:
    """tlsutil.NewTLSConfig(WithInsecureSkipVerify, WithCertKeyPairFiles, WithCAFile):
    the option errors are joined with newlines (errors.Join), then the key pair
    and the CA bundle are loaded. Raises GetterError with Helm's wrapping."""
    errs: list[str] = []
    cert = key = ca = None
    if o.cert_file or o.key_file:
        cert, err = _read(o.cert_file, "unable to read cert file")
        if err:
            errs.append(err)
        else:
            key, err = _read(o.key_file, "unable to read key file")
            if err:
                errs.append(err)
    if o.ca_file:
        ca, err = _read(o.ca_file, "can't read CA file")
        if err:
            errs.append(err)
    if errs:
        raise GetterError("can't create TLS config for client: " + "\n".join(errs))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # crypto/tls's client default
    if cert and key:
        bad = _check_key_pair(cert, key)
        if bad:
            raise GetterError(
                f"can't create TLS config for client: unable to load cert from key pair: {bad}"
            )
        ctx.load_cert_chain(o.cert_file, o.key_file)
    if ca:
        roots = _ca_certificates(ca)
        if not roots:
            raise GetterError(
                "can't create TLS config for client: failed to append certificates from pem block"
            )
        ctx.load_verify_locations(cadata=roots)
    else:
        ctx.load_default_certs()  # RootCAs nil: the system roots
    if o.insecure_skip_tls_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _default_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


# ---------------------------------------------------------------- HTTP


class _SNIConnection(HTTPSConnection):
    """An HTTPS connection whose TLS server name may differ from the host dialled
    (the getter sets ServerName from the repository URL)."""

    def __init__(self, *args: Any, sni: str = "", **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._sni = sni

    def connect(self) -> None:
        from http.client import HTTPConnection

        HTTPConnection.connect(self)
        # HTTPSConnection's own attributes (the proxy tunnel's host, the SSL context)
        server_name = self._sni or getattr(self, "_tunnel_host", None) or self.host
        context = getattr(self, "_context")  # noqa: B009 - private to http.client
        self.sock = context.wrap_socket(self.sock, server_hostname=server_name)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, context: ssl.SSLContext, sni: str) -> None:
        super().__init__(context=context)
        self._ctx = context
        self._sni = sni

    def https_open(self, req: urllib.request.Request) -> Any:
        sni = self._sni

        def conn(host: str, **kw: Any) -> _SNIConnection:
            return _SNIConnection(host, sni=sni, **kw)

        return self.do_open(conn, req, context=self._ctx)


class _Redirect(urllib.request.HTTPRedirectHandler):
    """Go's client follows redirects and drops Authorization when the new host is
    neither the original one nor a subdomain of it."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is None:
            return None
        old_host = (urllib.parse.urlsplit(req.full_url).hostname or "").lower()
        new_host = (urllib.parse.urlsplit(newurl).hostname or "").lower()
        if new_host != old_host and not new_host.endswith("." + old_host):
            for h in list(new.headers):
                if h.lower() == "authorization":
                    del new.headers[h]
            new.unredirected_hdrs.pop("Authorization", None)
        return new


class _StatusError(Exception):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def _user_agent() -> str:
    """version.GetUserAgent(): `Helm/` and the version without its `v`."""
    from polystack.helm.funcs.helm import HELM_VERSION

    return "Helm/" + HELM_VERSION.lstrip("v")


def get(href: str, o: GetterOptions | None = None) -> bytes:
    """HTTPGetter.Get: the body of href, or GetterError with Helm's text."""
    o = o or GetterOptions()
    u = urllib.parse.urlsplit(href)
    if u.scheme not in ("http", "https"):
        raise GetterError(f"could not find protocol handler for: {u.scheme}")
    headers = {"User-Agent": _user_agent()}
    if o.accept:
        headers["Accept"] = o.accept
    target = href
    if u.username is not None:  # Go's transport turns URL user info into basic auth
        target = urllib.parse.urlunsplit((u.scheme, _host_port(u), u.path, u.query, u.fragment))
        user_info = f"{urllib.parse.unquote(u.username)}:{urllib.parse.unquote(u.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(user_info.encode()).decode()
    # credentials only go to the repository's own scheme and host, unless told otherwise
    if o.pass_credentials_all or same_scheme_host(o.url, href):
        if o.username and o.password:
            pair = f"{o.username}:{o.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    handlers: list[Any] = [_Redirect()]
    custom_tls = bool((o.cert_file and o.key_file) or o.ca_file or o.insecure_skip_tls_verify)
    sni = (hostname(o.url) if custom_tls else "") or (u.hostname or "")
    ctx = tls_context(o) if custom_tls else _default_context()
    handlers.append(_HTTPSHandler(ctx, sni if custom_tls else ""))
    opener = urllib.request.build_opener(*handlers)
    req = urllib.request.Request(target, headers=headers)
    try:
        with opener.open(req, timeout=o.timeout) as resp:
            if resp.status != 200:
                raise _StatusError(f"{resp.status} {resp.reason}".rstrip())
            return bytes(resp.read())
    except urllib.error.HTTPError as e:
        raise GetterError(f"failed to fetch {href} : {f'{e.code} {e.reason}'.rstrip()}") from None
    except _StatusError as e:
        raise GetterError(f"failed to fetch {href} : {e.status}") from None
    except urllib.error.URLError as e:
        reason = e.reason if isinstance(e.reason, BaseException) else OSError(str(e.reason))
        raise GetterError(f'Get "{_redact(href)}": {go_error(reason, href, sni)}') from None
    except (OSError, RemoteDisconnected) as e:
        raise GetterError(f'Get "{_redact(href)}": {go_error(e, href, sni)}') from None
    except HTTPException as e:  # a malformed or cut response
        raise GetterError(f'Get "{_redact(href)}": unexpected EOF ({e})') from None


def _redact(href: str) -> str:
    """url.URL.Redacted: a password in the URL reads `xxxxx`."""
    u = urllib.parse.urlsplit(href)
    if u.password is None:
        return href
    netloc = f"{u.username}:xxxxx@{_host_port(u)}"
    return urllib.parse.urlunsplit((u.scheme, netloc, u.path, u.query, u.fragment))


# ---------------------------------------------------------------- Go's error texts

# crypto/tls alert texts (alert.go), by OpenSSL's reason code for the alert
_ALERTS = {
    "CERTIFICATE_REQUIRED": "certificate required",
    "BAD_CERTIFICATE": "bad certificate",
    "UNKNOWN_CA": "unknown certificate authority",
    "HANDSHAKE_FAILURE": "handshake failure",
    "PROTOCOL_VERSION": "protocol version not supported",
    "INTERNAL_ERROR": "internal error",
    "CERTIFICATE_EXPIRED": "expired certificate",
    "CERTIFICATE_REVOKED": "revoked certificate",
    "CERTIFICATE_UNKNOWN": "unknown certificate",
    "UNSUPPORTED_CERTIFICATE": "unsupported certificate",
    "ACCESS_DENIED": "access denied",
    "DECRYPT_ERROR": "error decrypting message",
    "DECODE_ERROR": "error decoding message",
    "ILLEGAL_PARAMETER": "illegal parameter",
    "UNRECOGNIZED_NAME": "unrecognized name",
    "NO_APPLICATION_PROTOCOL": "no application protocol",
    "INSUFFICIENT_SECURITY": "insufficient security level",
}


def _dial_addr(href: str) -> str:
    u = urllib.parse.urlsplit(href)
    host = u.hostname or ""
    port = u.port or (443 if u.scheme == "https" else 80)
    try:
        ipaddress.ip_address(host)
        ip = host
    except ValueError:
        try:
            ip = str(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0])
        except OSError:
            ip = host
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def go_error(e: BaseException, href: str, sni: str = "") -> str:
    """The text Go's net/http client gives for a transport error (after `Get "URL": `)."""
    host = urllib.parse.urlsplit(href).hostname or ""
    if isinstance(e, ssl.SSLCertVerificationError):
        return "tls: failed to verify certificate: " + _x509_error(e, href, sni or host)
    if isinstance(e, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        # the peer closed the connection; Go may have read an alert first (documented)
        return "EOF"
    if isinstance(e, ssl.SSLError):
        reason = str(getattr(e, "reason", "") or "")
        if reason == "WRONG_VERSION_NUMBER":
            return "tls: first record does not look like a TLS handshake"
        for code, text in _ALERTS.items():
            if "ALERT" in reason and reason.endswith(code):
                return f"remote error: tls: {text}"
        return "tls: " + (reason.lower().replace("_", " ") or str(e))
    if isinstance(e, ConnectionRefusedError):
        return f"dial tcp {_dial_addr(href)}: connect: connection refused"
    if isinstance(e, socket.gaierror):
        return f"dial tcp: lookup {host}: no such host"
    if isinstance(e, TimeoutError | socket.timeout):
        return "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
    if isinstance(e, ConnectionResetError):
        return "read: connection reset by peer"
    if isinstance(e, RemoteDisconnected):
        return "EOF"
    if isinstance(e, OSError) and e.strerror:
        return e.strerror.lower()
    return str(e)


def _x509_error(e: ssl.SSLCertVerificationError, href: str, server_name: str) -> str:
    """x509's error for a failed verification, checked in Go's order: validity
    period, then host name, then the chain. OpenSSL reports the chain first, so
    the leaf is fetched again (without verification) to run Go's checks on it."""
    leaf = _peer_leaf(href, server_name)
    if leaf is not None:
        now = datetime.now(UTC)
        if now > leaf.not_valid_after_utc:
            return (
                "x509: certificate has expired or is not yet valid: current time"
                f" {_rfc3339(now)} is after {_rfc3339(leaf.not_valid_after_utc)}"
            )
        if now < leaf.not_valid_before_utc:
            return (
                "x509: certificate has expired or is not yet valid: current time"
                f" {_rfc3339(now)} is before {_rfc3339(leaf.not_valid_before_utc)}"
            )
        bad_name = _hostname_error(leaf, server_name)
        if bad_name:
            return bad_name
    code = getattr(e, "verify_code", 0)
    if code in (2, 18, 19, 20, 21):
        return "x509: certificate signed by unknown authority"
    if code in (9, 10):
        return "x509: certificate has expired or is not yet valid"
    if code == 26:
        return "x509: certificate specifies an incompatible key usage"
    return "x509: " + str(getattr(e, "verify_message", "") or e)


def _rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _peer_leaf(href: str, server_name: str) -> Any:
    """The server's leaf certificate, from a handshake without verification."""
    from cryptography import x509

    u = urllib.parse.urlsplit(href)
    if urllib.request.getproxies().get(u.scheme):
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((u.hostname, u.port or 443), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=server_name or None) as s:
                der = s.getpeercert(binary_form=True)
    except OSError:
        return None
    return x509.load_der_x509_certificate(der) if der else None


def _hostname_error(leaf: Any, host: str) -> str:
    """x509.HostnameError's text when leaf does not cover host, else ""."""
    from cryptography import x509

    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = san.get_values_for_type(x509.DNSName)
        ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
        has_san = True
    except x509.ExtensionNotFound:
        dns_names, ips, has_san = [], [], False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        if any(ipaddress.ip_address(a) == ip for a in ips):
            return ""
    elif any(_match_hostname(p, host) for p in dns_names):
        return ""
    if not has_san:
        cns = leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        if cns and _match_hostname(str(cns[0].value), host):
            return "x509: certificate relies on legacy Common Name field, use SANs instead"
    if ip is not None:
        if not ips:
            return (
                f"x509: cannot validate certificate for {host} because it doesn't contain any"
                " IP SANs"
            )
        valid = ", ".join(ips)
    else:
        valid = ", ".join(dns_names)
    if not valid:
        return f"x509: certificate is not valid for any names, but wanted to match {host}"
    return f"x509: certificate is valid for {valid}, not {host}"


def _match_hostname(pattern: str, host: str) -> bool:
    """x509's matchHostnames: case-insensitive, `*` only as the whole leftmost label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if not pattern or not host:
        return False
    p_labels, h_labels = pattern.split("."), host.split(".")
    if len(p_labels) != len(h_labels):
        return False
    for i, (p, h) in enumerate(zip(p_labels, h_labels, strict=True)):
        if i == 0 and p == "*":
            continue
        if p != h:
            return False
    return True
