"""The parser's loop over a template's text: ``direct`` reads the text itself, as
lex_all (scan.py) does, and builds its trees as fastparse.build does from lex_all's
items, without the item list in between: an action the memo has (most of a chart's)
costs a dictionary lookup and its tuples moved (actionmemo.py); an action of a
shape the memo knows (the same but for its strings' text) its entry made from that
one's; an action met first is split (scan.py) and its items alone given to the
parser (a plain action, an if/with/range's or an {{else if}}'s pipeline, end, else).
Anything else (an error, a redefinition, {{template}}'s and {{block}}'s bodies ...)
returns False, and the template is parsed from lex_all's items as before (the
caller resets the parser). tests/helm/test_template_fastparse.py compares both ways
with the recursive descent.
"""

from __future__ import annotations

from polystack.helm.template import actionmemo, scan
from polystack.helm.template.fastparse import (
    _BRANCH,
    _CONTEXT,
    MAX_DEPTH,
    _add,
    _close,
    _Flat,
    _Frame,
    _set_root,
    encode_flat,
)
from polystack.helm.template.items import (
    _SPACE,
    _T_DEFINE,
    _T_ELSE,
    _T_END,
    _T_EOF,
    _T_IF,
    _T_KEYWORD,
    _T_LEFT_DELIM,
    _T_RAW_STRING,
    _T_RIGHT_DELIM,
    _T_STRING,
    _T_WITH,
)
from polystack.helm.template.literals import UnquoteError, go_unquote
from polystack.helm.template.nodes import ActionNode, ElseNode, EndNode
from polystack.helm.template.treecodec import LIST, RANGE, TEXT, Unstorable
from polystack.helm.template.weight import pipe_weight

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["direct"]


class _Root:
    """Where a root list starts (the position of the first item after its start)."""

    __slots__ = ("pos",)

    def __init__(self) -> None:
        self.pos = 0


_CHAINS = (_T_IF, _T_WITH)


def _mini(
    x: int,
    left_line: int,
    proto: Any,
    tpos: int,
    tline: int,
    its: Any,
    pos: int,
    line: int,
    sp: bool,
    n: int,
) -> list[Any]:
    """The items lex_all gives one action (its left delimiter at ``x``, its text at
    ``tpos`` on line ``tline``, its right delimiter at ``pos`` on ``line``), then EOF."""
    mini: list[Any] = [(_T_LEFT_DELIM, x, "{{", left_line, False, proto, tpos, tline, len(its))]
    mini += [(ty, tpos + o, v, tline + d, s) for ty, o, v, d, s in its]
    mini.append((_T_RIGHT_DELIM, pos, "}}", line, sp))
    mini += [(_T_EOF, n, "", line, False)] * 5
    return mini


def _end(cur: Any, stack: list[_Frame], elems: list[Any], w: int) -> tuple[list[Any], int]:
    """An {{end}}: the innermost structure closed (and those it is the {{else if}} of);
    returns the list that holds it and its weight."""
    f = stack.pop()
    nd, nw = _close(cur, f, elems, w)
    while f.chain is not None:
        parent = stack.pop()  # (f.chain)
        nd, nw = _close(cur, parent, [nd], nw)
        f = parent
    outer = f.outer
    outer.append(nd)
    return outer, f.ow + nw


def direct(t: Any, text: str, abort: type[Exception]) -> bool:
    """Parse ``text`` into the parser ``t`` (parse.Tree, after start_parse, with the
    default delimiters and ``break``/``continue`` keywords) as ``build`` does from
    lex_all's items; False: not done (see above)."""
    try:
        return _direct(t, text, abort)
    except Unstorable:
        return False


