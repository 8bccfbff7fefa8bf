"""The data tree: znodes, their Stat, and the apply side of every change (ZooKeeper's DataTree).

The tree applies already-validated changes (validation and ACL checks live in ``commands``), so the
same functions serve live requests and log replay. Watch triggers are queued in ``events`` and fired
by the caller once the whole request (e.g. a ``multi``) has succeeded; an ``undo`` list, when set,
records how to roll a change back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .acl import OPEN_ACL_UNSAFE, READ_ACL_UNSAFE
from .defs import CONTAINER_EPHEMERAL_OWNER, EventType, owner_kind
from .wire import ACL, STAT, write_string_vector

NODE_CREATED = int(EventType.NodeCreated)
NODE_DELETED = int(EventType.NodeDeleted)
NODE_DATA_CHANGED = int(EventType.NodeDataChanged)
NODE_CHILDREN_CHANGED = int(EventType.NodeChildrenChanged)

_stat_pack = STAT.pack

PROC_ZOOKEEPER = "/zookeeper"
QUOTA_ZOOKEEPER = "/zookeeper/quota"
CONFIG_ZOOKEEPER = "/zookeeper/config"
SPECIAL_PATHS = frozenset(("/", PROC_ZOOKEEPER, QUOTA_ZOOKEEPER, CONFIG_ZOOKEEPER))


@dataclass(slots=True, eq=False)
class Znode:
    data: bytes | None
    acl: tuple[ACL, ...]
    czxid: int = 0
    mzxid: int = 0
    ctime: int = 0
    mtime: int = 0
    version: int = 0
    cversion: int = 0
    aversion: int = 0
    ephemeral_owner: int = 0
    pzxid: int = 0
    children: set[str] = field(default_factory=set)
    # the jute vector<ustring> of the children, cached for getChildren (None when stale)
    children_enc: bytes | None = None

    def children_vector(self) -> bytes:
        enc = self.children_enc
        if enc is None:
            enc = self.children_enc = write_string_vector(list(self.children))
        return enc

    def stat(self) -> bytes:
        """The jute-encoded Stat, as DataNode.copyStat builds it: ``cversion`` is kept as the
        number of child creations (it names sequential children) and shown as the number of
        child changes, ``2 * cversion - numChildren``; containers and TTL nodes show
        ephemeralOwner 0 (only a session id is shown)."""
        d = self.data
        owner = self.ephemeral_owner
        n = len(self.children)
        return _stat_pack(
            self.czxid,
            self.mzxid,
            self.ctime,
            self.mtime,
            self.version,
            self.cversion * 2 - n,
            self.aversion,
            owner if owner >= 0 else 0,
            0 if d is None else len(d),
            n,
            self.pzxid,
        )

    def stat_tuple(self) -> tuple:
        """The Stat fields as clients see them (see :meth:`stat`)."""
        return STAT.unpack(self.stat())


def split_path(path: str) -> tuple[str, str]:
    """(parent, child name) of an absolute path; the parent of "/a" is "/"."""
    i = path.rfind("/")
    return (path[:i] if i > 0 else "/"), path[i + 1 :]


class DataTree:
    def __init__(self) -> None:
        self.nodes: dict[str, Znode] = {}
        self.ephemerals: dict[int, set[str]] = {}
        self.containers: set[str] = set()
        self.ttls: set[str] = set()
        self.events: list[tuple[str, int]] = []
        self.undo: list[Callable[[], None]] | None = None
        # when a list, every applied change is recorded for the transaction log (see persist.py)
        self.changes: list[tuple] | None = None
        self.last_processed_zxid = 0
        # as in a fresh ZooKeeper 3.8: these nodes are not created through createNode, so
        # their shown cversion is negative (root -1, /zookeeper -2); /zookeeper/config got its
        # ACL through setACL(..., -1), hence aversion -1
        root = Znode(b"", OPEN_ACL_UNSAFE)
        self.nodes["/"] = root
        proc = Znode(b"", OPEN_ACL_UNSAFE)
        self.nodes[PROC_ZOOKEEPER] = proc
        root.children.add("zookeeper")
        self.nodes[QUOTA_ZOOKEEPER] = Znode(b"", OPEN_ACL_UNSAFE)
        proc.children.add("quota")
        self.nodes[CONFIG_ZOOKEEPER] = Znode(b"", READ_ACL_UNSAFE, aversion=-1)
        proc.children.add("config")

    # -----------------------------------------------------------------------------------------
    # reads

    def get(self, path: str) -> Znode | None:
        return self.nodes.get(path)

    def node_count(self) -> int:
        """ZooKeeper's DataTree.getNodeCount: its node map holds the root twice ("" and "/")."""
        return len(self.nodes) + 1

    def all_children_number(self, path: str) -> int:
        if path == "/":
            return len(self.nodes) - 1
        prefix = path + "/"
        return sum(1 for p in self.nodes if p.startswith(prefix))

    def ephemerals_of(self, session_id: int) -> set[str]:
        return self.ephemerals.get(session_id, set())

    def approximate_data_size(self) -> int:
        return sum(len(p) + len(n.data or b"") for p, n in self.nodes.items())

    # -----------------------------------------------------------------------------------------
    # changes

    def create_node(
        self,
        path: str,
        data: bytes | None,
        acl: tuple[ACL, ...],
        ephemeral_owner: int,
        parent_cversion: int,
        zxid: int,
        time: int,
    ) -> Znode:
        parent_path, name = split_path(path)
        parent = self.nodes[parent_path]
        node = Znode(data, acl, zxid, zxid, time, time, 0, 0, 0, ephemeral_owner, zxid)
        undo = self.undo
        if undo is not None:
            old_cv, old_pz = parent.cversion, parent.pzxid
            undo.append(lambda: self._undo_create(path, parent, name, old_cv, old_pz))
        if parent_cversion == -1:
            parent_cversion = parent.cversion + 1
        if parent_cversion > parent.cversion:
            parent.cversion = parent_cversion
            parent.pzxid = zxid
        parent.children.add(name)
        parent.children_enc = None
        self.nodes[path] = node
        if self.changes is not None:
            self.changes.append((1, path, data, acl, ephemeral_owner, parent_cversion))
        if ephemeral_owner:
            self._index_owner(path, ephemeral_owner)
        self.events.append((path, NODE_CREATED))
        return node

    def _index_owner(self, path: str, owner: int) -> None:
        kind = owner_kind(owner)
        if kind == "container":
            self.containers.add(path)
        elif kind == "ttl":
            self.ttls.add(path)
        else:
            s = self.ephemerals.get(owner)
            if s is None:
                s = self.ephemerals[owner] = set()
            s.add(path)

    def _unindex_owner(self, path: str, owner: int) -> None:
        if owner == CONTAINER_EPHEMERAL_OWNER:
            self.containers.discard(path)
            return
        kind = owner_kind(owner)
        if kind == "ttl":
            self.ttls.discard(path)
        else:
            s = self.ephemerals.get(owner)
            if s is not None:
                s.discard(path)
                if not s:
                    del self.ephemerals[owner]

    def _undo_create(self, path: str, parent: Znode, name: str, cv: int, pz: int) -> None:
        node = self.nodes.pop(path)
        parent.children.discard(name)
        parent.children_enc = None
        parent.cversion = cv
        parent.pzxid = pz
        if node.ephemeral_owner:
            self._unindex_owner(path, node.ephemeral_owner)

    def delete_node(self, path: str, zxid: int) -> Znode:
        parent_path, name = split_path(path)
        parent = self.nodes[parent_path]
        node = self.nodes.pop(path)
        undo = self.undo
        if undo is not None:
            old_cv, old_pz = parent.cversion, parent.pzxid
            undo.append(lambda: self._undo_delete(path, node, parent, name, old_cv, old_pz))
        parent.children.discard(name)
        parent.children_enc = None
        if zxid > parent.pzxid:
            parent.pzxid = zxid
        if self.changes is not None:
            self.changes.append((2, path))
        if node.ephemeral_owner:
            self._unindex_owner(path, node.ephemeral_owner)
        self.events.append((path, NODE_DELETED))
        return node

    def _undo_delete(
        self, path: str, node: Znode, parent: Znode, name: str, cv: int, pz: int
    ) -> None:
        self.nodes[path] = node
        parent.children.add(name)
        parent.children_enc = None
        parent.cversion = cv
        parent.pzxid = pz
        if node.ephemeral_owner:
            self._index_owner(path, node.ephemeral_owner)

    def set_data(self, path: str, data: bytes | None, version: int, zxid: int, time: int) -> Znode:
        node = self.nodes[path]
        undo = self.undo
        if undo is not None:
            saved = (node.data, node.mtime, node.mzxid, node.version)
            undo.append(lambda: self._restore_data(node, saved))
        node.data = data
        node.mtime = time
        node.mzxid = zxid
        node.version = version
        if self.changes is not None:
            self.changes.append((5, path, data, version))
        self.events.append((path, NODE_DATA_CHANGED))
        return node

    @staticmethod
    def _restore_data(node: Znode, saved: tuple) -> None:
        node.data, node.mtime, node.mzxid, node.version = saved

    def set_acl(self, path: str, acl: tuple[ACL, ...], aversion: int) -> Znode:
        node = self.nodes[path]
        undo = self.undo
        if undo is not None:
            saved = (node.acl, node.aversion)
            undo.append(lambda: self._restore_acl(node, saved))
        node.acl = acl
        node.aversion = aversion
        if self.changes is not None:
            self.changes.append((7, path, acl, aversion))
        return node

    @staticmethod
    def _restore_acl(node: Znode, saved: tuple) -> None:
        node.acl, node.aversion = saved

    def kill_session(self, session_id: int, zxid: int) -> list[str]:
        """Delete the session's ephemeral nodes (closeSession); returns the deleted paths."""
        paths = sorted(self.ephemerals.get(session_id, ()))
        for p in paths:
            if p in self.nodes:
                self.delete_node(p, zxid)
        self.ephemerals.pop(session_id, None)
        return paths

    def rollback(self) -> None:
        undo = self.undo
        if undo:
            for fn in reversed(undo):
                fn()
        self.undo = None

    # -----------------------------------------------------------------------------------------
    # snapshots

    def walk(self):
        """Nodes parent-first (for snapshots)."""
        stack = ["/"]
        nodes = self.nodes
        while stack:
            p = stack.pop()
            n = nodes[p]
            yield p, n
            base = p if p != "/" else ""
            for c in n.children:
                stack.append(base + "/" + c)


