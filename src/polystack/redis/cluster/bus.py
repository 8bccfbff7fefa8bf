"""The cluster bus codec (sans-I/O): Redis 7.0's ``clusterMsg`` (cluster.h) — the 2256-byte
``RCmb`` header, then per type: gossip entries and ping extensions (PING/PONG/MEET), the
failing node's name (FAIL), channel and message (PUBLISH/PUBLISHSHARD), a slot map (UPDATE),
a module payload (MODULE).  All integers are big-endian (network order).

:class:`BusReader` cuts a byte stream into messages, checking each as
``clusterIsValidPacket`` does; a malformed message raises :class:`BusError` (the link that sent
it is closed).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

CLUSTER_SLOTS = 16384
NAMELEN = 40
NET_IP_STR_LEN = 46
SLOTS_BYTES = CLUSTER_SLOTS // 8
PROTO_VER = 1
SIG = b"RCmb"
NULL_NAME = b"\x00" * NAMELEN

# Message types
PING = 0
PONG = 1
MEET = 2
FAIL = 3
PUBLISH = 4
FAILOVER_AUTH_REQUEST = 5
FAILOVER_AUTH_ACK = 6
UPDATE = 7
MFSTART = 8
MODULE = 9
PUBLISHSHARD = 10
TYPE_COUNT = 11
TYPE_NAMES = (
    "ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart",
    "module", "publishshard",
)  # fmt: skip

# Node flags (clusterNode.flags)
NODE_MASTER = 1
NODE_SLAVE = 2
NODE_PFAIL = 4
NODE_FAIL = 8
NODE_MYSELF = 16
NODE_HANDSHAKE = 32
NODE_NOADDR = 64
NODE_MEET = 128
NODE_MIGRATE_TO = 256
NODE_NOFAILOVER = 512

# mflags[0]
FLAG0_PAUSED = 1
FLAG0_FORCEACK = 2
FLAG0_EXT_DATA = 4

# Ping extension types (7.0 sends the hostname; later versions add the others)
EXT_HOSTNAME = 0
EXT_HUMAN_NODENAME = 1
EXT_FORGOTTEN_NODE = 2
EXT_SHARDID = 3

CLUSTER_OK = 0
CLUSTER_FAIL = 1

_HEADER = struct.Struct(">4sIHHHHQQQ40s2048s40s46sH30sHHHB3s")
HEADER_LEN = _HEADER.size  # CLUSTERMSG_MIN_LEN: 2256
_GOSSIP = struct.Struct(">40sII46sHHHHH")
GOSSIP_LEN = _GOSSIP.size  # 104
_EXT = struct.Struct(">IHH")
_UPDATE = struct.Struct(">Q40s2048s")
_PUBLISH = struct.Struct(">II")
_MODULE = struct.Struct(">QIB")

assert HEADER_LEN == 2256 and GOSSIP_LEN == 104


class BusError(Exception):
    """A malformed cluster bus message: the link is closed (and the reason logged)."""


@dataclass(slots=True)
class Gossip:
    name: str
    ping_sent: int  # seconds
    pong_received: int  # seconds
    ip: str
    port: int
    cport: int
    flags: int
    pport: int = 0


@dataclass(slots=True)
class Message:
    type: int
    sender: str
    current_epoch: int = 0
    config_epoch: int = 0
    offset: int = 0
    port: int = 0
    cport: int = 0
    pport: int = 0
    flags: int = 0
    state: int = CLUSTER_OK
    mflags: int = 0
    myslots: bytes = bytes(SLOTS_BYTES)
    slaveof: str | None = None
    myip: str = ""
    count: int = 0
    ver: int = PROTO_VER
    gossip: list[Gossip] = field(default_factory=list)
    # ping extensions
    hostname: str | None = None
    human_nodename: str | None = None
    forgotten: list[tuple[str, int]] = field(default_factory=list)  # (name, ttl seconds)
    shard_id: str | None = None
    unknown_exts: list[tuple[int, bytes]] = field(default_factory=list)
    # FAIL
    about: str = ""
    # PUBLISH / PUBLISHSHARD
    channel: bytes = b""
    message: bytes = b""
    # UPDATE
    update_epoch: int = 0
    update_name: str = ""
    update_slots: bytes = b""
    # MODULE
    module_id: int = 0
    module_type: int = 0
    module_payload: bytes = b""


def _name(raw: bytes) -> str:
    return raw.decode("latin-1")


def _cstr(raw: bytes) -> str:
    end = raw.find(b"\x00")
    return (raw if end < 0 else raw[:end]).decode("latin-1")


def _pad8(n: int) -> int:
    return (n + 7) // 8 * 8


# -- encoding -------------------------------------------------------------------------------
def _ext(ext_type: int, body: bytes) -> bytes:
    length = _pad8(_EXT.size + len(body))
    return _EXT.pack(length, ext_type, 0) + body + bytes(length - _EXT.size - len(body))


def encode(m: Message) -> bytes:
    """The bytes of ``m`` (``count`` and ``totlen`` computed from its contents)."""
    t = m.type
    body: list[bytes] = []
    count = m.count
    extensions = 0
    mflags = m.mflags
    if t in (PING, PONG, MEET):
        count = len(m.gossip)
        for g in m.gossip:
            body.append(
                _GOSSIP.pack(
                    g.name.encode("latin-1"),
                    g.ping_sent & 0xFFFFFFFF,
                    g.pong_received & 0xFFFFFFFF,
                    g.ip.encode("latin-1")[: NET_IP_STR_LEN - 1],
                    g.port,
                    g.cport,
                    g.flags & 0xFFFF,
                    g.pport,
                    0,
                )
            )
        exts: list[bytes] = []
        if m.hostname:
            exts.append(_ext(EXT_HOSTNAME, m.hostname.encode("latin-1") + b"\x00"))
        if m.human_nodename:
            exts.append(_ext(EXT_HUMAN_NODENAME, m.human_nodename.encode("latin-1") + b"\x00"))
        for name, ttl in m.forgotten:
            exts.append(_ext(EXT_FORGOTTEN_NODE, name.encode("latin-1") + struct.pack(">Q", ttl)))
        if m.shard_id:
            exts.append(_ext(EXT_SHARDID, m.shard_id.encode("latin-1")))
        for ext_type, raw in m.unknown_exts:
            exts.append(_ext(ext_type, raw))
        if exts:
            mflags |= FLAG0_EXT_DATA
            extensions = len(exts)
            body += exts
        else:
            mflags &= ~FLAG0_EXT_DATA
    elif t == FAIL:
        body.append(m.about.encode("latin-1"))
    elif t in (PUBLISH, PUBLISHSHARD):
        body.append(_PUBLISH.pack(len(m.channel), len(m.message)))
        body.append(m.channel)
        body.append(m.message)
        # sizeof(clusterMsgDataPublish) keeps an 8-byte placeholder: short bodies are padded
        short = 8 - len(m.channel) - len(m.message)
        if short > 0:
            body.append(bytes(short))
    elif t == UPDATE:
        body.append(_UPDATE.pack(m.update_epoch, m.update_name.encode("latin-1"), m.update_slots))
    elif t == MODULE:
        body.append(_MODULE.pack(m.module_id, len(m.module_payload), m.module_type))
        body.append(m.module_payload)
    data = b"".join(body)
    if t in (PUBLISH, PUBLISHSHARD):
        totlen = HEADER_LEN + _PUBLISH.size + len(m.channel) + len(m.message)
        data = data[: totlen - HEADER_LEN]
    else:
        totlen = HEADER_LEN + len(data)
    header = _HEADER.pack(
        SIG,
        totlen,
        m.ver,
        m.port,
        t,
        count,
        m.current_epoch,
        m.config_epoch,
        m.offset,
        m.sender.encode("latin-1"),
        m.myslots,
        m.slaveof.encode("latin-1") if m.slaveof else NULL_NAME,
        m.myip.encode("latin-1")[: NET_IP_STR_LEN - 1],
        extensions,
        b"",
        m.pport,
        m.cport,
        m.flags & 0xFFFF,
        m.state,
        bytes((mflags & 0xFF, 0, 0)),
    )
    return header + data


# -- decoding -------------------------------------------------------------------------------
def expected_length(buf: bytes | bytearray | memoryview, totlen: int) -> int:
    """clusterIsValidPacket: the length the header's type and counts call for."""
    t, count = struct.unpack_from(">HH", buf, 12)
    if t in (PING, PONG, MEET):
        explen = HEADER_LEN + GOSSIP_LEN * count
        if buf[2253] & FLAG0_EXT_DATA:
            (extensions,) = struct.unpack_from(">H", buf, 2214)
            pos = explen
            for _ in range(extensions):
                if pos + _EXT.size > totlen:
                    raise BusError(
                        f"Received invalid {TYPE_NAMES[t]} packet with extension data that "
                        f"exceeds total packet length ({totlen})"
                    )
                (extlen,) = struct.unpack_from(">I", buf, pos)
                if extlen % 8 != 0 or extlen < _EXT.size:
                    raise BusError(
                        f"Received a {TYPE_NAMES[t]} packet without proper padding ({extlen} bytes)"
                    )
                if totlen - explen < extlen:
                    raise BusError(
                        f"Received invalid {TYPE_NAMES[t]} packet with extension data that "
                        f"exceeds total packet length ({totlen})"
                    )
                explen += extlen
                pos += extlen
        return explen
    if t == FAIL:
        return HEADER_LEN + NAMELEN
    if t in (PUBLISH, PUBLISHSHARD):
        if totlen < HEADER_LEN + _PUBLISH.size:
            return HEADER_LEN + _PUBLISH.size
        clen, mlen = _PUBLISH.unpack_from(buf, HEADER_LEN)
        return HEADER_LEN + _PUBLISH.size + clen + mlen
    if t in (FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK, MFSTART):
        return HEADER_LEN
    if t == UPDATE:
        return HEADER_LEN + _UPDATE.size
    if t == MODULE:
        if totlen < HEADER_LEN + _MODULE.size:
            return HEADER_LEN + _MODULE.size
        _, plen, _ = _MODULE.unpack_from(buf, HEADER_LEN)
        return HEADER_LEN + _MODULE.size + plen
    return totlen  # an unknown type: its length is what it says (ignored later)


