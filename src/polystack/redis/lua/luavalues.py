"""Lua 5.1 values and operations in Python, for brief scripts translated to Python (see
translate.py): exactly what Lua's VM does with them, errors included.

Values: nil is None, booleans are True and False, numbers are floats (Lua 5.1's numbers are
C doubles: the same IEEE arithmetic), strings are bytes, tables are :class:`Table` (a
translated script never builds one: they come from KEYS, ARGV and command replies, and
never change), and a function value a script can hold (``redis.call``, a string library
function reached by indexing a string) is a :class:`Function`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from polystack.redis import wire
from polystack.redis.errors import RedisError

_INF = math.inf
_NAN = _INF - _INF  # the processor's default NaN, as C's 0.0/0.0 gives it (sign bit set)
_LLONG = 9223372036854775808.0


class Table:
    """A Lua table as a translated script can meet one: items 1..n (``arr``) and string
    keys (``h``: ``ok``/``err`` of status and error replies)."""

    __slots__ = ("arr", "h")

    def __init__(self, arr: list, h: dict | None = None) -> None:
        self.arr = arr
        self.h = h


class Function:
    """A function value (only redis.call and redis.pcall are ever called)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


CALL = Function("redis.call")
PCALL = Function("redis.pcall")
STRING_FUNCTIONS: dict[bytes, Function] = {}  # filled by the translator from the Lua state


class CallSite:
    """A ``redis.call``/``redis.pcall`` of a translated script whose command name is a
    constant: the command is looked up once per command table (``table``, ``cmd``: None
    when the generic path must word a refusal: unknown, subcommands, noscript, arity).
    The translated script calls ``fn(run, site, argv)``: the host's ``site_call`` until the
    site resolves to a command whose common case has a function of its own."""

    __slots__ = ("name", "argc", "pcall", "line", "table", "cmd", "inline", "fn")

    def __init__(self, name: bytes, argc: int, pcall: bool, line: int) -> None:
        self.name = name
        self.argc = argc
        self.pcall = pcall
        self.line = line
        self.table: Any = None
        self.cmd: Any = None
        self.inline: Any = None  # the command's common case run inline (scriptrun._INLINE)
        self.fn: Any = None  # (set by translate.translate and the host's site_call)


class Failure(Exception):
    """A Lua error in a translated script: ``text`` is the error object's ``err`` text."""

    def __init__(self, text: str, line: int) -> None:
        super().__init__(text)
        self.text = text
        self.line = line

    def reply(self, funcname: bytes) -> bytes:
        """The error reply text (error_text of the prelude)."""
        msg = f"{self.text} script: {funcname.decode()}, on @user_script:{self.line}."
        return _flat(msg.encode("utf-8", "surrogateescape"))


