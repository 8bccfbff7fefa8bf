"""Hash slots: CRC16 (XMODEM, as cluster.c's keyHashSlot) of the key or of its ``{hash tag}``."""

from __future__ import annotations

from binascii import crc_hqx

CLUSTER_SLOTS = 16384
_MASK = CLUSTER_SLOTS - 1


def key_hash_slot(key: bytes) -> int:
    """The slot of ``key``: only the part between the first ``{`` and the next ``}`` is
    hashed when that part is not empty (``{user1000}.following``)."""
    s = key.find(b"{")
    if s != -1:
        e = key.find(b"}", s + 1)
        if e != -1 and e != s + 1:
            return crc_hqx(key[s + 1 : e], 0) & _MASK
    return crc_hqx(key, 0) & _MASK


def tag_crc16(key: bytes) -> int:
    """The CRC16 of a key that contains ``{``, as key_hash_slot picks it (its hash tag, or the
    whole key when the tag is empty or not closed) but without the ``& 16383``: the request
    path's served map repeats every 16384 (ClusterState.served)."""
    s = key.index(123) + 1
    e = key.find(125, s)
    return crc_hqx(key[s:e] if e > s else key, 0)


# The request path's memo of hash-tagged keys' CRC16 (session._run: one probe, a KeyError
# on a first sight): finding the tag takes bytes.index, bytes.find and a slice, about 3,000
# instructions in CPython 3.11, a probe of this dict about 300 (the key's hash is computed
# once and reused by the keyspace lookup that follows).  A pure function of the key, so
# nothing invalidates it; bounded: short keys only, and emptied when full.
TAG_CRCS: dict[bytes, int] = {}
TAG_CRCS_LIMIT = 1 << 17
TAG_CRCS_KEY_MAX = 64


def remember_tag_crc16(key: bytes) -> int:
    """tag_crc16, remembered in TAG_CRCS."""
    crc = tag_crc16(key)
    if len(key) <= TAG_CRCS_KEY_MAX:
        if len(TAG_CRCS) >= TAG_CRCS_LIMIT:
            TAG_CRCS.clear()
        TAG_CRCS[key] = crc
    return crc


def key_crc16(key: bytes) -> int:
    """The CRC16 of ``key`` that indexes the served map (a hash-tagged key's remembered in
    TAG_CRCS).  The plain batch's loop inlines it: a call per pipelined request costs."""
    if 123 in key:  # "{": a hash tag, maybe
        try:
            return TAG_CRCS[key]
        except KeyError:
            return remember_tag_crc16(key)
    return crc_hqx(key, 0)


def crc16(data: bytes) -> int:
    return crc_hqx(data, 0)
