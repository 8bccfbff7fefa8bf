"""The replica side (replication.c's connectWithMaster, syncWithMaster, readSyncBulkPayload,
replicationCron): the link to the master.

:class:`MasterLink` is the sans-I/O session of the outbound connection.  It runs the handshake
(``PING``, ``AUTH``, ``REPLCONF listening-port``/``capa eof``/``capa psync2`` pipelined,
``PSYNC <replid> <offset>``), receives the RDB of a full sync (``$<len>`` or the diskless
``$EOF:<mark>`` form, ignoring the master's newline keep-alives), has it loaded (into a fresh
dataset swapped in only when the whole file loaded), then applies the command stream.  Every
command is counted in the replication offset only once applied (a MULTI only at its EXEC), and
exactly those bytes are proxied to this server's backlog and its own replicas.

:class:`ReplicaSide` owns the link's life: connecting, timeouts, reconnecting every second,
``REPLCONF ACK`` every second, and what INFO and ROLE say about it.
"""

from __future__ import annotations

import logging
from typing import Any

import hiredis

from polystack.redis.replication.state import NULL_REPLID, ReplicationState, encode_command

log = logging.getLogger(__name__)

# repl_state (server.h's REPL_STATE_*) and what ROLE calls it.
NONE = "none"
CONNECT = "connect"
CONNECTING = "connecting"
RECEIVE_PING_REPLY = "receive_ping_reply"
RECEIVE_AUTH_REPLY = "receive_auth_reply"
RECEIVE_PORT_REPLY = "receive_port_reply"
RECEIVE_IP_REPLY = "receive_ip_reply"
RECEIVE_CAPA_REPLY = "receive_capa_reply"
RECEIVE_PSYNC_REPLY = "receive_psync_reply"
TRANSFER = "transfer"
CONNECTED = "connected"
ROLE_STATE = {
    NONE: "none",
    CONNECT: "connect",
    CONNECTING: "connecting",
    TRANSFER: "sync",
    CONNECTED: "connected",
}


class LinkError(Exception):
    """The master sent something this replica cannot go on with; the link is dropped."""


def command_size(argv: list[bytes]) -> int:
    """The bytes a command takes as a RESP multibulk (a master always sends that form)."""
    n = len(b"*%d\r\n" % len(argv))
    for a in argv:
        n += len(a) + len(b"$%d\r\n" % len(a)) + 2
    return n


