"""Sprig encoding: b64enc/b64dec/b32enc/b32dec with Go's decoder errors,
and the digest functions sha1sum/sha256sum/sha512sum/adler32sum."""

from __future__ import annotations

import base64

from polystack.helm.golang.types import signature

# CPython's own digests: hashlib would load OpenSSL first (milliseconds of a fresh
# `helm template` whose chart only puts a checksum/config annotation on a pod)
try:
    from _sha1 import sha1 as _sha1  # type: ignore[import-not-found]
    from _sha256 import sha256 as _sha256  # type: ignore[import-not-found]
    from _sha512 import sha512 as _sha512  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - other Pythons (3.12 has _sha2)
    from hashlib import sha1 as _sha1
    from hashlib import sha256 as _sha256
    from hashlib import sha512 as _sha512

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class CorruptInputError(ValueError):
    def __init__(self, kind: str, offset: int) -> None:
        super().__init__(f"illegal {kind} data at input byte {offset}")


def _go_decode(src: bytes, alphabet: str, quantum: int, kind: str) -> bytes:
    """encoding/base64|base32 StdEncoding.DecodeString: returns the bytes or
    raises CorruptInputError at Go's offset.  \\r and \\n are ignored."""
    amap = {ord(c): i for i, c in enumerate(alphabet)}
    bits = 6 if quantum == 4 else 5
    out = bytearray()
    si = 0
    n = len(src)
    while True:
        vals: list[int] = []
        j = 0
        while j < quantum:
            while si < n and src[si] in (10, 13):
                si += 1
            if si == n:
                if j == 0:
                    return bytes(out)
                raise CorruptInputError(kind, si - j)
            c = src[si]
            si += 1
            if c == ord("="):
                # padding: only allowed at the right places
                if quantum == 4:
                    if j < 2:
                        raise CorruptInputError(kind, si - 1)
                    if j == 2:
                        while si < n and src[si] in (10, 13):
                            si += 1
                        if si == n:
                            raise CorruptInputError(kind, n)
                        if src[si] != ord("="):
                            raise CorruptInputError(kind, si - 1)
                        si += 1
                else:
                    if j not in (2, 4, 5, 7):
                        raise CorruptInputError(kind, si - 1)
                    for _ in range(quantum - 1 - j):
                        while si < n and src[si] in (10, 13):
                            si += 1
                        if si == n or src[si] != ord("="):
                            raise CorruptInputError(kind, si if si == n else si)
                        si += 1
                while si < n and src[si] in (10, 13):
                    si += 1
                if si < n:
                    raise CorruptInputError(kind, si)
                acc = 0
                for v in vals:
                    acc = (acc << bits) | v
                acc <<= bits * (quantum - j)
                nbytes = (j * bits) // 8
                total = quantum * bits // 8
                out += acc.to_bytes(total, "big")[:nbytes]
                return bytes(out)
            digit = amap.get(c)
            if digit is None:
                raise CorruptInputError(kind, si - 1)
            vals.append(digit)
            j += 1
        acc = 0
        for v in vals:
            acc = (acc << bits) | v
        out += acc.to_bytes(quantum * bits // 8, "big")


@signature("string")
def b64enc(v: str) -> str:
    return base64.b64encode(v.encode("utf-8", "surrogatepass")).decode("ascii")


@signature("string")
def b64dec(v: str) -> str:
    try:
        data = _go_decode(v.encode("utf-8", "surrogatepass"), _B64, 4, "base64")
    except CorruptInputError as e:
        return str(e)
    return data.decode("utf-8", "replace")


@signature("string")
def b32enc(v: str) -> str:
    return base64.b32encode(v.encode("utf-8", "surrogatepass")).decode("ascii")


@signature("string")
def b32dec(v: str) -> str:
    try:
        data = _go_decode(v.encode("utf-8", "surrogatepass"), _B32, 8, "base32")
    except CorruptInputError as e:
        return str(e)
    return data.decode("utf-8", "replace")


@signature("string")
def sha1sum(s: str) -> str:
    return _sha1(s.encode("utf-8", "surrogatepass")).hexdigest()


@signature("string")
def sha256sum(s: str) -> str:
    return _sha256(s.encode("utf-8", "surrogatepass")).hexdigest()


@signature("string")
def sha512sum(s: str) -> str:
    return _sha512(s.encode("utf-8", "surrogatepass")).hexdigest()


@signature("string")
def adler32sum(s: str) -> str:
    import zlib  # adler32sum only

    return str(zlib.adler32(s.encode("utf-8", "surrogatepass")))


FUNCS = {
    "b64enc": b64enc,
    "b64dec": b64dec,
    "b32enc": b32enc,
    "b32dec": b32dec,
    "sha1sum": sha1sum,
    "sha256sum": sha256sum,
    "sha512sum": sha512sum,
    "adler32sum": adler32sum,
}
