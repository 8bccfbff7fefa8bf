"""Brief scripts (lua/bytecode.py) translated from Lua 5.1 bytecode into Python functions.

A cached script whose chunk is brief and uses only what this module covers runs as a
Python function: ``redis.call`` goes straight to the command handlers, with no crossing
into Lua and back.  What it covers, exactly as Lua's VM does it (luavalues.py):

- MOVE LOADK LOADBOOL LOADNIL, GETTABLE, EQ LT LE TEST TESTSET JMP, ADD SUB MUL DIV MOD UNM
  NOT LEN CONCAT, RETURN;
- the globals KEYS and ARGV, ``redis.call`` and ``redis.pcall`` called as such (CALL and
  TAILCALL of a register that holds them on every path), and a global the sandbox does not
  have (the script fails with the sandbox's error).

Any other instruction (a table built, POW, SELF, a call of anything else, VARARG ...) or any
other global (``tonumber``, ``string``, ``cjson`` ...) leaves the script to Lua, as does a
chunk whose debug section is not as expected.  The translation is decided once, when the
script is cached; at run time every value and operation is covered, so a translated script
never needs Lua.
"""

from __future__ import annotations

import struct
from typing import Any

from polystack.redis.lua import luavalues as lv
from polystack.redis.lua.bytecode import _HEADER, _Reader

# Lua 5.1 opcodes (lopcodes.h)
(MOVE, LOADK, LOADBOOL, LOADNIL, GETUPVAL, GETGLOBAL, GETTABLE, SETGLOBAL, SETUPVAL,
 SETTABLE, NEWTABLE, SELF, ADD, SUB, MUL, DIV, MOD, POW, UNM, NOT, LEN, CONCAT, JMP, EQ,
 LT, LE, TEST, TESTSET, CALL, TAILCALL, RETURN, FORLOOP, FORPREP, TFORLOOP, SETLIST, CLOSE,
 CLOSURE, VARARG) = range(38)  # fmt: skip
# testAMode of lopcodes.c's opmodes: the instruction sets register A
_SETS_A = frozenset((MOVE, LOADK, LOADBOOL, LOADNIL, GETUPVAL, GETGLOBAL, GETTABLE, NEWTABLE,
                     SELF, ADD, SUB, MUL, DIV, MOD, POW, UNM, NOT, LEN, CONCAT, TEST, TESTSET,
                     CALL, TAILCALL, FORLOOP, FORPREP, CLOSURE, VARARG))  # fmt: skip
_ARITH = {ADD: 0, SUB: 1, MUL: 2, DIV: 3, MOD: 4}
_ARITH_OP = {ADD: "+", SUB: "-", MUL: "*"}
_BITRK = 256
_MAXARG_SBX = (1 << 17) - 1


class Untranslatable(Exception):
    """The chunk uses something the translator does not cover."""


class Proto:
    """A main function read from a dump (ldump.c's DumpFunction)."""

    __slots__ = ("code", "k", "lineinfo", "locvars", "maxstack")

    def __init__(self, chunk: bytes) -> None:
        if not chunk.startswith(_HEADER):
            raise Untranslatable("header")
        r = _Reader(chunk, len(_HEADER))
        r.string()  # source
        r.take(8)  # linedefined, lastlinedefined
        nups, _, _, self.maxstack = r.take(4)
        if nups:
            raise Untranslatable("upvalues")
        n = r.int32()
        self.code = struct.unpack(f"<{n}I", r.take(4 * n))
        self.k: list[Any] = []
        for _ in range(r.int32()):
            kind = r.take(1)[0]
            if kind == 0:
                self.k.append(None)
            elif kind == 1:
                self.k.append(r.take(1) != b"\x00")
            elif kind == 3:
                self.k.append(struct.unpack("<d", r.take(8))[0])
            elif kind == 4:
                self.k.append(r.string())
            else:
                raise Untranslatable("constant")
        if r.int32():
            raise Untranslatable("functions")
        n = r.int32()
        self.lineinfo = struct.unpack(f"<{n}i", r.take(4 * n))
        if n != len(self.code):
            raise Untranslatable("no line info")
        self.locvars: list[tuple[bytes, int, int]] = []
        for _ in range(r.int32()):
            name = r.string()
            self.locvars.append((name, r.int32(), r.int32()))


