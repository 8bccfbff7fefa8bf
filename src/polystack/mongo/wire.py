"""MongoDB's wire protocol, sans-I/O: message framing, OP_MSG, OP_QUERY/OP_REPLY, OP_COMPRESSED.

Every message starts with a 16-byte little-endian header (messageLength, requestID, responseTo,
opCode).  OP_MSG carries flag bits, one kind-0 section (the command body) and kind-1 sections
(document sequences: ``documents`` of an insert, ``updates``, ``deletes``, ``ops``), and an
optional CRC-32C checksum.  OP_QUERY is accepted only for the first ``hello``/``isMaster`` of old
drivers and shells; OP_COMPRESSED wraps either with snappy, zlib or zstd.

BSON goes through pymongo's ``bson`` C codec with :data:`CODEC_OPTIONS`, which preserve types:
int64 decodes as ``Int64``, dates outside Python's range as ``DatetimeMS``, binary subtype 3/4 as
``Binary``, so a document read back is byte-for-byte what was stored.

Document sequences are kept as raw BSON (one ``bytes`` per document) so that an insert stores
the bytes the client sent without decoding and re-encoding them.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import bson
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions, DatetimeConversion
from crc32c import crc32c

from .errors import MongoError, ProtocolViolation

CODEC_OPTIONS: CodecOptions = CodecOptions(
    document_class=dict,
    tz_aware=False,
    uuid_representation=UuidRepresentation.UNSPECIFIED,
    datetime_conversion=DatetimeConversion.DATETIME_AUTO,
    unicode_decode_error_handler="strict",
)

HEADER = struct.Struct("<iiii")
INT32 = struct.Struct("<i")
UINT32 = struct.Struct("<I")
COMPRESSED_HEADER = struct.Struct("<iiB")  # originalOpcode, uncompressedSize, compressorId
REPLY_FIXED = struct.Struct("<iqii")  # responseFlags, cursorID, startingFrom, numberReturned

OP_REPLY = 1
OP_UPDATE = 2001
OP_INSERT = 2002
OP_QUERY = 2004
OP_GET_MORE = 2005
OP_DELETE = 2006
OP_KILL_CURSORS = 2007
OP_COMPRESSED = 2012
OP_MSG = 2013

LEGACY_OPCODES = {
    OP_UPDATE: "OP_UPDATE",
    OP_INSERT: "OP_INSERT",
    OP_GET_MORE: "OP_GET_MORE",
    OP_DELETE: "OP_DELETE",
    OP_KILL_CURSORS: "OP_KILL_CURSORS",
}

CHECKSUM_PRESENT = 1
MORE_TO_COME = 1 << 1
EXHAUST_ALLOWED = 1 << 16
_SUPPORTED_FLAGS = CHECKSUM_PRESENT | MORE_TO_COME | EXHAUST_ALLOWED

MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024
# a command may exceed a user document by this much (BSONObjMaxInternalSize)
MAX_INTERNAL_BSON_SIZE = MAX_BSON_OBJECT_SIZE + 16 * 1024
MAX_MESSAGE_SIZE = 48_000_000
MAX_WRITE_BATCH_SIZE = 100_000

OP_QUERY_ALLOWED = frozenset({"hello", "isMaster", "ismaster"})
OP_QUERY_TEMPORARILY_ALLOWED = frozenset(
    {"_isSelf", "authenticate", "buildinfo", "buildInfo", "saslContinue", "saslStart"}
)
LEGACY_OPCODE_URL = "https://dochub.mongodb.org/core/legacy-opcode-removal"

# compressors by the id OP_COMPRESSED carries
NOOP, SNAPPY, ZLIB, ZSTD = 0, 1, 2, 3
COMPRESSOR_IDS = {"noop": NOOP, "snappy": SNAPPY, "zlib": ZLIB, "zstd": ZSTD}
COMPRESSOR_NAMES = {v: k for k, v in COMPRESSOR_IDS.items()}


def _snappy() -> Any:
    import snappy

    return snappy


def _zstd() -> Any:
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd
    return zstd


def available_compressors() -> list[str]:
    """The compressors this process can use, in mongod's default order."""
    out = []
    try:
        _snappy()
        out.append("snappy")
    except ImportError:
        pass
    try:
        _zstd()
        out.append("zstd")
    except ImportError:
        pass
    out.append("zlib")
    return out


