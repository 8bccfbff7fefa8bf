"""A cached list's first run, straight from its tuples (treecodec.py), without
compiling it to closures first.

Most lists of a render run once: a template file's top level, the branch of an
``if`` taken, the first call of a define. Compiling such a list builds a closure
per statement (and per pipeline, argument and branch) that then runs once:
compiling cost a cached `helm template` of a ~130-template chart more than
running. ``run_once`` runs the common statements from their tuples instead: text,
constant output, an action / if / with whose pipeline is one field or one
variable (read here, as the compiled ``run_pipe_field`` / ``run_pipe_var`` do)
or function calls (the pipeline compiled alone, the statement around it run
here), and the branches of an if / with taken, recursively. Every other statement
is compiled alone and run. A list that runs a second time is compiled then
(compile.py's ``later``), as before.

Each statement does what its compiled runner does (runners.py's ``run_action``,
``run_decl``, ``run_if``), in the same order, with ``st.node`` set the same way:
outputs, errors and their positions, the work budget (a tree's and a list's weight
are charged by their callers, not by compiling) and variable scopes are the same.
"""

from __future__ import annotations

from polystack.helm.golang.types import POINTER_METHOD_TYPES, unaddressable
from polystack.helm.template import exec as ex
from polystack.helm.template.builtins import BUILTINS, truth
from polystack.helm.template.funcmap import LazyFunc, resolve
from polystack.helm.template.runners import _charge_output
from polystack.helm.template.treecodec import (
    ACTION,
    DOT,
    FIELD,
    IDENT,
    IF,
    NUMBER,
    PIPE,
    STRING,
    TEXT,
    VARIABLE,
    WITH,
    constant_output,
    decode_node,
    unpacked,
)
from polystack.helm.template.values import MISSING, NO_VALUE

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from polystack.helm.template.treecodec import LazyListNode

__all__ = ["run_once"]

State = ex.State
_printable = ex.printable
_iface_maps = ex._IFACE_MAPS
_missing_key = ex._missing_key
_eval_field_chain = ex.eval_field_chain
_var_value = ex._var_value
_head_type = ex._head_type
_fn_spec = ex.fn_spec
_validate_type = ex.validate_type
_exact_types = ex._EXACT_PARAM_TYPES
_safe_call = ex.safe_call
_literal_arg = ex._literal_arg
_NO_LITERAL = ex._NO_LITERAL
IFACE = ex.IFACE
RV = ex.RV


def _field(st: State, dot: Any, a: tuple[Any, ...], iface: bool) -> Any:
    """A pipeline of one field: runners._field_value's run_pipe_field."""
    st.node = a
    r = dot
    idents = a[2]
    for i, name in enumerate(idents):
        t = type(r)
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
                decode_node(a, st.src),
                list(idents[i:]),
                None,
                None,
                MISSING,
                _head_type(r, iface) if i == 0 else "interface {}",
            )
            break
    return NO_VALUE if r is None else r


def _variable(st: State, a: tuple[Any, ...]) -> Any:
    """A pipeline of one variable: runners._variable_value's run_pipe_var."""
    st.node = a
    name = a[2][0]
    names = st.names
    i = len(names)
    while i:  # (newest first; a while loop, not a range object per lookup)
        i -= 1
        if names[i] == name:
            v = st.vals[i]
            return NO_VALUE if v is None else v
    return _var_value(st, name)  # fails: undefined variable


def run_once(c: Any, st: State, dot: Any, lst: LazyListNode, iface: bool) -> None:
    """Run the cached list ``lst`` once; ``c`` is the compiler (compile._Compiler,
    with the list's variables of interface type) of the statements run compiled."""
    enc = lst._enc
    if enc is None:
        # packed: unpacked for this run only, not kept (most lists run once; the
        # memory of this one's tuples is then reused by the next one's, not
        # new pages; a list that runs again unpacks them again to compile)
        enc = unpacked(lst._packed)
    _run(c, st, dot, enc, lst.tree, iface)


def _elems(le: tuple[Any, ...], src: Any) -> tuple[Any, ...]:
    """The elements of an encoded list (unpacked when packed: treecodec.PACK_MIN)."""
    elems = le[3]
    if type(elems) is bytes:
        return unpacked(elems)
    return elems


