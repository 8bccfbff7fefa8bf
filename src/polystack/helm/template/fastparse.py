"""The parser's loop over a template's items without the recursive descent.

parse.Tree parses a template by recursive descent: a method call per item, per
list and per control structure. Most of a chart's actions are in the parser's
memo (actionmemo.py) as compact entries (lex_all left their items out), and most
of the rest of a template is text: ``build`` reads those in one loop, keeps the
open ``if``/``with``/``range`` structures on a stack of its own and reads each
``{{define}}`` itself. Every other action (its first occurrence in the process,
``{{else if}}``, ``{{template}}``, ``{{break}}`` ...) is parsed by the parser's own
``text_or_action`` at that point, so the nodes are the ones the recursive descent
makes. Whatever looks like an error (an ``{{end}}`` without a structure, an
unexpected EOF, a memo entry that does not apply, a redefinition, nesting deeper
than MAX_DEPTH) returns False: the caller parses the template again by recursive
descent, which produces Go's error text (or the same tree).

The trees it builds are in the tuple form of the on-disk cache (treecodec.py:
each list a LazyListNode holding its elements' tuples and its weight, the tree's
weight known), exactly the tuples treecodec's encoder makes of the recursive
descent's nodes (without packing): a freshly parsed tree then runs as a cached
one does (its lists run from their tuples the first time, compile.py and
runonce.py), and no node is made for what the tuples stand for. The nodes the
parser makes for the actions it parses itself are encoded (a distinct action's
first occurrence). textparse.py reads a template's text into the same trees
without the item list. tests/helm/test_template_fastparse.py compares the trees of
both, their tuples and weights.
"""

from __future__ import annotations

from polystack.helm.template import actionmemo
from polystack.helm.template.items import (
    _T_DEFINE,
    _T_ELSE,
    _T_END,
    _T_EOF,
    _T_IF,
    _T_KEYWORD,
    _T_LEFT_DELIM,
    _T_RANGE,
    _T_RAW_STRING,
    _T_RIGHT_DELIM,
    _T_STRING,
    _T_TEXT,
    _T_WITH,
)
from polystack.helm.template.literals import UnquoteError, go_unquote
from polystack.helm.template.nodes import ActionNode, ElseNode, EndNode, ListNode
from polystack.helm.template.tree import is_empty_tree
from polystack.helm.template.treecodec import (
    IF,
    LIST,
    RANGE,
    TEXT,
    WITH,
    LazyListNode,
    Unstorable,
    _Encoder,
)
from polystack.helm.template.weight import list_weight, node_weight, pipe_weight

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["build", "MAX_DEPTH", "encode_flat"]

# open structures beyond this: the recursive descent (its depth limit and error)
MAX_DEPTH = 1000

_new = object.__new__
_BRANCH = {_T_IF: IF, _T_WITH: WITH, _T_RANGE: RANGE}
_CONTEXT = {_T_IF: "if", _T_WITH: "with", _T_RANGE: "range"}


class _Flat(_Encoder):
    """treecodec's encoder with every list's elements as a tuple (never packed:
    packing is for the cache file's loading)."""

    def list_(self, lst: ListNode) -> tuple[Any, ...]:
        w = list_weight(lst, self.weights)
        return (LIST, lst.pos, w, tuple([self.node(n) for n in lst.nodes]))


def encode_flat(n: Any) -> tuple[tuple[Any, ...], int]:
    """A node's tuple (treecodec's form, lists unpacked) and its weight."""
    enc = _Flat()
    return enc.node(n), node_weight(n, enc.weights)


def _lazy(e: tuple[Any, ...], src: Any) -> LazyListNode:
    """The LazyListNode of an encoded list (treecodec.decode_list's, unpacked)."""
    o = _new(LazyListNode)
    o.pos = e[1]
    o.tree = src
    o.weight = e[2]
    o._enc = e[3]
    return o


def _set_root(tree: Any, pos: int, elems: list[Any], w: int, src: Any) -> None:
    """A tree's root from its elements, as the on-disk cache's trees have it."""
    tree.root = _lazy((LIST, pos, w, tuple(elems)), src)
    tree.weight = w if w > 1 else 1
    tree.weight_known = True


