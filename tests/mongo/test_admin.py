"""Administrative commands, TTL expiry on the runtime clock, sessions, metrics, the oplog."""

from __future__ import annotations

import datetime
import urllib.request

import pymongo
import pytest
from bson import Int64
from pymongo.errors import OperationFailure

from polystack.runtime.clock import ManualClock
from polystack.testing import serve


def test_build_info_and_server_status(client):
    bi = client.admin.command("buildInfo")
    assert bi["version"].startswith("8.0") and bi["versionArray"][0] == 8
    st = client.admin.command("serverStatus")
    assert st["process"] == "mongod" and st["repl"]["setName"] == "rs0"
    assert st["opcounters"]["command"] >= 1
    assert "serverStatus" in st["metrics"]["commands"]
    assert client.admin.command("whatsmyuri")["you"].startswith("127.0.0.1:")
    assert client.admin.command("connectionStatus")["authInfo"]["authenticatedUsers"] == []
    assert client.admin.command("hostInfo")["system"]["numCores"] >= 1
    assert "parsed" in client.admin.command("getCmdLineOpts")


def test_parameters(client):
    p = client.admin.command("getParameter", 1, featureCompatibilityVersion=1)
    assert p["featureCompatibilityVersion"] == {"version": "8.0"}
    r = client.admin.command("setParameter", 1, cursorTimeoutMillis=1234)
    assert r["was"] == 600000
    client.admin.command("setParameter", 1, cursorTimeoutMillis=600000)
    with pytest.raises(OperationFailure) as e:
        client.admin.command("setParameter", 1, nonsense=1)
    assert e.value.code == 72
    with pytest.raises(OperationFailure) as e:
        client.test.command("getParameter", 1, featureCompatibilityVersion=1)
    assert e.value.code == 13


def test_list_commands_from_the_table(client):
    cmds = client.admin.command("listCommands")["commands"]
    assert {"find", "insert", "aggregate", "hello", "bulkWrite"} <= set(cmds)
    assert cmds["listDatabases"]["adminOnly"] is True


def test_catalog_commands(client, db):
    db.create_collection("a")
    with pytest.raises(pymongo.errors.CollectionInvalid):
        db.create_collection("a")
    db.a.insert_one({"x": 1})
    assert db.name in client.list_database_names()
    dbs = client.admin.command("listDatabases")
    entry = next(d for d in dbs["databases"] if d["name"] == db.name)
    assert entry["sizeOnDisk"] > 0 and entry["empty"] is False
    assert db.list_collection_names(filter={"name": "a"}) == ["a"]
    info = db.command("listCollections", filter={"name": "a"})["cursor"]["firstBatch"][0]
    assert info["type"] == "collection" and "uuid" in info["info"]
    client.admin.command("renameCollection", f"{db.name}.a", to=f"{db.name}.b")
    assert db.list_collection_names() == ["b"]
    stats = db.command("collStats", "b")
    assert stats["count"] == 1 and stats["nindexes"] == 1
    dbs_ = db.command("dbStats")
    assert dbs_["collections"] == 1 and dbs_["objects"] == 1
    assert db.command("validate", "b")["valid"] is True
    with pytest.raises(OperationFailure) as e:
        db.command("collStats", "nope")
    assert e.value.code == 26
    db.b.drop()
    assert db.list_collection_names() == []
    with pytest.raises(OperationFailure) as e:
        db.command("create", "bad$name")
    assert e.value.code == 73


def test_invalid_index_specs_show_the_spec(db):
    # the messages quote the index spec as sent, in the shell's notation, and name BSON types
    def create(spec):
        with pytest.raises(OperationFailure) as e:
            db.command("createIndexes", "c", indexes=[spec])
        return e.value

    e = create({"key": {"at": 1}, "name": "at_1", "expireAfterSeconds": "abc"})
    assert e.code == 67
    assert e.details["errmsg"] == (
        "TTL index 'expireAfterSeconds' option must be numeric, but received a type of "
        '\'string\'. Index spec: { key: { at: 1 }, name: "at_1", expireAfterSeconds: "abc" }'
    )
    e = create({"key": {"a": 1, "b": 1}, "name": "a_1_b_1", "expireAfterSeconds": 5})
    assert e.code == 67
    assert e.details["errmsg"] == (
        "TTL indexes are single-field indexes, compound indexes do not support TTL. Index spec: "
        '{ key: { a: 1, b: 1 }, name: "a_1_b_1", expireAfterSeconds: 5 }'
    )
    e = create({"key": {"a": 1}, "name": "a_1", "bogus": 1})
    assert e.code == 197
    assert e.details["errmsg"] == (
        "The field 'bogus' is not valid for an index specification. Specification: "
        '{ key: { a: 1 }, name: "a_1", bogus: 1 }'
    )