def _run(c: Any, st: State, dot: Any, elems: tuple[Any, ...], src: Any, iface: bool) -> None:
    out = st.out
    for e in elems:
        kind = e[0]
        if kind == TEXT:
            out.append(e[2])
            continue
        if kind == ACTION or kind == IF or kind == WITH:
            p = e[3]
            cmds = p[5]
            args = cmds[0][2]
            a = args[0]
            # the pipeline's value, read here (pipe None) or by its compiled runner
            pipe: Any = None
            if a[0] == FIELD and not p[4] and len(cmds) == 1 and len(args) == 1:
                simple = 1
            elif (
                a[0] == VARIABLE
                and len(a[2]) == 1
                and not p[4]
                and len(cmds) == 1
                and len(args) == 1
            ):
                simple = 2
            elif _callable(cmds):
                simple = 3
            else:
                simple = 0
                if kind == ACTION:
                    co = constant_output(e)
                    if co is not None:
                        out.append(co[0])
                        continue
                pipe = c.tuple_pipeline(p, src, iface)
                if pipe is None:
                    _compiled(c, e, src, iface)(st, dot)
                    continue
            if kind == ACTION:
                st.node = e
                if simple == 1:
                    v = _field(st, dot, a, iface)
                elif simple == 2:
                    v = _variable(st, a)
                else:
                    if simple == 3:
                        v = _pipe(c, st, dot, p, src, iface)
                    else:
                        v = pipe(st, dot)
                    if p[4]:  # a declaration writes nothing
                        continue
                if type(v) is not str:
                    st.node = e
                    v = _printable(st, e, v)
                if len(v) > 64:
                    _charge_output(st, e, v)
                out.append(v)
                continue
            # if / with
            st.node = e
            names = st.names
            mark = len(names)
            if simple == 1:
                val = _field(st, dot, a, iface)
            elif simple == 2:
                val = _variable(st, a)
            elif simple == 3:
                val = _pipe(c, st, dot, p, src, iface)
            else:
                val = pipe(st, dot)
            if val is True or (val is not False and truth(val)):
                if kind == WITH:
                    _run(c, st, val, _elems(e[4], src), src, False)
                else:
                    _run(c, st, dot, _elems(e[4], src), src, iface)
            elif e[5] is not None:
                _run(c, st, dot, _elems(e[5], src), src, iface)
            if len(names) > mark:
                del names[mark:]
                del st.vals[mark:]
            continue
        co = constant_output(e)
        if co is not None:
            out.append(co[0])
            continue
        _compiled(c, e, src, iface)(st, dot)


def _compiled(c: Any, e: tuple[Any, ...], src: Any, iface: bool) -> Any:
    """The runner of one statement, compiled alone."""
    r = c.tuple_node(e, src, iface)
    if r is None:
        r = c.node(decode_node(e, src), iface)
    return r


def _callable(cmds: tuple[Any, ...]) -> bool:
    """Whether a pipeline's commands are all run here (_pipe): function calls whose
    arguments are string literals, dot, fields and plain variables, after at most
    a first command of one field or one plain variable."""
    for i, cmd in enumerate(cmds):
        args = cmd[2]
        head = args[0]
        if head[0] == IDENT:
            for a in args[1:]:
                k = a[0]
                if k == STRING or k == DOT or k == FIELD or k == NUMBER:
                    continue
                if k == VARIABLE and len(a[2]) == 1:
                    continue
                if k == PIPE and _callable(a[5]):
                    continue
                return False
        elif i or len(args) != 1:
            return False
        elif head[0] != FIELD and (head[0] != VARIABLE or len(head[2]) != 1):
            return False
    return True


def _pipe(c: Any, st: State, dot: Any, p: tuple[Any, ...], src: Any, iface: bool) -> Any:
    """A pipeline _callable accepts: runners._pipe_runner's run_pipe over the
    commands compile.py's tuple_pipeline makes of it."""
    st.node = p
    v: Any = MISSING
    for cmd in p[5]:
        head = cmd[2][0]
        if head[0] == IDENT:
            v = _call(c, st, dot, cmd, v, src, iface)
        elif head[0] == FIELD:  # a first command of one field (nothing piped into it)
            v = _field(st, dot, head, iface)
        else:  # a first command of one plain variable (compile.py's run_var)
            st.node = head
            v = _var_value(st, head[2][0])
        if v is None:
            v = NO_VALUE
    decl = p[4]
    if decl:
        for d in decl:
            name = d[2][0]
            if p[3]:
                ex._set_var(st, name, v)
            else:
                st.names.append(name)
                st.vals.append(v)
    return v


