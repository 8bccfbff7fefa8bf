"""A small OpenPGP (RFC 4880 / RFC 9580 v4) implementation for Helm's
provenance files: binary and armored keyrings, secret keys (plain or
passphrase-protected), v4 signatures and cleartext-signed messages.

It reads what GnuPG writes and writes what go-crypto (Helm's library) writes.
RSA, DSA, ECDSA (NIST P-256/384/521, secp256k1, brainpool) and Ed25519 keys
sign and verify; ElGamal, ECDH and X25519 subkeys are read and ignored.
The cryptographic primitives come from the `cryptography` package."""

from polystack.helm.remote.openpgp.errors import (
    OpenPGPError,
    SignatureError,
    StructuralError,
    UnknownIssuerError,
    UnsupportedError,
)
from polystack.helm.remote.openpgp.keys import (
    Entity,
    EntityList,
    check_detached_signature,
    read_armored_key_rings,
    read_key_ring,
    sign_detached,
)

__all__ = [
    "Entity",
    "EntityList",
    "OpenPGPError",
    "SignatureError",
    "StructuralError",
    "UnknownIssuerError",
    "UnsupportedError",
    "check_detached_signature",
    "read_armored_key_rings",
    "read_key_ring",
    "sign_detached",
]
