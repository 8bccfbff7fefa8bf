"""OpenPGP ASCII armor (RFC 4880 section 6): `-----BEGIN TYPE-----`, optional
`Key: value` headers, base64 body and the optional CRC-24 checksum line.

Decoding follows go-crypto's armor package: leading garbage is skipped, the
checksum line ends the body but is not checked (RFC 9580 dropped it), lines
over 96 characters are corrupt. Encoding writes 64-character lines and, as
go-crypto's clearsign does, no checksum unless asked for."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from polystack.helm.remote.openpgp.errors import OpenPGPError, StructuralError

_CRC24_INIT = 0xB704CE
_CRC24_POLY = 0x1864CFB


def crc24(data: bytes) -> int:
    crc = _CRC24_INIT
    for b in data:
        crc ^= b << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= _CRC24_POLY
    return crc & 0xFFFFFF


@dataclass
class Block:
    type: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: OpenPGPError | None = None  # bad base64: Go reports it when the body is read

    def read(self) -> bytes:
        if self.error is not None:
            raise self.error
        return self.body


class Base64Error(OpenPGPError):
    """encoding/base64.CorruptInputError."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"illegal base64 data at input byte {offset}")


ARMOR_CORRUPT = "armor invalid"


def _lines(data: bytes, pos: int) -> tuple[bytes, int] | None:
    """One line without its `\\n` / `\\r\\n`, and the position after it."""
    if pos >= len(data):
        return None
    end = data.find(b"\n", pos)
    if end < 0:
        line, nxt = data[pos:], len(data)
    else:
        line, nxt = data[pos:end], end + 1
    if line.endswith(b"\r"):
        line = line[:-1]
    return line, nxt


def decode(data: bytes, pos: int = 0) -> tuple[Block, int]:
    """The first armored block at or after `pos` and the position after it.

    Raises EOFError when there is no block (Go's io.EOF)."""
    while True:
        # skip leading garbage up to a BEGIN line
        while True:
            got = _lines(data, pos)
            if got is None:
                raise EOFError
            line, pos = got
            line = line.strip()
            if len(line) > len(b"-----BEGIN ") + 5 and line.startswith(b"-----BEGIN "):
                break
        block = Block(line[11:-5].decode("utf-8", "replace"))
        retry = False
        while True:
            got = _lines(data, pos)
            if got is None:
                raise EOFError
            line, pos = got
            line = line.strip()
            if not line:
                break
            i = line.find(b":")
            if i < 0:
                retry = True
                break
            block.headers[line[:i].decode("utf-8", "replace")] = line[i + 2 :].decode(
                "utf-8", "replace"
            )
        if retry:
            continue
        body: list[bytes] = []
        while True:
            got = _lines(data, pos)
            if got is None:
                break
            line, pos = got
            if line.startswith(b"-----END "):
                break
            if len(line) == 5 and line[:1] == b"=":
                # the checksum line ends the body; like go-crypto, it is not checked
                nxt = _lines(data, pos)
                if nxt is not None and nxt[0].startswith(b"-----END "):
                    pos = nxt[1]
                break
            if len(line) > 96:
                raise StructuralError(ARMOR_CORRUPT)
            body.append(line)
        try:
            block.body = _b64decode(b"".join(body))
        except Base64Error as e:
            block.error = e
        return block, pos


def _b64decode(text: bytes) -> bytes:
    for i, c in enumerate(text):
        if not (chr(c).isalnum() and c < 128 or c in b"+/="):
            raise Base64Error(i)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Base64Error(max(0, len(text) - len(text) % 4 - 4)) from None


def encode(
    block_type: str, body: bytes, headers: dict[str, str] | None = None, checksum: bool = False
) -> str:
    """Armor `body`; the result has no newline after the END line (as go-crypto)."""
    out = [f"-----BEGIN {block_type}-----\n"]
    for k, v in (headers or {}).items():
        out.append(f"{k}: {v}\n")
    out.append("\n")
    text = base64.b64encode(body).decode()
    for i in range(0, len(text), 64):
        out.append(text[i : i + 64] + "\n")
    if checksum:
        out.append("=" + base64.b64encode(crc24(body).to_bytes(3, "big")).decode() + "\n")
    out.append(f"-----END {block_type}-----")
    return "".join(out)


def is_armored(data: bytes) -> bool:
    return data.lstrip().startswith(b"-----BEGIN PGP")
