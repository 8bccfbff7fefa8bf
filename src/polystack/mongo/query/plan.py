"""The query planner and executor: _id lookup, index scans with bounds, collection scans.

The planner looks at the predicates every result must satisfy (the top-level AND of the
filter) and picks, in order: an ``_id`` equality (a hash lookup), an index whose leading
fields have equality or range predicates (most equality fields first), an index that provides
the requested sort order, else a collection scan.  Index bounds are byte ranges over the
index's entries; every fetched document is still checked against the whole filter, so an
index only ever narrows the scan.  ``explain`` reports the chosen plan in MongoDB's shape
(``EXPRESS_IXSCAN``/``IXSCAN`` under ``FETCH``, ``COLLSCAN``, ``SORT``).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bson.regex import Regex

from .. import display
from ..collection import Collection
from ..errors import MongoError
from ..index import Index, entry_idkey
from ..keystring import (
    RANK_MAXKEY,
    RANK_MINKEY,
    RANK_NULL,
    encode_key,
    invert,
    type_rank,
)
from ..wire import decode_document
from .matcher import Filter, PathNode, top_level_predicates
from .sort import sort_key_fn

_TYPE_TAG = {
    -1: 0x0A,
    0: 0x0F,
    5: 0x14,
    10: 0x1F,
    15: 0x3C,
    20: 0x46,
    25: 0x50,
    30: 0x5A,
    35: 0x64,
    40: 0x6E,
    45: 0x78,
    47: 0x82,
    50: 0x8C,
    60: 0xA0,
    65: 0xAA,
    127: 0xF0,
}
SORT_MEMORY_LIMIT = 100 * 1024 * 1024


@dataclass(slots=True)
class Interval:
    """A range of one index field's component keys (logical, ascending order)."""

    lo: bytes
    lo_incl: bool
    hi: bytes
    hi_incl: bool
    text: str  # as explain prints it

    def physical(self, descending: bool) -> tuple[bytes, bytes]:
        if not descending:
            start = self.lo if self.lo_incl else self.lo + b"\xff"
            stop = self.hi + b"\xff" if self.hi_incl else self.hi
            return start, stop
        ilo, ihi = invert(self.lo), invert(self.hi)
        start = ihi if self.hi_incl else ihi + b"\xff"
        stop = ilo + b"\xff" if self.lo_incl else ilo
        return start, stop


FULL = Interval(b"\x00", True, b"\xff", True, "[MinKey, MaxKey]")


@dataclass(slots=True)
class Plan:
    kind: str  # "IDHACK", "IXSCAN", "COLLSCAN", "EOF"
    index: Index | None = None
    id_keys: Sequence[bytes] = ()  # IDHACK: the _id keys looked up
    ranges: list[tuple[bytes, bytes]] = field(default_factory=list)
    bounds: dict[str, list[str]] = field(default_factory=dict)
    reverse: bool = False
    provides_sort: bool = False
    keys_examined: int = 0
    docs_examined: int = 0
    sorted_ids: bool = False  # a range/sort over _id through the sorted _id list


def _tag_bytes(rank: int) -> tuple[bytes, bytes]:
    tag = _TYPE_TAG[rank]
    nxt = min(t for t in _TYPE_TAG.values() if t > tag) if tag < 0xF0 else 0xF1
    return bytes([tag]), bytes([nxt])


