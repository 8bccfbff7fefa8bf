"""A parsed template (Go's ``parse.Tree``) as the engine sees it: its name, its
root list of nodes and where its text came from. The parser (parse.py, whose
``Tree`` adds the parser's state) builds them from text; the on-disk cache
(diskcache.py) builds them from stored tuples, without importing the lexer and
the parser."""

from __future__ import annotations

from polystack.helm.template.nodes import CommentNode, ListNode, Node, TextNode
from polystack.helm.template.weight import list_weight

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Tree", "is_empty_tree"]


def is_empty_tree(n: Node | None) -> bool:
    if n is None:
        return True
    if isinstance(n, CommentNode):
        return True
    if isinstance(n, ListNode):
        return all(is_empty_tree(x) for x in n.nodes)
    if isinstance(n, TextNode):
        return n.text.strip(" \t\n\v\f\r\x85\xa0") == ""
    return False


class _Source:
    """What a node needs of its tree for error contexts: the text and the parse name.

    Nodes point at this instead of at their Tree so parsed trees hold no reference
    cycles (they are freed by reference counting, not by the cyclic GC).
    """

    __slots__ = ("text", "parse_name")

    def __init__(self, text: str, parse_name: str) -> None:
        self.text = text
        self.parse_name = parse_name

    # the on-disk cache (diskcache.py) stores no text: it has the text it looked up
    def __getstate__(self) -> str:
        return self.parse_name

    def __setstate__(self, state: str) -> None:
        self.text = ""
        self.parse_name = state


class Tree:
    """One parsed template (``parse.Tree``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.parse_name = name
        self.root: ListNode | None = None
        self.text = ""
        self.compiled: Any = None  # filled by the compiler
        self.weight = 1  # work units of one execution (set by the compiler)
        # weight was counted before (the on-disk cache stores it): the compiler
        # need not walk the branches it compiles lazily to count them
        self.weight_known = False
        self._src = _Source(self.text, self.parse_name)

    # what the on-disk cache (diskcache.py) keeps of a parsed tree: not the parser's state
    # and the tree's weight, counted as the compiler counts it (weight.py)
    def __getstate__(self) -> dict[str, Any]:
        weight = max(list_weight(self.root, {}), 1) if self.root is not None else 1
        return {
            "name": self.name,
            "parse_name": self.parse_name,
            "root": self.root,
            "src": self._src,
            "weight": weight,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        Tree.__init__(self, state["name"])
        self.parse_name = state["parse_name"]
        self.root = state["root"]
        self._src = state["src"]
        if "weight" in state:
            self.weight = state["weight"]
            self.weight_known = True
