"""Accumulators for $group, $bucket, $bucketAuto and $setWindowFields.

Each accumulator is a class with ``start() -> state``, ``add(state, value) -> state``,
``remove(state, value)`` (for sliding windows, where cheap) and ``result(state)``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Any

from bson.decimal128 import Decimal128
from bson.int64 import Int64

from .. import arith
from ..bsontypes import is_numeric
from ..errors import MongoError
from ..expr.core import ExprContext, compile_expression
from ..keystring import MISSING, compare, encode_key
from ..query.sort import SortKey, parse_sort, sort_key_fn

ACCUMULATORS: dict[str, Callable[[Any, ExprContext], Accumulator]] = {}


def accumulator(*names: str) -> Callable:
    def register(cls: Callable) -> Callable:
        for n in names:
            ACCUMULATORS[n] = cls
        return cls

    return register


class Accumulator:
    name = ""
    needs_doc = False  # receives the whole document (the $top family evaluates per doc)

    def __init__(self, arg: Any, ctx: ExprContext) -> None:
        self.arg = arg
        self.expr = compile_expression(arg, ctx)

    def value(self, doc: dict, variables: dict) -> Any:
        return self.expr(doc, variables)

    def start(self) -> Any:
        return None

    def add(self, state: Any, v: Any) -> Any:
        raise NotImplementedError

    def result(self, state: Any) -> Any:
        return state


def _num(v: Any) -> bool:
    return is_numeric(v) and not isinstance(v, bool)


class _Total:
    """An exact running total with MongoDB's result typing (int -> long -> double, decimal)."""

    __slots__ = ("ints", "floats", "decimal", "long", "double", "count")

    def __init__(self) -> None:
        self.ints = 0
        self.floats = 0.0
        self.decimal: Any = None
        self.long = False
        self.double = False
        self.count = 0

    def add(self, v: Any, sign: int = 1) -> None:
        t = type(v)
        if t is int:
            self.ints += v if sign > 0 else -v
        elif t is float:
            self.floats += v if sign > 0 else -v
            self.double = True
        elif t is Int64:
            self.ints += int(v) * sign
            self.long = True
        elif t is Decimal128:
            d = v.to_decimal()
            self.decimal = (self.decimal or 0) + (d if sign > 0 else -d)
        else:
            return
        self.count += sign

    def value(self) -> Any:
        if self.decimal is not None:
            total = self.decimal + arith.to_dec(self.ints) + arith.to_dec(self.floats)
            return arith.make_dec(total)
        if self.double:
            return float(self.ints) + self.floats
        n = self.ints
        if not self.long and -(1 << 31) <= n < 1 << 31:
            return n
        if -(1 << 63) <= n < 1 << 63:
            return Int64(n)
        return float(n)

    def mean(self) -> Any:
        if not self.count:
            return None
        if self.decimal is not None:
            return arith.make_dec(arith.to_dec(self.value()) / self.count)
        return (float(self.ints) + self.floats) / self.count


@accumulator("$sum")
class Sum(Accumulator):
    def start(self) -> Any:
        return _Total()

    def add(self, state: Any, v: Any) -> Any:
        state.add(v)
        return state

    def remove(self, state: Any, v: Any) -> Any:
        state.add(v, -1)
        return state

    def result(self, state: Any) -> Any:
        return state.value()


@accumulator("$count")
class Count(Sum):
    def __init__(self, arg: Any, ctx: ExprContext) -> None:
        if arg != {}:
            raise MongoError(2, "$count takes no arguments, i.e. $count:{}")
        super().__init__(1, ctx)


@accumulator("$avg")
class Avg(Sum):
    def result(self, state: Any) -> Any:
        return state.mean()


@accumulator("$min")
class Min(Accumulator):
    sign = -1

    def start(self) -> Any:
        return MISSING

    def add(self, state: Any, v: Any) -> Any:
        if v is MISSING or v is None:
            return state
        if state is MISSING or compare(v, state) * self.sign > 0:
            return v
        return state

    def result(self, state: Any) -> Any:
        return None if state is MISSING else state


@accumulator("$max")
class Max(Min):
    sign = 1