def decompress(compressor_id: int, data: bytes, size: int) -> bytes:
    try:
        if compressor_id == NOOP:
            out = data
        elif compressor_id == ZLIB:
            d = zlib.decompressobj()
            out = d.decompress(data, size + 1)
        elif compressor_id == SNAPPY:
            out = _snappy().uncompress(data)
        elif compressor_id == ZSTD:
            out = _zstd().decompress(data)
        else:
            raise MongoError(2, f"Unknown compressor {compressor_id}")
    except MongoError:
        raise
    except Exception as e:
        if compressor_id == ZLIB:
            raise MongoError(147, f"zlib decompression failed: {e}") from None
        raise MongoError(2, f"Could not decompress message: {e}") from None
    if len(out) != size:
        raise MongoError(2, "Decompressing message returned less data than expected")
    return bytes(out)


def compress(compressor_id: int, data: bytes) -> bytes:
    if compressor_id == ZLIB:
        return zlib.compress(data, 6)
    if compressor_id == SNAPPY:
        return _snappy().compress(data)
    if compressor_id == ZSTD:
        return _zstd().compress(data)
    return data


# ---------------------------------------------------------------------------------------------
# framing


class MessageDecoder:
    """Splits a byte stream into messages: ``(request_id, response_to, op_code, payload)``.

    Arriving chunks are kept as they are and joined once a whole message is there (a large
    insert arrives in many chunks: joining once avoids re-growing one buffer); ``payload`` is a
    zero-copy view of the message after its header.  A length outside
    ``[16, max_message_size]`` is a broken stream (mongod closes the connection with
    "recv(): message msgLen N is invalid").
    """

    __slots__ = ("_chunks", "_have", "max_message_size")

    def __init__(self, max_message_size: int = MAX_MESSAGE_SIZE) -> None:
        self._chunks: list[bytes] = []
        self._have = 0
        self.max_message_size = max_message_size

    def feed(self, data: bytes) -> None:
        if data:
            self._chunks.append(bytes(data))
            self._have += len(data)

    @property
    def buffered(self) -> int:
        return self._have

    def next_message(self) -> tuple[int, int, int, memoryview] | None:
        if self._have < 16:
            return None
        chunks = self._chunks
        if len(chunks[0]) < 16:
            joined = b"".join(chunks)
            chunks[:] = [joined]
        length, request_id, response_to, op_code = HEADER.unpack_from(chunks[0], 0)
        if length < 16 or length > self.max_message_size:
            raise ProtocolViolation(
                f"recv(): message msgLen {length} is invalid. Min 16 Max: {self.max_message_size}"
            )
        if self._have < length:
            return None
        first = chunks[0]
        if len(first) < length:
            first = b"".join(chunks)
            chunks[:] = [first]
        if len(first) == length:
            msg = first
            chunks.pop(0)
        else:
            msg = first[:length]
            chunks[0] = first[length:]
        self._have -= length
        return request_id, response_to, op_code, memoryview(msg)[16:]


# ---------------------------------------------------------------------------------------------
# requests


@dataclass(slots=True)
class Request:
    """One decoded command request."""

    request_id: int
    op_code: int  # OP_MSG or OP_QUERY
    body: dict[str, Any]
    flags: int = 0
    # kind-1 sections: identifier -> raw BSON documents
    sequences: dict[str, list[bytes]] = field(default_factory=dict)
    compressor_id: int = -1  # the compressor the request used; replies use the same one
    full_collection_name: str = ""  # OP_QUERY only
    size: int = 0

    @property
    def more_to_come(self) -> bool:
        return bool(self.flags & MORE_TO_COME)

    @property
    def exhaust_allowed(self) -> bool:
        return bool(self.flags & EXHAUST_ALLOWED)

    @property
    def command_name(self) -> str:
        for k in self.body:
            return k
        return ""


