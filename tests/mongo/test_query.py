"""The query language, projections, update operators, indexes and explain through pymongo."""

from __future__ import annotations

import datetime
import re

import pytest
from bson import Binary, Decimal128, Int64, Regex
from pymongo.errors import DuplicateKeyError, OperationFailure, WriteError


def ids(cursor) -> list:
    return [d["_id"] for d in cursor]


@pytest.fixture
def people(db):
    db.p.insert_many(
        [
            {
                "_id": 1,
                "name": "ann",
                "age": 30,
                "tags": ["a", "b"],
                "addr": {"city": "x"},
                "scores": [{"k": "m", "v": 90}, {"k": "e", "v": 70}],
            },
            {
                "_id": 2,
                "name": "bob",
                "age": Int64(25),
                "tags": ["b"],
                "addr": {"city": "y"},
                "scores": [{"k": "m", "v": 60}],
            },
            {"_id": 3, "name": "cy", "age": 35.0, "tags": [], "scores": []},
            {"_id": 4, "name": "Dee", "age": Decimal128("30"), "nick": None},
            {"_id": 5, "name": "eve", "age": "thirty"},
        ]
    )
    return db.p


def test_comparisons_across_numeric_types(people):
    assert ids(people.find({"age": 30})) == [1, 4]
    assert ids(people.find({"age": {"$gte": 30}})) == [1, 3, 4]
    assert ids(people.find({"age": {"$lt": 30}})) == [2]
    assert ids(people.find({"age": {"$gt": "a"}})) == [5]  # type bracketing
    assert ids(people.find({"age": {"$ne": 30}})) == [2, 3, 5]
    assert ids(people.find({"age": {"$in": [25, 35]}})) == [2, 3]
    assert ids(people.find({"age": {"$nin": [25, 35]}})) == [1, 4, 5]


def test_null_missing_and_exists(people):
    assert ids(people.find({"nick": None})) == [1, 2, 3, 4, 5]
    assert ids(people.find({"nick": {"$exists": True}})) == [4]
    assert ids(people.find({"addr": {"$exists": False}})) == [3, 4, 5]
    assert ids(people.find({"addr.city": None})) == [3, 4, 5]


def test_arrays_and_dotted_paths(people):
    assert ids(people.find({"tags": "b"})) == [1, 2]
    assert ids(people.find({"tags": ["b"]})) == [2]
    assert ids(people.find({"tags": {"$size": 0}})) == [3]
    assert ids(people.find({"tags": {"$all": ["a", "b"]}})) == [1]
    assert ids(people.find({"scores.v": {"$gt": 80}})) == [1]
    assert ids(people.find({"scores": {"$elemMatch": {"k": "m", "v": {"$lt": 70}}}})) == [2]
    assert ids(people.find({"scores.0.k": "m"})) == [1, 2]
    assert ids(people.find({"tags.1": "b"})) == [1]


def test_logical_and_regex(people):
    assert ids(people.find({"$or": [{"age": 25}, {"name": "cy"}]})) == [2, 3]
    assert ids(people.find({"$nor": [{"age": {"$gte": 30}}, {"age": "thirty"}]})) == [2]
    assert ids(people.find({"name": {"$not": {"$regex": "^[a-c]"}}})) == [4, 5]
    assert ids(people.find({"name": re.compile("^D", re.I)})) == [4]
    assert ids(people.find({"name": {"$regex": "^d", "$options": "i"}})) == [4]
    assert ids(people.find({"name": Regex("E$", "i")})) == [4, 5]
    assert ids(people.find({"name": Regex("E$")})) == []


def test_type_mod_bits_expr(db):
    db.t.insert_many(
        [
            {"_id": 1, "v": 1},
            {"_id": 2, "v": Int64(2)},
            {"_id": 3, "v": 3.5},
            {"_id": 4, "v": "s"},
            {"_id": 5, "v": Binary(b"\x05")},
            {"_id": 6, "v": [1, "x"]},
        ]
    )
    assert ids(db.t.find({"v": {"$type": "int"}})) == [1, 6]
    assert ids(db.t.find({"v": {"$type": "long"}})) == [2]
    assert ids(db.t.find({"v": {"$type": ["double", "string"]}})) == [3, 4, 6]
    assert ids(db.t.find({"v": {"$type": "number"}})) == [1, 2, 3, 6]
    assert ids(db.t.find({"v": {"$type": "array"}})) == [6]
    assert ids(db.t.find({"v": {"$mod": [2, 1]}})) == [1, 3, 6]
    assert ids(db.t.find({"v": {"$bitsAllSet": [0]}})) == [1, 5, 6]
    assert ids(db.t.find({"v": {"$bitsAnyClear": 1}})) == [2]
    assert ids(db.t.find({"$expr": {"$eq": [{"$type": "$v"}, "string"]}})) == [4]


