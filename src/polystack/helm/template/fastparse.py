"""The parser's loop over a template's items without the recursive descent.

parse.Tree parses a template by recursive descent: a method call per item, per
list and per control structure. Most of a chart's actions are in the parser's
memo (actionmemo.py) as compact entries (lex_all left their items out), and most
of the rest of a template is text: ``build`` makes the nodes of those in one loop,
keeps the open ``if``/``with``/``range`` structures on a stack of its own and
reads each ``{{define}}`` itself. Every other action (its first occurrence in the
process, ``{{else if}}``, ``{{template}}``, ``{{break}}`` ...) is parsed by the
parser's own ``text_or_action`` at that point, so the nodes are the ones the
recursive descent makes. Whatever looks like an error (an ``{{end}}`` without a
structure, an unexpected EOF, a memo entry that does not apply, a redefinition,
nesting deeper than MAX_DEPTH) returns False: the caller parses the template again
by recursive descent, which produces Go's error text (or the same tree).
tests/helm/test_template_fastparse.py compares the trees of both.
"""

from __future__ import annotations

from polystack.helm.template import actionmemo
from polystack.helm.template.items import (
    _T_DEFINE,
    _T_ELSE,
    _T_END,
    _T_EOF,
    _T_IF,
    _T_LEFT_DELIM,
    _T_RANGE,
    _T_RAW_STRING,
    _T_RIGHT_DELIM,
    _T_STRING,
    _T_TEXT,
    _T_WITH,
)
from polystack.helm.template.literals import UnquoteError, go_unquote
from polystack.helm.template.nodes import (
    ActionNode,
    ElseNode,
    EndNode,
    IfNode,
    ListNode,
    RangeNode,
    TextNode,
    WithNode,
)
from polystack.helm.template.tree import is_empty_tree

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["build", "MAX_DEPTH"]

# open structures beyond this: the recursive descent (its depth limit and error)
MAX_DEPTH = 1000

_new = object.__new__
_BRANCH = {_T_IF: IfNode, _T_WITH: WithNode, _T_RANGE: RangeNode}


class _Frame:
    """An open ``if``/``with``/``range`` (its node is made at its ``{{end}}``)."""

    __slots__ = ("cls", "pipe", "list", "else_list", "outer", "nvars", "in_range")

    def __init__(self, cls: Any, pipe: Any, lst: ListNode, outer: list[Any], nvars: int) -> None:
        self.cls = cls
        self.pipe = pipe
        self.list = lst
        self.else_list: ListNode | None = None
        self.outer = outer
        self.nvars = nvars
        self.in_range = cls is RangeNode


def _close(cur: Any, f: _Frame, src: Any) -> None:
    """The node of the structure ``f`` in the list that holds it (parse_control's end)."""
    if f.in_range:
        cur.range_depth -= 1
    del cur.vars[f.nvars :]
    pipe = f.pipe
    n = f.cls(pipe.pos, pipe.line, pipe, f.list, f.else_list)
    n.tree = src
    f.outer.append(n)


