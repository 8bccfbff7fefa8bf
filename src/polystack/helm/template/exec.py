"""Execution of parsed templates, compiled once into Python closures.

Follows src/text/template/exec.go: every place where Go's executor records the
current node (``s.at(node)``) the compiled code stores ``st.node``, so errors
carry the same ``NAME:LINE:COL`` and ``<node>`` text as Go's.

Values: Go's invalid ``reflect.Value`` (a missing key) is ``NO_VALUE``; a nil
interface is ``None``.  A pipeline turns ``None`` into ``NO_VALUE`` as Go's
``evalPipeline`` does when it unwraps an empty interface.
"""

from __future__ import annotations

from polystack.helm.golang import fmt as gofmt
from polystack.helm.golang.runtime import MAX_ITEMS, MAX_VALUE, LimitError
from polystack.helm.golang.strconv import quote
from polystack.helm.golang.types import (
    POINTER_METHOD_TYPES,
    UNSIGNED_TYPES,
    GoStruct,
    Int64,
    StringList,
    type_of,
    unaddressable,
)
from polystack.helm.template.builtins import truth
from polystack.helm.template.errors import ExecError, FuncError
from polystack.helm.template.limits import Budget
from polystack.helm.template.nodes import (
    BoolNode,
    ChainNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    StringNode,
    VariableNode,
)
from polystack.helm.template.treecodec import decode_node
from polystack.helm.template.values import MISSING, NO_VALUE

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["State", "MAX_EXEC_DEPTH", "error_context", "fail", "eval_call"]

MAX_EXEC_DEPTH = 100000
RV = "reflect.Value"
IFACE = "interface {}"

if TYPE_CHECKING:
    Runner = Callable[["State", "Any"], None]  # (strings: typing is not imported)


class State:
    """Go's ``state``: one executing template."""

    __slots__ = ("ts", "name", "node", "names", "vals", "depth", "out", "budget", "src")

    def __init__(
        self, ts: Any, name: str, dot: Any, depth: int, out: list[str], src: Any = None
    ) -> None:
        self.ts = ts
        # the executing tree's _Source: a node compiled from the cache's tuple
        # form is its tuple (st.node), built into a node by fail() from it
        self.src = src
        self.budget: Budget = ts.budget
        self.name = name
        self.node: Node | tuple[Any, ...] | None = None
        self.names: list[str] = ["$"]
        self.vals: list[Any] = [dot]
        self.depth = depth
        self.out = out


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


_BREAK = _Break()
_CONTINUE = _Continue()


def error_context(node: Node) -> tuple[str, str]:
    """parse.Tree.ErrorContext: ``NAME:LINE:COL`` (COL in bytes) and the node text."""
    tree = node.tree
    pos = node.pos
    text = tree.text[:pos] if tree is not None else ""
    nl = text.rfind("\n")
    col = (
        len(text.encode("utf-8", "surrogateescape"))
        if nl < 0
        else len(text[nl + 1 :].encode("utf-8", "surrogateescape"))
    )
    line = 1 + text.count("\n")
    name = tree.parse_name if tree is not None else ""
    return f"{name}:{line}:{col}", str(node)


def fail(st: State, msg: str) -> None:
    """state.errorf."""
    node = st.node
    if isinstance(node, tuple):  # a node compiled from the cache's tuple form
        node = st.node = decode_node(node, st.src)
    if node is None:
        text = f"template: {st.name}: {msg}"
    else:
        loc, ctx = error_context(node)
        text = f"template: {loc}: executing {quote(st.name)} at <{ctx}>: {msg}"
    raise ExecError(text, st.name, msg)


# ---------------------------------------------------------------- variables
def _var_value(st: State, name: str) -> Any:
    names = st.names
    i = len(names)
    while i:  # (newest first; a while loop, not a range object per lookup)
        i -= 1
        if names[i] == name:
            return st.vals[i]
    fail(st, f"undefined variable: {name}")


