"""Redis's RDB object encoding as DUMP and RESTORE use it (rdb.c, lzf_c.c, crc64.c, cluster.c).

A DUMP payload is ``<type byte><object><RDB version, 2 bytes LE><CRC64 Jones, 8 bytes LE>``
where the CRC covers everything before it.  Strings are written as Redis 7.0 writes them
with ``rdbcompression yes``: up to 11 bytes that read back as a canonical 64-bit integer
fitting 32 bits become an 8/16/32-bit integer encoding; strings over 20 bytes become LZF
when that saves at least 4 bytes (the same LZF byte stream Redis's ``lzf_compress``
produces: HLOG 16, VERY_FAST); anything else is a length-prefixed raw string.

Other value types plug in with :func:`register_type` (their RDB type byte, a writer and
a reader built on :func:`save_len`, :func:`save_string` and :class:`Reader`).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from polystack.redis.store import EncodingLimits

RDB_VERSION = 10

RDB_TYPE_STRING = 0
RDB_TYPE_LIST = 1
RDB_TYPE_SET = 2
RDB_TYPE_ZSET = 3
RDB_TYPE_HASH = 4
RDB_TYPE_ZSET_2 = 5
RDB_TYPE_MODULE_2 = 7
RDB_TYPE_HASH_ZIPMAP = 9
RDB_TYPE_LIST_ZIPLIST = 10
RDB_TYPE_SET_INTSET = 11
RDB_TYPE_ZSET_ZIPLIST = 12
RDB_TYPE_HASH_ZIPLIST = 13
RDB_TYPE_LIST_QUICKLIST = 14
RDB_TYPE_STREAM_LISTPACKS = 15
RDB_TYPE_HASH_LISTPACK = 16
RDB_TYPE_ZSET_LISTPACK = 17
RDB_TYPE_LIST_QUICKLIST_2 = 18
RDB_TYPE_STREAM_LISTPACKS_2 = 19

_ENC_INT8, _ENC_INT16, _ENC_INT32, _ENC_LZF = 0, 1, 2, 3


class RDBError(ValueError):
    """The payload is not a well-formed RDB object (RESTORE answers "Bad data format")."""


# -- CRC64 (Jones polynomial, reflected, as Redis's crc64.c) --------------------------
_POLY = 0x95AC9329AC4BC9B5  # 0xad93d23594c935a9 bit-reflected
_POLY_FULL = 0x1AD93D23594C935A9  # the same polynomial with its x^64 term, as crcmod wants it


def _make_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _make_table()


def _crc64_python(data: bytes, crc: int = 0) -> int:
    table = _CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


try:  # crcmod's C extension: the same CRC (Jones polynomial, reflected, no final xor)
    import crcmod as _crcmod

    crc64: Callable[..., int] = _crcmod.mkCrcFun(_POLY_FULL, initCrc=0, rev=True, xorOut=0)
except ImportError:  # pragma: no cover - pure Python
    crc64 = _crc64_python


# -- LZF ---------------------------------------------------------------------
_HSIZE_MASK = (1 << 16) - 1
_MAX_LIT = 1 << 5
_MAX_OFF = 1 << 13
_MAX_REF = (1 << 8) + (1 << 3)


def lzf_compress(data: bytes, out_len: int) -> bytes | None:
    """liblzf 3.6's ``lzf_compress`` as built into Redis 7.0; None when the output would not fit
    in ``out_len`` bytes."""
    in_len = len(data)
    if not in_len or not out_len:
        return None
    htab: dict[int, int] = {}
    out = bytearray(out_len + 64)
    op = 1  # out[0] holds the first literal run's length
    lit = 0
    ip = 0
    hval = (data[0] << 8) | data[1]
    end2 = in_len - 2
    while ip < end2:
        hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
        slot = ((hval >> 8) - hval * 5) & _HSIZE_MASK
        ref = htab.get(slot, -1)
        htab[slot] = ip
        off = ip - ref - 1
        if (
            ref > 0
            and off < _MAX_OFF
            and data[ref + 2] == data[ip + 2]
            and data[ref] == data[ip]
            and data[ref + 1] == data[ip + 1]
        ):
            length = 2
            maxlen = min(in_len - ip - length, _MAX_REF)
            if op + 3 + 1 >= out_len and op - (not lit) + 3 + 1 >= out_len:
                return None
            out[op - lit - 1] = (lit - 1) & 0xFF  # stop run
            if not lit:
                op -= 1  # undo an empty run
            if maxlen > 16:
                unrolled_miss = False
                for _ in range(16):
                    length += 1
                    if data[ref + length] != data[ip + length]:
                        unrolled_miss = True
                        break
                if not unrolled_miss:
                    length += 1
                    while length < maxlen and data[ref + length] == data[ip + length]:
                        length += 1
            else:
                length += 1
                while length < maxlen and data[ref + length] == data[ip + length]:
                    length += 1
            length -= 2
            ip += 1
            if length < 7:
                out[op] = ((off >> 8) + (length << 5)) & 0xFF
                op += 1
            else:
                out[op] = ((off >> 8) + (7 << 5)) & 0xFF
                out[op + 1] = (length - 7) & 0xFF
                op += 2
            out[op] = off & 0xFF
            op += 2  # and start a new run
            lit = 0
            ip += length + 1
            if ip >= end2:
                break
            ip -= 2
            hval = (data[ip] << 8) | data[ip + 1]
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            htab[((hval >> 8) - hval * 5) & _HSIZE_MASK] = ip
            ip += 1
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            htab[((hval >> 8) - hval * 5) & _HSIZE_MASK] = ip
            ip += 1
        else:
            if op >= out_len:
                return None
            lit += 1
            out[op] = data[ip]
            op += 1
            ip += 1
            if lit == _MAX_LIT:
                out[op - lit - 1] = lit - 1
                lit = 0
                op += 1
    if op + 3 > out_len:
        return None
    while ip < in_len:
        lit += 1
        out[op] = data[ip]
        op += 1
        ip += 1
        if lit == _MAX_LIT:
            out[op - lit - 1] = lit - 1
            lit = 0
            op += 1
    out[op - lit - 1] = (lit - 1) & 0xFF
    if not lit:
        op -= 1
    return bytes(out[:op])


def lzf_decompress(data: bytes, out_len: int) -> bytes:
    """liblzf's ``lzf_decompress``; raises :class:`RDBError` on a malformed stream."""
    out = bytearray()
    ip = 0
    n = len(data)
    while ip < n:
        ctrl = data[ip]
        ip += 1
        if ctrl < 32:
            ctrl += 1
            if len(out) + ctrl > out_len or ip + ctrl > n:
                raise RDBError("Invalid LZF compressed string")
            out += data[ip : ip + ctrl]
            ip += ctrl
        else:
            length = ctrl >> 5
            ref = len(out) - ((ctrl & 0x1F) << 8) - 1
            if length == 7:
                if ip >= n:
                    raise RDBError("Invalid LZF compressed string")
                length += data[ip]
                ip += 1
            if ip >= n:
                raise RDBError("Invalid LZF compressed string")
            ref -= data[ip]
            ip += 1
            length += 2
            if len(out) + length > out_len or ref < 0:
                raise RDBError("Invalid LZF compressed string")
            for _ in range(length):
                out.append(out[ref])
                ref += 1
    return bytes(out)


