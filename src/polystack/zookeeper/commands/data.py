"""Znode operations: create*, delete, setData, setACL, check and the reads (exists, getData, ...).

The write functions follow PrepRequestProcessor's order of checks exactly (it decides which error a
request gets when several apply); the reads follow FinalRequestProcessor.
"""

from __future__ import annotations

from ..acl import check_acl, fixup_acl, redact
from ..defs import (
    CONTAINER_EPHEMERAL_OWNER,
    MAX_TTL,
    OpCode,
    Perms,
    owner_kind,
    ttl_to_owner,
)
from ..errors import Code, ZKError
from ..records import (
    CreateRequest,
    CreateTTLRequest,
    PathRequest,
    PathVersionRequest,
    PathWatchRequest,
    SetACLRequest,
    SetDataRequest,
)
from ..tree import SPECIAL_PATHS, Znode, validate_path
from ..wire import INT, write_acl_vector, write_buffer, write_string_vector, write_ustring
from . import op

READ = int(Perms.READ)
WRITE = int(Perms.WRITE)
CREATE = int(Perms.CREATE)
DELETE = int(Perms.DELETE)
ADMIN = int(Perms.ADMIN)

_pack_int = INT.pack


def check_and_inc_version(current: int, expected: int, path: str) -> int:
    if expected != -1 and expected != current:
        raise ZKError(Code.BADVERSION, path)
    nxt = current + 1
    if nxt > 0x7FFFFFFF:
        nxt = -0x80000000
    return 0 if nxt == -1 else nxt


def parent_path_and_validate(path: str) -> str:
    """PrepRequestProcessor.getParentPathAndValidate (delete, deleteContainer)."""
    i = path.rfind("/")
    if i == -1 or "\0" in path or path in SPECIAL_PATHS:
        raise ZKError(Code.BADARGUMENTS, path)
    return path[:i] if i > 0 else "/"


def bad_path(path: str) -> None:
    if validate_path(path) is not None:
        raise ZKError(Code.BADARGUMENTS, path)


# ---------------------------------------------------------------------------------------------
# writes


def apply_create(zk, cnxn, code: int, req, zxid: int, time: int) -> tuple[str, Znode]:
    flags = req.flags
    path = req.path
    if flags < 0 or flags > 6:
        raise ZKError(Code.BADARGUMENTS, path)  # CreateMode.fromFlag
    is_ttl = flags == 5 or flags == 6
    ttl = req.ttl if code == 21 and hasattr(req, "ttl") else -1
    if is_ttl and not zk.extended_types:
        raise ZKError(Code.UNIMPLEMENTED)
    if is_ttl:
        if ttl > MAX_TTL or ttl <= 0:
            raise ZKError(Code.BADARGUMENTS, path)
    elif ttl >= 0:
        raise ZKError(Code.BADARGUMENTS, path)
    i = path.rfind("/")
    if i == -1 or "\0" in path:
        raise ZKError(Code.BADARGUMENTS, path)
    parent_path = path[:i] if i > 0 else "/"
    acl = fixup_acl(path, cnxn.auth_info, req.acl)
    tree = zk.tree
    parent = tree.nodes.get(parent_path)
    if parent is None:
        raise ZKError(Code.NONODE, parent_path)
    check_acl(parent.acl, CREATE, cnxn.auth_info, path)
    parent_cv = parent.cversion
    if flags == 2 or flags == 3 or flags == 6:
        path = f"{path}{parent_cv:010d}"
    if validate_path(path) is not None:
        raise ZKError(Code.BADARGUMENTS, path)
    if path in tree.nodes:
        raise ZKError(Code.NODEEXISTS, path)
    if parent.ephemeral_owner and owner_kind(parent.ephemeral_owner) == "normal":
        raise ZKError(Code.NOCHILDRENFOREPHEMERALS, path)
    if flags == 4:
        owner = CONTAINER_EPHEMERAL_OWNER
    elif is_ttl:
        owner = ttl_to_owner(ttl)
    elif flags == 1 or flags == 3:
        owner = cnxn.session_id
    else:
        owner = 0
    node = tree.create_node(path, req.data, acl, owner, parent_cv + 1, zxid, time)
    return path, node


@op(OpCode.create, "create", CreateRequest, write=True)
def create(zk, cnxn, req, zxid, time) -> bytes:
    path, _ = apply_create(zk, cnxn, 1, req, zxid, time)
    return write_ustring(path)


def _create2(code: int):
    def handler(zk, cnxn, req, zxid, time) -> bytes:
        path, node = apply_create(zk, cnxn, code, req, zxid, time)
        return write_ustring(path) + node.stat()

    return handler


op(OpCode.create2, "create2", CreateRequest, write=True)(_create2(15))
op(OpCode.createContainer, "createContainer", CreateRequest, write=True)(_create2(19))
op(OpCode.createTTL, "createTTL", CreateTTLRequest, write=True)(_create2(21))


def apply_delete(zk, cnxn, req, zxid: int) -> None:
    path = req.path
    parent_path = parent_path_and_validate(path)
    tree = zk.tree
    parent = tree.nodes.get(parent_path)
    if parent is None:
        raise ZKError(Code.NONODE, parent_path)
    check_acl(parent.acl, DELETE, cnxn.auth_info, path)
    node = tree.nodes.get(path)
    if node is None:
        raise ZKError(Code.NONODE, path)
    check_and_inc_version(node.version, req.version, path)
    if node.children:
        raise ZKError(Code.NOTEMPTY, path)
    tree.delete_node(path, zxid)


@op(OpCode.delete, "delete", PathVersionRequest, write=True)
def delete(zk, cnxn, req, zxid, time) -> bytes:
    apply_delete(zk, cnxn, req, zxid)
    return b""


