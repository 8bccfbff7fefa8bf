"""HyperLogLog (hyperloglog.c) on Redis's own string layout, byte for byte: a 16-byte header
("HYLL", encoding, 3 unused bytes, the cached cardinality with its "invalid" bit) and then
either the sparse opcodes (ZERO, XZERO, VAL) or 16384 dense 6-bit registers.  Elements hash
with MurmurHash64A (seed 0xadc83b19); the count is Ertl's estimator, computed with the same
double operations as Redis, so PFCOUNT answers the same number."""

from __future__ import annotations

import math

HLL_P = 14
HLL_Q = 64 - HLL_P
HLL_REGISTERS = 1 << HLL_P
HLL_P_MASK = HLL_REGISTERS - 1
HLL_BITS = 6
HLL_REGISTER_MAX = (1 << HLL_BITS) - 1
HLL_HDR_SIZE = 16
HLL_DENSE_SIZE = HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS + 7) // 8
HLL_DENSE, HLL_SPARSE, HLL_RAW = 0, 1, 255
SPARSE_VAL_MAX_VALUE = 32
SPARSE_VAL_MAX_LEN = 4
SPARSE_ZERO_MAX_LEN = 64
SPARSE_XZERO_MAX_LEN = 16384
ALPHA_INF = 0.721347520444481703680
_M64 = (1 << 64) - 1


class HLLError(ValueError):
    """A corrupted HLL (Redis: -INVALIDOBJ Corrupted HLL object detected)."""


def murmurhash64a(data: bytes, seed: int = 0xADC83B19) -> int:
    m = 0xC6A4A7935BD1E995
    r = 47
    n = len(data)
    h = (seed ^ (n * m)) & _M64
    end = n - (n & 7)
    for i in range(0, end, 8):
        k = int.from_bytes(data[i : i + 8], "little")
        k = (k * m) & _M64
        k ^= k >> r
        k = (k * m) & _M64
        h ^= k
        h = (h * m) & _M64
    rest = n & 7
    if rest:
        h ^= int.from_bytes(data[end:], "little")
        h = (h * m) & _M64
    h ^= h >> r
    h = (h * m) & _M64
    h ^= h >> r
    return h


def pat_len(element: bytes) -> tuple[int, int]:
    """hllPatLen: (register index, run length of zeros + 1)."""
    h = murmurhash64a(element)
    index = h & HLL_P_MASK
    h = (h >> HLL_P) | (1 << HLL_Q)
    count = 1
    while not h & 1:
        count += 1
        h >>= 1
    return index, count


def create() -> bytearray:
    """createHLLObject: a sparse HLL of XZERO opcodes."""
    hll = bytearray(b"HYLL\x01\x00\x00\x00" + bytes(8))
    left = HLL_REGISTERS
    while left:
        run = min(SPARSE_XZERO_MAX_LEN, left)
        hll += bytes((((run - 1) >> 8) | 0x40, (run - 1) & 0xFF))
        left -= run
    return hll


def is_hll(value: bytes) -> bool:
    """isHLLObjectOrReply's checks."""
    if len(value) < HLL_HDR_SIZE or value[:4] != b"HYLL" or value[4] > 1:
        return False
    return not (value[4] == HLL_DENSE and len(value) != HLL_DENSE_SIZE)


def invalidate(hll: bytearray) -> None:
    hll[15] |= 0x80


