"""The parser's memo of actions: each distinct action text is parsed once per
process, and every later action with the same text gets a copy of its pipeline.

Charts repeat the same actions across their templates (``{{- end }}``,
``{{ include "x.labels" . | nindent 4 }}``, ``{{- with .Values.nodeSelector }}``):
the starter chart of bench/helm.py has 2,681 actions and 351 distinct action
texts. lex_all (scan.py) already splits each distinct text once; it marks an
action's left delimiter with that split (its "proto", the same object for every
action of the same text), and the parser (parse.py) keys this memo by it.

What an action's pipeline depends on besides its text: the functions that exist
(each identifier must name one), the variables in scope (each one used must be
declared) and where the action is (positions and lines). An entry keeps the
pipeline in treecodec's tuple form with the positions of its first parse, the
names it uses and declares; a hit checks the names and builds the nodes moved
to the new position. Anything the check refuses is parsed again by the parser,
which produces Go's error. Only plain actions and the pipelines of
``if``/``with``/``range`` (and ``else if``/``else with``) are kept; a pipeline
that declares a variable inside parentheses is not.
"""

from __future__ import annotations

from polystack.helm.template.nodes import (
    ActionNode,
    BoolNode,
    ChainNode,
    CommandNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    NilNode,
    NumberNode,
    PipeNode,
    StringNode,
    VariableNode,
)
from polystack.helm.template.treecodec import ACTION as ACTION_KIND
from polystack.helm.template.treecodec import (
    BOOL,
    CHAIN,
    COMMAND,
    CONST_ACTION,
    DOT,
    FIELD,
    IDENT,
    NIL,
    NUMBER,
    PIPE,
    STRING,
    VARIABLE,
    Unstorable,
    _check,
    _Encoder,
    _strs,
)
from polystack.helm.template.weight import pipe_weight

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "lookup",
    "take",
    "shift_pipe",
    "shift_action",
    "record",
    "record_keyword",
    "compact",
    "memo_action",
    "memo_pipe",
    "build_pipe",
    "clear",
]

# id(proto) -> Entry; an entry holds its proto, so the id stays its own
_MEMO: dict[int, Any] = {}
_MEMO_MAX = 1 << 16

# Entry: (proto, pipe tuple, position and line where the action's text started
# when it was parsed, variables used, variables declared, identifiers, kind (see
# record), the pipeline's weight (weight.pipe_weight), the plain action's tuple
# (treecodec's ACTION or CONST_ACTION form; None for the other kinds))


def lookup(proto: Any) -> Any:
    """The entry of the action split as ``proto`` (``(proto,)``: not kept), or
    None (not seen)."""
    e = _MEMO.get(id(proto))
    if e is None or e[0] is not proto:
        return None
    return e


def _names(e: tuple[Any, ...], refs: list[str], idents: list[str]) -> bool:
    """Collect the variables used and the identifiers of a command's argument;
    False for a parenthesized pipeline that declares variables."""
    kind = e[0]
    if kind == VARIABLE:
        refs.append(e[2][0])
    elif kind == IDENT:
        idents.append(e[2])
    elif kind == CHAIN:
        return _names(e[2], refs, idents)
    elif kind == PIPE:
        if e[4]:
            return False
        for c in e[5]:
            for a in c[2]:
                if not _names(a, refs, idents):
                    return False
    return True


def record(proto: Any, base_pos: int, base_line: int, pipe: PipeNode | None, kind: int) -> None:
    """Keep the pipeline parsed for the action split as ``proto`` whose text starts
    at ``base_pos`` on line ``base_line``. ``kind``: 0 for a plain action, the
    keyword's item type for ``{{if}}``, ``{{with}}``, ``{{range}}``, -1 for
    ``{{else if}}``/``{{else with}}`` (record_keyword: ``{{end}}``, ``{{else}}``).
    ``pipe`` None: the action is not kept."""
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    entry: Any = None
    if pipe is not None:
        try:
            enc = _encode_pipe(pipe)
        except Unstorable:
            enc = None
        if enc is not None:
            refs: list[str] = []
            idents: list[str] = []
            ok = True
            for c in enc[5]:
                for a in c[2]:
                    if not _names(a, refs, idents):
                        ok = False
            if ok:
                decls = tuple(d[2][0] for d in enc[4])
                act = _action_tuple(enc) if kind == 0 else None
                entry = (
                    proto,
                    enc,
                    base_pos,
                    base_line,
                    tuple(refs),
                    decls,
                    tuple(idents),
                    kind,
                    pipe_weight(pipe),
                    act,
                )
    if entry is None:
        entry = (proto,)  # not kept: parsed by the parser every time
    _MEMO[id(proto)] = entry