def decode(buf: bytes) -> Message:
    """One whole message (``len(buf) == totlen``), validated; raises BusError."""
    totlen = len(buf)
    if totlen < HEADER_LEN or buf[:4] != SIG:
        raise BusError("Bad message length or signature received from Cluster bus.")
    (
        _sig, declared, ver, port, t, count, cur, cfg, offset, sender, myslots, slaveof, myip,
        extensions, _unused, pport, cport, flags, state, mflags,
    ) = _HEADER.unpack_from(buf)  # fmt: skip
    if declared != totlen:
        raise BusError(f"message length {declared} does not match the {totlen} bytes read")
    m = Message(
        type=t,
        sender=_name(sender),
        current_epoch=cur,
        config_epoch=cfg,
        offset=offset,
        port=port,
        cport=cport,
        pport=pport,
        flags=flags,
        state=state,
        mflags=mflags[0],
        myslots=myslots,
        slaveof=None if slaveof == NULL_NAME else _name(slaveof),
        myip=_cstr(myip),
        count=count,
        ver=ver,
    )
    if ver != PROTO_VER:
        return m  # discarded by the caller, as Redis does
    explen = expected_length(buf, totlen)
    if explen != totlen:
        name = TYPE_NAMES[t] if t < TYPE_COUNT else str(t)
        raise BusError(
            f"Received invalid {name} packet of length {totlen} but expected length {explen}"
        )
    if t in (PING, PONG, MEET):
        pos = HEADER_LEN
        for _ in range(count):
            name, ps, pr, ip, gport, gcport, gflags, gpport, _n = _GOSSIP.unpack_from(buf, pos)
            m.gossip.append(Gossip(_name(name), ps, pr, _cstr(ip), gport, gcport, gflags, gpport))
            pos += GOSSIP_LEN
        if m.mflags & FLAG0_EXT_DATA:
            for _ in range(extensions):
                extlen, ext_type, _u = _EXT.unpack_from(buf, pos)
                raw = bytes(buf[pos + _EXT.size : pos + extlen])
                if ext_type == EXT_HOSTNAME:
                    m.hostname = _cstr(raw)
                elif ext_type == EXT_HUMAN_NODENAME:
                    m.human_nodename = _cstr(raw)
                elif ext_type == EXT_FORGOTTEN_NODE:
                    if len(raw) < NAMELEN + 8:
                        raise BusError("Received a forgotten node extension that is too short")
                    (ttl,) = struct.unpack_from(">Q", raw, NAMELEN)
                    m.forgotten.append((_name(raw[:NAMELEN]), ttl))
                elif ext_type == EXT_SHARDID:
                    m.shard_id = _name(raw[:NAMELEN])
                else:
                    m.unknown_exts.append((ext_type, raw))
                pos += extlen
    elif t == FAIL:
        m.about = _name(buf[HEADER_LEN : HEADER_LEN + NAMELEN])
    elif t in (PUBLISH, PUBLISHSHARD):
        clen, mlen = _PUBLISH.unpack_from(buf, HEADER_LEN)
        start = HEADER_LEN + _PUBLISH.size
        m.channel = bytes(buf[start : start + clen])
        m.message = bytes(buf[start + clen : start + clen + mlen])
    elif t == UPDATE:
        epoch, name, slots = _UPDATE.unpack_from(buf, HEADER_LEN)
        m.update_epoch, m.update_name, m.update_slots = epoch, _name(name), slots
    elif t == MODULE:
        mid, plen, mtype = _MODULE.unpack_from(buf, HEADER_LEN)
        start = HEADER_LEN + _MODULE.size
        m.module_id, m.module_type = mid, mtype
        m.module_payload = bytes(buf[start : start + plen])
    return m


