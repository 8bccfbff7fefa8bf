"""What a compiled Lua 5.1 chunk can do, read from its bytecode (``string.dump``).

Redis checks for a script past busy-reply-threshold only in its count hook (luaMaskCountHook,
every 100,000 VM instructions).  A chunk with no loop (no backward jump, no numeric or
generic ``for``), no function of its own (no closure: no recursion, no callbacks it defines)
and no way to reach code compiled at run time (``loadstring``, ``load``, ``_G``) runs each
of its instructions at most once, and what it calls (the C and host libraries, the
sandbox's few Lua helpers) runs a bounded number of VM instructions per call: with a short
enough chunk the hook can never fire, so such a script can never become busy.  The host
runs those *brief* scripts without the machinery a busy script needs.
"""

from __future__ import annotations

import struct

# Lua 5.1 opcodes (lopcodes.h)
OP_GETGLOBAL = 5
OP_JMP = 22
OP_FORLOOP = 31
OP_FORPREP = 32
OP_TFORLOOP = 33
OP_CLOSURE = 36
_LOOPS = frozenset((OP_FORLOOP, OP_FORPREP, OP_TFORLOOP, OP_CLOSURE))
_MAXARG_SBX = (1 << 17) - 1
# the globals through which a script could reach code compiled at run time
_DYNAMIC = frozenset((b"loadstring", b"load", b"_G"))
# A brief chunk has at most this many instructions: each runs once and what it calls runs
# a few dozen VM instructions at most, far below the hook's 100,000.
MAX_BRIEF_CODE = 2000
# "\x1bLua", 5.1, official format, little-endian, int 4, size_t 8, Instruction 4,
# lua_Number 8, floating point
_HEADER = b"\x1bLua\x51\x00\x01\x04\x08\x04\x08\x00"


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("truncated chunk")
        part = self.data[self.pos : self.pos + n]
        self.pos += n
        return part

    def int32(self) -> int:
        return struct.unpack("<i", self.take(4))[0]

    def size(self) -> int:
        return struct.unpack("<Q", self.take(8))[0]

    def string(self) -> bytes:
        n = self.size()
        return self.take(n)[:-1] if n else b""


def is_brief(chunk: bytes) -> bool:
    """Whether the main function of a dumped chunk (``string.dump``) can never run long
    enough for the count hook to fire (see the module's text).  Anything unexpected in the
    dump answers False."""
    if not chunk.startswith(_HEADER):
        return False
    try:
        r = _Reader(chunk, len(_HEADER))
        r.string()  # source
        r.take(8 + 4)  # linedefined, lastlinedefined, nups, numparams, is_vararg, maxstack
        n = r.int32()
        if not 0 <= n <= MAX_BRIEF_CODE:
            return False
        code = struct.unpack(f"<{n}I", r.take(4 * n))
        constants: list[object] = []
        for _ in range(r.int32()):
            kind = r.take(1)[0]
            if kind == 0:
                constants.append(None)
            elif kind == 1:
                constants.append(r.take(1) != b"\x00")
            elif kind == 3:
                constants.append(struct.unpack("<d", r.take(8))[0])
            elif kind == 4:
                constants.append(r.string())
            else:
                return False
        if r.int32() != 0:  # functions of its own
            return False
    except (ValueError, struct.error):
        return False
    for ins in code:
        op = ins & 0x3F
        if op in _LOOPS:
            return False
        if op == OP_JMP and (ins >> 14) - _MAXARG_SBX < 0:  # a backward jump: a loop
            return False
        if op == OP_GETGLOBAL:
            bx = ins >> 14
            if bx >= len(constants) or constants[bx] in _DYNAMIC:
                return False
    return True
