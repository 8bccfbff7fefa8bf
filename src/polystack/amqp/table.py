"""AMQP field tables and arrays that remember each value's wire type.

RabbitMQ's replies name argument types (``received the value '100' of type 'byte'``), compares
arguments by type class, and re-encodes headers with their original types, so a decoded table
keeps a ``types`` map beside its values (RabbitMQ's type letters, with the 0-9-1 errata).
"""

from __future__ import annotations

import struct
from decimal import Decimal
from typing import Any

_B = struct.Struct(">b")
_BU = struct.Struct(">B")
_S = struct.Struct(">h")
_SU = struct.Struct(">H")
_I = struct.Struct(">i")
_IU = struct.Struct(">I")
_L = struct.Struct(">q")
_LU = struct.Struct(">Q")
_F = struct.Struct(">f")
_D = struct.Struct(">d")

TYPE_NAMES = {
    "t": "bool",
    "b": "byte",
    "B": "unsignedbyte",
    "s": "short",
    "u": "unsignedshort",
    "I": "signedint",
    "i": "unsignedint",
    "l": "long",
    "L": "long",
    "f": "float",
    "d": "double",
    "D": "decimal",
    "S": "longstr",
    "A": "array",
    "T": "timestamp",
    "F": "table",
    "V": "void",
    "x": "binary",
}
INTEGER_TYPES = frozenset("bBsuIilL")


class Timestamp(int):
    """A ``T`` field: seconds since the epoch."""


class Table(dict):
    """A decoded field table; ``types[key]`` is the wire type letter of each value."""

    __slots__ = ("types",)

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.types: dict[str, str] = {}

    def type_of(self, key: str) -> str:
        t = self.types.get(key)
        return t if t is not None else infer_type(self[key])