def _arg_value(c: Any, st: State, dot: Any, a: tuple[Any, ...], src: Any, iface: bool) -> Any:
    """A non-literal argument's value (dot, a field, a plain variable, a
    parenthesized pipeline), as the argument closures of runners.py (_arg_dot,
    _arg_field, _arg_var) and the pipeline's runner read it."""
    st.node = a
    k = a[0]
    if k == DOT:
        return dot
    if k == PIPE:
        return _pipe(c, st, dot, a, src, iface)
    if k == VARIABLE:
        name = a[2][0]
        names = st.names
        i = len(names)
        while i:  # (newest first; a while loop, not a range object per lookup)
            i -= 1
            if names[i] == name:
                return st.vals[i]
        return _var_value(st, name)  # fails: undefined variable
    r = dot
    idents = a[2]
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
                decode_node(a, st.src),
                list(idents[i:]),
                None,
                None,
                MISSING,
                _head_type(r, iface) if i == 0 else "interface {}",
            )
    return r


def _call(
    c: Any, st: State, dot: Any, cmd: tuple[Any, ...], final: Any, src: Any, iface: bool
) -> Any:
    """A call of a function with declared Go parameter types: what compile.py's
    run_call does with its call site's plan (exec.call_plan), the arguments read
    here. A call of a builtin, of a function without declared types, or one that
    cannot succeed as written (its arity, a literal of another type) runs the
    compiled command, with its errors."""
    args = cmd[2]
    head = args[0]
    name = head[2]
    st.node = head
    funcs = st.ts.funcs
    fn = funcs.get(name)
    if type(fn) is LazyFunc:
        fn = resolve(funcs, name)
    if fn is None:
        return _builtin_call(c, st, dot, cmd, final, src, iface)
    try:
        spec = fn._go_spec  # (exec.fn_spec's first step, without its call)
    except AttributeError:
        spec = _fn_spec(fn)
    params, nfixed, variadic, maxn = spec
    nargs = len(args) - 1
    has_final = final is not MISSING
    if params is None:
        return _untyped_call(c, st, dot, cmd, final, src, iface, fn)
    num_in = nargs + has_final
    if variadic:
        if num_in < nfixed or (maxn >= 0 and num_in > maxn):
            return _compiled_call(c, st, dot, cmd, final, src, iface)
    elif num_in != nfixed:
        return _compiled_call(c, st, dot, cmd, final, src, iface)
    # the literals' conversions (call_plan's, made before any argument is read)
    lits: dict[int, Any] = {}
    i = -1
    while (i := i + 1) < nargs:  # (no range object per call)
        k = args[i + 1][0]
        if k == STRING or k == NUMBER:
            typ = params[i] if i < nfixed else params[-1][3:]
            if k == STRING:
                if typ != IFACE and typ != RV and typ != "string":
                    return _compiled_call(c, st, dot, cmd, final, src, iface)
            else:
                if typ == IFACE or typ == RV:
                    return _compiled_call(c, st, dot, cmd, final, src, iface)
                a = args[i + 1]
                # (an int literal for an int: _literal_arg's answer, without the node)
                lit = a[7] if typ == "int" and a[3] else _literal_arg(decode_node(a, src), typ)
                if lit is _NO_LITERAL:
                    return _compiled_call(c, st, dot, cmd, final, src, iface)
                lits[i] = lit
    argv = []
    i = -1
    while (i := i + 1) < nargs:  # (no range object per call)
        a = args[i + 1]
        k = a[0]
        if k == STRING:
            st.node = a
            v = a[3]
        elif k == NUMBER:
            st.node = a
            v = lits[i]
        else:
            v = _arg_value(c, st, dot, a, src, iface)
            typ = params[i] if i < nfixed else params[-1][3:]
            if typ == IFACE:
                if v is NO_VALUE:
                    v = None
            elif typ != RV:
                exact = _exact_types.get(typ)
                if exact is None or type(v) is not exact:
                    v = _validate_type(st, v, typ)
        if type(v) in POINTER_METHOD_TYPES:
            v = unaddressable(v)  # a copy in an interface {}
        argv.append(v)
    if has_final:
        if variadic:
            final_typ = params[num_in - 1] if num_in - 1 < nfixed else params[-1][3:]
        else:
            final_typ = params[-1]
        if final_typ == IFACE:
            fv: Any = None if final is NO_VALUE else final
        elif final_typ == "string" and type(final) is str:
            fv = final
        else:
            fv = _validate_type(st, final, final_typ)
            if fv is NO_VALUE and final_typ != RV:
                fv = None
        if type(fv) in POINTER_METHOD_TYPES:
            fv = unaddressable(fv)
        argv.append(fv)
    return _safe_call(st, cmd, name, fn, argv)