@accumulator("$first")
class First(Accumulator):
    def start(self) -> Any:
        return [False, None]

    def add(self, state: Any, v: Any) -> Any:
        if not state[0]:
            state[0] = True
            state[1] = None if v is MISSING else v
        return state

    def result(self, state: Any) -> Any:
        return state[1]


@accumulator("$last")
class Last(Accumulator):
    def add(self, state: Any, v: Any) -> Any:
        return None if v is MISSING else v


@accumulator("$push")
class Push(Accumulator):
    def start(self) -> Any:
        return []

    def add(self, state: Any, v: Any) -> Any:
        if v is not MISSING:
            state.append(v)
        return state


@accumulator("$addToSet")
class AddToSet(Accumulator):
    def start(self) -> Any:
        return {}

    def add(self, state: Any, v: Any) -> Any:
        if v is not MISSING:
            state.setdefault(encode_key(v), v)
        return state

    def result(self, state: Any) -> Any:
        return list(state.values())


@accumulator("$mergeObjects")
class MergeObjects(Accumulator):
    def start(self) -> Any:
        return {}

    def add(self, state: Any, v: Any) -> Any:
        if v is None or v is MISSING:
            return state
        if type(v) is not dict:
            from ..bsontypes import type_name

            raise MongoError(
                40400,
                f"$mergeObjects requires object inputs, but input {v!r} is of type {type_name(v)}",
            )
        state.update(v)
        return state


@accumulator("$stdDevPop")
class StdDevPop(Accumulator):
    sample = False

    def start(self) -> Any:
        return [0, 0.0, 0.0]  # n, mean, M2 (Welford)

    def add(self, state: Any, v: Any) -> Any:
        if _num(v):
            x = arith.as_float(v)
            state[0] += 1
            d = x - state[1]
            state[1] += d / state[0]
            state[2] += d * (x - state[1])
        return state

    def result(self, state: Any) -> Any:
        n = state[0]
        if n == 0 or (self.sample and n < 2):
            return None
        return math.sqrt(state[2] / (n - 1 if self.sample else n))


@accumulator("$stdDevSamp")
class StdDevSamp(StdDevPop):
    sample = True


class _NSpec(Accumulator):
    """$firstN/$lastN/$maxN/$minN/$topN/$bottomN/$top/$bottom share {input|output, n, sortBy}."""

    def __init__(self, arg: Any, ctx: ExprContext) -> None:
        name = self.name
        if not isinstance(arg, dict):
            raise MongoError(5787801, f"specification must be an object; found {arg!r}")
        self.n_expr = None
        key = "output" if name in ("$top", "$bottom", "$topN", "$bottomN") else "input"
        if key not in arg:
            raise MongoError(5788003, f"{name} requires an '{key}' field")
        if name not in ("$top", "$bottom"):
            if "n" not in arg:
                raise MongoError(5787906, "Missing value for 'n'")
            self.n_expr = compile_expression(arg["n"], ctx)
        self.arg = arg
        self.expr = compile_expression(arg[key], ctx)
        self.sort: SortKey | None = None
        if name in ("$top", "$bottom", "$topN", "$bottomN"):
            if "sortBy" not in arg:
                raise MongoError(5788005, f"{name} requires a 'sortBy' field")
            self.sort = sort_key_fn(parse_sort(arg["sortBy"]))
            self.needs_doc = True

    def n_value(self, doc: dict, variables: dict) -> int:
        if self.n_expr is None:
            return 1
        n = self.n_expr(doc, variables)
        if not _num(n) or int(n) != n:
            raise MongoError(5787902, f"Value for 'n' must be of integral type, but found {n!r}")
        if n <= 0:
            raise MongoError(5787908, "'n' must be greater than 0, found " + str(n))
        return int(n)


@accumulator("$firstN")
class FirstN(_NSpec):
    name = "$firstN"

    def start(self) -> Any:
        return [None, []]

    def value(self, doc: dict, variables: dict) -> Any:
        return (self.n_value(doc, variables), self.expr(doc, variables))

    def add(self, state: Any, v: Any) -> Any:
        n, x = v
        state[0] = n
        if len(state[1]) < n:
            state[1].append(None if x is MISSING else x)
        return state

    def result(self, state: Any) -> Any:
        return state[1]