def _value_interval(op: str, x: Any) -> list[Interval] | None:
    """The intervals a predicate selects on an index field, or None when it cannot bound it."""
    if op == "$eq":
        if isinstance(x, list | dict) or type(x) is Regex:
            return None
        k = encode_key(x)
        t = display.value(x)
        ivs = [Interval(k, True, k, True, f"[{t}, {t}]")]
        if x is None:
            u = b"\x0f"
            ivs.insert(0, Interval(u, True, u, True, "[undefined, undefined]"))
        return ivs
    if op == "$in":
        out: list[Interval] = []
        for v in x:
            iv = _value_interval("$eq", v)
            if iv is None:
                return None
            out.extend(iv)
        out.sort(key=lambda i: i.lo)
        dedup: list[Interval] = []
        for i in out:
            if not dedup or dedup[-1].lo != i.lo:
                dedup.append(i)
        return dedup
    if op in ("$gt", "$gte", "$lt", "$lte"):
        rank = type_rank(x)
        if rank in (RANK_MINKEY, RANK_MAXKEY, RANK_NULL) or isinstance(x, list | dict):
            return None
        if isinstance(x, float) and x != x:
            return None
        k = encode_key(x)
        lo_t, hi_t = _tag_bytes(rank)
        t = display.value(x)
        lo_txt, hi_txt = _bracket_texts(rank)
        if op in ("$gt", "$gte"):
            return [
                Interval(
                    k, op == "$gte", hi_t, False, f"{'[' if op == '$gte' else '('}{t}, {hi_txt})"
                )
            ]
        return [
            Interval(lo_t, True, k, op == "$lte", f"[{lo_txt}, {t}{']' if op == '$lte' else ')'}")
        ]
    if op == "$regex":
        pattern, options = x
        prefix = _regex_prefix(pattern, options)
        lo_t, hi_t = _tag_bytes(15)
        if prefix:
            lo = encode_key(prefix)[:-1]  # without the terminator: every string with the prefix
            return [
                Interval(
                    lo,
                    True,
                    lo + b"\xfe",
                    False,
                    f'["{prefix}", "{prefix[:-1]}{chr(ord(prefix[-1]) + 1)}")',
                )
            ]
        return [Interval(lo_t, True, hi_t, False, '["", {})')]
    return None


def _regex_prefix(pattern: str, options: str) -> str:
    if "i" in options or "x" in options or not pattern.startswith("^"):
        return ""
    out = []
    for ch in pattern[1:]:
        if ch.isalnum() or ch in " _-:/@,;'\"!#%&=<>~`":
            out.append(ch)
        else:
            break
    if out and pattern[1 + len(out) : 1 + len(out) + 1] in ("*", "?", "{"):
        out.pop()
    return "".join(out)


def _bracket_texts(rank: int) -> tuple[str, str]:
    return {
        10: ("-inf.0", "inf.0"),
        15: ('""', "{}"),
        45: ("new Date(-9223372036854775808)", "new Date(9223372036854775807)"),
        35: ("ObjectId('000000000000000000000000')", "ObjectId('ffffffffffffffffffffffff')"),
    }.get(rank, ("MinKey", "MaxKey"))


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval] | None:
    if len(a) != 1 or len(b) != 1:
        return None
    x, y = a[0], b[0]
    if (x.lo, not x.lo_incl) >= (y.lo, not y.lo_incl):
        lo, lo_incl, lo_txt = x.lo, x.lo_incl, x.text.split(",")[0]
    else:
        lo, lo_incl, lo_txt = y.lo, y.lo_incl, y.text.split(",")[0]
    if (x.hi, x.hi_incl) <= (y.hi, y.hi_incl):
        hi, hi_incl, hi_txt = x.hi, x.hi_incl, x.text.rsplit(",", 1)[1]
    else:
        hi, hi_incl, hi_txt = y.hi, y.hi_incl, y.text.rsplit(",", 1)[1]
    return [Interval(lo, lo_incl, hi, hi_incl, f"{lo_txt},{hi_txt}")]


def field_intervals(preds: list[PathNode], path: str, multikey: bool) -> list[Interval] | None:
    ivs: list[Interval] | None = None
    for p in preds:
        if p.path != path or p.negated:
            continue
        got = _value_interval(p.op, p.arg)
        if got is None:
            continue
        if ivs is None:
            ivs = got
        elif not multikey:
            both = _intersect(ivs, got)
            if both is not None:
                ivs = both
    return ivs


