"""Parse trees as plain tuples, for the on-disk cache (diskcache.py) to store
with ``marshal``, and back.

A node is a tuple ``(KIND, pos, ...its fields)``; a list of nodes is
``(LIST, pos, weight, (node, ...))``, or with the tuple of nodes packed into
its own ``marshal`` bytes when large (PACK_MIN). Only exact built-in types are stored
(str, int, float, complex, bool, None, tuples): ``marshal`` loads them without
a call per object, where pickle calls a builder per node.

Decoding is lazy: a list comes back as a ``LazyListNode`` holding its encoded
nodes, which become node objects when the list is first read (when the compiler
compiles it). Most of a large chart's nodes sit in branches that never run
(disabled components, unset options), and those are never built (nor, when
packed, even unmarshalled). Each list
carries its weight (weight.py), so the work budget charges cached and freshly
parsed trees alike without decoding a branch to count it.
"""

from __future__ import annotations

import marshal

from polystack.helm.template.nodes import (
    ActionNode,
    BoolNode,
    BreakNode,
    ChainNode,
    CommandNode,
    CommentNode,
    ContinueNode,
    DotNode,
    ElseNode,
    EndNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    RangeNode,
    StringNode,
    TemplateNode,
    TextNode,
    VariableNode,
    WithNode,
)
from polystack.helm.template.weight import list_weight

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "LazyListNode",
    "elements",
    "unpacked",
    "encode_list",
    "decode_list",
    "decode_node",
    "constant_output",
    "Unstorable",
    "TEXT",
    "unpack",
    "forget_unpacked",
]

(
    TEXT,
    COMMENT,
    PIPE,
    ACTION,
    COMMAND,
    IDENT,
    VARIABLE,
    DOT,
    NIL,
    FIELD,
    CHAIN,
    BOOL,
    NUMBER,
    STRING,
    END,
    ELSE,
    IF,
    RANGE,
    WITH,
    BREAK,
    CONTINUE,
    TEMPLATE,
    LIST,
    CONST_ACTION,
) = range(24)

_PLAIN = (str, int, float, complex, bool, type(None))
# A list whose elements take at least this many bytes is stored packed: its
# elements as their own marshal bytes inside the tree's, unmarshalled when the
# list is first compiled. Loading a cached tree then builds the tuples of the
# lists that run only (about half of a chart's: the rest are branches not taken
# and definitions not included), for one bytes object per packed list.
PACK_MIN = 96
_loads = marshal.loads
_dumps = marshal.dumps


class Unstorable(ValueError):
    """A tree holds something the tuple form cannot store (it is not cached)."""


class LazyListNode(ListNode):
    """A ListNode read from the cache: ``nodes`` is an unset slot until first read,
    then decoded from its encoded elements (``__getattr__`` runs only for unset
    attributes). ``_enc`` holds those elements, or None while they are still
    packed (``_packed``, their own ``marshal`` bytes: see PACK_MIN): read them
    with ``elements``, which unpacks them when first asked. (None, not an unset
    slot: the AttributeError of reading an unset slot is formatted before
    ``__getattr__`` is called, ~2,200 instructions per list.)"""

    __slots__ = ("_enc", "_packed", "weight")
    _enc: tuple[Any, ...] | None
    _packed: bytes
    weight: int

    def __getattr__(self, name: str) -> Any:
        if name != "nodes":
            raise AttributeError(name)
        src = self.tree
        # (the elements are kept: a thread decoding the same list at once decodes it again)
        nodes = [_DECODE[e[0]](e, src) for e in elements(self)]
        self.nodes = nodes
        return nodes


def elements(lst: LazyListNode) -> tuple[Any, ...]:
    """The encoded elements of a cached list, unpacked when first read (and kept)."""
    enc = lst._enc
    if enc is None:
        # (a thread unpacking the same list at once unpacks it again)
        enc = lst._enc = unpacked(lst._packed)
    return enc


def unpacked(packed: bytes) -> tuple[Any, ...]:
    """The elements of a packed list: the ones ``unpack`` read first, else read now."""
    got = _UNPACKED.pop(id(packed), None) if _UNPACKED else None
    if got is not None and got[0] is packed:
        return got[1]
    enc: tuple[Any, ...] = _loads(packed)
    return enc


