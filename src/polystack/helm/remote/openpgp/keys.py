"""Entities (a primary key with its user IDs and subkeys), keyrings, and the
signatures made and checked with them: go-crypto's openpgp.ReadKeyRing,
ReadEntity, EntityList.KeysByIdUsage, CheckDetachedSignature and
packet.Signature.Sign, as Helm's provenance code uses them."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from polystack.helm.remote.openpgp import algorithm as alg
from polystack.helm.remote.openpgp import armor
from polystack.helm.remote.openpgp.errors import (
    InvalidArgumentError,
    KeyExpiredError,
    KeyRevokedError,
    OpenPGPError,
    SignatureError,
    SignatureExpiredError,
    StructuralError,
    UnknownIssuerError,
    UnsupportedError,
)
from polystack.helm.remote.openpgp.packet import (
    KEY_FLAG_CERTIFY,
    KEY_FLAG_ENCRYPT_COMMS,
    KEY_FLAG_ENCRYPT_STORAGE,
    KEY_FLAG_SIGN,
    SALT_NOTATION,
    SIG_BINARY,
    SIG_CASUAL_CERT,
    SIG_CERT_REVOCATION,
    SIG_GENERIC_CERT,
    SIG_KEY_REVOCATION,
    SIG_PERSONA_CERT,
    SIG_POSITIVE_CERT,
    SIG_SUBKEY_BINDING,
    SIG_SUBKEY_REVOCATION,
    SIG_TEXT,
    SUB_CREATION_TIME,
    SUB_ISSUER,
    SUB_ISSUER_FINGERPRINT,
    SUB_NOTATION,
    PacketReader,
    PrivateKey,
    PublicKey,
    Signature,
    UserId,
)

PUBLIC_KEY_TYPE = "PGP PUBLIC KEY BLOCK"
PRIVATE_KEY_TYPE = "PGP PRIVATE KEY BLOCK"
KEY_COMPROMISED = 2


@dataclass
class Identity:
    name: str
    user_id: UserId
    self_signature: Signature | None = None
    revocations: list[Signature] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)

    def revoked(self, now: int) -> bool:
        return _revoked(self.revocations, now)


@dataclass
class Subkey:
    public_key: PublicKey
    private_key: PrivateKey | None
    sig: Signature
    revocations: list[Signature] = field(default_factory=list)


@dataclass
class Entity:
    primary_key: PublicKey
    private_key: PrivateKey | None = None
    identities: dict[str, Identity] = field(default_factory=dict)  # in keyring order
    revocations: list[Signature] = field(default_factory=list)
    subkeys: list[Subkey] = field(default_factory=list)

    def primary_identity(self) -> Identity | None:
        best: Identity | None = None
        for ident in self.identities.values():
            if _prefer_identity(best, ident):
                best = ident
        return best

    def revoked(self, now: int) -> bool:
        return _revoked(self.revocations, now)

    def fingerprint_hex(self) -> str:
        return self.primary_key.fingerprint.hex().upper()


@dataclass
class Key:
    """A primary key or subkey of an entity, with the signature that binds it."""

    entity: Entity
    public_key: PublicKey
    private_key: PrivateKey | None
    self_signature: Signature | None
    revocations: list[Signature]

    def revoked(self, now: int) -> bool:
        return _revoked(self.revocations, now)


def _prefer_identity(existing: Identity | None, new: Identity) -> bool:
    """shouldPreferIdentity: fewer revocations, then primary-flagged, then newest."""
    if existing is None:
        return True
    if len(existing.revocations) != len(new.revocations):
        return len(existing.revocations) > len(new.revocations)
    if existing.self_signature is None:
        return True
    if new.self_signature is None:
        return False
    old_primary = bool(existing.self_signature.is_primary_id)
    new_primary = bool(new.self_signature.is_primary_id)
    if old_primary != new_primary:
        return new_primary
    return (new.self_signature.creation_time or 0) > (existing.self_signature.creation_time or 0)


def _revoked(revocations: list[Signature], now: int) -> bool:
    for r in revocations:
        if r.revocation_reason == KEY_COMPROMISED or not r.sig_expired(now):
            return True
    return False


def key_expired(pk: PublicKey, sig: Signature | None, now: int) -> bool:
    if pk.creation_time > now:
        return True
    if sig is None or not sig.key_lifetime:
        return False
    return now > pk.creation_time + sig.key_lifetime


class EntityList(list[Entity]):
    def keys_by_id(self, key_id: int) -> list[Key]:
        keys: list[Key] = []
        for e in self:
            if e.primary_key.key_id == key_id:
                ident = e.primary_identity()
                sig = ident.self_signature if ident else None
                keys.append(Key(e, e.primary_key, e.private_key, sig, e.revocations))
            for sk in e.subkeys:
                if sk.public_key.key_id == key_id:
                    keys.append(Key(e, sk.public_key, sk.private_key, sk.sig, sk.revocations))
        return keys

    def keys_by_id_usage(self, key_id: int, usage: int) -> list[Key]:
        out = []
        for k in self.keys_by_id(key_id):
            s = k.self_signature
            if s is not None and s.key_flags is not None and usage:
                flags = s.key_flags & (
                    KEY_FLAG_CERTIFY
                    | KEY_FLAG_SIGN
                    | KEY_FLAG_ENCRYPT_COMMS
                    | KEY_FLAG_ENCRYPT_STORAGE
                )
                if flags & usage != usage:
                    continue
            out.append(k)
        return out


# ---------------------------------------------------------------- reading keyrings


def read_key_ring(data: bytes) -> EntityList:
    """openpgp.ReadKeyRing: every readable entity; bad or unsupported ones are skipped."""
    packets = PacketReader(data)
    el = EntityList()
    last_skipped: OpenPGPError | None = None
    while True:
        try:
            el.append(read_entity(packets))
            continue
        except EOFError:
            break
        except (UnsupportedError, StructuralError) as e:
            last_skipped = e
        try:
            _read_to_next_public_key(packets)
        except EOFError:
            break
    if not el and last_skipped is not None:
        raise last_skipped
    return el


def read_armored_key_rings(data: bytes) -> EntityList:
    """Every armored key block in `data` (keyrings concatenated from exports)."""
    el = EntityList()
    pos = 0
    while True:
        try:
            block, pos = armor.decode(data, pos)
        except EOFError:
            break
        if block.type not in (PUBLIC_KEY_TYPE, PRIVATE_KEY_TYPE):
            raise InvalidArgumentError(
                f'expected a public or private key block, got "{block.type}"'
            )
        el.extend(read_key_ring(block.read()))
    if not el:
        raise OpenPGPError("no keys found")
    return el


def _read_to_next_public_key(packets: PacketReader) -> None:
    while True:
        p = packets.next()
        if isinstance(p, PublicKey) and not p.is_subkey:
            packets.unread(p)
            return


def read_entity(packets: PacketReader) -> Entity:
    p = packets.next()
    if not isinstance(p, PublicKey) or p.is_subkey:
        packets.unread(p)
        raise StructuralError("first packet was not a public/private key")
    e = Entity(p, p if isinstance(p, PrivateKey) else None)
    if not alg.can_sign(p.algo):
        raise StructuralError("primary key cannot be used for signatures")
    revocations: list[Signature] = []
    while True:
        try:
            p = packets.next()
        except EOFError:
            break
        if isinstance(p, UserId):
            _add_user_id(e, packets, p)
        elif isinstance(p, Signature):
            if p.sig_type == SIG_KEY_REVOCATION:
                revocations.append(p)
        elif isinstance(p, PublicKey):
            if not p.is_subkey:
                packets.unread(p)
                break
            _add_subkey(e, packets, p)
    if not e.identities:
        raise StructuralError("entity without any identities")
    for r in revocations:
        try:
            verify_key_signature(e.primary_key, r, e.primary_key.material())
        except OpenPGPError:
            raise StructuralError("revocation signature signed by alternate key") from None
        e.revocations.append(r)
    return e


_CERT_TYPES = (
    SIG_GENERIC_CERT,
    SIG_PERSONA_CERT,
    SIG_CASUAL_CERT,
    SIG_POSITIVE_CERT,
    SIG_CERT_REVOCATION,
)


def user_id_material(pk: PublicKey, uid: bytes) -> bytes:
    return pk.material() + b"\xb4" + len(uid).to_bytes(4, "big") + uid


def _add_user_id(e: Entity, packets: PacketReader, uid: UserId) -> None:
    ident = Identity(uid.id, uid)
    while True:
        try:
            p = packets.next()
        except EOFError:
            break
        if not isinstance(p, Signature):
            packets.unread(p)
            break
        if p.sig_type not in _CERT_TYPES:
            raise StructuralError("user ID signature with wrong type")
        if p.check_key_id_or_fingerprint(e.primary_key):
            try:
                verify_key_signature(e.primary_key, p, user_id_material(e.primary_key, uid.raw))
            except OpenPGPError as err:
                raise StructuralError(f"user ID self-signature invalid: {err}") from None
            if p.sig_type == SIG_CERT_REVOCATION:
                ident.revocations.append(p)
            elif ident.self_signature is None or (p.creation_time or 0) > (
                ident.self_signature.creation_time or 0
            ):
                ident.self_signature = p
            ident.signatures.append(p)
            e.identities[ident.name] = ident
        else:
            ident.signatures.append(p)


def _add_subkey(e: Entity, packets: PacketReader, pub: PublicKey) -> None:
    binding: Signature | None = None
    revocations: list[Signature] = []
    while True:
        try:
            p = packets.next()
        except EOFError:
            break
        if not isinstance(p, Signature):
            packets.unread(p)
            break
        if p.sig_type not in (SIG_SUBKEY_BINDING, SIG_SUBKEY_REVOCATION):
            raise StructuralError("subkey signature with wrong type")
        try:
            verify_key_signature(e.primary_key, p, e.primary_key.material() + pub.material())
        except OpenPGPError as err:
            raise StructuralError(f"subkey signature invalid: {err}") from None
        if p.sig_type == SIG_SUBKEY_REVOCATION:
            revocations.append(p)
        elif binding is None or (p.creation_time or 0) > (binding.creation_time or 0):
            binding = p
    if binding is None:
        raise StructuralError("subkey packet not followed by signature")
    priv = pub if isinstance(pub, PrivateKey) else None
    e.subkeys.append(Subkey(pub, priv, binding, revocations))


# ---------------------------------------------------------------- verifying


def verify_key_signature(signer: PublicKey, sig: Signature, material: bytes) -> None:
    """Check a certification / binding / revocation made by `signer` over key material."""
    h = alg.new_hash(sig.hash_id)
    h.update(material)
    verify_hashed(signer, h, sig)


def verify_hashed(pk: PublicKey, h: Any, sig: Signature) -> None:
    """PublicKey.VerifySignature: finish the hash (a hashlib object) with the
    signature's trailer and check."""
    if not alg.can_sign(pk.algo):
        raise InvalidArgumentError("public key cannot generate signatures")
    h.update(sig.hash_suffix())
    digest = h.digest()
    if pk.algo != sig.pub_algo:
        raise InvalidArgumentError("public key and signature use different algorithms")
    alg.verify(pk.algo, pk.crypto_key(), sig.hash_id, digest, sig.sig_fields)