def choose_plan(
    coll: Collection,
    flt: Filter,
    sort: list[tuple[str, int]],
    hint: Any = None,
) -> Plan:
    preds = top_level_predicates(flt)
    if hint is not None:
        return _hinted_plan(coll, preds, sort, hint)
    for p in preds:
        if p.path == "_id" and not p.negated and p.op == "$eq":
            if not isinstance(p.arg, dict | list) and type(p.arg) is not Regex:
                return Plan("IDHACK", id_keys=[encode_key(p.arg)])
        if p.path == "_id" and not p.negated and p.op == "$in":
            if all(not isinstance(v, dict | list) and type(v) is not Regex for v in p.arg):
                if not sort:
                    keys = sorted({encode_key(v) for v in p.arg})
                    return Plan("IDHACK", id_keys=keys)
    best: tuple[int, int, str] | None = None
    best_plan: Plan | None = None
    for ix in coll.indexes.values():
        if ix.spec.hidden:
            continue
        if ix.partial_filter is not None and not _implies_partial(flt, ix):
            continue
        plan, score = _index_plan(ix, preds, sort)
        if plan is None:
            continue
        rank = (score[0], score[1], ix.name)
        if best is None or rank[:2] > best[:2]:
            best, best_plan = rank, plan
    if best_plan is not None:
        return best_plan
    # _id range or sort
    id_ivs = field_intervals(preds, "_id", False)
    if id_ivs is not None or (sort and sort[0][0] == "_id" and len(sort) == 1):
        ivs = id_ivs or [FULL]
        reverse = bool(sort) and sort[0] == ("_id", -1)
        plan = Plan("IXSCAN", sorted_ids=True, reverse=reverse)
        plan.ranges = [i.physical(False) for i in ivs]
        plan.bounds = {"_id": [i.text for i in ivs]}
        plan.provides_sort = not sort or (len(sort) == 1 and sort[0][0] == "_id")
        return plan
    return Plan("COLLSCAN", reverse=bool(sort) and False)


def _implies_partial(flt: Filter, ix: Index) -> bool:
    """Whether every document matching the query is in the partial index (simple cases)."""
    preds = {(p.path, p.op, repr(p.arg)) for p in top_level_predicates(flt)}
    spec = ix.spec.partial or {}
    for k, v in spec.items():
        if isinstance(v, dict):
            for op, arg in v.items():
                if op == "$exists" and arg:
                    if not any(p[0] == k for p in preds):
                        return False
                elif (k, op, repr(arg)) not in preds:
                    # a stronger predicate on the same field (e.g. $gt 10 for $gt 5) also implies
                    if not _stronger(flt, k, op, arg):
                        return False
        elif (k, "$eq", repr(v)) not in preds:
            return False
    return True


def _stronger(flt: Filter, path: str, op: str, arg: Any) -> bool:
    from ..keystring import compare

    for p in top_level_predicates(flt):
        if p.path != path or p.negated:
            continue
        try:
            if op in ("$gt", "$gte") and p.op in ("$gt", "$gte", "$eq"):
                c = compare(p.arg, arg)
                if c > 0 or (c == 0 and (op == "$gte" or p.op == "$gt")):
                    return True
            if op in ("$lt", "$lte") and p.op in ("$lt", "$lte", "$eq"):
                c = compare(p.arg, arg)
                if c < 0 or (c == 0 and (op == "$lte" or p.op == "$lt")):
                    return True
        except TypeError:
            pass
    return False


def _index_plan(
    ix: Index, preds: list[PathNode], sort: list[tuple[str, int]]
) -> tuple[Plan | None, tuple[int, int]]:
    per_field: list[list[Interval]] = []
    eq_fields = 0
    for f in ix.fields:
        ivs = field_intervals(preds, f, ix.multikey)
        if ivs is None:
            break
        if ix.spec.sparse and any(i.lo in (b"\x14", b"\x0f") for i in ivs):
            return None, (0, 0)
        per_field.append(ivs)
        if all(i.lo == i.hi and i.lo_incl and i.hi_incl for i in ivs):
            eq_fields += 1
            continue
        break
    sort_ok, reverse = _sort_provided(ix, sort, len(per_field), per_field)
    if not per_field:
        if sort and sort_ok:
            plan = _make_plan(ix, [], reverse)
            plan.provides_sort = True
            return plan, (0, 1)
        return None, (0, 0)
    plan = _make_plan(ix, per_field, reverse if sort_ok else False)
    plan.provides_sort = sort_ok and bool(sort)
    return plan, (len(per_field) * 2 + eq_fields, 1 if plan.provides_sort else 0)


