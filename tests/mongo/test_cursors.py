"""Tailable and awaitData cursors on capped collections, exhaust cursors, cursor kills."""

from __future__ import annotations

import threading
import time

import pymongo
import pytest
from pymongo.cursor import CursorType

from polystack.testing import serve


def test_capped_collection_keeps_the_newest(db):
    db.create_collection("cap", capped=True, size=4096, max=5)
    db.cap.insert_many([{"_id": i} for i in range(12)])
    assert [d["_id"] for d in db.cap.find()] == [7, 8, 9, 10, 11]
    assert db.cap.options() == {"capped": True, "size": 4096, "max": 5}


def test_tailable_cursor_sees_later_inserts(db):
    db.create_collection("cap", capped=True, size=100000)
    db.cap.insert_many([{"_id": i} for i in range(3)])
    cur = db.cap.find(cursor_type=CursorType.TAILABLE)
    assert [next(cur)["_id"] for _ in range(3)] == [0, 1, 2]
    db.cap.insert_one({"_id": 3})
    assert next(cur)["_id"] == 3
    cur.close()


def test_await_data_getmore_wakes_on_insert(db, client):
    db.create_collection("cap", capped=True, size=100000)
    db.cap.insert_one({"_id": 0})
    cur = db.cap.find(cursor_type=CursorType.TAILABLE_AWAIT).max_await_time_ms(20000)
    assert next(cur)["_id"] == 0
    got: list = []

    def read() -> None:
        got.append(next(cur)["_id"])

    t = threading.Thread(target=read)
    t.start()
    time.sleep(0.3)
    assert t.is_alive()  # the getMore waits
    started = time.monotonic()
    db.cap.insert_one({"_id": 1})
    t.join(15)
    assert got == [1]
    assert time.monotonic() - started < 15
    cur.close()


def test_tailable_on_uncapped_collection_refused(db):
    db.c.insert_one({})
    with pytest.raises(pymongo.errors.OperationFailure):
        list(db.c.find(cursor_type=CursorType.TAILABLE))


def test_exhaust_cursor(db):
    db.c.insert_many([{"_id": i} for i in range(1000)])
    cur = db.c.find(cursor_type=CursorType.EXHAUST).batch_size(50)
    assert [d["_id"] for d in cur] == list(range(1000))


def test_kill_cursors_and_cursor_not_found(db):
    db.c.insert_many([{"_id": i} for i in range(300)])
    cur = db.c.find().batch_size(10)
    next(cur)
    cid = cur.cursor_id
    out = db.command("killCursors", "c", cursors=[cid])
    assert out["cursorsKilled"] == [cid]
    with pytest.raises(pymongo.errors.OperationFailure) as e:
        db.command("getMore", cid, collection="c")
    assert e.value.code == 43


def test_waiting_getmore_answers_interrupted_at_shutdown(tmp_path):
    with serve(mongo=True, data_dir=tmp_path) as s:
        c = pymongo.MongoClient(f"mongodb://127.0.0.1:{s.ports['mongo']}/", retryReads=False)
        db = c.test
        db.create_collection("cap", capped=True, size=100000)
        db.cap.insert_one({"_id": 0})
        res = db.command("find", "cap", tailable=True, awaitData=True, batchSize=1)
        cid = res["cursor"]["id"]
        errors: list = []

        def wait() -> None:
            try:
                db.command("getMore", cid, collection="cap", maxTimeMS=30000)
            except pymongo.errors.PyMongoError as e:
                errors.append(e)

        t = threading.Thread(target=wait)
        t.start()
        time.sleep(0.5)
        s.stop()
        t.join(20)
        assert errors
        e = errors[0]
        assert getattr(e, "code", None) == 11600 or isinstance(e, pymongo.errors.AutoReconnect)
        c.close()


def test_max_time_ms_stops_a_long_scan(db):
    db.big.insert_many([{"v": i, "s": "x" * 50} for i in range(30000)])
    slow = {"$expr": {"$eq": [{"$toString": "$v"}, "none"]}}  # examines every document
    with pytest.raises(pymongo.errors.ExecutionTimeout) as e:
        list(db.big.find(slow).max_time_ms(1))
    assert e.value.code == 50
    with pytest.raises(pymongo.errors.ExecutionTimeout):
        list(db.big.aggregate([{"$match": slow}], maxTimeMS=1))
    assert list(db.big.find(slow).max_time_ms(600000)) == []
    assert db.big.count_documents({"v": {"$lt": 10}}, maxTimeMS=600000) == 10
