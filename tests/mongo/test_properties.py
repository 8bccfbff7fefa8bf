"""Hypothesis property tests: BSON ordering, the matcher against a reference, the update engine."""

from __future__ import annotations

import datetime
import decimal
from fractions import Fraction

import bson
from bson import Decimal128, Int64, ObjectId
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from polystack.mongo import keystring, wire
from polystack.mongo.keystring import compare, encode_key, type_rank
from polystack.mongo.query.matcher import compile_filter
from polystack.mongo.update import parse_update
from polystack.mongo.update.modifiers import ApplyContext

int32 = st.integers(-(2**31), 2**31 - 1)
int64 = st.integers(-(2**63), 2**63 - 1).map(Int64)
doubles = st.floats(allow_nan=False, allow_infinity=True, width=64)
decimals = (
    st.decimals(allow_nan=False, allow_infinity=False, places=None)
    .filter(lambda d: abs(d.adjusted()) < 6000 if d else True)
    .map(lambda d: Decimal128(decimal.Context(prec=34).create_decimal(d)))
)
numbers = st.one_of(int32, int64, doubles, decimals)


def exact(v) -> Fraction | float:
    if isinstance(v, Decimal128):
        return Fraction(v.to_decimal())
    if isinstance(v, float):
        if v in (float("inf"), float("-inf")):
            return v
        return Fraction(v)
    return Fraction(int(v))


def sign(x) -> int:
    return (x > 0) - (x < 0)


@settings(max_examples=300, deadline=None)
@given(numbers, numbers)
def test_number_keys_order_exactly_across_types(a, b):
    ea, eb = exact(a), exact(b)
    if isinstance(ea, float) or isinstance(eb, float):
        expected = sign((ea > eb) - (ea < eb)) if not (ea == eb) else 0
    else:
        expected = sign(ea - eb)
    ka, kb = encode_key(a), encode_key(b)
    assert sign((ka > kb) - (ka < kb)) == expected


@given(int32)
def test_equal_numbers_have_equal_keys(n):
    keys = {
        encode_key(n),
        encode_key(Int64(n)),
        encode_key(float(n)),
        encode_key(Decimal128(str(n))),
        encode_key(Decimal128(f"{n}.000")),
    }
    assert len(keys) == 1


def test_nan_sorts_below_all_numbers_and_equals_itself():
    nan = float("nan")
    assert encode_key(nan) < encode_key(float("-inf"))
    assert encode_key(nan) == encode_key(Decimal128("NaN"))
    assert encode_key(-0.0) == encode_key(0)


scalars = st.one_of(
    st.none(),
    numbers,
    st.text(max_size=8),
    st.booleans(),
    st.binary(max_size=6),
    st.builds(ObjectId),
    st.datetimes(
        min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2200, 1, 1)
    ).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(alphabet="abc", min_size=1, max_size=2), children, max_size=3),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(values, values)
def test_different_types_order_by_canonical_rank(a, b):
    ra, rb = type_rank(a), type_rank(b)
    assume(ra != rb)
    assert sign(compare(a, b)) == sign(ra - rb)


@settings(max_examples=150, deadline=None)
@given(values, values, values)
def test_order_is_transitive_and_antisymmetric(a, b, c):
    assert compare(a, b) == -compare(b, a)
    if compare(a, b) <= 0 and compare(b, c) <= 0:
        assert compare(a, c) <= 0


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(alphabet="xyz", min_size=1, max_size=3), values, max_size=4))
def test_stored_documents_round_trip_byte_for_byte(doc):
    raw = wire.encode_document(doc)
    assert wire.encode_document(wire.decode_document(raw)) == raw


# -- the matcher against a reference ----------------------------------------------------------

flat_values = st.one_of(int32, doubles, st.text(alphabet="ab", max_size=3), st.none())
flat_docs = st.dictionaries(
    st.sampled_from(["a", "b"]),
    st.one_of(flat_values, st.lists(flat_values, max_size=3)),
    max_size=2,
)


def ref_cmp(op: str, v, x) -> bool:
    """MongoDB's comparison of one value with a query value (no arrays)."""
    if v is keystring.MISSING:
        v = None
        if op in ("$gt", "$lt"):
            return False
    if type_rank(v) != type_rank(x):
        return False
    c = compare(v, x)
    if isinstance(v, float) and v != v or isinstance(x, float) and x != x:
        return op in ("$eq", "$gte", "$lte") and c == 0
    return {"$eq": c == 0, "$gt": c > 0, "$gte": c >= 0, "$lt": c < 0, "$lte": c <= 0}[op]


