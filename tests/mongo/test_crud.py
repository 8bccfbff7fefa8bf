"""CRUD through pymongo: inserts, finds, updates, deletes, findAndModify, errors."""

from __future__ import annotations

import pymongo
import pytest
from bson import Decimal128, Int64, ObjectId
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure, WriteError


def test_handshake_names_the_bound_port(client, mongo_server):
    hello = client.admin.command("hello")
    port = mongo_server.ports["mongo"]
    assert hello["hosts"] == [f"127.0.0.1:{port}"]
    assert hello["me"] == hello["primary"] == f"127.0.0.1:{port}"
    assert hello["setName"] == "rs0" and hello["isWritablePrimary"] is True
    assert hello["logicalSessionTimeoutMinutes"] == 30
    assert "topologyVersion" in hello
    legacy = client.admin.command("isMaster")
    assert legacy["ismaster"] is True and "isWritablePrimary" not in legacy


def test_direct_connection(mongo_url):
    c = pymongo.MongoClient(mongo_url, directConnection=True, serverSelectionTimeoutMS=5000)
    try:
        assert c.admin.command("ping")["ok"] == 1.0
    finally:
        c.close()


def test_insert_and_find_round_trip_types(db):
    doc = {
        "i": 1,
        "l": Int64(2),
        "d": 1.5,
        "dec": Decimal128("1.10"),
        "s": "x",
        "arr": [1, "a", None],
        "sub": {"a": {"b": True}},
        "oid": ObjectId(),
    }
    r = db.c.insert_one(doc)
    got = db.c.find_one({"_id": r.inserted_id})
    assert got == doc
    assert type(got["l"]) is Int64 and type(got["i"]) is int
    assert str(got["dec"]) == "1.10"


def test_id_is_stored_first(db):
    db.c.insert_one({"a": 1, "_id": 5})
    raw = db.c.find_one({}, {"a": 1})
    assert list(raw) == ["_id", "a"]


def test_duplicate_key_exact_message(db):
    db.c.insert_one({"_id": "k"})
    with pytest.raises(DuplicateKeyError) as e:
        db.c.insert_one({"_id": "k"})
    assert e.value.details["errmsg"] == (
        f'E11000 duplicate key error collection: {db.name}.c index: _id_ dup key: {{ _id: "k" }}'
    )
    assert e.value.details["keyPattern"] == {"_id": 1}
    assert e.value.details["keyValue"] == {"_id": "k"}


def test_unordered_insert_reports_each_error_with_index(db):
    with pytest.raises(BulkWriteError) as e:
        db.c.insert_many([{"_id": 1}, {"_id": 1}, {"_id": 2}, {"_id": 2}], ordered=False)
    det = e.value.details
    assert det["nInserted"] == 2
    assert [w["index"] for w in det["writeErrors"]] == [1, 3]
    assert all(w["code"] == 11000 for w in det["writeErrors"])


def test_ordered_insert_stops_at_first_error(db):
    with pytest.raises(BulkWriteError) as e:
        db.c.insert_many([{"_id": 1}, {"_id": 1}, {"_id": 2}])
    assert e.value.details["nInserted"] == 1
    assert db.c.count_documents({}) == 1


def test_find_filter_sort_skip_limit_projection(db):
    db.c.insert_many([{"_id": i, "n": i % 3, "s": f"v{i}"} for i in range(20)])
    got = list(db.c.find({"n": 1}, {"s": 1, "_id": 0}).sort("s", -1).skip(1).limit(3))
    assert got == [{"s": "v4"}, {"s": "v19"}, {"s": "v16"}]


def test_batches_and_getmore(db):
    db.c.insert_many([{"_id": i} for i in range(250)])
    cur = db.c.find().batch_size(7)
    assert [d["_id"] for d in cur] == list(range(250))


def test_single_batch_and_limit(db):
    db.c.insert_many([{"_id": i} for i in range(50)])
    assert len(list(db.c.find().limit(-5))) == 5
    assert len(list(db.c.find().limit(12).batch_size(5))) == 12


def test_update_one_many_and_upsert(db):
    db.c.insert_many([{"_id": i, "v": 0} for i in range(5)])
    r = db.c.update_many({"_id": {"$gte": 2}}, {"$inc": {"v": 1}})
    assert (r.matched_count, r.modified_count) == (3, 3)
    r = db.c.update_one({"_id": 0}, {"$set": {"v": 0}})
    assert (r.matched_count, r.modified_count) == (1, 0)
    r = db.c.update_one({"k": "new"}, {"$set": {"v": 9}}, upsert=True)
    assert r.upserted_id is not None
    assert db.c.find_one({"_id": r.upserted_id}) == {"_id": r.upserted_id, "k": "new", "v": 9}


def test_replace_one(db):
    db.c.insert_one({"_id": 1, "a": 1, "b": 2})
    db.c.replace_one({"_id": 1}, {"c": 3})
    assert db.c.find_one({"_id": 1}) == {"_id": 1, "c": 3}