def _sort_provided(
    ix: Index, sort: list[tuple[str, int]], bounded: int, per_field: list[list[Interval]]
) -> tuple[bool, bool]:
    if not sort:
        return True, False
    if ix.multikey and any(f in ix.multikey_paths for f, _ in sort):
        return False, False
    # leading equality fields (single point) can be skipped when matching the sort
    key = list(zip(ix.fields, [-1 if d else 1 for d in ix.descending], strict=True))
    i = 0
    while (
        i < len(per_field)
        and len(per_field[i]) == 1
        and per_field[i][0].lo == per_field[i][0].hi
        and (not sort or key[i][0] != sort[0][0])
    ):
        i += 1
    rest = key[i:]
    if len(sort) > len(rest):
        return False, False
    same = all(rest[j] == (sort[j][0], sort[j][1]) for j in range(len(sort)))
    opposite = all(rest[j] == (sort[j][0], -sort[j][1]) for j in range(len(sort)))
    if same:
        return True, False
    if opposite:
        return True, True
    return False, False


def _make_plan(ix: Index, per_field: list[list[Interval]], reverse: bool) -> Plan:
    prefixes: list[tuple[bytes, bytes]] = [(b"", b"")]
    bounds: dict[str, list[str]] = {}
    for i, ivs in enumerate(per_field):
        desc = ix.descending[i]
        bounds[ix.fields[i]] = [iv.text for iv in ivs]
        last = i == len(per_field) - 1
        new: list[tuple[bytes, bytes]] = []
        for prefix, _ in prefixes:
            for iv in ivs:
                start, stop = iv.physical(desc)
                if not last:
                    # a point: the prefix continues with this exact component
                    new.append((prefix + start, prefix + start))
                else:
                    new.append((prefix + start, prefix + stop))
        prefixes = new
    for f in ix.fields[len(per_field) :]:
        bounds[f] = ["[MinKey, MaxKey]"]
    if not per_field:
        ranges = [(b"", b"\xff\xff")]
    else:
        ranges = sorted(prefixes)
    plan = Plan("IXSCAN", index=ix, ranges=ranges, bounds=bounds, reverse=reverse)
    return plan


def _hinted_plan(
    coll: Collection, preds: list[PathNode], sort: list[tuple[str, int]], hint: Any
) -> Plan:
    ix: Index | None = None
    if isinstance(hint, str):
        if hint == "_id_":
            return _id_plan(preds, sort)
        ix = coll.indexes.get(hint)
    elif isinstance(hint, dict):
        if hint.get("$natural") is not None:
            return Plan("COLLSCAN", reverse=hint["$natural"] in (-1, -1.0))
        if list(hint.items()) in ([("_id", 1)], [("_id", 1.0)]):
            return _id_plan(preds, sort)
        for cand in coll.indexes.values():
            if list(hint.items()) == [(f, d) for f, d in cand.spec.key] or dict(hint) == dict(
                cand.spec.key
            ):
                ix = cand
                break
    if ix is None:
        raise MongoError(
            2,
            "error processing query: planner returned error :: caused by :: hint provided does "
            "not correspond to an existing index",
        )
    plan, _ = _index_plan(ix, preds, sort)
    if plan is None:
        plan = _make_plan(ix, [], False)
    return plan


def _id_plan(preds: list[PathNode], sort: list[tuple[str, int]]) -> Plan:
    ivs = field_intervals(preds, "_id", False) or [FULL]
    plan = Plan("IXSCAN", sorted_ids=True, reverse=bool(sort) and sort[0] == ("_id", -1))
    plan.ranges = [i.physical(False) for i in ivs]
    plan.bounds = {"_id": [i.text for i in ivs]}
    plan.provides_sort = not sort or (len(sort) == 1 and sort[0][0] == "_id")
    return plan