def _decode(i: int) -> tuple[int, int, int, int, int]:
    """(op, A, B, C, Bx) of an instruction (sBx is Bx - MAXARG_sBx)."""
    return i & 0x3F, (i >> 6) & 0xFF, (i >> 23) & 0x1FF, (i >> 14) & 0x1FF, i >> 14


# -- getobjname (ldebug.c) -----------------------------------------------------------------------
def _local_name(p: Proto, n: int, pc: int) -> bytes | None:
    """luaF_getlocalname: the name of the n-th (1-based) active local at pc."""
    for name, start, end in p.locvars:
        if start > pc:
            break
        if pc < end:
            n -= 1
            if n == 0:
                return name
    return None


def _symbexec(p: Proto, lastpc: int, reg: int) -> int:
    """The last instruction before ``lastpc`` that changed ``reg`` (symbexec, tracing)."""
    last = len(p.code) - 1
    pc = 0
    while pc < lastpc:
        op, a, b, c, bx = _decode(p.code[pc])
        if op in _SETS_A and a == reg:
            last = pc
        if op == LOADNIL and a <= reg <= b:
            last = pc
        elif op == SELF and reg == a + 1:
            last = pc
        elif op in (JMP, FORLOOP, FORPREP):
            dest = pc + 1 + bx - _MAXARG_SBX
            if pc < dest <= lastpc:
                pc = dest - 1
        elif op in (CALL, TAILCALL) and reg >= a:
            last = pc
        elif op == TFORLOOP and reg >= a + 2:
            last = pc
        pc += 1
    return p.code[last]


def _kname(p: Proto, c: int) -> str:
    if c & _BITRK and type(p.k[c & ~_BITRK]) is bytes:
        return _text(p.k[c & ~_BITRK])
    return "?"


def _text(s: bytes) -> str:
    return s.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def objname(p: Proto, pc: int, reg: int) -> str | None:
    """getobjname: "local 'n'", "global 'x'", "field 'y'", "method 'm'" or None."""
    name = _local_name(p, reg + 1, pc)
    if name is not None:
        return f"local '{_text(name)}'"
    op, a, b, c, bx = _decode(_symbexec(p, pc, reg))
    if op == GETGLOBAL:
        return f"global '{_text(p.k[bx])}'"
    if op == MOVE:
        return objname(p, pc, b) if b < a else None
    if op == GETTABLE:
        return f"field '{_kname(p, c)}'"
    if op == GETUPVAL:
        return "upvalue '?'"
    if op == SELF:
        return f"method '{_kname(p, c)}'"
    return None


# -- the translation -------------------------------------------------------------------------
def _writes(p: Proto, pc: int, reg: int) -> bool:
    """Whether the instruction at pc may change register ``reg``."""
    op, a, b, c, _ = _decode(p.code[pc])
    if op == LOADNIL:
        return a <= reg <= b
    if op in (CALL, TAILCALL, TFORLOOP):
        return reg >= a
    if op == SELF and reg == a + 1:
        return True
    return op in _SETS_A and a == reg