def build(t: Any, items: list[Any], abort: type[Exception]) -> bool:
    """Parse ``items`` (lex_all's, compact) into the parser ``t`` (parse.Tree, after
    start_parse): its root, and each definition added to its tree set. False: not
    done (``t`` and its tree set are to be reset and parsed by recursive descent).
    ``abort``: the parser's error exception (a sign to hand the text back)."""
    memo_get = actionmemo._MEMO.get
    memo_pipe = actionmemo.memo_pipe
    src = t._src
    tree_set = t.tree_set
    cur = t  # the tree being built: t, or a definition's
    define: Any = None
    root = ListNode(items[0][1])
    root.tree = src
    t_root = root  # t's root, while a definition's is built
    nodes = root.nodes
    stack: list[_Frame] = []
    n: Any
    i = 0
    while True:
        tok = items[i]
        typ = tok[0]
        if typ == _T_TEXT:
            n = _new(TextNode)
            n.pos = tok[1]
            n.tree = src
            n.text = tok[2]
            nodes.append(n)
            i += 1
            continue
        if typ != _T_LEFT_DELIM or len(tok) < 9:
            if typ == _T_EOF and not stack and define is None:
                t.root = root
                # where the recursive descent stops: at EOF, peeked (add's error line)
                t.i = i
                t.hw = i + 1
                return True
            return False  # unexpected EOF, or items not lex_all's
        if not tok[8]:  # compact: the memo has the action
            e = memo_get(id(tok[5]))
            if e is None or e[0] is not tok[5] or len(e) < 2:
                return False
            kind = e[7]
            if kind == 0:
                pipe = memo_pipe(cur, i, tok, e)
                if pipe is None:
                    return False
                n = _new(ActionNode)
                n.pos = pipe.pos
                n.tree = src
                n.line = pipe.line
                n.pipe = pipe
                nodes.append(n)
                i += 2
                continue
            if kind == _T_END:
                i += 2
                if stack:
                    f = stack.pop()
                    _close(cur, f, src)
                    nodes = f.outer
                    continue
                if define is None:
                    return False  # {{end}} outside a structure
                define.root = root
                if not _add(define, tree_set):
                    return False
                define.stop_parse()
                cur, define = t, None
                root = t_root
                nodes = root.nodes
                continue
            if kind == _T_ELSE:
                if not stack or stack[-1].else_list is not None:
                    return False
                f = stack[-1]
                if f.in_range:
                    f.in_range = False
                    cur.range_depth -= 1
                i += 2
                f.else_list = lst = ListNode(items[i][1])
                lst.tree = src
                nodes = lst.nodes
                continue
            cls = _BRANCH.get(kind)
            if cls is None or e[1] is None or len(stack) >= MAX_DEPTH:
                return False
            nvars = len(cur.vars)
            pipe = memo_pipe(cur, i, tok, e)
            if pipe is None:
                return False
            i += 2
            lst = ListNode(items[i][1])
            lst.tree = src
            f = _Frame(cls, pipe, lst, nodes, nvars)
            if cls is RangeNode:
                cur.range_depth += 1
            stack.append(f)
            nodes = lst.nodes
            continue
        if items[i + 1][0] == _T_DEFINE:
            # {{define "name"}}, at the top level only (parse.Tree._parse, parse_definition)
            name_tok = items[i + 2]
            if (
                stack
                or define is not None
                or tok[8] != 2
                or name_tok[0] not in (_T_STRING, _T_RAW_STRING)
                or items[i + 3][0] != _T_RIGHT_DELIM
            ):
                return False
            try:
                name = go_unquote(name_tok[2])
            except UnquoteError:
                return False
            cur.i = i  # (the definition's parser starts where this one is)
            define = cur = t._new_sub("definition")
            define.name = name
            t_root = root
            i += 4
            root = ListNode(items[i][1])
            root.tree = src
            nodes = root.nodes
            continue
        # any other action: the parser's own, at this item
        cur.i = i
        if i >= cur.hw:
            cur.hw = i + 1
        try:
            n = cur.text_or_action()
        except abort:
            return False
        i = cur.i
        nt = type(n)
        if nt is EndNode:
            if not stack:
                if define is None:
                    return False
                define.root = root
                if not _add(define, tree_set):
                    return False
                define.stop_parse()
                cur, define = t, None
                root = t_root
                nodes = root.nodes
                continue
            f = stack.pop()
            _close(cur, f, src)
            nodes = f.outer
            continue
        if nt is ElseNode:
            if not stack or stack[-1].else_list is not None:
                return False
            f = stack[-1]
            if f.in_range:
                f.in_range = False
                cur.range_depth -= 1
            chain = items[i][0]
            if (chain == _T_IF and f.cls is IfNode) or (chain == _T_WITH and f.cls is WithNode):
                # {{else if}} / {{else with}}: the rest of the chain, to its {{end}}, by
                # the parser (parse_control's else branch)
                cur.i = i + 1
                f.else_list = lst = ListNode(n.pos)
                lst.tree = src
                try:
                    lst.nodes.append(cur.if_control() if chain == _T_IF else cur.with_control())
                except abort:
                    return False
                i = cur.i
                stack.pop()
                _close(cur, f, src)
                nodes = f.outer
                continue
            f.else_list = lst = ListNode(items[i][1])
            lst.tree = src
            nodes = lst.nodes
            continue
        nodes.append(n)


def _add(tree: Any, tree_set: dict[str, Any]) -> bool:
    """parse.Tree.add for a definition; False for a second non-empty definition (an error)."""
    old = tree_set.get(tree.name)
    if old is None or is_empty_tree(old.root):
        tree_set[tree.name] = tree
        return True
    return is_empty_tree(tree.root)
