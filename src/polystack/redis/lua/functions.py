"""Redis 7.0 functions (functions.c): libraries of named functions loaded with FUNCTION LOAD,
kept in a library context, dumped and restored as RDB payloads.

A library's code starts with the metadata line ``#!lua name=<library>``; running the code
registers its functions (``redis.register_function``).  Library names are case-sensitive,
function names are not (Redis's dictionaries compare them case-insensitively), and a function
name is unique across libraries.  The code runs in the FUNCTION engine's own Lua state
(:class:`~polystack.redis.lua.engine.LuaEngine` with ``functions=True``), separate from
EVAL's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from polystack.redis import rdb
from polystack.redis.conf import split_args
from polystack.redis.lua.bitstruct import Rand48
from polystack.redis.lua.engine import LuaEngine
from polystack.redis.lua.scripts import (
    ALLOW_CROSS_SLOT,
    ALLOW_OOM,
    ALLOW_STALE,
    NO_CLUSTER,
    NO_WRITES,
)

# scripts_flags_def, in Redis's order (FUNCTION LIST shows flags in this order)
FLAG_NAMES: tuple[tuple[bytes, int], ...] = (
    (b"no-writes", NO_WRITES),
    (b"allow-oom", ALLOW_OOM),
    (b"allow-stale", ALLOW_STALE),
    (b"no-cluster", NO_CLUSTER),
    (b"allow-cross-slot-keys", ALLOW_CROSS_SLOT),
)
_FLAG_BY_NAME = {name: bit for name, bit in FLAG_NAMES}
LOAD_TIMEOUT_MS = 500
OPCODE_FUNCTION2 = 245  # rdb.h's RDB_OPCODE_FUNCTION2
OPCODE_FUNCTION_PRE_GA = 246
_NAME_ERROR = (
    "Library names can only contain letters, numbers, or underscores(_) and must be at least "
    "one character long"
)


class FunctionError(ValueError):
    """A FUNCTION command's error text (without the ERR code)."""


@dataclass(slots=True, eq=False)
class FunctionInfo:
    name: bytes
    callback: Any
    description: bytes | None
    flags: int
    library: Library


@dataclass(slots=True, eq=False)
class Library:
    name: bytes
    code: bytes
    functions: dict[bytes, FunctionInfo] = field(default_factory=dict)  # by name, as given


def valid_name(name: bytes) -> bool:
    """functionsVerifyName: letters, digits and underscores, at least one."""
    return bool(name) and all(c == 0x5F or 0x30 <= c <= 0x39 or 0x41 <= (c & 0xDF) <= 0x5A
                              for c in name)  # fmt: skip


def parse_metadata(code: bytes) -> tuple[bytes, bytes, bytes]:
    """functionExtractLibMetaData: (engine, library name, code after the metadata line)."""
    if not code.startswith(b"#!"):
        raise FunctionError("Missing library metadata")
    end = code.find(b"\n")
    if end < 0:
        raise FunctionError("Invalid library metadata")
    parts = split_args(code[:end].decode("latin-1"))
    if not parts:
        raise FunctionError("Invalid library metadata")
    engine = parts[0][2:].encode("latin-1")
    name: bytes | None = None
    for part in parts[1:]:
        if part[:5].lower() == "name=":
            if name is not None:
                raise FunctionError(
                    "Invalid metadata value, name argument was given multiple times"
                )
            name = part[5:].encode("latin-1")
            continue
        raise FunctionError(f"Invalid metadata value given: {part}")
    if name is None:
        raise FunctionError("Library name was not given")
    return engine, name, code[end:]