def _encode_pipe(p: PipeNode) -> tuple[Any, ...]:
    """_Encoder().pipe(p), the commonest arguments encoded here (a call less per node)."""
    cmds = []
    enc: Any = None
    for c in p.cmds:
        if type(c) is not CommandNode or type(c.pos) is not int:
            enc = enc or _Encoder()
            cmds.append(enc.node(c))
            continue
        args: list[Any] = []
        a: Any
        for a in c.args:
            t = type(a)
            pos = a.pos
            if type(pos) is not int:
                raise Unstorable("a position that is not an int")
            if t is FieldNode:
                args.append((FIELD, pos, _strs(a.ident)))
            elif t is IdentifierNode:
                args.append((IDENT, pos, _check(a.ident)))
            elif t is DotNode:
                args.append((DOT, pos))
            elif t is StringNode:
                args.append((STRING, pos, _check(a.quoted), _check(a.text)))
            elif t is VariableNode:
                args.append((VARIABLE, pos, _strs(a.ident)))
            elif t is PipeNode:
                args.append(_encode_pipe(a))
            else:
                enc = enc or _Encoder()
                args.append(enc.node(a))
        cmds.append((COMMAND, c.pos, tuple(args)))
    decl: tuple[Any, ...] = ()
    if p.decl:
        enc = enc or _Encoder()
        decl = tuple([enc.node(v) for v in p.decl])
    return (PIPE, p.pos, p.line, bool(p.is_assign), decl, tuple(cmds))


def _action_tuple(p: tuple[Any, ...]) -> tuple[Any, ...]:
    """The tuple treecodec's encoder makes of the plain action whose pipeline's tuple
    is ``p`` (the action is where its pipeline is): CONST_ACTION for one string
    literal (_Encoder.const_action), else ACTION."""
    cmds = p[5]
    if not p[4] and len(cmds) == 1 and p[3] is False:
        args = cmds[0][2]
        if len(args) == 1 and args[0][0] == STRING:
            s = args[0]
            return (CONST_ACTION, p[1], p[2], p[1], p[2], cmds[0][1], s[1], s[2], s[3])
    return (ACTION_KIND, p[1], p[2], p)


def record_keyword(proto: Any, kind: int) -> None:
    """Keep an action that is one keyword, ``{{end}}`` or ``{{else}}`` (``kind``: its
    item type): the parser makes its node from the right delimiter."""
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[id(proto)] = (proto, None, 0, 0, (), (), (), kind, 0, None)


def compact(proto: Any) -> bool:
    """Whether the parser can take the action split as ``proto`` from the memo
    without its items (lex_all then leaves them out)."""
    e = _MEMO.get(id(proto))
    return e is not None and e[0] is proto and len(e) > 1 and e[7] >= 0


def clear() -> None:
    _MEMO.clear()
    _SHAPES.clear()


# ---------------------------------------------------------------- taking


def memo_action(t: Any, at: int, tok: Any, e: Any) -> ActionNode | None:
    """The plain action of the parser ``t`` (parse.Tree) at item ``at`` (its left
    delimiter ``tok``) from its entry ``e``, or None when the names it uses are not
    all defined there."""
    pipe = memo_pipe(t, at, tok, e)
    if pipe is None:
        return None
    n = _new(ActionNode)
    n.pos = pipe.pos
    n.tree = t._src
    n.line = pipe.line
    n.pipe = pipe
    return n


