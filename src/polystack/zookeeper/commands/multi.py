"""multi (atomic, all-or-nothing with per-op results) and multiRead."""

from __future__ import annotations

from ..defs import OpCode
from ..errors import Code, ZKError
from ..records import READ_OPS, MultiOperationRecord
from ..wire import INT, MULTI_HEADER, write_ustring
from . import data

_DONE = MULTI_HEADER.pack(-1, True, -1)
_pack_header = MULTI_HEADER.pack
_pack_int = INT.pack


def multi_op_code(t: int, rec) -> int:
    """The opcode ZooKeeper 3.8 gives a create inside a multi: MultiOperationRecord rebuilds it
    with Op.create(path, data, acl, flags), so the type follows the flags, not the opcode sent."""
    if t in (1, 15, 19, 21):
        flags = rec.flags
        if flags in (5, 6):
            return 21
        if flags == 4:
            return 19
        return 1
    return t


def _apply_one(zk, cnxn, t: int, rec, zxid: int, time: int) -> bytes:
    """Apply one op of a multi; returns its result (MultiHeader + body)."""
    t = multi_op_code(t, rec)
    if t == 1:
        path, _ = data.apply_create(zk, cnxn, 1, rec, zxid, time)
        return _pack_header(1, False, 0) + write_ustring(path)
    if t in (19, 21):
        path, node = data.apply_create(zk, cnxn, t, rec, zxid, time)
        return _pack_header(15, False, 0) + write_ustring(path) + node.stat()
    if t == 2:
        data.apply_delete(zk, cnxn, rec, zxid)
        return _pack_header(2, False, 0)
    if t == 20:
        data.apply_delete_container(zk, cnxn, rec, zxid)
        return _pack_header(2, False, 0)
    if t == 5:
        node = data.apply_set_data(zk, cnxn, rec, zxid, time)
        return _pack_header(5, False, 0) + node.stat()
    if t == 13:
        data.apply_check(zk, cnxn, rec)
        return _pack_header(13, False, 0)
    raise ZKError(Code.MARSHALLINGERROR)


def _error_result(code: int) -> bytes:
    return _pack_header(-1, False, code) + _pack_int(code)


from . import op  # noqa: E402


@op(OpCode.multi, "multi", MultiOperationRecord, write=True)
def multi(zk, cnxn, req, zxid, time) -> bytes:
    ops = req.ops
    for t, _ in ops:
        if t in READ_OPS:
            # MultiOperationRecord refuses to mix reads into a transaction
            raise ZKError(Code.MARSHALLINGERROR)
    tree = zk.tree
    tree.undo = []
    results: list[bytes] = []
    failed_at = -1
    failed_code = 0
    for i, (t, rec) in enumerate(ops):
        try:
            results.append(_apply_one(zk, cnxn, t, rec, zxid, time))
        except ZKError as e:
            failed_at = i
            failed_code = e.code
            break
    if failed_at < 0:
        tree.undo = None
        results.append(_DONE)
        return b"".join(results)
    tree.rollback()
    tree.events.clear()
    if tree.changes is not None:
        tree.changes.clear()
    out = [_error_result(0)] * failed_at
    out.append(_error_result(failed_code))
    out.extend([_error_result(int(Code.RUNTIMEINCONSISTENCY))] * (len(ops) - failed_at - 1))
    out.append(_DONE)
    return b"".join(out)


@op(OpCode.multiRead, "multiRead", MultiOperationRecord)
def multi_read(zk, cnxn, req) -> bytes:
    out: list[bytes] = []
    for t, _ in req.ops:
        if t not in READ_OPS:
            raise ZKError(Code.MARSHALLINGERROR)
    for t, rec in req.ops:
        try:
            if t == 8:
                out.append(_pack_header(8, False, 0) + data.read_children(zk, cnxn, rec, False))
            else:
                out.append(_pack_header(4, False, 0) + data.read_data(zk, cnxn, rec))
        except ZKError as e:
            out.append(_error_result(e.code))
    out.append(_DONE)
    return b"".join(out)