# ---------------------------------------------------------------------------------------------
# execution


def candidates(coll: Collection, plan: Plan) -> Iterator[tuple[bytes, bytes]]:
    """(idkey, raw) pairs the plan yields, before the filter."""
    records = coll.records
    if plan.kind == "IDHACK":
        coll.id_accesses += 1
        for k in plan.id_keys:
            plan.keys_examined += 1
            raw = records.get(k)
            if raw is not None:
                plan.docs_examined += 1
                yield k, raw
        return
    if plan.kind == "IXSCAN" and plan.sorted_ids:
        coll.id_accesses += 1
        ids = coll.sorted_ids()
        ranges = reversed(plan.ranges) if plan.reverse else plan.ranges
        for start, stop in ranges:
            for k in list(ids.irange(start, stop, (True, False), plan.reverse)):
                plan.keys_examined += 1
                raw = records.get(k)
                if raw is not None:
                    plan.docs_examined += 1
                    yield k, raw
        return
    if plan.kind == "IXSCAN":
        ix = plan.index
        assert ix is not None
        ix.accesses += 1
        seen: set[bytes] | None = set() if ix.multikey else None
        ranges = list(reversed(plan.ranges)) if plan.reverse else plan.ranges
        for start, stop in ranges:
            if start == stop:
                stop = start + b"\xff"
            for e in list(ix.entries.irange(start, stop, (True, False), plan.reverse)):
                plan.keys_examined += 1
                k = entry_idkey(e)
                if seen is not None:
                    if k in seen:
                        continue
                    seen.add(k)
                raw = records.get(k)
                if raw is not None:
                    plan.docs_examined += 1
                    yield k, raw
        return
    items = list(records.items())
    if plan.reverse:
        items.reverse()
    for k, raw in items:
        plan.docs_examined += 1
        yield k, raw


def execute(
    coll: Collection,
    flt: Filter,
    plan: Plan,
    sort: list[tuple[str, int]],
    limit: int = 0,
    skip: int = 0,
    allow_disk_use: bool | None = None,
    sort_limit: int = SORT_MEMORY_LIMIT,
    want_docs: bool = False,
    check: Callable[[], None] | None = None,
) -> Iterator[tuple[bytes, bytes, dict | None]]:
    """Matching (idkey, raw, decoded-or-None) in result order, after sort/skip/limit.

    ``want_docs``: the caller needs every document decoded (aggregation), so a collection scan
    decodes in chunks even without a filter.  ``check`` is called every few hundred documents
    examined (``maxTimeMS`` raises from it).
    """
    match = None if flt.is_empty else flt.match
    decode = decode_document
    # (idkey, raw, doc) rows from a filtered scan, else (idkey, raw) candidates
    source: Iterator[tuple[Any, ...]]
    if plan.kind == "COLLSCAN" and (match is not None or want_docs):
        source = _scan(coll, plan, flt, check)
        match = None
        rows_source = True
    else:
        source = candidates(coll, plan)
        rows_source = False
        if check is not None:
            source = _checked(source, check)
    need_sort = bool(sort) and not plan.provides_sort
    if not need_sort:
        n = 0
        skipped = 0
        for item in source:
            if rows_source:
                k, raw, doc = item
            else:
                k, raw = item
                doc = None
                if match is not None:
                    doc = decode(raw)
                    if not match(doc):
                        continue
            if skipped < skip:
                skipped += 1
                continue
            yield k, raw, doc
            n += 1
            if limit and n >= limit:
                return
        return
    keyfn = sort_key_fn(sort)
    rows: list[tuple[bytes, int, bytes, bytes, dict]] = []
    used = 0
    for item in source:
        if rows_source:
            k, raw, doc = item
        else:
            k, raw = item
            doc = decode(raw)
            if match is not None and not match(doc):
                continue
        used += len(raw)
        if used > sort_limit and allow_disk_use is False:
            raise MongoError(
                292,
                "Executor error during find command :: caused by :: Sort exceeded memory limit of "
                f"{sort_limit} bytes, but did not opt in to external sorting.",
            )
        rows.append((keyfn(doc), len(rows), k, raw, doc))
    if limit:
        rows = heapq.nsmallest(skip + limit, rows)
    else:
        rows.sort()
    for row in rows[skip:]:
        yield row[2], row[3], row[4]


