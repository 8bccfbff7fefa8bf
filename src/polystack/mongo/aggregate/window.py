"""$setWindowFields (window functions over partitions), $densify and $fill."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator
from typing import Any

from bson.int64 import Int64

from .. import arith, paths
from ..bsontypes import is_numeric, type_name
from ..errors import MongoError
from ..expr import compile_expression
from ..expr.core import Fn
from ..expr.date_ops import UTC, add_units, from_aware, to_aware
from ..keystring import MISSING, encode_key
from ..query.sort import parse_sort, sort_key_fn
from .accumulators import ACCUMULATORS
from .pipeline import PipelineContext, Stage, _set_field, stage

RANK_FUNCS = ("$rank", "$denseRank", "$documentNumber")
SPECIAL_FUNCS = (
    "$shift",
    "$derivative",
    "$integral",
    "$expMovingAvg",
    "$locf",
    "$linearFill",
    "$covariancePop",
    "$covarianceSamp",
)


def _partitions(docs: Iterator[dict], part_fn: Any, variables: dict) -> list[list[dict]]:
    groups: dict[bytes, list[dict]] = {}
    for d in docs:
        k = b"" if part_fn is None else encode_key(_nz(part_fn(d, {**variables, "ROOT": d})))
        groups.setdefault(k, []).append(d)
    return list(groups.values())


def _nz(v: Any) -> Any:
    return None if v is MISSING else v


class _Output:
    __slots__ = ("field", "func", "arg", "acc", "window", "unit", "expr", "extra")

    def __init__(self, field: str, spec: dict, pctx: PipelineContext, sorted_: bool) -> None:
        if not isinstance(spec, dict):
            raise MongoError(40414, f"The field '{field}' must be an object")
        funcs = [k for k in spec if k != "window"]
        if len(funcs) != 1:
            raise MongoError(
                40414, "Expected exactly one function in a window output specification"
            )
        self.field = field
        self.func = funcs[0]
        self.arg = spec[self.func]
        self.window = spec.get("window")
        self.unit = None
        self.acc = None
        self.expr: Fn | None = None
        self.extra: dict[str, Any] = {}
        f = self.func
        if f in RANK_FUNCS:
            if self.arg != {}:
                raise MongoError(5371601, f"{f} must be specified with '{{}}' as the value")
            if not sorted_:
                raise MongoError(5371602, f"{f} requires a sortBy")
            return
        if f == "$shift":
            if not isinstance(self.arg, dict) or "output" not in self.arg or "by" not in self.arg:
                raise MongoError(5371602, "$shift requires 'output' and 'by'")
            self.expr = compile_expression(self.arg["output"], pctx.ectx)
            self.extra["by"] = int(self.arg["by"])
            self.extra["default"] = self.arg.get("default")
            return
        if f in ("$locf", "$linearFill"):
            self.expr = compile_expression(self.arg, pctx.ectx)
            return
        if f in ("$derivative", "$integral"):
            if not isinstance(self.arg, dict) or "input" not in self.arg:
                raise MongoError(5490702, f"{f} requires an 'input' expression")
            self.expr = compile_expression(self.arg["input"], pctx.ectx)
            self.extra["unit"] = self.arg.get("unit")
            return
        if f == "$expMovingAvg":
            if not isinstance(self.arg, dict) or "input" not in self.arg:
                raise MongoError(5433600, "$expMovingAvg requires an 'input'")
            self.expr = compile_expression(self.arg["input"], pctx.ectx)
            if "N" in self.arg:
                self.extra["alpha"] = 2.0 / (int(self.arg["N"]) + 1)
            elif "alpha" in self.arg:
                self.extra["alpha"] = float(self.arg["alpha"])
            else:
                raise MongoError(5433601, "$expMovingAvg requires either 'N' or 'alpha'")
            return
        if f in ("$covariancePop", "$covarianceSamp"):
            if not isinstance(self.arg, list) or len(self.arg) != 2:
                raise MongoError(5371603, f"{f} requires an array of two expressions")
            self.extra["x"] = compile_expression(self.arg[0], pctx.ectx)
            self.extra["y"] = compile_expression(self.arg[1], pctx.ectx)
            return
        cls = ACCUMULATORS.get(f)
        if cls is None:
            raise MongoError(40415, f"Unrecognized window function, {f}")
        self.acc = cls(self.arg, pctx.ectx)
        if self.window is not None:
            if not isinstance(self.window, dict):
                raise MongoError(5371604, "'window' field must be an object")
            for k in self.window:
                if k not in ("documents", "range", "unit"):
                    raise MongoError(5371605, f"'window' has an invalid parameter: {k}")
            if ("documents" in self.window or "range" in self.window) and not sorted_:
                bounds = self.window.get("documents") or self.window.get("range")
                if bounds != ["unbounded", "unbounded"]:
                    raise MongoError(5339901, "Document-based bounds require a sortBy")
            self.unit = self.window.get("unit")

    def input_expr(self) -> Fn:
        """The compiled input of $shift, $locf, $linearFill, $expMovingAvg, $derivative and
        $integral (their __init__ branches always compile one)."""
        expr = self.expr
        assert expr is not None, self.func
        return expr


def _bounds(spec: Any, i: int, n: int) -> tuple[int, int]:
    lo, hi = spec

    def pos(b: Any, default: int) -> int:
        if b == "unbounded":
            return default
        if b == "current":
            return i
        return i + int(b)

    a = pos(lo, 0)
    b = pos(hi, n - 1)
    return max(0, a), min(n - 1, b)


def _range_bounds(spec: Any, values: list[Any], i: int, unit: str | None) -> tuple[int, int]:
    lo, hi = spec
    cur = values[i]
    if cur is None:
        return i, i - 1

    def shift(v: Any, by: Any) -> Any:
        if unit is not None:
            d = to_aware(v, "$setWindowFields").replace(tzinfo=None)
            return from_aware(add_units(d, unit, int(by)).replace(tzinfo=UTC))
        return arith.add(v, by)

    lo_v = None if lo == "unbounded" else (cur if lo == "current" else shift(cur, lo))
    hi_v = None if hi == "unbounded" else (cur if hi == "current" else shift(cur, hi))
    klo = encode_key(lo_v) if lo_v is not None else None
    khi = encode_key(hi_v) if hi_v is not None else None
    idx = [
        j
        for j, v in enumerate(values)
        if v is not None
        and (klo is None or encode_key(v) >= klo)
        and (khi is None or encode_key(v) <= khi)
    ]
    if not idx:
        return i, i - 1
    return idx[0], idx[-1]


@stage("$setWindowFields")
def _set_window_fields(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict):
        raise MongoError(40414, "$setWindowFields requires an object")
    for k in spec:
        if k not in ("partitionBy", "sortBy", "output"):
            raise MongoError(40415, f"BSON field '$setWindowFields.{k}' is an unknown field.")
    if "output" not in spec or not isinstance(spec["output"], dict):
        raise MongoError(
            40414, "BSON field '$setWindowFields.output' is missing but a required field"
        )
    part_fn = compile_expression(spec["partitionBy"], pctx.ectx) if "partitionBy" in spec else None
    sort = parse_sort(spec["sortBy"]) if spec.get("sortBy") else []
    keyfn = sort_key_fn(sort) if sort else None
    outputs = [_Output(f, s, pctx, bool(sort)) for f, s in spec["output"].items()]
    sort_parts = paths.split(sort[0][0]) if sort else None
    variables = pctx.variables

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        for part in _partitions(docs, part_fn, variables):
            if keyfn is not None:
                part = [
                    d
                    for _, _, d in sorted(
                        ((keyfn(d), i, d) for i, d in enumerate(part)), key=lambda r: (r[0], r[1])
                    )
                ]
            n = len(part)
            results = [dict(d) for d in part]
            sort_values = None
            for out in outputs:
                vals = _compute(out, part, n, variables, sort, sort_parts)
                if vals is None:
                    continue
                if out.window and "range" in out.window and sort_values is None:
                    pass
                for i, v in enumerate(vals):
                    if v is not MISSING:
                        _set_field(results[i], out.field.split("."), v)
            yield from results

    return run


def _compute(
    out: _Output, part: list[dict], n: int, variables: dict, sort: list, sort_parts: Any
) -> list[Any]:
    f = out.func
    if f in RANK_FUNCS:
        keys = [sort_key_fn(sort)(d) for d in part]
        res: list[Any] = []
        rank = dense = 0
        prev = None
        for i, k in enumerate(keys):
            if f == "$documentNumber":
                res.append(i + 1)
                continue
            if k != prev:
                rank = i + 1
                dense += 1
                prev = k
            res.append(rank if f == "$rank" else dense)
        return res
    if f == "$shift":
        expr = out.input_expr()
        vals = [expr(d, {**variables, "ROOT": d}) for d in part]
        by = out.extra["by"]
        dflt = out.extra["default"]
        return [(_nz(vals[i + by]) if 0 <= i + by < n else dflt) for i in range(n)]
    if f == "$locf":
        expr = out.input_expr()
        vals = [expr(d, {**variables, "ROOT": d}) for d in part]
        res = []
        last = None
        for v in vals:
            if v is not MISSING and v is not None:
                last = v
            res.append(last)
        return res
    if f == "$linearFill":
        expr = out.input_expr()
        vals = [_nz(expr(d, {**variables, "ROOT": d})) for d in part]
        xs = [_sort_value(d, sort_parts) for d in part]
        res = list(vals)
        known = [i for i, v in enumerate(vals) if v is not None]
        for a, b in zip(known, known[1:], strict=False):
            for i in range(a + 1, b):
                x0, x1 = _as_num(xs[a]), _as_num(xs[b])
                y0, y1 = arith.as_float(vals[a]), arith.as_float(vals[b])
                t = (_as_num(xs[i]) - x0) / (x1 - x0) if x1 != x0 else 0.0
                res[i] = y0 + (y1 - y0) * t
        return res
    if f == "$expMovingAvg":
        alpha = out.extra["alpha"]
        res = []
        avg = None
        expr = out.input_expr()
        for d in part:
            v = expr(d, {**variables, "ROOT": d})
            if is_numeric(v) and not isinstance(v, bool):
                x = arith.as_float(v)
                avg = x if avg is None else alpha * x + (1 - alpha) * avg
            res.append(avg)
        return res
    window = out.window or {}
    if f in ("$derivative", "$integral", "$covariancePop", "$covarianceSamp"):
        res = []
        for i in range(n):
            lo, hi = _window_range(window, i, n, part, sort_parts, out.unit)
            res.append(_special(out, part[lo : hi + 1], variables, sort_parts))
        return res
    acc = out.acc
    assert acc is not None
    if not window or (window.get("documents") == ["unbounded", "unbounded"]):
        state = acc.start()
        for d in part:
            state = acc.add(state, acc.value(d, {**variables, "ROOT": d}))
        r = acc.result(state)
        return [r] * n
    res = []
    values = [acc.value(d, {**variables, "ROOT": d}) for d in part]
    for i in range(n):
        lo, hi = _window_range(window, i, n, part, sort_parts, out.unit)
        state = acc.start()
        for j in range(lo, hi + 1):
            state = acc.add(state, values[j])
        res.append(acc.result(state))
    return res


def _window_range(
    window: dict, i: int, n: int, part: list[dict], sort_parts: Any, unit: str | None
) -> tuple[int, int]:
    if "documents" in window:
        return _bounds(window["documents"], i, n)
    if "range" in window:
        values = [_sort_value(d, sort_parts) for d in part]
        return _range_bounds(window["range"], values, i, unit)
    return 0, n - 1


def _sort_value(d: dict, parts: Any) -> Any:
    if parts is None:
        return None
    v = paths.get_exact(d, parts)
    return None if v is MISSING else v


def _as_num(v: Any) -> float:
    if isinstance(v, datetime.datetime) or type(v).__name__ == "DatetimeMS":
        from ..keystring import datetime_ms

        return float(datetime_ms(v))
    return arith.as_float(v)


_UNIT_MS = {
    "week": 604800000,
    "day": 86400000,
    "hour": 3600000,
    "minute": 60000,
    "second": 1000,
    "millisecond": 1,
}


def _special(out: _Output, docs: list[dict], variables: dict, sort_parts: Any) -> Any:
    f = out.func
    if f in ("$covariancePop", "$covarianceSamp"):
        xs, ys = [], []
        for d in docs:
            x = out.extra["x"](d, {**variables, "ROOT": d})
            y = out.extra["y"](d, {**variables, "ROOT": d})
            if is_numeric(x) and is_numeric(y):
                xs.append(arith.as_float(x))
                ys.append(arith.as_float(y))
        n = len(xs)
        if n == 0 or (f == "$covarianceSamp" and n < 2):
            return None
        mx, my = sum(xs) / n, sum(ys) / n
        s = sum((a - mx) * (b - my) for a, b in zip(xs, ys, strict=True))
        return s / (n - 1 if f == "$covarianceSamp" else n)
    pts = []
    expr = out.input_expr()
    for d in docs:
        y = expr(d, {**variables, "ROOT": d})
        x = _sort_value(d, sort_parts)
        if x is None or not is_numeric(y):
            continue
        pts.append((_as_num(x), arith.as_float(y)))
    unit = out.extra.get("unit")
    scale = _UNIT_MS[unit] if unit else 1
    if f == "$derivative":
        if len(pts) < 2:
            return None
        (x0, y0), (x1, y1) = pts[0], pts[-1]
        if x1 == x0:
            return None
        return (y1 - y0) / ((x1 - x0) / scale)
    if len(pts) < 2:
        return 0.0 if pts else None
    total = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
        total += (x1 - x0) / scale * (y0 + y1) / 2
    return total


# ---------------------------------------------------------------------------------------------
# $densify


@stage("$densify")
def _densify(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict) or "field" not in spec or "range" not in spec:
        raise MongoError(40414, "BSON field '$densify.field' is missing but a required field")
    field = spec["field"]
    rng = spec["range"]
    if not isinstance(rng, dict) or "step" not in rng or "bounds" not in rng:
        raise MongoError(40414, "BSON field '$densify.range.step' is missing but a required field")
    step = rng["step"]
    unit = rng.get("unit")
    bounds = rng["bounds"]
    part_fields = spec.get("partitionByFields", [])
    if not is_numeric(step) or step <= 0:
        raise MongoError(
            5733401,
            "the step parameter in a range statement must be a strictly positive numeric value",
        )
    parts = paths.split(field)

    def advance(v: Any) -> Any:
        if unit is not None:
            d = to_aware(v, "$densify").replace(tzinfo=None)
            return from_aware(add_units(d, unit, int(step)).replace(tzinfo=UTC))
        return arith.add(v, step)

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        items = list(docs)
        groups: dict[bytes, list[dict]] = {}
        for d in items:
            k = encode_key([_nz(paths.get_exact(d, paths.split(p))) for p in part_fields])
            groups.setdefault(k, []).append(d)
        all_vals = [
            v for d in items if (v := paths.get_exact(d, parts)) is not MISSING and v is not None
        ]
        gmin = min(all_vals, key=encode_key) if all_vals else None
        gmax = max(all_vals, key=encode_key) if all_vals else None
        for docs_ in groups.values():
            with_v = sorted(
                (d for d in docs_ if paths.get_exact(d, parts) not in (MISSING, None)),
                key=lambda d: encode_key(paths.get_exact(d, parts)),
            )
            without = [d for d in docs_ if paths.get_exact(d, parts) in (MISSING, None)]
            part_vals = {p: paths.get_exact(docs_[0], paths.split(p)) for p in part_fields}
            if bounds == "full":
                lo, hi = gmin, gmax
            elif bounds == "partition":
                lo = paths.get_exact(with_v[0], parts) if with_v else None
                hi = paths.get_exact(with_v[-1], parts) if with_v else None
            elif isinstance(bounds, list) and len(bounds) == 2:
                lo, hi = bounds
            else:
                raise MongoError(
                    5733402,
                    "the bounds in a range statement must be the string "
                    "'full', 'partition', or an ascending array of two numbers or "
                    "two dates",
                )
            existing = {encode_key(paths.get_exact(d, parts)) for d in with_v}
            out: list[dict] = []
            cur = lo
            i = 0
            explicit = isinstance(bounds, list)
            while (
                cur is not None
                and hi is not None
                and (
                    encode_key(cur) < encode_key(hi)
                    or (not explicit and encode_key(cur) == encode_key(hi))
                )
            ):
                while i < len(with_v) and encode_key(
                    paths.get_exact(with_v[i], parts)
                ) <= encode_key(cur):
                    out.append(with_v[i])
                    i += 1
                if encode_key(cur) not in existing:
                    nd: dict[str, Any] = {}
                    for p, v in part_vals.items():
                        if v is not MISSING:
                            _set_field(nd, p.split("."), v)
                    _set_field(nd, field.split("."), cur)
                    out.append(nd)
                cur = advance(cur)
            out.extend(with_v[i:])
            yield from out
            yield from without

    return run


# ---------------------------------------------------------------------------------------------
# $fill


@stage("$fill")
def _fill(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict) or "output" not in spec:
        raise MongoError(40414, "BSON field '$fill.output' is missing but a required field")
    for k in spec:
        if k not in ("partitionBy", "partitionByFields", "sortBy", "output"):
            raise MongoError(40415, f"BSON field '$fill.{k}' is an unknown field.")
    output = spec["output"]
    window_out: dict[str, Any] = {}
    set_fields: dict[str, Any] = {}
    for f, s in output.items():
        if not isinstance(s, dict):
            raise MongoError(6050200, "fill output must be an object")
        if "value" in s:
            set_fields[f] = {"$ifNull": [f"${f}", s["value"]]}
        elif s.get("method") == "locf":
            window_out[f] = {"$locf": f"${f}"}
        elif s.get("method") == "linear":
            if not spec.get("sortBy"):
                raise MongoError(605001, "Method 'linear' requires a sortBy")
            window_out[f] = {"$linearFill": f"${f}"}
        else:
            raise MongoError(
                6050201, "Each fill output specification must have either 'value' or 'method'"
            )
    stages: list[Stage] = []
    if window_out:
        sw: dict[str, Any] = {"output": window_out}
        if "partitionBy" in spec:
            sw["partitionBy"] = spec["partitionBy"]
        elif spec.get("partitionByFields"):
            sw["partitionBy"] = {p.replace(".", "_"): f"${p}" for p in spec["partitionByFields"]}
        if spec.get("sortBy"):
            sw["sortBy"] = spec["sortBy"]
        stages.append(_set_window_fields(sw, pctx))
    elif spec.get("sortBy"):
        from .pipeline import _sort

        stages.append(_sort(spec["sortBy"], pctx))
    if set_fields:
        from .pipeline import _add_fields

        stages.append(_add_fields(set_fields, pctx))

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        it = docs
        for s in stages:
            it = s(it)
        return it

    return run


_ = (Int64, math, type_name)
