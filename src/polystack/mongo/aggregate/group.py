"""$group, $bucket and $bucketAuto."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from ..bsontypes import is_numeric
from ..errors import MongoError
from ..expr import compile_expression
from ..keystring import MISSING, compare, encode_key
from .accumulators import Accumulator, compile_accumulator
from .pipeline import PipelineContext, Stage, stage


def _group_state(spec: dict, pctx: PipelineContext) -> tuple[Any, list]:
    if "_id" not in spec:
        raise MongoError(15955, "a group specification must include an _id")
    id_spec = spec["_id"]
    if isinstance(id_spec, dict) and id_spec and not next(iter(id_spec)).startswith("$"):
        id_fn = compile_expression(id_spec, pctx.ectx)
    else:
        id_fn = compile_expression(id_spec, pctx.ectx)
    accs = []
    for name, acc in spec.items():
        if name == "_id":
            continue
        if name.startswith("$"):
            raise MongoError(40236, f"The field name '{name}' cannot be an operator name")
        if "." in name:
            raise MongoError(40235, f"The field name '{name}' cannot contain '.'")
        accs.append((name, compile_accumulator(name, acc, pctx.ectx)))
    return id_fn, accs


@stage("$group")
def _group(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict):
        raise MongoError(15947, "a group's fields must be specified in an object")
    id_fn, accs = _group_state(spec, pctx)
    variables = pctx.variables

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        groups: dict[Any, list] = {}
        vars_ = dict(variables)
        adders = [
            (i, a.expr if type(a).value is Accumulator.value else a.value, a.add)
            for i, (_, a) in enumerate(accs, 1)
        ]
        starts = [a.start for _, a in accs]
        for d in docs:
            vars_["ROOT"] = d
            key_value = id_fn(d, vars_)
            # strings key the groups directly; everything else by its BSON-order key
            if type(key_value) is str:
                k: Any = key_value
            else:
                if key_value is MISSING:
                    key_value = None
                k = encode_key(key_value)
            g = groups.get(k)
            if g is None:
                g = [key_value] + [s() for s in starts]
                groups[k] = g
            for i, value, add in adders:
                g[i] = add(g[i], value(d, vars_))
        for g in groups.values():
            out = {"_id": g[0]}
            for i, (name, a) in enumerate(accs, 1):
                out[name] = a.result(g[i])
            yield out

    return run


@stage("$bucket")
def _bucket(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict):
        raise MongoError(40201, "Argument to $bucket stage must be an object")
    for k in spec:
        if k not in ("groupBy", "boundaries", "default", "output"):
            raise MongoError(40197, f"Unrecognized option to $bucket: {k}.")
    if "groupBy" not in spec or "boundaries" not in spec:
        raise MongoError(40198, "$bucket requires 'groupBy' and 'boundaries' to be specified.")
    group_by = spec["groupBy"]
    if not (isinstance(group_by, str) and group_by.startswith("$")) and not isinstance(
        group_by, dict
    ):
        raise MongoError(
            40202,
            "The $bucket 'groupBy' field must be defined as a $-prefixed path or an expression",
        )
    bounds = spec["boundaries"]
    if not isinstance(bounds, list) or len(bounds) < 2:
        raise MongoError(
            40192, "The $bucket 'boundaries' field must be an array with at least two values"
        )
    from ..keystring import type_rank

    for a, b in zip(bounds, bounds[1:], strict=False):
        if type_rank(a) != type_rank(b):
            raise MongoError(
                40193,
                "All values in the the 'boundaries' option to $bucket must have the same type.",
            )
        if compare(a, b) >= 0:
            raise MongoError(
                40194, "The 'boundaries' option to $bucket must be sorted in ascending order"
            )
    has_default = "default" in spec
    default = spec.get("default")
    if has_default and compare(bounds[0], default) <= 0 and compare(default, bounds[-1]) < 0:
        raise MongoError(
            40199,
            "The $bucket 'default' field must be less than the lowest "
            "boundary or greater than or equal to the highest boundary.",
        )
    output = spec.get("output") or {"count": {"$sum": 1}}
    gb = compile_expression(group_by, pctx.ectx)
    accs = [(n, compile_accumulator(n, a, pctx.ectx)) for n, a in output.items()]
    variables = pctx.variables

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        buckets: dict[int, list] = {}
        for d in docs:
            vars_ = {**variables, "ROOT": d}
            v = gb(d, vars_)
            v = None if v is MISSING else v
            idx = None
            if (
                compare(v, bounds[0]) >= 0
                and compare(v, bounds[-1]) < 0
                and type_rank(v) == type_rank(bounds[0])
            ):
                for i in range(len(bounds) - 1):
                    if compare(v, bounds[i + 1]) < 0:
                        idx = i
                        break
            if idx is None:
                if not has_default:
                    raise MongoError(
                        40066,
                        "$switch could not find a matching branch for an input, and no default "
                        "was specified.",
                    )
                idx = -1
            g = buckets.get(idx)
            if g is None:
                g = [a.start() for _, a in accs]
                buckets[idx] = g
            for i, (_, a) in enumerate(accs):
                g[i] = a.add(g[i], a.value(d, vars_))
        for idx in sorted(k for k in buckets if k >= 0):
            yield _bucket_doc(bounds[idx], buckets[idx], accs)
        if -1 in buckets:
            yield _bucket_doc(default, buckets[-1], accs)

    return run


def _bucket_doc(key: Any, state: list, accs: list) -> dict:
    out = {"_id": key}
    for i, (n, a) in enumerate(accs):
        out[n] = a.result(state[i])
    return out


_PREFERRED = {
    "R5": [1.0, 1.6, 2.5, 4.0, 6.3],
    "R10": [1.0, 1.25, 1.6, 2.0, 2.5, 3.15, 4.0, 5.0, 6.3, 8.0],
    "R20": [
        1.0,
        1.12,
        1.25,
        1.4,
        1.6,
        1.8,
        2.0,
        2.24,
        2.5,
        2.8,
        3.15,
        3.55,
        4.0,
        4.5,
        5.0,
        5.6,
        6.3,
        7.1,
        8.0,
        9.0,
    ],
    "E6": [1.0, 1.5, 2.2, 3.3, 4.7, 6.8],
    "E12": [1.0, 1.2, 1.5, 1.8, 2.2, 2.7, 3.3, 3.9, 4.7, 5.6, 6.8, 8.2],
    "1-2-5": [1.0, 2.0, 5.0],
}


@stage("$bucketAuto")
def _bucket_auto(spec: Any, pctx: PipelineContext) -> Stage:
    if not isinstance(spec, dict):
        raise MongoError(40240, "The argument to $bucketAuto must be an object")
    for k in spec:
        if k not in ("groupBy", "buckets", "output", "granularity"):
            raise MongoError(40245, f"Unrecognized option to $bucketAuto: {k}.")
    if "groupBy" not in spec or "buckets" not in spec:
        raise MongoError(40246, "$bucketAuto requires 'groupBy' and 'buckets' to be specified")
    n = spec["buckets"]
    if not is_numeric(n) or isinstance(n, bool) or int(n) != n:
        raise MongoError(40241, "The $bucketAuto 'buckets' field must be a numeric value")
    n = int(n)
    if n <= 0:
        raise MongoError(
            40243, f"The $bucketAuto 'buckets' field must be greater than 0, but found: {n}"
        )
    gran = spec.get("granularity")
    if gran is not None and gran not in _PREFERRED and gran != "POWERSOF2":
        raise MongoError(40257, f"Rounding granularity not recognized: {gran}")
    gb = compile_expression(spec["groupBy"], pctx.ectx)
    output = spec.get("output") or {"count": {"$sum": 1}}
    accs = [(name, compile_accumulator(name, a, pctx.ectx)) for name, a in output.items()]
    variables = pctx.variables

    def run(docs: Iterator[dict]) -> Iterator[dict]:
        rows = []
        for d in docs:
            vars_ = {**variables, "ROOT": d}
            v = gb(d, vars_)
            v = None if v is MISSING else v
            rows.append((encode_key(v), v, d, vars_))
        if not rows:
            return
        rows.sort(key=lambda r: r[0])
        per = max(1, math.ceil(len(rows) / n)) if len(rows) >= n else 1
        buckets: list[list] = []
        i = 0
        while i < len(rows):
            j = min(len(rows), i + per)
            # values equal to the last one stay in the same bucket
            while j < len(rows) and rows[j][0] == rows[j - 1][0]:
                j += 1
            buckets.append(rows[i:j])
            i = j
        bounds = []
        for bi, b in enumerate(buckets):
            lo = b[0][1]
            hi = buckets[bi + 1][0][1] if bi + 1 < len(buckets) else b[-1][1]
            bounds.append([lo, hi])
        if gran is not None:
            bounds = _granular(bounds, gran)
        for b, (lo, hi) in zip(buckets, bounds, strict=True):
            state = [a.start() for _, a in accs]
            for _, _, d, vars_ in b:
                for k, (_, a) in enumerate(accs):
                    state[k] = a.add(state[k], a.value(d, vars_))
            out = {"_id": {"min": lo, "max": hi}}
            for k, (name, a) in enumerate(accs):
                out[name] = a.result(state[k])
            yield out

    return run


def _round_up(x: float, gran: str) -> float:
    if x <= 0:
        return 0.0
    if gran == "POWERSOF2":
        return float(2 ** math.ceil(math.log2(x)))
    series = _PREFERRED[gran]
    exp = math.floor(math.log10(x))
    for scale in (10.0**exp, 10.0 ** (exp + 1)):
        for s in series:
            if s * scale >= x - 1e-12:
                return s * scale
    return series[0] * 10.0 ** (exp + 1)


def _round_down(x: float, gran: str) -> float:
    if x <= 0:
        return 0.0
    if gran == "POWERSOF2":
        return float(2 ** math.floor(math.log2(x)))
    series = _PREFERRED[gran]
    exp = math.floor(math.log10(x))
    best = 0.0
    for scale in (10.0 ** (exp - 1), 10.0**exp):
        for s in series:
            if s * scale <= x + 1e-12:
                best = max(best, s * scale)
    return best


def _granular(bounds: list[list], gran: str) -> list[list]:
    out: list[list] = []
    for i, (lo, hi) in enumerate(bounds):
        nlo = _round_down(float(lo), gran) if i == 0 else out[-1][1]
        nhi = _round_up(float(hi), gran)
        if nhi == nlo:
            nhi = _round_up(nhi * 1.0000001, gran)
        out.append([nlo, nhi])
    return out
