"""Watch management ops: setWatches (on reconnect), setWatches2, addWatch, removeWatches,
checkWatches."""

from __future__ import annotations

from ..defs import AddWatchMode, EventType, OpCode
from ..errors import Code, ZKError
from ..records import PathTypeRequest, SetWatches, SetWatches2
from ..watches import PERSISTENT, RECURSIVE
from ..wire import INT, SET_WATCHES_XID
from . import op

_CREATED = int(EventType.NodeCreated)
_DELETED = int(EventType.NodeDeleted)
_DATA_CHANGED = int(EventType.NodeDataChanged)
_CHILDREN_CHANGED = int(EventType.NodeChildrenChanged)

WATCHER_CHILDREN = 1
WATCHER_DATA = 2
WATCHER_ANY = 3


def _set_watches(zk, cnxn, req) -> bytes:
    """DataTree.setWatches: fire what changed since relativeZxid, re-register the rest."""
    nodes = zk.tree.nodes
    rz = req.relative_zxid
    for path in req.data_watches:
        node = nodes.get(path)
        if node is None:
            cnxn.process(_DELETED, path)
        elif node.mzxid > rz:
            cnxn.process(_DATA_CHANGED, path)
        else:
            zk.data_watches.add(path, cnxn)
    for path in req.exist_watches:
        if path in nodes:
            cnxn.process(_CREATED, path)
        else:
            zk.data_watches.add(path, cnxn)
    for path in req.child_watches:
        node = nodes.get(path)
        if node is None:
            cnxn.process(_DELETED, path)
        elif node.pzxid > rz:
            cnxn.process(_CHILDREN_CHANGED, path)
        else:
            zk.child_watches.add(path, cnxn)
    for path in req.persistent_watches:
        zk.data_watches.add(path, cnxn, PERSISTENT)
        zk.child_watches.add(path, cnxn, PERSISTENT)
    for path in req.persistent_recursive_watches:
        zk.data_watches.add(path, cnxn, RECURSIVE)
    return b""


op(OpCode.setWatches, "setWatches", SetWatches, special_xid=SET_WATCHES_XID)(_set_watches)
op(OpCode.setWatches2, "setWatches2", SetWatches2, special_xid=SET_WATCHES_XID)(_set_watches)


@op(OpCode.addWatch, "addWatch", PathTypeRequest)
def add_watch(zk, cnxn, req) -> bytes:
    mode = req.type
    if mode == AddWatchMode.PERSISTENT:
        zk.data_watches.add(req.path, cnxn, PERSISTENT)
        zk.child_watches.add(req.path, cnxn, PERSISTENT)
    elif mode == AddWatchMode.PERSISTENT_RECURSIVE:
        zk.data_watches.add(req.path, cnxn, RECURSIVE)
    else:
        raise ZKError(Code.BADARGUMENTS, req.path)
    return INT.pack(0)  # ErrorResponse(0)


def _watch_targets(zk, t: int):
    """(manager, mode bits) pairs a WatcherType addresses."""
    # like ZooKeeper 3.8, a type addresses every watch of that manager, persistent ones too
    if t == WATCHER_CHILDREN:
        return [(zk.child_watches, 7)]
    if t == WATCHER_DATA:
        return [(zk.data_watches, 7)]
    if t == WATCHER_ANY:
        return [(zk.child_watches, 7), (zk.data_watches, 7)]
    # ZooKeeper 3.8's WatcherType knows only Children, Data and Any: other values fail to
    # deserialize (MarshallingError)
    raise ZKError(Code.MARSHALLINGERROR, None)


@op(OpCode.removeWatches, "removeWatches", PathTypeRequest)
def remove_watches(zk, cnxn, req) -> bytes:
    removed = False
    for manager, modes in _watch_targets(zk, req.type):
        if manager.remove(req.path, cnxn, modes):
            removed = True
    if not removed:
        raise ZKError(Code.NOWATCHER, req.path)
    return b""


@op(OpCode.checkWatches, "checkWatches", PathTypeRequest)
def check_watches(zk, cnxn, req) -> bytes:
    for manager, modes in _watch_targets(zk, req.type):
        if manager.contains(req.path, cnxn, modes):
            return b""
    raise ZKError(Code.NOWATCHER, req.path)
