"""Random command documents: every reply is MongoDB's ``{ok: 0, code, errmsg}`` or a success,
never an internal error (a Python exception escaping a handler) and never a dead session."""

from __future__ import annotations

import bson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polystack.mongo.commands import TABLE

from .fakepeer import make_session, op_msg, read_replies

NAMES = sorted({spec.name for spec in TABLE.values()} - {"shutdown"})
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True),
    st.text(max_size=4),
    st.just("$x"),
    st.just("$$ROOT"),
    st.binary(max_size=3),
    st.builds(bson.ObjectId),
)
keys = st.sampled_from(
    [
        "a",
        "b",
        "$eq",
        "$gt",
        "$in",
        "$set",
        "$inc",
        "$match",
        "$group",
        "$project",
        "_id",
        "$sum",
        "$push",
        "q",
        "u",
        "filter",
        "pipeline",
        "key",
        "name",
        "x.y",
        "$",
        "$[]",
        "$sort",
    ]
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=3)
    ),
    max_leaves=10,
)
commands = st.tuples(
    st.sampled_from(NAMES),
    st.one_of(st.just("c"), st.just(1), values),
    st.dictionaries(
        st.sampled_from(
            [
                "filter",
                "pipeline",
                "documents",
                "updates",
                "deletes",
                "query",
                "update",
                "sort",
                "projection",
                "limit",
                "skip",
                "batchSize",
                "key",
                "indexes",
                "cursor",
                "writeConcern",
                "new",
                "upsert",
                "remove",
                "fields",
                "hint",
                "let",
                "to",
                "getMore",
                "collection",
                "ops",
                "nsInfo",
                "index",
                "capped",
                "size",
                "validator",
                "viewOn",
            ]
        ),
        values,
        max_size=4,
    ),
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_random_commands_never_fail_internally(cmd):
    name, arg, fields = cmd
    sess, peer, server = make_session()
    sess.feed(op_msg({"insert": "c", "documents": [{"_id": 1, "a": [1, 2]}], "$db": "d"}, 1))
    peer.take()
    body = {name: arg, **fields, "$db": "admin" if name in ("bulkWrite",) else "d"}
    try:
        msg = op_msg(body, 2)
    except Exception:
        return  # not encodable as BSON by the test's own encoder
    sess.feed(msg)
    if sess.waiting is not None:
        return  # an awaitable command parked itself
    replies = read_replies(peer.take())
    assert len(replies) == 1
    doc = replies[0][3]
    assert doc.get("code") != 1, doc
    assert doc["ok"] in (0.0, 1.0)
    # the session still serves
    sess.feed(op_msg({"ping": 1, "$db": "admin"}, 3))
    assert read_replies(peer.take())[0][3]["ok"] == 1.0
