"""The closures compiled templates run, made by module-level functions shared by
compile.py's two paths: from parse-tree nodes, and from the tuple form of cached
trees (treecodec.py), where ``n`` is a NodeRef standing for a node that is built
only when an error or a slow path needs it (see _node).

(A compiler method defining these closures itself would create a cell for each of
their variables at every call, taken branch or not.)"""

from __future__ import annotations

from collections.abc import Callable

from polystack.helm.golang.strconv import quote
from polystack.helm.template import exec as ex
from polystack.helm.template.builtins import truth
from polystack.helm.template.nodes import Node
from polystack.helm.template.treecodec import NodeRef
from polystack.helm.template.values import MISSING, NO_VALUE

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

State = ex.State
Value = Callable[[State, "Any"], "Any"]  # (strings: typing is not imported)
Command = Callable[[State, "Any", "Any"], "Any"]
Runner = Callable[[State, "Any"], None]

fail = ex.fail
_printable = ex.printable
_iface_maps = ex._IFACE_MAPS
_missing_key = ex._missing_key
_eval_field_chain = ex.eval_field_chain
_var_value = ex._var_value
_check_budget = ex.check_budget


def _charge_output(st: State, n: Any, v: str) -> None:
    """An action wrote a long string: a unit of work per 16 characters."""
    budget = st.budget
    budget.work += len(v) >> 4
    if budget.work > budget.next_check:
        _check_budget(st, n)


def _node(n: Any) -> Node:
    return n.resolve() if type(n) is NodeRef else n


def _pipe_runner(pipe: Any, cmds: list[Command], decl: list[str], is_assign: bool) -> Value:
    if len(cmds) == 1 and not decl:
        c0 = cmds[0]

        def run_pipe1(st: State, dot: Any) -> Any:
            st.node = pipe
            v = c0(st, dot, MISSING)
            return NO_VALUE if v is None else v

        return run_pipe1
    seq = tuple(cmds)

    def run_pipe(st: State, dot: Any) -> Any:
        st.node = pipe
        v: Any = MISSING
        for c in seq:
            v = c(st, dot, v)
            if v is None:
                v = NO_VALUE
        for name in decl:
            if is_assign:
                ex._set_var(st, name, v)
            else:
                st.names.append(name)
                st.vals.append(v)
        return v

    return run_pipe


def _decl_runner(n: Any, pipe: Value) -> Runner:
    def run_decl(st: State, dot: Any) -> None:
        st.node = n
        pipe(st, dot)

    return run_decl


def _action_runner(n: Any, pipe: Value) -> Runner:
    def run_action(st: State, dot: Any) -> None:
        st.node = n
        v = pipe(st, dot)
        if type(v) is not str:
            st.node = n
            v = _printable(st, _node(n), v)
        if len(v) > 64:
            _charge_output(st, n, v)
        st.out.append(v)

    return run_action


def _if_runner(n: Any, pipe: Value, body: Runner, other: Runner | None, is_with: bool) -> Runner:
    def run_if(st: State, dot: Any) -> None:
        st.node = n
        mark = len(st.names)
        val = pipe(st, dot)
        if val is True or (val is not False and truth(val)):
            body(st, val if is_with else dot)
        elif other is not None:
            other(st, dot)
        if len(st.names) > mark:
            del st.names[mark:]
            del st.vals[mark:]

    return run_if


def _field_value(n: Any, idents: Any, iface: bool) -> Value:
    """A pipeline of one field (compile.py's one-field path; ``idents`` a list or,
    from the tuple form, a tuple)."""

    def run_pipe_field(st: State, dot: Any) -> Any:
        st.node = n
        r = dot
        for i, name in enumerate(idents):
            t = type(r)
            # a map of interface {} (dict, or common.Values when the name is
            # no method of it): a plain read
            if t is dict or ((m := _iface_maps.get(t)) is not None and name not in m):
                try:
                    r = r[name]
                except KeyError:
                    r = _missing_key(st, name)
            else:
                r = _eval_field_chain(
                    st,
                    dot,
                    r,
                    _node(n),
                    list(idents[i:]),
                    None,
                    None,
                    MISSING,
                    ex._head_type(r, iface) if i == 0 else "interface {}",
                )
                break
        return NO_VALUE if r is None else r

    return run_pipe_field