def test_json_schema_validator(db):
    schema = {
        "bsonType": "object",
        "required": ["name", "age"],
        "properties": {
            "name": {"bsonType": "string", "minLength": 2},
            "age": {"bsonType": ["int", "long"], "minimum": 0, "maximum": 150},
            "email": {"bsonType": "string", "pattern": "@"},
        },
        "additionalProperties": True,
    }
    db.create_collection("v", validator={"$jsonSchema": schema})
    db.v.insert_one({"name": "al", "age": 3})
    with pytest.raises(WriteError) as e:
        db.v.insert_one({"name": "a", "age": 3})
    assert e.value.code == 121 and e.value.details["errInfo"]["failingDocumentId"]
    with pytest.raises(WriteError):
        db.v.insert_one({"name": "bo", "age": 3, "email": "nope"})
    db.v.insert_one({"name": "bo", "age": 3, "email": "a@b"}, bypass_document_validation=True)
    assert ids(db.v.find({"$jsonSchema": {"required": ["email"]}}))
    db.command("collMod", "v", validationAction="warn")
    db.v.insert_one({"age": -1})  # only logged
    db.command("collMod", "v", validationLevel="off", validationAction="error")
    db.v.insert_one({"x": 1})
    with pytest.raises(OperationFailure) as e2:
        db.create_collection("w", validator={"$jsonSchema": {"bogus": 1}})
    assert "Unknown $jsonSchema keyword: bogus" in str(e2.value)


def test_unsupported_operators_have_mongodb_errors(people):
    for flt, code in (
        ({"$where": "1"}, 2),
        ({"$text": {"$search": "x"}}, 27),
        ({"a": {"$near": [0, 0]}}, 291),
        ({"$foo": 1}, 2),
    ):
        with pytest.raises(OperationFailure) as e:
            people.find_one(flt)
        assert e.value.code == code


def test_projections(people):
    assert people.find_one({"_id": 1}, {"name": 1}) == {"_id": 1, "name": "ann"}
    assert people.find_one({"_id": 1}, {"_id": 1}) == {"_id": 1}
    assert len(people.find_one({"_id": 1}, {"_id": 0})) == 5
    assert people.find_one({"_id": 1}, {"addr.city": 1, "_id": 0}) == {"addr": {"city": "x"}}
    assert set(people.find_one({"_id": 1}, {"scores": 0, "tags": 0})) == {
        "_id",
        "name",
        "age",
        "addr",
    }
    assert people.find_one({"_id": 1}, {"tags": {"$slice": -1}, "name": 1}) == {
        "_id": 1,
        "name": "ann",
        "tags": ["b"],
    }
    assert people.find_one({"_id": 1}, {"scores": {"$elemMatch": {"v": {"$lt": 80}}}}) == {
        "_id": 1,
        "scores": [{"k": "e", "v": 70}],
    }
    assert people.find_one({"scores.v": 70}, {"scores.$": 1}) == {
        "_id": 1,
        "scores": [{"k": "e", "v": 70}],
    }
    assert people.find_one({"_id": 1}, {"up": {"$toUpper": "$name"}}) == {"_id": 1, "up": "ANN"}
    with pytest.raises(OperationFailure) as e:
        people.find_one({}, {"a": 1, "b": 0})
    assert e.value.code == 31254


def test_update_operators(db):
    db.u.insert_one({"_id": 1, "n": 5, "a": [3, 1, 2], "o": {"x": 1}, "s": "t", "m": 2})
    db.u.update_one(
        {"_id": 1},
        {
            "$inc": {"n": 2},
            "$mul": {"m": 3},
            "$rename": {"s": "str"},
            "$unset": {"o.x": ""},
            "$currentDate": {"at": True},
        },
    )
    d = db.u.find_one()
    assert (d["n"], d["m"], d["str"], d["o"]) == (7, 6, "t", {})
    assert isinstance(d["at"], datetime.datetime)
    db.u.update_one(
        {"_id": 1},
        {
            "$push": {"a": {"$each": [9, 0], "$sort": 1, "$slice": 4}},
            "$min": {"n": 1},
            "$max": {"m": 10},
        },
    )
    d = db.u.find_one()
    assert (d["a"], d["n"], d["m"]) == ([0, 1, 2, 3], 1, 10)
    db.u.update_one({"_id": 1}, {"$addToSet": {"a": {"$each": [1, 5]}}, "$pop": {"b": 1}})
    db.u.update_one({"_id": 1}, {"$pull": {"a": {"$gt": 2}}, "$bit": {"n": {"or": 6}}})
    d = db.u.find_one()
    assert (d["a"], d["n"]) == ([0, 1, 2], 7)
    db.u.update_one({"_id": 1}, {"$pullAll": {"a": [0, 2]}})
    assert db.u.find_one()["a"] == [1]
    db.u.update_one({"_id": 2}, {"$set": {"v": 1}, "$setOnInsert": {"new": True}}, upsert=True)
    assert db.u.find_one({"_id": 2}) == {"_id": 2, "new": True, "v": 1}
    db.u.update_one({"_id": 2}, {"$set": {"v": 2}, "$setOnInsert": {"new": False}}, upsert=True)
    assert db.u.find_one({"_id": 2}) == {"_id": 2, "new": True, "v": 2}