def split_documents(data: bytes | memoryview, start: int, end: int) -> list[bytes]:
    """Cut a run of concatenated BSON documents into one ``bytes`` each (structure checked later)."""
    docs: list[bytes] = []
    pos = start
    unpack = INT32.unpack_from
    while pos < end:
        if end - pos < 5:
            raise MongoError(22, "Invalid BSON: document sequence is truncated")
        (n,) = unpack(data, pos)
        if n < 5 or pos + n > end:
            raise MongoError(22, f"Invalid BSON: document length {n} overruns its section")
        docs.append(bytes(data[pos : pos + n]))
        pos += n
    return docs


_bson_to_dict = getattr(bson, "_bson_to_dict", None) or (lambda d, o: bson.decode(d, o))


def decode_document(raw: bytes | memoryview) -> dict[str, Any]:
    try:
        return _bson_to_dict(raw, CODEC_OPTIONS)
    except Exception as e:
        raise MongoError(22, f"Invalid BSON: {e}") from None


def decode_many(raws: list[bytes]) -> list[dict[str, Any]]:
    """Decode stored documents in one call of the C codec."""
    try:
        return bson.decode_all(b"".join(raws), CODEC_OPTIONS)
    except Exception as e:
        raise MongoError(22, f"Invalid BSON: {e}") from None


def decode_all(raws: list[bytes]) -> list[dict[str, Any]]:
    """Decode many documents in one call of the C codec (validating each)."""
    try:
        docs = bson.decode_all(b"".join(raws), CODEC_OPTIONS)
    except Exception as e:
        raise MongoError(22, f"Invalid BSON: {e}") from None
    if len(docs) != len(raws):
        raise MongoError(22, "Invalid BSON: document sequence does not split into documents")
    return docs


def _read_cstring(data: Any, pos: int, end: int) -> tuple[str, int]:
    if type(data) is memoryview:
        # identifiers are short: look in a small window first, not the whole section
        found = bytes(data[pos : min(end, pos + 1024)]).find(b"\x00")
        if found < 0 and end > pos + 1024:
            found = bytes(data[pos:end]).find(b"\x00")
        nul = found + pos if found >= 0 else -1
    else:
        nul = data.find(b"\x00", pos, end)
    if nul < 0:
        raise MongoError(22, "Invalid BSON: unterminated C string")
    try:
        return bytes(data[pos:nul]).decode("utf-8"), nul + 1
    except UnicodeDecodeError:
        raise MongoError(22, "Invalid BSON: string is not valid UTF-8") from None