# Packed lists another reader unpacked first (the include memo's analysis of a
# whole define: render/includememo.py), by the identity of their bytes, so that
# the list itself, compiled later, does not unpack them again. Bounded; a render
# forgets what it left (forget_unpacked).
_UNPACKED: dict[int, tuple[bytes, tuple[Any, ...]]] = {}
_UNPACKED_MAX = 1024


def unpack(packed: bytes) -> tuple[Any, ...]:
    """The elements of a packed list (an encoded LIST's bytes), kept for the
    LazyListNode that will stand for it."""
    enc: tuple[Any, ...] = _loads(packed)
    if len(_UNPACKED) >= _UNPACKED_MAX:
        _UNPACKED.clear()
    _UNPACKED[id(packed)] = (packed, enc)
    return enc


def forget_unpacked() -> None:
    _UNPACKED.clear()


# ---------------------------------------------------------------- encoding


def _check(v: Any) -> Any:
    if type(v) not in _PLAIN:
        raise Unstorable(f"cannot store a {type(v).__name__} in a cached tree")
    return v


def _strs(vs: list[str]) -> tuple[str, ...]:
    for v in vs:
        if type(v) is not str:
            raise Unstorable("a name that is not a str")
    return tuple(vs)


class _Encoder:
    def __init__(self) -> None:
        self.weights: dict[int, int] = {}

    def list_(self, lst: ListNode) -> tuple[Any, ...]:
        w = list_weight(lst, self.weights)
        elems = tuple(self.node(n) for n in lst.nodes)
        packed = _dumps(elems)
        return (LIST, lst.pos, w, packed if len(packed) >= PACK_MIN else elems)

    def opt_list(self, lst: ListNode | None) -> tuple[Any, ...] | None:
        return None if lst is None else self.list_(lst)

    def const_action(self, n: Any) -> tuple[Any, ...] | None:
        """{{ "literal" }} (28 % of a kube-prometheus-stack-shaped chart's statements:
        alerting rules' `{{ "{{ $labels.x }}" }}`) as one tuple instead of seven."""
        p = n.pipe
        if type(p) is not PipeNode or p.decl or len(p.cmds) != 1 or p.is_assign is not False:
            return None
        cmd = p.cmds[0]
        if (
            type(cmd) is not CommandNode
            or len(cmd.args) != 1
            or type(cmd.args[0]) is not StringNode
        ):
            return None
        s = cmd.args[0]
        ints = (n.pos, n.line, p.pos, p.line, cmd.pos, s.pos)
        if any(type(i) is not int for i in ints):
            return None
        return (CONST_ACTION, *ints, _check(s.quoted), _check(s.text))

    def pipe(self, p: PipeNode) -> tuple[Any, ...]:
        return (
            PIPE,
            p.pos,
            p.line,
            bool(p.is_assign),
            tuple(self.node(v) for v in p.decl),
            tuple(self.node(c) for c in p.cmds),
        )

    def node(self, n: Any) -> tuple[Any, ...]:  # noqa: C901 - one case per node class
        t = type(n)
        pos = n.pos
        if type(pos) is not int:
            raise Unstorable("a position that is not an int")
        if t is TextNode:
            return (TEXT, pos, _check(n.text))
        if t is ActionNode:
            const = self.const_action(n)
            if const is not None:
                return const
            return (ACTION, pos, n.line, self.pipe(n.pipe))
        if t is PipeNode:
            return self.pipe(n)
        if t is CommandNode:
            return (COMMAND, pos, tuple(self.node(a) for a in n.args))
        if t is FieldNode:
            return (FIELD, pos, _strs(n.ident))
        if t is IdentifierNode:
            return (IDENT, pos, _check(n.ident))
        if t is VariableNode:
            return (VARIABLE, pos, _strs(n.ident))
        if t is StringNode:
            return (STRING, pos, _check(n.quoted), _check(n.text))
        if t is IfNode or t is RangeNode or t is WithNode:
            kind = IF if t is IfNode else RANGE if t is RangeNode else WITH
            return (
                kind,
                pos,
                n.line,
                self.pipe(n.pipe),
                self.list_(n.list),
                self.opt_list(n.else_list),
            )
        if t is DotNode:
            return (DOT, pos)
        if t is NilNode:
            return (NIL, pos)
        if t is ChainNode:
            return (CHAIN, pos, self.node(n.node), _strs(n.field))
        if t is BoolNode:
            return (BOOL, pos, bool(n.true))
        if t is NumberNode:
            return (
                NUMBER,
                pos,
                _check(n.text),
                bool(n.is_int),
                bool(n.is_uint),
                bool(n.is_float),
                bool(n.is_complex),
                _check(n.int64),
                _check(n.uint64),
                _check(n.float64),
                _check(n.complex128),
            )
        if t is TemplateNode:
            pipe = None if n.pipe is None else self.pipe(n.pipe)
            return (TEMPLATE, pos, n.line, _check(n.name), pipe)
        if t is ListNode or t is LazyListNode:
            return self.list_(n)
        if t is CommentNode:
            return (COMMENT, pos, _check(n.text))
        if t is BreakNode:
            return (BREAK, pos, n.line)
        if t is ContinueNode:
            return (CONTINUE, pos, n.line)
        if t is EndNode:
            return (END, pos)
        if t is ElseNode:
            return (ELSE, pos, n.line)
        raise Unstorable(f"unknown node {t.__name__}")