# -- writing ---------------------------------------------------------------------------
def save_len(n: int) -> bytes:
    if n < 64:
        return bytes((n,))
    if n < 16384:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + n.to_bytes(4, "big")
    return b"\x81" + n.to_bytes(8, "big")


def _canonical_int(s: bytes) -> int | None:
    """string2ll that round-trips through ll2string (rdbTryIntegerEncoding's test)."""
    if not s or len(s) > 20:
        return None
    body = s[1:] if s[0] == 0x2D else s
    if not body or not body.isdigit() or (body[0] == 0x30 and (len(body) > 1 or s[0] == 0x2D)):
        return None
    v = int(s)
    if not -(1 << 63) <= v < (1 << 63):
        return None
    return v


def _encode_int(v: int) -> bytes | None:
    if -(1 << 7) <= v < (1 << 7):
        return bytes((0xC0 | _ENC_INT8,)) + v.to_bytes(1, "little", signed=True)
    if -(1 << 15) <= v < (1 << 15):
        return bytes((0xC0 | _ENC_INT16,)) + v.to_bytes(2, "little", signed=True)
    if -(1 << 31) <= v < (1 << 31):
        return bytes((0xC0 | _ENC_INT32,)) + v.to_bytes(4, "little", signed=True)
    return None


def save_string(s: bytes, compress: bool = True) -> bytes:
    """rdbSaveRawString."""
    n = len(s)
    if n <= 11:
        v = _canonical_int(s)
        if v is not None:
            enc = _encode_int(v)
            if enc is not None:
                return enc
    if compress and n > 20:
        packed = lzf_compress(s, n - 4)
        if packed is not None:
            return b"\xc3" + save_len(len(packed)) + save_len(n) + packed
    return save_len(n) + s


def save_double(value: float) -> bytes:
    """rdbSaveBinaryDoubleValue: the IEEE 754 double, little endian."""
    return struct.pack("<d", value)


