"""Array expressions, including $map, $filter, $reduce and $sortArray."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..bsontypes import is_integral, is_numeric, truthy, type_name
from ..errors import MongoError
from ..keystring import MISSING, compare, encode_key
from .core import ExprContext, Fn, arity, compile_args, compile_expression, nullish, operator
from .misc_ops import check_var_name


def _array(name: str, v: Any, code: int, what: str = "") -> list | None:
    if nullish(v):
        return None
    if type(v) is not list:
        raise MongoError(
            code,
            f"{name}'s {what}argument must be an array, but is {type_name(v)}"
            if what
            else f"{name} requires an array argument, found: {type_name(v)}",
        )
    return v


@operator("$size")
def _size(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$size", args, 1), ctx)

    def size(root: Any, vars: dict) -> Any:
        v = a(root, vars)
        if type(v) is not list:
            raise MongoError(
                17124,
                f"The argument to $size must be an array. Type of argument was: {type_name(v)}",
            )
        return len(v)

    return size


@operator("$isArray")
def _is_array(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$isArray", args, 1), ctx)
    return lambda root, vars: type(a(root, vars)) is list


@operator("$arrayElemAt")
def _elem_at(args: Any, ctx: ExprContext) -> Fn:
    a, b = compile_args(arity("$arrayElemAt", args, 2), ctx)

    def elem_at(root: Any, vars: dict) -> Any:
        arr, idx = a(root, vars), b(root, vars)
        if nullish(arr) or nullish(idx):
            return None
        if type(arr) is not list:
            raise MongoError(
                28689, f"$arrayElemAt's first argument must be an array, but is {type_name(arr)}"
            )
        if not is_numeric(idx) or not is_integral(idx):
            raise MongoError(
                28690 if not is_numeric(idx) else 28691,
                f"$arrayElemAt's second argument must be a numeric value, but is {type_name(idx)}"
                if not is_numeric(idx)
                else "$arrayElemAt's second argument must be representable as a 32-bit integer",
            )
        i = int(idx)
        if i < 0:
            i += len(arr)
        if 0 <= i < len(arr):
            return arr[i]
        return MISSING

    return elem_at


def _first_last(name: str, last: bool) -> None:
    @operator(name)
    def compile_fl(args: Any, ctx: ExprContext) -> Fn:
        (a,) = compile_args(arity(name, args, 1), ctx)

        def fl(root: Any, vars: dict) -> Any:
            v = a(root, vars)
            if nullish(v):
                return None
            if type(v) is not list:
                raise MongoError(
                    28689, f"{name}'s argument must be an array, but is {type_name(v)}"
                )
            if not v:
                return MISSING
            return v[-1] if last else v[0]

        return fl


_first_last("$first", False)
_first_last("$last", True)


def _n_args(name: str, args: Any, ctx: ExprContext) -> tuple[Fn, Fn]:
    if not isinstance(args, dict) or "input" not in args or "n" not in args:
        raise MongoError(5787801, f"{name} requires 'input' and 'n'")
    return compile_expression(args["input"], ctx), compile_expression(args["n"], ctx)


def _nth(name: str, pick: Any) -> None:
    @operator(name)
    def compile_n(args: Any, ctx: ExprContext) -> Fn:
        inp, nf = _n_args(name, args, ctx)

        def n_fn(root: Any, vars: dict) -> Any:
            arr, n = inp(root, vars), nf(root, vars)
            if not is_numeric(n) or not is_integral(n) or int(n) <= 0:
                raise MongoError(5787908, f"'n' must be greater than 0, found {n}")
            if nullish(arr):
                return None
            if type(arr) is not list:
                raise MongoError(5788200, "Input must be an array")
            return pick(arr, int(n))

        return n_fn


_nth("$firstN", lambda a, n: a[:n])
_nth("$lastN", lambda a, n: a[-n:] if n else [])
_nth(
    "$maxN", lambda a, n: sorted((x for x in a if not nullish(x)), key=encode_key, reverse=True)[:n]
)
_nth("$minN", lambda a, n: sorted((x for x in a if not nullish(x)), key=encode_key)[:n])


@operator("$concatArrays")
def _concat_arrays(args: Any, ctx: ExprContext) -> Fn:
    fns = compile_args(args, ctx)

    def concat(root: Any, vars: dict) -> Any:
        out: list = []
        for f in fns:
            v = f(root, vars)
            if nullish(v):
                return None
            if type(v) is not list:
                raise MongoError(28664, f"$concatArrays only supports arrays, not {type_name(v)}")
            out.extend(v)
        return out

    return concat


@operator("$in")
def _in(args: Any, ctx: ExprContext) -> Fn:
    a, b = compile_args(arity("$in", args, 2), ctx)

    def in_(root: Any, vars: dict) -> Any:
        x, arr = a(root, vars), b(root, vars)
        if type(arr) is not list:
            raise MongoError(
                40081, f"$in requires an array as a second argument, found: {type_name(arr)}"
            )
        k = encode_key(None if x is MISSING else x)
        return any(encode_key(e) == k for e in arr)

    return in_


@operator("$indexOfArray")
def _index_of_array(args: Any, ctx: ExprContext) -> Fn:
    fns = compile_args(arity("$indexOfArray", args, 2, 4), ctx)

    def index_of(root: Any, vars: dict) -> Any:
        arr = fns[0](root, vars)
        if nullish(arr):
            return None
        if type(arr) is not list:
            raise MongoError(
                40090,
                f"$indexOfArray requires an array as a first argument, found: {type_name(arr)}",
            )
        k = encode_key(fns[1](root, vars))
        start = int(fns[2](root, vars)) if len(fns) > 2 else 0
        end = int(fns[3](root, vars)) if len(fns) > 3 else len(arr)
        if start < 0 or end < 0:
            raise MongoError(40097, "$indexOfArray requires a nonnegative index")
        for i in range(start, min(end, len(arr))):
            if encode_key(arr[i]) == k:
                return i
        return -1

    return index_of


@operator("$reverseArray")
def _reverse(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$reverseArray", args, 1), ctx)

    def rev(root: Any, vars: dict) -> Any:
        v = a(root, vars)
        if nullish(v):
            return None
        if type(v) is not list:
            raise MongoError(
                34435,
                f"The argument to $reverseArray must be an array, but was of type: {type_name(v)}",
            )
        return v[::-1]

    return rev


@operator("$slice")
def _slice(args: Any, ctx: ExprContext) -> Fn:
    fns = compile_args(arity("$slice", args, 2, 3), ctx)

    def slice_(root: Any, vars: dict) -> Any:
        arr = fns[0](root, vars)
        if nullish(arr):
            return None
        if type(arr) is not list:
            raise MongoError(
                28724,
                f"First argument to $slice must be an array, but is of type: {type_name(arr)}",
            )
        a = fns[1](root, vars)
        if nullish(a):
            return None
        if len(fns) == 2:
            n = int(a)
            return arr[:n] if n >= 0 else arr[n:]
        b = fns[2](root, vars)
        if nullish(b):
            return None
        pos, n = int(a), int(b)
        if n <= 0:
            raise MongoError(28729, f"Third argument to $slice must be positive: {n}")
        if pos < 0:
            pos = max(0, len(arr) + pos)
        return arr[pos : pos + n]

    return slice_


@operator("$range")
def _range(args: Any, ctx: ExprContext) -> Fn:
    fns = compile_args(arity("$range", args, 2, 3), ctx)

    def range_(root: Any, vars: dict) -> Any:
        vals = [f(root, vars) for f in fns]
        for i, v in enumerate(vals):
            if not is_numeric(v) or not is_integral(v):
                raise MongoError(
                    34443 + i,
                    f"$range requires a numeric "
                    f"{['starting value', 'ending value', 'step value'][i]}, found "
                    f"value of type: {type_name(v)}",
                )
        start, end = int(vals[0]), int(vals[1])
        step = int(vals[2]) if len(vals) > 2 else 1
        if step == 0:
            raise MongoError(34449, "$range requires a non-zero step value")
        return list(range(start, end, step))

    return range_


@operator("$map")
def _map(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict):
        raise MongoError(16878, "$map only supports an object as its argument")
    for k in args:
        if k not in ("input", "as", "in"):
            raise MongoError(16879, f"Unrecognized parameter to $map: {k}")
    if "input" not in args:
        raise MongoError(16880, "Missing 'input' parameter to $map")
    if "in" not in args:
        raise MongoError(16882, "Missing 'in' parameter to $map")
    name = args.get("as", "this")
    check_var_name(name)
    inp = compile_expression(args["input"], ctx)
    body = compile_expression(args["in"], ctx.child([name]))

    def map_(root: Any, vars: dict) -> Any:
        arr = inp(root, vars)
        if nullish(arr):
            return None
        if type(arr) is not list:
            raise MongoError(16883, f"input to $map must be an array not {type_name(arr)}")
        inner = dict(vars)
        out = []
        for e in arr:
            inner[name] = e
            v = body(root, inner)
            out.append(None if v is MISSING else v)
        return out

    return map_


@operator("$filter")
def _filter(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict):
        raise MongoError(28646, "$filter only supports an object as its argument")
    for k in args:
        if k not in ("input", "as", "cond", "limit"):
            raise MongoError(28647, f"Unrecognized parameter to $filter: {k}")
    if "input" not in args:
        raise MongoError(28648, "Missing 'input' parameter to $filter")
    if "cond" not in args:
        raise MongoError(28650, "Missing 'cond' parameter to $filter")
    name = args.get("as", "this")
    check_var_name(name)
    inp = compile_expression(args["input"], ctx)
    cond = compile_expression(args["cond"], ctx.child([name]))
    lim = compile_expression(args["limit"], ctx) if "limit" in args else None

    def filter_(root: Any, vars: dict) -> Any:
        arr = inp(root, vars)
        if nullish(arr):
            return None
        if type(arr) is not list:
            raise MongoError(28651, f"input to $filter must be an array not {type_name(arr)}")
        limit = None
        if lim is not None:
            lv = lim(root, vars)
            if not nullish(lv):
                if not is_numeric(lv) or not is_integral(lv) or int(lv) <= 0:
                    raise MongoError(327391, "$filter: limit must be greater than 0")
                limit = int(lv)
        inner = dict(vars)
        out = []
        for e in arr:
            inner[name] = e
            if truthy(cond(root, inner)):
                out.append(e)
                if limit is not None and len(out) >= limit:
                    break
        return out

    return filter_


@operator("$reduce")
def _reduce(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict):
        raise MongoError(40075, "$reduce only supports an object as its argument")
    for k in ("input", "initialValue", "in"):
        if k not in args:
            raise MongoError(40077, f"$reduce requires '{k}' to be specified")
    inp = compile_expression(args["input"], ctx)
    init = compile_expression(args["initialValue"], ctx)
    body = compile_expression(args["in"], ctx.child(["this", "value"]))

    def reduce_(root: Any, vars: dict) -> Any:
        arr = inp(root, vars)
        if nullish(arr):
            return None
        if type(arr) is not list:
            raise MongoError(
                40080, f"$reduce requires that 'input' be an array, found: {type_name(arr)}"
            )
        acc = init(root, vars)
        inner = dict(vars)
        for e in arr:
            inner["this"] = e
            inner["value"] = acc
            acc = body(root, inner)
        return acc

    return reduce_


@operator("$zip")
def _zip(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict) or "inputs" not in args:
        raise MongoError(34460, "Missing 'inputs' parameter to $zip")
    inputs = args["inputs"]
    if not isinstance(inputs, list):
        raise MongoError(34461, "inputs must be an array of expressions")
    fns = [compile_expression(i, ctx) for i in inputs]
    longest = bool(args.get("useLongestLength", False))
    defaults = compile_expression(args["defaults"], ctx) if "defaults" in args else None
    if defaults is not None and not longest:
        raise MongoError(34466, "cannot specify defaults unless useLongestLength is true")

    def zip_(root: Any, vars: dict) -> Any:
        arrays = []
        for f in fns:
            v = f(root, vars)
            if nullish(v):
                return None
            if type(v) is not list:
                raise MongoError(
                    34468, f"$zip found a non-array expression in input: {type_name(v)}"
                )
            arrays.append(v)
        dflt = defaults(root, vars) if defaults is not None else [None] * len(arrays)
        if len(dflt) != len(arrays):
            raise MongoError(34467, "defaults and inputs must have the same length")
        n = max(map(len, arrays)) if longest else min(map(len, arrays), default=0)
        return [[a[i] if i < len(a) else dflt[j] for j, a in enumerate(arrays)] for i in range(n)]

    return zip_


@operator("$arrayToObject")
def _array_to_object(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$arrayToObject", args, 1), ctx)

    def a2o(root: Any, vars: dict) -> Any:
        arr = a(root, vars)
        if nullish(arr):
            return None
        if type(arr) is not list:
            raise MongoError(
                40386, f"$arrayToObject requires an array input, found: {type_name(arr)}"
            )
        out: dict = {}
        for e in arr:
            if type(e) is list:
                if len(e) != 2:
                    raise MongoError(
                        40397,
                        "$arrayToObject requires an array of size 2 arrays,"
                        f"found array of size: {len(e)}",
                    )
                k, v = e
            elif type(e) is dict:
                if set(e) != {"k", "v"}:
                    raise MongoError(
                        40392,
                        "$arrayToObject requires an object keys of 'k' and "
                        "'v'. Found incorrect number of keys:" + str(len(e)),
                    )
                k, v = e["k"], e["v"]
            else:
                raise MongoError(
                    40398, "Unrecognised input type format for $arrayToObject: " + type_name(e)
                )
            if not isinstance(k, str):
                raise MongoError(
                    40395,
                    f"$arrayToObject requires an array of key-value pairs, "
                    f"where the key must be of type string. Found key type: "
                    f"{type_name(k)}",
                )
            out[k] = v
        return out

    return a2o


@operator("$objectToArray")
def _object_to_array(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$objectToArray", args, 1), ctx)

    def o2a(root: Any, vars: dict) -> Any:
        v = a(root, vars)
        if nullish(v):
            return None
        if type(v) is not dict:
            raise MongoError(
                40390, f"$objectToArray requires a document input, found: {type_name(v)}"
            )
        return [{"k": k, "v": x} for k, x in v.items()]

    return o2a


@operator("$sortArray")
def _sort_array(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict) or "input" not in args or "sortBy" not in args:
        raise MongoError(2942500, "$sortArray requires 'input' and 'sortBy'")
    inp = compile_expression(args["input"], ctx)
    spec = args["sortBy"]
    key: Callable[[Any], bytes]
    if isinstance(spec, dict):
        from ..query.sort import parse_sort, sort_key_fn

        keyfn = sort_key_fn(parse_sort(spec))

        def doc_key(e: Any) -> bytes:
            return keyfn(e if type(e) is dict else {})

        key = doc_key
    elif spec in (1, -1):
        key = encode_key
    else:
        raise MongoError(2942501, "$sortArray sortBy must be an object or 1/-1")
    reverse = spec == -1

    def sort_array(root: Any, vars: dict) -> Any:
        arr = inp(root, vars)
        if nullish(arr):
            return None
        if type(arr) is not list:
            raise MongoError(
                2942502,
                f"The input argument to $sortArray must be an array, but "
                f"was of type: {type_name(arr)}",
            )
        return sorted(arr, key=key, reverse=reverse)

    return sort_array


def _array_reduce(name: str, op: Any) -> None:
    """$sum/$avg/$min/$max/$stdDevPop/$stdDevSamp as expressions (over an array or args)."""

    @operator(name)
    def compile_red(args: Any, ctx: ExprContext) -> Fn:
        from ..aggregate.accumulators import ACCUMULATORS

        fns = compile_args(args, ctx)
        single = not isinstance(args, list) or len(args) == 1
        acc = ACCUMULATORS[name]({"$literal": None}, ctx)

        def red(root: Any, vars: dict) -> Any:
            if single:
                v = fns[0](root, vars)
                values = v if type(v) is list else [v]
            else:
                values = [f(root, vars) for f in fns]
            state = acc.start()
            for v in values:
                state = acc.add(state, v)
            return acc.result(state)

        return red


for _name in ("$sum", "$avg", "$min", "$max", "$stdDevPop", "$stdDevSamp"):
    _array_reduce(_name, None)
_ = compare


def _percentile_expr(name: str) -> None:
    @operator(name)
    def compile_pct(args: Any, ctx: ExprContext) -> Fn:
        from ..aggregate.accumulators import ACCUMULATORS

        acc = ACCUMULATORS[name](args, ctx)

        def pct(root: Any, vars: dict) -> Any:
            v = acc.expr(root, vars)
            values = v if type(v) is list else [v]
            state = acc.start()
            for x in values:
                state = acc.add(state, x)
            return acc.result(state)

        return pct


_percentile_expr("$median")
_percentile_expr("$percentile")
