"""Session-level ops: ping, whoAmI (and the ops the session itself drives: auth, closeSession)."""

from __future__ import annotations

from ..defs import OpCode
from ..errors import Code, ZKError
from ..records import AuthPacket, EmptyRequest, ReconfigRequest, SaslRequest
from ..wire import AUTH_XID, INT, NULL_LEN, PING_XID, write_ustring
from . import op


@op(OpCode.ping, "ping", EmptyRequest, special_xid=PING_XID)
def ping(zk, cnxn, req) -> bytes:
    return b""


@op(OpCode.whoAmI, "whoAmI", EmptyRequest)
def who_am_i(zk, cnxn, req) -> bytes:
    # ZooKeeper lists the connection's ip id after the ids added by addauth
    infos = [i for i in cnxn.auth_info if i.scheme != "ip"] + [
        i for i in cnxn.auth_info if i.scheme == "ip"
    ]
    parts = [INT.pack(len(infos))]
    for ident in infos:
        user = ident.id.split(":", 1)[0] if ident.scheme == "digest" else ident.id
        parts.append(write_ustring(ident.scheme))
        parts.append(write_ustring(user))
    return b"".join(parts)


@op(OpCode.auth, "auth", AuthPacket, special_xid=AUTH_XID)
def auth(zk, cnxn, req) -> bytes:
    return cnxn.add_auth(req)


@op(OpCode.closeSession, "closeSession", EmptyRequest, write=True)
def close_session(zk, cnxn, req, zxid, time) -> bytes:
    zk.kill_session(cnxn.session_id, zxid)
    return b""


@op(OpCode.reconfig, "reconfig", ReconfigRequest, write=True)
def reconfig(zk, cnxn, req, zxid, time) -> bytes:
    # dynamic reconfiguration is disabled (reconfigEnabled=false), as in a default ZooKeeper
    raise ZKError(Code.RECONFIGDISABLED)


@op(OpCode.sasl, "sasl", SaslRequest)
def sasl(zk, cnxn, req) -> bytes:
    # no SASL mechanism is configured: ZooKeeper answers with a null token (and zxid 0)
    return NULL_LEN
