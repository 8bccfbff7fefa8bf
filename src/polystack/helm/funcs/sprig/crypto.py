"""Sprig crypto.go: bcrypt/htpasswd, derivePassword (Master Password),
genPrivateKey, certificates (genCA, genSelfSignedCert, genSignedCert and the
*WithKey variants, buildCustomCert), encryptAES/decryptAES, randBytes, uuidv4."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import ipaddress
import os
import secrets
import struct
import uuid
from typing import TYPE_CHECKING, Any

from polystack.helm.funcs.sprig._conv import GoError, sprint_v
from polystack.helm.funcs.sprig.encoding import _B64, CorruptInputError, _go_decode
from polystack.helm.golang.runtime import check_size
from polystack.helm.golang.types import GoStruct, signature

if TYPE_CHECKING:
    from cryptography import x509

# `cryptography` is imported inside the functions that need it, so that
# loading the function map (every `helm template` run) stays cheap.


class Certificate(GoStruct):
    """Sprig's ``certificate`` struct: ``.Cert`` and ``.Key`` (PEM strings)."""

    go_type_name = "sprig.certificate"
    go_fields = ("Cert", "Key")
    __slots__ = ("Cert", "Key")

    def __init__(self, cert: str = "", key: str = "") -> None:
        self.Cert = cert
        self.Key = key

    def __eq__(self, o: object) -> bool:
        return isinstance(o, Certificate) and (self.Cert, self.Key) == (o.Cert, o.Key)

    def __hash__(self) -> int:
        return hash((self.Cert, self.Key))


# -- bcrypt / htpasswd ---------------------------------------------------------


@signature("string")
def bcrypt_(s: str) -> str:
    import bcrypt as _bcrypt

    pw = s.encode("utf-8", "surrogatepass")
    if len(pw) > 72:
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
    h = _bcrypt.hashpw(pw, _bcrypt.gensalt(rounds=10, prefix=b"2a"))
    return h.decode("ascii")


@signature("string", "string")
def htpasswd(username: str, password: str) -> str:
    if ":" in username:
        return f"invalid username: {username}"
    return f"{username}:{bcrypt_(password)}"


# -- random ------------------------------------------------------------------------