@accumulator("$lastN")
class LastN(FirstN):
    name = "$lastN"

    def add(self, state: Any, v: Any) -> Any:
        n, x = v
        state[0] = n
        state[1].append(None if x is MISSING else x)
        if len(state[1]) > n:
            del state[1][0]
        return state


@accumulator("$maxN")
class MaxN(FirstN):
    name = "$maxN"
    desc = True

    def add(self, state: Any, v: Any) -> Any:
        n, x = v
        state[0] = n
        if x is MISSING or x is None:
            return state
        state[1].append(x)
        return state

    def result(self, state: Any) -> Any:
        items = sorted(state[1], key=encode_key, reverse=self.desc)
        return items[: state[0] or 0]


@accumulator("$minN")
class MinN(MaxN):
    name = "$minN"
    desc = False


@accumulator("$topN")
class TopN(_NSpec):
    name = "$topN"
    bottom = False
    sort: SortKey  # $top/$bottom/$topN/$bottomN require sortBy (checked in _NSpec.__init__)

    def start(self) -> Any:
        return [None, []]

    def value(self, doc: dict, variables: dict) -> Any:
        x = self.expr(doc, variables)
        return (self.n_value(doc, variables), self.sort(doc), None if x is MISSING else x)

    def add(self, state: Any, v: Any) -> Any:
        n, k, x = v
        state[0] = n
        state[1].append((k, len(state[1]), x))
        return state

    def result(self, state: Any) -> Any:
        n = state[0] or 0
        rows = state[1]
        if self.bottom:
            picked = heapq.nlargest(n, rows, key=lambda r: (r[0], r[1]))
            picked.reverse()
        else:
            picked = heapq.nsmallest(n, rows, key=lambda r: (r[0], r[1]))
        out = [r[2] for r in picked]
        if self.name in ("$top", "$bottom"):
            return out[0] if out else None
        return out


@accumulator("$bottomN")
class BottomN(TopN):
    name = "$bottomN"
    bottom = True


@accumulator("$top")
class Top(TopN):
    name = "$top"


@accumulator("$bottom")
class Bottom(TopN):
    name = "$bottom"
    bottom = True


class _Percentile(Accumulator):
    def __init__(self, arg: Any, ctx: ExprContext) -> None:
        if not isinstance(arg, dict) or "input" not in arg or "method" not in arg:
            raise MongoError(
                40414, f"BSON field '{self.name}.input' is missing but a required field"
            )
        if arg["method"] not in ("approximate", "discrete", "continuous"):
            raise MongoError(2, "Currently only 'approximate' can be used as percentile 'method'")
        self.arg = arg
        self.expr = compile_expression(arg["input"], ctx)
        self.ps = [0.5] if self.name == "$median" else list(arg.get("p", []))
        self.continuous = arg["method"] == "continuous"
        if not self.ps or any(not _num(p) or p < 0 or p > 1 for p in self.ps):
            raise MongoError(7750301, "The 'p' field must be an array of numbers from [0.0, 1.0]")

    def start(self) -> Any:
        return []

    def add(self, state: Any, v: Any) -> Any:
        if _num(v):
            state.append(arith.as_float(v))
        return state

    def result(self, state: Any) -> Any:
        if not state:
            return None if self.name == "$median" else [None] * len(self.ps)
        data = sorted(state)
        out = []
        for p in self.ps:
            if self.continuous:
                r = p * (len(data) - 1)
                lo, hi = math.floor(r), math.ceil(r)
                out.append(data[lo] + (data[hi] - data[lo]) * (r - lo))
            else:
                idx = max(0, math.ceil(p * len(data)) - 1)
                out.append(data[idx])
        return out[0] if self.name == "$median" else out


@accumulator("$percentile")
class Percentile(_Percentile):
    name = "$percentile"


@accumulator("$median")
class Median(_Percentile):
    name = "$median"


def compile_accumulator(field: str, spec: Any, ctx: ExprContext) -> Accumulator:
    if not isinstance(spec, dict) or len(spec) != 1:
        raise MongoError(40234, f"The field '{field}' must be an accumulator object")
    op = next(iter(spec))
    cls = ACCUMULATORS.get(op)
    if cls is None:
        raise MongoError(15952, f"unknown group operator '{op}'")
    return cls(spec[op], ctx)
