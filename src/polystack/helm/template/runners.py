"""The closures compiled templates run, made by module-level functions shared by
compile.py's two paths: from parse-tree nodes, and from the tuple form of cached
trees (treecodec.py), where ``n`` is a statement's tuple standing for a node that is built
only when an error or a slow path needs it (see _node).

(A compiler method defining these closures itself would create a cell for each of
their variables at every call, taken branch or not.)"""

from __future__ import annotations

from polystack.helm.golang.strconv import quote
from polystack.helm.golang.types import Int64
from polystack.helm.template import exec as ex
from polystack.helm.template.builtins import truth
from polystack.helm.template.nodes import Node
from polystack.helm.template.treecodec import decode_node
from polystack.helm.template.values import MISSING, NO_VALUE

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

State = ex.State
if TYPE_CHECKING:
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


def _node(st: State, n: Any) -> Node:
    """The node ``n`` stands for (a statement's tuple, from the cache, is built)."""
    return decode_node(n, st.src) if type(n) is tuple else n


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
            v = _printable(st, n, v)
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
                    _node(st, n),
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
        i = len(names)
        while i:  # (newest first; a while loop, not a range object per lookup)
            i -= 1
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
        i = len(names)
        while i:  # (newest first; a while loop, not a range object per lookup)
            i -= 1
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


def _sorted_map_keys(d: dict[Any, Any]) -> list[Any]:
    keys = list(d)
    try:
        if all(type(k) is str for k in keys):
            return sorted(keys, key=lambda k: k.encode("utf-8", "surrogateescape"))
        return sorted(keys)
    except TypeError:
        return keys


def _range_runner(
    r: Any,
    pipe: Value,
    body: Runner,
    other: Runner | None,
    body_weight: int,
    decl: list[str],
    is_assign: bool,
) -> Runner:
    """{{range}}: each iteration charges the body's weight to the budget."""
    ndecl = len(decl)
    Break, Continue = ex._Break, ex._Continue

    def run_range(st: State, dot: Any) -> None:
        st.node = r
        mark0 = len(st.names)
        val = pipe(st, dot)
        mark = len(st.names)
        names, vals = st.names, st.vals

        budget = st.budget

        def one(index: Any, elem: Any) -> None:
            budget.work += body_weight
            if budget.work > budget.next_check:
                _check_budget(st, r)
            if ndecl:
                if is_assign:
                    ex._set_var(st, decl[0], index if ndecl > 1 else elem)
                else:
                    vals[-1] = elem
            if ndecl > 1:
                if is_assign:
                    ex._set_var(st, decl[1], elem)
                else:
                    vals[-2] = index
            try:
                body(st, elem)
            except Continue:
                pass
            finally:
                if len(names) > mark:
                    del names[mark:]
                    del vals[mark:]

        ran = False
        try:
            if isinstance(val, (list, tuple)):
                if val:
                    ran = True
                    for i, e in enumerate(val):
                        one(i, e)
            elif isinstance(val, dict):
                if val:
                    ran = True
                    for k in _sorted_map_keys(val):
                        one(k, val[k])
            elif isinstance(val, int) and not isinstance(val, bool):
                if ndecl > 1:
                    fail(st, f"can't use {val} to iterate over more than one variable")
                if val > 0:
                    ran = True
                    mk = Int64 if isinstance(val, Int64) else int
                    for i in range(int(val)):
                        one(NO_VALUE, mk(i))
            elif isinstance(val, (bytes, bytearray)):
                if val:
                    ran = True
                    for i, e in enumerate(val):
                        one(i, e)
            elif val is NO_VALUE:
                pass
            else:
                fail(st, f"range can't iterate over {ex.gofmt.format_value(val)}")
        except Break:
            pass
        if not ran and other is not None:
            other(st, dot)
        if len(names) > mark0:
            del names[mark0:]
            del vals[mark0:]

    return run_range