def encode_list(lst: ListNode) -> tuple[Any, ...]:
    """The tuple form of a list of nodes (with every nested list's weight)."""
    return _Encoder().list_(lst)


# ---------------------------------------------------------------- decoding
# One function per kind, each building its node without calling __init__.

_new = object.__new__


def _d_list(e: tuple[Any, ...], src: Any) -> LazyListNode:
    o = _new(LazyListNode)
    o.pos = e[1]
    o.tree = src
    o.weight = e[2]
    elems = e[3]
    if type(elems) is bytes:
        o._packed = elems
        o._enc = None
    else:
        o._enc = elems
    return o


def decode_list(e: tuple[Any, ...], src: Any) -> LazyListNode:
    """The (lazy) list of an encoded list; its nodes point at ``src`` (the tree's _Source)."""
    return _d_list(e, src)


def decode_node(e: tuple[Any, ...], src: Any) -> Node:
    """The node of one encoded element of a list."""
    return _DECODE[e[0]](e, src)


def constant_output(e: tuple[Any, ...]) -> tuple[str, int] | None:
    """For an encoded element that always writes the same text and cannot fail
    (text, a comment, an action of one string literal of at most 64 characters:
    see compile.py's constant), that text and the units compiling the node would
    count; else None. Lets the compiler skip building those nodes."""
    kind = e[0]
    if kind == TEXT:
        text = e[2]
        return text, 1 + (len(text) >> 8)
    if kind == CONST_ACTION:
        text = e[8]
        return (text, 2) if len(text) <= 64 else None
    if kind == ACTION:
        pipe = e[3]
        if pipe[4] or len(pipe[5]) != 1:
            return None
        args = pipe[5][0][2]
        if len(args) != 1 or args[0][0] != STRING:
            return None
        text = args[0][3]
        if len(text) > 64:
            return None
        return text, 2
    if kind == COMMENT:
        return "", 1
    return None


def _d_text(e: tuple[Any, ...], src: Any) -> TextNode:
    o = _new(TextNode)
    o.pos = e[1]
    o.tree = src
    o.text = e[2]
    return o


def _d_comment(e: tuple[Any, ...], src: Any) -> CommentNode:
    o = _new(CommentNode)
    o.pos = e[1]
    o.tree = src
    o.text = e[2]
    return o


def _d_pipe(e: tuple[Any, ...], src: Any) -> PipeNode:
    o = _new(PipeNode)
    o.pos = e[1]
    o.tree = src
    o.line = e[2]
    o.is_assign = e[3]
    decl = e[4]
    # (loops, not comprehensions: most of these lists hold one element or none)
    o.decl = [_DECODE[d[0]](d, src) for d in decl] if decl else []
    cmds = []
    for c in e[5]:
        cmds.append(_DECODE[c[0]](c, src))
    o.cmds = cmds
    return o


def _d_action(e: tuple[Any, ...], src: Any) -> ActionNode:
    o = _new(ActionNode)
    o.pos = e[1]
    o.tree = src
    o.line = e[2]
    o.pipe = _d_pipe(e[3], src)
    return o


def _d_const_action(e: tuple[Any, ...], src: Any) -> ActionNode:
    _, pos, line, ppos, pline, cpos, spos, quoted, text = e
    s = _new(StringNode)
    s.pos = spos
    s.tree = src
    s.quoted = quoted
    s.text = text
    c = _new(CommandNode)
    c.pos = cpos
    c.tree = src
    c.args = [s]
    p = _new(PipeNode)
    p.pos = ppos
    p.tree = src
    p.line = pline
    p.is_assign = False
    p.decl = []
    p.cmds = [c]
    o = _new(ActionNode)
    o.pos = pos
    o.tree = src
    o.line = line
    o.pipe = p
    return o