def memo_pipe(t: Any, at: int, tok: Any, e: Any) -> PipeNode | None:
    """The pipeline of the action at item ``at`` from its entry, its items up to
    the right delimiter read and its variables declared (None: see memo_action)."""
    _proto, enc, base_pos, base_line, refs, decls, idents, _kind, _w, _act = e
    has_function = t.has_function
    for name in idents:
        if not has_function(name):
            return None
    if refs:
        scope = t.vars
        for ref in refs:
            if ref not in scope and ref not in decls:
                return None
    if decls:
        t.vars.extend(decls)
    end = at + tok[8] + 2
    t.i = end
    if end > t.hw:
        t.hw = end
    return build_pipe(enc, tok[6] - base_pos, tok[7] - base_line, t._src)


def take(t: Any, at: int, tok: Any, e: Any) -> bool:
    """memo_pipe's checks and bookkeeping without building anything: whether the
    entry ``e`` applies at item ``at`` of the parser ``t`` (its names defined there);
    if so its items up to the right delimiter are read and its variables declared."""
    has_function = t.has_function
    for name in e[6]:
        if not has_function(name):
            return False
    refs = e[4]
    if refs:
        scope = t.vars
        decls = e[5]
        for ref in refs:
            if ref not in scope and ref not in decls:
                return False
    if e[5]:
        t.vars.extend(e[5])
    end = at + tok[8] + 2
    t.i = end
    if end > t.hw:
        t.hw = end
    return True


def take_names(t: Any, e: Any) -> bool:
    """take's checks for the parser ``t`` without items (textparse.direct): whether the
    names the entry ``e`` uses are defined there; if so its variables are declared."""
    has_function = t.has_function
    for name in e[6]:
        if not has_function(name):
            return False
    refs = e[4]
    if refs:
        scope = t.vars
        decls = e[5]
        for ref in refs:
            if ref not in scope and ref not in decls:
                return False
    if e[5]:
        t.vars.extend(e[5])
    return True


# ---------------------------------------------------------------- tuples
# An entry's tuples (treecodec's form, what the on-disk cache stores) moved to
# another place: every position by dp, every line by dl. Tuples are never
# changed, so an action at the place of its first parse shares them.


def shift_pipe(p: tuple[Any, ...], dp: int, dl: int) -> tuple[Any, ...]:
    decl = p[4]
    if decl:
        decl = tuple([(d[0], d[1] + dp, d[2]) for d in decl])
    cmds = []
    for c in p[5]:
        args = []
        for a in c[2]:
            k = a[0]
            if k == PIPE:
                args.append(shift_pipe(a, dp, dl))
            elif k == CHAIN:
                args.append(_shift_chain(a, dp, dl))
            elif len(a) == 3:  # ident, field, variable, bool
                args.append((k, a[1] + dp, a[2]))
            elif len(a) == 2:  # dot, nil
                args.append((k, a[1] + dp))
            else:  # string, number
                args.append((k, a[1] + dp, *a[2:]))
        cmds.append((COMMAND, c[1] + dp, tuple(args)))
    return (PIPE, p[1] + dp, p[2] + dl, p[3], decl, tuple(cmds))


def _shift_chain(a: tuple[Any, ...], dp: int, dl: int) -> tuple[Any, ...]:
    inner = a[2]
    k = inner[0]
    if k == PIPE:
        inner = shift_pipe(inner, dp, dl)
    elif k == CHAIN:
        inner = _shift_chain(inner, dp, dl)
    else:
        inner = (k, inner[1] + dp, *inner[2:])
    return (CHAIN, a[1] + dp, inner, a[3])


def shift_action(a: tuple[Any, ...], dp: int, dl: int) -> tuple[Any, ...]:
    """A plain action's tuple (ACTION or CONST_ACTION) moved."""
    if a[0] == ACTION_KIND:
        return (ACTION_KIND, a[1] + dp, a[2] + dl, shift_pipe(a[3], dp, dl))
    _, pos, line, ppos, pline, cpos, spos, quoted, text = a
    return (a[0], pos + dp, line + dl, ppos + dp, pline + dl, cpos + dp, spos + dp, quoted, text)


# ---------------------------------------------------------------- building
# treecodec's decoders, with every position moved by dp and every line by dl

_new = object.__new__