class _Frame:
    """An open ``if``/``with``/``range`` (its tuple is made at its ``{{end}}``)."""

    __slots__ = (
        "kind",
        "pipe",
        "pw",
        "pos",
        "elems",
        "w",
        "lst",
        "outer",
        "ow",
        "nvars",
        "in_range",
        "chain",
    )

    def __init__(
        self,
        kind: int,
        pipe: tuple[Any, ...],
        pw: int,
        pos: int,
        outer: list[Any],
        ow: int,
        nvars: int,
    ) -> None:
        self.kind = kind
        self.pipe = pipe
        self.pw = pw  # the pipeline's weight
        self.pos = pos  # where its list starts
        self.elems: list[Any] = []  # the elements of the list being read (then, else)
        self.w = 0
        self.lst: tuple[Any, ...] | None = None  # the then-list, once an {{else}} is read
        self.outer = outer  # the elements of the list that holds it, and their weight
        self.ow = ow
        self.nvars = nvars
        self.in_range = kind == RANGE
        # direct: the structure whose {{else if}}/{{else with}} this one is (its {{end}}
        # ends both)
        self.chain: _Frame | None = None


def _close(cur: Any, f: _Frame, elems: list[Any], w: int) -> tuple[tuple[Any, ...], int]:
    """The structure ``f``'s tuple and weight (parse_control's end); ``elems`` and
    ``w``: the list being read (its then- or else-list)."""
    if f.in_range:
        cur.range_depth -= 1
    del cur.vars[f.nvars :]
    pipe = f.pipe
    last = (LIST, f.pos, w, tuple(elems))
    lst = f.lst
    if lst is None:
        return (f.kind, pipe[1], pipe[2], pipe, last, None), 1 + f.pw + w
    return (f.kind, pipe[1], pipe[2], pipe, lst, last), 1 + f.pw + lst[2] + w


def build(t: Any, items: list[Any], abort: type[Exception]) -> bool:
    """Parse ``items`` (lex_all's, compact) into the parser ``t`` (parse.Tree, after
    start_parse): its root, and each definition added to its tree set, in the tuple
    form (see the module). False: not done (``t`` and its tree set are to be reset
    and parsed by recursive descent). ``abort``: the parser's error exception (a
    sign to hand the text back)."""
    try:
        return _build(t, items, abort)
    except Unstorable:
        return False