def test_positional_and_array_filters(db):
    db.g.insert_one({"_id": 1, "grades": [{"g": 80, "m": 1}, {"g": 95, "m": 2}, {"g": 70}]})
    db.g.update_one({"grades.g": 95}, {"$set": {"grades.$.top": True}})
    db.g.update_one({"_id": 1}, {"$inc": {"grades.$[].g": 1}})
    db.g.update_one(
        {"_id": 1}, {"$set": {"grades.$[low].low": True}}, array_filters=[{"low.g": {"$lt": 80}}]
    )
    assert db.g.find_one()["grades"] == [
        {"g": 81, "m": 1},
        {"g": 96, "m": 2, "top": True},
        {"g": 71, "low": True},
    ]
    with pytest.raises(WriteError) as e:
        db.g.update_one({"_id": 1}, {"$set": {"grades.$.x": 1}})
    assert e.value.code == 2


def test_update_errors(db):
    db.e.insert_one({"_id": 1, "s": "x", "n": 1})
    cases = [
        ({"$inc": {"s": 1}}, 14),
        ({"$push": {"n": 1}}, 2),
        ({"$set": {"n.a": 1}}, 28),
        ({"$foo": {"a": 1}}, 9),
        ({"$set": {}}, 9),
        ({"$set": {"a.b": 1, "a": 2}}, 40),
    ]
    for upd, code in cases:
        with pytest.raises((WriteError, OperationFailure)) as e:
            db.e.update_one({"_id": 1}, upd)
        assert e.value.code == code, upd


def test_new_fields_in_mongodb_order(db):
    db.o.insert_one({"_id": 1})
    db.o.update_one({"_id": 1}, {"$set": {"b": 1, "a": 1, "10": 1, "9": 1}})
    assert list(db.o.find_one()) == ["_id", "9", "10", "a", "b"]


def test_indexes_unique_sparse_partial(db):
    db.i.create_index("email", unique=True)
    db.i.insert_one({"email": "a"})
    with pytest.raises(DuplicateKeyError) as e:
        db.i.insert_one({"email": "a"})
    assert 'index: email_1 dup key: { email: "a" }' in str(e.value)
    db.i.insert_one({"x": 1})
    with pytest.raises(DuplicateKeyError):
        db.i.insert_one({"y": 1})  # a second missing email is a second null
    db.j.insert_many([{"v": 1}, {"v": 1}])
    with pytest.raises(DuplicateKeyError):
        db.j.create_index("v", unique=True)
    db.j.create_index("w", unique=True, sparse=True)
    db.j.insert_one({"q": 1})
    db.k.create_index("v", unique=True, partialFilterExpression={"active": True})
    db.k.insert_many([{"v": 1}, {"v": 1}, {"v": 1, "active": True}])
    with pytest.raises(DuplicateKeyError):
        db.k.insert_one({"v": 1, "active": True})
    info = db.k.index_information()["v_1"]
    assert info["partialFilterExpression"] == {"active": True}


def test_multikey_and_parallel_arrays(db):
    db.m.create_index([("a", 1), ("b", 1)])
    db.m.insert_one({"a": [1, 2], "b": 1})
    with pytest.raises(WriteError) as e:
        db.m.insert_one({"a": [1], "b": [2]})
    assert e.value.code == 171 and "cannot index parallel arrays" in str(e.value)