def canonical_text(data: bytes) -> bytes:
    """go-crypto's canonical text hash: a bare LF becomes CRLF (a CR skips the next byte)."""
    out = bytearray()
    after_cr = False
    for c in data:
        if after_cr:
            after_cr = False
        elif c == 0x0D:
            after_cr = True
        elif c == 0x0A:
            out += b"\r"
        out.append(c)
    return bytes(out)


def check_detached_signature(
    keyring: EntityList, signed: bytes, signature: bytes, now: int | None = None
) -> Entity:
    """openpgp.CheckDetachedSignature: the entity whose key made `signature` over `signed`."""
    if now is None:
        now = int(time.time())
    packets = PacketReader(signature)
    while True:
        try:
            p = packets.next()
        except EOFError:
            raise UnknownIssuerError() from None
        if not isinstance(p, Signature):
            raise StructuralError("non signature packet found")
        if p.issuer_key_id is None:
            raise StructuralError("signature doesn't have an issuer")
        keys = keyring.keys_by_id_usage(p.issuer_key_id, KEY_FLAG_SIGN)
        if keys:
            sig = p
            break
    if sig.sig_type == SIG_BINARY:
        data = signed
    elif sig.sig_type == SIG_TEXT:
        data = canonical_text(signed)
    else:
        raise UnsupportedError(f"unsupported signature type: {sig.sig_type}")
    err: OpenPGPError | None = None
    for key in keys:
        h = alg.new_hash(sig.hash_id)
        h.update(data)
        try:
            verify_hashed(key.public_key, h, sig)
        except OpenPGPError as e:
            err = e
            continue
        _check_message_signature_details(key, sig, now)
        return key.entity
    assert err is not None
    raise err