def _set_var(st: State, name: str, value: Any) -> None:
    names = st.names
    i = len(names)
    while i:  # (newest first; a while loop, not a range object per lookup)
        i -= 1
        if names[i] == name:
            st.vals[i] = value
            return
    fail(st, f"undefined variable: {name}")


# ---------------------------------------------------------------- functions
_SPEC_CACHE: dict[Any, tuple[Any, ...]] = {}


def fn_spec(fn: Any) -> tuple[tuple[str, ...] | None, int, bool, int]:
    """(Go parameter types or None, fixed count, variadic, max count)."""
    try:
        return fn._go_spec  # (set on a function's first call below: the common case)
    except AttributeError:
        pass
    key = getattr(fn, "__func__", None)
    bound = key is not None
    if key is None:
        key = fn
    try:
        cached = _SPEC_CACHE.get(key)
    except TypeError:
        cached = None
    if cached is not None:
        return cached
    params = getattr(fn, "go_params", None)
    spec: tuple[tuple[str, ...] | None, int, bool, int]
    if params is not None:
        variadic = bool(params) and params[-1].startswith("...")
        nfixed = len(params) - 1 if variadic else len(params)
        spec = (tuple(params), nfixed, variadic, -1 if variadic else nfixed)
    else:
        required = optional = 0
        var = False
        import inspect  # only for a function without go_params (rare)

        try:
            sig = inspect.signature(fn)
            for p in sig.parameters.values():
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                    if p.default is p.empty:
                        required += 1
                    else:
                        optional += 1
                elif p.kind == p.VAR_POSITIONAL:
                    var = True
        except (TypeError, ValueError):
            var = True
        if var:
            spec = (None, required, True, -1)
        elif optional:
            spec = (None, required, True, required + optional)
        else:
            spec = (None, required, False, required)
    if not bound:
        try:
            fn._go_spec = spec
            return spec
        except (AttributeError, TypeError):
            pass
    if len(_SPEC_CACHE) > 4096:
        _SPEC_CACHE.clear()
    try:
        _SPEC_CACHE[key] = spec
    except TypeError:
        pass
    return spec


# named interface types that appear as parameters (common.Values.Encode's io.Writer)
_NAMED_INTERFACES = frozenset({"error", "fmt.Stringer", "io.Writer"})


def _can_be_nil(typ: str | None) -> bool:
    if typ is None:
        return True
    return (
        typ in (IFACE, RV)
        or typ.startswith(("[]", "map[", "*", "func", "chan"))
        or typ in _NAMED_INTERFACES
    )


def _assignable(v: Any, typ: str) -> bool:
    t = type(v)
    if typ == "string":
        return t is str
    if typ == "int":
        return t is int
    if typ == "int64":
        return t is Int64
    if typ == "float64":
        return t is float
    if typ == "bool":
        return t is bool
    if typ == "[]interface {}":
        # a typed slice ([]string, []int, []map[string]interface {} ...) is not assignable
        return t is list or (isinstance(v, list) and type_of(v) == typ)
    if typ == "[]string":
        return isinstance(v, StringList)
    if typ == "map[string]interface {}" or typ == "map[string]string":
        # a named or differently typed map (map[string]string from split,
        # engine.files ...) is not assignable; a named type over the same
        # map type (common.Values) is
        return isinstance(v, dict) and _map_type(v) == typ
    if typ == "[]uint8" or typ == "[]byte":
        return isinstance(v, (bytes, bytearray))
    return type_of(v) == typ


def _map_type(v: dict[Any, Any]) -> str:
    """The map type a Go map value is assignable as (its underlying type if named)."""
    t = type(v)
    if t is dict:
        return "map[string]interface {}"
    under = getattr(t, "go_underlying", None)
    if under is not None:
        return str(under)
    return str(getattr(v, "go_type_name", "map[string]interface {}"))