def _build(t: Any, items: list[Any], abort: type[Exception]) -> bool:  # noqa: C901
    memo_get = actionmemo._MEMO.get
    take = actionmemo.take
    shift_pipe = actionmemo.shift_pipe
    shift_action = actionmemo.shift_action
    src = t._src
    tree_set = t.tree_set
    cur = t  # the tree being built: t, or a definition's
    define: Any = None
    root_pos = items[0][1]
    t_root_pos = root_pos  # t's root, while a definition's is built
    t_elems: list[Any] = []
    t_w = 0
    elems: list[Any] = []  # the list being read, and its weight
    w = 0
    stack: list[_Frame] = []
    i = 0
    while True:
        tok = items[i]
        typ = tok[0]
        if typ == _T_TEXT:
            text = tok[2]
            elems.append((TEXT, tok[1], text))
            w += 1 + (len(text) >> 8)
            i += 1
            continue
        if typ != _T_LEFT_DELIM or len(tok) < 9:
            if typ == _T_EOF and not stack and define is None:
                _set_root(t, root_pos, elems, w, src)
                # where the recursive descent stops: at EOF, peeked (add's error line)
                t.i = i
                t.hw = i + 1
                return True
            return False  # unexpected EOF, or items not lex_all's
        e = memo_get(id(tok[5]))
        if e is not None and (e[0] is not tok[5] or len(e) < 2 or e[7] < 0):
            e = None  # (another action's, one not kept, an {{else if}}'s)
        if e is None and not tok[8]:
            return False  # compact: the memo had the action
        if e is not None:  # the memo has the action (compact or not)
            kind = e[7]
            skip = tok[8] + 2  # its items and delimiters
            if kind == 0:
                if not take(cur, i, tok, e):
                    return False
                dp = tok[6] - e[2]
                dl = tok[7] - e[3]
                act = e[9]
                elems.append(act if dp == 0 and dl == 0 else shift_action(act, dp, dl))
                w += 1 + e[8]
                i += skip
                continue
            if kind == _T_END:
                i += skip
                if stack:
                    f = stack.pop()
                    n, nw = _close(cur, f, elems, w)
                    elems = f.outer
                    w = f.ow + nw
                    elems.append(n)
                    continue
                if define is None:
                    return False  # {{end}} outside a structure
                _set_root(define, root_pos, elems, w, src)
                if not _add(define, tree_set):
                    return False
                define.stop_parse()
                cur, define = t, None
                root_pos = t_root_pos
                elems, w = t_elems, t_w
                continue
            if kind == _T_ELSE:
                if not stack or stack[-1].lst is not None:
                    return False
                f = stack[-1]
                if f.in_range:
                    f.in_range = False
                    cur.range_depth -= 1
                i += skip
                f.lst = (LIST, f.pos, w, tuple(elems))
                f.pos = items[i][1]
                elems = []
                w = 0
                continue
            bkind = _BRANCH.get(kind)
            if bkind is None or e[1] is None or len(stack) >= MAX_DEPTH:
                return False
            nvars = len(cur.vars)
            if not take(cur, i, tok, e):
                return False
            dp = tok[6] - e[2]
            dl = tok[7] - e[3]
            pipe = e[1] if dp == 0 and dl == 0 else shift_pipe(e[1], dp, dl)
            i += skip
            f = _Frame(bkind, pipe, e[8], items[i][1], elems, w, nvars)
            if bkind == RANGE:
                cur.range_depth += 1
            stack.append(f)
            elems = []
            w = 0
            continue
        kw = items[i + 1][0]
        bkind = _BRANCH.get(kw)
        if bkind is not None:
            # an if/with/range met first: its pipeline parsed by the parser (and kept in
            # the memo, as parse_control keeps it), its list read by this loop
            if len(stack) >= MAX_DEPTH:
                return False
            nvars = len(cur.vars)
            cur.action_at = i
            cur.action_line = tok[3]
            cur.i = i + 2
            if i + 2 > cur.hw:
                cur.hw = i + 2
            try:
                p = cur.pipeline(_CONTEXT[kw], _T_RIGHT_DELIM)
            except abort:
                return False
            cur.action_line = 0
            at = cur.i
            if at == i + tok[8] + 2:
                actionmemo.record(tok[5], tok[6], tok[7], p, kw)
            e = memo_get(id(tok[5]))
            if (
                e is not None
                and e[0] is tok[5]
                and len(e) > 2
                and e[2] == tok[6]
                and e[3] == tok[7]
            ):
                pipe, pw = e[1], e[8]
            else:
                pipe, pw = _Flat().pipe(p), pipe_weight(p)
            i = at
            f = _Frame(bkind, pipe, pw, items[i][1], elems, w, nvars)
            if bkind == RANGE:
                cur.range_depth += 1
            stack.append(f)
            elems = []
            w = 0
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
            t_root_pos = root_pos
            t_elems, t_w = elems, w
            i += 4
            root_pos = items[i][1]
            elems = []
            w = 0
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
                _set_root(define, root_pos, elems, w, src)
                if not _add(define, tree_set):
                    return False
                define.stop_parse()
                cur, define = t, None
                root_pos = t_root_pos
                elems, w = t_elems, t_w
                continue
            f = stack.pop()
            n, nw = _close(cur, f, elems, w)
            elems = f.outer
            w = f.ow + nw
            elems.append(n)
            continue
        if nt is ElseNode:
            if not stack or stack[-1].lst is not None:
                return False
            f = stack[-1]
            if f.in_range:
                f.in_range = False
                cur.range_depth -= 1
            f.lst = (LIST, f.pos, w, tuple(elems))
            chain = items[i][0]
            if (chain == _T_IF and f.kind == IF) or (chain == _T_WITH and f.kind == WITH):
                # {{else if}} / {{else with}}: the rest of the chain, to its {{end}}, by
                # the parser (parse_control's else branch)
                cur.i = i + 1
                try:
                    inner = cur.if_control() if chain == _T_IF else cur.with_control()
                except abort:
                    return False
                i = cur.i
                stack.pop()
                e, ew = encode_flat(inner)
                f.pos = n.pos  # (the else-list starts at the {{else}}: ListNode(nxt.pos))
                n, nw = _close(cur, f, [e], ew)
                elems = f.outer
                w = f.ow + nw
                elems.append(n)
                continue
            f.pos = items[i][1]
            elems = []
            w = 0
            continue
        if nt is ActionNode and kw < _T_KEYWORD:
            e = memo_get(id(tok[5]))
            if (
                e is not None
                and e[0] is tok[5]
                and len(e) > 2
                and e[9] is not None
                and e[2] == tok[6]
                and e[3] == tok[7]
            ):
                # recorded by the parser just now: its tuple is this action's
                elems.append(e[9])
                w += 1 + e[8]
                continue
        e, ew = encode_flat(n)
        elems.append(e)
        w += ew


def _add(tree: Any, tree_set: dict[str, Any]) -> bool:
    """parse.Tree.add for a definition; False for a second non-empty definition (an error)."""
    old = tree_set.get(tree.name)
    if old is None or is_empty_tree(old.root):
        tree_set[tree.name] = tree
        return True
    return is_empty_tree(tree.root)