def _check_message_signature_details(key: Key, sig: Signature, now: int) -> None:
    e = key.entity
    ident = e.primary_identity()
    primary_sig = ident.self_signature if ident else None
    by_subkey = key.public_key is not e.primary_key
    to_check = [sig, primary_sig]
    if by_subkey:
        to_check += [
            key.self_signature,
            key.self_signature.embedded if key.self_signature else None,
        ]
    for s in to_check:
        for n in s.notations if s else []:
            if n.critical:
                raise SignatureError(f"unknown critical notation: {n.name}")
    if (
        e.revoked(now)
        or (by_subkey and key.revoked(now))
        or (ident is not None and ident.revoked(now))
    ):
        raise KeyRevokedError()
    if key_expired(e.primary_key, primary_sig, now):
        raise KeyExpiredError()
    if by_subkey and key_expired(key.public_key, key.self_signature, now):
        raise KeyExpiredError()
    for s in to_check:
        if s is not None and s.sig_expired(now):
            raise SignatureExpiredError()


# ---------------------------------------------------------------- signing


def _subpacket(typ: int, content: bytes, critical: bool = False) -> bytes:
    n = len(content) + 1
    if n < 192:
        head = bytes([n])
    elif n < 16320:
        n -= 192
        head = bytes([(n >> 8) + 192, n & 0xFF])
    else:
        head = b"\xff" + n.to_bytes(4, "big")
    return head + bytes([typ | (0x80 if critical else 0)]) + content


