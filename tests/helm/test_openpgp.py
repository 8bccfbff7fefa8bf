"""The OpenPGP package behind provenance files: packet framing, MPIs,
subpackets, S2K and secret-key protection, armor and CRC-24, canonical text,
cleartext signatures; driven with raw bytes, and against keys and
signatures made by the real GnuPG."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest

from polystack.helm.remote.openpgp import algorithm as alg
from polystack.helm.remote.openpgp import armor, clearsign
from polystack.helm.remote.openpgp.errors import (
    OpenPGPError,
    SignatureError,
    StructuralError,
    UnexpectedEOFError,
    UnknownIssuerError,
    UnsupportedError,
)
from polystack.helm.remote.openpgp.keys import (
    EntityList,
    canonical_text,
    check_detached_signature,
    read_armored_key_rings,
    read_key_ring,
    sign_detached,
)
from polystack.helm.remote.openpgp.packet import (
    S2K,
    SIG_BINARY,
    SIG_TEXT,
    Fields,
    Opaque,
    PacketReader,
    PrivateKey,
    PublicKey,
    Signature,
    UserId,
    encode_mpi,
    parse_packet,
    read_header,
    serialize_header,
)

from .gpg_keys import LOCKED_UID, PASSPHRASE, PLAIN_UID, GpgKeys

# ---------------------------------------------------------------- framing


def test_old_format_headers() -> None:
    # tag 13 (user ID), one-octet length
    assert read_header(b"\xb4\x03abcZ", 0) == (13, b"abc", 5)
    # tag 6, two-octet length
    assert read_header(b"\x99\x00\x02hi", 0) == (6, b"hi", 5)
    # tag 2, four-octet length
    assert read_header(b"\x8a\x00\x00\x00\x01x", 0) == (2, b"x", 6)
    # indeterminate length: to the end of the data
    assert read_header(b"\x8b\x01\x02\x03", 0) == (2, b"\x01\x02\x03", 4)


def test_new_format_headers() -> None:
    assert read_header(b"\xcd\x02ab", 0) == (13, b"ab", 4)
    body = bytes(range(256)) * 2
    two = serialize_header(2, len(body)) + body
    assert two[:3] == b"\xc2\xc1\x40"  # 512 = ((0xc1 - 192) << 8) + 0x40 + 192
    assert read_header(two, 0) == (2, body, len(two))
    five = b"\xc2\xff\x00\x00\x00\x03xyz"
    assert read_header(five, 0) == (2, b"xyz", 9)
    # partial body lengths: 2 octets (0xe1), then a final 1-octet length
    assert read_header(b"\xcb\xe1ab\x01c", 0) == (11, b"abc", 6)


@pytest.mark.parametrize("n", [0, 1, 191, 192, 193, 8383, 8384, 70000])
def test_serialize_header_round_trip(n: int) -> None:
    data = serialize_header(2, n) + b"\x00" * n
    assert read_header(data, 0) == (2, b"\x00" * n, len(data))


def test_header_errors() -> None:
    with pytest.raises(StructuralError) as e:
        read_header(b"\x2dxx", 0)
    assert str(e.value) == "openpgp: invalid data: tag byte does not have MSB set"
    with pytest.raises(UnexpectedEOFError) as e2:
        read_header(b"\xb4\x05ab", 0)
    assert str(e2.value) == "unexpected EOF"
    with pytest.raises(EOFError):
        read_header(b"", 0)


def test_mpi() -> None:
    assert encode_mpi(b"\x00\x01") == b"\x00\x01\x01"
    assert encode_mpi(b"\x80") == b"\x00\x08\x80"
    assert encode_mpi(b"\x01\x00") == b"\x00\x09\x01\x00"
    f = Fields(b"\x00\x09\x01\x00\x00\x00")
    assert f.mpi() == b"\x01\x00"
    assert f.mpi() == b""
    with pytest.raises(UnexpectedEOFError):
        Fields(b"\x00\x10\x01").mpi()


# ---------------------------------------------------------------- keys from raw bytes


def _rsa_public_body(n: int, e: int, created: int = 0x5F000000) -> bytes:
    def mpi(v: int) -> bytes:
        return encode_mpi(v.to_bytes((v.bit_length() + 7) // 8, "big"))

    return b"\x04" + created.to_bytes(4, "big") + b"\x01" + mpi(n) + mpi(e)


def test_public_key_fingerprint_and_key_id() -> None:
    body = _rsa_public_body(0xC0FFEE1234567, 65537)
    pk = parse_packet(6, body)
    assert isinstance(pk, PublicKey) and not pk.is_subkey
    want = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).digest()
    assert pk.fingerprint == want
    assert pk.key_id == int.from_bytes(want[-8:], "big")
    assert pk.fields == {"n": 0xC0FFEE1234567, "e": 65537}
    sub = parse_packet(14, body)
    assert isinstance(sub, PublicKey) and sub.is_subkey


def test_unsupported_packets() -> None:
    with pytest.raises(UnsupportedError) as e:
        parse_packet(6, b"\x03" + b"\x00" * 10)
    assert str(e.value) == "openpgp: unsupported feature: public key version 3"
    with pytest.raises(UnsupportedError) as e:
        parse_packet(6, b"\x04\x00\x00\x00\x00\x63")
    assert str(e.value) == "openpgp: unsupported feature: public key type: 99"
    assert parse_packet(17, b"\x01\x02") == Opaque(17)  # user attribute
    assert parse_packet(12, b"\x00") is None  # trust packets are skipped
    assert parse_packet(13, "Zoë <z@x>".encode()) == UserId("Zoë <z@x>".encode())


def _subpacket(typ: int, content: bytes, critical: bool = False) -> bytes:
    return bytes([len(content) + 1, typ | (0x80 if critical else 0)]) + content


def _sig_body(hashed: bytes, unhashed: bytes = b"", algo: int = 1, hash_id: int = 8) -> bytes:
    return (
        bytes([4, 0x00, algo, hash_id])
        + len(hashed).to_bytes(2, "big")
        + hashed
        + len(unhashed).to_bytes(2, "big")
        + unhashed
        + b"\xab\xcd"
        + encode_mpi(b"\x01\x02\x03")
    )


def test_signature_subpackets() -> None:
    fpr = bytes(range(20))
    hashed = (
        _subpacket(2, (1700000000).to_bytes(4, "big"), critical=True)
        + _subpacket(3, (3600).to_bytes(4, "big"))
        + _subpacket(27, b"\x03")
        + _subpacket(20, b"\x80\x00\x00\x00\x00\x01\x00\x02" + b"nv!", critical=True)
        + _subpacket(33, b"\x04" + fpr)
    )
    unhashed = _subpacket(16, b"\x11" * 8)
    sig = parse_packet(2, _sig_body(hashed, unhashed))
    assert isinstance(sig, Signature)
    assert sig.creation_time == 1700000000
    assert sig.sig_lifetime == 3600
    assert sig.key_flags == 3
    assert sig.issuer_fingerprint == fpr
    assert sig.issuer_key_id == 0x1111111111111111  # from the unhashed issuer subpacket
    assert sig.notations[0].name == "n" and sig.notations[0].value == b"v!"
    assert sig.notations[0].critical and sig.notations[0].human_readable
    assert sig.hash_tag == b"\xab\xcd" and sig.sig_fields == [b"\x01\x02\x03"]
    assert not sig.sig_expired(1700000000 + 3600)
    assert sig.sig_expired(1700000000 + 3601)
    assert sig.sig_expired(1699999999)  # made in the future
    suffix = sig.hash_suffix()
    assert suffix[:6] == bytes([4, 0, 1, 8]) + len(hashed).to_bytes(2, "big")
    assert suffix[-6:] == b"\x04\xff" + (6 + len(hashed)).to_bytes(4, "big")
    # without an issuer subpacket, the key ID comes from the fingerprint
    sig2 = parse_packet(
        2, _sig_body(_subpacket(2, b"\x00\x00\x00\x01") + _subpacket(33, b"\x04" + fpr))
    )
    assert isinstance(sig2, Signature) and sig2.issuer_key_id == int.from_bytes(fpr[12:], "big")


def test_signature_errors() -> None:
    created = _subpacket(2, b"\x00\x00\x00\x01")
    with pytest.raises(StructuralError, match="no creation time in signature"):
        parse_packet(2, _sig_body(b""))
    with pytest.raises(StructuralError, match="zero length signature subpacket"):
        parse_packet(2, _sig_body(created + b"\x00"))
    with pytest.raises(UnsupportedError, match="unknown critical signature subpacket type 100"):
        parse_packet(2, _sig_body(created + _subpacket(100, b"x", critical=True)))
    parse_packet(2, _sig_body(created + _subpacket(100, b"x")))  # not critical: ignored
    with pytest.raises(UnsupportedError, match="hash function 1$"):
        parse_packet(2, _sig_body(created, hash_id=1))
    with pytest.raises(UnsupportedError, match="signature packet version 3"):
        parse_packet(2, b"\x03" + b"\x00" * 20)


def test_reader_skips_unsupported_packets() -> None:
    created = _subpacket(2, b"\x00\x00\x00\x01")
    md5 = _sig_body(created, hash_id=1)
    good = _sig_body(created)
    data = (
        serialize_header(2, len(md5))
        + md5
        + b"\xb0\x01\x00"
        + serialize_header(2, len(good))
        + good
    )
    r = PacketReader(data)
    p = r.next()  # the MD5 signature and the trust packet are skipped
    assert isinstance(p, Signature) and p.hash_id == 8
    r.unread(p)
    assert r.next() is p
    with pytest.raises(EOFError):
        r.next()


def test_read_key_ring_errors() -> None:
    assert read_key_ring(b"") == []
    with pytest.raises(StructuralError) as e:
        read_key_ring(b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n")
    assert str(e.value) == "openpgp: invalid data: tag byte does not have MSB set"
    with pytest.raises(StructuralError) as e:
        read_key_ring(b"\xb4\x01x")
    assert str(e.value) == "openpgp: invalid data: first packet was not a public/private key"
    body = _rsa_public_body(0xC0FFEE1234567, 3)
    with pytest.raises(StructuralError) as e:
        read_key_ring(serialize_header(6, len(body)) + body)
    assert str(e.value) == "openpgp: invalid data: entity without any identities"


# ---------------------------------------------------------------- S2K


def test_s2k_counts_and_derivation() -> None:
    f = Fields(b"\x03\x02" + b"saltsalt" + b"\x60")
    s = S2K.parse(f)
    assert (s.mode, s.hash_id, s.salt, s.count) == (3, 2, b"saltsalt", 65536)
    assert S2K.parse(Fields(b"\x03\x08" + b"s" * 8 + b"\xff")).count == 65011712
    data = b"saltsalt" + b"pw"
    want = hashlib.sha1((data * (65536 // len(data) + 1))[:65536]).digest()
    assert s.derive(b"pw", 16) == want[:16]
    # a longer key than the hash: the next context is preloaded with one zero byte
    h2 = hashlib.sha1(b"\x00" + (data * (65536 // len(data) + 1))[:65536]).digest()
    assert s.derive(b"pw", 32) == (want + h2)[:32]
    simple = S2K.parse(Fields(b"\x00\x08"))
    assert simple.derive(b"pw", 16) == hashlib.sha256(b"pw").digest()[:16]
    salted = S2K.parse(Fields(b"\x01\x08saltsalt"))
    assert salted.derive(b"pw", 32) == hashlib.sha256(b"saltsaltpw").digest()
    gnu = S2K.parse(Fields(b"\x65\x02GNU\x01"))
    assert gnu.gnu_mode == 1
    with pytest.raises(UnsupportedError):
        S2K.parse(Fields(b"\x04\x00"))  # argon2


# ---------------------------------------------------------------- armor


def test_crc24() -> None:
    assert armor.crc24(b"") == 0xB704CE
    # the checksum gpg writes for its own export, checked in test_gpg_armor_crc
    assert armor.crc24(b"hello") != armor.crc24(b"hellp")


def test_armor_decode_and_encode() -> None:
    body = bytes(range(200))
    text = armor.encode("PGP SIGNATURE", body, {"Comment": "x"}, checksum=True)
    assert text.startswith("-----BEGIN PGP SIGNATURE-----\nComment: x\n\n")
    assert text.endswith("\n-----END PGP SIGNATURE-----")
    assert all(len(line) <= 64 for line in text.splitlines())
    block, pos = armor.decode(b"garbage\n\n" + text.encode() + b"\ntrailer")
    assert (block.type, block.headers, block.body) == ("PGP SIGNATURE", {"Comment": "x"}, body)
    # the checksum is not checked (go-crypto ignores it, as RFC 9580 allows)
    bad = re.sub(r"\n=(....)\n", "\n=AAAA\n", text)
    assert armor.decode(bad.encode())[0].body == body
    no_crc = armor.encode("PGP MESSAGE", b"abc")
    assert "\n=" not in no_crc and armor.decode(no_crc.encode())[0].body == b"abc"
    with pytest.raises(EOFError):
        armor.decode(b"no armor here\n")
    long_line = "-----BEGIN PGP MESSAGE-----\n\n" + "A" * 100 + "\n-----END PGP MESSAGE-----"
    with pytest.raises(StructuralError, match="armor invalid"):
        armor.decode(long_line.encode())
    bad_b64 = "-----BEGIN PGP MESSAGE-----\n\nAB CD\n-----END PGP MESSAGE-----"
    block, _ = armor.decode(bad_b64.encode())
    with pytest.raises(OpenPGPError, match="illegal base64 data at input byte 2"):
        block.read()
    two = (armor.encode("PGP MESSAGE", b"1") + "\n" + armor.encode("PGP MESSAGE", b"2")).encode()
    b1, pos = armor.decode(two)
    b2, _ = armor.decode(two, pos)
    assert (b1.body, b2.body) == (b"1", b"2")


def test_gpg_armor_crc(gpg_keys: GpgKeys) -> None:
    text = open(gpg_keys.path("pub.asc"), "rb").read()
    block, _ = armor.decode(text)
    assert block.body == open(gpg_keys.path("pubring.gpg"), "rb").read()
    crc = re.search(rb"\n=([A-Za-z0-9+/]{4})\r?\n-----END", text)
    assert crc is not None
    assert armor.crc24(block.body) == int.from_bytes(base64.b64decode(crc.group(1)), "big")


# ---------------------------------------------------------------- text and clearsign


def test_canonical_text() -> None:
    assert canonical_text(b"a\nb\n") == b"a\r\nb\r\n"
    assert canonical_text(b"a\r\nb") == b"a\r\nb"
    assert canonical_text(b"a\rb\n") == b"a\rb\r\n"
    assert canonical_text(b"\r\r\n") == b"\r\r\r\n"  # the byte after a CR is not looked at


def test_clearsign_escaping() -> None:
    out, hashed = clearsign._escape(b"-a\nb  \t\n\nc \r\nend")
    assert out == b"- -a\nb\n\nc\nend\n"
    assert hashed == b"-a\r\nb\r\n\r\nc\r\nend"
    # a text ending in a newline: that CRLF is signed and one more newline is written
    out, hashed = clearsign._escape(b"x\n")
    assert (out, hashed) == (b"x\n\n", b"x\r\n")
    assert clearsign._escape(b"") == (b"\n", b"")


def _signed_message(body: str, sig: bytes = b"\xc2\x00") -> bytes:
    return (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
        + body
        + armor.encode("PGP SIGNATURE", sig)
        + "\n"
    ).encode()


def test_clearsign_decode() -> None:
    b = clearsign.decode(b"junk\n" + _signed_message("- -x \nline\t\n\n"))
    assert b is not None
    assert b.headers == {"Hash": ["SHA512"]}
    assert b.plaintext == b"-x\nline\n"
    assert b.signed == b"-x\r\nline\r\n"
    assert b.signature is not None and b.signature.body == b"\xc2\x00"
    other = _signed_message("x\n").replace(b"Hash: SHA512", b"Comment: hi")
    assert clearsign.decode(other) is None  # only Hash headers are allowed
    assert clearsign.decode(b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nx\n") is None
    assert clearsign.decode(b"nothing signed") is None


# ---------------------------------------------------------------- with gpg's keys


def _ring(k: GpgKeys, name: str) -> EntityList:
    return read_key_ring(open(k.path(name), "rb").read())


def _entity(ring: EntityList, uid_part: str) -> Any:
    return next(e for e in ring if any(uid_part in n for n in e.identities))


def test_gpg_keyrings(gpg_keys: GpgKeys) -> None:
    pub = _ring(gpg_keys, "pubring.gpg")
    sec = _ring(gpg_keys, "secring.gpg")
    names = [n for e in pub for n in e.identities]
    assert PLAIN_UID in names and LOCKED_UID in names
    assert [e.fingerprint_hex() for e in pub] == [e.fingerprint_hex() for e in sec]
    listing = gpg_keys.gpg("--with-colons", "--fingerprint").stdout.decode()
    fprs = re.findall(r"^fpr:+([0-9A-F]{40}):", listing, re.M)
    for e in pub:
        assert e.fingerprint_hex() in fprs
    assert all(e.private_key is None for e in pub)
    assert all(e.private_key is not None for e in sec)
    locked = _entity(sec, "Locked")
    assert locked.private_key.encrypted and len(locked.subkeys) == 1
    assert locked.subkeys[0].sig.key_flags == 0x02  # the signing subkey
    ed = _entity(sec, "Ed Signer")
    assert ed.primary_key.algo == alg.EDDSA and ed.subkeys[0].public_key.algo == alg.ECDH
    dsa = _entity(sec, "Dsa Signer")
    assert dsa.primary_key.algo == alg.DSA and dsa.subkeys[0].public_key.algo == alg.ELGAMAL
    armored = read_armored_key_rings(open(gpg_keys.path("pub.asc"), "rb").read())
    assert [e.fingerprint_hex() for e in armored] == [e.fingerprint_hex() for e in pub]


def test_decrypt_secret_key(gpg_keys: GpgKeys) -> None:
    locked = _entity(_ring(gpg_keys, "secring.gpg"), "Locked").private_key
    assert locked.s2k.mode == 3 and locked.s2k_usage == 254
    with pytest.raises(StructuralError) as e:
        locked.decrypt(b"wrong")
    assert str(e.value) == "openpgp: invalid data: private key checksum failure"
    assert locked.encrypted
    locked.decrypt(PASSPHRASE.encode())
    assert not locked.encrypted
    n = locked.fields["n"]
    assert locked.secret["p"] * locked.secret["q"] == n


@pytest.mark.parametrize("cipher_id", [alg.AES128, alg.AES192, alg.AES256, 3, 2, 11])
def test_secret_key_ciphers(gpg_keys: GpgKeys, cipher_id: int) -> None:
    """Protect a plain gpg key with each cipher (AES via our encrypt, the others
    by hand with `cryptography`), then unlock it."""
    from cryptography.hazmat.primitives.ciphers import Cipher

    key = _entity(_ring(gpg_keys, "plain-sec.gpg"), "Test Signer").private_key
    secret = dict(key.secret)
    if cipher_id in (alg.AES128, alg.AES192, alg.AES256):
        key.encrypt(b"pw", cipher_id)
    else:
        from cryptography.hazmat.decrepit.ciphers import algorithms as old
        from cryptography.hazmat.decrepit.ciphers.modes import CFB

        from polystack.helm.remote.openpgp.packet import _serialize_secret

        key.encrypt(b"pw", alg.AES128)  # sets up the S2K, then re-encrypt by hand
        size, block = alg.cipher_sizes(cipher_id)
        k = key.s2k.derive(b"pw", size)
        algo = {3: old.CAST5, 2: old.TripleDES, 11: old.Camellia}[cipher_id](k)
        key.cipher_id, key.iv = cipher_id, b"\x01" * block
        plain = _serialize_secret(key.algo, secret)
        enc = Cipher(algo, CFB(key.iv)).encryptor()
        key.secret_data = enc.update(plain + hashlib.sha1(plain).digest()) + enc.finalize()
    tag, body, _ = read_header(key.serialize(), 0)
    again = parse_packet(tag, body)
    assert isinstance(again, PrivateKey) and again.encrypted
    with pytest.raises(StructuralError, match="checksum failure"):
        again.decrypt(b"nope")
    again.decrypt(b"pw")
    assert again.secret == secret


def test_sign_and_check_binary_and_text(gpg_keys: GpgKeys) -> None:
    sec = _ring(gpg_keys, "secring.gpg")
    pub = _ring(gpg_keys, "pubring.gpg")
    plain = _entity(sec, "Test Signer")
    for sig_type, data in ((SIG_BINARY, b"\x00bin\n"), (SIG_TEXT, b"a\nb\n")):
        sig = sign_detached(plain.private_key, data, sig_type)
        assert check_detached_signature(pub, data, sig.serialize()).fingerprint_hex() == (
            plain.fingerprint_hex()
        )
        with pytest.raises(SignatureError) as e:
            check_detached_signature(pub, data + b"x", sig.serialize())
        assert str(e.value) == "openpgp: invalid signature: RSA verification failure"
    text_sig = sign_detached(plain.private_key, b"a\nb", SIG_TEXT)
    # a text signature covers the canonical (CRLF) form
    check_detached_signature(pub, b"a\r\nb", text_sig.serialize())
    with pytest.raises(UnknownIssuerError):
        check_detached_signature(_ring(gpg_keys, "locked-pub.gpg"), b"a\nb", text_sig.serialize())
    with pytest.raises(StructuralError, match="non signature packet found"):
        check_detached_signature(pub, b"", b"\xcd\x01x")


def test_sign_subpackets_like_go_crypto(gpg_keys: GpgKeys) -> None:
    plain = _entity(_ring(gpg_keys, "secring.gpg"), "Test Signer").private_key
    sig = sign_detached(plain, b"x", SIG_TEXT, now=1700000000, random=lambda n: b"\x07" * n)
    packet = sig.serialize()
    assert packet[0] == 0xC2  # a new-format header, as go-crypto writes
    parsed = parse_packet(2, read_header(packet, 0)[1])
    assert isinstance(parsed, Signature)
    assert parsed.hashed[:6] == b"\x05\x82" + (1700000000).to_bytes(4, "big")  # critical time
    assert parsed.issuer_key_id == plain.key_id and parsed.issuer_fingerprint == plain.fingerprint
    assert [(n.name, n.value) for n in parsed.notations] == [
        ("salt@notations.openpgpjs.org", b"\x07" * 32)
    ]
    assert parsed.unhashed == b""


@pytest.mark.parametrize("who", ["Test Signer", "Ed Signer", "Ec Signer", "Dsa Signer"])
def test_clearsign_interop_with_gpg(gpg_keys: GpgKeys, who: str) -> None:
    sec = _ring(gpg_keys, "secring.gpg")
    pub = _ring(gpg_keys, "pubring.gpg")
    e = _entity(sec, who)
    text = b"apiVersion: v2\n-dash line\ntrailing   \n\n...\nfiles: {}\n"
    signed = clearsign.encode(text, e.private_key).encode()
    r = gpg_keys.gpg("--verify", input=signed, check=False)
    assert b"Good signature" in r.stderr and b"BAD" not in r.stderr, r.stderr
    block = clearsign.decode(signed)
    assert (
        block is not None
        and block.plaintext == b"apiVersion: v2\n-dash line\ntrailing\n\n...\nfiles: {}\n"
    )
    assert clearsign.verify(block, pub).fingerprint_hex() == e.fingerprint_hex()
    uid = next(iter(e.identities)).split("<")[1].rstrip(">")
    made = gpg_keys.gpg("--clearsign", "--digest-algo", "SHA512", "-u", uid, "-o", "-", input=text)
    theirs = clearsign.decode(made.stdout)
    assert theirs is not None
    assert clearsign.verify(theirs, pub).fingerprint_hex() == e.fingerprint_hex()
    tampered = made.stdout.replace(b"files: {}", b"files: []")
    with pytest.raises(SignatureError):
        clearsign.verify(clearsign.decode(tampered), pub)  # type: ignore[arg-type]


def test_gpg_signs_with_the_signing_subkey(gpg_keys: GpgKeys) -> None:
    """gpg uses the locked key's signing subkey; the entity is still the primary's."""
    pub = _ring(gpg_keys, "pubring.gpg")
    made = gpg_keys.gpg(
        "--passphrase",
        PASSPHRASE,
        "--clearsign",
        "-u",
        "locked@example.com",
        "-o",
        "-",
        input=b"hello\n",
    )
    block = clearsign.decode(made.stdout)
    assert block is not None and block.signature is not None
    sig = PacketReader(block.signature.body).next()
    locked = _entity(pub, "Locked")
    assert isinstance(sig, Signature) and sig.issuer_key_id == locked.subkeys[0].public_key.key_id
    assert clearsign.verify(block, pub) is locked


def test_expired_key(gpg_keys: GpgKeys) -> None:
    sec = _ring(gpg_keys, "secring.gpg")
    pub = _ring(gpg_keys, "pubring.gpg")
    e = _entity(sec, "Expired")
    block = clearsign.decode(clearsign.encode(b"x\n", e.private_key).encode())
    assert block is not None
    with pytest.raises(OpenPGPError) as err:
        clearsign.verify(block, pub)
    assert str(err.value) == "openpgp: key expired"


def test_unknown_critical_notation(gpg_keys: GpgKeys) -> None:
    """A signature carrying a critical notation nobody declared known is refused."""
    plain = _entity(_ring(gpg_keys, "secring.gpg"), "Test Signer").private_key
    name = b"x@example.com"
    hashed = (
        _subpacket(2, (1700000000).to_bytes(4, "big"))
        + _subpacket(33, b"\x04" + plain.fingerprint)
        + _subpacket(20, b"\x80\x00\x00\x00" + bytes([0, len(name), 0, 1]) + name + b"v", True)
    )
    sig = Signature(4, SIG_BINARY, plain.algo, alg.SHA256, hashed=hashed)
    h = alg.new_hash(alg.SHA256)
    h.update(b"data" + sig.hash_suffix())
    digest = h.digest()
    sig.hash_tag = digest[:2]
    sig.sig_fields = alg.sign(plain.algo, plain.crypto_private_key(), alg.SHA256, digest)
    with pytest.raises(SignatureError) as e:
        check_detached_signature(_ring(gpg_keys, "pubring.gpg"), b"data", sig.serialize())
    assert str(e.value) == "openpgp: invalid signature: unknown critical notation: x@example.com"


def test_secret_key_with_16_bit_checksum(gpg_keys: GpgKeys) -> None:
    """S2K usage 255: the secret fields end in a 16-bit sum instead of a SHA-1 hash."""
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    from polystack.helm.remote.openpgp.packet import _serialize_secret

    key = _entity(_ring(gpg_keys, "plain-sec.gpg"), "Test Signer").private_key
    plain = _serialize_secret(key.algo, key.secret)
    salt, iv = b"12345678", b"\x02" * 16
    s2k = S2K(3, alg.SHA1, salt, 65536)
    data = plain + (sum(plain) & 0xFFFF).to_bytes(2, "big")
    enc = Cipher(algorithms.AES(s2k.derive(b"pw", 16)), CFB(iv)).encryptor()
    body = key.body + bytes([255, alg.AES128, 3, alg.SHA1]) + salt + b"\x60" + iv
    body += enc.update(data) + enc.finalize()
    again = parse_packet(5, body)
    assert isinstance(again, PrivateKey) and again.encrypted and again.s2k_usage == 255
    with pytest.raises(StructuralError, match="private key checksum failure"):
        again.decrypt(b"not it")
    again.decrypt(b"pw")
    assert again.secret == key.secret