def validate_type(st: State, value: Any, typ: str | None) -> Any:
    if value is NO_VALUE:
        if typ is None:
            return NO_VALUE
        if _can_be_nil(typ):
            return NO_VALUE if typ == RV else None
        fail(st, f"invalid value; expected {typ}")
    if typ is None or typ == RV or typ == IFACE:
        return value
    if value is None:
        fail(st, f"wrong type for value; expected {typ}; got interface {{}}")
    if not _assignable(value, typ):
        fail(st, f"wrong type for value; expected {typ}; got {type_of(value)}")
    return value


_NONLITERAL = (DotNode, FieldNode, VariableNode, PipeNode, IdentifierNode, ChainNode)


def _convert_arg(st: State, dot: Any, typ: str, node: Node, fn: Callable[..., Any]) -> Any:
    """evalArg for a declared Go parameter type."""
    if typ == IFACE:
        v = fn(st, dot)
        return None if v is NO_VALUE else v
    if typ == RV:
        return fn(st, dot)
    if isinstance(node, _NONLITERAL):
        return validate_type(st, fn(st, dot), typ)
    st.node = node
    if isinstance(node, NilNode):
        if _can_be_nil(typ):
            return None
        fail(st, f"cannot assign nil to {typ}")
    if typ == "bool":
        if isinstance(node, BoolNode):
            return node.true
        fail(st, f"expected bool; found {node}")
    if typ in ("float64", "float32"):
        if isinstance(node, NumberNode) and node.is_float:
            return node.float64
        fail(st, f"expected float; found {node}")
    if typ in UNSIGNED_TYPES:
        if isinstance(node, NumberNode) and node.is_uint:
            cls = UNSIGNED_TYPES[typ]
            return cls(node.uint64 & ((1 << cls.bits) - 1))
        fail(st, f"expected unsigned integer; found {node}")
    if typ in ("int", "int64", "int32", "int8", "int16"):
        if isinstance(node, NumberNode) and node.is_int:
            return Int64(node.int64) if typ == "int64" else node.int64
        fail(st, f"expected integer; found {node}")
    if typ == "string":
        if isinstance(node, StringNode):
            return node.text
        fail(st, f"expected string; found {node}")
    fail(st, f"can't handle {node} for arg of type {typ}")


_NO_LITERAL = object()


def _literal_arg(node: Node, typ: str) -> Any:
    """What _convert_arg gives for a literal argument, or _NO_LITERAL when it fails."""
    if isinstance(node, NilNode):
        return None if _can_be_nil(typ) else _NO_LITERAL
    if typ == "bool":
        return node.true if isinstance(node, BoolNode) else _NO_LITERAL
    if typ in ("float64", "float32"):
        ok = isinstance(node, NumberNode) and node.is_float
        return node.float64 if ok else _NO_LITERAL  # type: ignore[attr-defined]
    if typ in UNSIGNED_TYPES:
        if isinstance(node, NumberNode) and node.is_uint:
            cls = UNSIGNED_TYPES[typ]
            return cls(node.uint64 & ((1 << cls.bits) - 1))
        return _NO_LITERAL
    if typ in ("int", "int64", "int32", "int8", "int16"):
        if isinstance(node, NumberNode) and node.is_int:
            return Int64(node.int64) if typ == "int64" else node.int64
        return _NO_LITERAL
    if typ == "string":
        return node.text if isinstance(node, StringNode) else _NO_LITERAL
    return _NO_LITERAL


def _iface_arg(a: Callable[..., Any]) -> Callable[[State, Any], Any]:
    def arg(st: State, dot: Any) -> Any:
        v = a(st, dot)
        return None if v is NO_VALUE else v

    return arg


# parameter types whose values are exactly one Python type (_assignable's first cases)
_EXACT_PARAM_TYPES: dict[str, type] = {
    "string": str,
    "int": int,
    "int64": Int64,
    "float64": float,
    "bool": bool,
}