class _Translator:
    def __init__(self, p: Proto, script_globals: frozenset[bytes]) -> None:
        self.p = p
        self.globals = script_globals
        self.consts: dict[str, Any] = {}
        self.lines: list[str] = []
        self.needs: set[str] = set()
        self.targets: dict[int, int] = {}  # jump target -> jumps landing there
        self.jumps_into: list[tuple[int, int]] = []  # (from, to)
        self.leaders: set[int] = set()  # where blocks start: jump targets, after a block end
        self.ended = False

    # helpers
    def const(self, value: Any) -> str:
        name = f"k{len(self.consts)}"
        self.consts[name] = value
        return name

    def rk(self, x: int) -> str:
        if x & _BITRK:
            v = self.p.k[x & ~_BITRK]
            if v is None or type(v) is bool:
                return repr(v)
            return self.const(v)
        return f"r{x}"

    def rk_value(self, x: int) -> tuple[bool, Any]:
        if x & _BITRK:
            return True, self.p.k[x & ~_BITRK]
        return False, None

    def site(self, pc: int, regs: tuple[int | None, ...]) -> str:
        names = tuple(None if r is None or r & _BITRK else objname(self.p, pc, r) for r in regs)
        return self.const(lv.Site(self.p.lineinfo[pc], names))

    def emit(self, text: str) -> None:
        self.lines.append("        " + text)

    # control flow
    def scan(self) -> None:
        code = self.p.code
        for pc, ins in enumerate(code):
            op, a, b, c, bx = _decode(ins)
            dests = []
            if op == JMP:
                dests.append(pc + 1 + bx - _MAXARG_SBX)
            elif op in (EQ, LT, LE, TEST, TESTSET):
                if pc + 1 >= len(code) or code[pc + 1] & 0x3F != JMP:
                    raise Untranslatable("test without jump")
                dests.append(pc + 2)
            elif op == LOADBOOL and c:
                dests.append(pc + 2)
            for d in dests:
                if not pc < d < len(code):
                    raise Untranslatable("jump")
                self.targets[d] = self.targets.get(d, 0) + 1
                self.jumps_into.append((pc, d))

    def function_of(self, pc: int, reg: int) -> lv.Function:
        """The function a CALL at pc calls: redis.call or redis.pcall, proven on every
        path (the last write of the register is the fused GETGLOBAL redis + GETTABLE,
        nothing jumps past it to the call), or Untranslatable."""
        g = pc - 1
        while g >= 0 and not _writes(self.p, g, reg):
            g -= 1
        if g < 1:
            raise Untranslatable("call")
        op, a, b, c, _ = _decode(self.p.code[g])
        op0, a0, _, _, bx0 = _decode(self.p.code[g - 1])
        if not (op == GETTABLE and a == b == reg and op0 == GETGLOBAL and a0 == reg):
            raise Untranslatable("call")
        if self.p.k[bx0] != b"redis" or g in self.targets:
            raise Untranslatable("call")
        for src, dst in self.jumps_into:
            if src < g - 1 < dst <= pc:
                raise Untranslatable("call")
        fn = (
            {b"call": lv.CALL, b"pcall": lv.PCALL}.get(self.p.k[c & ~_BITRK])
            if c & _BITRK
            else None
        )
        if fn is None:
            raise Untranslatable("call")
        return fn

    def constant_string(self, pc: int, reg: int) -> bytes | None:
        """The string constant register ``reg`` holds at pc on every path (its last write
        is a LOADK of a string, and nothing jumps past that write to pc), or None."""
        d = pc - 1
        while d >= 0 and not _writes(self.p, d, reg):
            d -= 1
        if d < 0:
            return None
        op, a, _, _, bx = _decode(self.p.code[d])
        if op != LOADK or type(self.p.k[bx]) is not bytes:
            return None
        if any(src < d < dst <= pc for src, dst in self.jumps_into):
            return None
        return self.p.k[bx]

    def translate(self) -> str:
        self.scan()
        code = self.p.code
        out = self.lines
        skip_next = False
        top: int | None = None  # the open stack top a multret call left (its register + 1)
        self.leaders = set(self.targets)
        self.ended = False
        for pc, ins in enumerate(code):
            op, a, b, c, bx = _decode(ins)
            if skip_next:
                skip_next = False
                if pc not in self.targets:  # (a JMP only reached through the test before it)
                    continue
            if pc == 0:
                out.append("    if True:")
            elif pc in self.leaders:
                if not self.ended:  # (falls through into a block of its own)
                    self.emit(f"L = {pc}")
                out.append(f"    if L == {pc}:")
                self.ended = False
            open_top, top = top, None
            line = self.p.lineinfo[pc]
            if op == MOVE:
                self.emit(f"r{a} = r{b}")
            elif op == LOADK:
                self.emit(f"r{a} = {self.const(self.p.k[bx])}")
            elif op == LOADBOOL:
                self.emit(f"r{a} = {bool(b)}")
                if c:
                    self.emit(f"L = {pc + 2}")
                    self.end_block(pc)
            elif op == LOADNIL:
                self.emit(" = ".join(f"r{i}" for i in range(a, b + 1)) + " = None")
            elif op == GETGLOBAL:
                name = self.p.k[bx]
                nxt = _decode(code[pc + 1]) if pc + 1 < len(code) else None
                fused = (
                    nxt is not None and nxt[0] == GETTABLE and nxt[1] == nxt[2] == a
                    and pc + 1 not in self.targets
                )  # fmt: skip
                if name == b"redis":
                    if not fused or nxt is None:
                        raise Untranslatable("redis")
                    key = self.p.k[nxt[3] & ~_BITRK] if nxt[3] & _BITRK else None
                    if key not in (b"call", b"pcall"):
                        raise Untranslatable("redis." + str(key))
                    # (the function value itself is never read: the call's result replaces
                    # it, and the compiler frees the register once the call is made)
                    # (nor stored: the call sets the register)
                    skip_next = True
                elif name in (b"KEYS", b"ARGV"):
                    lst = "K" if name == b"KEYS" else "A"
                    is_k, kv = self.rk_value(nxt[3]) if fused and nxt else (False, None)
                    if fused and is_k:
                        if type(kv) is float and kv.is_integer() and kv >= 1:
                            i = int(kv)  # (KEYS are argv[3 : 3 + nk], ARGV argv[3 + nk :])
                            if lst == "K":
                                have = "nk" if i == 1 else f"nk >= {i}"
                                self.emit(f"r{a} = argv[{i + 2}] if {have} else None")
                            else:
                                at = f"nk + {i + 2}"
                                self.emit(f"r{a} = argv[{at}] if len(argv) > {at} else None")
                        else:
                            self.emit(f"r{a} = None")
                        skip_next = True
                    else:
                        self.needs.add(lst)
                        self.emit(f"r{a} = T{lst}")
                elif name in self.globals:
                    raise Untranslatable("global " + _text(name))
                else:
                    msg = f"Script attempted to access nonexistent global variable '{_text(name)}'"
                    self.emit(f"raise runtime_error({line}, {msg!r})")
            elif op == GETTABLE:
                self.emit(f"r{a} = index(r{b}, {self.rk(c)}, {self.site(pc, (b,))})")
            elif op in _ARITH:
                x, y = self.rk(b), self.rk(c)
                s = self.site(pc, (b, c))
                checks = (
                    " and ".join(
                        f"{v}.__class__ is float"
                        for v, r in ((x, b), (y, c))
                        if not (r & _BITRK and type(self.p.k[r & ~_BITRK]) is float)
                    )
                    or "True"
                )
                if op in _ARITH_OP:
                    fast = f"{x} {_ARITH_OP[op]} {y}"
                elif op == DIV:
                    fast = f"fdiv({x}, {y})"
                else:
                    fast = f"fmod({x}, {y})"
                self.emit(f"r{a} = {fast} if {checks} else arith({_ARITH[op]}, {x}, {y}, {s})")
            elif op == UNM:
                s = self.site(pc, (b, b))
                self.emit(f"r{a} = -r{b} if r{b}.__class__ is float else arith(5, r{b}, r{b}, {s})")
            elif op == NOT:
                self.emit(f"r{a} = r{b} is None or r{b} is False")
            elif op == LEN:
                self.emit(f"r{a} = length(r{b}, {self.site(pc, (b,))})")
            elif op == CONCAT:
                regs = tuple(range(b, c + 1))
                vals = ", ".join(f"r{r}" for r in regs)
                self.emit(f"r{a} = concat(({vals}), {self.site(pc, regs)})")
            elif op == JMP:
                self.emit(f"L = {pc + 1 + bx - _MAXARG_SBX}")
                self.end_block(pc)
            elif op in (EQ, LT, LE):
                self.compare(pc, op, a, b, c)
                skip_next = True
            elif op in (TEST, TESTSET):
                jmp = _decode(code[pc + 1])
                target = pc + 2 + jmp[4] - _MAXARG_SBX
                src = f"r{b}" if op == TESTSET else f"r{a}"
                falsy = f"{src} is None or {src} is False"
                # the JMP runs when the value's truth is C
                self.emit(f"if {'not ' if c else ''}({falsy}):")
                if op == TESTSET:
                    self.emit(f"    r{a} = r{b}")
                self.emit(f"    L = {target}")
                self.emit("else:")
                self.emit(f"    L = {pc + 2}")
                self.end_block(pc)
                skip_next = True
            elif op in (CALL, TAILCALL):
                fn = self.function_of(pc, a)
                if b == 0:
                    if open_top is None or pc in self.targets:
                        raise Untranslatable("open call")
                    args = [f"r{r}" for r in range(a + 1, open_top)]
                else:
                    args = [f"r{r}" for r in range(a + 1, a + b)]
                callee = "call" if fn is lv.CALL else "pcall"
                name = self.constant_string(pc, a + 1) if b else None
                generic = f"{callee}(run, {', '.join(args)})"
                self.emit("try:")
                if name is not None:  # (the command known: CallSite)
                    dynamic = [v for v in args[1:] if self.constant_string(pc, int(v[1:])) is None]
                    site = self.const(lv.CallSite(name, len(args), fn is lv.PCALL, line))
                    argv = f"[{', '.join(args)}]"
                    check = " and ".join(f"{v}.__class__ is bytes" for v in dynamic)
                    if check:
                        self.emit(f"    if {check}:")
                        self.emit(f"        r{a} = {site}.fn(run, {site}, {argv})")
                        self.emit("    else:")
                        self.emit(f"        r{a} = {generic}")
                    else:
                        self.emit(f"    r{a} = {site}.fn(run, {site}, {argv})")
                else:
                    self.emit(f"    r{a} = {generic}")
                self.emit("except CallError as e:")
                self.emit(f"    raise Failure(e.text, {line}) from None")
                if c == 0 or op == TAILCALL:
                    top = a + 1
                elif c > 2:
                    self.emit(" = ".join(f"r{r}" for r in range(a + 1, a + c - 1)) + " = None")
            elif op == RETURN:
                if b == 0:
                    if open_top != a + 1 or pc in self.targets:
                        raise Untranslatable("open return")
                    self.emit(f"return result(r{a}, caller3)")
                elif b == 1:
                    self.emit("return result(None, caller3)")
                else:
                    self.emit(f"if r{a}.__class__ is float:")  # (an integer reply)
                    self.emit(f"    if r{a} in INTEGER_RESULT:")
                    self.emit(f"        return INTEGER_RESULT[r{a}]")
                    self.emit(f"    if -LLONG <= r{a} < LLONG:")
                    self.emit(f"        return 0, b':%d\\r\\n' % r{a}")
                    self.emit(f"return result(r{a}, caller3)")
                self.end_block(pc)
            else:
                raise Untranslatable(f"opcode {op}")
        registers = ", ".join(f"r{i}" for i in range(self.p.maxstack)) or "_"
        head = [
            "def script(run, argv, nk, caller3):",
            f"    {registers} = {(None,) * max(self.p.maxstack, 1)}",
            "    L = 0",
        ]
        if "K" in self.needs:
            head.append("    TK = Table(argv[3 : 3 + nk])")
        if "A" in self.needs:
            head.append("    TA = Table(argv[3 + nk :])")
        return "\n".join(head + out) + "\n"

    def end_block(self, pc: int) -> None:
        """The block ends at pc (its successor is in L): the next instruction starts a
        block of its own, reached only when L names it."""
        self.ended = True
        if pc + 1 < len(self.p.code):
            self.leaders.add(pc + 1)

    def compare(self, pc: int, op: int, a: int, b: int, c: int) -> None:
        """EQ/LT/LE A B C: if (RK(B) op RK(C)) ~= A then skip the JMP that follows."""
        jmp = _decode(self.p.code[pc + 1])
        target = pc + 2 + jmp[4] - _MAXARG_SBX
        x, y = self.rk(b), self.rk(c)
        kb, vb = self.rk_value(b)
        kc, vc = self.rk_value(c)
        if op == EQ:
            if kb and kc:
                cond = repr(lv.equal(vb, vc))
            elif kb or kc:
                reg, v, name = (y, vb, x) if kb else (x, vc, y)
                if v is None or type(v) is bool:
                    cond = f"{reg} is {v!r}"
                elif type(v) is bytes:
                    cond = f"{reg} == {name}"
                else:
                    cond = f"({reg}.__class__ is float and {reg} == {name})"
            else:
                cond = f"equal({x}, {y})"
        else:
            s = self.site(pc, (b, c))
            sym = "<=" if op == LE else "<"
            both = " and ".join(f"{v}.__class__ is float" for v, k in ((x, kb), (y, kc)) if not k)
            if (kb and type(vb) is not float) or (kc and type(vc) is not float):
                cond = f"less({x}, {y}, {s}, {op == LE})"
            else:
                cond = (f"({x} {sym} {y} if {both or 'True'} else "
                        f"less({x}, {y}, {s}, {op == LE}))")  # fmt: skip
        # the JMP runs when the comparison's outcome equals A
        self.emit(f"if {cond}:")
        self.emit(f"    L = {target if a else pc + 2}")
        self.emit("else:")
        self.emit(f"    L = {pc + 2 if a else target}")
        self.end_block(pc)