def parse_op_msg(request_id: int, payload: bytes | memoryview, response_to: int = 0) -> Request:
    """Decode an OP_MSG payload (after the header).

    Raises :class:`ProtocolViolation` for errors after which mongod closes the connection
    (illegal flags, too many document sequences, checksum mismatch) and :class:`MongoError` for
    the ones it answers.
    """
    if len(payload) < 4:
        raise ProtocolViolation("OP_MSG is too short")
    (flags,) = UINT32.unpack_from(payload, 0)
    if flags & ~_SUPPORTED_FLAGS & 0xFFFF:
        raise ProtocolViolation(f"Message contains illegal flags value: Ob{flags:032b}")
    end = len(payload)
    if flags & CHECKSUM_PRESENT:
        if end < 9:
            raise ProtocolViolation("OP_MSG is too short for its checksum")
        end -= 4
        (expected,) = UINT32.unpack_from(payload, end)
        header = HEADER.pack(len(payload) + 16, request_id, response_to, OP_MSG)
        if crc32c(bytes(payload[:end]), crc32c(header)) != expected:
            raise ProtocolViolation("OP_MSG checksum does not match contents")
    pos = 4
    body: dict[str, Any] | None = None
    sequences: dict[str, list[bytes]] = {}
    while pos < end:
        kind = payload[pos]
        pos += 1
        if kind == 0:
            if body is not None:
                raise MongoError(40430, "Multiple body sections in message")
            if end - pos < 5:
                raise MongoError(22, "Invalid BSON: body is truncated")
            (n,) = INT32.unpack_from(payload, pos)
            if n > MAX_INTERNAL_BSON_SIZE:
                raise MongoError(
                    10334,
                    f"BSONObj size: {n} (0x{n:X}) is invalid. Size must be between 0 and "
                    f"{MAX_INTERNAL_BSON_SIZE}(16MB)",
                )
            if n < 5 or pos + n > end:
                raise MongoError(22, f"Invalid BSON: body length {n} overruns the message")
            body = decode_document(payload[pos : pos + n])
            pos += n
        elif kind == 1:
            if len(sequences) >= 2:
                raise ProtocolViolation("Too many document sequences in OP_MSG")
            if end - pos < 4:
                raise MongoError(22, "Invalid BSON: document sequence is truncated")
            (n,) = INT32.unpack_from(payload, pos)
            if n < 5 or pos + n > end:
                raise MongoError(40432, f"Document sequence length {n} overruns the message")
            name, dpos = _read_cstring(payload, pos + 4, pos + n)
            if name in sequences:
                raise MongoError(40431, f"Duplicate document sequence: {name}")
            sequences[name] = split_documents(payload, dpos, pos + n)
            pos += n
        else:
            raise MongoError(40432, f"Unknown section kind {kind}")
    if body is None:
        raise MongoError(40587, "OP_MSG messages must have a body")
    for name in sequences:
        if name.split(".", 1)[0] in body:
            raise MongoError(40433, f"Duplicate field between body and document sequence {name}")
    return Request(request_id, OP_MSG, body, flags, sequences, size=len(payload) + 16)


def parse_op_query(request_id: int, payload: bytes | memoryview) -> Request:
    """Decode an OP_QUERY (flags, fullCollectionName, skip, nToReturn, query[, fields])."""
    if len(payload) < 4 + 1 + 8 + 5:
        raise ProtocolViolation("OP_QUERY is too short")
    (flags,) = INT32.unpack_from(payload, 0)
    ns, pos = _read_cstring(payload, 4, len(payload))
    pos += 8  # numberToSkip, numberToReturn
    if len(payload) - pos < 5:
        raise ProtocolViolation("OP_QUERY is too short")
    (n,) = INT32.unpack_from(payload, pos)
    if n < 5 or pos + n > len(payload):
        raise MongoError(22, f"Invalid BSON: query length {n} overruns the message")
    query = decode_document(payload[pos : pos + n])
    # drivers wrap the command as {$query: {...}, $readPreference: ...}
    if "$query" in query and isinstance(query["$query"], dict):
        inner = dict(query["$query"])
        for k, v in query.items():
            if k != "$query" and k not in inner:
                inner[k] = v
        query = inner
    return Request(
        request_id, OP_QUERY, query, flags, full_collection_name=ns, size=len(payload) + 16
    )


def parse_message(
    request_id: int,
    op_code: int,
    payload: bytes | memoryview,
    response_to: int = 0,
    max_message_size: int = MAX_MESSAGE_SIZE,
) -> Request:
    """Decode one message; OP_COMPRESSED is unwrapped and remembered on the request."""
    compressor = -1
    if op_code == OP_COMPRESSED:
        payload = bytes(payload)
        if len(payload) < COMPRESSED_HEADER.size:
            raise ProtocolViolation("OP_COMPRESSED is too short")
        op_code, size, compressor = COMPRESSED_HEADER.unpack_from(payload, 0)
        if size < 0 or size + 16 > max_message_size:
            raise ProtocolViolation(
                f"Decompressed message would be {size + 16} bytes, more than the maximum "
                f"message size {max_message_size}"
            )
        if op_code == OP_COMPRESSED:
            raise ProtocolViolation("OP_COMPRESSED cannot wrap OP_COMPRESSED")
        payload = decompress(compressor, payload[COMPRESSED_HEADER.size :], size)
    if op_code == OP_MSG:
        req = parse_op_msg(request_id, payload, response_to)
    elif op_code == OP_QUERY:
        req = parse_op_query(request_id, payload)
    else:
        raise ProtocolViolation(f"unsupported opCode {op_code}")
    req.compressor_id = compressor
    return req