def _d_command(e: tuple[Any, ...], src: Any) -> CommandNode:
    o = _new(CommandNode)
    o.pos = e[1]
    o.tree = src
    args = []
    for a in e[2]:
        args.append(_DECODE[a[0]](a, src))
    o.args = args
    return o


def _d_ident(e: tuple[Any, ...], src: Any) -> IdentifierNode:
    o = _new(IdentifierNode)
    o.pos = e[1]
    o.tree = src
    o.ident = e[2]
    return o


def _d_variable(e: tuple[Any, ...], src: Any) -> VariableNode:
    o = _new(VariableNode)
    o.pos = e[1]
    o.tree = src
    o.ident = list(e[2])
    return o


def _d_dot(e: tuple[Any, ...], src: Any) -> DotNode:
    o = _new(DotNode)
    o.pos = e[1]
    o.tree = src
    return o


def _d_nil(e: tuple[Any, ...], src: Any) -> NilNode:
    o = _new(NilNode)
    o.pos = e[1]
    o.tree = src
    return o


def _d_field(e: tuple[Any, ...], src: Any) -> FieldNode:
    o = _new(FieldNode)
    o.pos = e[1]
    o.tree = src
    o.ident = list(e[2])
    return o


def _d_chain(e: tuple[Any, ...], src: Any) -> ChainNode:
    o = _new(ChainNode)
    o.pos = e[1]
    o.tree = src
    inner = e[2]
    o.node = _DECODE[inner[0]](inner, src)
    o.field = list(e[3])
    return o


def _d_bool(e: tuple[Any, ...], src: Any) -> BoolNode:
    o = _new(BoolNode)
    o.pos = e[1]
    o.tree = src
    o.true = e[2]
    return o


def _d_number(e: tuple[Any, ...], src: Any) -> NumberNode:
    o = _new(NumberNode)
    o.pos = e[1]
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


def _d_string(e: tuple[Any, ...], src: Any) -> StringNode:
    o = _new(StringNode)
    o.pos = e[1]
    o.tree = src
    o.quoted = e[2]
    o.text = e[3]
    return o


def _d_end(e: tuple[Any, ...], src: Any) -> EndNode:
    o = _new(EndNode)
    o.pos = e[1]
    o.tree = src
    return o


def _d_else(e: tuple[Any, ...], src: Any) -> ElseNode:
    o = _new(ElseNode)
    o.pos = e[1]
    o.tree = src
    o.line = e[2]
    return o


def _branch(cls: type[Any]) -> Any:
    def dec(e: tuple[Any, ...], src: Any) -> Any:
        o = _new(cls)
        o.pos = e[1]
        o.tree = src
        o.line = e[2]
        o.pipe = _d_pipe(e[3], src)
        o.list = _d_list(e[4], src)
        other = e[5]
        o.else_list = None if other is None else _d_list(other, src)
        return o

    return dec


def _d_break(e: tuple[Any, ...], src: Any) -> BreakNode:
    o = _new(BreakNode)
    o.pos = e[1]
    o.tree = src
    o.line = e[2]
    return o


def _d_continue(e: tuple[Any, ...], src: Any) -> ContinueNode:
    o = _new(ContinueNode)
    o.pos = e[1]
    o.tree = src
    o.line = e[2]
    return o


def _d_template(e: tuple[Any, ...], src: Any) -> TemplateNode:
    o = _new(TemplateNode)
    o.pos = e[1]
    o.tree = src
    o.line = e[2]
    o.name = e[3]
    pipe = e[4]
    o.pipe = None if pipe is None else _d_pipe(pipe, src)
    return o


_DECODE: tuple[Any, ...] = (
    _d_text,
    _d_comment,
    _d_pipe,
    _d_action,
    _d_command,
    _d_ident,
    _d_variable,
    _d_dot,
    _d_nil,
    _d_field,
    _d_chain,
    _d_bool,
    _d_number,
    _d_string,
    _d_end,
    _d_else,
    _branch(IfNode),
    _branch(RangeNode),
    _branch(WithNode),
    _d_break,
    _d_continue,
    _d_template,
    _d_list,
    _d_const_action,
)
assert len(_DECODE) == CONST_ACTION + 1