def test_update_id_is_immutable(db):
    db.c.insert_one({"_id": 1})
    with pytest.raises(WriteError) as e:
        db.c.update_one({"_id": 1}, {"$set": {"_id": 2}})
    assert e.value.code == 66
    assert "immutable field '_id'" in str(e.value)


def test_update_conflict_error(db):
    db.c.insert_one({"_id": 1})
    with pytest.raises(WriteError) as e:
        db.c.update_one({"_id": 1}, {"$set": {"a": 1}, "$inc": {"a": 1}})
    assert e.value.code == 40
    assert e.value.details["errmsg"] == "Updating the path 'a' would create a conflict at 'a'"


def test_delete_one_and_many(db):
    db.c.insert_many([{"_id": i, "g": i % 2} for i in range(10)])
    assert db.c.delete_one({"g": 1}).deleted_count == 1
    assert db.c.delete_many({"g": 0}).deleted_count == 5
    assert db.c.count_documents({}) == 4


def test_find_one_and_modify_family(db):
    db.c.insert_many([{"_id": i, "v": i} for i in range(3)])
    before = db.c.find_one_and_update({"_id": 1}, {"$inc": {"v": 10}})
    assert before == {"_id": 1, "v": 1}
    after = db.c.find_one_and_update(
        {"_id": 2}, {"$inc": {"v": 10}}, return_document=pymongo.ReturnDocument.AFTER
    )
    assert after == {"_id": 2, "v": 12}
    gone = db.c.find_one_and_delete({"_id": 0})
    assert gone == {"_id": 0, "v": 0}
    new = db.c.find_one_and_replace(
        {"_id": 9}, {"z": 1}, upsert=True, return_document=pymongo.ReturnDocument.AFTER
    )
    assert new == {"_id": 9, "z": 1}


def test_count_and_distinct(db):
    db.c.insert_many([{"a": [1, 2]}, {"a": 2}, {"a": 3}, {"b": 1}])
    assert db.c.count_documents({"a": 2}) == 2
    assert db.c.estimated_document_count() == 4
    assert sorted(db.c.distinct("a")) == [1, 2, 3]


def test_write_concern_variants(db):
    coll = db.get_collection("c", write_concern=pymongo.WriteConcern(w=0))
    coll.insert_one({"_id": 1})
    assert db.c.find_one({"_id": 1}) is not None
    for wc in (
        pymongo.WriteConcern(w=1),
        pymongo.WriteConcern(w="majority"),
        pymongo.WriteConcern(j=True),
    ):
        db.get_collection("c", write_concern=wc).insert_one({})
    assert db.c.count_documents({}) == 4


def test_unsatisfiable_write_concern(db):
    from pymongo.errors import WriteConcernError

    with pytest.raises(WriteConcernError) as e:
        db.get_collection("c", write_concern=pymongo.WriteConcern(w=3)).insert_one({})
    assert e.value.code == 100


def test_bad_filter_operator(db):
    db.c.insert_one({})
    with pytest.raises(OperationFailure) as e:
        db.c.find_one({"a": {"$foo": 1}})
    assert e.value.code == 2 and "unknown operator: $foo" in str(e.value)


def test_get_more_on_unknown_cursor(db):
    with pytest.raises(OperationFailure) as e:
        db.command("getMore", Int64(12345), collection="c")
    assert e.value.code == 43


def test_transactions_refused_with_an_error(client, db):
    db.c.insert_one({})
    with client.start_session() as s:
        s.start_transaction()
        with pytest.raises(OperationFailure):
            db.c.insert_one({"x": 1}, session=s)


def test_commit_without_transaction(client):
    with pytest.raises(OperationFailure) as e:
        client.admin.command("commitTransaction", txnNumber=Int64(1), autocommit=False)
    assert e.value.code in (20, 251)


def test_bulk_write_command_across_namespaces(client, db):
    from pymongo import DeleteOne, InsertOne, UpdateOne

    other = client[db.name + "_b"]
    try:
        r = client.bulk_write(
            [
                InsertOne({"_id": 1, "v": 1}, namespace=f"{db.name}.c"),
                InsertOne({"_id": 2, "v": 2}, namespace=f"{other.name}.d"),
                UpdateOne({"_id": 1}, {"$inc": {"v": 5}}, namespace=f"{db.name}.c"),
                UpdateOne({"_id": 9}, {"$set": {"v": 0}}, upsert=True, namespace=f"{db.name}.c"),
                DeleteOne({"_id": 2}, namespace=f"{other.name}.d"),
            ],
            verbose_results=True,
        )
        assert (
            r.inserted_count,
            r.matched_count,
            r.modified_count,
            r.upserted_count,
            r.deleted_count,
        ) == (2, 1, 1, 1, 1)
        assert db.c.find_one({"_id": 1})["v"] == 6
        assert other.d.count_documents({}) == 0
        from pymongo.errors import ClientBulkWriteException

        with pytest.raises(ClientBulkWriteException) as e:
            client.bulk_write([InsertOne({"_id": 1}, namespace=f"{db.name}.c")])
        assert e.value.write_errors[0]["code"] == 11000
    finally:
        client.drop_database(other.name)