def apply_delete_container(zk, cnxn, req, zxid: int) -> None:
    path = req.path
    parent_path_and_validate(path)
    node = zk.tree.nodes.get(path)
    if node is None:
        raise ZKError(Code.NONODE, path)
    if node.children:
        raise ZKError(Code.NOTEMPTY, path)
    if node.ephemeral_owner and owner_kind(node.ephemeral_owner) == "normal":
        raise ZKError(Code.BADVERSION, path)
    zk.tree.delete_node(path, zxid)


@op(OpCode.deleteContainer, "deleteContainer", PathRequest, write=True)
def delete_container(zk, cnxn, req, zxid, time) -> bytes:
    apply_delete_container(zk, cnxn, req, zxid)
    return b""


def apply_set_data(zk, cnxn, req, zxid: int, time: int) -> Znode:
    path = req.path
    bad_path(path)
    node = zk.tree.nodes.get(path)
    if node is None:
        raise ZKError(Code.NONODE, path)
    check_acl(node.acl, WRITE, cnxn.auth_info, path)
    version = check_and_inc_version(node.version, req.version, path)
    return zk.tree.set_data(path, req.data, version, zxid, time)


@op(OpCode.setData, "setData", SetDataRequest, write=True)
def set_data(zk, cnxn, req, zxid, time) -> bytes:
    return apply_set_data(zk, cnxn, req, zxid, time).stat()


@op(OpCode.setACL, "setACL", SetACLRequest, write=True)
def set_acl(zk, cnxn, req, zxid, time) -> bytes:
    path = req.path
    bad_path(path)
    acl = fixup_acl(path, cnxn.auth_info, req.acl)
    node = zk.tree.nodes.get(path)
    if node is None:
        raise ZKError(Code.NONODE, path)
    check_acl(node.acl, ADMIN, cnxn.auth_info, path)
    aversion = check_and_inc_version(node.aversion, req.version, path)
    return zk.tree.set_acl(path, acl, aversion).stat()


def apply_check(zk, cnxn, req) -> Znode:
    path = req.path
    bad_path(path)
    node = zk.tree.nodes.get(path)
    if node is None:
        raise ZKError(Code.NONODE, path)
    check_acl(node.acl, READ, cnxn.auth_info, path)
    check_and_inc_version(node.version, req.version, path)
    return node


@op(OpCode.check, "check", PathVersionRequest, write=True)
def check(zk, cnxn, req, zxid, time) -> bytes:
    return apply_check(zk, cnxn, req).stat()


# ---------------------------------------------------------------------------------------------
# reads


@op(OpCode.exists, "exists", PathWatchRequest)
def exists(zk, cnxn, req) -> bytes:
    path = req.path
    if "\0" in path:
        raise ZKError(Code.BADARGUMENTS)
    if req.watch:
        zk.data_watches.add(path, cnxn)
    node = zk.tree.nodes.get(path)
    if node is None:
        raise ZKError(Code.NONODE, path)
    return node.stat()


def read_data(zk, cnxn, req) -> bytes:
    path = req.path
    node = zk.tree.nodes.get(path)
    if node is None:
        raise ZKError(Code.NONODE, path)
    check_acl(node.acl, READ, cnxn.auth_info, path)
    if req.watch:
        zk.data_watches.add(path, cnxn)
    return write_buffer(node.data) + node.stat()


op(OpCode.getData, "getData", PathWatchRequest)(read_data)


def read_children(zk, cnxn, req, with_stat: bool) -> bytes:
    path = req.path
    node = zk.tree.nodes.get(path)
    if node is None:
        raise ZKError(Code.NONODE, path)
    check_acl(node.acl, READ, cnxn.auth_info, path)
    if req.watch:
        zk.child_watches.add(path, cnxn)
    body = node.children_vector()
    return body + node.stat() if with_stat else body


@op(OpCode.getChildren, "getChildren", PathWatchRequest)
def get_children(zk, cnxn, req) -> bytes:
    return read_children(zk, cnxn, req, False)


@op(OpCode.getChildren2, "getChildren2", PathWatchRequest)
def get_children2(zk, cnxn, req) -> bytes:
    return read_children(zk, cnxn, req, True)


@op(OpCode.getACL, "getACL", PathRequest)
def get_acl(zk, cnxn, req) -> bytes:
    path = req.path
    node = zk.tree.nodes.get(path)
    if node is None:
        raise ZKError(Code.NONODE, path)
    check_acl(node.acl, READ | ADMIN, cnxn.auth_info, path)
    try:
        check_acl(node.acl, ADMIN, cnxn.auth_info, path)
        acl = list(node.acl)
    except ZKError:
        acl = redact(node.acl)
    return write_acl_vector(acl) + node.stat()


@op(OpCode.getAllChildrenNumber, "getAllChildrenNumber", PathRequest)
def get_all_children_number(zk, cnxn, req) -> bytes:
    path = req.path
    node = zk.tree.nodes.get(path)
    if node is None:
        raise ZKError(Code.NONODE, path)
    check_acl(node.acl, READ, cnxn.auth_info, path)
    return _pack_int(zk.tree.all_children_number(path))


@op(OpCode.getEphemerals, "getEphemerals", PathRequest)
def get_ephemerals(zk, cnxn, req) -> bytes:
    prefix = req.path
    paths = zk.tree.ephemerals_of(cnxn.session_id)
    if prefix and prefix != "/":
        paths = [p for p in paths if p.startswith(prefix)]
    return write_string_vector(list(paths))


@op(OpCode.sync, "sync", PathRequest)
def sync(zk, cnxn, req) -> bytes:
    return write_ustring(req.path)