def _typed_arg(a: Callable[..., Any], typ: str) -> Callable[[State, Any], Any]:
    exact = _EXACT_PARAM_TYPES.get(typ)
    if exact is not None:

        def exact_arg(st: State, dot: Any) -> Any:
            v = a(st, dot)
            if type(v) is exact:  # (what validate_type returns for it, without the call)
                return v
            return validate_type(st, v, typ)

        return exact_arg

    def arg(st: State, dot: Any) -> Any:
        return validate_type(st, a(st, dot), typ)

    return arg


def _const_arg(node: Node, v: Any) -> Callable[[State, Any], Any]:
    def arg(st: State, dot: Any) -> Any:
        st.node = node  # as _convert_arg leaves it (a later type error is placed there)
        return v

    return arg


def call_plan(
    fn: Any, arg_nodes: list[Node], arg_fns: list[Callable[..., Any]], has_final: bool
) -> tuple[list[Callable[[State, Any], Any]], str | None] | None:
    """evalCall's argument checks done once for a call site and a function with
    declared Go types: a converter per argument (literals converted now) and the
    type of the piped final value. None when the call cannot succeed as written
    (wrong count, a literal of the wrong type) or has no declared types: then
    eval_call runs, with its errors."""
    params, nfixed, variadic, maxn = fn_spec(fn)
    if params is None:
        return None
    nargs = len(arg_fns)
    num_in = nargs + has_final
    if variadic:
        if num_in < nfixed or (maxn >= 0 and num_in > maxn):
            return None
    elif num_in != nfixed:
        return None
    convs: list[Callable[[State, Any], Any]] = []
    for i in range(nargs):
        typ = params[i] if i < nfixed else params[-1][3:]
        node, a = arg_nodes[i], arg_fns[i]
        kind = type(node)
        if typ == IFACE:
            # a string or bool literal is never "no value": its own argument
            # closure (st.node = node; return the literal) already is the converter
            convs.append(a if kind is StringNode or kind is BoolNode else _iface_arg(a))
        elif typ == RV:
            convs.append(a)
        elif isinstance(node, _NONLITERAL):
            convs.append(_typed_arg(a, typ))
        elif (kind is StringNode and typ == "string") or (kind is BoolNode and typ == "bool"):
            convs.append(a)  # (as above: what _const_arg would make of it)
        else:
            v = _literal_arg(node, typ)
            if v is _NO_LITERAL:
                return None
            convs.append(_const_arg(node, v))
    final_typ = None
    if has_final:
        if variadic:
            final_typ = params[num_in - 1] if num_in - 1 < nfixed else params[-1][3:]
        else:
            final_typ = params[-1]
    return convs, final_typ


def _err_text(e: BaseException) -> str:
    msg = getattr(e, "message", None)
    if isinstance(msg, str):
        return msg
    return str(e)