def test_collection_names_of_the_wrong_type_name_the_bson_type(db):
    for command, name, type_ in (
        ("find", [1], "array"),
        ("find", 1.5, "double"),
        ("count", True, "bool"),
        ("create", None, "null"),
        ("create", {"a": 1}, "object"),
    ):
        with pytest.raises(OperationFailure) as e:
            db.command(command, name)
        assert e.value.code == 2, command
        assert e.value.details["errmsg"] == f"collection name has invalid type {type_}"


def test_sessions_and_transactions_errors(client):
    s = client.admin.command("startSession")
    assert s["timeoutMinutes"] == 30
    client.admin.command("endSessions", [s["id"]])
    client.admin.command("refreshSessions", [])
    with pytest.raises(OperationFailure) as e:
        client.admin.command("abortTransaction", txnNumber=Int64(3), autocommit=False, lsid=s["id"])
    assert e.value.code == 251


def test_repl_set_status_and_current_op(client):
    st = client.admin.command("replSetGetStatus")
    assert st["myState"] == 1 and st["members"][0]["stateStr"] == "PRIMARY"
    ops = client.admin.command("currentOp")["inprog"]
    assert any(op.get("command", {}).get("currentOp") for op in ops)
    assert client.admin.command("killOp", op=12345)["ok"] == 1.0


def test_metrics_on_admin_port(mongo_server, db):
    db.c.insert_one({"x": 1})
    db.c.find_one()
    url = f"http://127.0.0.1:{mongo_server.ports['admin']}/metrics"
    text = urllib.request.urlopen(url, timeout=10).read().decode()
    assert 'mongo_commands_total{command="insert"}' in text
    assert 'mongo_documents_total{op="inserted"}' in text
    assert "mongo_open_cursors" in text
    assert f'mongo_collection_documents{{collection="c",db="{db.name}"}} 1.0' in text


def test_ttl_index_expires_on_the_runtime_clock(tmp_path):
    clock = ManualClock(1_700_000_000.0)
    with serve(mongo=True, data_dir=tmp_path, clock=clock) as s:
        c = pymongo.MongoClient(f"mongodb://127.0.0.1:{s.ports['mongo']}/", directConnection=True)
        now = datetime.datetime(2023, 11, 14, 22, 13, 20)  # the clock's time
        c.t.s.create_index("at", expireAfterSeconds=30)
        c.t.s.insert_many(
            [
                {"_id": 1, "at": now - datetime.timedelta(seconds=60)},
                {"_id": 2, "at": now + datetime.timedelta(seconds=60)},
                {"_id": 3, "at": "not a date"},
                {"_id": 4, "at": [now, now - datetime.timedelta(seconds=90)]},
            ]
        )
        s.advance(61)
        assert sorted(d["_id"] for d in c.t.s.find()) == [2, 3]
        s.advance(60)
        assert sorted(d["_id"] for d in c.t.s.find()) == [3]
        assert c.admin.command("serverStatus")["metrics"]["ttl"]["deletedDocuments"] == 3
        c.close()


def test_oplog_entries_have_cluster_times(mongo_server, db):
    db.o.insert_many([{"_id": 1}, {"_id": 2}])
    db.o.update_one({"_id": 1}, {"$set": {"v": 1}})
    db.o.delete_one({"_id": 2})
    storage = mongo_server.service("mongo").server.storage
    entries = [
        e for e in mongo_server.call(lambda: list(storage.oplog.since(0))) if e.ns == f"{db.name}.o"
    ]
    assert [e.op for e in entries] == ["i", "i", "u", "d"]
    ts = [e.ts for e in entries]
    assert ts == sorted(ts) and len(set(ts)) == 4
    doc = entries[2].to_doc()
    assert doc["o"] == {"_id": 1, "v": 1} and doc["o2"] == {"_id": 1}
    coll = storage.collection(db.name, "o")
    assert coll.version_of(b"\x1f") >= ts[0]
    reply = db.command("ping")
    assert reply["$clusterTime"]["clusterTime"].time >= ts[-1] >> 32


def test_compression_negotiated_with_each_compressor(mongo_url):
    for comp in ("zlib", "snappy", "zstd"):
        c = pymongo.MongoClient(mongo_url, compressors=comp)
        c.test.c.insert_one({"v": "x" * 1000})
        assert c.test.c.find_one({"v": "x" * 1000}) is not None
        c.test.c.drop()
        c.close()


def test_current_op_stage_and_search_stages(client, db):
    ops = list(client.admin.aggregate([{"$currentOp": {"idleConnections": True}}]))
    assert ops and all("connectionId" in op for op in ops)
    db.c.insert_one({})
    with pytest.raises(OperationFailure) as e:
        list(db.c.list_search_indexes())
    assert e.value.code == 31082
