"""OpenPGP algorithm numbers (RFC 4880 section 9, RFC 9580) mapped onto
`hashlib` and the `cryptography` package: hashes, symmetric ciphers for
secret-key protection, and the public-key signature operations (RSA, DSA,
ECDSA, EdDSA/Ed25519)."""

from __future__ import annotations

import hashlib
from typing import Any

from polystack.helm.remote.openpgp.errors import SignatureError, StructuralError, UnsupportedError

# ---------------------------------------------------------------- public-key algorithms

RSA = 1
RSA_ENCRYPT_ONLY = 2
RSA_SIGN_ONLY = 3
ELGAMAL = 16
DSA = 17
ECDH = 18
ECDSA = 19
EDDSA = 22  # "EdDSA (legacy)" in RFC 9580: Ed25519 with an OID and MPIs
X25519 = 25
X448 = 26
ED25519 = 27
ED448 = 28

# secret and public field layouts of the fixed-size RFC 9580 algorithms
FIXED_PUBLIC_SIZE = {X25519: 32, X448: 56, ED25519: 32, ED448: 57}
FIXED_SECRET_SIZE = {X25519: 32, X448: 56, ED25519: 32, ED448: 57}


def can_sign(algo: int) -> bool:
    """PublicKeyAlgorithm.CanSign in go-crypto."""
    return algo in (RSA, RSA_SIGN_ONLY, DSA, ECDSA, EDDSA, ED25519, ED448)


# ---------------------------------------------------------------- hashes

SHA1 = 2
SHA256 = 8
SHA384 = 9
SHA512 = 10
SHA224 = 11
SHA3_256 = 12
SHA3_512 = 14

_HASHLIB = {
    SHA1: "sha1",
    SHA256: "sha256",
    SHA384: "sha384",
    SHA512: "sha512",
    SHA224: "sha224",
    SHA3_256: "sha3_256",
    SHA3_512: "sha3_512",
}

# the names of the clearsign "Hash:" armor header
HASH_NAMES = {
    SHA1: "SHA1",
    SHA224: "SHA224",
    SHA256: "SHA256",
    SHA384: "SHA384",
    SHA512: "SHA512",
    SHA3_256: "SHA3-256",
    SHA3_512: "SHA3-512",
}

# salt sizes of go-crypto's v4 "salt@notations.openpgpjs.org" notation (and v6 salts)
SALT_SIZES = {SHA224: 16, SHA256: 16, SHA384: 24, SHA512: 32, SHA3_256: 16, SHA3_512: 32}


def is_supported_hash(hash_id: int) -> bool:
    return hash_id in _HASHLIB


def new_hash(hash_id: int) -> Any:
    name = _HASHLIB.get(hash_id)
    if name is None:
        raise UnsupportedError(f"hash function {hash_id}")
    return hashlib.new(name)


def _crypto_hash(hash_id: int) -> Any:
    from cryptography.hazmat.primitives import hashes

    cls: Any = {
        SHA1: hashes.SHA1,
        SHA256: hashes.SHA256,
        SHA384: hashes.SHA384,
        SHA512: hashes.SHA512,
        SHA224: hashes.SHA224,
        SHA3_256: hashes.SHA3_256,
        SHA3_512: hashes.SHA3_512,
    }.get(hash_id)
    if cls is None:
        raise UnsupportedError(f"hash function {hash_id}")
    return cls()


# ---------------------------------------------------------------- symmetric ciphers

AES128 = 7
AES192 = 8
AES256 = 9

# id -> (key size, block size)
_CIPHERS = {
    2: (24, 8),  # TripleDES
    3: (16, 8),  # CAST5
    4: (16, 8),  # Blowfish
    AES128: (16, 16),
    AES192: (24, 16),
    AES256: (32, 16),
    11: (16, 16),  # Camellia-128
    12: (24, 16),  # Camellia-192
    13: (32, 16),  # Camellia-256
}


def cipher_sizes(cipher_id: int) -> tuple[int, int]:
    """(key size, block size) of a symmetric algorithm."""
    sizes = _CIPHERS.get(cipher_id)
    if sizes is None:
        raise UnsupportedError(f"unsupported cipher: {cipher_id}")
    return sizes


def _cfb(iv: bytes) -> Any:
    try:  # cryptography >= 47 keeps CFB among the "decrepit" modes
        from cryptography.hazmat.decrepit.ciphers.modes import CFB
    except ImportError:  # pragma: no cover - older cryptography
        from cryptography.hazmat.primitives.ciphers.modes import CFB
    return CFB(iv)