def eval_call(
    st: State,
    dot: Any,
    fn: Any,
    builtin: bool,
    node: Node,
    name: str,
    arg_nodes: list[Node],
    arg_fns: list[Callable[..., Any]],
    final: Any,
) -> Any:
    """state.evalCall."""
    params, nfixed, variadic, maxn = fn_spec(fn)
    nargs = len(arg_fns)
    num_in = nargs + (final is not MISSING)
    if variadic:
        if num_in < nfixed:
            fail(st, f"wrong number of args for {name}: want at least {nfixed} got {nargs}")
        if maxn >= 0 and num_in > maxn:
            fail(st, f"wrong number of args for {name}: want {maxn} got {num_in}")
    elif num_in != nfixed:
        fail(st, f"wrong number of args for {name}: want {nfixed} got {num_in}")
    if builtin and (name == "and" or name == "or"):
        want = name == "or"
        v: Any = NO_VALUE
        for a in arg_fns:
            v = a(st, dot)
            if truth(v) == want:
                return v
        if final is not MISSING:
            v = final
        return v
    if params is None:
        argv = []
        for a in arg_fns:
            v = a(st, dot)
            argv.append(None if v is NO_VALUE else v)
        if final is not MISSING:
            argv.append(None if final is NO_VALUE else final)
    else:
        argv = []
        i = 0
        while i < nfixed and i < nargs:
            argv.append(_convert_arg(st, dot, params[i], arg_nodes[i], arg_fns[i]))
            i += 1
        if variadic:
            elem = params[-1][3:]
            while i < nargs:
                argv.append(_convert_arg(st, dot, elem, arg_nodes[i], arg_fns[i]))
                i += 1
        if final is not MISSING:
            if variadic:
                t = params[num_in - 1] if num_in - 1 < nfixed else params[-1][3:]
            else:
                t = params[-1]
            fv = validate_type(st, final, t)
            argv.append(None if fv is NO_VALUE and t != RV else fv)
    if not builtin:
        # reflect.Call hands the function copies in interface {}: not addressable
        argv = [unaddressable(v) if type(v) in POINTER_METHOD_TYPES else v for v in argv]  # type: ignore[arg-type]
    if builtin and name == "call":
        callee = str(arg_nodes[0]) if arg_nodes else gofmt.format_value(final)
        try:
            r = _call_builtin(callee, argv[0], argv[1:])
        except RecursionError:
            msg = STACK_OVERFLOW
        except Exception as e:  # noqa: BLE001 - Go's safeCall recovers everything
            msg = _err_text(e)
        else:
            return charge(st, node, r)
        call_failed(st, node, "call", msg)
    return safe_call(st, node, name, fn, argv)


def safe_call(st: State, node: Node | tuple[Any, ...], name: str, fn: Any, argv: list[Any]) -> Any:
    """safeCall: ``fn(*argv)``, its result charged to the budget; a failure (but a
    break or continue) becomes Go's "error calling NAME: ..." at ``node``."""
    try:
        r = fn(*argv)
    except (_Break, _Continue):
        raise
    except RecursionError:
        msg = STACK_OVERFLOW
    except Exception as e:  # noqa: BLE001 - Go's safeCall recovers everything
        msg = _err_text(e)
    else:
        return charge(st, node, r)
    call_failed(st, node, name, msg)
    return None  # (call_failed raises)


# a function ran out of stack: a value nested deeper than Python's frames allow
# (a Go process would grow its stack to 1 GB first)
STACK_OVERFLOW = "stack overflow: value nested too deeply"


def call_failed(st: State, node: Node | tuple[Any, ...], name: str, msg: str) -> None:
    """safeCall's error, raised outside the handler of the function's exception
    (so a chain of nested include/tpl errors is not kept alive)."""
    st.node = node
    fail(st, f"error calling {name}: {msg}")


# result types whose size is charged: True for strings, False for collections
_SIZED: dict[type, bool] = {
    str: True,
    bytes: True,
    bytearray: True,
    list: False,
    tuple: False,
    dict: False,
}


def charge(st: State, node: Node | tuple[Any, ...], v: Any) -> Any:
    """Account a function's result to the render's work budget (a unit per 16
    characters of a string or 16 elements of a list or map); refuse values over
    the size limits."""
    is_str = _SIZED.get(type(v))
    if is_str is None:
        return v
    n = len(v)
    if n < 64:
        return v
    if is_str:
        if n > MAX_VALUE:
            st.node = node
            fail(st, f"value of {n} bytes exceeds the maximum value size ({MAX_VALUE})")
    elif n > MAX_ITEMS:
        st.node = node
        fail(st, f"value of {n} elements exceeds the maximum length ({MAX_ITEMS})")
    budget = st.budget
    budget.work += n >> 4
    if budget.work > budget.next_check:
        check_budget(st, node)
    return v


def check_budget(st: State, node: Node | tuple[Any, ...]) -> None:
    """The budget's work passed its next check: fail if over a limit."""
    msg = st.budget.over()
    if msg:
        st.node = node
        fail(st, msg)