_NAMESPACE = {
    "LLONG": 9223372036854775808.0,
    "INTEGER_RESULT": lv.INTEGER_RESULT,
    "CALL": lv.CALL,
    "PCALL": lv.PCALL,
    "CallError": lv.CallError,
    "Failure": lv.Failure,
    "Table": lv.Table,
    "arith": lv.arith,
    "concat": lv.concat,
    "equal": lv.equal,
    "fdiv": lv.fdiv,
    "fmod": lv.fmod,
    "index": lv.index,
    "length": lv.length,
    "less": lv.less,
    "result": lv.result,
    "runtime_error": lv.runtime_error,
}


def source(chunk: bytes, script_globals: frozenset[bytes]) -> str:
    """The Python source of a brief chunk's function, or raise Untranslatable."""
    t = _Translator(Proto(chunk), script_globals)
    return t.translate()


def translate(chunk: bytes, script_globals: frozenset[bytes], host: dict[str, Any]) -> Any:
    """``script(run, argv, nk, caller3) -> (kind, payload)`` for a brief chunk
    (``string.dump``), as the prelude's run() answers, called with the EVALSHA request
    (``argv``: its keys are ``argv[3 : 3 + nk]``, its arguments what follows them); None
    when the chunk uses anything
    not covered.  ``script_globals`` are the sandbox's global names; ``host`` has the
    script's ``call(run, *args)``, ``pcall(run, *args)`` and ``site_call(run, site, argv)``
    (see commands/scriptrun.py: a call site's first ``fn``), which raise CallError or
    return Lua values."""
    try:
        t = _Translator(Proto(chunk), script_globals)
        text = t.translate()
    except (Untranslatable, ValueError, struct.error, IndexError):
        return None
    namespace = dict(_NAMESPACE, **host, **t.consts)
    for value in t.consts.values():
        if type(value) is lv.CallSite:
            value.fn = host["site_call"]
    exec(compile(text, "<brief script>", "exec"), namespace)  # noqa: S102
    return namespace["script"]
