"""HyperLogLog commands (hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.

An HLL is a string value in Redis's layout (see :mod:`polystack.redis.hyperloglog`), so GET,
DUMP and RESTORE carry it as they carry any string."""

from __future__ import annotations

import random
from typing import Any

from polystack.redis import hyperloglog as hll
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import single, spec
from polystack.redis.errors import RedisError, err
from polystack.redis.lookup import db_add, lookup_read, lookup_write
from polystack.redis.notify import NOTIFY_STRING, modified, notify
from polystack.redis.objects import fresh, note_encoding
from polystack.redis.wire import OK, Simple

_HLL = "hyperloglog"
_WRONGTYPE = RedisError("WRONGTYPE", "Operation against a key holding the wrong kind of value")
_NOT_HLL = RedisError("WRONGTYPE", "Key is not a valid HyperLogLog string value.")
_INVALID = RedisError("INVALIDOBJ", "Corrupted HLL object detected")


def _check(value: Any) -> bytes:
    """isHLLObjectOrReply."""
    if type(value) is not bytes:
        raise _WRONGTYPE
    if not hll.is_hll(value):
        raise _NOT_HLL
    return value


def sparse_max_bytes(client: Any) -> int:
    """hll-sparse-max-bytes (CONFIG's extra settings: no server attribute of its own)."""
    return client.server.extra_config.get("hll-sparse-max-bytes", 3000)


def store(client: Any, key: bytes, data: bytearray, new: bool) -> bytes:
    """Put the modified HLL back as the key's (raw encoded) string value."""
    value = fresh(bytes(data))
    if new:
        db_add(client, key, value)
    else:
        client.db.set(key, value, keep_ttl=True)
    note_encoding(client, value, "raw")
    return value