def _call_builtin(name: str, fn: Any, args: list[Any]) -> Any:
    """funcs.go call."""
    if fn is NO_VALUE or fn is None:
        raise FuncError("call of nil")
    if not callable(fn):
        raise FuncError(f"non-function {name} of type {type_of(fn)}")
    params, nfixed, variadic, maxn = fn_spec(fn)
    if variadic:
        if len(args) < nfixed:
            raise FuncError(
                f"wrong number of args for {name}: got {len(args)} want at least {nfixed}"
            )
    elif len(args) != nfixed:
        raise FuncError(f"wrong number of args for {name}: got {len(args)} want {nfixed}")
    argv = []
    for i, a in enumerate(args):
        a = None if a is NO_VALUE else a
        if params is not None:
            t = params[i] if (not variadic or i < nfixed) else params[-1][3:]
            if t not in (IFACE, RV):
                if a is None:
                    if not _can_be_nil(t):
                        raise FuncError(f"arg {i}: value is nil; should be of type {t}")
                elif not _assignable(a, t) and not (
                    isinstance(a, int) and t in ("int", "int64") and not isinstance(a, bool)
                ):
                    raise FuncError(f"arg {i}: value has type {type_of(a)}; should be {t}")
        argv.append(a)
    return fn(*argv)


# ---------------------------------------------------------------- fields
def _missing_key(st: State, name: str) -> Any:
    mode = st.ts.missingkey
    if mode == "zero":
        return None
    if mode == "error":
        fail(st, f"map has no entry for key {quote(name)}")
    return NO_VALUE


def _go_method(receiver: Any, name: str) -> Any:
    if not name[:1].isupper():
        return None
    attr = getattr(type(receiver), name, None)
    if attr is None or isinstance(attr, property) or not callable(attr):
        return None
    if name in getattr(receiver, "go_fields", ()):
        return None
    if not getattr(receiver, "go_addressable", True) and name in receiver.go_pointer_methods:
        return None  # not in the value type's method set
    return getattr(receiver, name)


def eval_field(
    st: State,
    dot: Any,
    name: str,
    node: Node,
    arg_nodes: list[Node] | None,
    arg_fns: list[Callable[..., Any]] | None,
    final: Any,
    receiver: Any,
    typ: str,
) -> Any:
    """state.evalField."""
    if receiver is NO_VALUE:
        if st.ts.missingkey == "error":
            fail(st, f"nil data; no entry for key {quote(name)}")
        return NO_VALUE
    if receiver is None:
        fail(st, f"nil pointer evaluating {typ}.{name}")
    has_args = bool(arg_nodes) or final is not MISSING
    if isinstance(receiver, GoStruct):
        meth = _go_method(receiver, name)
        if meth is not None:
            return eval_call(
                st, dot, meth, False, node, name, arg_nodes or [], arg_fns or [], final
            )
        if name in receiver.go_fields or (
            name[:1].isupper()
            and hasattr(receiver, name)
            and name not in receiver.go_pointer_methods  # (unaddressable: no method)
        ):
            if not name[:1].isupper():
                fail(
                    st,
                    f"{name} is an unexported field of struct type {receiver.go_type_name}",
                )
            if has_args:
                fail(st, f"{name} has arguments but cannot be invoked as function")
            return getattr(receiver, name, None)
        fail(st, f"can't evaluate field {name} in type {receiver.go_type_name}")
    if isinstance(receiver, dict):
        if type(receiver) is not dict:
            meth = _go_method(receiver, name)
            if meth is not None:
                return eval_call(
                    st, dot, meth, False, node, name, arg_nodes or [], arg_fns or [], final
                )
        if has_args:
            fail(st, f"{name} is not a method but has arguments")
        try:
            return receiver[name]
        except KeyError:
            return _missing_key(st, name)
    fail(st, f"can't evaluate field {name} in type {typ}")