SCAN_CHUNK = 512
_T = TypeVar("_T")


def _checked(source: Iterator[_T], check: Callable[[], None]) -> Iterator[_T]:
    n = 0
    for item in source:
        n += 1
        if not n & 255:
            check()
        yield item


def _scan(
    coll: Collection, plan: Plan, flt: Filter, check: Callable[[], None] | None = None
) -> Iterator[tuple[bytes, bytes, dict]]:
    """A filtered collection scan: byte-level prefilter, then decoding in chunks."""
    from ..wire import decode_many

    match = None if flt.is_empty else flt.match
    needles = flt.needles
    items = list(coll.records.items())
    if plan.reverse:
        items.reverse()
    plan.docs_examined += len(items)
    for group in needles:
        if len(group) == 1:
            n = group[0]
            items = [kv for kv in items if n in kv[1]]
        else:
            items = [kv for kv in items if any(x in kv[1] for x in group)]
    for start in range(0, len(items), SCAN_CHUNK):
        if check is not None:
            check()
        chunk = items[start : start + SCAN_CHUNK]
        docs = decode_many([raw for _, raw in chunk])
        if match is None:
            for (k, raw), doc in zip(chunk, docs, strict=True):
                yield k, raw, doc
            continue
        for (k, raw), doc in zip(chunk, docs, strict=True):
            if match(doc):
                yield k, raw, doc


def explain_plan(
    coll: Collection, plan: Plan, flt: Filter, sort: list, limit: int, skip: int
) -> dict[str, Any]:
    """The ``winningPlan`` document."""
    if plan.kind == "IDHACK":
        stage: dict[str, Any] = {
            "stage": "EXPRESS_IXSCAN",
            "keyPattern": "{ _id: 1 }",
            "indexName": "_id_",
        }
        return stage
    if plan.kind == "COLLSCAN":
        stage = {"stage": "COLLSCAN"}
        if not flt.is_empty:
            stage["filter"] = flt.spec
        stage["direction"] = "backward" if plan.reverse else "forward"
    else:
        if plan.sorted_ids:
            key_pattern: dict[str, Any] = {"_id": 1}
            name = "_id_"
            multikey, unique, sparse, partial = False, True, False, False
            mk_paths: dict[str, list] = {"_id": []}
        else:
            ix = plan.index
            assert ix is not None
            key_pattern = dict(ix.spec.key)
            name = ix.name
            multikey, unique = ix.multikey, ix.spec.unique
            sparse, partial = ix.spec.sparse, ix.spec.partial is not None
            mk_paths = {f: ([f] if f in ix.multikey_paths else []) for f in ix.fields}
        ixscan = {
            "stage": "IXSCAN",
            "keyPattern": key_pattern,
            "indexName": name,
            "isMultiKey": multikey,
            "multiKeyPaths": mk_paths,
            "isUnique": unique,
            "isSparse": sparse,
            "isPartial": partial,
            "indexVersion": 2,
            "direction": "backward" if plan.reverse else "forward",
            "indexBounds": plan.bounds,
        }
        stage = {"stage": "FETCH"}
        if not flt.is_empty:
            stage["filter"] = flt.spec
        stage["inputStage"] = ixscan
    if sort and not plan.provides_sort:
        sort_stage: dict[str, Any] = {
            "stage": "SORT",
            "sortPattern": dict(sort),
            "memLimit": SORT_MEMORY_LIMIT,
            "type": "simple",
        }
        if limit:
            sort_stage["limitAmount"] = limit + skip
        sort_stage["inputStage"] = stage
        stage = sort_stage
    if skip:
        stage = {"stage": "SKIP", "skipAmount": skip, "inputStage": stage}
    if limit and not (sort and not plan.provides_sort):
        stage = {"stage": "LIMIT", "limitAmount": limit, "inputStage": stage}
    return stage
