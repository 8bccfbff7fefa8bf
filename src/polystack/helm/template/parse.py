"""The parser of Go's text/template (src/text/template/parse/parse.go)."""

from __future__ import annotations

from polystack.helm.golang.runtime import gc_paused
from polystack.helm.golang.strconv import quote
from polystack.helm.template import actionmemo
from polystack.helm.template.errors import ParseError
from polystack.helm.template.fastparse import build

# enum members as module globals (a class attribute lookup per use is slow)
from polystack.helm.template.items import (
    _T_ASSIGN,
    _T_BLOCK,
    _T_BOOL,
    _T_BREAK,
    _T_CHAR,
    _T_CHAR_CONSTANT,
    _T_COMMENT,
    _T_COMPLEX,
    _T_CONTINUE,
    _T_DECLARE,
    _T_DEFINE,
    _T_DOT,
    _T_ELSE,
    _T_END,
    _T_EOF,
    _T_ERROR,
    _T_FIELD,
    _T_IDENTIFIER,
    _T_IF,
    _T_KEYWORD,
    _T_LEFT_DELIM,
    _T_LEFT_PAREN,
    _T_NIL,
    _T_NUMBER,
    _T_PIPE,
    _T_RANGE,
    _T_RAW_STRING,
    _T_RIGHT_DELIM,
    _T_RIGHT_PAREN,
    _T_STRING,
    _T_TEMPLATE,
    _T_TEXT,
    _T_VARIABLE,
    _T_WITH,
    ItemType,
    Tok,
    tok_string,
)
from polystack.helm.template.literals import UnquoteError, go_unquote, new_number
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
from polystack.helm.template.scan import lex_all, lex_items
from polystack.helm.template.textparse import direct
from polystack.helm.template.tree import Tree as TreeData
from polystack.helm.template.tree import _Source, is_empty_tree

# typing is imported by type checkers only (its import is a fresh command's cost)
# typing is imported by type checkers only (its import is a fresh command's cost; so is
# collections')
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Tree", "parse", "is_empty_tree", "go_unquote", "UnquoteError"]

# (Tree's data, _Source and is_empty_tree live in tree.py: a run that takes every
# tree from the on-disk cache imports neither this parser nor the lexer)

_memo_get = actionmemo._MEMO.get
# textparse.direct (None: every text is lexed into items first; the tests compare both)
_direct: Callable[..., bool] | None = direct
_memo_action = actionmemo.memo_action
_memo_pipe = actionmemo.memo_pipe
_new = object.__new__

MAX_STACK_DEPTH = 10000
MAX_PIPELINE_CMDS = 100000

T = ItemType

# the items that start a command in a pipeline
_OPERAND_START = (
    _T_BOOL,
    _T_CHAR_CONSTANT,
    _T_COMPLEX,
    _T_DOT,
    _T_FIELD,
    _T_IDENTIFIER,
    _T_NUMBER,
    _T_NIL,
    _T_RAW_STRING,
    _T_STRING,
    _T_VARIABLE,
    _T_LEFT_PAREN,
)


class _Retry(Exception):
    """A compact action (lex_all's, without its items) whose memo entry does not
    apply here: the text is parsed again from items of every action."""