def eval_field_chain(
    st: State,
    dot: Any,
    receiver: Any,
    node: Node,
    idents: list[str],
    arg_nodes: list[Node] | None,
    arg_fns: list[Callable[..., Any]] | None,
    final: Any,
    typ: str,
) -> Any:
    if not arg_nodes and final is MISSING:
        # map reads, the hot path (`$` and `.Values` are common.Values): plain
        # dict reads while the receiver is a map of interface {} and the name no
        # method of it; the general loop below takes over from there
        maps = _IFACE_MAPS
        i = 0
        for name in idents:
            t = type(receiver)
            if t is not dict:
                meths = maps.get(t)
                if meths is None or name in meths:
                    break
            try:
                receiver = receiver[name]
            except KeyError:
                receiver = _missing_key(st, name)
            i += 1
        else:
            return receiver
        if i:
            idents = idents[i:]
            typ = IFACE
    last = len(idents) - 1
    for i, name in enumerate(idents):
        t = type(receiver)
        meths = _IFACE_MAPS.get(t, _UNSEEN)
        if meths is _UNSEEN:
            meths = _iface_map_methods(t)
        if i == last:
            if meths is not None and name not in meths and not arg_nodes and final is MISSING:
                try:
                    return receiver[name]
                except KeyError:
                    return _missing_key(st, name)
            return eval_field(st, dot, name, node, arg_nodes, arg_fns, final, receiver, typ)
        if meths is not None and name not in meths:
            try:
                receiver = receiver[name]
            except KeyError:
                receiver = _missing_key(st, name)
            typ = IFACE
        else:
            receiver = eval_field(st, dot, name, node, None, None, MISSING, receiver, typ)
            typ = IFACE if receiver is None else type_of(receiver)
    return receiver  # pragma: no cover


# Maps whose elements are interface {}: map[string]interface {} (``dict``) and
# named types over it (common.Values, declaring ``go_underlying``), each with
# its Go method names, which win over keys of the same name (Go looks methods
# up first); any other key is a plain read. ``None`` for every other type.
_IFACE_MAPS: dict[type, frozenset[str] | None] = {dict: frozenset()}
# the Go type names of those maps, for _head_type
_IFACE_MAP_NAMES: dict[type, str] = {dict: "map[string]interface {}"}
_UNSEEN: Any = object()


def _iface_map_methods(t: type) -> frozenset[str] | None:
    meths = None
    if issubclass(t, dict) and getattr(t, "go_underlying", None) == "map[string]interface {}":
        meths = frozenset(
            n
            for n in dir(t)
            if n[:1].isupper()
            and callable(getattr(t, n, None))
            and not isinstance(getattr(t, n, None), property)
        )
        _IFACE_MAP_NAMES[t] = str(getattr(t, "go_type_name", "map[string]interface {}"))
    _IFACE_MAPS[t] = meths
    return meths


def _head_type(v: Any, iface: bool) -> str:
    if v is None or iface:
        return IFACE if not isinstance(v, GoStruct) else v.go_type_name
    name = _IFACE_MAP_NAMES.get(type(v))
    return name if name is not None else type_of(v)


# ---------------------------------------------------------------- printing
def printable(st: State, node: Any, v: Any) -> str:
    """printValue's text of an action's value; ``node`` is the action (or, compiled
    from the cache's tuple form, its tuple: built only for an error)."""
    t = type(v)
    if t is str:
        return v
    if v is NO_VALUE or v is None:
        return "<no value>"
    if t is int:
        return str(v)
    if callable(v) and not isinstance(v, GoStruct):
        if type(node) is tuple:
            node = decode_node(node, st.src)
        st.node = node
        fail(st, f"can't print {node} of type {type_of(v)}")
    try:
        return gofmt.print_value(v)
    except LimitError as e:
        msg = str(e)
    st.node = node
    fail(st, msg)
    raise AssertionError  # fail raises