def build_pipe(e: tuple[Any, ...], dp: int, dl: int, src: Any) -> PipeNode:
    o = _new(PipeNode)
    o.pos = e[1] + dp
    o.tree = src
    o.line = e[2] + dl
    o.is_assign = e[3]
    decl = []
    for d in e[4]:
        v = _new(VariableNode)
        v.pos = d[1] + dp
        v.tree = src
        v.ident = list(d[2])
        decl.append(v)
    o.decl = decl
    cmds = []
    for c in e[5]:
        cmd = _new(CommandNode)
        cmd.pos = c[1] + dp
        cmd.tree = src
        args: list[Any] = []
        n: Any
        for a in c[2]:
            kind = a[0]
            # (the commonest arguments built here: a call less per node)
            if kind == IDENT:
                n = _new(IdentifierNode)
                n.pos = a[1] + dp
                n.tree = src
                n.ident = a[2]
            elif kind == FIELD:
                n = _new(FieldNode)
                n.pos = a[1] + dp
                n.tree = src
                n.ident = list(a[2])
            elif kind == DOT:
                n = _new(DotNode)
                n.pos = a[1] + dp
                n.tree = src
            else:
                n = _ARG[kind](a, dp, dl, src)
            args.append(n)
        cmd.args = args
        cmds.append(cmd)
    o.cmds = cmds
    return o


def _ident(e: tuple[Any, ...], dp: int, dl: int, src: Any) -> IdentifierNode:
    o = _new(IdentifierNode)
    o.pos = e[1] + dp
    o.tree = src
    o.ident = e[2]
    return o


def _variable(e: tuple[Any, ...], dp: int, dl: int, src: Any) -> VariableNode:
    o = _new(VariableNode)
    o.pos = e[1] + dp
    o.tree = src
    o.ident = list(e[2])
    return o


def _dot(e: tuple[Any, ...], dp: int, dl: int, src: Any) -> DotNode:
    o = _new(DotNode)
    o.pos = e[1] + dp
    o.tree = src
    return o


def _nil(e: tuple[Any, ...], dp: int, dl: int, src: Any) -> NilNode:
    o = _new(NilNode)
    o.pos = e[1] + dp
    o.tree = src
    return o


def _field(e: tuple[Any, ...], dp: int, dl: int, src: Any) -> FieldNode:
    o = _new(FieldNode)
    o.pos = e[1] + dp
    o.tree = src
    o.ident = list(e[2])
    return o


def _chain(e: tuple[Any, ...], dp: int, dl: int, src: Any) -> ChainNode:
    o = _new(ChainNode)
    o.pos = e[1] + dp
    o.tree = src
    inner = e[2]
    o.node = _ARG[inner[0]](inner, dp, dl, src)
    o.field = list(e[3])
    return o


def _bool(e: tuple[Any, ...], dp: int, dl: int, src: Any) -> BoolNode:
    o = _new(BoolNode)
    o.pos = e[1] + dp
    o.tree = src
    o.true = e[2]
    return o


def _number(e: tuple[Any, ...], dp: int, dl: int, src: Any) -> NumberNode:
    o = _new(NumberNode)
    o.pos = e[1] + dp
    o.tree = src
    (
        o.text,
        o.is_int,
        o.is_uint,
        o.is_float,
        o.is_complex,
        o.int64,
        o.uint64,
        o.float64,
        o.complex128,
    ) = e[2:]
    return o


def _string(e: tuple[Any, ...], dp: int, dl: int, src: Any) -> StringNode:
    o = _new(StringNode)
    o.pos = e[1] + dp
    o.tree = src
    o.quoted = e[2]
    o.text = e[3]
    return o


def _no_arg(e: tuple[Any, ...], dp: int, dl: int, src: Any) -> Any:
    raise AssertionError(f"not an argument: {e[0]}")


_ARG: list[Any] = [_no_arg] * (max(PIPE, COMMAND, IDENT, VARIABLE, DOT, NIL, FIELD) + 16)
_ARG[PIPE] = build_pipe
_ARG[IDENT] = _ident
_ARG[VARIABLE] = _variable
_ARG[DOT] = _dot
_ARG[NIL] = _nil
_ARG[FIELD] = _field
_ARG[CHAIN] = _chain
_ARG[BOOL] = _bool
_ARG[NUMBER] = _number
_ARG[STRING] = _string