_VALID_PATH = re.compile("(?:/[^/\x00-\x1f\x7f-\x9f\ud800-\uf8ff\ufff0-\U0010ffff]+)+")


def validate_path(path: str | None) -> str | None:
    """PathUtils.validatePath: None when valid, else the reason ZooKeeper logs."""
    if path is None:
        return "Path cannot be null"
    if not path:
        return "Path length must be > 0"
    if path[0] != "/":
        return "Path must start with / character"
    if len(path) == 1:
        return None
    if path[-1] == "/":
        return "Path must not end with / character"
    if _VALID_PATH.fullmatch(path) is not None and "/." not in path:
        return None
    for seg_start, seg in _segments(path):
        if seg == "":
            return f"empty node name specified @{seg_start}"
        if seg in (".", ".."):
            return f"relative paths not allowed @{seg_start + len(seg) - 1}"
        for j, c in enumerate(seg):
            o = ord(c)
            if o == 0:
                return f"null character not allowed @{seg_start + j}"
            if 0 < o <= 0x1F or 0x7F <= o <= 0x9F or 0xD800 <= o <= 0xF8FF or o >= 0xFFF0:
                return f"invalid character @{seg_start + j}"
    return None


def _segments(path: str):
    i = 1
    for seg in path[1:].split("/"):
        yield i, seg
        i += len(seg) + 1
