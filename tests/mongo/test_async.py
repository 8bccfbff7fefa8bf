"""The asynchronous drivers: motor and pymongo's AsyncMongoClient."""

from __future__ import annotations

import asyncio

import motor.motor_asyncio
import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError


def test_motor_crud_aggregate_and_indexes(mongo_url):
    async def main() -> None:
        client = motor.motor_asyncio.AsyncIOMotorClient(mongo_url)
        db = client.motortest
        await db.drop_collection("c")
        await db.c.insert_many([{"_id": i, "g": i % 3, "v": i} for i in range(30)])
        assert await db.c.count_documents({"g": 1}) == 10
        await db.c.update_many({"g": 0}, {"$inc": {"v": 100}})
        doc = await db.c.find_one({"_id": 3})
        assert doc == {"_id": 3, "g": 0, "v": 103}
        got = [d async for d in db.c.find({"v": {"$gte": 100}}).sort("v", -1).limit(2)]
        assert [d["_id"] for d in got] == [27, 24]
        out = [
            d
            async for d in db.c.aggregate(
                [{"$group": {"_id": "$g", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
            )
        ]
        assert out == [{"_id": 0, "n": 10}, {"_id": 1, "n": 10}, {"_id": 2, "n": 10}]
        await db.c.create_index("v", unique=True)
        with pytest.raises(DuplicateKeyError):
            await db.c.insert_one({"v": 1})
        r = await db.c.delete_many({"g": 2})
        assert r.deleted_count == 10
        await client.drop_database("motortest")
        client.close()

    asyncio.run(main())


def test_pymongo_async_client(mongo_url):
    async def main() -> None:
        client = AsyncMongoClient(mongo_url)
        db = client.asynctest
        await db.c.insert_one({"_id": 1, "a": [1, 2]})
        await db.c.update_one({"_id": 1}, {"$push": {"a": 3}})
        assert (await db.c.find_one()) == {"_id": 1, "a": [1, 2, 3]}
        cursor = db.c.find({}).batch_size(1)
        assert [d["_id"] async for d in cursor] == [1]
        assert (await client.admin.command("ping"))["ok"] == 1.0
        await client.drop_database("asynctest")
        await client.close()

    asyncio.run(main())