# -- dense ------------------------------------------------------------------------------------
def dense_get(regs: bytearray | bytes, base: int, index: int) -> int:
    byte = base + index * HLL_BITS // 8
    fb = index * HLL_BITS & 7
    b1 = regs[byte + 1] if byte + 1 < len(regs) else 0
    return ((regs[byte] >> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX


def dense_set_raw(regs: bytearray, base: int, index: int, val: int) -> None:
    byte = base + index * HLL_BITS // 8
    fb = index * HLL_BITS & 7
    fb8 = 8 - fb
    regs[byte] = (regs[byte] & ~(HLL_REGISTER_MAX << fb) & 0xFF) | ((val << fb) & 0xFF)
    if byte + 1 < len(regs):
        regs[byte + 1] = (regs[byte + 1] & ~(HLL_REGISTER_MAX >> fb8) & 0xFF) | (val >> fb8)


def dense_set(hll: bytearray, index: int, count: int) -> int:
    if count > dense_get(hll, HLL_HDR_SIZE, index):
        dense_set_raw(hll, HLL_HDR_SIZE, index, count)
        return 1
    return 0


def _sparse_ops(hll: bytes | bytearray) -> list[tuple[str, int, int]]:
    """(opcode "z"/"Z"/"v", register value, run length) for each opcode."""
    out = []
    p = HLL_HDR_SIZE
    end = len(hll)
    while p < end:
        c = hll[p]
        if c & 0xC0 == 0:
            out.append(("z", 0, (c & 0x3F) + 1))
            p += 1
        elif c & 0xC0 == 0x40:
            nxt = hll[p + 1] if p + 1 < end else 0
            out.append(("Z", 0, (((c & 0x3F) << 8) | nxt) + 1))
            p += 2
        else:
            out.append(("v", ((c >> 2) & 0x1F) + 1, (c & 0x3) + 1))
            p += 1
    return out


def _sparse_runs(hll: bytes | bytearray) -> list[tuple[int, int]]:
    """(register value, run length) for each opcode."""
    return [(val, run) for _, val, run in _sparse_ops(hll)]


def registers(hll: bytes | bytearray) -> list[int]:
    """All 16384 register values (HLLError when a sparse HLL does not cover them exactly)."""
    if hll[4] == HLL_DENSE:
        return [dense_get(hll, HLL_HDR_SIZE, i) for i in range(HLL_REGISTERS)]
    regs: list[int] = []
    for val, run in _sparse_runs(hll):
        if val and len(regs) + run > HLL_REGISTERS:
            break
        regs += [val] * run
    if len(regs) != HLL_REGISTERS:
        raise HLLError("sparse HLL does not cover every register")
    return regs


def sparse_to_dense(hll: bytearray) -> None:
    """hllSparseToDense, in place (the header, cached cardinality included, is kept)."""
    if hll[4] == HLL_DENSE:
        return
    idx = 0
    dense = bytearray(HLL_DENSE_SIZE)
    dense[:HLL_HDR_SIZE] = hll[:HLL_HDR_SIZE]
    dense[4] = HLL_DENSE
    for val, run in _sparse_runs(hll):
        if val:
            if run + idx > HLL_REGISTERS:
                break
            for i in range(idx, idx + run):
                dense_set_raw(dense, HLL_HDR_SIZE, i, val)
        idx += run
    if idx != HLL_REGISTERS:
        raise HLLError("sparse HLL does not cover every register")
    hll[:] = dense


def _val(val: int, run: int) -> int:
    return ((val - 1) << 2 | (run - 1)) | 0x80


def _zero_ops(run: int) -> bytes:
    if run > SPARSE_ZERO_MAX_LEN:
        return bytes((((run - 1) >> 8) | 0x40, (run - 1) & 0xFF))
    return bytes((run - 1,))


def sparse_set(hll: bytearray, index: int, count: int, max_bytes: int) -> int:
    """hllSparseSet: 1 when the register grew (promoting to dense when the sparse form would
    grow past ``hll-sparse-max-bytes`` or the value is too large for a VAL opcode), else 0."""
    if count > SPARSE_VAL_MAX_VALUE:
        return _promote(hll, index, count)
    end = len(hll)
    p = HLL_HDR_SIZE
    first = 0
    prev = -1
    span = 0
    oplen = 1
    while p < end:
        c = hll[p]
        oplen = 1
        if c & 0xC0 == 0:
            span = (c & 0x3F) + 1
        elif c & 0x80:
            span = (c & 0x3) + 1
        else:
            span = (((c & 0x3F) << 8) | hll[p + 1]) + 1
            oplen = 2
        if index <= first + span - 1:
            break
        prev = p
        p += oplen
        first += span
    if span == 0 or p >= end:
        raise HLLError("register not covered")
    c = hll[p]
    is_zero = c & 0xC0 == 0
    is_xzero = c & 0xC0 == 0x40
    is_val = bool(c & 0x80)
    if is_val:
        old = ((c >> 2) & 0x1F) + 1
        if old >= count:
            return 0
        if span == 1:
            hll[p] = _val(count, 1)
            return _merge_adjacent(hll, prev)
    if is_zero and span == 1:
        hll[p] = _val(count, 1)
        return _merge_adjacent(hll, prev)
    last = first + span - 1
    seq = bytearray()
    if is_zero or is_xzero:
        if index != first:
            seq += _zero_ops(index - first)
        seq.append(_val(count, 1))
        if index != last:
            seq += _zero_ops(last - index)
    else:
        cur = ((c >> 2) & 0x1F) + 1
        if index != first:
            seq.append(_val(cur, index - first))
        seq.append(_val(count, 1))
        if index != last:
            seq.append(_val(cur, last - index))
    oldlen = 2 if is_xzero else 1
    delta = len(seq) - oldlen
    if delta > 0 and len(hll) + delta > max_bytes:
        return _promote(hll, index, count)
    hll[p : p + oldlen] = seq
    return _merge_adjacent(hll, prev)


def _merge_adjacent(hll: bytearray, prev: int) -> int:
    """Step 4 of hllSparseSet: merge adjacent VAL opcodes of equal value, scanning up to five
    opcodes from the one before the change."""
    p = prev if prev >= 0 else HLL_HDR_SIZE
    end = len(hll)
    scan = 5
    while p < end and scan > 0:
        scan -= 1
        c = hll[p]
        if c & 0xC0 == 0x40:
            p += 2
            continue
        if c & 0xC0 == 0:
            p += 1
            continue
        if p + 1 < end and hll[p + 1] & 0x80:
            v1 = ((c >> 2) & 0x1F) + 1
            v2 = ((hll[p + 1] >> 2) & 0x1F) + 1
            if v1 == v2:
                run = (c & 0x3) + 1 + (hll[p + 1] & 0x3) + 1
                if run <= SPARSE_VAL_MAX_LEN:
                    hll[p + 1] = _val(v1, run)
                    del hll[p]
                    end -= 1
                    continue
        p += 1
    invalidate(hll)
    return 1


def _promote(hll: bytearray, index: int, count: int) -> int:
    sparse_to_dense(hll)
    dense_set(hll, index, count)
    return 1


def add(hll: bytearray, element: bytes, max_bytes: int) -> int:
    """hllAdd: 1 when a register changed."""
    index, count = pat_len(element)
    if hll[4] == HLL_DENSE:
        return dense_set(hll, index, count)
    return sparse_set(hll, index, count, max_bytes)


# -- counting ----------------------------------------------------------------------------------
def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        z_prime = z
        z += x * y
        y += y
        if z_prime == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        z_prime = z
        y *= 0.5
        z -= math.pow(1 - x, 2) * y
        if z_prime == z:
            return z / 3


def count_histogram(histo: list[int]) -> int:
    """hllCount's estimator on a register histogram (Ertl's improved estimator)."""
    m = float(HLL_REGISTERS)
    z = m * _tau((m - histo[HLL_Q + 1]) / m)
    for j in range(HLL_Q, 0, -1):
        z += histo[j]
        z *= 0.5
    z += m * _sigma(histo[0] / m)
    e = ALPHA_INF * m * m / z
    whole = int(e)
    return whole + 1 if e - whole >= 0.5 else whole  # llroundl: half away from zero


def histogram(regs: list[int]) -> list[int]:
    histo = [0] * 64
    for v in regs:
        histo[v] += 1
    return histo


def count(hll: bytes | bytearray) -> int:
    """The cardinality of one HLL (HLLError when its sparse form is invalid)."""
    if hll[4] == HLL_SPARSE:
        histo = [0] * 64
        idx = 0
        for val, run in _sparse_runs(hll):
            idx += run
            histo[val] += run
        if idx != HLL_REGISTERS:
            raise HLLError("sparse HLL does not cover every register")
        return count_histogram(histo)
    return count_histogram(histogram(registers(hll)))


def cached_count(hll: bytes | bytearray) -> int | None:
    if hll[15] & 0x80:
        return None
    return int.from_bytes(hll[8:16], "little")


def set_cached_count(hll: bytearray, card: int) -> None:
    hll[8:16] = card.to_bytes(8, "little")


def merge_into(maxregs: list[int], hll: bytes | bytearray) -> None:
    """hllMerge: maxregs[i] = max(maxregs[i], hll's register i)."""
    if hll[4] == HLL_DENSE:
        regs = registers(hll)
        for i, v in enumerate(regs):
            if v > maxregs[i]:
                maxregs[i] = v
        return
    i = 0
    for val, run in _sparse_runs(hll):
        if val:
            if run + i > HLL_REGISTERS:
                break
            for j in range(i, i + run):
                if val > maxregs[j]:
                    maxregs[j] = val
        i += run
    if i != HLL_REGISTERS:
        raise HLLError("sparse HLL does not cover every register")


def decode_sparse(hll: bytes | bytearray) -> bytes:
    """PFDEBUG DECODE."""
    parts = []
    for kind, val, run in _sparse_ops(hll):
        if kind == "v":
            parts.append(b"v:%d,%d" % (val, run))
        else:
            parts.append(b"%s:%d" % (kind.encode(), run))
    return b" ".join(parts)