# ---------------------------------------------------------------------------------------------
# replies


def encode_document(doc: dict[str, Any]) -> bytes:
    return bson.encode(doc, False, CODEC_OPTIONS)


def op_msg(response_to: int, body: bytes, request_id: int = 0, flags: int = 0) -> bytes:
    """An OP_MSG whose single section is ``body`` (already encoded BSON)."""
    return HEADER.pack(21 + len(body), request_id, response_to, OP_MSG) + (
        UINT32.pack(flags) + b"\x00" + body
    )


def op_reply(
    response_to: int,
    docs: list[bytes],
    request_id: int = 0,
    flags: int = 0,
    cursor_id: int = 0,
) -> bytes:
    """An OP_REPLY (answer to OP_QUERY); flag 2 is QueryFailure."""
    payload = REPLY_FIXED.pack(flags, cursor_id, 0, len(docs)) + b"".join(docs)
    return HEADER.pack(16 + len(payload), request_id, response_to, OP_REPLY) + payload


def compressed(message: bytes, compressor_id: int) -> bytes:
    """Wrap a complete message in OP_COMPRESSED."""
    length, request_id, response_to, op_code = HEADER.unpack_from(message, 0)
    data = compress(compressor_id, message[16:])
    payload = COMPRESSED_HEADER.pack(op_code, length - 16, compressor_id) + data
    return HEADER.pack(16 + len(payload), request_id, response_to, OP_COMPRESSED) + payload


# -- hand-built BSON for cursor replies: raw stored documents are spliced in unchanged ----------

_INDEX_KEYS = [str(i).encode() + b"\x00" for i in range(1024)]


def _key(i: int) -> bytes:
    return _INDEX_KEYS[i] if i < 1024 else str(i).encode() + b"\x00"


def raw_array(docs: list[bytes]) -> bytes:
    """The BSON array value (length-prefixed) holding ``docs`` (each a complete document)."""
    parts = [b"\x03" + _key(i) + d for i, d in enumerate(docs)]
    inner = b"".join(parts)
    return INT32.pack(len(inner) + 5) + inner + b"\x00"


def cstring(s: str) -> bytes:
    b = s.encode()
    if b"\x00" in b:
        raise MongoError(2, "string contains a NUL byte")
    return b + b"\x00"


def bson_string(s: str) -> bytes:
    b = s.encode()
    return INT32.pack(len(b) + 1) + b + b"\x00"


def cursor_reply(
    batch: list[bytes],
    cursor_id: int,
    ns: str,
    first: bool = True,
    extra: bytes = b"",
) -> bytes:
    """``{cursor: {firstBatch|nextBatch: [...], id, ns}, ok: 1.0}`` with ``batch`` spliced in raw.

    ``extra`` is already-encoded elements appended to the cursor sub-document
    (``postBatchResumeToken``, ``atClusterTime``).
    """
    arr = raw_array(batch)
    cursor = (
        (b"\x04firstBatch\x00" if first else b"\x04nextBatch\x00")
        + arr
        + b"\x12id\x00"
        + struct.pack("<q", cursor_id)
        + b"\x02ns\x00"
        + bson_string(ns)
        + extra
    )
    cursor_doc = INT32.pack(len(cursor) + 5) + cursor + b"\x00"
    body = b"\x03cursor\x00" + cursor_doc + b"\x01ok\x00" + struct.pack("<d", 1.0)
    return INT32.pack(len(body) + 5) + body + b"\x00"


def append_fields(doc: bytes, fields: dict[str, Any]) -> bytes:
    """``doc`` (encoded BSON) with ``fields`` appended (used to add $clusterTime/operationTime)."""
    if not fields:
        return doc
    tail = encode_document(fields)
    inner = doc[4:-1] + tail[4:-1]
    return INT32.pack(len(inner) + 5) + inner + b"\x00"