def _builtin_call(
    c: Any, st: State, dot: Any, cmd: tuple[Any, ...], final: Any, src: Any, iface: bool
) -> Any:
    """A call of one of text/template's builtins (a name the function map lacks):
    exec.eval_call's way (evalArg's conversions; no copies of the arguments), when
    its arity fits and its literal arguments are strings of a type that takes
    them; else (or for ``call`` and an undefined name) the compiled command."""
    args = cmd[2]
    name = args[0][2]
    fn = BUILTINS.get(name)
    if fn is None or name == "call":
        return _compiled_call(c, st, dot, cmd, final, src, iface)
    params, nfixed, variadic, maxn = _fn_spec(fn)
    nargs = len(args) - 1
    has_final = final is not MISSING
    num_in = nargs + has_final
    if variadic:
        if num_in < nfixed or (maxn >= 0 and num_in > maxn):
            return _compiled_call(c, st, dot, cmd, final, src, iface)
    elif num_in != nfixed:
        return _compiled_call(c, st, dot, cmd, final, src, iface)
    i = -1
    while (i := i + 1) < nargs:  # (no range object per call)
        k = args[i + 1][0]
        if k == NUMBER:
            return _compiled_call(c, st, dot, cmd, final, src, iface)
        if k == STRING and params is not None:
            typ = params[i] if i < nfixed else params[-1][3:]
            if typ != IFACE and typ != RV and typ != "string":
                return _compiled_call(c, st, dot, cmd, final, src, iface)
    if name == "and" or name == "or":
        want = name == "or"
        v: Any = NO_VALUE
        for a in args[1:]:
            if a[0] == STRING:
                st.node = a
                v = a[3]
            else:
                v = _arg_value(c, st, dot, a, src, iface)
            if truth(v) == want:
                return v
        if has_final:
            v = final
        return v
    argv = []
    i = -1
    while (i := i + 1) < nargs:  # (no range object per call)
        a = args[i + 1]
        if a[0] == STRING:
            st.node = a
            v = a[3]
        else:
            v = _arg_value(c, st, dot, a, src, iface)
            typ = IFACE if params is None else params[i] if i < nfixed else params[-1][3:]
            if typ == IFACE:
                if v is NO_VALUE:
                    v = None
            elif typ != RV:
                v = _validate_type(st, v, typ)
        argv.append(v)
    if has_final:
        if params is None:
            argv.append(None if final is NO_VALUE else final)
        else:
            if variadic:
                t = params[num_in - 1] if num_in - 1 < nfixed else params[-1][3:]
            else:
                t = params[-1]
            fv = _validate_type(st, final, t)
            argv.append(None if fv is NO_VALUE and t != RV else fv)
    return _safe_call(st, cmd, name, fn, argv)


def _untyped_call(
    c: Any, st: State, dot: Any, cmd: tuple[Any, ...], final: Any, src: Any, iface: bool, fn: Any
) -> Any:
    """A call of a function without declared types (a Python function's own
    arity): compile.py's run_call's fast path, when its arity fits and its
    arguments are no number literals; else the compiled command."""
    args = cmd[2]
    nargs = len(args) - 1
    spec = getattr(fn, "_go_spec", None)
    num_in = nargs + (final is not MISSING)
    if (
        spec is None
        or spec[0] is not None
        or not (spec[1] == num_in if not spec[2] else spec[3] < 0 and spec[1] <= num_in)
    ):
        return _compiled_call(c, st, dot, cmd, final, src, iface)
    for a in args[1:]:
        if a[0] == NUMBER:
            return _compiled_call(c, st, dot, cmd, final, src, iface)
    argv = []
    for a in args[1:]:
        if a[0] == STRING:
            st.node = a
            v = a[3]
        else:
            v = _arg_value(c, st, dot, a, src, iface)
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
    return _safe_call(st, cmd, args[0][2], fn, argv)


def _compiled_call(
    c: Any, st: State, dot: Any, cmd: tuple[Any, ...], final: Any, src: Any, iface: bool
) -> Any:
    """The command compiled alone (compile.py's tuple_pipeline's way) and run."""
    args = cmd[2]
    head = args[0]
    rest = []
    for a in args[1:]:
        rest.append(decode_node(a, src))
    return c.function(head, cmd, rest, iface, head[2])(st, dot, final)
