"""One client connection, sans-I/O: framing, dispatch through the command table, replies.

Requests on a connection are answered in order.  A command whose reply must wait (an awaitable
``hello``, a ``getMore`` on an awaitData cursor) parks the connection: later requests stay
buffered (and reading is paused) until the reply has been sent.  Exhaust: a ``getMore`` or a
``hello`` sent with ``exhaustAllowed`` is answered with ``moreToCome`` replies, each one
answering the previous, until the cursor is exhausted (or the connection closes).

A write with ``j: true`` or ``w: "majority"`` is acknowledged only after its log record is on
disk.  Errors from commands become ``{ok: 0, errmsg, code, codeName}``; a broken stream
(bad length, illegal OP_MSG flags, a checksum mismatch) closes this connection only.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bson.binary import Binary
from bson.int64 import Int64

from . import memory, wire
from .commands import lookup
from .commands.context import ClientInfo, CommandContext, Deferred, op_document
from .commands.sessions import touch_session
from .errors import MongoError, ProtocolViolation
from .mongod import MongoServer
from .oplog import to_timestamp

log = logging.getLogger(__name__)
security_log = logging.getLogger("polystack.security")

HTTP_PREFIXES = (b"GET ", b"POST", b"PUT ", b"HEAD", b"DELE", b"OPTI", b"PATC", b"CONN", b"TRAC")
HTTP_REPLY = (
    b"HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 85"
    b"\r\n\r\nIt looks like you are trying to access MongoDB over HTTP on the native driver port."
    b"\r\n"
)
NO_COMPRESSION = frozenset(
    {"hello", "isMaster", "ismaster", "saslStart", "saslContinue", "getnonce", "authenticate",
     "createUser", "updateUser", "copydbSaslStart", "copydbgetnonce", "copydb"}
)  # fmt: skip
_SIGNATURE = {"hash": Binary(bytes(20), 0), "keyId": Int64(0)}
_TIME_CACHE: dict[int, tuple[dict[str, Any], Any]] = {}
GENERIC_ARGS = frozenset(
    {"$db", "lsid", "txnNumber", "$clusterTime", "$readPreference", "readConcern",
     "writeConcern", "comment", "maxTimeMS", "apiVersion", "apiStrict", "apiDeprecationErrors",
     "autocommit", "startTransaction", "$audit", "$client", "mirrored", "$configServerState",
     "clientOperationKey", "stmtId", "stmtIds", "txnRetryCounter", "maxTimeMSOpOnly",
     "readOnce", "databaseVersion", "shardVersion", "tracking_info", "ordered"}
)  # fmt: skip


class MongoSession:
    """Implements the runtime's Session protocol for one MongoDB client connection."""

    __slots__ = (
        "server",
        "peer",
        "decoder",
        "client",
        "closed",
        "waiting",
        "_timer",
        "_next_id",
        "durable",
        "_first",
        "_durable",
        "_exhausting",
        "__weakref__",
    )

    def __init__(self, server: MongoServer, peer: Any, durable: Any = None) -> None:
        self.server = server
        self.peer = peer
        self.decoder = wire.MessageDecoder(server.settings.max_message_size)
        server.total_connections += 1
        conn_id = server.total_connections
        remote = ""
        pn = getattr(peer, "peername", None)
        if pn:
            remote = f"{pn[0]}:{pn[1]}"
        self.client = ClientInfo(conn_id, remote)
        server.connections[conn_id] = self
        self.closed = False
        self.waiting: Deferred | None = None
        self._timer: Any = None
        self._next_id = 1
        # called with a callback to run once every log record written so far is on disk
        self.durable = durable
        self._first = True
        # (log, seq): the next reply is sent once that record is fsynced (j:true, majority)
        self._durable: tuple[Any, int] | None = None
        # an exhaust cursor paused by flow control: (request, last reply id)
        self._exhausting: tuple[wire.Request, int] | None = None

    # -- the runtime's Session protocol --------------------------------------------------------
    def feed(self, data: bytes) -> None:
        if self.closed:
            return
        if self._first:
            self._first = False
            if data[:4] in HTTP_PREFIXES:
                security_log.warning(
                    "mongo: closing connection %s: an HTTP request arrived on the MongoDB port",
                    self.client.remote,
                )
                self.peer.write(HTTP_REPLY)
                self._close()
                return
        self.decoder.feed(data)
        self._process()

    def connection_lost(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._cancel_wait()
        self.server.connections.pop(self.client.conn_id, None)

    # -- processing ----------------------------------------------------------------------------
    def _process(self) -> None:
        dec = self.decoder
        output_full = getattr(self.peer, "output_full", None)
        while not self.closed and self.waiting is None:
            if output_full is not None and output_full():
                # the client is not reading its replies: keep its requests until it does
                # (resume_writing continues here)
                return
            try:
                msg = dec.next_message()
            except ProtocolViolation as e:
                log.info("mongo: closing connection %s: %s", self.client.remote, e)
                self._close()
                return
            if msg is None:
                return
            request_id, response_to, op_code, payload = msg
            try:
                self._handle_message(request_id, response_to, op_code, payload)
            except ProtocolViolation as e:
                log.info("mongo: closing connection %s: %s", self.client.remote, e)
                self._close()
                return
            if len(payload) > memory.LARGE_REQUEST:
                self.server.schedule_trim()
        if self.waiting is not None and dec.buffered:
            self.peer.pause_reading()

    def _reply_id(self) -> int:
        rid = self._next_id
        self._next_id += 1
        return rid

    def _handle_message(
        self, request_id: int, response_to: int, op_code: int, payload: bytes | memoryview
    ) -> None:
        if op_code in wire.LEGACY_OPCODES:
            name = wire.LEGACY_OPCODES[op_code]
            if op_code in (wire.OP_GET_MORE, wire.OP_KILL_CURSORS):
                self._legacy_error(request_id)
                return
            log.info("mongo: %s from %s is no longer supported; ignored", name, self.client.remote)
            return
        try:
            req = wire.parse_message(
                request_id, op_code, payload, response_to, self.server.settings.max_message_size
            )
        except MongoError as e:
            if op_code == wire.OP_QUERY:
                self._send(
                    wire.op_reply(
                        request_id, [wire.encode_document(e.to_reply())], self._reply_id()
                    )
                )
            else:
                self._send(
                    wire.op_msg(
                        request_id,
                        wire.encode_document(self._decorate(e.to_reply(), 0)),
                        self._reply_id(),
                    )
                )
            return
        if req.op_code == wire.OP_QUERY:
            self._handle_op_query(req)
            return
        self._handle_op_msg(req)

    def _legacy_error(self, request_id: int) -> None:
        doc = {
            "$err": "OP_QUERY is no longer supported. The client driver may require an upgrade. "
            f"For more details see {wire.LEGACY_OPCODE_URL}",
            "code": 5739101,
            "ok": 0.0,
        }
        self._send(
            wire.op_reply(request_id, [wire.encode_document(doc)], self._reply_id(), flags=2)
        )

    def _handle_op_query(self, req: wire.Request) -> None:
        ns = req.full_collection_name
        if not ns.endswith(".$cmd"):
            self._legacy_error(req.request_id)
            return
        name = req.command_name
        if name not in wire.OP_QUERY_ALLOWED and name not in wire.OP_QUERY_TEMPORARILY_ALLOWED:
            err = MongoError(
                352,
                f"Unsupported OP_QUERY command: {name}. The client driver may require an "
                f"upgrade. For more details see {wire.LEGACY_OPCODE_URL}",
            )
            reply: Any = err.to_reply()
        else:
            req.body.setdefault("$db", ns[: -len(".$cmd")])
            reply = self._run(req)
            if isinstance(reply, Deferred):
                reply = reply.build()
        body = reply if isinstance(reply, bytes) else wire.encode_document(reply)
        self._send(wire.op_reply(req.request_id, [body], self._reply_id()), req)

    def _handle_op_msg(self, req: wire.Request) -> None:
        reply = self._run(req)
        if isinstance(reply, Deferred):
            self._park(req, reply)
            return
        if req.more_to_come:
            return
        if req.exhaust_allowed and req.command_name == "getMore" and _cursor_open(reply):
            # exhaust: this reply and the ones after it carry moreToCome until the last batch
            rid = self._reply_id()
            self._send(wire.op_msg(req.request_id, reply, rid, wire.MORE_TO_COME), req)
            self._continue_exhaust(req, rid)
            return
        self._send(wire.op_msg(req.request_id, reply, self._reply_id(), 0), req)

    # -- running a command ---------------------------------------------------------------------
    def _run(self, req: wire.Request) -> Any:
        """Run a request's command; returns encoded reply bytes or a Deferred."""
        server = self.server
        body = req.body
        name = req.command_name
        spec = lookup(name)
        started = time.perf_counter()
        ctx: CommandContext | None = None
        try:
            db = body.get("$db")
            if db is None:
                if req.op_code == wire.OP_MSG:
                    raise MongoError(40571, "OP_MSG requests require a $db argument")
                db = "admin"
            if not isinstance(db, str):
                raise MongoError(14, "BSON field '$db' is the wrong type, expected type 'string'")
            if spec is None:
                raise MongoError(59, f"no such command: '{name}'")
            server.command_counts[spec.name] += 1
            server.opcounters["command"] += (
                0 if spec.name in ("insert", "update", "delete", "find", "getMore") else 1
            )
            if spec.write and server.log_error:
                raise MongoError(
                    14031,
                    f"Insufficient disk space: the log cannot be written ({server.log_error})",
                )
            if spec.admin_only and db != "admin":
                raise MongoError(13, f"{spec.name} may only be run against the admin database.")
            if db != "admin" or spec.name not in ("hello", "isMaster"):
                server.storage.check_db_name(db) if db else None
            if body.get("startTransaction") or body.get("autocommit") is False:
                if spec.name not in ("commitTransaction", "abortTransaction"):
                    raise MongoError(
                        20,
                        "Multi-document transactions are not supported by polystack yet",
                    )
            wc = body.get("writeConcern")
            if wc is not None:
                _check_write_concern(wc)
            lsid = body.get("lsid")
            if lsid is not None:
                ctx_sessions = server.sessions
                if len(ctx_sessions) < 1_000_000:
                    touch_session_ctx(self, lsid)
            op_id = server.new_op_id()
            ctx = CommandContext(server, db, req, self.client, op_id)
            retry_key = _retry_key(spec.name, body)
            if retry_key is not None:
                cached = _retried(server, retry_key, body)
                if cached is not None:
                    return cached
            result = spec.handler(ctx, _merge_sequences(req))
            if isinstance(result, Deferred):
                self.client.current_op = op_document(ctx, body)
                return result
            out = self._finish(result, ctx, wc, spec.write)
            if retry_key is not None:
                server.retryable[retry_key] = (int(body["txnNumber"]), out)
        except MongoError as e:
            if spec is not None:
                server.command_failures[spec.name] += 1
            reply = e.to_reply()
            out = wire.encode_document(self._decorate(reply, ctx.write_ts if ctx else 0))
        except RecursionError:
            out = wire.encode_document(
                self._decorate(MongoError(15, "Exceeded depth limit").to_reply(), 0)
            )
        except Exception as e:  # a bug must not take the connection or the server down
            log.exception("mongo: command %s failed", name)
            if spec is not None:
                server.command_failures[spec.name] += 1
            out = wire.encode_document(
                self._decorate(
                    MongoError(1, f"internal error in {name}: {type(e).__name__}: {e}").to_reply(),
                    0,
                )
            )
        _ = started
        return out

    def _finish(self, result: Any, ctx: CommandContext, wc: Any, write: bool) -> bytes:
        extra: dict[str, Any] = {}
        if write and isinstance(wc, dict):
            w = wc.get("w", 1)
            if isinstance(w, str) and w != "majority":
                extra["writeConcernError"] = {
                    "code": 79,
                    "codeName": "UnknownReplWriteConcern",
                    "errmsg": f"No write concern mode named '{w}' found in replica set "
                    "configuration",
                    "errInfo": {"writeConcern": dict(wc, provenance="clientSupplied")},
                }
            elif not isinstance(w, str) and isinstance(w, int | float) and w > 1:
                extra["writeConcernError"] = {
                    "code": 100,
                    "codeName": "UnsatisfiableWriteConcern",
                    "errmsg": "Not enough data-bearing nodes",
                    "errInfo": {"writeConcern": dict(wc, provenance="clientSupplied")},
                }
            slog = ctx.storage.log
            if (wc.get("j") or w == "majority" or wc.get("fsync")) and slog is not None:
                # acknowledged once this write's log record is fsynced (and only this reply
                # waits); a write that changed nothing waits for what was appended before it
                rlog = slog.record_log
                if rlog.last_seq:
                    self._durable = (rlog, rlog.last_seq)
        if isinstance(result, bytes):
            fields = self._time_fields(ctx.write_ts)
            fields.update(extra)
            return wire.append_fields(result, fields)
        result.update(extra)
        if "ok" not in result:
            result["ok"] = 1.0
        return wire.encode_document(self._decorate(result, ctx.write_ts))

    def _time_fields(self, write_ts: int) -> dict[str, Any]:
        storage = self.server.storage
        last = storage.cluster.last
        cached = _TIME_CACHE.get(last) if last else None
        if cached is None:
            ts = to_timestamp(last) if last else storage.cluster.timestamp()
            cached = ({"clusterTime": ts, "signature": _SIGNATURE}, ts)
            if last:
                _TIME_CACHE.clear()
                _TIME_CACHE[last] = cached
        op = to_timestamp(write_ts) if write_ts and write_ts != last else cached[1]
        return {"$clusterTime": cached[0], "operationTime": op}

    def _decorate(self, reply: dict[str, Any], write_ts: int) -> dict[str, Any]:
        reply.update(self._time_fields(write_ts))
        return reply

    # -- sending -------------------------------------------------------------------------------
    def _send(self, message: bytes, req: wire.Request | None = None) -> None:
        if self.closed:
            return
        if req is not None and req.compressor_id > 0 and req.command_name not in NO_COMPRESSION:
            message = wire.compressed(message, req.compressor_id)
        durable = self._durable
        if durable is not None:
            self._durable = None
            self.peer.write_when_synced(durable[0], durable[1], message)
            return
        self.peer.write(message)

    # -- deferred replies ----------------------------------------------------------------------
    def _park(self, req: wire.Request, deferred: Deferred) -> None:
        self.waiting = deferred
        deferred.hook = lambda: self._fire(req, deferred)
        self._timer = self.server.clock.call_later(deferred.delay, deferred.hook)

    def _fire(self, req: wire.Request, deferred: Deferred) -> None:
        if deferred.done or self.closed:
            return
        deferred.done = True
        self.client.current_op = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.waiting = None
        try:
            result = deferred.build()
            out = (
                result
                if isinstance(result, bytes)
                else wire.encode_document(self._decorate({**result, "ok": 1.0}, 0))
            )
            if isinstance(result, bytes):
                out = wire.append_fields(result, self._time_fields(0))
        except MongoError as e:
            out = wire.encode_document(self._decorate(e.to_reply(), 0))
        streaming = req.exhaust_allowed and req.command_name in ("hello", "isMaster", "ismaster")
        rid = self._reply_id()
        flags = wire.MORE_TO_COME if streaming else 0
        self._send(wire.op_msg(req.request_id, out, rid, flags), req)
        if streaming and not self.closed:
            # the next reply answers this one, after another maxAwaitTimeMS
            nxt = wire.Request(
                rid, req.op_code, req.body, req.flags, req.sequences, req.compressor_id
            )
            reply = self._run(nxt)
            if isinstance(reply, Deferred):
                self._park(nxt, reply)
                return
            self._send(wire.op_msg(rid, reply, self._reply_id(), 0), nxt)
        if self.decoder.buffered:
            self.peer.resume_reading()
            self._process()
        else:
            self.peer.resume_reading()

    def _cancel_wait(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.waiting is not None:
            self.waiting.done = True
            self.waiting = None

    def kill_current(self) -> None:
        """killOp on a waiting operation: it answers 11601 Interrupted."""
        self.interrupt(11601, "operation was interrupted")

    def interrupt(self, code: int, message: str) -> None:
        """Answer a parked request with an error (shutdown: 11600 InterruptedAtShutdown)."""
        w = self.waiting
        if w is None or w.done:
            return

        def fail() -> Any:
            raise MongoError(code, message)

        w.build = fail
        w.wake()

    def _continue_exhaust(self, req: wire.Request, prev: int) -> None:
        self._exhausting = None
        while not self.closed:
            output_full = getattr(self.peer, "output_full", None)
            if output_full is not None and output_full():
                self._exhausting = (req, prev)
                return
            nxt = wire.Request(prev, req.op_code, req.body, req.flags, {}, req.compressor_id)
            reply = self._run(nxt)
            if isinstance(reply, Deferred):
                self._park(nxt, reply)
                return
            more = _cursor_open(reply)
            rid = self._reply_id()
            self._send(wire.op_msg(prev, reply, rid, wire.MORE_TO_COME if more else 0), req)
            prev = rid
            if not more:
                return

    # -- flow control and shutdown (the runtime's optional session hooks) -----------------------
    def pause_writing(self) -> None:
        pass

    def resume_writing(self) -> None:
        if self._exhausting is not None and not self.closed:
            req, prev = self._exhausting
            self._continue_exhaust(req, prev)
        if not self.closed and self._exhausting is None and self.waiting is None:
            self._process()

    def shutdown(self, reason: str) -> None:
        """The server is stopping: a waiting getMore or hello answers 11600
        InterruptedAtShutdown, then the connection closes once its output is sent."""
        self.interrupt(11600, "interrupted at shutdown")
        self._exhausting = None
        self._cancel_wait()
        if not self.closed:
            self.closed = True
            self.server.connections.pop(self.client.conn_id, None)
            self.peer.close()

    def _close(self) -> None:
        if self.closed:
            return
        self.connection_lost()
        self.peer.close()


def touch_session_ctx(session: MongoSession, lsid: Any) -> None:
    if type(lsid) is dict:
        i = lsid.get("id")
        if isinstance(i, bytes):
            session.server.sessions[bytes(i)] = session.server.clock.time_ms()


RETRYABLE = frozenset({"insert", "update", "delete", "findAndModify", "bulkWrite"})


def _retry_key(name: str, body: dict) -> bytes | None:
    """The session a retryable write belongs to (``lsid`` with ``txnNumber``, no transaction)."""
    if name not in RETRYABLE or "txnNumber" not in body or body.get("autocommit") is False:
        return None
    lsid = body.get("lsid")
    if type(lsid) is not dict or not isinstance(lsid.get("id"), bytes):
        return None
    return bytes(lsid["id"])


def _retried(server: MongoServer, key: bytes, body: dict) -> bytes | None:
    """A retry of the session's last write answers with that write's reply (it is not applied
    twice); an older txnNumber is refused with 225 TransactionTooOld."""
    seen = server.retryable.get(key)
    if seen is None:
        return None
    txn = int(body["txnNumber"])
    if txn == seen[0]:
        return seen[1]
    if txn < seen[0]:
        raise MongoError(
            225,
            f"Retryable write with txnNumber {txn} is prohibited on session "
            f"{key.hex()} because a newer retryable write with txnNumber {seen[0]} has "
            "already started on this session.",
        )
    return None


def _cursor_open(reply: bytes) -> bool:
    """Whether a cursor reply (``{cursor: {..., id}, ok}``) left its cursor open."""
    try:
        doc = wire.decode_document(reply)
    except MongoError:
        return False
    cursor = doc.get("cursor")
    return isinstance(cursor, dict) and bool(cursor.get("id")) and doc.get("ok") == 1.0


def _check_write_concern(wc: Any) -> None:
    if not isinstance(wc, dict):
        raise MongoError(14, "BSON field 'writeConcern' is the wrong type, expected type 'object'")
    w = wc.get("w", 1)
    if not isinstance(w, str | int | float) or isinstance(w, bool):
        raise MongoError(14, "w has to be a number or string")
    if isinstance(w, int | float) and w < 0:
        raise MongoError(
            9, f"w has to be a non-negative number and not greater than 50; found: {w}"
        )
    j = wc.get("j")
    if j is not None and not isinstance(j, bool | int | float):
        raise MongoError(14, "j must be numeric or a boolean value")
    if w == 0 and j:
        raise MongoError(9, "cannot use 'j' option with w: 0")


def _merge_sequences(req: wire.Request) -> dict:
    """The command document with its document sequences as arrays (decoded lazily by name)."""
    if not req.sequences:
        return req.body
    body = dict(req.body)
    for name in req.sequences:
        if name == "documents":
            continue  # insert reads the raw sequence itself
        body.setdefault(name, [wire.decode_document(d) for d in req.sequences[name]])
    return body


_ = touch_session