def save_millis(ms: int) -> bytes:
    """rdbSaveMillisecondTime: 8 bytes little endian."""
    return (ms & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")


# type -> (rdb type byte or a function of the value giving it, writer of the object body)
WRITERS: dict[type, tuple[int | Callable[[Any], int], Callable[..., bytes]]] = {
    bytes: (RDB_TYPE_STRING, save_string),
}
# rdb type byte -> reader of the object body: fn(reader, encoding limits) -> value
READERS: dict[int, Callable[[Reader, EncodingLimits], Any]] = {}


def register_type(
    cls: type,
    rdb_type: int | Callable[[Any], int],
    write: Callable[..., bytes],
    read: Callable[[Reader, EncodingLimits], Any] | dict[int, Callable[..., Any]],
) -> None:
    """Let DUMP/RESTORE (and RDB files) handle values of ``cls``.

    ``rdb_type`` is the RDB type byte, or a function of the value choosing it by encoding;
    ``write(value, compress=True)`` returns the object body; ``read`` reads a body of that
    type byte (or is a dict from each type byte it accepts to its reader), given the
    keyspace's encoding limits (loading picks encodings as rdbLoadObject does)."""
    WRITERS[cls] = (rdb_type, write)
    if callable(read):
        assert isinstance(rdb_type, int)
        READERS[rdb_type] = read
    else:
        READERS.update(read)


def object_type(value: Any) -> int:
    """rdbSaveObjectType's type byte for ``value``."""
    entry = WRITERS.get(type(value))
    if entry is None:
        raise TypeError(f"no RDB encoding for {type(value).__name__}")
    t = entry[0]
    return t if isinstance(t, int) else t(value)


def write_object(value: Any, compress: bool = True) -> bytes:
    """rdbSaveObject: the object body (LZF compression as ``rdbcompression yes``)."""
    entry = WRITERS.get(type(value))
    if entry is None:
        raise TypeError(f"no RDB encoding for {type(value).__name__}")
    return entry[1](value, compress)


def dump_payload(value: Any) -> bytes:
    """createDumpPayload: the serialized value, RDB version and CRC64."""
    body = bytes((object_type(value),)) + write_object(value) + RDB_VERSION.to_bytes(2, "little")
    return body + crc64(body).to_bytes(8, "little")


# -- reading ---------------------------------------------------------------------------
class Reader:
    """A cursor over an RDB byte string (rioInitWithBuffer)."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def read(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise RDBError("short read")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def byte(self) -> int:
        return self.read(1)[0]

    def load_len(self) -> tuple[int, bool]:
        """rdbLoadLenByRef: (length or encoding type, is_encoded)."""
        first = self.byte()
        kind = first >> 6
        if kind == 3:
            return first & 0x3F, True
        if kind == 0:
            return first & 0x3F, False
        if kind == 1:
            return ((first & 0x3F) << 8) | self.byte(), False
        if first == 0x80:
            return int.from_bytes(self.read(4), "big"), False
        if first == 0x81:
            return int.from_bytes(self.read(8), "big"), False
        raise RDBError("Unknown length encoding in rdbLoadLen()")

    def load_plain_len(self) -> int:
        """rdbLoadLen where an encoded (special) length is corruption."""
        n, encoded = self.load_len()
        if encoded:
            raise RDBError("unexpected encoded length")
        return n

    def load_double(self) -> float:
        """rdbLoadBinaryDoubleValue."""
        return struct.unpack("<d", self.read(8))[0]

    def load_millis(self) -> int:
        return int.from_bytes(self.read(8), "little", signed=True)

    def load_old_double(self) -> float:
        """rdbLoadDoubleValue (RDB_TYPE_ZSET): a length byte and the %.17g text; 253 nan,
        254 +inf, 255 -inf."""
        n = self.byte()
        if n == 253:
            return float("nan")
        if n == 254:
            return float("inf")
        if n == 255:
            return float("-inf")
        try:
            return float(self.read(n))
        except ValueError:
            raise RDBError("bad double") from None

    def load_string(self) -> bytes:
        """rdbGenericLoadStringObject."""
        n, encoded = self.load_len()
        if encoded:
            if n == _ENC_INT8:
                return b"%d" % int.from_bytes(self.read(1), "little", signed=True)
            if n == _ENC_INT16:
                return b"%d" % int.from_bytes(self.read(2), "little", signed=True)
            if n == _ENC_INT32:
                return b"%d" % int.from_bytes(self.read(4), "little", signed=True)
            if n == _ENC_LZF:
                clen, _ = self.load_len()
                length, _ = self.load_len()
                raw = lzf_decompress(self.read(clen), length)
                if len(raw) != length:
                    raise RDBError("Invalid LZF compressed string")
                return raw
            raise RDBError("Unknown RDB string encoding type")
        return self.read(n)


READERS[RDB_TYPE_STRING] = lambda reader, limits: reader.load_string()


def verify_payload(payload: bytes) -> bool:
    """verifyDumpPayload: a known RDB version and a matching CRC64."""
    if len(payload) < 10:
        return False
    version = payload[-10] | (payload[-9] << 8)
    if version > RDB_VERSION:
        return False
    return crc64(payload[:-8]).to_bytes(8, "little") == payload[-8:]


def load_payload(payload: bytes, limits: EncodingLimits | None = None) -> Any:
    """The value a (verified) DUMP payload holds; :class:`RDBError` when it is malformed."""
    reader = Reader(payload)
    read = READERS.get(reader.byte())
    if read is None:
        raise RDBError("unknown RDB type")
    return read(reader, limits or EncodingLimits())
