"""Aggregation stages and expressions through pymongo."""

from __future__ import annotations

import datetime

import pytest
from bson import Int64
from pymongo.errors import OperationFailure

SALES = [
    {"_id": 1, "item": "a", "price": 10, "qty": 2, "date": datetime.datetime(2024, 1, 1, 8)},
    {"_id": 2, "item": "b", "price": 20, "qty": 1, "date": datetime.datetime(2024, 1, 1, 9)},
    {"_id": 3, "item": "a", "price": 10, "qty": 5, "date": datetime.datetime(2024, 1, 2, 10)},
    {"_id": 4, "item": "c", "price": 5, "qty": 10, "date": datetime.datetime(2024, 1, 3, 11)},
    {"_id": 5, "item": "b", "price": 20, "qty": 3, "date": datetime.datetime(2024, 1, 3, 12)},
]


@pytest.fixture
def sales(db):
    db.sales.insert_many(SALES)
    return db.sales


def agg(coll, pipeline, **kw):
    return list(coll.aggregate(pipeline, **kw))


def test_group_accumulators(sales):
    out = agg(
        sales,
        [
            {
                "$group": {
                    "_id": "$item",
                    "total": {"$sum": {"$multiply": ["$price", "$qty"]}},
                    "n": {"$sum": 1},
                    "avg": {"$avg": "$qty"},
                    "max": {"$max": "$qty"},
                    "first": {"$first": "$_id"},
                    "items": {"$push": "$qty"},
                    "set": {"$addToSet": "$price"},
                    "cnt": {"$count": {}},
                }
            },
            {"$sort": {"_id": 1}},
        ],
    )
    assert out[0] == {
        "_id": "a",
        "total": 70,
        "n": 2,
        "avg": 3.5,
        "max": 5,
        "first": 1,
        "items": [2, 5],
        "set": [10],
        "cnt": 2,
    }
    assert [d["_id"] for d in out] == ["a", "b", "c"]


def test_match_project_addfields_unset(sales):
    out = agg(
        sales,
        [
            {"$match": {"price": {"$gte": 10}}},
            {"$addFields": {"total": {"$multiply": ["$price", "$qty"]}, "x.y": 1}},
            {"$project": {"item": 1, "total": 1, "x": 1, "_id": 0}},
            {"$unset": "x"},
            {"$limit": 2},
        ],
    )
    assert out == [{"item": "a", "total": 20}, {"item": "b", "total": 20}]


def test_unwind_sort_skip_count(db):
    db.c.insert_many([{"_id": 1, "t": ["x", "y"]}, {"_id": 2, "t": []}, {"_id": 3}])
    out = agg(
        db.c,
        [{"$unwind": {"path": "$t", "includeArrayIndex": "i", "preserveNullAndEmptyArrays": True}}],
    )
    assert out == [
        {"_id": 1, "t": "x", "i": Int64(0)},
        {"_id": 1, "t": "y", "i": Int64(1)},
        {"_id": 2, "i": None},
        {"_id": 3, "i": None},
    ]
    assert agg(db.c, [{"$unwind": "$t"}, {"$skip": 1}, {"$count": "n"}]) == [{"n": 1}]


def test_lookup_both_forms(db):
    db.orders.insert_many([{"_id": 1, "item": "a"}, {"_id": 2, "item": "z"}])
    db.inv.insert_many([{"sku": "a", "qty": 3}, {"sku": "a", "qty": 4}])
    out = agg(
        db.orders,
        [
            {
                "$lookup": {
                    "from": "inv",
                    "localField": "item",
                    "foreignField": "sku",
                    "as": "stock",
                }
            },
            {"$project": {"stock._id": 0}},
        ],
    )
    assert out[0]["stock"] == [{"sku": "a", "qty": 3}, {"sku": "a", "qty": 4}]
    assert out[1]["stock"] == []
    out = agg(
        db.orders,
        [
            {
                "$lookup": {
                    "from": "inv",
                    "let": {"it": "$item"},
                    "as": "big",
                    "pipeline": [
                        {
                            "$match": {
                                "$expr": {"$and": [{"$eq": ["$sku", "$$it"]}, {"$gt": ["$qty", 3]}]}
                            }
                        },
                        {"$project": {"_id": 0}},
                    ],
                }
            }
        ],
    )
    assert out[0]["big"] == [{"sku": "a", "qty": 4}]


