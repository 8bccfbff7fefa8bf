"""The work units one execution of a parsed tree costs (``Tree.weight``).

The compiler counts a unit per node (plus one per 256 bytes of text) and one per
argument of every command it compiles. Branches it compiles only when they first
run (compile.py) are counted here, by walking their nodes the same way, so a
tree's weight does not depend on which of its branches have run.
"""

from __future__ import annotations

from polystack.helm.template.nodes import (
    ActionNode,
    BoolNode,
    ChainNode,
    DotNode,
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
    WithNode,
)

__all__ = ["list_weight", "pipe_weight"]

# a command starting with one of these compiles none of its other arguments
_LITERAL_HEADS = (BoolNode, DotNode, NilNode, NumberNode, StringNode)


def list_weight(lst: ListNode, memo: dict[int, int]) -> int:
    """The weight of a list; ``memo`` (by node identity, for the nodes of one
    tree) keeps each nested list's, so that branches compiled later, one inside
    another, do not walk their nodes again."""
    key = id(lst)
    w = memo.get(key)
    if w is None:
        # a list from the on-disk cache carries its weight (its nodes may be undecoded)
        w = getattr(lst, "weight", None)
        if w is None:
            w = sum(node_weight(n, memo) for n in lst.nodes)
        memo[key] = w
    return w


def node_weight(n: Node, memo: dict[int, int]) -> int:
    w = 1
    if isinstance(n, TextNode):
        w += len(n.text) >> 8
    elif isinstance(n, ActionNode):
        w += pipe_weight(n.pipe)
    elif isinstance(n, (IfNode, WithNode, RangeNode)):
        w += pipe_weight(n.pipe) + list_weight(n.list, memo)
        if n.else_list is not None:
            w += list_weight(n.else_list, memo)
    elif isinstance(n, TemplateNode):
        if n.pipe is not None:
            w += pipe_weight(n.pipe)
    elif isinstance(n, ListNode):
        w += list_weight(n, memo)
    return w


def pipe_weight(pipe: PipeNode) -> int:
    w = 0
    for cmd in pipe.cmds:
        args = cmd.args
        w += len(args)
        first = args[0]
        if isinstance(first, PipeNode):
            w += pipe_weight(first)  # a parenthesized head: its other arguments are an error
        elif not isinstance(first, _LITERAL_HEADS):
            w += sum(_arg_weight(a) for a in args)
    return w


def _arg_weight(a: Node) -> int:
    if isinstance(a, PipeNode):
        return pipe_weight(a)
    if isinstance(a, ChainNode):
        return _arg_weight(a.node)
    return 0