class CallError(Exception):
    """redis.call failed: ``text`` is the error table's ``err``."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _flat(s: bytes) -> bytes:
    return s.replace(b"\r", b" ").replace(b"\n", b" ")


def type_name(v: Any) -> str:
    if v is None:
        return "nil"
    t = type(v)
    if t is bool:
        return "boolean"
    if t is float:
        return "number"
    if t is bytes:
        return "string"
    if t is Table:
        return "table"
    return "function"


# -- numbers and strings -------------------------------------------------------------------
_SPACE = b" \t\n\v\f\r"
_DECIMAL = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_HEX = re.compile(
    rb"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?\Z"
)
_SPECIAL = re.compile(rb"([+-]?)(?:(inf(?:inity)?)|nan(?:\([0-9A-Za-z_]*\))?)\Z", re.IGNORECASE)


def str2number(s: bytes) -> float | None:
    """luaO_str2d with glibc's strtod: the C string (up to a NUL), surrounding white space
    allowed; decimal, hexadecimal (with p exponents), inf/infinity, nan(...)."""
    cut = s.find(b"\0")
    if cut >= 0:
        s = s[:cut]
    s = s.strip(_SPACE)
    if _DECIMAL.match(s):
        return float(s)
    if _HEX.match(s):
        try:
            return float.fromhex(s.decode())
        except OverflowError:
            return -_INF if s.startswith(b"-") else _INF
    m = _SPECIAL.match(s)
    if m:
        v = _INF if m.group(2) else math.copysign(math.nan, 1.0)
        return -v if m.group(1) == b"-" else v
    return None


def tonumber(v: Any) -> float | None:
    """luaV_tonumber: numbers, and strings that read as numbers."""
    t = type(v)
    if t is float:
        return v
    if t is bytes:
        return str2number(v)
    return None


def _g(fmt: bytes, n: float) -> bytes:
    if n != n:  # glibc prints the NaN's sign
        return b"-nan" if math.copysign(1.0, n) < 0 else b"nan"
    return fmt % n


def number_text(n: float) -> bytes:
    """tostring of a number (LUA_NUMBER_FMT "%.14g")."""
    return _g(b"%.14g", n)


def argument_text(n: float) -> bytes:
    """A number given to redis.call (luaArgsToRedisArgv: "%.17g")."""
    return _g(b"%.17g", n)


def fdiv(a: float, b: float) -> float:
    """a / b with IEEE semantics (a zero divisor gives inf, -inf or NaN)."""
    if b:
        return a / b
    if a != a:
        return a
    if a == 0:
        return _NAN
    return _INF if (a > 0) == (math.copysign(1.0, b) > 0) else -_INF


def fmod(a: float, b: float) -> float:
    """luai_nummod: a - floor(a / b) * b."""
    q = fdiv(a, b)
    if q - q == 0 and q:  # finite (floor keeps a zero's sign)
        q = float(math.floor(q))
    return a - q * b


# -- errors ----------------------------------------------------------------------------------
class Site:
    """What an instruction's runtime error says: its line and how each of its register
    operands is named (getobjname: "local 'n'", "global 'x'", "field 'y'"; None when no
    name is known or the operand is a constant)."""

    __slots__ = ("line", "names")

    def __init__(self, line: int, names: tuple) -> None:
        self.line = line
        self.names = names


def type_error(site: Site, which: int, v: Any, op: str) -> Failure:
    """luaG_typeerror for operand ``which`` of the instruction."""
    name = site.names[which]
    t = type_name(v)
    if name is not None:
        msg = f"attempt to {op} {name} (a {t} value)"
    else:
        msg = f"attempt to {op} a {t} value"
    return runtime_error(site.line, msg)


def runtime_error(line: int, msg: str) -> Failure:
    """luaG_runerror in the script: the position first; the error handler adds ERR."""
    return Failure(f"ERR user_script:{line}: {msg}", line)


def arith(op: int, a: Any, b: Any, site: Site) -> float:
    """Arith with string coercion (ADD SUB MUL DIV MOD; UNM as op 5 with b = a)."""
    x = tonumber(a)
    y = tonumber(b)
    if x is None or y is None:
        raise type_error(site, 0 if x is None else 1, a if x is None else b,
                         "perform arithmetic on")  # fmt: skip
    if op == 0:
        return x + y
    if op == 1:
        return x - y
    if op == 2:
        return x * y
    if op == 3:
        return fdiv(x, y)
    if op == 4:
        return fmod(x, y)
    return -x


def less(a: Any, b: Any, site: Site, equal: bool) -> bool:
    """luaV_lessthan / luaV_lessequal: numbers or strings, else luaG_ordererror."""
    ta = type(a)
    if ta is type(b) and (ta is float or ta is bytes):
        return a <= b if equal else a < b
    t1, t2 = type_name(a), type_name(b)
    if t1 == t2:
        raise runtime_error(site.line, f"attempt to compare two {t1} values")
    raise runtime_error(site.line, f"attempt to compare {t1} with {t2}")


def equal(a: Any, b: Any) -> bool:
    """luaV_equalobj without metamethods (no table a script sees has one)."""
    t = type(a)
    if t is not type(b):
        return False
    if t is float or t is bytes:
        return a == b
    return a is b


def index(base: Any, key: Any, site: Site) -> Any:
    """GETTABLE: a table's raw get; a string's methods (its metatable's __index); any
    other value cannot be indexed."""
    t = type(base)
    if t is Table:
        tk = type(key)
        if tk is float:
            arr = base.arr
            if 1 <= key <= len(arr) and key == int(key):
                return arr[int(key) - 1]
            return None
        if tk is bytes:
            h = base.h
            return None if h is None else h.get(key)
        return None
    if t is bytes:
        if type(key) is bytes:
            return STRING_FUNCTIONS.get(key)
        return None
    raise type_error(site, 0, base, "index")


def length(v: Any, site: Site) -> float:
    t = type(v)
    if t is bytes:
        return float(len(v))
    if t is Table:
        return float(len(v.arr))
    raise type_error(site, 0, v, "get length of")


def concat(values: tuple, site: Site) -> bytes:
    """luaV_concat: right to left; the first value (from the right) that is neither a
    string nor a number is blamed, or its left neighbour's partner as concaterror picks."""
    parts = []
    n = len(values)
    for i in range(n - 1, -1, -1):
        v = values[i]
        t = type(v)
        if t is bytes:
            parts.append(v)
        elif t is float:
            parts.append(number_text(v))
        else:
            if i == n - 1:  # (top-2, top-1): blame the left one unless it is a string
                left = values[i - 1]
                if type(left) in (bytes, float):
                    raise type_error(site, i, v, "concatenate")
                raise type_error(site, i - 1, left, "concatenate")
            raise type_error(site, i, v, "concatenate")
    parts.reverse()
    return b"".join(parts)


# -- replies ---------------------------------------------------------------------------------
def from_reply(value: Any) -> Any:
    """A command's reply as the Lua value redis.call returns (RESP2: redisProtocolToLuaType,
    as LuaEngine.to_lua makes it)."""
    t = type(value)
    if t is bytes:
        return value
    if t is int:
        return float(value)
    if value is None or value is wire.NULL_ARRAY:
        return False
    if t is wire.Simple:
        return Table([], {b"ok": bytes(value)})
    if t is list or t is tuple or t is wire.Push:
        return Table([from_reply(v) for v in value])
    if t is bool:
        return float(value)
    if t is float:
        return wire.format_double(value)
    if t is dict:
        flat: list = []
        for k, v in value.items():
            flat += [from_reply(k), from_reply(v)]
        return Table(flat)
    if t is set or t is frozenset:
        return Table([from_reply(v) for v in value])
    if t is wire.Verbatim or t is wire.BigNumber:
        return bytes(value)
    if t is wire.Raw:
        return from_reply(wire.decode_reply(bytes(value)))
    if isinstance(value, RedisError):
        return error_table(f"{value.code} {value.message}")
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, int):
        return float(int(value))
    return None


