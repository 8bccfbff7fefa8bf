"""Test chart repositories over HTTPS: a throwaway PKI made with `cryptography`
(a CA, server certificates for 127.0.0.1, client certificates) and threaded
http.server instances on 127.0.0.1 port 0 that can require basic auth and a
client certificate (mutual TLS)."""

from __future__ import annotations

import base64
import datetime
import functools
import http.server
import ipaddress
import os
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_DAY = datetime.timedelta(days=1)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class PKI:
    """A CA in a directory; `issue` writes NAME.crt and NAME.key signed by it."""

    directory: str
    ca_key: Any
    ca_cert: x509.Certificate

    @classmethod
    def create(cls, directory: str, cn: str = "polystack test CA") -> PKI:
        os.makedirs(directory, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(_name(cn))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _DAY)
            .not_valid_after(now + 2 * _DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        pki = cls(directory, key, cert)
        pki._write("ca.crt", cert.public_bytes(serialization.Encoding.PEM))
        return pki

    @property
    def ca_file(self) -> str:
        return os.path.join(self.directory, "ca.crt")

    def _write(self, name: str, data: bytes) -> str:
        path = os.path.join(self.directory, name)
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    def issue(
        self,
        name: str,
        *,
        server: bool = True,
        ips: tuple[str, ...] = ("127.0.0.1",),
        dns: tuple[str, ...] = (),
        expired: bool = False,
    ) -> tuple[str, str]:
        """A leaf certificate and key: (NAME.crt, NAME.key)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        start, end = (now - 3 * _DAY, now - _DAY) if expired else (now - _DAY, now + 2 * _DAY)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        b = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        sans: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        sans += [x509.DNSName(n) for n in dns]
        if server and sans:
            b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = b.sign(self.ca_key, hashes.SHA256())
        crt = self._write(f"{name}.crt", cert.public_bytes(serialization.Encoding.PEM))
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return crt, self._write(f"{name}.key", pem)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Files from a directory, behind basic auth when `auth` is "user:password";
    every request's Authorization header is recorded in `seen`."""

    auth: str = ""
    seen: list[tuple[str, str]] = []

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        got = self.headers.get("Authorization") or ""
        self.seen.append((self.path, got))
        if self.auth and got != "Basic " + base64.b64encode(self.auth.encode()).decode():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="charts"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


@dataclass
class Server:
    url: str
    seen: list[tuple[str, str]]


@contextmanager
def serve(
    root: str,
    *,
    cert: tuple[str, str] | None = None,
    client_ca: str = "",
    auth: str = "",
) -> Iterator[Server]:
    """Serve root on 127.0.0.1 (HTTPS with cert, requiring a client certificate
    signed by client_ca when given, basic auth when auth is given)."""
    seen: list[tuple[str, str]] = []
    handler = type("Handler", (_Handler,), {"auth": auth, "seen": seen})
    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=root)
    )
    scheme = "http"
    if cert is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*cert)
        if client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(client_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        scheme = "https"
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        yield Server(f"{scheme}://127.0.0.1:{srv.server_address[1]}", seen)
    finally:
        srv.shutdown()
        srv.server_close()
        th.join(timeout=5)