def sign_detached(
    priv: PrivateKey,
    signed: bytes,
    sig_type: int = SIG_TEXT,
    hash_id: int = alg.SHA512,
    now: int | None = None,
    random: Callable[[int], bytes] = os.urandom,
) -> Signature:
    """A v4 signature as go-crypto's Signature.Sign makes it: critical creation time,
    issuer key ID, the random salt notation and the issuer fingerprint, all hashed."""
    if priv.encrypted:
        raise InvalidArgumentError(f"signing key {priv.key_id_string()} is encrypted")
    if now is None:
        now = int(time.time())
    salt = random(alg.SALT_SIZES.get(hash_id, 16))
    name = SALT_NOTATION.encode()
    notation = b"\x00\x00\x00\x00" + len(name).to_bytes(2, "big") + len(salt).to_bytes(2, "big")
    hashed = b"".join(
        [
            _subpacket(SUB_CREATION_TIME, now.to_bytes(4, "big"), critical=True),
            _subpacket(SUB_ISSUER, priv.key_id.to_bytes(8, "big")),
            _subpacket(SUB_NOTATION, notation + name + salt),
            _subpacket(SUB_ISSUER_FINGERPRINT, b"\x04" + priv.fingerprint),
        ]
    )
    sig = Signature(4, sig_type, priv.algo, hash_id, hashed=hashed)
    sig.creation_time = now
    sig.issuer_key_id = priv.key_id
    sig.issuer_fingerprint = priv.fingerprint
    h = alg.new_hash(hash_id)
    h.update(canonical_text(signed) if sig_type == SIG_TEXT else signed)
    h.update(sig.hash_suffix())
    digest = h.digest()
    sig.hash_tag = digest[:2]
    sig.sig_fields = alg.sign(priv.algo, priv.crypto_private_key(), hash_id, digest)
    return sig