@command(
    "pfadd",
    -2,
    "write denyoom fast",
    (1, 1, 1),
    _HLL,
    "2.8.9",
    "Adds the specified elements to the specified HyperLogLog.",
    complexity="O(1) to add every element.",
    arguments="key:key element:string?+",
    specs=(single("RW INSERT"),),
)
def pfadd(client: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    old = lookup_write(client, key)
    updated = 0
    if old is None:
        data = hll.create()
        updated = 1
    else:
        data = bytearray(_check(old))
    max_bytes = sparse_max_bytes(client)
    try:
        for element in argv[2:]:
            updated += hll.add(data, element, max_bytes)
    except (hll.HLLError, IndexError):
        raise _INVALID from None
    if updated:
        hll.invalidate(data)
        store(client, key, data, old is None)
        modified(client, key)
        notify(client, NOTIFY_STRING, b"pfadd", key)
        client.ks.dirty += updated
    return 1 if updated else 0


@command(
    "pfcount",
    -2,
    "readonly",
    (1, -1, 1),
    _HLL,
    "2.8.9",
    "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
    complexity="O(1) with a very small average constant time when called with a single key. "
    "O(N) with N being the number of keys, and much bigger constant times, when called with "
    "multiple keys.",
    arguments="key:key+",
    specs=(
        spec(
            "RW ACCESS",
            ("index", 1),
            ("range", -1, 1, 0),
            "RW because it may change the internal representation of the key, and propagate "
            "to replicas",
        ),
    ),
)
def pfcount(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 2:
        maxregs = [0] * hll.HLL_REGISTERS
        for key in argv[1:]:
            value = lookup_read(client, key)
            if value is None:
                continue
            try:
                hll.merge_into(maxregs, _check(value))
            except (hll.HLLError, IndexError):
                raise _INVALID from None
        return hll.count_histogram(hll.histogram(maxregs))
    key = argv[1]
    value = lookup_read(client, key)
    if value is None:
        return 0
    _check(value)
    card = hll.cached_count(value)
    if card is not None:
        return card
    try:
        card = hll.count(value)
    except (hll.HLLError, IndexError):
        raise _INVALID from None
    data = bytearray(value)
    hll.set_cached_count(data, card)
    store(client, key, data, False)
    modified(client, key)
    client.ks.dirty += 1
    return card


@command(
    "pfmerge",
    -2,
    "write denyoom",
    (1, -1, 1),
    _HLL,
    "2.8.9",
    "Merge N different HyperLogLogs into a single one.",
    complexity="O(N) to merge N HyperLogLogs, but with high constant times.",
    arguments="destkey:key sourcekey:key+",
    specs=(single("RW ACCESS INSERT"), spec("RO ACCESS", ("index", 2), ("range", -1, 1, 0))),
)
def pfmerge(client: Any, argv: list[bytes]) -> Any:
    maxregs = [0] * hll.HLL_REGISTERS
    use_dense = False
    for key in argv[1:]:
        value = lookup_read(client, key)
        if value is None:
            continue
        _check(value)
        if value[4] == hll.HLL_DENSE:
            use_dense = True
        try:
            hll.merge_into(maxregs, value)
        except (hll.HLLError, IndexError):
            raise _INVALID from None
    dest = argv[1]
    old = lookup_write(client, dest)
    data = hll.create() if old is None else bytearray(old)
    max_bytes = sparse_max_bytes(client)
    try:
        if use_dense:
            hll.sparse_to_dense(data)
        for i, v in enumerate(maxregs):
            if not v:
                continue
            if data[4] == hll.HLL_DENSE:
                hll.dense_set(data, i, v)
            else:
                hll.sparse_set(data, i, v, max_bytes)
    except (hll.HLLError, IndexError):
        raise _INVALID from None
    hll.invalidate(data)
    store(client, dest, data, old is None)
    modified(client, dest)
    notify(client, NOTIFY_STRING, b"pfadd", dest)
    client.ks.dirty += 1
    return OK


@command(
    "pfdebug",
    3,
    "write denyoom admin",
    (2, 2, 1),
    _HLL,
    "2.8.9",
    "Internal commands for debugging HyperLogLog values",
    complexity="N/A",
    arguments="subcommand:string key:key",
    doc_flags=("syscmd",),
    specs=(single("RW ACCESS", 2),),
)
def pfdebug(client: Any, argv: list[bytes]) -> Any:
    sub = argv[1]
    key = argv[2]
    value = lookup_write(client, key)
    if value is None:
        raise err("The specified key does not exist")
    _check(value)
    low = sub.lower()
    try:
        if low in (b"getreg", b"todense"):
            converted = value[4] == hll.HLL_SPARSE
            if converted:
                data = bytearray(value)
                hll.sparse_to_dense(data)
                value = store(client, key, data, False)
                client.ks.dirty += 1
            if low == b"todense":
                return 1 if converted else 0
            return hll.registers(value)
        if low == b"decode":
            if value[4] != hll.HLL_SPARSE:
                raise err("HLL encoding is not sparse")
            return hll.decode_sparse(value)
        if low == b"encoding":
            return Simple(b"sparse" if value[4] == hll.HLL_SPARSE else b"dense")
    except (hll.HLLError, IndexError):
        raise _INVALID from None
    raise err(f"Unknown PFDEBUG subcommand '{sub.decode('utf-8', 'replace')}'")


@command(
    "pfselftest",
    1,
    "admin",
    (0, 0, 0),
    _HLL,
    "2.8.9",
    "An internal command for testing HyperLogLog values",
    complexity="N/A",
    doc_flags=("syscmd",),
)
def pfselftest(client: Any, argv: list[bytes]) -> Any:
    """The register access test and an approximation check of sparse against dense HLLs
    (fewer elements than Redis's ten million: this is Python)."""
    dense = bytearray(hll.HLL_DENSE_SIZE)
    for _ in range(10):
        values = [random.randrange(64) for _ in range(hll.HLL_REGISTERS)]
        for i, v in enumerate(values):
            hll.dense_set_raw(dense, hll.HLL_HDR_SIZE, i, v)
        for i, v in enumerate(values):
            got = hll.dense_get(dense, hll.HLL_HDR_SIZE, i)
            if got != v:
                raise RedisError("TESTFAILED", f"Register {i} should be {v} but is {got}")
    dense = bytearray(b"HYLL" + bytes(hll.HLL_DENSE_SIZE - 4))
    sparse = hll.create()
    seed = random.getrandbits(64)
    checkpoint = 1
    relerr = 1.04 / hll.HLL_REGISTERS**0.5
    for j in range(1, 100001):
        ele = (j ^ seed).to_bytes(8, "little")
        hll.add(dense, ele, 1 << 30)
        hll.add(sparse, ele, sparse_max_bytes(client))
        if j == checkpoint:
            est = hll.count(dense)
            if est != hll.count(sparse):
                raise RedisError("TESTFAILED", "dense/sparse disagree")
            maxerr = 1 if j == 10 else -(-relerr * 6 * checkpoint // 1)
            if abs(checkpoint - est) > maxerr:
                raise RedisError(
                    "TESTFAILED",
                    f"Too big error. card:{checkpoint} abserr:{abs(checkpoint - est)}",
                )
            checkpoint *= 10
    return OK