def test_graph_lookup(db):
    db.emp.insert_many(
        [
            {"_id": 1, "name": "A", "boss": None},
            {"_id": 2, "name": "B", "boss": 1},
            {"_id": 3, "name": "C", "boss": 2},
        ]
    )
    out = agg(
        db.emp,
        [
            {"$match": {"_id": 3}},
            {
                "$graphLookup": {
                    "from": "emp",
                    "startWith": "$boss",
                    "connectFromField": "boss",
                    "connectToField": "_id",
                    "as": "chain",
                    "depthField": "d",
                }
            },
        ],
    )
    assert sorted((d["name"], d["d"]) for d in out[0]["chain"]) == [("A", 1), ("B", 0)]


def test_facet_bucket_bucketauto_sortbycount(sales):
    out = agg(
        sales,
        [
            {
                "$facet": {
                    "byItem": [{"$sortByCount": "$item"}],
                    "price": [
                        {
                            "$bucket": {
                                "groupBy": "$price",
                                "boundaries": [0, 10, 100],
                                "default": "other",
                            }
                        }
                    ],
                    "auto": [{"$bucketAuto": {"groupBy": "$qty", "buckets": 2}}],
                }
            }
        ],
    )[0]
    assert out["byItem"][0]["count"] == 2
    assert out["price"] == [{"_id": 0, "count": 1}, {"_id": 10, "count": 4}]
    assert sum(b["count"] for b in out["auto"]) == 5


def test_replace_root_replace_with_sample(sales):
    out = agg(sales, [{"$replaceRoot": {"newRoot": {"i": "$item"}}}, {"$limit": 1}])
    assert out == [{"i": "a"}]
    out = agg(
        sales, [{"$replaceWith": {"$mergeObjects": [{"z": 0}, {"q": "$qty"}]}}, {"$limit": 1}]
    )
    assert out == [{"z": 0, "q": 2}]
    assert len(agg(sales, [{"$sample": {"size": 3}}])) == 3


def test_out_and_merge(db, sales):
    agg(sales, [{"$match": {"item": "a"}}, {"$out": "only_a"}])
    assert db.only_a.count_documents({}) == 2
    agg(sales, [{"$group": {"_id": "$item", "n": {"$sum": 1}}}, {"$merge": {"into": "counts"}}])
    agg(
        sales,
        [
            {"$group": {"_id": "$item", "m": {"$max": "$qty"}}},
            {"$merge": {"into": "counts", "whenMatched": "merge"}},
        ],
    )
    assert db.counts.find_one({"_id": "b"}) == {"_id": "b", "n": 2, "m": 3}


def test_union_with_and_redact(db):
    db.a.insert_one({"_id": 1, "lvl": 1})
    db.b.insert_one({"_id": 2, "lvl": 5})
    assert [d["_id"] for d in agg(db.a, [{"$unionWith": "b"}])] == [1, 2]
    out = agg(
        db.a,
        [{"$unionWith": "b"}, {"$redact": {"$cond": [{"$gt": ["$lvl", 2]}, "$$PRUNE", "$$KEEP"]}}],
    )
    assert [d["_id"] for d in out] == [1]


def test_set_window_fields(sales):
    out = agg(
        sales,
        [
            {
                "$setWindowFields": {
                    "partitionBy": "$item",
                    "sortBy": {"_id": 1},
                    "output": {
                        "running": {
                            "$sum": "$qty",
                            "window": {"documents": ["unbounded", "current"]},
                        },
                        "rank": {"$rank": {}},
                        "prev": {"$shift": {"output": "$qty", "by": -1}},
                    },
                }
            },
            {"$sort": {"_id": 1}},
        ],
    )
    a = [d for d in out if d["item"] == "a"]
    assert [d["running"] for d in a] == [2, 7]
    assert [d["rank"] for d in a] == [1, 2]
    assert [d["prev"] for d in a] == [None, 2]


