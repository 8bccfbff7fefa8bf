"""Parse-tree nodes of Go's text/template (src/text/template/parse/node.go).

``str(node)`` is Go's ``Node.String()``: it is what exec errors print in ``<...>``.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from polystack.helm.golang.strconv import quote

__all__ = [
    "Node",
    "ListNode",
    "TextNode",
    "CommentNode",
    "PipeNode",
    "ActionNode",
    "CommandNode",
    "IdentifierNode",
    "VariableNode",
    "DotNode",
    "NilNode",
    "FieldNode",
    "ChainNode",
    "BoolNode",
    "NumberNode",
    "StringNode",
    "EndNode",
    "ElseNode",
    "IfNode",
    "RangeNode",
    "WithNode",
    "BreakNode",
    "ContinueNode",
    "TemplateNode",
]


class Node:
    __slots__ = ("pos", "tree")

    def __init__(self, pos: int) -> None:
        self.pos = pos
        self.tree: Any = None


class ListNode(Node):
    __slots__ = ("nodes",)

    def __init__(self, pos: int) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.nodes: list[Node] = []

    def __str__(self) -> str:
        return "".join(str(n) for n in self.nodes)


class TextNode(Node):
    __slots__ = ("text",)

    def __init__(self, pos: int, text: str) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.text = text

    def __str__(self) -> str:
        return self.text


class CommentNode(Node):
    __slots__ = ("text",)

    def __init__(self, pos: int, text: str) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.text = text

    def __str__(self) -> str:
        return "{{" + self.text + "}}"


class PipeNode(Node):
    __slots__ = ("line", "is_assign", "decl", "cmds")

    def __init__(self, pos: int, line: int) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.line = line
        self.is_assign = False
        self.decl: list[VariableNode] = []
        self.cmds: list[CommandNode] = []

    def __str__(self) -> str:
        s = ""
        if self.decl:
            s = ", ".join(str(v) for v in self.decl)
            s += " = " if self.is_assign else " := "
        return s + " | ".join(str(c) for c in self.cmds)


class ActionNode(Node):
    __slots__ = ("line", "pipe")

    def __init__(self, pos: int, line: int, pipe: PipeNode) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.line = line
        self.pipe = pipe

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


class CommandNode(Node):
    __slots__ = ("args",)

    def __init__(self, pos: int) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.args: list[Node] = []

    def __str__(self) -> str:
        parts = []
        for a in self.args:
            if isinstance(a, PipeNode):
                parts.append("(" + str(a) + ")")
            else:
                parts.append(str(a))
        return " ".join(parts)


class IdentifierNode(Node):
    __slots__ = ("ident",)

    def __init__(self, pos: int, ident: str) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.ident = ident

    def __str__(self) -> str:
        return self.ident


class VariableNode(Node):
    __slots__ = ("ident",)

    def __init__(self, pos: int, ident: str) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.ident = ident.split(".")

    def __str__(self) -> str:
        return ".".join(self.ident)


class DotNode(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "."


class NilNode(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "nil"


class FieldNode(Node):
    __slots__ = ("ident",)

    def __init__(self, pos: int, ident: str) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.ident = ident[1:].split(".")  # drop leading dot

    def __str__(self) -> str:
        return "".join("." + i for i in self.ident)


class ChainNode(Node):
    __slots__ = ("node", "field")

    def __init__(self, pos: int, node: Node) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.node = node
        self.field: list[str] = []

    def add(self, field: str) -> None:
        if not field or field[0] != ".":
            raise ValueError("no dot in field")
        field = field[1:]
        if field == "":
            raise ValueError("empty field")
        self.field.append(field)

    def __str__(self) -> str:
        s = str(self.node)
        if isinstance(self.node, PipeNode):
            s = "(" + s + ")"
        return s + "".join("." + f for f in self.field)


class BoolNode(Node):
    __slots__ = ("true",)

    def __init__(self, pos: int, true: bool) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.true = true

    def __str__(self) -> str:
        return "true" if self.true else "false"


class NumberNode(Node):
    __slots__ = (
        "text",
        "is_int",
        "is_uint",
        "is_float",
        "is_complex",
        "int64",
        "uint64",
        "float64",
        "complex128",
    )

    def __init__(self, pos: int, text: str) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.text = text
        self.is_int = self.is_uint = self.is_float = self.is_complex = False
        self.int64 = 0
        self.uint64 = 0
        self.float64 = 0.0
        self.complex128 = 0j

    def __str__(self) -> str:
        return self.text


class StringNode(Node):
    __slots__ = ("quoted", "text")

    def __init__(self, pos: int, quoted: str, text: str) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.quoted = quoted
        self.text = text

    def __str__(self) -> str:
        return self.quoted


class EndNode(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "{{end}}"


class ElseNode(Node):
    __slots__ = ("line",)

    def __init__(self, pos: int, line: int) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.line = line

    def __str__(self) -> str:
        return "{{else}}"


class _BranchNode(Node):
    __slots__ = ("line", "pipe", "list", "else_list")
    keyword = ""

    def __init__(
        self, pos: int, line: int, pipe: PipeNode, lst: ListNode, else_list: ListNode | None
    ) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.line = line
        self.pipe = pipe
        self.list = lst
        self.else_list = else_list

    def __str__(self) -> str:
        s = "{{" + self.keyword + " " + str(self.pipe) + "}}" + str(self.list)
        if self.else_list is not None:
            s += "{{else}}" + str(self.else_list)
        return s + "{{end}}"


class IfNode(_BranchNode):
    __slots__ = ()
    keyword = "if"


class RangeNode(_BranchNode):
    __slots__ = ()
    keyword = "range"


class WithNode(_BranchNode):
    __slots__ = ()
    keyword = "with"


class BreakNode(Node):
    __slots__ = ("line",)

    def __init__(self, pos: int, line: int) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.line = line

    def __str__(self) -> str:
        return "{{break}}"


class ContinueNode(Node):
    __slots__ = ("line",)

    def __init__(self, pos: int, line: int) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.line = line

    def __str__(self) -> str:
        return "{{continue}}"


class TemplateNode(Node):
    __slots__ = ("line", "name", "pipe")

    def __init__(self, pos: int, line: int, name: str, pipe: PipeNode | None) -> None:
        self.pos = pos  # Node.__init__, inlined (one call less per node)
        self.tree = None
        self.line = line
        self.name = name
        self.pipe = pipe

    def __str__(self) -> str:
        if self.pipe is None:
            return "{{template " + quote(self.name) + "}}"
        return "{{template " + quote(self.name) + " " + str(self.pipe) + "}}"


# ---------------------------------------------------------------- pickling
# The on-disk cache (diskcache.py) stores parsed trees with pickle. By default a
# slotted object is stored as (class, state dict): unpickling builds a dict per
# node and sets each slot from it. Here each node class is stored as a call of a
# builder that takes the slots' values positionally (one tuple per node, no
# dict): loading the cached trees of a large chart costs ~30 % less, storing
# them ~15 % less. A node with a slot left unset is stored the default way.


def _slot_names(cls: type) -> tuple[str, ...]:
    names: list[str] = []
    for c in reversed(cls.__mro__):
        for s in c.__dict__.get("__slots__", ()):
            if s not in names:
                names.append(s)
    return tuple(names)


def _default_reduce(self: Node) -> tuple[Any, ...]:
    import copyreg

    newobj = copyreg.__newobj__  # type: ignore[attr-defined]
    state = {n: getattr(self, n) for n in _slot_names(type(self)) if hasattr(self, n)}
    return (newobj, (type(self),), (None, state))


_new = object.__new__


def _new_Node(pos: Any, tree: Any) -> Node:
    o = _new(Node)
    o.pos = pos
    o.tree = tree
    return o


def _new_ListNode(pos: Any, tree: Any, nodes: Any) -> ListNode:
    o = _new(ListNode)
    o.pos = pos
    o.tree = tree
    o.nodes = nodes
    return o


def _new_TextNode(pos: Any, tree: Any, text: Any) -> TextNode:
    o = _new(TextNode)
    o.pos = pos
    o.tree = tree
    o.text = text
    return o


def _new_CommentNode(pos: Any, tree: Any, text: Any) -> CommentNode:
    o = _new(CommentNode)
    o.pos = pos
    o.tree = tree
    o.text = text
    return o


def _new_PipeNode(pos: Any, tree: Any, line: Any, is_assign: Any, decl: Any, cmds: Any) -> PipeNode:
    o = _new(PipeNode)
    o.pos = pos
    o.tree = tree
    o.line = line
    o.is_assign = is_assign
    o.decl = decl
    o.cmds = cmds
    return o


def _new_ActionNode(pos: Any, tree: Any, line: Any, pipe: Any) -> ActionNode:
    o = _new(ActionNode)
    o.pos = pos
    o.tree = tree
    o.line = line
    o.pipe = pipe
    return o


def _new_CommandNode(pos: Any, tree: Any, args: Any) -> CommandNode:
    o = _new(CommandNode)
    o.pos = pos
    o.tree = tree
    o.args = args
    return o


def _new_IdentifierNode(pos: Any, tree: Any, ident: Any) -> IdentifierNode:
    o = _new(IdentifierNode)
    o.pos = pos
    o.tree = tree
    o.ident = ident
    return o


def _new_VariableNode(pos: Any, tree: Any, ident: Any) -> VariableNode:
    o = _new(VariableNode)
    o.pos = pos
    o.tree = tree
    o.ident = ident
    return o


def _new_DotNode(pos: Any, tree: Any) -> DotNode:
    o = _new(DotNode)
    o.pos = pos
    o.tree = tree
    return o


def _new_NilNode(pos: Any, tree: Any) -> NilNode:
    o = _new(NilNode)
    o.pos = pos
    o.tree = tree
    return o


def _new_FieldNode(pos: Any, tree: Any, ident: Any) -> FieldNode:
    o = _new(FieldNode)
    o.pos = pos
    o.tree = tree
    o.ident = ident
    return o


def _new_ChainNode(pos: Any, tree: Any, node: Any, field: Any) -> ChainNode:
    o = _new(ChainNode)
    o.pos = pos
    o.tree = tree
    o.node = node
    o.field = field
    return o


def _new_BoolNode(pos: Any, tree: Any, true: Any) -> BoolNode:
    o = _new(BoolNode)
    o.pos = pos
    o.tree = tree
    o.true = true
    return o


def _new_NumberNode(
    pos: Any,
    tree: Any,
    text: Any,
    is_int: Any,
    is_uint: Any,
    is_float: Any,
    is_complex: Any,
    int64: Any,
    uint64: Any,
    float64: Any,
    complex128: Any,
) -> NumberNode:
    o = _new(NumberNode)
    o.pos = pos
    o.tree = tree
    o.text = text
    o.is_int = is_int
    o.is_uint = is_uint
    o.is_float = is_float
    o.is_complex = is_complex
    o.int64 = int64
    o.uint64 = uint64
    o.float64 = float64
    o.complex128 = complex128
    return o


def _new_StringNode(pos: Any, tree: Any, quoted: Any, text: Any) -> StringNode:
    o = _new(StringNode)
    o.pos = pos
    o.tree = tree
    o.quoted = quoted
    o.text = text
    return o


def _new_EndNode(pos: Any, tree: Any) -> EndNode:
    o = _new(EndNode)
    o.pos = pos
    o.tree = tree
    return o


def _new_ElseNode(pos: Any, tree: Any, line: Any) -> ElseNode:
    o = _new(ElseNode)
    o.pos = pos
    o.tree = tree
    o.line = line
    return o


def _new_IfNode(pos: Any, tree: Any, line: Any, pipe: Any, list: Any, else_list: Any) -> IfNode:
    o = _new(IfNode)
    o.pos = pos
    o.tree = tree
    o.line = line
    o.pipe = pipe
    o.list = list
    o.else_list = else_list
    return o


def _new_RangeNode(
    pos: Any, tree: Any, line: Any, pipe: Any, list: Any, else_list: Any
) -> RangeNode:
    o = _new(RangeNode)
    o.pos = pos
    o.tree = tree
    o.line = line
    o.pipe = pipe
    o.list = list
    o.else_list = else_list
    return o


def _new_WithNode(pos: Any, tree: Any, line: Any, pipe: Any, list: Any, else_list: Any) -> WithNode:
    o = _new(WithNode)
    o.pos = pos
    o.tree = tree
    o.line = line
    o.pipe = pipe
    o.list = list
    o.else_list = else_list
    return o


def _new_BreakNode(pos: Any, tree: Any, line: Any) -> BreakNode:
    o = _new(BreakNode)
    o.pos = pos
    o.tree = tree
    o.line = line
    return o


def _new_ContinueNode(pos: Any, tree: Any, line: Any) -> ContinueNode:
    o = _new(ContinueNode)
    o.pos = pos
    o.tree = tree
    o.line = line
    return o


def _new_TemplateNode(pos: Any, tree: Any, line: Any, name: Any, pipe: Any) -> TemplateNode:
    o = _new(TemplateNode)
    o.pos = pos
    o.tree = tree
    o.line = line
    o.name = name
    o.pipe = pipe
    return o


# the builder of each class and the getter of its slots' values, in its order
_BUILDERS: dict[type, tuple[Any, Any]] = {
    Node: (_new_Node, attrgetter("pos", "tree")),
    ListNode: (_new_ListNode, attrgetter("pos", "tree", "nodes")),
    TextNode: (_new_TextNode, attrgetter("pos", "tree", "text")),
    CommentNode: (_new_CommentNode, attrgetter("pos", "tree", "text")),
    PipeNode: (_new_PipeNode, attrgetter("pos", "tree", "line", "is_assign", "decl", "cmds")),
    ActionNode: (_new_ActionNode, attrgetter("pos", "tree", "line", "pipe")),
    CommandNode: (_new_CommandNode, attrgetter("pos", "tree", "args")),
    IdentifierNode: (_new_IdentifierNode, attrgetter("pos", "tree", "ident")),
    VariableNode: (_new_VariableNode, attrgetter("pos", "tree", "ident")),
    DotNode: (_new_DotNode, attrgetter("pos", "tree")),
    NilNode: (_new_NilNode, attrgetter("pos", "tree")),
    FieldNode: (_new_FieldNode, attrgetter("pos", "tree", "ident")),
    ChainNode: (_new_ChainNode, attrgetter("pos", "tree", "node", "field")),
    BoolNode: (_new_BoolNode, attrgetter("pos", "tree", "true")),
    NumberNode: (
        _new_NumberNode,
        attrgetter(
            "pos",
            "tree",
            "text",
            "is_int",
            "is_uint",
            "is_float",
            "is_complex",
            "int64",
            "uint64",
            "float64",
            "complex128",
        ),
    ),
    StringNode: (_new_StringNode, attrgetter("pos", "tree", "quoted", "text")),
    EndNode: (_new_EndNode, attrgetter("pos", "tree")),
    ElseNode: (_new_ElseNode, attrgetter("pos", "tree", "line")),
    IfNode: (_new_IfNode, attrgetter("pos", "tree", "line", "pipe", "list", "else_list")),
    RangeNode: (_new_RangeNode, attrgetter("pos", "tree", "line", "pipe", "list", "else_list")),
    WithNode: (_new_WithNode, attrgetter("pos", "tree", "line", "pipe", "list", "else_list")),
    BreakNode: (_new_BreakNode, attrgetter("pos", "tree", "line")),
    ContinueNode: (_new_ContinueNode, attrgetter("pos", "tree", "line")),
    TemplateNode: (_new_TemplateNode, attrgetter("pos", "tree", "line", "name", "pipe")),
}


def _reduce(self: Node) -> tuple[Any, ...]:
    builder, values = _BUILDERS[type(self)]
    try:
        return (builder, values(self))
    except AttributeError:  # a slot never set
        return _default_reduce(self)


Node.__reduce__ = _reduce  # type: ignore[assignment,method-assign]
