"""mongosh (MongoDB's shell) against polystack: its handshake and its helpers.

mongosh is an npm package; ``scripts/install-test-deps`` installs it into ``.cache/npm``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MONGOSH = ROOT / ".cache" / "npm" / "node_modules" / ".bin" / "mongosh"

pytestmark = pytest.mark.skipif(
    not MONGOSH.exists() or shutil.which("node") is None,
    reason="mongosh is not installed (scripts/install-test-deps installs it when npm is there)",
)


def mongosh(url: str, script: str) -> str:
    out = subprocess.run(
        [str(MONGOSH), url, "--quiet", "--norc", "--eval", script],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr + out.stdout
    return out.stdout


def test_shell_handshake_crud_and_helpers(mongo_url):
    url = mongo_url + "shelltest"
    out = mongosh(
        url,
        """
        db.dropDatabase();
        db.people.insertMany([{name: 'ann', age: 30}, {name: 'bob', age: 25}]);
        db.people.updateOne({name: 'bob'}, {$inc: {age: 1}});
        db.people.createIndex({age: 1}, {unique: true});
        const r = {
          version: db.version(),
          isPrimary: db.hello().isWritablePrimary,
          rsOk: rs.status().ok,
          count: db.people.countDocuments(),
          bob: db.people.findOne({name: 'bob'}, {_id: 0}),
          sorted: db.people.find({}, {_id: 0, name: 1}).sort({age: -1}).toArray(),
          group: db.people.aggregate([{$group: {_id: null, total: {$sum: '$age'}}}]).toArray(),
          indexes: db.people.getIndexes().map(i => i.name),
          stage: db.people.find({age: 26}).explain().queryPlanner.winningPlan.inputStage.stage,
          colls: db.getCollectionNames(),
          stats: db.people.stats().count,
        };
        print(JSON.stringify(r));
    """,
    )
    r = json.loads(out.strip().splitlines()[-1])
    assert r["version"].startswith("8.0")
    assert r["isPrimary"] is True and r["rsOk"] == 1
    assert r["count"] == 2 and r["bob"] == {"name": "bob", "age": 26}
    assert r["sorted"] == [{"name": "ann"}, {"name": "bob"}]
    assert r["group"] == [{"_id": None, "total": 56}]
    assert r["indexes"] == ["_id_", "age_1"]
    assert r["stage"] == "IXSCAN"
    assert r["colls"] == ["people"] and r["stats"] == 2


def test_shell_reports_errors(mongo_url):
    out = mongosh(
        mongo_url + "shelltest2",
        """
        db.c.insertOne({_id: 1});
        try { db.c.insertOne({_id: 1}); } catch (e) { print(e.code + ' ' + e.errmsg); }
        try { db.c.find({$foo: 1}).toArray(); } catch (e) { print(e.code); }
        db.dropDatabase();
    """,
    )
    lines = out.strip().splitlines()
    assert lines[0].startswith("11000 E11000 duplicate key error collection: shelltest2.c")
    assert lines[1] == "2"