@signature("int")
def rand_bytes(count: int) -> str:
    if count < 0:
        raise GoError("runtime error: makeslice: len out of range")
    check_size(count * 4 // 3, "random bytes")
    return base64.b64encode(os.urandom(count)).decode("ascii")


def uuidv4() -> str:
    return str(uuid.uuid4())


# -- derivePassword (Master Password algorithm) ---------------------------------------

_SEED = b"com.lyndir.masterpassword"
_TEMPLATES = {
    "maximum": ["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
    "long": [
        "CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv",
        "CvccCvcvCvcvno", "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc",
        "CvcvCvcvnoCvcc", "CvcvCvcvCvccno", "CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno",
        "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc",
        "CvccCvcvCvccno",
    ],
    "medium": ["CvcnoCvc", "CvcCvcno"],
    "short": ["Cvcn"],
    "basic": ["aaanaaan", "aannaaan", "aaannaaa"],
    "pin": ["nnnn"],
}  # fmt: skip
_CHARS = {
    "V": "AEIOU",
    "C": "BCDFGHJKLMNPQRSTVWXYZ",
    "v": "aeiou",
    "c": "bcdfghjklmnpqrstvwxyz",
    "A": "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
    "a": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
    "n": "0123456789",
    "o": "@&%?,=[]_:-+*$#!'^~;()/.",
    "x": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
}


@signature("uint32", "string", "string", "string", "string")
def derive_password(counter: int, password_type: str, password: str, user: str, site: str) -> str:
    templates = _TEMPLATES.get(password_type)
    if templates is None:
        return f"cannot find password template {password_type}"
    ctr = int(counter) & 0xFFFFFFFF
    ub = user.encode("utf-8", "surrogatepass")
    sb = site.encode("utf-8", "surrogatepass")
    salt = _SEED + struct.pack(">I", len(ub)) + ub
    key = hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=32768,
        r=8,
        p=2,
        maxmem=1 << 28,
        dklen=64,
    )
    msg = _SEED + struct.pack(">I", len(sb)) + sb + struct.pack(">I", ctr)
    seed = hmac.new(key, msg, hashlib.sha256).digest()
    temp = templates[seed[0] % len(templates)]
    return "".join(_CHARS[ch][seed[i + 1] % len(_CHARS[ch])] for i, ch in enumerate(temp))


# -- keys ------------------------------------------------------------------------------


def _pem_for_key(priv: Any) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

    if isinstance(priv, (rsa.RSAPrivateKey, dsa.DSAPrivateKey, ec.EllipticCurvePrivateKey)):
        fmt = serialization.PrivateFormat.TraditionalOpenSSL
    else:
        fmt = serialization.PrivateFormat.PKCS8
    return priv.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode(
        "ascii"
    )


@signature("string")
def gen_private_key(typ: str) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

    if typ in ("", "rsa"):
        priv: Any = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    elif typ == "dsa":
        priv = dsa.generate_private_key(key_size=2048)
    elif typ == "ecdsa":
        priv = ec.generate_private_key(ec.SECP256R1())
    elif typ == "ed25519":
        priv = ed25519.Ed25519PrivateKey.generate()
    else:
        return "Unknown type " + typ
    return _pem_for_key(priv)


def _pem_blocks(data: str) -> tuple[str, bytes] | None:
    """pem.Decode: the first block's (type, der)."""
    lines = data.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        line = line.strip()
        if line.startswith("-----BEGIN ") and line.endswith("-----"):
            typ = line[11:-5]
            body: list[str] = []
            for rest in lines[i + 1 :]:
                r = rest.strip()
                if r == f"-----END {typ}-----":
                    try:
                        return typ, base64.b64decode("".join(b for b in body if ":" not in b))
                    except ValueError:
                        return None
                body.append(r)
            return None
    return None


def _parse_private_key_pem(pem: str) -> Any:
    from cryptography.hazmat.primitives import serialization

    blk = _pem_blocks(pem)
    if blk is None:
        raise GoError("no PEM data in input")
    typ, der = blk
    if typ == "PRIVATE KEY":
        try:
            return serialization.load_der_private_key(der, password=None)
        except (ValueError, TypeError) as e:
            raise GoError(f"decoding PEM as PKCS#8: {e}") from None
    if not typ.endswith(" PRIVATE KEY"):
        raise GoError(f"no private key data in PEM block of type {typ}")
    kind = typ[:-12]
    if kind not in ("RSA", "EC", "DSA"):
        raise GoError(f"invalid private key type {typ}")
    try:
        return serialization.load_pem_private_key(
            pem[pem.index("-----BEGIN") :].encode(), password=None
        )
    except (ValueError, TypeError) as e:
        what = {"RSA": "RSA", "EC": "EC", "DSA": "DSA"}[kind]
        raise GoError(f"parsing {what} private key from PEM: {e}") from None


def _net_ips(ips: Any) -> list[Any]:
    out = []
    for ip in ips or []:
        if not isinstance(ip, str):
            raise GoError(f"error parsing ip: {sprint_v(ip)} is not a string")
        try:
            out.append(ipaddress.ip_address(ip))
        except ValueError:
            raise GoError(f"error parsing ip: {ip}") from None
    return out


def _dns_names(names: Any) -> list[str]:
    out = []
    for n in names or []:
        if not isinstance(n, str):
            raise GoError(f"error processing alternate dns name: {sprint_v(n)} is not a string")
        out.append(n)
    return out


def _sig_hash(key: Any) -> Any:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    if isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        return hashes.SHA256()
    raise GoError(
        "error creating certificate: x509: certificate private key does not implement crypto.Signer"
    )


def _build(
    cn: str,
    ips: Any,
    dns: Any,
    days: int,
    priv: Any,
    is_ca: bool,
    issuer: x509.Certificate | None,
    signer: Any,
) -> Certificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ip_list = _net_ips(ips)
    dns_list = _dns_names(dns)
    sig_hash = _sig_hash(signer)  # x509.CreateCertificate checks the signer first
    if isinstance(priv, dsa.DSAPrivateKey):
        # then marshalPublicKey, which knows no DSA
        raise GoError(
            "error creating certificate: x509: unsupported public key type: *dsa.PublicKey"
        )
    now = _dt.datetime.now(_dt.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]) if cn else x509.Name([])
    pub = priv.public_key()
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer is not None else subject)
        .public_key(pub)
        .serial_number(secrets.randbelow(1 << 128) or 1)
        .not_valid_before(now)
        .not_valid_after(now + _dt.timedelta(days=days))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=is_ca,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if is_ca:
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
    if issuer is not None:
        try:
            ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            b = b.add_extension(x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False)
        except x509.ExtensionNotFound:
            pass
    if ip_list or dns_list:
        sans: list[x509.GeneralName] = [x509.DNSName(d) for d in dns_list]
        sans += [x509.IPAddress(i) for i in ip_list]
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=not cn)
    cert = b.sign(signer, sig_hash)
    return Certificate(
        cert.public_bytes(serialization.Encoding.PEM).decode("ascii"), _pem_for_key(priv)
    )


def _new_rsa() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _with_key(pem: str) -> Any:
    try:
        return _parse_private_key_pem(pem)
    except GoError as e:
        raise GoError(f"parsing private key: {e}") from None


@signature("string", "int")
def gen_ca(cn: str, days: int) -> Certificate:
    k = _new_rsa()
    return _build(cn, None, None, days, k, True, None, k)


@signature("string", "int", "string")
def gen_ca_with_key(cn: str, days: int, key: str) -> Certificate:
    k = _with_key(key)
    return _build(cn, None, None, days, k, True, None, k)


@signature("string", "[]interface {}", "[]interface {}", "int")
def gen_self_signed_cert(cn: str, ips: Any, dns: Any, days: int) -> Certificate:
    _net_ips(ips)
    _dns_names(dns)
    k = _new_rsa()
    return _build(cn, ips, dns, days, k, False, None, k)


