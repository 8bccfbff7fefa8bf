"""Compiles parse trees into Python closures (done once per template)."""

from __future__ import annotations

import gc

from polystack.helm.golang.runtime import gc_paused
from polystack.helm.golang.strconv import quote
from polystack.helm.golang.types import POINTER_METHOD_TYPES, unaddressable
from polystack.helm.template import exec as ex
from polystack.helm.template.builtins import BUILTINS
from polystack.helm.template.funcmap import LazyFunc, resolve
from polystack.helm.template.limits import INVOKE_COST
from polystack.helm.template.nodes import (
    ActionNode,
    BoolNode,
    BreakNode,
    ChainNode,
    CommandNode,
    CommentNode,
    ContinueNode,
    DotNode,
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
from polystack.helm.template.runners import (
    _action_runner,
    _arg_bad,
    _arg_command,
    _arg_const,
    _arg_dot,
    _arg_field,
    _arg_var,
    _arg_var_fields,
    _bad_cmd,
    _decl_runner,
    _dot_cmd,
    _field_value,
    _if_runner,
    _literal_cmd,
    _nil_cmd,
    _not_a_function,
    _number_cmd,
    _paren_cmd,
    _pipe_runner,
    _raise_runner,
    _range_runner,
    _variable_value,
)
from polystack.helm.template.tree import Tree
from polystack.helm.template.treecodec import (
    ACTION,
    FIELD,
    IDENT,
    IF,
    TEXT,
    VARIABLE,
    WITH,
    LazyListNode,
    _d_list,
    constant_output,
    decode_node,
    elements,
)
from polystack.helm.template.values import MISSING, NO_VALUE
from polystack.helm.template.weight import list_weight

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["compile_tree"]

fail = ex.fail
State = ex.State
# module-level aliases (not closure cells: fewer objects per compiled node)
_eval_call = ex.eval_call
_call_plan = ex.call_plan
_validate_type = ex.validate_type
_RV = ex.RV
_err_text = ex._err_text
_charge = ex.charge
_sized = ex._SIZED
_check_budget = ex.check_budget
_call_failed = ex.call_failed
_eval_field_chain = ex.eval_field_chain
_missing_key = ex._missing_key
_var_value = ex._var_value
_iface_maps = ex._IFACE_MAPS
# (Any as a string: typing is not imported at run time)
if TYPE_CHECKING:
    Value = Callable[[State, "Any"], "Any"]
    Command = Callable[[State, "Any", "Any"], "Any"]
    Runner = Callable[[State, "Any"], None]


def compile_tree(tree: Tree, lazy: bool = True) -> Runner:
    """The runner of ``tree``; sets ``tree.weight`` (its node count, the work
    units one execution costs). With ``lazy`` the branches of if/with/range are
    compiled when they first run."""
    assert tree.root is not None
    # compiling allocates many closures that all stay alive: pause the cyclic GC
    # meanwhile (as parse does) instead of scanning them again and again
    if lazy and tree.weight_known and type(tree.root) is LazyListNode:
        # from the on-disk cache: its first run reads its tuples, a second compiles
        return _later_runner(tree.root, False, [], {})
    c = _Compiler(lazy)
    # a weight counted before (a tree from the on-disk cache) is not counted again
    c.count_later = not tree.weight_known
    if gc.isenabled():
        with gc_paused():
            runner = c.list_(tree.root, iface=False)
    else:  # paused already (a render pauses it for its whole run)
        runner = c.list_(tree.root, iface=False)
    if not tree.weight_known:
        tree.weight = max(c.count, 1)
    return runner


_FLOAT_MARKS = frozenset(".eEpP")


def _noop(st: State, dot: Any) -> None:
    return None


def _text_runner(text: str) -> Runner:
    def run_text(st: State, dot: Any) -> None:
        st.out.append(text)

    return run_text


# runonce.run_once, imported when a cached list first runs (a run without the
# on-disk cache never needs it)
_RUN_ONCE: list[Callable[..., None]] = []


def _load_run_once() -> Callable[..., None]:
    from polystack.helm.template.runonce import run_once

    _RUN_ONCE[:] = [run_once]
    return run_once


def _later_runner(
    lst: ListNode, iface: bool, iface_vars: list[str], weights: dict[int, int]
) -> Runner:
    """A list's runner that compiles it when it runs; a list from the on-disk cache
    runs its first time from its tuples (runonce.py) and is compiled at its second."""
    runner: Runner | None = None
    once = type(lst) is LazyListNode

    def run_later(st: State, dot: Any) -> None:
        nonlocal runner, once
        r = runner
        if r is None:
            c = _Compiler()
            c.iface_vars = iface_vars
            c.weights = weights
            c.count_later = False  # counted by the walk above (or stored with the tree)
            if once:
                once = False
                run = _RUN_ONCE[0] if _RUN_ONCE else _load_run_once()
                run(c, st, dot, lst, iface)
                return
            r = runner = c.list_(lst, iface)
        r(st, dot)

    return run_later


class _Compiler:
    # (slots: one is made per branch compiled when it first runs)
    __slots__ = ("iface_vars", "count", "lazy", "weights", "count_later")

    def __init__(self, lazy: bool = True) -> None:
        # variables bound to range elements hold interface {} values
        self.iface_vars: list[str] = []
        # nodes and commands compiled so far (plus a unit per 256 bytes of text)
        self.count = 0
        # compile the branches of if/with/range when they first run (see later)
        self.lazy = lazy
        # the weights of the tree's lists, by node identity (weight.list_weight)
        self.weights: dict[int, int] = {}
        # count the weight of the branches compiled lazily when they are deferred
        self.count_later = True

    # ------------------------------------------------------------ structure
    def list_(self, lst: ListNode, iface: bool) -> Runner:
        # runs of constant output (text, {{ "literal" }}, comments) are written at once
        runners: list[Runner] = []
        pending: list[str] = []
        if type(lst) is LazyListNode:
            # from the on-disk cache: constant output is read from the tuple form,
            # without building its nodes (most of a chart's statements)
            src = lst.tree
            for e in elements(lst):
                if e[0] == TEXT:  # (constant_output's first case, inline: the most common)
                    text = e[2]
                    pending.append(text)
                    self.count += 1 + (len(text) >> 8)
                    continue
                c = constant_output(e)
                if c is not None:
                    pending.append(c[0])
                    self.count += c[1]
                    continue
                if pending:
                    runners.append(_text_runner("".join(pending)))
                    pending = []
                r = self.tuple_node(e, src, iface)
                if r is None:
                    r = self.node(decode_node(e, src), iface)
                    if r is _noop:
                        continue
                runners.append(r)
        else:
            constant = self.constant
            for n in lst.nodes:
                text = constant(n)
                if text is not None:
                    pending.append(text)
                    continue
                if pending:
                    runners.append(_text_runner("".join(pending)))
                    pending = []
                r = self.node(n, iface)
                if r is not _noop:
                    runners.append(r)
        if pending:
            joined = "".join(pending)
            if joined or runners:
                runners.append(_text_runner(joined))
        if not runners:
            return _noop
        if len(runners) == 1:
            return runners[0]
        seq = tuple(runners)

        def run_list(st: State, dot: Any) -> None:
            for r in seq:
                r(st, dot)

        return run_list

    def constant(self, n: Node) -> str | None:
        """The output of a node that always writes the same text and cannot fail:
        text, a comment, an action of one short string literal (a long one charges
        the budget as it is written, with its node for the error). Counted as
        node() counts them."""
        t = type(n)
        if t is TextNode:
            text = n.text  # type: ignore[attr-defined]
            self.count += 1 + (len(text) >> 8)
            return text
        if t is ActionNode:
            pipe = n.pipe  # type: ignore[attr-defined]
            if pipe.decl or len(pipe.cmds) != 1:
                return None
            args = pipe.cmds[0].args
            if len(args) != 1 or type(args[0]) is not StringNode:
                return None
            text = args[0].text
            if len(text) > 64:
                return None
            self.count += 2  # the node and its command's argument
            return text
        if t is CommentNode:
            self.count += 1
            return ""
        return None

    def node(self, n: Node, iface: bool) -> Runner:
        self.count += 1
        t = type(n)
        if t is TextNode:
            text = n.text  # type: ignore[attr-defined]
            self.count += len(text) >> 8
            return _text_runner(text)
        if t is ActionNode:
            return self.action(n, iface)  # type: ignore[arg-type]
        if t is IfNode:
            return self.if_with(n, iface, is_with=False)  # type: ignore[arg-type]
        if t is WithNode:
            return self.if_with(n, iface, is_with=True)  # type: ignore[arg-type]
        if t is RangeNode:
            return self.range_(n, iface)  # type: ignore[arg-type]
        if t is TemplateNode:
            return self.template(n, iface)  # type: ignore[arg-type]
        if t is CommentNode:
            return _noop
        if t is BreakNode:
            return _raise_runner(n, ex._BREAK)
        if t is ContinueNode:
            return _raise_runner(n, ex._CONTINUE)
        if isinstance(n, ListNode):
            return self.list_(n, iface)
        raise AssertionError(f"unknown node: {n}")

    def action(self, n: ActionNode, iface: bool) -> Runner:
        pipe = self.pipeline(n.pipe, iface)
        if n.pipe.decl:

            def run_decl(st: State, dot: Any) -> None:
                st.node = n
                pipe(st, dot)

            return run_decl

        return _action_runner(n, pipe)

    def tuple_node(self, e: tuple[Any, ...], src: Any, iface: bool) -> Runner | None:
        """An action, if or with of a cached tree whose pipeline is one field or
        one variable (most of a chart's statements), compiled from its tuple form
        without building its nodes (their tuples stand for them: exec.fail builds
        the node of an error from its tuple and the State's src); else None."""
        kind = e[0]
        if kind != ACTION and kind != IF and kind != WITH:
            return None
        p = e[3]
        args = p[5][0][2]
        a = args[0]
        if a[0] == FIELD and not p[4] and len(p[5]) == 1 and len(args) == 1:
            self.count += 2  # the node and its pipeline, as node() and pipeline() count them
            pipe: Value = _field_value(a, a[2], iface)
        elif a[0] == VARIABLE and len(a[2]) == 1 and not p[4] and len(p[5]) == 1 and len(args) == 1:
            self.count += 2
            pipe = _variable_value(a, a[2][0])
        else:
            before = self.count
            tp = self.tuple_pipeline(p, src, iface)
            if tp is None:
                self.count = before
                return None
            pipe = tp
            self.count += 1  # the node
        if kind == ACTION:
            if p[4]:
                return _decl_runner(e, pipe)
            return _action_runner(e, pipe)
        is_with = kind == WITH
        body = self.later(_d_list(e[4], src), False if is_with else iface)
        other = self.later(_d_list(e[5], src), iface) if e[5] is not None else None
        return _if_runner(e, pipe, body, other, is_with)

    def later(self, lst: ListNode, iface: bool) -> Runner:
        """The runner of a branch, compiled when it first runs: most of a chart's
        branches (disabled components, unset options) never do. Its weight is
        counted now, as compiling it would."""
        if not self.lazy:
            return self.list_(lst, iface)
        weights = self.weights
        if self.count_later:
            self.count += list_weight(lst, weights)
        return _later_runner(lst, iface, list(self.iface_vars), weights)

    def if_with(self, n: IfNode | WithNode, iface: bool, is_with: bool) -> Runner:
        pipe = self.pipeline(n.pipe, iface)
        body = self.later(n.list, False if is_with else iface)
        other = self.later(n.else_list, iface) if n.else_list is not None else None
        return _if_runner(n, pipe, body, other, is_with)

    def range_(self, r: RangeNode, iface: bool) -> Runner:
        pipe = self.pipeline(r.pipe, iface)
        elem_vars = [v.ident[0] for v in r.pipe.decl][-1:]
        self.iface_vars.extend(elem_vars)
        before = self.count
        try:
            body = self.later(r.list, True)
        finally:
            del self.iface_vars[len(self.iface_vars) - len(elem_vars) :]
        # what one iteration costs: the body's weight, whether or not this compile
        # counted it (a branch compiled later, a tree from the cache, do not)
        body_weight = max(
            list_weight(r.list, self.weights) if self.lazy else self.count - before, 1
        )
        other = self.later(r.else_list, iface) if r.else_list is not None else None
        decl = [v.ident[0] for v in r.pipe.decl]
        is_assign = r.pipe.is_assign
        return _range_runner(r, pipe, body, other, body_weight, decl, is_assign)

    def template(self, t: TemplateNode, iface: bool) -> Runner:
        pipe = self.pipeline(t.pipe, iface) if t.pipe is not None else None
        name = t.name
        max_depth = ex.MAX_EXEC_DEPTH

        def run_template(st: State, dot: Any) -> None:
            st.node = t
            tree = st.ts.tree(name)
            if tree is None or tree.root is None:
                fail(st, f"template {quote(name)} not defined")
            budget = st.budget
            if st.depth == max_depth or budget.nesting >= budget.max_nesting:
                # (Go's limit; polystack's nesting limit ends deeper recursion
                # through include/tpl with the same error, within a bounded stack)
                fail(st, f"exceeded maximum template depth ({max_depth})")
            newdot = pipe(st, dot) if pipe is not None else NO_VALUE
            runner = tree.compiled
            if runner is None:
                runner = tree.compiled = compile_tree(tree)
            budget.work += tree.weight + INVOKE_COST
            if budget.work > budget.next_check:
                _check_budget(st, t)
            sub = State(st.ts, name, newdot, st.depth + 1, st.out, tree._src)
            budget.nesting += 1
            try:
                runner(sub, newdot)
            except RecursionError:
                st.node = t
                fail(st, f"exceeded maximum template depth ({max_depth})")
            finally:
                budget.nesting -= 1

        return run_template

    # ------------------------------------------------------------ pipelines
    def pipeline(self, pipe: PipeNode, iface: bool) -> Value:
        if len(pipe.cmds) == 1 and not pipe.decl:
            args = pipe.cmds[0].args
            if len(args) == 1:
                a0: Any = args[0]
                t = type(a0)
                # one field or one variable: read directly (what run_pipe1 over
                # run_field / run_var does, one call less, two closures fewer)
                if t is FieldNode:
                    self.count += 1
                    return self.field_value(a0, iface)
                if t is VariableNode and len(a0.ident) == 1:
                    self.count += 1
                    return self.variable_value(a0)
        cmds = []
        for c in pipe.cmds:  # (a loop: no comprehension's function per pipeline)
            cmds.append(self.command(c, iface))
        decl = [v.ident[0] for v in pipe.decl] if pipe.decl else []
        return _pipe_runner(pipe, cmds, decl, pipe.is_assign)

    def tuple_pipeline(self, p: tuple[Any, ...], src: Any, iface: bool) -> Value | None:
        """A cached pipeline whose commands are function calls (or one field),
        compiled from its tuple form: the pipeline, its commands and the called
        functions' identifiers are not built into nodes (their tuples stand for
        them); the arguments are (call sites check their literals' types). None
        when a command is of another kind."""
        cmds: list[Command] = []
        for c in p[5]:
            args = c[2]
            head = args[0]
            if head[0] == IDENT:
                rest: list[Node] = []
                for a in args[1:]:
                    rest.append(decode_node(a, src))
                self.count += len(args)  # as command() counts
                cmds.append(self.function(head, c, rest, iface, head[2]))
            elif head[0] == FIELD and len(args) == 1:
                self.count += 1
                field = decode_node(head, src)
                assert isinstance(field, FieldNode)
                cmds.append(self.field_cmd(field, [], iface))
            else:
                return None
        decl = [d[2][0] for d in p[4]] if p[4] else []
        return _pipe_runner(p, cmds, decl, p[3])

    def not_a_function(self, args: list[Node]) -> Callable[[State, Any], None]:
        return _not_a_function(len(args) > 1, args[0])

    def command(self, cmd: CommandNode, iface: bool) -> Command:
        self.count += len(cmd.args)
        first = cmd.args[0]
        rest = cmd.args[1:]
        if type(first) is FieldNode:
            return self.field_cmd(first, rest, iface)
        if type(first) is ChainNode:
            return self.chain_cmd(first, rest, iface)
        if type(first) is IdentifierNode:
            return self.function(first, cmd, rest, iface)
        if type(first) is PipeNode:
            return _paren_cmd(self.not_a_function(cmd.args), self.pipeline(first, iface))
        if type(first) is VariableNode:
            return self.variable_cmd(first, cmd.args, rest, iface)
        check = self.not_a_function(cmd.args)
        if type(first) is BoolNode:
            return _literal_cmd(first, check, first.true)
        if type(first) is DotNode:
            return _dot_cmd(first, check)
        if type(first) is NilNode:
            return _nil_cmd(first, check)
        if type(first) is NumberNode:
            return _number_cmd(first, check, self.ideal_constant(first))
        if type(first) is StringNode:
            return _literal_cmd(first, check, first.text)
        return _bad_cmd(first)

    def ideal_constant(self, n: NumberNode) -> Value:
        text = n.text
        is_hex_int = (
            len(text) > 2
            and text[0] == "0"
            and text[1] in "xX"
            and "p" not in text
            and "P" not in text
        )
        if n.is_complex:
            value: Any = n.complex128
        elif (
            n.is_float
            and not is_hex_int
            and not text.startswith("'")
            and not _FLOAT_MARKS.isdisjoint(text)
        ):
            value = n.float64
        elif n.is_int:
            value = int(n.int64)
        elif n.is_uint:

            def overflow(st: State, dot: Any) -> Any:
                st.node = n
                fail(st, f"{text} overflows int")

            return overflow
        else:
            value = NO_VALUE

        def const(st: State, dot: Any) -> Any:
            st.node = n
            return value

        return const

    # ------------------------------------------------------------ arguments
    def args(self, rest: list[Node], iface: bool) -> list[Value]:
        fns: list[Value] = []
        for a in rest:  # (a loop: most commands have no argument after their head, or one)
            fns.append(self.arg(a, iface))
        return fns

    def arg(self, n: Node, iface: bool) -> Value:
        """evalArg with an untyped / reflect.Value parameter: the raw value.

        (The closures are made by module-level functions: a method defining them
        all would create a cell for each of their variables at every call.)"""
        t = type(n)
        if t is StringNode:  # the most common argument: checked first
            return _arg_const(n, n.text)  # type: ignore[attr-defined]
        if t is DotNode:
            return _arg_dot(n)
        if t is FieldNode:
            return _arg_field(n, n.ident, iface)  # type: ignore[attr-defined]
        if t is VariableNode:
            name = n.ident[0]  # type: ignore[attr-defined]
            fields = n.ident[1:]  # type: ignore[attr-defined]
            if not fields:
                return _arg_var(n, name)
            return _arg_var_fields(n, name, fields, name in self.iface_vars)
        if t is PipeNode:
            # (the pipeline's runner sets st.node first thing: no wrapper needed)
            return self.pipeline(n, iface)  # type: ignore[arg-type]
        if t is NilNode:
            return _arg_const(n, NO_VALUE)
        if t is IdentifierNode:
            return _arg_command(n, self.function(n, n, [], iface))
        if t is ChainNode:
            return _arg_command(n, self.chain_cmd(n, [], iface))  # type: ignore[arg-type]
        if t is BoolNode:
            return _arg_const(n, n.true)  # type: ignore[attr-defined]
        if t is NumberNode:
            return self.ideal_constant(n)  # type: ignore[arg-type]
        return _arg_bad(n)

    # ------------------------------------------------------------ calls & fields
    def function(
        self, ident: Any, cmd: Any, rest: list[Node], iface: bool, name: str | None = None
    ) -> Command:
        """A call of the function ``name`` (the identifier's); ``ident`` and
        ``cmd`` are nodes or, from the tuple form, their tuples."""
        if name is None:
            name = ident.ident
        arg_fns = self.args(rest, iface)
        builtin_fn = BUILTINS.get(name)

        nargs = len(arg_fns)
        # the argument checks of this call site, made at its first call with a
        # function of declared Go types (ex.call_plan): [(function, plan)], one slot
        # so that threads rendering the same tree never see a plan of another function
        site: list[Any] = [(None, None)]

        def run_call(st: State, dot: Any, final: Any) -> Any:
            st.node = ident
            fn = st.ts.funcs.get(name)
            if type(fn) is LazyFunc:
                fn = resolve(st.ts.funcs, name)
            if fn is not None:
                site_fn, plan = site[0]
                if fn is not site_fn:
                    plan = _call_plan(fn, rest, arg_fns, final is not MISSING)
                    site[0] = (fn, plan)
                if plan is not None:
                    convs, final_typ = plan
                    argv = []
                    for c in convs:
                        v = c(st, dot)
                        if type(v) in POINTER_METHOD_TYPES:
                            v = unaddressable(v)  # a copy in an interface {}
                        argv.append(v)
                    if final_typ is not None:
                        # (validate_type's answer for the two commonest cases, inline)
                        if final_typ == "interface {}":
                            fv: Any = None if final is NO_VALUE else final
                        elif final_typ == "string" and type(final) is str:
                            fv = final
                        else:
                            fv = _validate_type(st, final, final_typ)
                            if fv is NO_VALUE and final_typ != _RV:
                                fv = None
                        if type(fv) in POINTER_METHOD_TYPES:
                            fv = unaddressable(fv)
                        argv.append(fv)
                    try:
                        r = fn(*argv)
                    except (ex._Break, ex._Continue):
                        raise
                    except RecursionError:
                        msg = ex.STACK_OVERFLOW
                    except Exception as e:  # noqa: BLE001 - Go's safeCall recovers everything
                        msg = _err_text(e)
                    else:
                        # (charge's own first checks, inline: most results are small)
                        if type(r) not in _sized or len(r) < 64:
                            return r
                        return _charge(st, cmd, r)
                    _call_failed(st, cmd, name, msg)
                spec = getattr(fn, "_go_spec", None)
                # fast path: untyped Python function called with the right arity
                if (
                    spec is not None
                    and spec[0] is None
                    and (
                        spec[1] == nargs + (final is not MISSING)
                        if not spec[2]
                        else spec[3] < 0 and spec[1] <= nargs + (final is not MISSING)
                    )
                ):
                    argv = []
                    for a in arg_fns:
                        v = a(st, dot)
                        if v is NO_VALUE:
                            v = None
                        elif type(v) in POINTER_METHOD_TYPES:
                            v = unaddressable(v)  # a copy in an interface {}
                        argv.append(v)
                    if final is not MISSING:
                        if final is NO_VALUE:
                            final = None
                        elif type(final) in POINTER_METHOD_TYPES:
                            final = unaddressable(final)
                        argv.append(final)
                    try:
                        r = fn(*argv)
                    except (ex._Break, ex._Continue):
                        raise
                    except RecursionError:
                        msg = ex.STACK_OVERFLOW
                    except Exception as e:  # noqa: BLE001 - Go's safeCall recovers everything
                        msg = _err_text(e)
                    else:
                        # (charge's own first checks, inline: most results are small)
                        if type(r) not in _sized or len(r) < 64:
                            return r
                        return _charge(st, cmd, r)
                    _call_failed(st, cmd, name, msg)
                return _eval_call(st, dot, fn, False, cmd, name, rest, arg_fns, final)
            if builtin_fn is None:
                fail(st, f"{quote(name)} is not a defined function")
            return _eval_call(st, dot, builtin_fn, True, cmd, name, rest, arg_fns, final)

        return run_call

    def field_value(self, n: FieldNode, iface: bool) -> Value:
        """A pipeline of one field without arguments: run_field with nothing
        piped in, its nil turned into no value as the pipeline does."""
        return _field_value(n, n.ident, iface)

    def variable_value(self, n: VariableNode) -> Value:
        """A pipeline of one variable ($x): its value, nil turned into no value."""
        return _variable_value(n, n.ident[0])

    def field_cmd(self, n: FieldNode, rest: list[Node], iface: bool) -> Command:
        idents = n.ident
        arg_fns = self.args(rest, iface)
        if not rest:
            last = len(idents) - 1

            def run_field(st: State, dot: Any, final: Any) -> Any:
                st.node = n
                r = dot
                if final is MISSING:
                    for i, name in enumerate(idents):
                        t = type(r)
                        # a map of interface {} (dict, or common.Values when the
                        # name is no method of it): a plain read
                        if t is dict or ((m := _iface_maps.get(t)) is not None and name not in m):
                            try:
                                r = r[name]
                            except KeyError:
                                r = _missing_key(st, name)
                        else:
                            return _eval_field_chain(
                                st,
                                dot,
                                r,
                                n,
                                idents[i:],
                                None,
                                None,
                                MISSING,
                                ex._head_type(r, iface) if i == 0 else "interface {}",
                            )
                    return r
                return _eval_field_chain(
                    st, dot, dot, n, idents, None, None, final, ex._head_type(dot, iface)
                )

            del last
            return run_field

        def run_field_args(st: State, dot: Any, final: Any) -> Any:
            st.node = n
            return _eval_field_chain(
                st, dot, dot, n, idents, rest, arg_fns, final, ex._head_type(dot, iface)
            )

        return run_field_args

    def chain_cmd(self, n: ChainNode, rest: list[Node], iface: bool) -> Command:
        head = self.arg(n.node, iface)
        fields = n.field
        arg_fns = self.args(rest, iface)
        is_nil = isinstance(n.node, NilNode)
        text = str(n)

        def run_chain(st: State, dot: Any, final: Any) -> Any:
            st.node = n
            if is_nil:
                fail(st, f"indirection through explicit nil in {text}")
            recv = head(st, dot)
            return ex.eval_field_chain(
                st, dot, recv, n, fields, rest, arg_fns, final, ex._head_type(recv, False)
            )

        return run_chain

    def variable_cmd(
        self, n: VariableNode, args: list[Node] | None, rest: list[Node], iface: bool
    ) -> Command:
        name = n.ident[0]
        fields = n.ident[1:]
        arg_fns = self.args(rest, iface)
        if not fields:
            check = self.not_a_function(args) if args else None

            def run_var(st: State, dot: Any, final: Any) -> Any:
                st.node = n
                v = _var_value(st, name)
                if check is not None:
                    check(st, final)
                return v

            return run_var

        var_iface = name in self.iface_vars

        def run_var_fields(st: State, dot: Any, final: Any) -> Any:
            st.node = n
            v = _var_value(st, name)
            return ex.eval_field_chain(
                st, dot, v, n, fields, rest, arg_fns, final, ex._head_type(v, var_iface)
            )

        return run_var_fields