class _Builder:
    """The library a FUNCTION LOAD is building (what redis.register_function adds to)."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def add(self, name: bytes, callback: Any, description: bytes | None, flags: list[bytes]):
        """functionLibCreateFunction."""
        bits = 0
        for f in flags:
            bit = _FLAG_BY_NAME.get(f.lower())
            if bit is None:
                raise ValueError("unknown flag given")
            bits |= bit
        if not valid_name(name):
            raise ValueError(_NAME_ERROR)  # Redis 7.0 words it so for function names too
        if name in self.library.functions:  # case-sensitive here, unlike across libraries
            raise ValueError("Function already exists in the library")
        self.library.functions[name] = FunctionInfo(name, callback, description, bits, self.library)


class LibraryContext:
    """functionsLibCtx: libraries by name and their functions by (case-insensitive) name."""

    def __init__(self) -> None:
        self.libraries: dict[bytes, Library] = {}
        self.functions: dict[bytes, FunctionInfo] = {}

    def link(self, lib: Library) -> None:
        self.libraries[lib.name] = lib
        for name, fi in lib.functions.items():
            self.functions.setdefault(name.lower(), fi)  # dictAdd: a same-name twin is lost

    def unlink(self, lib: Library) -> None:
        del self.libraries[lib.name]
        for name in lib.functions:
            self.functions.pop(name.lower(), None)

    def create(self, engine: LuaEngine, code: bytes, replace: bool, timeout_ms: int) -> Library:
        """functionsCreateWithLibraryCtx: compile ``code`` and link its library."""
        engine_name, name, body = parse_metadata(code)
        if not valid_name(name):
            raise FunctionError(_NAME_ERROR)
        if engine_name.upper() != b"LUA":
            raise FunctionError(f"Engine '{engine_name.decode('latin-1')}' not found")
        old = self.libraries.get(name)
        if old is not None and not replace:
            raise FunctionError(f"Library '{name.decode('latin-1')}' already exists")
        if old is not None:
            self.unlink(old)
        lib = Library(name, code)
        try:
            try:
                engine.load_library(body, _Builder(lib), timeout_ms)
            except ValueError as e:
                raise FunctionError(str(e)) from None
            if not lib.functions:
                raise FunctionError("No functions registered")
            for name, fi in lib.functions.items():
                if name.lower() in self.functions:
                    raise FunctionError(f"Function {fi.name.decode('latin-1')} already exists")
        except FunctionError:
            if old is not None:
                self.link(old)
            raise
        self.link(lib)
        return lib

    def join(self, src: LibraryContext, replace: bool) -> None:
        """libraryJoin: add ``src``'s libraries (FUNCTION RESTORE APPEND/REPLACE)."""
        replaced: list[Library] = []
        try:
            for name in src.libraries:
                old = self.libraries.get(name)
                if old is None:
                    continue
                if not replace:
                    raise FunctionError(f"Library {name.decode('latin-1')} already exists")
                self.unlink(old)
                replaced.append(old)
            for key, fi in src.functions.items():
                if key in self.functions:  # both keyed by lower-case name
                    raise FunctionError(f"Function {fi.name.decode('latin-1')} already exists")
        except FunctionError:
            for old in replaced:
                self.link(old)
            raise
        for lib in src.libraries.values():
            self.link(lib)


class Functions:
    """The server's functions: the FUNCTION engine and the current library context."""

    def __init__(self, rand: Rand48 | None = None, call: Callable | None = None) -> None:
        self.rand = rand if rand is not None else Rand48()
        self.engine = LuaEngine(self.rand, functions=True, call=call)
        self.ctx = LibraryContext()

    @property
    def libraries(self) -> dict[bytes, Library]:
        return self.ctx.libraries

    def get(self, name: bytes) -> FunctionInfo | None:
        return self.ctx.functions.get(name.lower())

    def load(self, code: bytes, replace: bool = False, timeout_ms: int = LOAD_TIMEOUT_MS) -> bytes:
        return self.ctx.create(self.engine, code, replace, timeout_ms).name

    def delete(self, name: bytes) -> None:
        lib = self.ctx.libraries.get(name)
        if lib is None:
            raise FunctionError("Library not found")
        self.ctx.unlink(lib)

    def flush(self) -> None:
        self.ctx = LibraryContext()

    def codes(self) -> list[bytes]:
        """Each library's code (what an RDB file or a snapshot keeps)."""
        return [lib.code for lib in self.ctx.libraries.values()]

    def load_codes(self, codes: list[bytes]) -> None:
        """Libraries read back from a file (no timeout: as a replica or AOF load runs)."""
        for code in codes:
            self.ctx.create(self.engine, code, True, 0)

    # -- FUNCTION DUMP / RESTORE -----------------------------------------------------------
    def dump(self, compress: bool = True) -> bytes:
        """functionDumpCommand: each library as RDB_OPCODE_FUNCTION2 + its code, then the
        RDB version and CRC64."""
        body = b"".join(
            bytes((OPCODE_FUNCTION2,)) + rdb.save_string(code, compress) for code in self.codes()
        )
        body += rdb.RDB_VERSION.to_bytes(2, "little")
        return body + rdb.crc64(body).to_bytes(8, "little")

    def restore(self, payload: bytes, policy: str) -> None:
        """functionRestoreCommand; ``policy`` is "append", "replace" or "flush"."""
        if not rdb.verify_payload(payload):
            raise FunctionError("DUMP payload version or checksum are wrong")
        reader = rdb.Reader(payload)
        ctx = LibraryContext()
        while len(payload) - reader.pos > 10:
            try:
                t = reader.byte()
            except rdb.RDBError:
                raise FunctionError("can not read data type") from None
            if t == OPCODE_FUNCTION_PRE_GA:
                raise FunctionError("Pre-GA function format not supported")
            if t != OPCODE_FUNCTION2:
                raise FunctionError("given type is not a function")
            try:
                code = reader.load_string()
            except rdb.RDBError:
                raise FunctionError("Failed loading library payload") from None
            ctx.create(self.engine, code, False, 0)
        if policy == "flush":
            self.ctx = ctx
        else:
            self.ctx.join(ctx, policy == "replace")

    def stats(self) -> tuple[int, int]:
        """(libraries, functions) of the Lua engine."""
        return len(self.ctx.libraries), len(self.ctx.functions)