class MasterLink:
    """The session of the connection to the master (sans-I/O: bytes in, bytes out)."""

    def __init__(self, side: ReplicaSide, peer: Any) -> None:
        self.side = side
        self.peer = peer
        self.state = CONNECTING
        self.buf = bytearray()
        self.expect: list[str] = []
        self.transfer_size = -1  # -1: not known yet; -2: EOF-marked
        self.eof_mark = b""
        self.rdb = bytearray()
        self.master_replid = ""
        self.master_offset = -1
        self.reader: Any = None
        self.raw = bytearray()  # stream bytes received and not yet applied
        self.db = 0
        self.multi: list[tuple[int, list[bytes]]] | None = None
        self.multi_size = 0
        self.closed = False
        side.link_connected(self)
        self._send_handshake_ping()

    # -- the runtime's interface ------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        if self.closed:
            return
        self.side.last_io = self.side.clock.monotonic()
        try:
            if self.state == CONNECTED:
                self._stream(data)
            else:
                self.buf += data
                self._advance()
        except LinkError as e:
            log.warning("%s", e)
            self.drop()
        except (ValueError, TypeError, IndexError, UnicodeDecodeError) as e:
            log.warning("Protocol error from MASTER (%s): dropping the link", e)
            self.drop()

    def connection_lost(self) -> None:
        if not self.closed:
            self.closed = True
            self.side.link_lost(self)

    def shutdown(self, reason: str) -> None:
        self.drop()

    def drop(self) -> None:
        if not self.closed:
            self.closed = True
            self.peer.abort()
            self.side.link_lost(self)

    def send(self, *argv: bytes) -> None:
        self.peer.write_stateless(encode_command(argv))

    # -- handshake --------------------------------------------------------------------------
    def _send_handshake_ping(self) -> None:
        self.state = RECEIVE_PING_REPLY
        self.send(b"PING")

    def _line(self) -> bytes | None:
        nl = self.buf.find(b"\n")
        if nl < 0:
            return None
        line = bytes(self.buf[:nl]).rstrip(b"\r")
        del self.buf[: nl + 1]
        return line

    def _advance(self) -> None:
        while not self.closed and self.state not in (CONNECTED,):
            if self.state == TRANSFER:
                self._transfer()
                return
            line = self._line()
            if line is None:
                return
            if self.state == RECEIVE_PSYNC_REPLY and not line:
                continue  # newline keep-alive while the master prepares the RDB
            self._reply(line)
        if self.state == CONNECTED and self.buf:
            rest = bytes(self.buf)
            self.buf.clear()
            self._stream(rest)

    def _reply(self, line: bytes) -> None:
        if self.state == RECEIVE_PING_REPLY:
            if line.startswith(b"-") and not (
                line.startswith(b"-NOAUTH")
                or line.startswith(b"-NOPERM")
                or line.startswith(b"-ERR operation not permitted")
            ):
                raise LinkError(f"Error reply to PING from master: '{_text(line)}'")
            log.info("Master replied to PING, replication can continue...")
            self._send_handshake()
            return
        if self.state == RECEIVE_AUTH_REPLY:
            if line.startswith(b"-"):
                raise LinkError(f"Unable to AUTH to MASTER: {_text(line)}")
            self._next_handshake_reply()
            return
        if self.state == RECEIVE_PORT_REPLY:
            if line.startswith(b"-"):
                log.info(
                    "(Non critical) Master does not understand REPLCONF listening-port: %s",
                    _text(line),
                )
            self._next_handshake_reply()
            return
        if self.state == RECEIVE_IP_REPLY:
            if line.startswith(b"-"):
                log.info(
                    "(Non critical) Master does not understand REPLCONF ip-address: %s",
                    _text(line),
                )
            self._next_handshake_reply()
            return
        if self.state == RECEIVE_CAPA_REPLY:
            if line.startswith(b"-"):
                log.info("(Non critical) Master does not understand REPLCONF capa: %s", _text(line))
            self._send_psync()
            return
        if self.state == RECEIVE_PSYNC_REPLY:
            self._psync_reply(line)
            return
        raise LinkError(f"Unexpected reply from master: '{_text(line)}'")

    def _send_handshake(self) -> None:
        side = self.side
        cfg = side.config
        out = []
        self.expect = []
        if cfg.masterauth:
            if cfg.masteruser:
                out.append(
                    encode_command([b"AUTH", cfg.masteruser.encode(), cfg.masterauth.encode()])
                )
            else:
                out.append(encode_command([b"AUTH", cfg.masterauth.encode()]))
            self.expect.append(RECEIVE_AUTH_REPLY)
        port = cfg.replica_announce_port or side.listening_port()
        out.append(encode_command([b"REPLCONF", b"listening-port", b"%d" % port]))
        self.expect.append(RECEIVE_PORT_REPLY)
        if cfg.replica_announce_ip:
            out.append(
                encode_command([b"REPLCONF", b"ip-address", cfg.replica_announce_ip.encode()])
            )
            self.expect.append(RECEIVE_IP_REPLY)
        out.append(encode_command([b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"]))
        self.expect.append(RECEIVE_CAPA_REPLY)
        self.peer.write_stateless(b"".join(out))
        self.state = self.expect.pop(0)

    def _next_handshake_reply(self) -> None:
        self.state = self.expect.pop(0)

    def _send_psync(self) -> None:
        replid, offset = self.side.psync_args()
        if replid == "?":
            log.info("Partial resynchronization not possible (no cached master)")
        else:
            log.info("Trying a partial resynchronization (request %s:%d).", replid, offset)
        if self.side.failover_psync:
            self.send(b"PSYNC", replid.encode(), b"%d" % offset, b"FAILOVER")
        else:
            self.send(b"PSYNC", replid.encode(), b"%d" % offset)
        self.state = RECEIVE_PSYNC_REPLY

    def _psync_reply(self, line: bytes) -> None:
        side = self.side
        if line.startswith(b"+FULLRESYNC"):
            parts = line.split()
            if len(parts) < 3 or len(parts[1]) != 40:
                raise LinkError(f"Master replied with wrong +FULLRESYNC syntax: '{_text(line)}'")
            self.master_replid = parts[1].decode()
            try:
                self.master_offset = int(parts[2])
            except ValueError:
                raise LinkError("Master replied with wrong +FULLRESYNC syntax.") from None
            log.info("Full resync from master: %s:%d", self.master_replid, self.master_offset)
            self.state = TRANSFER
            side.sync_started()
            side.failover_result(True)
            return
        if line.startswith(b"+CONTINUE"):
            parts = line.split()
            new_id = parts[1].decode() if len(parts) > 1 and len(parts[1]) == 40 else ""
            log.info("Successful partial resynchronization with master.")
            side.continue_sync(new_id)
            self._start_stream()
            side.failover_result(True)
            return
        if line.startswith(b"-NOMASTERLINK") or line.startswith(b"-LOADING"):
            raise LinkError(
                f"Master is currently unable to PSYNC but should be in the future: {_text(line)}"
            )
        raise LinkError(f"Unexpected reply to PSYNC from master: {_text(line)}")

    # -- the RDB ----------------------------------------------------------------------------
    def _transfer(self) -> None:
        side = self.side
        if self.transfer_size == -1:
            while self.buf[:1] == b"\n":  # keep-alives before the payload
                del self.buf[:1]
            line = self._line()
            if line is None:
                return
            if line.startswith(b"-"):
                raise LinkError(f"MASTER aborted replication with an error: {_text(line)}")
            if not line.startswith(b"$"):
                raise LinkError(
                    "Bad protocol from MASTER, the first byte is not '$' (we received "
                    f"'{_text(line)}'), are you sure the host and port are right?"
                )
            if line.startswith(b"$EOF:"):
                self.eof_mark = line[5:]
                if len(self.eof_mark) != 40:
                    raise LinkError("Bad EOF mark from MASTER")
                self.transfer_size = -2
                log.info(
                    "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
                )
            else:
                try:
                    self.transfer_size = int(line[1:])
                except ValueError:
                    raise LinkError(f"Bad bulk length from MASTER: '{_text(line)}'") from None
                log.info(
                    "MASTER <-> REPLICA sync: receiving %d bytes from master to disk",
                    self.transfer_size,
                )
            side.sync_total = max(self.transfer_size, 0)
        if self.buf:
            self.rdb += self.buf
            self.buf.clear()
        side.sync_read = len(self.rdb)
        if self.transfer_size >= 0:
            if len(self.rdb) < self.transfer_size:
                return
            rest = bytes(self.rdb[self.transfer_size :])
            payload = bytes(self.rdb[: self.transfer_size])
        else:
            end = self.rdb.find(
                self.eof_mark, max(0, len(self.rdb) - len(self.eof_mark) - (1 << 21))
            )
            if end < 0:
                return
            rest = bytes(self.rdb[end + len(self.eof_mark) :])
            payload = bytes(self.rdb[:end])
        self.rdb = bytearray()
        log.info("MASTER <-> REPLICA sync: Flushing old data")
        if not side.load_rdb(payload, self.master_replid, self.master_offset):
            raise LinkError("Failed trying to load the MASTER synchronization DB from socket")
        log.info("MASTER <-> REPLICA sync: Finished with success")
        self._start_stream()
        if rest:
            self._stream(rest)

    # -- the command stream -----------------------------------------------------------------
    def _start_stream(self) -> None:
        self.state = CONNECTED
        self.reader = hiredis.Reader()
        self.raw = bytearray()
        self.db = self.side.stream_db()
        self.side.link_up(self)

    def _stream(self, data: bytes) -> None:
        if not data:
            return
        reader = self.reader
        reader.feed(data)
        self.raw += data
        batch: list[tuple[int, list[bytes]]] = []
        applied = 0  # bytes of self.raw whose commands are in ``batch`` or done
        try:
            while True:
                argv = reader.gets()
                if argv is False:
                    break
                if type(argv) is not list or not argv or any(type(a) is not bytes for a in argv):
                    raise LinkError("Protocol error from MASTER: expected a command")
                size = command_size(argv)
                name = argv[0].lower()
                if self.multi is not None:  # counted only once the transaction is complete
                    self.multi_size += size
                    if name == b"exec":
                        batch.extend(self.multi)
                        self.multi = None
                        applied += self.multi_size
                        self.multi_size = 0
                    elif name == b"discard":
                        self.multi = None
                        applied += self.multi_size
                        self.multi_size = 0
                    elif name == b"select" and len(argv) == 2:
                        self.db = _db(argv[1])
                    else:
                        self.multi.append((self.db, argv))
                    continue
                if name == b"multi":
                    self.multi = []
                    self.multi_size = size
                    continue
                if name == b"select" and len(argv) == 2:
                    self.db = _db(argv[1])
                elif name == b"ping":
                    pass
                elif name == b"replconf" and len(argv) >= 2 and argv[1].lower() == b"getack":
                    # The ACK counts what was applied before this command.
                    self._commit(batch, applied)
                    batch, applied = [], 0
                    self.send_ack()
                else:
                    batch.append((self.db, argv))
                applied += size
        except hiredis.ProtocolError as e:
            raise LinkError(f"Protocol error from MASTER: {e}") from None
        self._commit(batch, applied)

    def _commit(self, batch: list[tuple[int, list[bytes]]], nbytes: int) -> None:
        """Apply ``batch`` and count its ``nbytes`` (proxied to our backlog and replicas)."""
        if batch:
            self.side.apply(batch)
        if nbytes:
            chunk = bytes(self.raw[:nbytes])
            del self.raw[:nbytes]
            self.side.applied_stream(chunk)

    def send_ack(self) -> None:
        if self.state == CONNECTED and not self.closed:
            self.send(b"REPLCONF", b"ACK", b"%d" % self.side.state.offset)


class ReplicaSide:
    """The replica's view of its master: where it is, the link, the sync in progress."""

    def __init__(self, server: Any, state: ReplicationState) -> None:
        self.server = server
        self.state = state
        self.clock = server.clock
        self.master_host: str | None = None
        self.master_port = 0
        self.repl_state = NONE
        self.link: MasterLink | None = None
        self.connecting = False
        self.last_io = 0.0
        self.down_since: float | None = None
        self.sync_in_progress = False
        self.sync_total = 0
        self.sync_read = 0
        self.sync_started_at = 0.0
        self.connect_fn: Any = None  # the service's: connect(host, port) -> starts a MasterLink
        self.psync_id = "?"  # what the next PSYNC asks for (a cached master, or ourselves)
        self.psync_offset = -1
        self._last_ack = 0.0
        self.link_up_since = 0.0
        self.failover_psync = False  # the next PSYNC asks the master to take over (FAILOVER)

    @property
    def config(self) -> Any:
        return self.server.config

    # -- REPLICAOF ----------------------------------------------------------------------------
    def set_master(self, host: str, port: int) -> None:
        """replicationSetMaster: follow ``host:port`` (our own data may PSYNC with it)."""
        self._drop_link()
        self.master_host, self.master_port = host, port
        self.repl_state = CONNECT
        self.down_since = self.clock.monotonic()
        # replicationCacheMasterUsingMyself: PSYNC with our own id and offset (a replica's are
        # its master's), so a promoted sibling can continue our stream
        self.psync_id = self.state.replid
        self.psync_offset = self.state.offset + 1
        log.info("Connecting to MASTER %s:%d", host, port)
        self.connect()

    def unset_master(self) -> None:
        """replicationUnsetMaster (REPLICAOF NO ONE)."""
        if self.master_host is None:
            return
        self._drop_link()
        self.master_host = None
        self.repl_state = NONE
        self.down_since = None
        self.sync_in_progress = False

    def _drop_link(self) -> None:
        link = self.link
        self.link = None
        if link is not None:
            link.closed = True
            link.peer.abort()

    # -- the connection -----------------------------------------------------------------------
    def connect(self) -> None:
        if self.master_host is None or self.connecting or self.link is not None:
            return
        self.connecting = True
        self.repl_state = CONNECTING
        self.connect_fn(self.master_host, self.master_port)

    def failover_result(self, ok: bool) -> None:
        if self.failover_psync:
            self.failover_psync = False
            self.server.failover.psync_done(ok)

    def connect_failed(self, error: str) -> None:
        self.failover_result(False)
        self.connecting = False
        if self.master_host is not None:
            log.warning("Error condition on socket for SYNC: %s", error)
            self.repl_state = CONNECT

    def link_connected(self, link: MasterLink) -> None:
        self.connecting = False
        if self.master_host is None:
            link.closed = True
            link.peer.abort()
            return
        self._drop_link()
        self.link = link
        log.info("MASTER <-> REPLICA sync started")

    def link_lost(self, link: MasterLink) -> None:
        if self.link is not link:
            return
        self.link = None
        self.failover_result(False)
        if self.repl_state == CONNECTED:
            log.info("Connection with master lost.")
            # Our id and offset are now the cached master's: PSYNC from where we are.
            self.psync_id = self.state.replid
            self.psync_offset = self.state.offset + 1
            self.down_since = self.clock.monotonic()
            self.server.master_link_down()
        self.sync_in_progress = False
        if self.master_host is not None:
            self.repl_state = CONNECT

    def listening_port(self) -> int:
        return self.server.listening_port()

    def psync_args(self) -> tuple[str, int]:
        if self.psync_id == "?" or self.psync_id == NULL_REPLID:
            return "?", -1
        return self.psync_id, self.psync_offset

    # -- sync -------------------------------------------------------------------------------
    def sync_started(self) -> None:
        self.repl_state = TRANSFER
        self.sync_in_progress = True
        self.sync_total = 0
        self.sync_read = 0
        self.sync_started_at = self.clock.monotonic()

    def load_rdb(self, payload: bytes, replid: str, offset: int) -> bool:
        """The full sync's RDB: loaded into a fresh dataset that replaces ours only when the
        whole file loaded; then our replication id and offset are the master's."""
        if not self.server.load_synced_rdb(payload):
            self.sync_in_progress = False
            return False
        st = self.state
        st.replid = replid
        st.clear_replid2()
        st.offset = offset
        st.free_backlog()
        st.create_backlog()
        self.sync_in_progress = False
        self.server.replicas_must_resync()
        return True

    def continue_sync(self, new_id: str) -> None:
        """+CONTINUE: the stream goes on from our offset (under the master's id if it
        changed: ours becomes replid2, as a PSYNC2 sibling must accept it)."""
        st = self.state
        if new_id and new_id != st.replid:
            st.replid2 = st.replid
            st.second_replid_offset = st.offset + 1
            st.replid = new_id
            log.info("Master replication ID changed to %s", new_id)
            self.server.replicas_must_resync()
        st.create_backlog()

    def stream_db(self) -> int:
        return max(self.state.seldb, 0) if self.state.seldb >= 0 else 0

    def link_up(self, link: MasterLink) -> None:
        self.repl_state = CONNECTED
        self.down_since = None
        self.link_up_since = self.clock.monotonic()
        self.psync_id = self.state.replid
        self.server.master_link_up(link.peer)
        self.server.update_write_denied()
        link.send_ack()

    def apply(self, batch: list[tuple[int, list[bytes]]]) -> None:
        self.server.apply_from_master(batch)

    def applied_stream(self, chunk: bytes) -> None:
        self.state.feed_raw(chunk)

    # -- replicationCron ----------------------------------------------------------------------
    def cron(self) -> None:
        if self.master_host is None:
            return
        now = self.clock.monotonic()
        link = self.link
        timeout = self.config.repl_timeout
        if link is None:
            if not self.connecting:
                self.connect()
            return
        if link.state != CONNECTED and now - self.last_io > timeout:
            log.warning("Timeout connecting to the MASTER...")
            link.drop()
            return
        if link.state == CONNECTED:
            if now - self.last_io > timeout:
                log.warning("MASTER timeout: no data nor PING received...")
                link.drop()
                return
            if now - self._last_ack >= 1:
                self._last_ack = now
                link.send_ack()

    # -- INFO / ROLE ----------------------------------------------------------------------------
    def info_lines(self) -> list[str]:
        now = self.clock.monotonic()
        up = self.repl_state == CONNECTED
        lines = [
            f"master_host:{self.master_host}",
            f"master_port:{self.master_port}",
            f"master_link_status:{'up' if up else 'down'}",
            f"master_last_io_seconds_ago:{int(now - self.last_io) if up else -1}",
            f"master_sync_in_progress:{int(self.sync_in_progress)}",
            f"slave_read_repl_offset:{self.state.offset}",
            f"slave_repl_offset:{self.state.offset}",
        ]
        if self.sync_in_progress:
            total = self.sync_total
            read = self.sync_read
            perc = (read * 100 / total) if total else 0
            lines += [
                f"master_sync_total_bytes:{total if total else -1}",
                f"master_sync_read_bytes:{read}",
                f"master_sync_left_bytes:{total - read if total else -1}",
                f"master_sync_perc:{perc:.2f}",
                f"master_sync_last_io_seconds_ago:{int(now - self.last_io)}",
            ]
        if not up:
            since = self.down_since
            lines.append(
                f"master_link_down_since_seconds:{int(now - since) if since is not None else -1}"
            )
        return lines

    def role(self) -> list[Any]:
        state = ROLE_STATE.get(self.repl_state, "handshake")
        offset = self.state.offset if self.repl_state == CONNECTED else -1
        return [
            b"slave",
            (self.master_host or "").encode(),
            self.master_port,
            state.encode(),
            offset,
        ]


def _db(arg: bytes) -> int:
    try:
        return int(arg)
    except ValueError:
        raise LinkError("Bad SELECT from MASTER") from None


def _text(line: bytes) -> str:
    return line.decode("utf-8", "replace")
