"""Parse-tree nodes of Go's text/template (src/text/template/parse/node.go).

``str(node)`` is Go's ``Node.String()``: it is what exec errors print in ``<...>``.
"""

from __future__ import annotations

from polystack.helm.golang.strconv import quote

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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