# ---------------------------------------------------------------- shapes
# Actions that differ only in the text of their string literals ({{ include
# "a.labels" . }}, {{ include "a.selectorLabels" . }}, each subchart's own names)
# split and parse alike: only the strings' items and nodes (and the positions after
# them) differ. A new action text of a shape seen before (its strings double-quoted,
# without escapes) gets its split and entry from that one's, strings put in and
# positions moved, instead of being split and parsed (textparse.direct).

_SHAPES: dict[str, Any] = {}  # shape -> the split (scan.py's proto) of an action of it
_SHAPES_MAX = 1 << 14
_SHAPE_MAX_TEXT = 512


def _shape(body: str) -> list[str] | None:
    """The action text cut at its double quotes (even items: outside the strings), or
    None when its strings may hold escapes or other quotes (or it is long: the memo of
    shapes stays small)."""
    if len(body) > _SHAPE_MAX_TEXT or "\\" in body or "'" in body or "`" in body or "\0" in body:
        return None
    parts = body.split('"')
    return parts if len(parts) & 1 and len(parts) > 1 else None


def learn_shape(body: str, proto: Any) -> None:
    """Remember ``proto`` (the split of the action text ``body``) for its shape."""
    if '"' not in body:
        return
    parts = _shape(body)
    if parts is None:
        return
    if len(_SHAPES) >= _SHAPES_MAX:
        _SHAPES.clear()
    _SHAPES["\0".join(parts[::2])] = proto


def from_shape(body: str, string_type: Any) -> Any:
    """The split of the action text ``body`` made from one of its shape whose memo
    entry is kept (that entry, the strings put in, kept for it too), or None."""
    if '"' not in body:
        return None
    parts = _shape(body)
    if parts is None:
        return None
    old = _SHAPES.get("\0".join(parts[::2]))
    if old is None:
        return None
    e = _MEMO.get(id(old))
    if e is None or e[0] is not old or len(e) < 2 or e[1] is None:
        return None
    its, size, lines, sp = old
    strings = parts[1::2]
    new_its = []
    offs: dict[int, int] = {}  # an item's offset in the old text -> in the new
    texts: dict[int, tuple[str, str]] = {}  # a string's new offset -> (quoted, text)
    delta = 0
    k = 0
    for item in its:
        ty, off, val, dl, s = item
        noff = off + delta
        offs[off] = noff
        if ty == string_type:
            if k >= len(strings):
                return None
            c = strings[k]
            k += 1
            if "\n" in c:
                return None
            q = '"' + c + '"'
            texts[noff] = (q, c)  # (strconv.Unquote of a string without escapes)
            delta += len(q) - len(val)
            new_its.append((ty, noff, q, dl, s))
        else:
            new_its.append((ty, noff, val, dl, s) if delta else item)
    if k != len(strings):
        return None
    proto = (tuple(new_its), size + delta, lines, sp)
    base = e[2]
    try:
        enc = _remap_pipe(e[1], base, offs, texts)
    except KeyError:  # (a position that is no item's: not this shape's)
        return None
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    act = _action_tuple(enc) if e[7] == 0 else None
    _MEMO[id(proto)] = (proto, enc, base, e[3], e[4], e[5], e[6], e[7], e[8], act)
    return proto


def _remap_pipe(
    p: tuple[Any, ...], base: int, offs: dict[int, int], texts: dict[int, tuple[str, str]]
) -> tuple[Any, ...]:
    decl = p[4]
    if decl:
        decl = tuple([(d[0], base + offs[d[1] - base], d[2]) for d in decl])
    cmds = []
    for c in p[5]:
        args = [_remap_arg(a, base, offs, texts) for a in c[2]]
        cmds.append((COMMAND, base + offs[c[1] - base], tuple(args)))
    return (PIPE, base + offs[p[1] - base], p[2], p[3], decl, tuple(cmds))


def _remap_arg(
    a: tuple[Any, ...], base: int, offs: dict[int, int], texts: dict[int, tuple[str, str]]
) -> tuple[Any, ...]:
    k = a[0]
    if k == PIPE:
        return _remap_pipe(a, base, offs, texts)
    rel = offs[a[1] - base]
    if k == CHAIN:
        return (CHAIN, base + rel, _remap_arg(a[2], base, offs, texts), a[3])
    if k == STRING:
        q, text = texts[rel]
        return (STRING, base + rel, q, text)
    return (k, base + rel, *a[2:])