class BusReader:
    """Cuts the bytes of one bus link into messages (clusterReadHandler)."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        buf = self._buf
        buf += data
        out: list[Message] = []
        while len(buf) >= 8:
            if buf[:4] != SIG:
                raise BusError("Bad message length or signature received from Cluster bus.")
            (totlen,) = struct.unpack_from(">I", buf, 4)
            # clusterReadHandler checks only the signature and the shortest length: any
            # length up to 2**32 - 1 is read (a PUBLISH of a 512 MB channel and a 512 MB
            # message is over 1 GiB), then validated by its type (decode).
            if totlen < HEADER_LEN:
                raise BusError("Bad message length or signature received from Cluster bus.")
            if len(buf) < totlen:
                break
            raw = bytes(buf[:totlen])
            del buf[:totlen]
            out.append(decode(raw))
        return out

    @property
    def buffered(self) -> int:
        return len(self._buf)


# -- slot bitmaps ---------------------------------------------------------------------------
def bitmap_test(bitmap: bytes | bytearray, slot: int) -> bool:
    return bool(bitmap[slot >> 3] & (1 << (slot & 7)))


def bitmap_slots(bitmap: bytes | bytearray) -> list[int]:
    """The slots set in a bitmap, in order."""
    out = []
    for i, byte in enumerate(bitmap):
        if byte:
            base = i << 3
            for b in range(8):
                if byte & (1 << b):
                    out.append(base + b)
    return out