@signature("string", "[]interface {}", "[]interface {}", "int", "string")
def gen_self_signed_cert_with_key(cn: str, ips: Any, dns: Any, days: int, key: str) -> Certificate:
    k = _with_key(key)
    return _build(cn, ips, dns, days, k, False, None, k)


def _signer(ca: Any) -> tuple[x509.Certificate, Any]:
    from cryptography import x509

    if not isinstance(ca, Certificate):
        from polystack.helm.golang.types import type_of

        raise GoError(f"wrong type for value; expected sprig.certificate; got {type_of(ca)}")
    blk = _pem_blocks(ca.Cert)
    if blk is None:
        raise GoError("unable to decode certificate")
    try:
        cert = x509.load_der_x509_certificate(blk[1])
    except ValueError as e:
        raise GoError(f"error parsing certificate: decodedSignerCert.Bytes: {e}") from None
    try:
        key = _parse_private_key_pem(ca.Key)
    except GoError as e:
        raise GoError(f"error parsing private key: {e}") from None
    return cert, key


@signature("string", "[]interface {}", "[]interface {}", "int", "sprig.certificate")
def gen_signed_cert(cn: str, ips: Any, dns: Any, days: int, ca: Any) -> Certificate:
    cert, ca_key = _signer(ca)
    k = _new_rsa()
    return _build(cn, ips, dns, days, k, False, cert, ca_key)


@signature("string", "[]interface {}", "[]interface {}", "int", "sprig.certificate", "string")
def gen_signed_cert_with_key(
    cn: str, ips: Any, dns: Any, days: int, ca: Any, key: str
) -> Certificate:
    k = _with_key(key)
    cert, ca_key = _signer(ca)
    return _build(cn, ips, dns, days, k, False, cert, ca_key)


@signature("string", "string")
def build_custom_cert(b64cert: str, b64key: str) -> Certificate:
    from cryptography import x509

    try:
        cert = _go_decode(b64cert.encode(), _B64, 4, "base64")
    except CorruptInputError:
        raise GoError("unable to decode base64 certificate") from None
    try:
        key = _go_decode(b64key.encode(), _B64, 4, "base64")
    except CorruptInputError:
        raise GoError("unable to decode base64 private key") from None
    blk = _pem_blocks(cert.decode("utf-8", "replace"))
    if blk is None:
        raise GoError("unable to decode certificate")
    try:
        x509.load_der_x509_certificate(blk[1])
    except ValueError as e:
        raise GoError(f"error parsing certificate: decodedCert.Bytes: {e}") from None
    try:
        _parse_private_key_pem(key.decode("utf-8", "replace"))
    except GoError as e:
        raise GoError(f"error parsing private key: {e}") from None
    return Certificate(cert.decode("utf-8", "replace"), key.decode("utf-8", "replace"))


# -- AES ----------------------------------------------------------------------------------


def _aes_key(password: str) -> bytes:
    k = password.encode("utf-8", "surrogatepass")[:32]
    return k + b"\0" * (32 - len(k))


@signature("string", "string")
def encrypt_aes(password: str, plaintext: str) -> str:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if plaintext == "":
        return ""
    content = plaintext.encode("utf-8", "surrogatepass")
    pad = 16 - len(content) % 16
    content += bytes([pad]) * pad
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(_aes_key(password)), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + enc.update(content) + enc.finalize()).decode("ascii")


@signature("string", "string")
def decrypt_aes(password: str, crypt64: str) -> str:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if crypt64 == "":
        return ""
    try:
        crypt = _go_decode(crypt64.encode("utf-8", "surrogatepass"), _B64, 4, "base64")
    except CorruptInputError as e:
        raise GoError(str(e)) from None
    if len(crypt) < 16:
        raise GoError(f"runtime error: slice bounds out of range [:16] with capacity {len(crypt)}")
    iv, body = crypt[:16], crypt[16:]
    if len(body) % 16:
        raise GoError("crypto/cipher: input not full blocks")
    dec = Cipher(algorithms.AES(_aes_key(password)), modes.CBC(iv)).decryptor()
    out = dec.update(body) + dec.finalize()
    if not out:
        raise GoError("runtime error: index out of range [-1]")
    cut = len(out) - out[-1]
    if cut < 0:
        raise GoError(f"runtime error: slice bounds out of range [:{cut}]")
    return out[:cut].decode("utf-8", "replace")


FUNCS = {
    "bcrypt": bcrypt_,
    "htpasswd": htpasswd,
    "genPrivateKey": gen_private_key,
    "derivePassword": derive_password,
    "buildCustomCert": build_custom_cert,
    "genCA": gen_ca,
    "genCAWithKey": gen_ca_with_key,
    "genSelfSignedCert": gen_self_signed_cert,
    "genSelfSignedCertWithKey": gen_self_signed_cert_with_key,
    "genSignedCert": gen_signed_cert,
    "genSignedCertWithKey": gen_signed_cert_with_key,
    "encryptAES": encrypt_aes,
    "decryptAES": decrypt_aes,
    "randBytes": rand_bytes,
    "uuidv4": uuidv4,
}
