"""Cleartext signed messages (RFC 4880 section 7), as go-crypto's clearsign
package (v1.4, the one Helm 4 links) reads and writes them.

Writing: a `Hash:` header, the text dash-escaped (lines starting with `-`
get `- `), trailing spaces/tabs/CRs of each line dropped from the hash and the
output, line endings hashed as CRLF. A text that ends with a newline has
that CRLF hashed too, and one more newline is written before the armored
signature (which carries no CRC line)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from polystack.helm.remote.openpgp import algorithm as alg
from polystack.helm.remote.openpgp import armor
from polystack.helm.remote.openpgp.errors import InvalidArgumentError
from polystack.helm.remote.openpgp.keys import (
    Entity,
    EntityList,
    check_detached_signature,
    sign_detached,
)
from polystack.helm.remote.openpgp.packet import SIG_TEXT, PrivateKey

_START = b"-----BEGIN PGP SIGNED MESSAGE-----"
_END_TEXT = b"-----BEGIN PGP SIGNATURE-----"
_END = b"\n-----END PGP SIGNATURE-----"


@dataclass
class Block:
    headers: dict[str, list[str]] = field(default_factory=dict)
    plaintext: bytes = b""  # the message text (dash-escapes removed, lines joined by LF)
    signed: bytes = b""  # what the signature covers (lines joined by CRLF)
    signature: armor.Block | None = None


def _get_line(data: bytes, pos: int) -> tuple[bytes, int]:
    i = data.find(b"\n", pos)
    if i < 0:
        return data[pos:], len(data)
    end = i
    if end > pos and data[end - 1] == 0x0D:
        end -= 1
    return data[pos:end], i + 1


def decode(data: bytes) -> Block | None:
    """clearsign.Decode: the first cleartext-signed message in `data`, or None."""
    if data.startswith(_START):
        pos = len(_START)
    else:
        i = data.find(b"\n" + _START)
        if i < 0:
            return None
        pos = i + 1 + len(_START)
    suffix, pos = _get_line(data, pos)
    if suffix:
        return None
    b = Block()
    while True:
        if pos >= len(data):
            return None
        line, pos = _get_line(data, pos)
        if not line.strip():
            break
        if any(c < 0x20 or c > 0x7E for c in line):
            return None
        i = line.find(b":")
        if i < 0:
            return None
        key = line[:i].decode().strip()
        if key != "Hash":
            return None
        for v in line[i + 1 :].decode().split(","):
            b.headers.setdefault(key, []).append(v.strip())
    signed = bytearray()
    plain = bytearray()
    first = True
    while True:
        start = pos
        line, pos = _get_line(data, pos)
        if not line and pos >= len(data):
            return None
        if line == _END_TEXT:
            pos = start
            break
        if first:
            first = False
        else:
            signed += b"\r\n"
        if line.startswith(b"- "):
            line = line[2:]
        line = line.rstrip(b" \t")
        signed += line
        plain += line + b"\n"
    b.plaintext = bytes(plain[:-1])
    b.signed = bytes(signed)
    rest = data[pos:]
    i = rest.find(_END)
    if i < 0:
        return None
    i += len(_END)
    while i < len(rest) and rest[i] in b"\r\n":
        i += 1
    try:
        b.signature, _ = armor.decode(rest[:i])
    except (EOFError, armor.OpenPGPError):
        return None
    return b


def verify(b: Block, keyring: EntityList, now: int | None = None) -> Entity:
    """openpgp.CheckDetachedSignature over the block (Hash headers are not checked)."""
    assert b.signature is not None
    return check_detached_signature(keyring, b.signed, b.signature.read(), now)


def _escape(text: bytes) -> tuple[bytes, bytes]:
    """The dash-escaped output text and the canonical bytes to hash (dashEscaper)."""
    out = bytearray()
    hashed = bytearray()
    ws = bytearray()
    at_bol = True
    first = True
    for c in text:
        if at_bol:
            if not first:
                hashed += b"\r\n"
            first = False
        if c in b" \t\r":
            ws.append(c)
            at_bol = False
            continue
        if at_bol:
            if c == 0x2D:  # '-'
                out += b"- "
                hashed.append(c)
                at_bol = False
            elif c != 0x0A:
                hashed.append(c)
                at_bol = False
            out.append(c)
        elif c == 0x0A:
            ws.clear()
            out.append(c)
            at_bol = True
        else:
            if ws:
                hashed += ws
                out += ws
                ws.clear()
            hashed.append(c)
            out.append(c)
    if at_bol and not first:
        hashed += b"\r\n"
    out += b"\n"
    return bytes(out), bytes(hashed)


def encode(
    text: bytes,
    key: PrivateKey,
    hash_id: int = alg.SHA512,
    now: int | None = None,
    random: Callable[[int], bytes] = os.urandom,
) -> str:
    """clearsign.Encode + write + Close: the whole cleartext-signed message."""
    if key.encrypted:
        raise InvalidArgumentError(f"signing key {key.key_id_string()} is encrypted")
    name = alg.HASH_NAMES.get(hash_id)
    if name is None:
        raise InvalidArgumentError(f"unknown hash type: {hash_id}")
    out, hashed = _escape(text)
    sig = sign_detached(
        key,
        hashed,
        SIG_TEXT,
        hash_id,
        now=now if now is not None else int(time.time()),
        random=random,
    )
    head = _START + b"\nHash: " + name.encode() + b"\n\n"
    return (head + out).decode("utf-8", "surrogateescape") + armor.encode(
        "PGP SIGNATURE", sig.serialize()
    )
