"""One in-process polystack MongoDB for the module's tests; every test gets a fresh database."""

from __future__ import annotations

import itertools

import pymongo
import pytest

from polystack.testing import serve

_names = itertools.count()


@pytest.fixture(scope="session")
def mongo_server():
    with serve(mongo=True) as s:
        yield s


@pytest.fixture(scope="session")
def mongo_url(mongo_server) -> str:
    return f"mongodb://127.0.0.1:{mongo_server.ports['mongo']}/"


@pytest.fixture(scope="session")
def client(mongo_url):
    c = pymongo.MongoClient(mongo_url, serverSelectionTimeoutMS=10000)
    yield c
    c.close()


@pytest.fixture
def db(client):
    name = f"t{next(_names)}"
    yield client[name]
    client.drop_database(name)