def test_explain_ixscan_collscan_and_sort(db):
    db.x.insert_many([{"_id": i, "a": i % 10, "b": i} for i in range(100)])
    db.x.create_index([("a", 1), ("b", -1)])
    plan = db.x.find({"a": 3}).explain()["queryPlanner"]["winningPlan"]
    assert plan["stage"] == "FETCH" and plan["inputStage"]["stage"] == "IXSCAN"
    assert plan["inputStage"]["indexName"] == "a_1_b_-1"
    assert plan["inputStage"]["indexBounds"]["a"] == ["[3, 3]"]
    plan = db.x.find({"b": {"$gt": 50}}).explain()["queryPlanner"]["winningPlan"]
    assert plan["stage"] == "COLLSCAN"
    ex = db.x.find({"a": 3}).sort("b", -1).explain()
    assert ex["queryPlanner"]["winningPlan"]["stage"] == "FETCH"  # no SORT: the index orders
    assert ex["executionStats"]["nReturned"] == 10
    assert ex["executionStats"]["totalKeysExamined"] == 10
    assert ex["executionStats"]["totalDocsExamined"] == 10
    assert [d["b"] for d in db.x.find({"a": 3}).sort("b", -1).limit(3)] == [93, 83, 73]
    idplan = db.x.find({"_id": 5}).explain()["queryPlanner"]["winningPlan"]
    assert idplan["stage"] == "EXPRESS_IXSCAN"
    hinted = db.x.find({"b": 5}).hint([("a", 1), ("b", -1)]).explain()
    assert hinted["queryPlanner"]["winningPlan"]["inputStage"]["stage"] == "IXSCAN"
    assert list(db.x.find({"b": 5}).hint("a_1_b_-1")) == [{"_id": 5, "a": 5, "b": 5}]


def test_range_query_uses_index_and_matches_scan(db):
    db.r.insert_many([{"v": i % 37, "s": f"k{i % 11}"} for i in range(500)])
    want = sorted(d["_id"] for d in db.r.find({"v": {"$gte": 10, "$lt": 20}, "s": "k3"}))
    db.r.create_index("v")
    got = sorted(d["_id"] for d in db.r.find({"v": {"$gte": 10, "$lt": 20}, "s": "k3"}))
    assert got == want
    assert [d["v"] for d in db.r.find({"v": {"$lt": 3}}).sort("v", 1)][:3] == [0, 0, 0]
    assert (
        db.r.find({"s": {"$regex": "^k1"}}).explain()["queryPlanner"]["winningPlan"]["stage"]
        == "COLLSCAN"
    )
    db.r.create_index("s")
    ex = db.r.find({"s": {"$regex": "^k1"}}).explain()["queryPlanner"]["winningPlan"]
    assert ex["inputStage"]["stage"] == "IXSCAN"
    assert db.r.count_documents({"s": {"$regex": "^k1"}}) == sum(
        1 for i in range(500) if f"k{i % 11}".startswith("k1")
    )


def test_list_and_drop_indexes(db):
    db.d.create_index("a")
    db.d.create_index([("b", -1)], name="bee")
    names = [i["name"] for i in db.d.list_indexes()]
    assert names == ["_id_", "a_1", "bee"]
    db.d.drop_index("bee")
    with pytest.raises(OperationFailure) as e:
        db.d.drop_index("nope")
    assert e.value.code == 27
    with pytest.raises(OperationFailure) as e:
        db.d.drop_index("_id_")
    assert e.value.code == 72
    db.d.drop_indexes()
    assert [i["name"] for i in db.d.list_indexes()] == ["_id_"]


def test_index_option_conflicts(db):
    db.c.create_index("a", name="x")
    r = db.command("createIndexes", "c", indexes=[{"key": {"a": 1}, "name": "x"}])
    assert r["note"] == "all indexes already exist"
    with pytest.raises(OperationFailure) as e:
        db.c.create_index("b", name="x")
    assert e.value.code == 86
    with pytest.raises(OperationFailure) as e:
        db.c.create_index("a", name="y")
    assert e.value.code == 85
    with pytest.raises(OperationFailure) as e:
        db.c.create_index([("t", "text")])
    assert e.value.code == 67


def test_min_max_with_hint(db):
    db.mm.insert_many([{"v": i} for i in range(10)])
    db.mm.create_index("v")
    got = [d["v"] for d in db.mm.find().min([("v", 3)]).max([("v", 6)]).hint("v_1")]
    assert got == [3, 4, 5]


def test_comment_max_time_and_let(db):
    db.c.insert_many([{"v": i} for i in range(5)])
    cur = db.c.find(
        {"$expr": {"$gt": ["$v", "$$lim"]}}, comment="hi", max_time_ms=1000, let={"lim": 2}
    )
    assert [d["v"] for d in cur] == [3, 4]
