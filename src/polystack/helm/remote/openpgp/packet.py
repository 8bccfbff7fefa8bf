"""OpenPGP packets (RFC 4880 section 4-5): framing with old- and new-format
headers, MPIs, public keys and subkeys, secret keys and subkeys (plain or
protected with a string-to-key and a block cipher), user IDs and v4
signatures with their subpackets.

Parsing follows go-crypto's packet package (which Helm uses): the same errors
for the same malformed input, and unsupported packets skipped by the reader."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from polystack.helm.remote.openpgp import algorithm as alg
from polystack.helm.remote.openpgp.errors import (
    DummyKeyError,
    StructuralError,
    UnexpectedEOFError,
    UnsupportedError,
)

# packet tags
TAG_SIGNATURE = 2
TAG_SECRET_KEY = 5
TAG_PUBLIC_KEY = 6
TAG_SECRET_SUBKEY = 7
TAG_USER_ID = 13
TAG_PUBLIC_SUBKEY = 14

# signature types
SIG_BINARY = 0x00
SIG_TEXT = 0x01
SIG_GENERIC_CERT = 0x10
SIG_PERSONA_CERT = 0x11
SIG_CASUAL_CERT = 0x12
SIG_POSITIVE_CERT = 0x13
SIG_SUBKEY_BINDING = 0x18
SIG_PRIMARY_KEY_BINDING = 0x19
SIG_DIRECT_KEY = 0x1F
SIG_KEY_REVOCATION = 0x20
SIG_SUBKEY_REVOCATION = 0x28
SIG_CERT_REVOCATION = 0x30

# key flags
KEY_FLAG_CERTIFY = 0x01
KEY_FLAG_SIGN = 0x02
KEY_FLAG_ENCRYPT_COMMS = 0x04
KEY_FLAG_ENCRYPT_STORAGE = 0x08

# signature subpacket types
SUB_CREATION_TIME = 2
SUB_SIG_EXPIRATION = 3
SUB_KEY_EXPIRATION = 9
SUB_ISSUER = 16
SUB_NOTATION = 20
SUB_PRIMARY_USER_ID = 25
SUB_KEY_FLAGS = 27
SUB_REVOCATION_REASON = 29
SUB_EMBEDDED_SIGNATURE = 32
SUB_ISSUER_FINGERPRINT = 33
_KNOWN_SUBPACKETS = {2, 3, 4, 5, 6, 7, 9, 11, 12, 16, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}
_KNOWN_SUBPACKETS |= {30, 31, 32, 33, 34, 35, 37, 39}

# the random-salt notation go-crypto adds to every v4 signature it makes
SALT_NOTATION = "salt@notations.openpgpjs.org"


# ---------------------------------------------------------------- framing


class Fields:
    """A cursor over a packet body; short reads raise Go's `unexpected EOF`."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def read(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise UnexpectedEOFError()
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def byte(self) -> int:
        return self.read(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.read(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self.read(4), "big")

    def mpi(self) -> bytes:
        bits = self.u16()
        return self.read((bits + 7) // 8)

    def oid(self) -> bytes:
        n = self.byte()
        if n == 0 or n == 0xFF:
            raise StructuralError("invalid oid length")
        return self.read(n)

    def rest(self) -> bytes:
        out = self.data[self.pos :]
        self.pos = len(self.data)
        return out


def encode_mpi(value: bytes) -> bytes:
    value = value.lstrip(b"\x00")
    bits = (len(value) - 1) * 8 + value[0].bit_length() if value else 0
    return bits.to_bytes(2, "big") + value


def read_header(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """One packet at `pos`: (tag, body, position after it). Partial bodies are joined."""
    if pos >= len(data):
        raise EOFError
    tag_byte = data[pos]
    pos += 1
    if tag_byte & 0x80 == 0:
        raise StructuralError("tag byte does not have MSB set")
    f = Fields(data, pos)
    if tag_byte & 0x40 == 0:  # old format
        tag = (tag_byte & 0x3F) >> 2
        ltype = tag_byte & 3
        if ltype == 3:
            return tag, f.rest(), len(data)
        length = int.from_bytes(f.read((1, 2, 4)[ltype]), "big")
        return tag, f.read(length), f.pos
    tag = tag_byte & 0x3F
    body = b""
    while True:
        first = f.byte()
        if first < 192:
            return tag, body + f.read(first), f.pos
        if first < 224:
            length = ((first - 192) << 8) + f.byte() + 192
            return tag, body + f.read(length), f.pos
        if first == 255:
            return tag, body + f.read(f.u32()), f.pos
        body += f.read(1 << (first & 0x1F))  # partial body length


def serialize_header(tag: int, length: int) -> bytes:
    """New-format header, as go-crypto writes it."""
    head = bytes([0xC0 | tag])
    if length < 192:
        return head + bytes([length])
    if length < 8384:
        length -= 192
        return head + bytes([(length >> 8) + 192, length & 0xFF])
    return head + b"\xff" + length.to_bytes(4, "big")


# ---------------------------------------------------------------- keys


@dataclass
class PublicKey:
    tag: int
    version: int
    creation_time: int
    algo: int
    fields: dict[str, Any]
    body: bytes  # the public part, as hashed into fingerprints and key signatures
    fingerprint: bytes = b""
    key_id: int = 0
    _key: Any = None

    @property
    def is_subkey(self) -> bool:
        return self.tag in (TAG_PUBLIC_SUBKEY, TAG_SECRET_SUBKEY)

    def material(self) -> bytes:
        """What a v4 key contributes to a signature hash: 0x99, length, body."""
        return b"\x99" + len(self.body).to_bytes(2, "big") + self.body

    def key_id_string(self) -> str:
        return f"{self.key_id:016X}"

    def crypto_key(self) -> Any:
        if self._key is None:
            try:
                self._key = alg.public_key_object(self.algo, self.fields)
            except (ValueError, TypeError) as e:
                raise StructuralError(f"invalid public key: {e}") from None
        return self._key


def _parse_public(tag: int, body: bytes) -> tuple[PublicKey, int]:
    f = Fields(body)
    version = f.byte()
    if version != 4:
        raise UnsupportedError(f"public key version {version}")
    created = f.u32()
    algo = f.byte()
    flds: dict[str, Any] = {}
    if algo in (alg.RSA, alg.RSA_ENCRYPT_ONLY, alg.RSA_SIGN_ONLY):
        flds["n"] = int.from_bytes(f.mpi(), "big")
        flds["e"] = int.from_bytes(f.mpi(), "big")
    elif algo == alg.DSA:
        for k in ("p", "q", "g", "y"):
            flds[k] = int.from_bytes(f.mpi(), "big")
    elif algo == alg.ELGAMAL:
        for k in ("p", "g", "y"):
            flds[k] = int.from_bytes(f.mpi(), "big")
    elif algo in (alg.ECDSA, alg.EDDSA, alg.ECDH):
        flds["oid"] = f.oid()
        flds["point"] = f.mpi()
        if algo == alg.ECDH:
            n = f.byte()
            flds["kdf"] = f.read(n)
    elif algo in alg.FIXED_PUBLIC_SIZE:
        flds["raw"] = f.read(alg.FIXED_PUBLIC_SIZE[algo])
    else:
        raise UnsupportedError(f"public key type: {algo}")
    pk = PublicKey(tag, version, created, algo, flds, body[: f.pos])
    pk.fingerprint = hashlib.sha1(pk.material()).digest()
    pk.key_id = int.from_bytes(pk.fingerprint[12:], "big")
    return pk, f.pos


@dataclass
class S2K:
    """A string-to-key specifier (RFC 4880 3.7.1): simple, salted, iterated or GNU."""

    mode: int
    hash_id: int
    salt: bytes = b""
    count: int = 0
    gnu_mode: int = 0  # 1: gnu-dummy (no secret), 2: divert-to-card

    @classmethod
    def parse(cls, f: Fields) -> S2K:
        mode = f.byte()
        if mode == 0:
            return cls(mode, f.byte())
        if mode == 1:
            return cls(mode, f.byte(), f.read(8))
        if mode == 3:
            h = f.byte()
            salt = f.read(8)
            c = f.byte()
            return cls(mode, h, salt, (16 + (c & 15)) << ((c >> 4) + 6))
        if mode == 101:
            h = f.byte()
            if f.read(3) != b"GNU":
                raise UnsupportedError("GNU S2K extension")
            gnu = f.byte()
            if gnu == 2:
                f.read(f.byte())  # card serial number
            elif gnu != 1:
                raise UnsupportedError("GNU S2K extension")
            return cls(mode, h, gnu_mode=gnu)
        raise UnsupportedError(f"S2K function {mode}")

    def derive(self, passphrase: bytes, size: int) -> bytes:
        out = b""
        n = 0
        while len(out) < size:
            h = alg.new_hash(self.hash_id)
            h.update(b"\x00" * n)
            data = self.salt + passphrase
            if self.mode == 3:
                total = max(self.count, len(data))
                if data:
                    chunk = data * (65536 // len(data) + 1)
                    while total >= len(chunk):
                        h.update(chunk)
                        total -= len(chunk)
                    h.update(chunk[:total])
            else:
                h.update(data)
            out += h.digest()
            n += 1
        return out[:size]


@dataclass
class PrivateKey(PublicKey):
    """A secret key or subkey packet; `encrypted` until decrypt() succeeds."""

    s2k_usage: int = 0
    cipher_id: int = 0
    s2k: S2K | None = None
    iv: bytes = b""
    secret_data: bytes = b""
    encrypted: bool = False
    secret: dict[str, Any] = field(default_factory=dict)
    s2k_count_byte: int = 0xFF  # the coded iteration count, kept for serialize()
    _private: Any = None

    def dummy(self) -> bool:
        return self.s2k is not None and self.s2k.mode == 101

    def decrypt(self, passphrase: bytes) -> None:
        """PrivateKey.Decrypt: unlock with a passphrase (wrong one: checksum failure)."""
        if self.dummy():
            raise DummyKeyError("dummy key found")
        if not self.encrypted:
            return
        assert self.s2k is not None
        key_size, _ = alg.cipher_sizes(self.cipher_id)
        key = self.s2k.derive(passphrase, key_size)
        data = alg.cfb_decrypt(self.cipher_id, key, self.iv, self.secret_data)
        if self.s2k_usage == 254:
            if len(data) < 20:
                raise StructuralError("truncated private key data")
            if hashlib.sha1(data[:-20]).digest() != data[-20:]:
                raise StructuralError("private key checksum failure")
            data = data[:-20]
        else:
            data = _check_sum16(data)
        self.secret = _parse_secret(self.algo, data)
        self.encrypted = False

    def crypto_private_key(self) -> Any:
        if self.encrypted:
            raise StructuralError("private key is encrypted")
        if self._private is None:
            try:
                self._private = alg.private_key_object(self.algo, self.fields, self.secret)
            except ValueError as e:
                raise StructuralError(f"invalid private key: {e}") from None
        return self._private

    def encrypt(
        self, passphrase: bytes, cipher_id: int = alg.AES256, count_byte: int = 0xFF
    ) -> None:
        """Protect the secret fields with an iterated+salted S2K, SHA-1 checksum (usage 254)."""
        plain = _serialize_secret(self.algo, self.secret)
        c = count_byte
        self.s2k = S2K(3, alg.SHA256, os.urandom(8), (16 + (c & 15)) << ((c >> 4) + 6))
        key_size, block = alg.cipher_sizes(cipher_id)
        self.cipher_id = cipher_id
        self.iv = os.urandom(block)
        data = plain + hashlib.sha1(plain).digest()
        self.secret_data = alg.cfb_encrypt(
            cipher_id, self.s2k.derive(passphrase, key_size), self.iv, data
        )
        self.s2k_usage = 254
        self.encrypted = True
        self.s2k_count_byte = c

    def serialize(self) -> bytes:
        """The packet, public part and secret part (plain or as protected)."""
        out = bytearray(self.body)
        if not self.encrypted:
            plain = _serialize_secret(self.algo, self.secret)
            out += b"\x00" + plain + (sum(plain) & 0xFFFF).to_bytes(2, "big")
        else:
            assert self.s2k is not None and self.s2k.mode == 3
            out += bytes([254, self.cipher_id, 3, self.s2k.hash_id]) + self.s2k.salt
            out += bytes([self.s2k_count_byte]) + self.iv + self.secret_data
        return serialize_header(self.tag, len(out)) + bytes(out)


def _check_sum16(data: bytes) -> bytes:
    if len(data) < 2:
        raise StructuralError("truncated private key data")
    if sum(data[:-2]) & 0xFFFF != int.from_bytes(data[-2:], "big"):
        raise StructuralError("private key checksum failure")
    return data[:-2]


def _parse_secret(algo: int, data: bytes) -> dict[str, Any]:
    f = Fields(data)
    if algo in (alg.RSA, alg.RSA_ENCRYPT_ONLY, alg.RSA_SIGN_ONLY):
        return {k: int.from_bytes(f.mpi(), "big") for k in ("d", "p", "q", "u")}
    if algo in (alg.DSA, alg.ELGAMAL):
        return {"x": int.from_bytes(f.mpi(), "big")}
    if algo in (alg.ECDSA, alg.ECDH):
        return {"d": int.from_bytes(f.mpi(), "big")}
    if algo == alg.EDDSA:
        return {"seed": f.mpi()}
    if algo in alg.FIXED_SECRET_SIZE:
        return {"raw": f.read(alg.FIXED_SECRET_SIZE[algo])}
    raise UnsupportedError(f"public key type: {algo}")


def _serialize_secret(algo: int, sec: dict[str, Any]) -> bytes:
    def m(n: int) -> bytes:
        return encode_mpi(n.to_bytes((n.bit_length() + 7) // 8, "big"))

    if algo in (alg.RSA, alg.RSA_ENCRYPT_ONLY, alg.RSA_SIGN_ONLY):
        return b"".join(m(sec[k]) for k in ("d", "p", "q", "u"))
    if algo in (alg.DSA, alg.ELGAMAL):
        return m(sec["x"])
    if algo in (alg.ECDSA, alg.ECDH):
        return m(sec["d"])
    if algo == alg.EDDSA:
        return encode_mpi(sec["seed"])
    return bytes(sec["raw"])


def _parse_private(tag: int, body: bytes) -> PrivateKey:
    pub, pos = _parse_public(tag, body)
    pk = PrivateKey(
        tag,
        pub.version,
        pub.creation_time,
        pub.algo,
        pub.fields,
        pub.body,
        fingerprint=pub.fingerprint,
        key_id=pub.key_id,
    )
    f = Fields(body, pos)
    usage = f.byte()
    pk.s2k_usage = usage
    if usage == 0:
        pk.secret_data = f.rest()
        pk.secret = _parse_secret(pk.algo, _check_sum16(pk.secret_data))
        return pk
    if usage not in (254, 255):
        raise UnsupportedError(f"unsupported s2k usage {usage}")
    pk.cipher_id = f.byte()
    pk.s2k = S2K.parse(f)
    pk.encrypted = True
    if pk.dummy():
        return pk
    _, block = alg.cipher_sizes(pk.cipher_id)
    pk.iv = f.read(block)
    pk.secret_data = f.rest()
    return pk


# ---------------------------------------------------------------- user IDs


@dataclass
class UserId:
    raw: bytes

    @property
    def id(self) -> str:
        return self.raw.decode("utf-8", "replace")


# ---------------------------------------------------------------- signatures


@dataclass
class Notation:
    name: str
    value: bytes
    critical: bool
    human_readable: bool


@dataclass
class Signature:
    version: int
    sig_type: int
    pub_algo: int
    hash_id: int
    hashed: bytes = b""  # hashed subpacket area
    unhashed: bytes = b""
    hash_tag: bytes = b"\x00\x00"
    sig_fields: list[bytes] = field(default_factory=list)
    creation_time: int | None = None
    sig_lifetime: int | None = None
    key_lifetime: int | None = None
    issuer_key_id: int | None = None
    issuer_fingerprint: bytes | None = None
    key_flags: int | None = None
    is_primary_id: bool | None = None
    embedded: Signature | None = None
    notations: list[Notation] = field(default_factory=list)
    revocation_reason: int | None = None

    def hash_suffix(self) -> bytes:
        head = bytes([self.version, self.sig_type, self.pub_algo, self.hash_id])
        head += len(self.hashed).to_bytes(2, "big") + self.hashed
        return head + b"\x04\xff" + len(head).to_bytes(4, "big")

    def sig_expired(self, now: int) -> bool:
        if self.creation_time is None or self.creation_time > now:
            return True
        if not self.sig_lifetime:
            return False
        return now > self.creation_time + self.sig_lifetime

    def flags_valid(self) -> bool:
        return self.key_flags is not None

    def check_key_id_or_fingerprint(self, pk: PublicKey) -> bool:
        if self.issuer_fingerprint is not None:
            return self.issuer_fingerprint == pk.fingerprint
        return self.issuer_key_id == pk.key_id

    def serialize(self) -> bytes:
        body = bytearray(bytes([self.version, self.sig_type, self.pub_algo, self.hash_id]))
        body += len(self.hashed).to_bytes(2, "big") + self.hashed
        body += len(self.unhashed).to_bytes(2, "big") + self.unhashed
        body += self.hash_tag
        if self.pub_algo == alg.ED25519:
            body += self.sig_fields[0]
        else:
            for v in self.sig_fields:
                body += encode_mpi(v)
        return serialize_header(TAG_SIGNATURE, len(body)) + bytes(body)


def _parse_signature(body: bytes) -> Signature:
    f = Fields(body)
    version = f.byte()
    if version != 4:
        raise UnsupportedError(f"signature packet version {version}")
    sig_type = f.byte()
    pub_algo = f.byte()
    if not alg.can_sign(pub_algo) or pub_algo == alg.ED448:
        raise UnsupportedError(f"public key algorithm {pub_algo}")
    hash_id = f.byte()
    if not alg.is_supported_hash(hash_id):
        raise UnsupportedError(f"hash function {hash_id}")
    sig = Signature(version, sig_type, pub_algo, hash_id)
    sig.hashed = f.read(f.u16())
    _parse_subpackets(sig, sig.hashed, True)
    sig.unhashed = f.read(f.u16())
    _parse_subpackets(sig, sig.unhashed, False)
    sig.hash_tag = f.read(2)
    if pub_algo in (alg.RSA, alg.RSA_SIGN_ONLY):
        sig.sig_fields = [f.mpi()]
    elif pub_algo in (alg.DSA, alg.ECDSA, alg.EDDSA):
        sig.sig_fields = [f.mpi(), f.mpi()]
    else:  # Ed25519
        sig.sig_fields = [f.read(64)]
    if sig.creation_time is None:
        raise StructuralError("no creation time in signature")
    if sig.issuer_key_id is None and sig.issuer_fingerprint is not None:
        sig.issuer_key_id = int.from_bytes(sig.issuer_fingerprint[12:20], "big")
    return sig


def _parse_subpackets(sig: Signature, data: bytes, hashed: bool) -> None:
    f = Fields(data)
    while f.pos < len(data):
        first = f.byte()
        if first < 192:
            length = first
        elif first < 255:
            length = ((first - 192) << 8) + f.byte() + 192
        else:
            length = f.u32()
        if length == 0:
            raise StructuralError("zero length signature subpacket")
        sub = f.read(length)
        _parse_subpacket(sig, sub[0] & 0x7F, bool(sub[0] & 0x80), sub[1:], hashed)


def _u32(content: bytes, what: str) -> int:
    if len(content) != 4:
        raise StructuralError(f"{what} not four bytes")
    return int.from_bytes(content, "big")


def _parse_subpacket(sig: Signature, typ: int, critical: bool, c: bytes, hashed: bool) -> None:
    if not hashed and typ not in (SUB_ISSUER, SUB_ISSUER_FINGERPRINT, SUB_EMBEDDED_SIGNATURE):
        return
    if typ == SUB_CREATION_TIME:
        sig.creation_time = _u32(c, "signature creation time")
    elif typ == SUB_SIG_EXPIRATION:
        sig.sig_lifetime = _u32(c, "expiration subpacket")
    elif typ == SUB_KEY_EXPIRATION:
        sig.key_lifetime = _u32(c, "key expiration subpacket")
    elif typ == SUB_ISSUER:
        if len(c) != 8:
            raise StructuralError("issuer subpacket with bad length")
        if sig.issuer_key_id is None or hashed:
            sig.issuer_key_id = int.from_bytes(c, "big")
    elif typ == SUB_ISSUER_FINGERPRINT:
        if len(c) < 1:
            raise StructuralError("empty issuer fingerprint subpacket")
        if c[0] == 4 and len(c) == 21:
            sig.issuer_fingerprint = c[1:]
    elif typ == SUB_KEY_FLAGS:
        if not c:
            raise StructuralError("empty key flags subpacket")
        sig.key_flags = c[0]
    elif typ == SUB_PRIMARY_USER_ID:
        if len(c) != 1:
            raise StructuralError("primary user id flag has wrong length")
        sig.is_primary_id = c[0] != 0
    elif typ == SUB_NOTATION:
        if len(c) < 8:
            raise StructuralError("notation data subpacket with too short length")
        nlen = int.from_bytes(c[4:6], "big")
        vlen = int.from_bytes(c[6:8], "big")
        if len(c) != 8 + nlen + vlen:
            raise StructuralError("notation data subpacket with wrong length")
        name = c[8 : 8 + nlen].decode("utf-8", "replace")
        sig.notations.append(Notation(name, c[8 + nlen :], critical, bool(c[0] & 0x80)))
    elif typ == SUB_REVOCATION_REASON:
        if not c:
            raise StructuralError("empty revocation reason subpacket")
        sig.revocation_reason = c[0]
    elif typ == SUB_EMBEDDED_SIGNATURE:
        if sig.sig_type != SIG_SUBKEY_BINDING:
            raise StructuralError("embedded signature in wrong type of signature")
        emb = _parse_signature(c)  # the body of a signature packet, without a header
        if emb.sig_type != SIG_PRIMARY_KEY_BINDING:
            raise StructuralError(f"cross-signature has unexpected type {emb.sig_type}")
        sig.embedded = emb
    elif critical and hashed and typ not in _KNOWN_SUBPACKETS:
        raise UnsupportedError(f"unknown critical signature subpacket type {typ}")


# ---------------------------------------------------------------- reader


@dataclass
class Opaque:
    """A packet this package does not model (user attribute, literal data, ...)."""

    tag: int


Packet = PublicKey | UserId | Signature | Opaque

TAG_TRUST = 12


def parse_packet(tag: int, body: bytes) -> Packet | None:
    """packet.Read for one body; None for packets the reader skips (trust packets)."""
    if tag == TAG_SIGNATURE:
        return _parse_signature(body)
    if tag in (TAG_PUBLIC_KEY, TAG_PUBLIC_SUBKEY):
        return _parse_public(tag, body)[0]
    if tag in (TAG_SECRET_KEY, TAG_SECRET_SUBKEY):
        return _parse_private(tag, body)
    if tag == TAG_USER_ID:
        return UserId(body)
    if tag == TAG_TRUST:
        return None
    return Opaque(tag)


class PacketReader:
    """packet.Reader: next()/unread(); unknown and unsupported packets are skipped."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.queue: list[Packet] = []

    def next(self) -> Packet:
        """The next modelled packet; raises EOFError at the end."""
        if self.queue:
            return self.queue.pop()
        while True:
            try:
                tag, body, end = read_header(self.data, self.pos)
            except StructuralError:
                self.pos += 1
                raise
            self.pos = end
            try:
                p = parse_packet(tag, body)
            except UnsupportedError:
                continue
            if p is not None:
                return p

    def unread(self, p: Packet) -> None:
        self.queue.append(p)