def _direct(t: Any, text: str, abort: type[Exception]) -> bool:  # noqa: C901
    smemo = scan._MEMO
    amemo_get = actionmemo._MEMO.get
    names_ok = actionmemo.take_names
    shift_pipe = actionmemo.shift_pipe
    shift_action = actionmemo.shift_action
    from_shape = actionmemo.from_shape
    learn_shape = actionmemo.learn_shape
    has_function = t.has_function
    known: set[tuple[str, ...]] = set()  # the function names found defined
    src = t._src
    tree_set = t.tree_set
    find = text.find
    count = text.count
    startswith = text.startswith
    n = len(text)
    space = _SPACE
    cur = t  # the tree being built: t, or a definition's
    define: Any = None
    root = _Root()
    t_root = root
    want: Any = root  # the list (root or frame) whose position is the next item's
    elems: list[Any] = []  # the list being read, and its weight
    w = 0
    t_elems: list[Any] = elems
    t_w = 0
    stack: list[_Frame] = []
    start = 0  # where the pending text starts
    line = 1  # the line at ``start``
    after_trim = False  # the pending text follows " -}}": its leading spaces are trimmed
    rest = ""
    while True:
        x = find("{{", start)
        if after_trim:
            after_trim = False
            seg = text[start:x] if x >= 0 else text[start:]
            rest = seg.lstrip(space)
            k = len(seg) - len(rest)
            if k:
                line += count("\n", start, start + k)
                start += k
        else:
            seg = None
        if x < 0:
            if start < n:
                if seg is None:
                    rest = text[start:]
                if want is not None:
                    want.pos = start
                    want = None
                elems.append((TEXT, start, rest))
                w += 1 + (len(rest) >> 8)
            if want is not None:
                want.pos = n
            if stack or define is not None or t.name in tree_set:
                return False  # unexpected EOF; a redefinition (the parser's error)
            _set_root(t, root.pos, elems, w, src)
            return True
        trim = x + 3 < n and text[x + 2] == "-" and text[x + 3] in space
        if start < x:
            if seg is None:
                rest = text[start:x]
            if trim:
                rest = rest.rstrip(space)
            if rest:
                if want is not None:
                    want.pos = start
                    want = None
                elems.append((TEXT, start, rest))
                w += 1 + (len(rest) >> 8)
            line += count("\n", start, x)
        left_line = line
        if trim:
            pos = x + 4
            if text[x + 3] == "\n":
                line += 1
        else:
            pos = x + 2
        if startswith("/*", pos):
            i = find("*/", pos + 2)
            if i < 0:
                return False
            pos = i + 2
            if startswith("}}", pos):
                pos += 2
            elif pos + 1 < n and text[pos] in space and startswith("-}}", pos + 1):
                pos += 4
                after_trim = True
            else:
                return False
            line = left_line + count("\n", x, pos)
            start = pos
            continue
        close = find("}}", pos)
        if close < 0:
            return False
        rtrim = close - 2 >= pos and text[close - 1] == "-" and text[close - 2] in space
        body = text[pos : close - 2 if rtrim else close]
        if body[:1] == "`" and body.find("`", 1) < 0:
            # a raw string holding "}}" (lex_all's case)
            j = find("`", pos + 1)
            if j > 0 and startswith("}}", j + 1):
                rtrim = False
                body = text[pos : j + 1]
        proto = smemo.get(body)
        if proto is None:
            # an action of a shape seen before: its split and entry from that one's
            # (the same tokens but for the strings' text: actionmemo.from_shape)
            proto = from_shape(body, _T_STRING)
            if proto is None:
                toks = scan._split(body)
                if toks is None:
                    # a string holding "}}" (or an error): the tokens one by one (lex_all's)
                    found = scan._action_tokens(text, pos)
                    if found is None:
                        return False
                    toks, _stop, rtrim = found
                    proto = scan._action_items(toks, scan._WORD_TYPES)
                    if proto is None:
                        return False
                    body = ""  # (not kept: lex_all keeps no such split)
                else:
                    proto = scan._action_items(toks, scan._WORD_TYPES)
                    if proto is None:
                        return False
                    learn_shape(body, proto)
            if body:
                if len(smemo) >= scan._MEMO_MAX:
                    smemo.clear()
                smemo[body] = proto
        if want is not None:
            want.pos = x
            want = None
        its, size, lines, sp = proto
        tpos = pos  # where the action's text starts, on line tline
        tline = line
        pos += size
        line += lines
        if rtrim:
            if text[pos] == "\n":
                line += 1
            pos += 2
            after_trim = True
        start = pos + 2
        e = amemo_get(id(proto))
        if e is not None and e[0] is proto and len(e) > 1 and e[7] == 0:
            # a plain action the memo has (the commonest): take_names, its function
            # names checked once per template
            if e[4] or e[5]:
                if not names_ok(cur, e):
                    return False
            elif e[6] and e[6] not in known:
                for name in e[6]:
                    if not has_function(name):
                        return False
                known.add(e[6])
            dp = tpos - e[2]
            dl = tline - e[3]
            act = e[9]
            elems.append(act if dp == 0 and dl == 0 else shift_action(act, dp, dl))
            w += 1 + e[8]
            continue
        if e is not None and (e[0] is not proto or len(e) < 2):
            e = None
        nits = len(its)
        if nits > 1 and its[0][0] == _T_ELSE and its[1][0] in _CHAINS:
            # {{else if ...}} / {{else with ...}}: the else-list holds one structure, the
            # rest of the chain, whose {{end}} ends both (parse_control's else branch)
            chain = its[1][0]
            if not stack or stack[-1].lst is not None or stack[-1].kind != _BRANCH[chain]:
                return False
            f = stack[-1]
            nvars = len(cur.vars)
            if e is not None and e[7] < 0 and e[1] is not None:
                if not names_ok(cur, e):
                    return False
                dp = tpos - e[2]
                dl = tline - e[3]
                pipe = e[1] if dp == 0 and dl == 0 else shift_pipe(e[1], dp, dl)
                pw = e[8]
            else:
                cur.items = _mini(x, left_line, proto, tpos, tline, its, pos, line, sp, n)
                cur.action_at = 0
                cur.action_line = left_line
                cur.i = cur.hw = 3
                try:
                    p = cur.pipeline(_CONTEXT[chain], _T_RIGHT_DELIM)
                except abort:
                    return False
                cur.action_line = 0
                if cur.i != nits + 2:
                    return False
                actionmemo.record(proto, tpos, tline, p, -1)
                e = amemo_get(id(proto))
                if e is not None and e[0] is proto and len(e) > 2:
                    pipe, pw = e[1], e[8]
                else:
                    pipe, pw = _Flat().pipe(p), pipe_weight(p)
            f.lst = (LIST, f.pos, w, tuple(elems))
            f.pos = tpos + its[1][1]  # (the else-list is where the keyword is)
            inner = _Frame(_BRANCH[chain], pipe, pw, 0, [], 0, nvars)
            inner.chain = f
            stack.append(inner)
            want = inner
            elems = []
            w = 0
            continue
        if e is not None and e[7] < 0:
            e = None
        if e is not None:
            kind = e[7]
            if kind == 0:
                if not names_ok(cur, e):
                    return False
                dp = tpos - e[2]
                dl = tline - e[3]
                act = e[9]
                elems.append(act if dp == 0 and dl == 0 else shift_action(act, dp, dl))
                w += 1 + e[8]
                continue
            if kind == _T_END:
                if stack:
                    elems, w = _end(cur, stack, elems, w)
                    continue
                if define is None:
                    return False
                _set_root(define, root.pos, elems, w, src)
                if not _add(define, tree_set):
                    return False
                define.stop_parse()
                cur, define = t, None
                root = t_root
                elems, w = t_elems, t_w
                continue
            if kind == _T_ELSE:
                if not stack or stack[-1].lst is not None:
                    return False
                f = stack[-1]
                if f.in_range:
                    f.in_range = False
                    cur.range_depth -= 1
                f.lst = (LIST, f.pos, w, tuple(elems))
                want = f
                elems = []
                w = 0
                continue
            bkind = _BRANCH.get(kind)
            if bkind is None or e[1] is None or len(stack) >= MAX_DEPTH:
                return False
            nvars = len(cur.vars)
            if not names_ok(cur, e):
                return False
            dp = tpos - e[2]
            dl = tline - e[3]
            f = _Frame(
                bkind,
                e[1] if dp == 0 and dl == 0 else shift_pipe(e[1], dp, dl),
                e[8],
                0,
                elems,
                w,
                nvars,
            )
            if bkind == RANGE:
                cur.range_depth += 1
            stack.append(f)
            want = f
            elems = []
            w = 0
            continue
        # met first (or not kept): its items alone, for the parser
        if not its:
            return False
        k0 = its[0][0]
        if k0 == _T_DEFINE:
            if (
                stack
                or define is not None
                or nits != 2
                or its[1][0] not in (_T_STRING, _T_RAW_STRING)
            ):
                return False
            try:
                name = go_unquote(its[1][2])
            except UnquoteError:
                return False
            define = cur = t._new_sub("definition")
            define.name = name
            t_root = root
            t_elems, t_w = elems, w
            root = want = _Root()
            elems = []
            w = 0
            continue
        cur.items = _mini(x, left_line, proto, tpos, tline, its, pos, line, sp, n)
        bkind = _BRANCH.get(k0)
        if bkind is not None:
            if len(stack) >= MAX_DEPTH:
                return False
            nvars = len(cur.vars)
            cur.action_at = 0
            cur.action_line = left_line
            cur.i = cur.hw = 2
            try:
                p = cur.pipeline(_CONTEXT[k0], _T_RIGHT_DELIM)
            except abort:
                return False
            cur.action_line = 0
            if cur.i != nits + 2:
                return False
            actionmemo.record(proto, tpos, tline, p, k0)
            e = amemo_get(id(proto))
            if e is not None and e[0] is proto and len(e) > 2:
                pipe, pw = e[1], e[8]
            else:
                pipe, pw = _Flat().pipe(p), pipe_weight(p)
            f = _Frame(bkind, pipe, pw, 0, elems, w, nvars)
            if bkind == RANGE:
                cur.range_depth += 1
            stack.append(f)
            want = f
            elems = []
            w = 0
            continue
        cur.i = cur.hw = 0
        try:
            nd = cur.text_or_action()
        except abort:
            return False
        if cur.i != nits + 2:
            return False  # ({{else if}}: the chain goes on in the parser's items)
        nt = type(nd)
        if nt is EndNode:
            if stack:
                elems, w = _end(cur, stack, elems, w)
                continue
            if define is None:
                return False
            _set_root(define, root.pos, elems, w, src)
            if not _add(define, tree_set):
                return False
            define.stop_parse()
            cur, define = t, None
            root = t_root
            elems, w = t_elems, t_w
            continue
        if nt is ElseNode:
            if not stack or stack[-1].lst is not None:
                return False
            f = stack[-1]
            if f.in_range:
                f.in_range = False
                cur.range_depth -= 1
            f.lst = (LIST, f.pos, w, tuple(elems))
            want = f
            elems = []
            w = 0
            continue
        if nt is ActionNode and k0 < _T_KEYWORD:
            e = amemo_get(id(proto))
            if (
                e is not None
                and e[0] is proto
                and len(e) > 2
                and e[9] is not None
                and e[2] == tpos
                and e[3] == tline
            ):
                elems.append(e[9])
                w += 1 + e[8]
                continue
        enc, ew = encode_flat(nd)
        elems.append(enc)
        w += ew