def ref_match(doc: dict, field: str, op: str, x) -> bool:
    v = doc.get(field, keystring.MISSING)
    if x is None and op in ("$eq", "$gte", "$lte") and (v is None or v is keystring.MISSING):
        return True
    if isinstance(v, list):
        return any(ref_cmp(op, e, x) for e in v) or (op == "$eq" and False)
    return ref_cmp(op, v, x)


@settings(max_examples=300, deadline=None)
@given(
    flat_docs,
    st.sampled_from(["a", "b"]),
    st.sampled_from(["$eq", "$gt", "$gte", "$lt", "$lte"]),
    flat_values,
)
def test_comparison_operators_match_reference(doc, field, op, x):
    flt = compile_filter({field: {op: x}})
    assert flt.match(doc) == ref_match(doc, field, op, x)


@settings(max_examples=150, deadline=None)
@given(flat_docs, st.sampled_from(["a", "b"]), st.lists(flat_values, max_size=3))
def test_in_is_or_of_equalities_and_nin_its_negation(doc, field, xs):
    in_ = compile_filter({field: {"$in": xs}}).match(doc)
    ors = any(compile_filter({field: x}).match(doc) for x in xs)
    assert in_ == ors
    assert compile_filter({field: {"$nin": xs}}).match(doc) == (not in_)


@settings(max_examples=150, deadline=None)
@given(flat_docs, flat_values, flat_values)
def test_logical_operators_compose(doc, x, y):
    a = compile_filter({"a": {"$gte": x}}).match(doc)
    b = compile_filter({"b": {"$lte": y}}).match(doc)
    assert compile_filter({"$and": [{"a": {"$gte": x}}, {"b": {"$lte": y}}]}).match(doc) == (
        a and b
    )
    assert compile_filter({"$or": [{"a": {"$gte": x}}, {"b": {"$lte": y}}]}).match(doc) == (a or b)
    assert compile_filter({"$nor": [{"a": {"$gte": x}}, {"b": {"$lte": y}}]}).match(doc) == (
        not (a or b)
    )
    assert compile_filter({"a": {"$not": {"$gte": x}}}).match(doc) == (not a)


# -- the update engine ------------------------------------------------------------------------


def apply(doc: dict, update: dict) -> dict:
    return parse_update(update).apply(bson.decode(bson.encode(doc)), ApplyContext())


small = st.integers(-1000, 1000)


@given(small, small, small)
def test_inc_composes(start, a, b):
    d = {"_id": 1, "n": start}
    assert apply(apply(d, {"$inc": {"n": a}}), {"$inc": {"n": b}}) == apply(
        d, {"$inc": {"n": a + b}}
    )


@given(st.lists(small, max_size=5), small)
def test_push_then_pop_restores(arr, x):
    d = {"_id": 1, "a": arr}
    assert apply(apply(d, {"$push": {"a": x}}), {"$pop": {"a": 1}}) == d


@given(st.lists(small, max_size=6), st.lists(small, max_size=4))
def test_add_to_set_is_idempotent_and_keeps_order(arr, each):
    d = {"_id": 1, "a": arr}
    once = apply(d, {"$addToSet": {"a": {"$each": each}}})
    twice = apply(once, {"$addToSet": {"a": {"$each": each}}})
    assert once == twice
    assert once["a"][: len(arr)] == arr


@given(
    st.dictionaries(st.sampled_from(["x", "y", "z"]), small, max_size=3),
    st.dictionaries(st.sampled_from(["x", "y", "z", "w"]), small, min_size=1, max_size=3),
)
def test_set_is_idempotent_and_unset_removes(doc, fields):
    d = {"_id": 1, **doc}
    once = apply(d, {"$set": fields})
    assert apply(once, {"$set": fields}) == once
    assert all(once[k] == v for k, v in fields.items())
    removed = apply(once, {"$unset": dict.fromkeys(fields, "")})
    assert not set(fields) & set(removed)


@given(st.lists(small, max_size=8), small)
def test_pull_removes_every_match(arr, x):
    out = apply({"_id": 1, "a": arr}, {"$pull": {"a": {"$gte": x}}})
    assert out["a"] == [v for v in arr if v < x]


@given(small, small)
def test_min_max(a, b):
    assert apply({"_id": 1, "n": a}, {"$min": {"n": b}})["n"] == min(a, b)
    assert apply({"_id": 1, "n": a}, {"$max": {"n": b}})["n"] == max(a, b)