def _variable_value(n: Any, name: str) -> Value:
    """A pipeline of one variable ($x): its value, nil turned into no value."""

    def run_pipe_var(st: State, dot: Any) -> Any:
        st.node = n
        names = st.names
        for i in range(len(names) - 1, -1, -1):
            if names[i] == name:
                v = st.vals[i]
                return NO_VALUE if v is None else v
        return _var_value(st, name)  # fails: undefined variable

    return run_pipe_var


# ---------------------------------------------------------------- argument closures


def _arg_const(n: Any, value: Any) -> Value:
    def arg_const(st: State, dot: Any) -> Any:
        st.node = n
        return value

    return arg_const


def _arg_dot(n: Any) -> Value:
    def arg_dot(st: State, dot: Any) -> Any:
        st.node = n
        return dot

    return arg_dot


def _arg_field(n: Any, idents: Any, iface: bool) -> Value:
    """field_cmd's run_field with nothing piped in, one closure instead of two."""

    def arg_field(st: State, dot: Any) -> Any:
        st.node = n
        r = dot
        for i, name in enumerate(idents):
            t = type(r)
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

    return arg_field


def _arg_var(n: Any, name: str) -> Value:
    """variable_cmd's run_var, without the call through it."""

    def arg_var(st: State, dot: Any) -> Any:
        st.node = n
        names = st.names
        for i in range(len(names) - 1, -1, -1):
            if names[i] == name:
                return st.vals[i]
        return _var_value(st, name)  # fails: undefined variable

    return arg_var


def _arg_var_fields(n: Any, name: str, fields: list[str], var_iface: bool) -> Value:
    no_args: list[Any] = []

    def arg_var_fields(st: State, dot: Any) -> Any:
        st.node = n
        v = _var_value(st, name)
        return ex.eval_field_chain(
            st, dot, v, n, fields, no_args, no_args, MISSING, ex._head_type(v, var_iface)
        )

    return arg_var_fields


def _arg_command(n: Any, c: Command) -> Value:
    def arg_command(st: State, dot: Any) -> Any:
        st.node = n
        return c(st, dot, MISSING)

    return arg_command


def _arg_bad(n: Any) -> Value:
    def arg_bad(st: State, dot: Any) -> Any:
        st.node = n
        fail(st, f"can't handle assignment of {n} to empty interface argument")

    return arg_bad


# ---------------------------------------------------------------- commands that are no call


def _not_a_function(many: bool, first: Any) -> Callable[[State, Any], None]:
    def check(st: State, final: Any) -> None:
        if many or final is not MISSING:
            fail(st, f"can't give argument to non-function {first}")

    return check


def _paren_cmd(check: Callable[[State, Any], None], inner: Value) -> Command:
    def run_paren(st: State, dot: Any, final: Any) -> Any:
        check(st, final)
        return inner(st, dot)

    return run_paren


def _literal_cmd(first: Any, check: Callable[[State, Any], None], value: Any) -> Command:
    def run_literal(st: State, dot: Any, final: Any) -> Any:
        st.node = first
        check(st, final)
        return value

    return run_literal


def _dot_cmd(first: Any, check: Callable[[State, Any], None]) -> Command:
    def run_dot(st: State, dot: Any, final: Any) -> Any:
        st.node = first
        check(st, final)
        return dot

    return run_dot


def _nil_cmd(first: Any, check: Callable[[State, Any], None]) -> Command:
    def run_nil(st: State, dot: Any, final: Any) -> Any:
        st.node = first
        check(st, final)
        fail(st, "nil is not a command")

    return run_nil


def _number_cmd(first: Any, check: Callable[[State, Any], None], const: Value) -> Command:
    def run_number(st: State, dot: Any, final: Any) -> Any:
        st.node = first
        check(st, final)
        return const(st, dot)

    return run_number


def _bad_cmd(first: Any) -> Command:
    def run_bad(st: State, dot: Any, final: Any) -> Any:
        st.node = first
        fail(st, f"can't evaluate command {quote(str(first))}")

    return run_bad


def _raise_runner(n: Any, exc: BaseException) -> Runner:
    """{{break}} / {{continue}}."""

    def run_raise(st: State, dot: Any) -> None:
        st.node = n
        raise exc

    return run_raise