def error_table(text: str) -> Table:
    return Table([], {b"err": text.strip("\r\n").encode("utf-8", "surrogateescape")})


# result() of the numbers a script most often returns (counters, flags): formatting a
# float with %d costs more than this lookup
INTEGER_RESULT = {float(i): (0, b":%d\r\n" % i) for i in range(-1, 1024)}


def _int_text(n: float) -> bytes:
    if n != n or n >= _LLONG or n < -_LLONG:
        return b"-9223372036854775808"
    return b"%d" % int(n)


def result(v: Any, caller3: bool) -> tuple[int, bytes]:
    """The script's result as (kind, payload), as the prelude's run() answers."""
    t = type(v)
    if t is float:
        return 0, b":" + _int_text(v) + b"\r\n"
    if t is bytes:
        return 0, b"$%d\r\n%b\r\n" % (len(v), v)
    if t is Table and v.h is not None:
        e = v.h.get(b"err")
        if type(e) is bytes:
            return 1, _flat(e)
    out: list[bytes] = []
    _to_resp(v, out, caller3)
    return 0, b"".join(out)


def _to_resp(v: Any, out: list[bytes], caller3: bool) -> None:
    t = type(v)
    if t is bytes:
        out.append(b"$%d\r\n%b\r\n" % (len(v), v))
    elif t is float:
        out.append(b":" + _int_text(v) + b"\r\n")
    elif t is bool:
        if v:
            out.append(b":1\r\n")
        else:
            out.append(b"_\r\n" if caller3 else b"$-1\r\n")
    elif t is Table:
        h = v.h
        if h is not None:
            f = h.get(b"err")
            if type(f) is bytes:
                out.append(b"-" + _flat(f) + b"\r\n")
                return
            f = h.get(b"ok")
            if type(f) is bytes:
                out.append(b"+" + _flat(f) + b"\r\n")
                return
        out.append(b"*%d\r\n" % len(v.arr))
        for item in v.arr:
            _to_resp(item, out, caller3)
    else:
        out.append(b"_\r\n" if caller3 else b"$-1\r\n")