class _Abort(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _no_function(_name: str) -> bool:
    return False


class Tree(TreeData):
    """One parsed template (``parse.Tree``) and, while it is parsed, the parser's
    state: the items of the text and where the parser is in them."""

    def __init__(self, name: str, has_function: Callable[[str], bool] | None = None) -> None:
        TreeData.__init__(self, name)
        self.has_function = has_function or _no_function
        # the token stream: every item of the text (a sub-tree for a define or
        # block continues where its parent is, and hands the position back)
        self.items: list[Tok] = []
        self.i = 0  # the next item
        self.hw = 0  # the furthest item read or peeked (Go's t.token[0] is items[hw - 1])
        self.vars: list[str] = []
        self.tree_set: dict[str, TreeData] = {}
        self.action_line = 0
        self.action_at = 0  # the item of the last action's left delimiter
        self.range_depth = 0
        self.stack_depth = 0

    # -- token stream -----------------------------------------------------
    # Go's parser keeps a three-token lookahead over the lexer; here the items
    # are all lexed up front and the lookahead is an index into them.
    def next(self) -> Tok:
        i = self.i
        self.i = i + 1
        return self.items[i]

    def backup(self) -> None:
        i = self.i
        if i > self.hw:
            self.hw = i
        self.i = i - 1

    def rewind(self, mark: int) -> None:
        """Go's backup2/backup3: read again from item ``mark``."""
        if self.i > self.hw:
            self.hw = self.i
        self.i = mark

    def peek(self) -> Tok:
        i = self.i
        if i >= self.hw:
            self.hw = i + 1
        return self.items[i]

    # The item list has no SPACE items (see lexer.lex_items): Go's nextNonSpace
    # and peekNonSpace are next and peek.
    next_non_space = next
    peek_non_space = peek

    # -- errors -----------------------------------------------------------
    def errorf(self, msg: str) -> None:
        self.root = None
        last = max(self.hw, self.i) - 1
        line = self.items[last][3] if last >= 0 else 1
        raise _Abort(f"template: {self.parse_name}:{line}: {msg}")

    def expect(self, expected: ItemType, context: str) -> Tok:
        tok = self.next_non_space()
        if tok[0] != expected:
            self.unexpected(tok, context)
        return tok

    def expect_one_of(self, e1: ItemType, e2: ItemType, context: str) -> Tok:
        tok = self.next_non_space()
        if tok[0] != e1 and tok[0] != e2:
            self.unexpected(tok, context)
        return tok

    def unexpected(self, tok: Tok, context: str) -> None:
        if tok[0] == _T_ERROR:
            extra = ""
            if self.action_line != 0 and self.action_line != tok[3]:
                extra = f" in action started at {self.parse_name}:{self.action_line}"
                if tok[2].endswith(" action"):
                    extra = extra[len(" in action") :]
            self.errorf(f"{tok_string(tok)}{extra}")
        self.errorf(f"unexpected {tok_string(tok)} in {context}")

    # -- parsing ----------------------------------------------------------
    def start_parse(self, items: list[Tok], at: int, tree_set: dict[str, TreeData]) -> None:
        self.root = None
        self.items = items
        self.i = self.hw = at
        self.vars = ["$"]
        self.tree_set = tree_set
        self.stack_depth = 0

    def stop_parse(self) -> None:
        # like Go's stopParse, drop what only parsing needs (and the reference cycles)
        self.items = []
        self.vars = []
        self.tree_set = {}
        self.has_function = _no_function

    def parse(self, text: str, tree_set: dict[str, TreeData]) -> None:
        self.parse_name = self.name
        break_ok = not self.has_function("break")
        continue_ok = not self.has_function("continue")
        self.text = text
        self._src = _Source(text, self.parse_name)
        before = dict(tree_set)
        if break_ok and continue_ok and _direct is not None:
            # the text read by the parser's loop itself, without an item list
            self.start_parse([], 0, tree_set)
            if _direct(self, text, _Abort):
                self.add()
                self.stop_parse()
                return
            tree_set.clear()
            tree_set.update(before)
            self.range_depth = 0
        items = lex_all(text, break_ok, continue_ok, compact=True)
        fast = items is not None
        if items is None:
            items = lex_items(self.name, text, break_ok, continue_ok)
        else:
            items.extend([items[-1]] * 4)  # EOF: the lookahead may look past the end
        self.start_parse(items, 0, tree_set)
        try:
            if not (fast and build(self, items, _Abort)):
                if fast:  # (fastparse handed it back: parsed again by recursive descent)
                    tree_set.clear()
                    tree_set.update(before)
                    self.range_depth = 0
                    self.start_parse(items, 0, tree_set)
                self._parse()
        except _Retry:
            tree_set.clear()
            tree_set.update(before)
            self.range_depth = 0
            items = lex_all(text, break_ok, continue_ok)
            assert items is not None
            items.extend([items[-1]] * 4)
            self.start_parse(items, 0, tree_set)
            self._parse()
        self.add()
        self.stop_parse()

    def add(self) -> None:
        tree = self.tree_set.get(self.name)
        if tree is None or is_empty_tree(tree.root):
            self.tree_set[self.name] = self
            return
        if not is_empty_tree(self.root):
            self.errorf(f"template: multiple definition of template {quote(self.name)}")

    def _new_sub(self, name: str) -> Tree:
        sub = Tree(name, self.has_function)
        sub.text = self.text
        sub.parse_name = self.parse_name
        sub._src = self._src
        # Go shares the lexer, not the lookahead (empty here: nothing is peeked)
        sub.start_parse(self.items, self.i, self.tree_set)
        return sub

    def _parse(self) -> None:
        root = ListNode(self.peek()[1])
        self._set(root)
        self.root = root
        while self.peek()[0] != _T_EOF:
            if self.peek()[0] == _T_LEFT_DELIM:
                mark = self.i
                self.next()
                if self.next_non_space()[0] == _T_DEFINE:
                    new_t = self._new_sub("definition")
                    new_t.parse_definition()
                    self.i = self.hw = new_t.i  # go on after the define's {{end}}
                    continue
                self.rewind(mark)
            n = self.text_or_action()
            if isinstance(n, (EndNode, ElseNode)):
                self.errorf(f"unexpected {n}")
            else:
                root.nodes.append(n)

    def _set(self, n: Node) -> Node:
        n.tree = self._src
        return n

    def parse_definition(self) -> None:
        context = "define clause"
        name = self.expect_one_of(_T_STRING, _T_RAW_STRING, context)
        try:
            self.name = go_unquote(name[2])
        except UnquoteError as e:
            self.errorf(str(e))
        self.expect(_T_RIGHT_DELIM, context)
        self.root, end = self.item_list()
        if not isinstance(end, EndNode):
            self.errorf(f"unexpected {end} in {context}")
        self.add()
        self.stop_parse()

    # The hot paths below inline next(), peek() and _set() (a method call per item
    # and per node was a fifth of the parse): ``i = self.i; tok = items[i]`` is
    # peek/next, ``if i >= self.hw: self.hw = i + 1`` is what peek adds.
    def item_list(self) -> tuple[ListNode, Node]:
        items = self.items
        i = self.i
        if i >= self.hw:
            self.hw = i + 1
        lst = ListNode(items[i][1])
        lst.tree = self._src
        nodes = lst.nodes
        text_or_action = self.text_or_action
        while True:
            i = self.i
            if i >= self.hw:
                self.hw = i + 1
            if items[i][0] == _T_EOF:
                break
            n = text_or_action()
            if type(n) is EndNode or type(n) is ElseNode:
                return lst, n
            nodes.append(n)
        self.errorf("unexpected EOF")
        raise AssertionError

    def text_or_action(self) -> Node:
        i = self.i
        tok = self.items[i]
        self.i = i + 1
        typ = tok[0]
        if typ == _T_TEXT:
            n = TextNode(tok[1], tok[2])
            n.tree = self._src
            return n
        if typ == _T_LEFT_DELIM:
            self.action_at = i
            memo = None
            if len(tok) > 5:  # lex_all's: the action's split is the memo's key
                memo = _memo_get(id(tok[5]))
                if memo is None or memo[0] is not tok[5]:
                    memo = None
                elif len(memo) > 1:
                    kind = memo[7]
                    if kind == 0:
                        n = _memo_action(self, i, tok, memo)
                        if n is not None:
                            return n
                        if not tok[8]:
                            raise _Retry
                    elif (kind == _T_END or kind == _T_ELSE) and not tok[8]:
                        # {{end}}, {{else}}: the node takes the right delimiter's place
                        r = self.items[i + 1]
                        self.i = i + 2
                        n = _new(EndNode if kind == _T_END else ElseNode)
                        n.pos = r[1]
                        n.tree = self._src
                        if kind == _T_ELSE:
                            n.line = r[3]
                        return n
                    elif kind > 0 and not tok[8]:
                        # a compact control action: its keyword is read (parse_control
                        # takes the pipeline from the memo)
                        self.action_line = tok[3]
                        try:
                            if kind == _T_IF:
                                return self.if_control()
                            if kind == _T_WITH:
                                return self.with_control()
                            return self.range_control()
                        finally:
                            self.action_line = 0
            self.action_line = tok[3]
            try:
                node = self.action()
            finally:
                self.action_line = 0
            if memo is None and len(tok) > 5:
                t = type(node)
                if t is ActionNode:
                    if self.i == i + tok[8] + 2:
                        actionmemo.record(tok[5], tok[6], tok[7], node.pipe, 0)
                elif (t is EndNode or t is ElseNode) and tok[8] == 1 and self.i == i + 3:
                    actionmemo.record_keyword(tok[5], _T_END if t is EndNode else _T_ELSE)
            return node
        if typ == _T_COMMENT:
            return self._set(CommentNode(tok[1], tok[2]))
        self.unexpected(tok, "input")
        raise AssertionError

    def action(self) -> Node:
        items = self.items
        i = self.i
        tok = items[i]
        typ = tok[0]
        if typ < _T_KEYWORD:  # not a keyword: backup() then peek(), inlined
            if i + 1 > self.hw:
                self.hw = i + 1
            n = ActionNode(tok[1], tok[3], self.pipeline("command", _T_RIGHT_DELIM))
            n.tree = self._src
            return n
        self.i = i + 1
        if typ == _T_BLOCK:
            return self.block_control()
        if typ == _T_BREAK:
            return self.break_control(tok[1], tok[3])
        if typ == _T_CONTINUE:
            return self.continue_control(tok[1], tok[3])
        if typ == _T_ELSE:
            return self.else_control()
        if typ == _T_END:
            return self.end_control()
        if typ == _T_IF:
            return self.if_control()
        if typ == _T_RANGE:
            return self.range_control()
        if typ == _T_TEMPLATE:
            return self.template_control()
        if typ == _T_WITH:
            return self.with_control()
        self.backup()
        tok = self.peek()
        return self._set(ActionNode(tok[1], tok[3], self.pipeline("command", _T_RIGHT_DELIM)))

    def break_control(self, pos: int, line: int) -> Node:
        tok = self.next_non_space()
        if tok[0] != _T_RIGHT_DELIM:
            self.unexpected(tok, "{{break}}")
        if self.range_depth == 0:
            self.errorf("{{break}} outside {{range}}")
        return self._set(BreakNode(pos, line))

    def continue_control(self, pos: int, line: int) -> Node:
        tok = self.next_non_space()
        if tok[0] != _T_RIGHT_DELIM:
            self.unexpected(tok, "{{continue}}")
        if self.range_depth == 0:
            self.errorf("{{continue}} outside {{range}}")
        return self._set(ContinueNode(pos, line))

    def pipeline(self, context: str, end: ItemType) -> PipeNode:
        items = self.items
        i = self.i
        if i >= self.hw:
            self.hw = i + 1
        tok = items[i]
        pipe = PipeNode(tok[1], tok[3])
        pipe.tree = self._src
        while True:  # decls:
            i = self.i
            if i >= self.hw:
                self.hw = i + 1
            v = items[i]
            if v[0] != _T_VARIABLE:
                break
            mark = self.i
            self.next()
            self.peek()  # Go peeks here (it matters for the line of an error)
            nxt = self.peek_non_space()
            if nxt[0] in (_T_ASSIGN, _T_DECLARE):
                pipe.is_assign = nxt[0] == _T_ASSIGN
                self.next_non_space()
                pipe.decl.append(self._set(VariableNode(v[1], v[2])))  # type: ignore[arg-type]
                self.vars.append(v[2])
                break
            if nxt[0] == _T_CHAR and nxt[2] == ",":
                self.next_non_space()
                pipe.decl.append(self._set(VariableNode(v[1], v[2])))  # type: ignore[arg-type]
                self.vars.append(v[2])
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space()[0] in (_T_VARIABLE, _T_RIGHT_DELIM, _T_RIGHT_PAREN):
                        continue
                    self.errorf("range can only initialize variables")
                self.errorf(f"too many declarations in {context}")
            self.rewind(mark)  # backup3(v, space) or backup2(v)
            break
        cmds = pipe.cmds
        command = self.command
        while True:
            i = self.i
            tok = items[i]
            typ = tok[0]
            if typ == end:
                self.i = i + 1
                if len(cmds) != 1:
                    self.check_pipeline(pipe, context)
                return pipe
            if typ in _OPERAND_START:  # next() then backup(), inlined
                if i + 1 > self.hw:
                    self.hw = i + 1
                cmds.append(command())
                if len(cmds) > MAX_PIPELINE_CMDS:
                    self.errorf("pipeline too long")
            else:
                self.i = i + 1
                self.unexpected(tok, context)

    def check_pipeline(self, pipe: PipeNode, context: str) -> None:
        if not pipe.cmds:
            self.errorf(f"missing value for {context}")
        if len(pipe.cmds) == 1:
            return
        for i, c in enumerate(pipe.cmds[1:]):
            if isinstance(c.args[0], (BoolNode, DotNode, NilNode, NumberNode, StringNode)):
                self.errorf(f"non executable command in pipeline stage {i + 2}")

    def parse_control(self, context: str) -> tuple[int, int, PipeNode, ListNode, ListNode | None]:
        nvars = len(self.vars)
        try:
            # the pipeline from the memo (actionmemo.py) when this action's text was
            # parsed before; recorded when it is parsed here first
            pipe = None
            at = self.action_at
            tok = self.items[at]
            memo = None
            if len(tok) > 5:
                compact = not tok[8]
                ahead = self.i - at  # 2: {{if ...}}, 3: {{else if ...}}, 1: compact
                if compact or 2 <= ahead <= 3:
                    memo = _memo_get(id(tok[5]))
                    if memo is None or memo[0] is not tok[5]:
                        memo = None
                    elif len(memo) > 1 and memo[7] and memo[1] is not None:
                        pipe = _memo_pipe(self, at, tok, memo)
                        if pipe is None and compact:
                            raise _Retry
            if pipe is None:
                pipe = self.pipeline(context, _T_RIGHT_DELIM)
                if memo is None and len(tok) > 5 and self.i == at + tok[8] + 2:
                    kind = self.items[at + 1][0] if ahead == 2 else -1
                    actionmemo.record(tok[5], tok[6], tok[7], pipe, kind)
            if context == "range":
                self.range_depth += 1
            lst, nxt = self.item_list()
            if context == "range":
                self.range_depth -= 1
            else_list = None
            if isinstance(nxt, ElseNode):
                if context == "if" and self.peek()[0] == _T_IF:
                    self.next()
                    else_list = self._set(ListNode(nxt.pos))
                    else_list.nodes.append(self.if_control())  # type: ignore[attr-defined]
                elif context == "with" and self.peek()[0] == _T_WITH:
                    self.next()
                    else_list = self._set(ListNode(nxt.pos))
                    else_list.nodes.append(self.with_control())  # type: ignore[attr-defined]
                else:
                    else_list, nxt = self.item_list()
                    if not isinstance(nxt, EndNode):
                        self.errorf(f"expected end; found {nxt}")
            return pipe.pos, pipe.line, pipe, lst, else_list  # type: ignore[return-value]
        finally:
            del self.vars[nvars:]

    def if_control(self) -> Node:
        return self._set(IfNode(*self.parse_control("if")))

    def range_control(self) -> Node:
        return self._set(RangeNode(*self.parse_control("range")))

    def with_control(self) -> Node:
        return self._set(WithNode(*self.parse_control("with")))

    def end_control(self) -> Node:
        return self._set(EndNode(self.expect(_T_RIGHT_DELIM, "end")[1]))

    def else_control(self) -> Node:
        peek = self.peek_non_space()
        if peek[0] in (_T_IF, _T_WITH):
            return self._set(ElseNode(peek[1], peek[3]))
        tok = self.expect(_T_RIGHT_DELIM, "else")
        return self._set(ElseNode(tok[1], tok[3]))

    def block_control(self) -> Node:
        context = "block clause"
        tok = self.next_non_space()
        name = self.parse_template_name(tok, context)
        pipe = self.pipeline(context, _T_RIGHT_DELIM)
        block = Tree(name, self.has_function)
        block.text = self.text
        block.parse_name = self.parse_name
        block._src = self._src
        block.start_parse(self.items, self.i, self.tree_set)
        block.root, end = block.item_list()
        if not isinstance(end, EndNode):
            self.errorf(f"unexpected {end} in {context}")
        at = block.i
        block.add()
        block.stop_parse()
        self.i = self.hw = at
        return self._set(TemplateNode(tok[1], tok[3], name, pipe))

    def template_control(self) -> Node:
        context = "template clause"
        tok = self.next_non_space()
        name = self.parse_template_name(tok, context)
        pipe = None
        if self.next_non_space()[0] != _T_RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, _T_RIGHT_DELIM)
        return self._set(TemplateNode(tok[1], tok[3], name, pipe))

    def parse_template_name(self, tok: Tok, context: str) -> str:
        if tok[0] in (_T_STRING, _T_RAW_STRING):
            try:
                return go_unquote(tok[2])
            except UnquoteError as e:
                self.errorf(str(e))
        self.unexpected(tok, context)
        raise AssertionError

    def command(self) -> CommandNode:
        items = self.items
        i = self.i
        if i >= self.hw:
            self.hw = i + 1
        cmd = CommandNode(items[i][1])
        cmd.tree = self._src
        args = cmd.args
        operand_of = self.operand
        while True:
            operand = operand_of()
            if operand is not None:
                args.append(operand)
            # Go: next(); a SPACE item means another operand follows (a SPACE
            # can only come right after an operand: term backs up to the
            # non-space item). Then backup() for a delimiter, inlined.
            i = self.i
            tok = items[i]
            if operand is not None and tok[4]:
                continue
            typ = tok[0]
            if typ == _T_RIGHT_DELIM or typ == _T_RIGHT_PAREN:
                if i + 1 > self.hw:
                    self.hw = i + 1
            elif typ == _T_PIPE:
                self.i = i + 1
            else:
                self.i = i + 1
                self.unexpected(tok, "operand")
            break
        if not cmd.args:
            self.errorf("empty command")
        return cmd

    def operand(self) -> Node | None:
        node: Node | None
        items = self.items
        i = self.i
        tok = items[i]
        typ = tok[0]
        # term(), inlined for the common terms
        if typ == _T_FIELD:
            j = i + 1
            nxt = items[j]
            if nxt[0] == _T_FIELD and not nxt[4]:
                # a chain of fields (.Values.a.b): the chain below, for a field, at once
                j += 1
                while items[j][0] == _T_FIELD and not items[j][4]:
                    j += 1
                self.i = j
                if j >= self.hw:
                    self.hw = j + 1  # Go's loop ends peeking the item after the chain
                fields = FieldNode(nxt[1], "".join([items[k][2] for k in range(i, j)]))
                fields.tree = self._src
                return fields
            self.i = i = j
            node = FieldNode(tok[1], tok[2])
            node.tree = self._src
        elif typ == _T_IDENTIFIER and self.has_function(tok[2]):
            self.i = i = i + 1
            node = IdentifierNode(tok[1], tok[2])
            node.tree = self._src
        elif typ == _T_DOT:
            self.i = i = i + 1
            node = DotNode(tok[1])
            node.tree = self._src
        else:
            node = self.term()
            if node is None:
                return None
            i = self.i
        # self.peek(), inlined: a field right after the term (no space)
        if i >= self.hw:
            self.hw = i + 1
        tok = items[i]
        if tok[0] == _T_FIELD and not tok[4]:
            if isinstance(node, (FieldNode, VariableNode)):
                # the chain below, then newField/newVariable(chain.String()), directly
                j = i
                while items[j][0] == _T_FIELD and not items[j][4]:
                    j += 1
                self.i = j
                if j >= self.hw:
                    self.hw = j + 1  # Go's loop ends peeking the item after the chain
                text = str(node) + "".join(items[k][2] for k in range(i, j))
                cls = FieldNode if isinstance(node, FieldNode) else VariableNode
                return self._set(cls(items[i][1], text))
            chain = self._set(ChainNode(self.peek()[1], node))
            assert isinstance(chain, ChainNode)
            while self.peek()[0] == _T_FIELD and not self.peek()[4]:
                chain.add(self.next()[2])
            if isinstance(node, FieldNode):
                node = self._set(FieldNode(chain.pos, str(chain)))
            elif isinstance(node, VariableNode):
                node = self._set(VariableNode(chain.pos, str(chain)))
            elif isinstance(node, (BoolNode, StringNode, NumberNode, NilNode, DotNode)):
                self.errorf(f"unexpected . after term {quote(str(node))}")
            else:
                node = chain
        return node

    def term(self) -> Node | None:
        tok = self.next_non_space()
        typ = tok[0]
        if typ == _T_IDENTIFIER:
            if not self.has_function(tok[2]):
                self.errorf(f"function {quote(tok[2])} not defined")
            return self._set(IdentifierNode(tok[1], tok[2]))
        if typ == _T_DOT:
            return self._set(DotNode(tok[1]))
        if typ == _T_NIL:
            return self._set(NilNode(tok[1]))
        if typ == _T_VARIABLE:
            return self.use_var(tok[1], tok[2])
        if typ == _T_FIELD:
            return self._set(FieldNode(tok[1], tok[2]))
        if typ == _T_BOOL:
            return self._set(BoolNode(tok[1], tok[2] == "true"))
        if typ in (_T_CHAR_CONSTANT, _T_COMPLEX, _T_NUMBER):
            try:
                return self._set(new_number(tok[1], tok[2], typ))
            except ValueError as e:
                self.errorf(str(e))
        if typ == _T_LEFT_PAREN:
            if self.stack_depth >= MAX_STACK_DEPTH:
                self.errorf("max expression depth exceeded")
            self.stack_depth += 1
            try:
                return self.pipeline("parenthesized pipeline", _T_RIGHT_PAREN)
            finally:
                self.stack_depth -= 1
        if typ in (_T_STRING, _T_RAW_STRING):
            try:
                s = go_unquote(tok[2])
            except UnquoteError as e:
                self.errorf(str(e))
            return self._set(StringNode(tok[1], tok[2], s))
        self.backup()
        return None

    def use_var(self, pos: int, name: str) -> Node:
        v = self._set(VariableNode(pos, name))
        assert isinstance(v, VariableNode)
        if v.ident[0] in self.vars:
            return v
        self.errorf(f"undefined variable {quote(v.ident[0])}")
        raise AssertionError


def parse(name: str, text: str, has_function: Callable[[str], bool]) -> dict[str, TreeData]:
    """parse.Parse: the trees of ``text`` (the top-level one named ``name``)."""
    tree_set: dict[str, TreeData] = {}
    t = Tree(name, has_function)
    t.text = text
    with gc_paused():
        try:
            t.parse(text, tree_set)
        except _Abort as e:
            raise ParseError(e.message) from None
        except RecursionError:
            raise ParseError(f"template: {name}:1: max expression depth exceeded") from None
    return tree_set