def test_densify_and_fill(db):
    db.t.insert_many([{"x": 1, "v": 10}, {"x": 4, "v": None}, {"x": 5, "v": 50}])
    out = agg(
        db.t,
        [
            {"$densify": {"field": "x", "range": {"step": 1, "bounds": "full"}}},
            {"$project": {"_id": 0}},
        ],
    )
    assert [d["x"] for d in out] == [1, 2, 3, 4, 5]
    out = agg(
        db.t,
        [
            {"$fill": {"sortBy": {"x": 1}, "output": {"v": {"method": "locf"}}}},
            {"$project": {"_id": 0}},
        ],
    )
    assert [d["v"] for d in out] == [10, 10, 50]


def test_expressions(db):
    db.c.insert_one(
        {"_id": 1, "s": "Hello", "a": [1, 2, 3], "d": datetime.datetime(2024, 2, 29), "n": 7.5}
    )
    out = agg(
        db.c,
        [
            {
                "$project": {
                    "_id": 0,
                    "up": {"$toUpper": "$s"},
                    "sub": {"$substrCP": ["$s", 1, 3]},
                    "mapped": {"$map": {"input": "$a", "as": "x", "in": {"$add": ["$$x", 1]}}},
                    "even": {
                        "$filter": {"input": "$a", "cond": {"$eq": [{"$mod": ["$$this", 2]}, 0]}}
                    },
                    "sum": {
                        "$reduce": {
                            "input": "$a",
                            "initialValue": 0,
                            "in": {"$add": ["$$value", "$$this"]},
                        }
                    },
                    "year": {"$year": "$d"},
                    "ds": {
                        "$dateToString": {"date": "$d", "format": "%Y/%m/%d", "timezone": "+01:00"}
                    },
                    "cond": {"$cond": {"if": {"$gt": ["$n", 5]}, "then": "big", "else": "small"}},
                    "let": {"$let": {"vars": {"k": 3}, "in": {"$multiply": ["$$k", 2]}}},
                    "round": {"$round": ["$n", 0]},
                    "conv": {"$toInt": "42"},
                    "t": {"$type": "$n"},
                    "sw": {"$switch": {"branches": [{"case": False, "then": 1}], "default": 2}},
                    "inter": {"$setIntersection": ["$a", [2, 3, 4]]},
                    "size": {"$size": "$a"},
                    "o2a": {"$objectToArray": {"k": 1}},
                }
            }
        ],
    )[0]
    assert out == {
        "up": "HELLO",
        "sub": "ell",
        "mapped": [2, 3, 4],
        "even": [2],
        "sum": 6,
        "year": 2024,
        "ds": "2024/02/29",
        "cond": "big",
        "let": 6,
        "round": 8.0,
        "conv": 42,
        "t": "double",
        "sw": 2,
        "inter": [2, 3],
        "size": 3,
        "o2a": [{"k": "k", "v": 1}],
    }


def test_expression_errors(db):
    db.c.insert_one({"s": "x"})
    with pytest.raises(OperationFailure) as e:
        agg(db.c, [{"$project": {"v": {"$add": ["$s", 1]}}}])
    assert e.value.code == 16554
    with pytest.raises(OperationFailure) as e:
        agg(db.c, [{"$project": {"v": {"$nope": 1}}}])
    assert e.value.code == 168
    with pytest.raises(OperationFailure) as e:
        agg(db.c, [{"$bogus": {}}])
    assert e.value.code == 40324