def cfb_decrypt(cipher_id: int, key: bytes, iv: bytes, data: bytes) -> bytes:
    """Plain CFB (as secret-key protection uses, not OpenPGP's resyncing CFB)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    if cipher_id in (AES128, AES192, AES256):
        algo: Any = algorithms.AES(key)
    else:
        from cryptography.hazmat.decrepit.ciphers import algorithms as old

        camellia = getattr(old, "Camellia", None) or algorithms.Camellia
        ciphers: dict[int, Any] = {2: old.TripleDES, 3: old.CAST5, 4: old.Blowfish}
        algo = ciphers.get(cipher_id, camellia)(key)
    dec = Cipher(algo, _cfb(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def cfb_encrypt(cipher_id: int, key: bytes, iv: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    if cipher_id not in (AES128, AES192, AES256):
        raise UnsupportedError(f"unsupported cipher: {cipher_id}")
    enc = Cipher(algorithms.AES(key), _cfb(iv)).encryptor()
    return enc.update(data) + enc.finalize()


# ---------------------------------------------------------------- elliptic curves

# curve OIDs (DER contents) as OpenPGP writes them
OID_ED25519 = bytes.fromhex("2b06010401da470f01")
_EC_CURVES = {
    bytes.fromhex("2a8648ce3d030107"): "SECP256R1",
    bytes.fromhex("2b81040022"): "SECP384R1",
    bytes.fromhex("2b81040023"): "SECP521R1",
    bytes.fromhex("2b8104000a"): "SECP256K1",
    bytes.fromhex("2b2403030208010107"): "BrainpoolP256R1",
    bytes.fromhex("2b240303020801010b"): "BrainpoolP384R1",
    bytes.fromhex("2b240303020801010d"): "BrainpoolP512R1",
}


def _ec_curve(oid: bytes) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    name = _EC_CURVES.get(oid)
    if name is None:
        raise UnsupportedError(f"unknown curve OID {oid.hex()}")
    return getattr(ec, name)()


def _ed25519_point(point: bytes) -> bytes:
    """Legacy EdDSA public points are 0x40 || 32 bytes."""
    if len(point) != 33 or point[0] != 0x40:
        raise StructuralError("bad EdDSA public key point")
    return point[1:]


# ---------------------------------------------------------------- key objects


def public_key_object(algo: int, fields: dict[str, Any]) -> Any:
    """A `cryptography` public key for a parsed OpenPGP public key."""
    if algo in (RSA, RSA_SIGN_ONLY, RSA_ENCRYPT_ONLY):
        from cryptography.hazmat.primitives.asymmetric import rsa

        return rsa.RSAPublicNumbers(fields["e"], fields["n"]).public_key()
    if algo == DSA:
        from cryptography.hazmat.primitives.asymmetric import dsa

        params = dsa.DSAParameterNumbers(fields["p"], fields["q"], fields["g"])
        return dsa.DSAPublicNumbers(fields["y"], params).public_key()
    if algo == ECDSA:
        from cryptography.hazmat.primitives.asymmetric import ec

        return ec.EllipticCurvePublicKey.from_encoded_point(
            _ec_curve(fields["oid"]), fields["point"]
        )
    if algo == EDDSA:
        from cryptography.hazmat.primitives.asymmetric import ed25519

        if fields["oid"] != OID_ED25519:
            raise UnsupportedError(f"unsupported EdDSA curve OID {fields['oid'].hex()}")
        return ed25519.Ed25519PublicKey.from_public_bytes(_ed25519_point(fields["point"]))
    if algo == ED25519:
        from cryptography.hazmat.primitives.asymmetric import ed25519

        return ed25519.Ed25519PublicKey.from_public_bytes(fields["raw"])
    raise UnsupportedError(f"public key algorithm {algo}")


def private_key_object(algo: int, pub: dict[str, Any], sec: dict[str, Any]) -> Any:
    """A `cryptography` private key from the public and decrypted secret fields."""
    if algo in (RSA, RSA_SIGN_ONLY, RSA_ENCRYPT_ONLY):
        from cryptography.hazmat.primitives.asymmetric import rsa

        p, q, d = sec["p"], sec["q"], sec["d"]
        numbers = rsa.RSAPrivateNumbers(
            p=p,
            q=q,
            d=d,
            dmp1=rsa.rsa_crt_dmp1(d, p),
            dmq1=rsa.rsa_crt_dmq1(d, q),
            iqmp=rsa.rsa_crt_iqmp(p, q),
            public_numbers=rsa.RSAPublicNumbers(pub["e"], pub["n"]),
        )
        return numbers.private_key()
    if algo == DSA:
        from cryptography.hazmat.primitives.asymmetric import dsa

        params = dsa.DSAParameterNumbers(pub["p"], pub["q"], pub["g"])
        return dsa.DSAPrivateNumbers(sec["x"], dsa.DSAPublicNumbers(pub["y"], params)).private_key()
    if algo == ECDSA:
        from cryptography.hazmat.primitives.asymmetric import ec

        return ec.derive_private_key(sec["d"], _ec_curve(pub["oid"]))
    if algo == EDDSA:
        from cryptography.hazmat.primitives.asymmetric import ed25519

        seed = sec["seed"].rjust(32, b"\x00")
        return ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    if algo == ED25519:
        from cryptography.hazmat.primitives.asymmetric import ed25519

        return ed25519.Ed25519PrivateKey.from_private_bytes(sec["raw"])
    raise UnsupportedError(f"public key algorithm {algo}")


# ---------------------------------------------------------------- sign / verify


def verify(algo: int, key: Any, hash_id: int, digest: bytes, sig: list[bytes]) -> None:
    """Check a signature over `digest`; raises SignatureError as go-crypto words it."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import padding, utils

    try:
        if algo in (RSA, RSA_SIGN_ONLY):
            size = (key.key_size + 7) // 8
            if len(sig[0]) > size:
                raise SignatureError("RSA verification failure")
            key.verify(
                sig[0].rjust(size, b"\x00"),
                digest,
                padding.PKCS1v15(),
                utils.Prehashed(_crypto_hash(hash_id)),
            )
            return
        if algo == DSA:
            der = utils.encode_dss_signature(_int(sig[0]), _int(sig[1]))
            key.verify(der, digest, utils.Prehashed(_crypto_hash(hash_id)))
            return
        if algo == ECDSA:
            from cryptography.hazmat.primitives.asymmetric import ec

            der = utils.encode_dss_signature(_int(sig[0]), _int(sig[1]))
            key.verify(der, digest, ec.ECDSA(utils.Prehashed(_crypto_hash(hash_id))))
            return
        if algo == EDDSA:
            if len(sig[0]) > 32 or len(sig[1]) > 32:
                raise SignatureError("EdDSA verification failure")
            key.verify(sig[0].rjust(32, b"\x00") + sig[1].rjust(32, b"\x00"), digest)
            return
        if algo == ED25519:
            key.verify(sig[0], digest)
            return
    except InvalidSignature:
        raise SignatureError(
            f"{_VERIFY_NAMES.get(algo, 'signature')} verification failure"
        ) from None
    except ValueError:
        raise SignatureError(
            f"{_VERIFY_NAMES.get(algo, 'signature')} verification failure"
        ) from None
    raise UnsupportedError(f"public key algorithm {algo}")


