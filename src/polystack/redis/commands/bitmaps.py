"""Bitmap commands (bitops.c) on string values: SETBIT, GETBIT, BITCOUNT and BITPOS (BYTE|BIT
ranges), BITOP, BITFIELD and BITFIELD_RO (i/u types, #offsets, WRAP/SAT/FAIL)."""

from __future__ import annotations

from typing import Any

from polystack.redis.args import parse_int
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import VARIABLE_FLAGS, single, spec
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.listpack import string_to_int64
from polystack.redis.lookup import db_add, db_delete, lookup_read, lookup_write
from polystack.redis.notify import NOTIFY_STRING, modified, notify
from polystack.redis.objects import fresh, new_stamp, note_encoding

_BITMAP = "bitmap"
_WRONGTYPE = RedisError("WRONGTYPE", "Operation against a key holding the wrong kind of value")
_BAD_OFFSET = "bit offset is not an integer or out of range"
_BAD_TYPE = (
    "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)
_M64 = (1 << 64) - 1


def _string(value: Any) -> bytes | None:
    if value is None or type(value) is bytes:
        return value
    raise _WRONGTYPE


def bit_offset(client: Any, arg: bytes, hash_ok: bool = False, bits: int = 0) -> int:
    """getBitOffsetFromArgument (``#n`` means n*bits for BITFIELD)."""
    usehash = hash_ok and bits > 0 and arg[:1] == b"#"
    v = string_to_int64(arg[1:] if usehash else arg)
    if v is None:
        raise err(_BAD_OFFSET)
    if usehash:
        v *= bits
    if v < 0 or (v >> 3) >= client.server.config.proto_max_bulk_len:
        raise err(_BAD_OFFSET)
    return v


def store_string(client: Any, key: bytes, data: bytes | bytearray, new: bool) -> None:
    """Write back a string a bit command changed: raw encoded, TTL kept."""
    value = fresh(bytes(data))
    if new:
        db_add(client, key, value)
    else:
        client.db.set(key, value, keep_ttl=True)
    note_encoding(client, value, "raw")


def _grown(old: bytes | None, byte: int) -> tuple[bytearray, bool]:
    """lookupStringForBitCommand: the value zero-padded to ``byte`` + 1 bytes, and whether it
    was created or grew."""
    if old is None:
        return bytearray(byte + 1), True
    data = bytearray(old)
    if len(data) < byte + 1:
        data += bytes(byte + 1 - len(data))
        return data, True
    return data, False


@command(
    "setbit",
    4,
    "write denyoom",
    (1, 1, 1),
    _BITMAP,
    "2.2.0",
    "Sets or clears the bit at offset in the string value stored at key",
    complexity="O(1)",
    arguments="key:key offset:integer value:integer",
    specs=(single("RW ACCESS UPDATE"),),
)
def setbit(client: Any, argv: list[bytes]) -> Any:
    offset = bit_offset(client, argv[2])
    on = parse_int(argv[3], "bit is not an integer or out of range")
    if on & ~1:
        raise err("bit is not an integer or out of range")
    key = argv[1]
    old = _string(lookup_write(client, key))
    byte = offset >> 3
    data, dirty = _grown(old, byte)
    bit = 7 - (offset & 7)
    bitval = (data[byte] >> bit) & 1
    if dirty or bitval != on:
        data[byte] = (data[byte] & ~(1 << bit)) | (on << bit)
        store_string(client, key, data, old is None)
        modified(client, key)
        notify(client, NOTIFY_STRING, b"setbit", key)
        client.ks.dirty += 1
    return bitval


@command(
    "getbit",
    3,
    "readonly fast",
    (1, 1, 1),
    _BITMAP,
    "2.2.0",
    "Returns the bit value at offset in the string value stored at key",
    complexity="O(1)",
    arguments="key:key offset:integer",
    specs=(single("RO ACCESS"),),
)
def getbit(client: Any, argv: list[bytes]) -> Any:
    offset = bit_offset(client, argv[2])
    value = _string(lookup_read(client, argv[1]))
    if value is None:
        return 0
    byte = offset >> 3
    if byte >= len(value):
        return 0
    return (value[byte] >> (7 - (offset & 7))) & 1


def _masks(start: int, end: int, isbit: bool, total: int) -> tuple[int, int, int, int]:
    """Negative indexes from the end, clamped; in BIT mode the edge masks of the bytes."""
    if start < 0:
        start += total
    if end < 0:
        end += total
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= total:
        end = total - 1
    first_mask = last_mask = 0
    if isbit and start <= end:
        first_mask = ~((1 << (8 - (start & 7))) - 1) & 0xFF
        last_mask = (1 << (7 - (end & 7))) - 1
        start >>= 3
        end >>= 3
    return start, end, first_mask, last_mask


@command(
    "bitcount",
    -2,
    "readonly",
    (1, 1, 1),
    _BITMAP,
    "2.6.0",
    "Count set bits in a string",
    complexity="O(N)",
    arguments="key:key index:block?{start:integer end:integer "
    "index_unit:oneof?@7.0.0{byte:pure-token'BYTE' bit:pure-token'BIT'}}",
    history=(("7.0.0", "Added the `BYTE|BIT` option."),),
    specs=(single("RO ACCESS"),),
)
def bitcount(client: Any, argv: list[bytes]) -> Any:
    value = _string(lookup_read(client, argv[1]))
    if value is None:
        return 0
    n = len(argv)
    if n in (4, 5):
        start, end = parse_int(argv[2]), parse_int(argv[3])
        if start < 0 and end < 0 and start > end:
            return 0
        isbit = False
        if n == 5:
            unit = argv[4].lower()
            if unit == b"bit":
                isbit = True
            elif unit != b"byte":
                raise SYNTAX
        total = len(value) * 8 if isbit else len(value)
        start, end, first_mask, last_mask = _masks(start, end, isbit, total)
    elif n == 2:
        start, end, first_mask, last_mask = 0, len(value) - 1, 0, 0
    else:
        raise SYNTAX
    if start > end:
        return 0
    count = int.from_bytes(value[start : end + 1], "big").bit_count()
    if first_mask:
        count -= (value[start] & first_mask).bit_count()
    if last_mask:
        count -= (value[end] & last_mask).bit_count()
    return count


def _bitpos(data: bytes, bit: int) -> int:
    """redisBitpos: the first bit equal to ``bit``; looking for 0 in all-ones bytes answers
    the bit right after them, looking for 1 in all-zero bytes answers -1."""
    skip = b"\x00" if bit else b"\xff"
    stripped = data.lstrip(skip)
    if not stripped:
        return -1 if bit else len(data) * 8
    pos = (len(data) - len(stripped)) * 8
    byte = stripped[0] if bit else stripped[0] ^ 0xFF
    return pos + 8 - byte.bit_length()


@command(
    "bitpos",
    -3,
    "readonly",
    (1, 1, 1),
    _BITMAP,
    "2.8.7",
    "Find first bit set or clear in a string",
    complexity="O(N)",
    arguments="key:key bit:integer index:block?{start:integer end_index:block?{end:integer "
    "index_unit:oneof?@7.0.0{byte:pure-token'BYTE' bit:pure-token'BIT'}}}",
    history=(("7.0.0", "Added the `BYTE|BIT` option."),),
    specs=(single("RO ACCESS"),),
)
def bitpos(client: Any, argv: list[bytes]) -> Any:
    bit = parse_int(argv[2])
    if bit not in (0, 1):
        raise err("The bit argument must be 1 or 0.")
    value = lookup_read(client, argv[1])
    if value is None:
        return -1 if bit else 0
    _string(value)
    n = len(argv)
    end_given = False
    first_mask = last_mask = 0
    if n in (4, 5, 6):
        start = parse_int(argv[3])
        isbit = False
        if n == 6:
            unit = argv[5].lower()
            if unit == b"bit":
                isbit = True
            elif unit != b"byte":
                raise SYNTAX
        total = len(value)
        if n >= 5:
            end = parse_int(argv[4])
            end_given = True
        else:
            end = total * 8 + 7 if isbit else total - 1
        if isbit:
            total *= 8
        start, end, first_mask, last_mask = _masks(start, end, isbit, total)
    elif n == 3:
        start, end = 0, len(value) - 1
    else:
        raise SYNTAX
    if start > end:
        return -1
    nbytes = end - start + 1
    pos = -1
    done = False
    if first_mask:
        if bit:
            tmp = value[start] & ~first_mask & 0xFF
        else:
            tmp = value[start] | first_mask
        if last_mask and nbytes == 1:
            tmp = tmp & ~last_mask & 0xFF if bit else tmp | last_mask
        pos = _bitpos(bytes((tmp,)), bit)
        if nbytes == 1 or (pos != -1 and pos != 8):
            done = True
        else:
            start += 1
            nbytes -= 1
    if not done:
        cur = nbytes - (1 if last_mask else 0)
        if cur > 0:
            pos = _bitpos(value[start : start + cur], bit)
            if nbytes == cur or (pos != -1 and pos != cur << 3):
                done = True
            else:
                start += cur
                nbytes -= cur
        if not done:
            tmp = value[end] & ~last_mask & 0xFF if bit else value[end] | last_mask
            pos = _bitpos(bytes((tmp,)), bit)
    if end_given and bit == 0 and pos == nbytes << 3:
        return -1
    if pos != -1:
        pos += start << 3
    return pos


@command(
    "bitop",
    -4,
    "write denyoom",
    (2, -1, 1),
    _BITMAP,
    "2.6.0",
    "Perform bitwise operations between strings",
    complexity="O(N)",
    arguments="operation:string destkey:key key:key+",
    specs=(single("OW UPDATE", 2), spec("RO ACCESS", ("index", 3), ("range", -1, 1, 0))),
)
def bitop(client: Any, argv: list[bytes]) -> Any:
    op = argv[1].lower()
    if op not in (b"and", b"or", b"xor", b"not"):
        raise SYNTAX
    if op == b"not" and len(argv) != 4:
        raise err("BITOP NOT must be called with a single source key.")
    sources = [_string(lookup_read(client, key)) or b"" for key in argv[3:]]
    maxlen = max(map(len, sources))
    dest = argv[2]
    db = client.db
    if not maxlen:
        if db.get(dest, client.now_ms()) is not None:
            db_delete(client, dest)
            modified(client, dest)
            client.ks.dirty += 1
        return 0
    ints = [int.from_bytes(s.ljust(maxlen, b"\x00"), "big") for s in sources]
    if op == b"not":
        result = ints[0] ^ ((1 << (8 * maxlen)) - 1)
    else:
        result = ints[0]
        for v in ints[1:]:
            if op == b"and":
                result &= v
            elif op == b"or":
                result |= v
            else:
                result ^= v
    value = fresh(result.to_bytes(maxlen, "big"))
    if db.get(dest, client.now_ms()) is not None:
        db.set(dest, value)
        db.lru[dest] = new_stamp(client)
    else:
        db_add(client, dest, value)
    note_encoding(client, value, "raw")
    modified(client, dest)
    notify(client, NOTIFY_STRING, b"set", dest)
    client.ks.dirty += 1
    return maxlen


# -- BITFIELD ------------------------------------------------------------------------------------
_WRAP, _SAT, _FAIL = 0, 1, 2
_GET, _SET, _INCRBY = 0, 1, 2


def _field_type(arg: bytes) -> tuple[bool, int]:
    """getBitfieldTypeFromArgument: (signed, bits)."""
    sign = arg[:1]
    if sign not in (b"i", b"u"):
        raise err(_BAD_TYPE)
    bits = string_to_int64(arg[1:].split(b"\x00")[0])
    if bits is None or bits < 1 or (sign == b"i" and bits > 64) or (sign == b"u" and bits > 63):
        raise err(_BAD_TYPE)
    return sign == b"i", bits


def get_field(data: bytes | bytearray, offset: int, bits: int, signed: bool) -> int:
    """getUnsignedBitfield / getSignedBitfield (bits past the end read as 0)."""
    first, last = offset >> 3, (offset + bits - 1) >> 3
    chunk = bytes(data[first : last + 1]).ljust(last - first + 1, b"\x00")
    total = (last - first + 1) * 8
    value = (int.from_bytes(chunk, "big") >> (total - (offset - first * 8) - bits)) & (
        (1 << bits) - 1
    )
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def set_field(data: bytearray, offset: int, bits: int, value: int) -> None:
    first, last = offset >> 3, (offset + bits - 1) >> 3
    total = (last - first + 1) * 8
    shift = total - (offset - first * 8) - bits
    mask = ((1 << bits) - 1) << shift
    current = int.from_bytes(data[first : last + 1], "big")
    current = (current & ~mask) | (((value & ((1 << bits) - 1)) << shift) & mask)
    data[first : last + 1] = current.to_bytes(last - first + 1, "big")


def _i64(v: int) -> int:
    v &= _M64
    return v - (1 << 64) if v >> 63 else v


def check_unsigned(value: int, incr: int, bits: int, owtype: int) -> tuple[int, int]:
    """checkUnsignedBitfieldOverflow: (overflow -1/0/1, the value to store when overflowing)."""
    top = (1 << bits) - 1
    maxincr = _i64(top - value)
    minincr = _i64(-value)
    if value > top or (incr > 0 and incr > maxincr):
        ov = 1
    elif incr < 0 and incr < minincr:
        ov = -1
    else:
        return 0, 0
    if owtype == _WRAP:
        return ov, ((value + incr) & _M64) & top
    if owtype == _SAT:
        return ov, top if ov == 1 else 0
    return ov, 0


def check_signed(value: int, incr: int, bits: int, owtype: int) -> tuple[int, int]:
    """checkSignedBitfieldOverflow."""
    top = (1 << 63) - 1 if bits == 64 else (1 << (bits - 1)) - 1
    bottom = -top - 1
    maxincr = _i64(top - value)
    minincr = _i64(bottom - value)
    if (
        value > top
        or (bits != 64 and incr > maxincr)
        or (value >= 0 and incr > 0 and incr > maxincr)
    ):
        ov = 1
    elif (
        value < bottom
        or (bits != 64 and incr < minincr)
        or (value < 0 and incr < 0 and incr < minincr)
    ):
        ov = -1
    else:
        return 0, 0
    if owtype == _WRAP:
        c = (value + incr) & _M64
        if bits < 64:
            mask = (_M64 << bits) & _M64
            c = c | mask if c & (1 << (bits - 1)) else c & ~mask & _M64
        return ov, _i64(c)
    if owtype == _SAT:
        return ov, top if ov == 1 else bottom
    return ov, 0


def _bitfield(client: Any, argv: list[bytes], readonly_cmd: bool) -> Any:
    ops = []
    owtype = _WRAP
    readonly = True
    highest = 0
    j = 2
    n = len(argv)
    while j < n:
        rem = n - j - 1
        sub = argv[j].lower()
        if sub == b"get" and rem >= 2:
            opcode = _GET
        elif sub == b"set" and rem >= 3:
            opcode = _SET
        elif sub == b"incrby" and rem >= 3:
            opcode = _INCRBY
        elif sub == b"overflow" and rem >= 1:
            how = argv[j + 1].lower()
            if how == b"wrap":
                owtype = _WRAP
            elif how == b"sat":
                owtype = _SAT
            elif how == b"fail":
                owtype = _FAIL
            else:
                raise err("Invalid OVERFLOW type specified")
            j += 2
            continue
        else:
            raise SYNTAX
        signed, bits = _field_type(argv[j + 1])
        offset = bit_offset(client, argv[j + 2], True, bits)
        i64 = 0
        if opcode != _GET:
            readonly = False
            highest = max(highest, offset + bits - 1)
            i64 = parse_int(argv[j + 3])
        ops.append((opcode, offset, bits, signed, i64, owtype))
        j += 3 if opcode == _GET else 4
    key = argv[1]
    if readonly:
        value = _string(lookup_read(client, key))
        data: Any = value
        new = False
        dirty = False
    else:
        if readonly_cmd:
            raise err("BITFIELD_RO only supports the GET subcommand")
        old = _string(lookup_write(client, key))
        data, dirty = _grown(old, highest >> 3)
        new = old is None
    out: list[Any] = []
    changes = 0
    for opcode, offset, bits, signed, i64, ow in ops:
        if opcode == _GET:
            out.append(get_field(data or b"", offset, bits, signed))
            continue
        old_val = get_field(data, offset, bits, signed)
        if signed:
            if opcode == _INCRBY:
                ov, wrapped = check_signed(old_val, i64, bits, ow)
                new_val = wrapped if ov else old_val + i64
                ret = new_val
            else:
                ov, wrapped = check_signed(i64, 0, bits, ow)
                new_val = wrapped if ov else i64
                ret = old_val
        else:
            if opcode == _INCRBY:
                new_val = (old_val + i64) & _M64
                ov, wrapped = check_unsigned(old_val, i64, bits, ow)
                if ov:
                    new_val = wrapped
                ret = new_val
            else:
                ov, wrapped = check_unsigned(i64 & _M64, 0, bits, ow)
                new_val = wrapped if ov else i64 & _M64
                ret = old_val
        if ov and ow == _FAIL:
            out.append(None)
            continue
        out.append(ret)
        set_field(data, offset, bits, new_val)
        if dirty or old_val != new_val:
            changes += 1
    if changes:
        store_string(client, key, data, new)
        modified(client, key)
        notify(client, NOTIFY_STRING, b"setbit", key)
        client.ks.dirty += changes
    elif dirty:
        # Redis creates or grows the (zero-padded) string before running the operations,
        # even when every one of them fails with OVERFLOW FAIL; logged so that a restart
        # keeps it too.
        store_string(client, key, data, new)
        client.ks.dirty += 1
    return out


def _bitfield_flags(argv: list[bytes]) -> str:
    """bitfieldGetKeys: RO ACCESS for GETs only, else RW ACCESS UPDATE."""
    i = 2
    n = len(argv)
    while i < n:
        rem = n - i - 1
        arg = argv[i].lower()
        if arg == b"get" and rem >= 2:
            i += 3
        elif arg in (b"set", b"incrby") and rem >= 3:
            return "RW access update"
        elif arg == b"overflow" and rem >= 1:
            i += 2
        else:
            return "RW access update"
    return "RO access"


VARIABLE_FLAGS["bitfield"] = _bitfield_flags


@command(
    "bitfield",
    -2,
    "write denyoom",
    (1, 1, 1),
    _BITMAP,
    "3.2.0",
    "Perform arbitrary bitfield integer operations on strings",
    complexity="O(1) for each subcommand specified",
    arguments="key:key operation:oneof?+{encoding_offset:block'GET'{encoding:string "
    "offset:integer} write:block{wrap_sat_fail:oneof'OVERFLOW'?{wrap:pure-token'WRAP' "
    "sat:pure-token'SAT' fail:pure-token'FAIL'} write_operation:oneof{"
    "encoding_offset_value:block'SET'{encoding:string offset:integer value:integer} "
    "encoding_offset_increment:block'INCRBY'{encoding:string offset:integer "
    "increment:integer}}}}",
    specs=(
        spec(
            "RW UPDATE ACCESS VARIABLE_FLAGS",
            ("index", 1),
            ("range", 0, 1, 0),
            "This command allows both access and modification of the key",
        ),
    ),
)
def bitfield(client: Any, argv: list[bytes]) -> Any:
    return _bitfield(client, argv, False)


@command(
    "bitfield_ro",
    -2,
    "readonly fast",
    (1, 1, 1),
    _BITMAP,
    "6.0.0",
    "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
    complexity="O(1) for each subcommand specified",
    arguments="key:key encoding_offset:block'GET'?+!{encoding:string offset:integer}",
    specs=(single("RO ACCESS"),),
)
def bitfield_ro(client: Any, argv: list[bytes]) -> Any:
    return _bitfield(client, argv, True)