class Array(list):
    __slots__ = ("types",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.types: list[str] = []


def infer_type(v: Any) -> str:
    if isinstance(v, bool):
        return "t"
    if isinstance(v, Timestamp):
        return "T"
    if isinstance(v, int):
        return "l"
    if isinstance(v, float):
        return "d"
    if isinstance(v, Decimal):
        return "D"
    if isinstance(v, str):
        return "S"
    if isinstance(v, (bytes, bytearray)):
        return "x"
    if isinstance(v, dict):
        return "F"
    if isinstance(v, (list, tuple)):
        return "A"
    if v is None:
        return "V"
    raise TypeError(f"cannot encode {type(v).__name__} in a field table")


def type_name(table: dict, key: str) -> str:
    t = table.types.get(key) if isinstance(table, Table) else None
    return TYPE_NAMES[t or infer_type(table[key])]


def _value(data: bytes, pos: int, depth: int) -> tuple[str, Any, int]:
    t = chr(data[pos])
    pos += 1
    if t == "S":
        n = _IU.unpack_from(data, pos)[0]
        raw = data[pos + 4 : pos + 4 + n]
        if len(raw) != n:
            raise ValueError("long string runs past the table")
        try:
            v: Any = raw.decode("utf-8")
        except UnicodeDecodeError:
            v = bytes(raw)
        return t, v, pos + 4 + n
    if t == "I":
        return t, _I.unpack_from(data, pos)[0], pos + 4
    if t == "t":
        return t, data[pos] != 0, pos + 1
    if t == "b":
        return t, _B.unpack_from(data, pos)[0], pos + 1
    if t == "B":
        return t, data[pos], pos + 1
    if t == "s":
        return t, _S.unpack_from(data, pos)[0], pos + 2
    if t == "u":
        return t, _SU.unpack_from(data, pos)[0], pos + 2
    if t == "i":
        return t, _IU.unpack_from(data, pos)[0], pos + 4
    if t == "l":
        return t, _L.unpack_from(data, pos)[0], pos + 8
    if t == "L":  # RabbitMQ reads both 'l' and 'L' as signed 64-bit
        return t, _L.unpack_from(data, pos)[0], pos + 8
    if t == "f":
        return t, _F.unpack_from(data, pos)[0], pos + 4
    if t == "d":
        return t, _D.unpack_from(data, pos)[0], pos + 8
    if t == "D":
        scale = data[pos]
        raw = _I.unpack_from(data, pos + 1)[0]
        return t, Decimal(raw).scaleb(-scale), pos + 5
    if t == "T":
        return t, Timestamp(_LU.unpack_from(data, pos)[0]), pos + 8
    if t == "F":
        if depth > 64:
            raise ValueError("field tables nested too deeply")
        v, pos = decode_table(data, pos, depth + 1)
        return t, v, pos
    if t == "A":
        if depth > 64:
            raise ValueError("field arrays nested too deeply")
        n = _IU.unpack_from(data, pos)[0]
        end = pos + 4 + n
        if end > len(data):
            raise ValueError("array runs past its table")
        pos += 4
        arr = Array()
        while pos < end:
            tt, v, pos = _value(data, pos, depth + 1)
            arr.append(v)
            arr.types.append(tt)
        if pos != end:
            raise ValueError("array length mismatch")
        return t, arr, pos
    if t == "V":
        return t, None, pos
    if t == "x":
        n = _IU.unpack_from(data, pos)[0]
        raw = data[pos + 4 : pos + 4 + n]
        if len(raw) != n:
            raise ValueError("byte array runs past the table")
        return t, bytes(raw), pos + 4 + n
    raise ValueError(f"unknown field type {t!r}")


def decode_table(data: bytes, pos: int = 0, depth: int = 0) -> tuple[Table, int]:
    n = _IU.unpack_from(data, pos)[0]
    end = pos + 4 + n
    if end > len(data):
        raise ValueError("field table runs past the frame")
    pos += 4
    table = Table()
    types = table.types
    while pos < end:
        kl = data[pos]
        key = data[pos + 1 : pos + 1 + kl].decode("utf-8")
        pos += 1 + kl
        t, v, pos = _value(data, pos, depth)
        table[key] = v
        types[key] = t
    if pos != end:
        raise ValueError("field table length mismatch")
    return table, pos


def _encode_value(t: str, v: Any, out: list[bytes]) -> None:
    if t == "S":
        raw = v.encode("utf-8") if isinstance(v, str) else bytes(v)
        out.append(b"S" + _IU.pack(len(raw)) + raw)
    elif t in ("I", "i", "b", "B", "s", "u", "l", "L"):
        st = {"I": _I, "i": _IU, "b": _B, "B": _BU, "s": _S, "u": _SU, "l": _L, "L": _L}[t]
        out.append(t.encode() + st.pack(int(v)))
    elif t == "t":
        out.append(b"t\x01" if v else b"t\x00")
    elif t == "f":
        out.append(b"f" + _F.pack(v))
    elif t == "d":
        out.append(b"d" + _D.pack(float(v)))
    elif t == "D":
        sign, digits, exp = Decimal(v).as_tuple()
        scale = max(0, -int(exp))
        unscaled = int(Decimal(v).scaleb(scale))
        out.append(b"D" + bytes((scale,)) + _I.pack(unscaled))
    elif t == "T":
        out.append(b"T" + _LU.pack(int(v)))
    elif t == "F":
        out.append(b"F" + encode_table(v))
    elif t == "A":
        parts: list[bytes] = []
        types = getattr(v, "types", None)
        for i, item in enumerate(v):
            it = types[i] if types and i < len(types) else infer_type(item)
            _encode_value(it, item, parts)
        body = b"".join(parts)
        out.append(b"A" + _IU.pack(len(body)) + body)
    elif t == "V":
        out.append(b"V")
    elif t == "x":
        raw = bytes(v)
        out.append(b"x" + _IU.pack(len(raw)) + raw)
    else:
        raise TypeError(f"unknown field type {t!r}")


def encode_table(table: dict | None) -> bytes:
    if not table:
        return b"\x00\x00\x00\x00"
    types = table.types if isinstance(table, Table) else {}
    out: list[bytes] = []
    for k, v in table.items():
        raw = k.encode("utf-8")
        out.append(bytes((len(raw),)) + raw)
        t = types.get(k)
        if t is None:
            t = infer_type(v)
        _encode_value(t, v, out)
    body = b"".join(out)
    return _IU.pack(len(body)) + body


def to_json(v: Any) -> Any:
    """A table value as RabbitMQ's management API shows it."""
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, Decimal):
        return float(v)
    return v