_VERIFY_NAMES = {
    RSA: "RSA",
    RSA_SIGN_ONLY: "RSA",
    DSA: "DSA",
    ECDSA: "ECDSA",
    EDDSA: "EdDSA",
    ED25519: "Ed25519",
}


def sign(algo: int, key: Any, hash_id: int, digest: bytes) -> list[bytes]:
    """Sign `digest`; returns the signature fields (MPI values or raw bytes)."""
    from cryptography.hazmat.primitives.asymmetric import padding, utils

    if algo in (RSA, RSA_SIGN_ONLY):
        return [key.sign(digest, padding.PKCS1v15(), utils.Prehashed(_crypto_hash(hash_id)))]
    if algo == DSA:
        r, s = utils.decode_dss_signature(key.sign(digest, utils.Prehashed(_crypto_hash(hash_id))))
        return [_bytes(r), _bytes(s)]
    if algo == ECDSA:
        from cryptography.hazmat.primitives.asymmetric import ec

        der = key.sign(digest, ec.ECDSA(utils.Prehashed(_crypto_hash(hash_id))))
        r, s = utils.decode_dss_signature(der)
        return [_bytes(r), _bytes(s)]
    if algo == EDDSA:
        raw = key.sign(digest)
        return [raw[:32], raw[32:]]
    if algo == ED25519:
        return [key.sign(digest)]
    raise UnsupportedError(f"public key algorithm {algo}")


def _int(b: bytes) -> int:
    return int.from_bytes(b, "big")


def _bytes(n: int) -> bytes:
    return n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
