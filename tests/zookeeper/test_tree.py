"""The data tree, ACLs and multi rollback, driven without sockets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.zookeeper.acl import check_acl, generate_digest, ip_matches
from polystack.zookeeper.errors import ZKError
from polystack.zookeeper.persist import encode_snapshot
from polystack.zookeeper.records import (
    CreateRequest,
    MultiOperationRecord,
    PathVersionRequest,
    SetDataRequest,
)
from polystack.zookeeper.tree import DataTree, validate_path
from polystack.zookeeper.wire import ACL, Id

from . import zkproto
from .harness import make_server, session

OPEN = zkproto.OPEN_ACL


def test_digest_matches_zookeeper():
    # computed by ZooKeeper 3.8 for `addauth digest bob:secret` (see test_differential)
    assert generate_digest("bob:secret") == "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="


def test_ip_acls():
    assert ip_matches("10.1.2.3", "10.0.0.0/8") and not ip_matches("11.1.2.3", "10.0.0.0/8")
    assert ip_matches("127.0.0.1", "127.0.0.1")
    acl = (ACL(1, Id("ip", "10.0.0.0/8")),)
    check_acl(acl, 1, [Id("ip", "10.9.9.9")])
    try:
        check_acl(acl, 1, [Id("ip", "127.0.0.1")])
        raise AssertionError("NoAuth expected")
    except ZKError as e:
        assert e.code == -102


def test_ip_acl_through_a_session():
    zk = make_server()
    c, _ = session(zk)  # the harness peer is 127.0.0.1
    h, _ = c.call(zkproto.create(1, "/iponly", b"d", acl=[ACL(31, Id("ip", "127.0.0.0/8"))]))
    assert h[2] == 0
    h, _ = c.call(zkproto.get_data(2, "/iponly"))
    assert h[2] == 0
    h, _ = c.call(zkproto.create(3, "/other", b"d", acl=[ACL(31, Id("ip", "10.0.0.1"))]))
    h, _ = c.call(zkproto.get_data(4, "/other"))
    assert h[2] == -102


def test_paths():
    assert validate_path("/a/b") is None
    assert validate_path("/a/../b") is not None
    assert validate_path("/\u0001") is not None
    assert validate_path("") is not None


def test_sequential_names_count_creations_and_cversion_shows_changes():
    zk = make_server()
    c, _ = session(zk)
    c.call(zkproto.create(1, "/q", b""))
    c.call(zkproto.create(2, "/q/a", b""))
    c.call(zkproto.delete(3, "/q/a"))
    h, body = c.call(zkproto.create(4, "/q/s-", b"", flags=2))
    assert zkproto.parse_string(body) == "/q/s-0000000001"
    _, body = c.call(zkproto.exists(5, "/q"))
    stat = zkproto.stat(body)
    assert stat[5] == 3 and stat[9] == 1  # cversion 2*2-1, numChildren 1


def test_initial_tree_matches_zookeeper():
    t = DataTree()
    assert t.nodes["/"].stat_tuple()[5] == -1
    assert t.nodes["/zookeeper"].stat_tuple()[5] == -2
    assert t.nodes["/zookeeper/config"].stat_tuple()[6] == -1
    assert sorted(t.nodes) == ["/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"]


op_strategy = st.one_of(
    st.builds(lambda n: (1, CreateRequest(f"/m/{n}", b"v", OPEN, 0)), st.sampled_from("abc")),
    st.builds(lambda n: (1, CreateRequest(f"/m/{n}/", b"", OPEN, 2)), st.sampled_from("abc")),
    st.builds(lambda n: (2, PathVersionRequest(f"/m/{n}", -1)), st.sampled_from("abc")),
    st.builds(
        lambda n, v: (5, SetDataRequest(f"/m/{n}", b"w", v)),
        st.sampled_from("abc"),
        st.integers(-1, 1),
    ),
    st.builds(lambda v: (13, PathVersionRequest("/m", v)), st.integers(-1, 2)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(op_strategy, max_size=6))
def test_failed_multi_changes_nothing(ops):
    zk = make_server()
    c, _ = session(zk)
    c.call(zkproto.create(1, "/m", b""))
    c.call(zkproto.create(2, "/m/a", b""))
    before = encode_snapshot(zk.tree, {})
    nodes_before = {p: n.stat() for p, n in zk.tree.nodes.items()}
    h, body = c.call(zkproto.packet(3, 14, MultiOperationRecord(ops).encode()))
    results = zkproto.parse_multi(body)
    assert len(results) == len(ops)
    failed = [r for r in results if r[0] == -1]
    if failed:
        codes = [r[2] for r in results]
        first = next(i for i, code in enumerate(codes) if code not in (0,))
        assert all(code == 0 for code in codes[:first])
        assert all(code == -2 for code in codes[first + 1 :])
        # only the zxid moved
        assert {p: n.stat() for p, n in zk.tree.nodes.items()} == nodes_before
        assert encode_snapshot(zk.tree, {})[16:] == before[16:]  # after magic, version, zxid
    else:
        assert h[2] == 0


def test_super_digest_bypasses_acls():
    from polystack.zookeeper.records import AuthPacket

    zk = make_server(super_digest=generate_digest("super:adminpw"))
    owner, _ = session(zk)
    owner.call(zkproto.create(1, "/locked", b"s", acl=[ACL(31, Id("ip", "10.0.0.1"))]))
    admin, _ = session(zk)
    h, _ = admin.call(zkproto.get_data(1, "/locked"))
    assert h[2] == -102
    frames = admin.send(zkproto.packet(-4, 100, AuthPacket(0, "digest", b"super:adminpw").encode()))
    assert zkproto.header(frames[0])[2] == 0
    h, body = admin.call(zkproto.get_data(2, "/locked"))
    assert h[2] == 0 and zkproto.parse_data(body)[0] == b"s"