def test_stage_arguments_of_the_wrong_type(db):
    # the argument checks of $lookup/$out/$merge/$unionWith, not an internal error
    db.a.insert_one({"x": 1})
    cases = [
        (
            {"$lookup": {"from": "b", "localField": 1, "foreignField": "y", "as": "r"}},
            9,
            "$lookup argument 'localField' must be a string, found localField: 1: int",
        ),
        (
            {"$lookup": {"from": "b", "localField": "x", "foreignField": 2.5, "as": "r"}},
            9,
            "$lookup argument 'foreignField' must be a string, found foreignField: 2.5: double",
        ),
        (
            {"$lookup": {"from": "b", "localField": "x", "foreignField": "y", "as": True}},
            9,
            "$lookup argument 'as' must be a string, found as: true: bool",
        ),
        (
            {"$lookup": {"from": 7, "localField": "x", "foreignField": "y", "as": "r"}},
            9,
            "$lookup 'from' field must be a string, but found int",
        ),
        (
            {"$unionWith": {"coll": 5}},
            14,
            "BSON field '$unionWith.coll' is the wrong type 'int', expected type 'string'",
        ),
        (
            {"$out": {"db": 5, "coll": "z"}},
            14,
            "BSON field '$out.db' is the wrong type 'int', expected type 'string'",
        ),
        (
            {"$merge": {"into": {"db": 5, "coll": "z"}}},
            14,
            "BSON field 'into.db' is the wrong type 'int', expected type 'string'",
        ),
        (
            {"$merge": {"into": {"db": db.name}}},
            5786801,
            "$merge 'into' field must specify a 'coll' that is not empty, null or undefined",
        ),
    ]
    for stage, code, message in cases:
        with pytest.raises(OperationFailure) as e:
            agg(db.a, [stage])
        assert (e.value.code, e.value.details["errmsg"]) == (code, message), stage


def test_add_fields_errors_name_the_stage_and_bson_type(db):
    db.a.insert_one({"x": 1})
    for stage, message in (
        ({"$set": [1]}, "$set specification stage must be an object, got array"),
        ({"$addFields": 1.5}, "$addFields specification stage must be an object, got double"),
    ):
        with pytest.raises(OperationFailure) as e:
            agg(db.a, [stage])
        assert (e.value.code, e.value.details["errmsg"]) == (40272, message)


def test_sort_memory_limit_without_disk_use(client, db):
    db.c.insert_many([{"v": i, "pad": "x" * 1000} for i in range(50)])
    client.admin.command("setParameter", 1, internalQueryMaxBlockingSortMemoryUsageBytes=10000)
    try:
        with pytest.raises(OperationFailure) as e:
            agg(db.c, [{"$sort": {"v": -1}}], allowDiskUse=False)
        assert e.value.code == 292
        assert len(agg(db.c, [{"$sort": {"v": -1}}], allowDiskUse=True)) == 50
        with pytest.raises(OperationFailure) as e:
            list(db.c.find().sort("pad", 1).allow_disk_use(False))
        assert e.value.code == 292
    finally:
        client.admin.command(
            "setParameter", 1, internalQueryMaxBlockingSortMemoryUsageBytes=100 * 1024 * 1024
        )


def test_coll_stats_and_index_stats(db, sales):
    sales.create_index("item")
    sales.find_one({"item": "a"})
    out = agg(sales, [{"$collStats": {"storageStats": {}, "count": {}}}])[0]
    assert out["count"] == 5 and out["storageStats"]["nindexes"] == 2
    stats = {d["name"]: d for d in agg(sales, [{"$indexStats": {}}])}
    assert stats["item_1"]["accesses"]["ops"] >= 1


def test_aggregation_pipeline_update(db):
    db.c.insert_one({"_id": 1, "a": 2, "b": 3})
    db.c.update_one({"_id": 1}, [{"$set": {"sum": {"$add": ["$a", "$b"]}}}, {"$unset": "a"}])
    assert db.c.find_one() == {"_id": 1, "b": 3, "sum": 5}


def test_views(db):
    db.base.insert_many([{"_id": i, "v": i} for i in range(5)])
    db.command("create", "big", viewOn="base", pipeline=[{"$match": {"v": {"$gte": 3}}}])
    assert [d["_id"] for d in db.big.find()] == [3, 4]
    assert "big" in db.list_collection_names()


def test_bitwise_and_percentile_expressions(db):
    db.c.insert_one({"a": 12, "b": Int64(10), "xs": [1, 2, 3, 4, 5]})
    out = agg(
        db.c,
        [
            {
                "$project": {
                    "_id": 0,
                    "and": {"$bitAnd": ["$a", "$b"]},
                    "or": {"$bitOr": ["$a", 1]},
                    "not": {"$bitNot": "$a"},
                    "med": {"$median": {"input": "$xs", "method": "approximate"}},
                }
            }
        ],
    )[0]
    assert out == {"and": Int64(8), "or": 13, "not": -13, "med": 3.0}
