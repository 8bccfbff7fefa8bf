"""What the broker writes to disk and reads back: definitions, persistent messages, acks.

The store is a directory of segment files (``NNNNNNNN.seg``), each a runtime record log (length +
CRC32C framing, group commit, fsync per batch).  Every segment starts with a snapshot of the
durable definitions (vhosts, users, permissions, durable exchanges, queues and bindings); later
records are, in order:

``T`` the wall-clock time (ms) of the ``P`` records after it (written when it changed, and at
the start of each segment): a recovered message's TTL counts from its first enqueue,
``D`` a definition change (JSON), ``P`` a persistent message published to durable queues (its
body inline: the segment is also where a paged-out body is read back from), ``A`` a message
that left a durable queue for good (queue id, message id), ``V`` deliveries
(recovered messages that had been delivered come back with the redelivered flag), ``B`` the body
of a transient message paged out of memory (ignored on recovery).

Recovery replays every segment from the oldest, truncating a torn tail of the newest and
refusing to start on corruption anywhere else (file and offset named).  It keeps message bodies
on disk (a message's location is enough), so a large backlog restarts without reading bodies into
memory.  A segment is deleted once no live message or paged body needs it and every older segment
is gone; a publisher confirm waits for the ``P`` record's fsync (``when_synced``).
"""

from __future__ import annotations

import base64
import json
import logging
import mmap
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crc32c import crc32c

from .exchange import Binding
from .message import LOCATION_SHIFT, Message, intern_bytes
from .table import decode_table, encode_table
from .wire import CONTENT_HEADER_S, summarize

OFFSET_MASK = (1 << LOCATION_SHIFT) - 1

log = logging.getLogger(__name__)

SEGMENT_BYTES = 64 * 1024 * 1024
HEADER = struct.Struct("<II")
PUB_HEAD = struct.Struct(">QH")  # msg id, number of queues
QID = struct.Struct(">I")
ACK = struct.Struct(">IQ")
U32 = struct.Struct(">I")
U16 = struct.Struct(">H")
U64 = struct.Struct(">Q")


class CorruptStore(RuntimeError):
    """A record in the middle of the store is damaged: start-up stops and names it."""


def _args(table: dict | None) -> str:
    return base64.b64encode(encode_table(table or {})).decode()


def _unargs(text: str) -> Any:
    return decode_table(base64.b64decode(text))[0]


class Segment:
    __slots__ = ("number", "path", "log", "fd", "size", "live", "seq_base")

    def __init__(self, number: int, path: Path) -> None:
        self.number = number
        self.path = path
        self.log: Any = None  # runtime RecordLog while the segment is appended to
        self.fd = -1
        self.size = 0
        self.live = 0
        self.seq_base = 0


class Store:
    """The AMQP broker's durable storage (see the module docstring)."""

    def __init__(self, directory: Path | str, fsync: str = "everysec", logs: Any = None) -> None:
        self.dir = Path(directory)
        self.fsync = fsync
        if logs is None:
            from polystack.runtime.log import LogGroup

            logs = LogGroup(name="amqp")
        self.logs = logs
        self.segments: dict[int, Segment] = {}
        self.current: Segment | None = None
        self.broker: Any = None
        self._seq_base = 0
        self._sync_waiting = False
        self._sync_target = 0
        self.recovered_messages = 0
        self.recovery_seconds = 0.0
        self.disk_reads = 0  # message bodies read back (RabbitMQ's disk_reads)
        self.disk_writes = 0  # messages written (persistent ones, paged bodies)
        self._time_mark = -1  # the last T record's time in the current segment
        self._tails: dict[tuple, bytes] = {}  # publish_run's record tails by route

    # -- sequence numbers ----------------------------------------------------------------------
    @property
    def last_seq(self) -> int:
        cur = self.current
        return cur.seq_base + cur.log.last_seq if cur is not None and cur.log else 0

    @property
    def durable_seq(self) -> int:
        """Every record up to this one is fsynced (older segments were synced when rolled)."""
        cur = self.current
        return cur.seq_base + cur.log.synced_seq if cur is not None and cur.log else 0

    def when_synced(self, seq: int, fn: Callable[[], None]) -> None:
        """Run ``fn`` once record ``seq`` (and everything before it) is fsynced; under
        ``everysec`` and ``no`` this asks for the fsync (one per loop turn covers them all)."""
        cur = self.current
        if cur is None or cur.log is None or seq <= self.durable_seq:
            fn()
            return
        cur.log.when_synced(seq - cur.seq_base, fn)

    # -- appending -------------------------------------------------------------------------------
    def _append(self, payload: bytes) -> tuple[int, int]:
        """Append a record; returns (global seq, file offset of the payload)."""
        cur = self.current
        assert cur is not None and cur.log is not None
        if cur.size > SEGMENT_BYTES:
            self._roll()
            cur = self.current
            assert cur is not None and cur.log is not None
        offset = cur.size + HEADER.size
        cur.size += HEADER.size + len(payload)
        local = cur.log.append(payload)
        return cur.seq_base + local, offset

    def _mark_time(self) -> None:
        """A ``T`` record before publishes when the millisecond changed since the last one."""
        b = self.broker
        now = int(b.clock.time() * 1000) if b is not None else 0
        if now != self._time_mark:
            self._time_mark = now
            self._append(b"T" + U64.pack(now))

    def publish(self, msg: Message, queues: list[Any]) -> int:
        self._mark_time()
        qids = b"".join(QID.pack(q.qid) for q in queues)
        ex = msg.exchange.encode()
        rk = msg.routing_key.encode()
        head = b"".join(
            (
                b"P",
                PUB_HEAD.pack(msg.id, len(queues)),
                qids,
                bytes((len(ex),)),
                ex,
                bytes((len(rk),)),
                rk,
                U32.pack(len(msg.props)),
                msg.props,
            )
        )
        body = msg.body or b""
        self.disk_writes += 1
        seq, offset = self._append(head + body)
        cur = self.current
        assert cur is not None
        cur.live += len(queues)
        msg.location = (cur.number << LOCATION_SHIFT) | (offset + len(head))
        msg.stored = True
        if seq > self._sync_target:
            self._sync_target = seq
            if not self._sync_waiting:
                self._sync_waiting = True
                self.when_synced(seq, self._synced)
        return seq

    def _tail(self, queue: Any, msg: Message) -> bytes:
        """A publish record's tail after the message id: the same for every message of a
        route (queue, exchange, routing key, properties)."""
        key = (queue.qid, msg.exchange, msg.routing_key, msg.props)
        tail = self._tails.get(key)
        if tail is None:
            ex = msg.exchange.encode()
            rk = msg.routing_key.encode()
            tail = b"".join((U16.pack(1), QID.pack(queue.qid), bytes((len(ex),)), ex,
                             bytes((len(rk),)), rk, U32.pack(len(msg.props)), msg.props))  # fmt: skip
            if len(self._tails) >= 1024:
                self._tails.clear()
            self._tails[key] = tail
        return tail

    def publish_each(self, pairs: list[tuple[Message, Any]]) -> int:
        """``publish`` of messages each routed to one durable queue, in this order; returns
        the last record's seq."""
        self._mark_time()
        append = self._append
        pack_id = U64.pack
        tail_of = self._tail
        seq = 0
        for msg, queue in pairs:
            tail = tail_of(queue, msg)
            seq, offset = append(b"".join((b"P", pack_id(msg.id), tail, msg.body or b"")))
            cur = self.current
            msg.location = (cur.number << LOCATION_SHIFT) | (offset + 9 + len(tail))  # type: ignore[union-attr]
            msg.stored = True
            cur.live += 1  # type: ignore[union-attr]
        self.disk_writes += len(pairs)
        if seq > self._sync_target:
            self._sync_target = seq
            if not self._sync_waiting:
                self._sync_waiting = True
                self.when_synced(seq, self._synced)
        return seq

    def publish_run(self, msgs: list[Message], queue: Any) -> int:
        """``publish`` for messages that share exchange, routing key and properties, all
        routed to one durable queue; returns the last record's seq."""
        self._mark_time()
        m0 = msgs[0]
        tail = self._tail(queue, m0)
        head_len = 1 + 8 + len(tail)
        pack_id = U64.pack
        append = self._append
        seq = 0
        self.disk_writes += len(msgs)
        if len(msgs) == 1:
            seq, offset = append(b"".join((b"P", pack_id(m0.id), tail, m0.body or b"")))
            cur = self.current
            m0.location = (cur.number << LOCATION_SHIFT) | (offset + head_len)  # type: ignore[union-attr]
            m0.stored = True
            cur.live += 1  # type: ignore[union-attr]
        else:
            shift = LOCATION_SHIFT
            for msg in msgs:
                body = msg.body or b""
                seq, offset = append(b"".join((b"P", pack_id(msg.id), tail, body)))
                msg.location = (self.current.number << shift) | (offset + head_len)  # type: ignore[union-attr]
                msg.stored = True
                self.current.live += 1  # type: ignore[union-attr]
        if seq > self._sync_target:
            self._sync_target = seq
            if not self._sync_waiting:
                self._sync_waiting = True
                self.when_synced(seq, self._synced)
        return seq

    def _synced(self) -> None:
        """Publish records reached the disk: connections send the confirms now due."""
        self._sync_waiting = False
        for c in list(self.broker.connections) if self.broker is not None else ():
            c.confirms_synced()
        if self._sync_target > self.durable_seq:
            self._sync_waiting = True
            self.when_synced(self._sync_target, self._synced)

    def ack(self, queue: Any, msg: Message) -> None:
        """``msg`` left durable ``queue`` for good (acked, purged, expired, dropped ...)."""
        if not queue.deleted:  # a deleted queue's messages go with its delete record
            self._append(b"A" + ACK.pack(queue.qid, msg.id))
        loc = msg.location
        if loc is not None:
            seg = self.segments.get(loc >> LOCATION_SHIFT)
            if seg is not None:
                seg.live -= 1
                if seg.live <= 0 and seg.number == min(self.segments):
                    self._collect()

    def delivered(self, queue: Any, msg: Message) -> None:
        """Handed to a consumer: after a restart it comes back marked redelivered."""
        self._append(b"V" + ACK.pack(queue.qid, msg.id))

    def release(self, msg: Message) -> None:
        """A message no queue holds any more: a transient paged body can go."""
        if not msg.stored and msg.location is not None:
            seg = self.segments.get(msg.location >> LOCATION_SHIFT)
            if seg is not None:
                seg.live -= 1
            msg.location = None
            self._collect()

    def read_body(self, msg: Message) -> bytes:
        loc = msg.location
        assert loc is not None, "only a stored message's body is read back"
        seg_no, offset, size = loc >> LOCATION_SHIFT, loc & OFFSET_MASK, msg.size
        seg = self.segments.get(seg_no)
        if seg is None:
            raise CorruptStore(f"message {msg.id}: segment {seg_no} is gone")
        if seg.log is not None and seg.log.written_seq < seg.log.last_seq:
            seg.log.flush(sync=False)
        if seg.fd < 0:
            seg.fd = os.open(seg.path, os.O_RDONLY)
        self.disk_reads += 1
        return os.pread(seg.fd, size, offset)

    def page_out(self, broker: Any) -> None:
        """Move bodies of queued messages to disk, newest first, until under the paging mark."""
        target = broker.settings.memory_high_watermark * broker.settings.paging_ratio * 0.8
        for vhost in broker.vhosts.values():
            for q in vhost.queues.values():
                for e in reversed(
                    list(q.ready) if not hasattr(q.ready, "items") else q.ready.items
                ):
                    if broker.memory_used <= target:
                        return
                    msg = e.msg
                    if msg.body is None:
                        break
                    if not msg.stored:
                        self.disk_writes += 1
                        _, offset = self._append(b"B" + msg.body)
                        cur = self.current
                        assert cur is not None
                        cur.live += 1
                        msg.location = (cur.number << LOCATION_SHIFT) | (offset + 1)
                    msg.body = None
                    broker.memory_used -= msg.size

    # -- definitions -------------------------------------------------------------------------------
    def definition(self, kind: str, vhost: Any, obj: Any) -> None:
        rec = self._definition_record(kind, vhost, obj)
        if rec is not None:
            self._append(b"D" + json.dumps(rec, separators=(",", ":")).encode())

    def _definition_record(self, kind: str, vhost: Any, obj: Any) -> dict | None:
        if kind == "exchange.declare":
            return {"op": kind, "x": _exchange(obj)} if obj.durable else None
        if kind == "exchange.delete":
            return {"op": kind, "vhost": obj.vhost, "name": obj.name} if obj.durable else None
        if kind == "queue.declare":
            return {"op": kind, "q": _queue(obj)} if obj.durable else None
        if kind == "queue.delete":
            return (
                {"op": kind, "vhost": obj.vhost, "name": obj.name, "qid": obj.qid}
                if obj.durable
                else None
            )
        if kind in ("bind", "unbind"):
            if not _binding_durable(vhost, obj):
                return None
            return {"op": kind, "vhost": vhost.name, "b": _binding(obj)}
        if kind == "vhost.add":
            return {"op": kind, "name": obj.name, "description": obj.description, "tags": obj.tags}
        if kind == "vhost.delete":
            return {"op": kind, "name": obj.name}
        if kind == "user.put":
            return {"op": kind, "name": obj.name, "hash": obj.password_hash, "tags": obj.tags}
        if kind == "user.delete":
            return {"op": kind, "name": obj}
        if kind == "permission.set":
            return {"op": kind, "user": obj.user, "vhost": obj.vhost, "c": obj.configure,
                    "w": obj.write, "r": obj.read}  # fmt: skip
        if kind == "permission.clear":
            return {"op": kind, "user": obj[0], "vhost": obj[1]}
        return None

    def snapshot(self) -> dict:
        b = self.broker
        out: dict[str, Any] = {"vhosts": [], "users": [], "permissions": [], "exchanges": [],
                               "queues": [], "bindings": [], "next_qid": b._queue_id,
                               "next_msg": b._msg_id}  # fmt: skip
        for v in b.vhosts.values():
            out["vhosts"].append({"name": v.name, "description": v.description, "tags": v.tags})
            for x in v.exchanges.values():
                if x.durable and not x.builtin:
                    out["exchanges"].append(_exchange(x))
            for q in v.queues.values():
                if q.durable:
                    out["queues"].append(_queue(q))
            for bnd in v.bindings_list():
                if _binding_durable(v, bnd):
                    out["bindings"].append({"vhost": v.name, **_binding(bnd)})
        for u in b.users.values():
            out["users"].append({"name": u.name, "hash": u.password_hash, "tags": u.tags})
        for p in b.permissions.values():
            out["permissions"].append(
                {"user": p.user, "vhost": p.vhost, "c": p.configure, "w": p.write, "r": p.read}
            )
        return out

    # -- segments --------------------------------------------------------------------------------
    def _path(self, n: int) -> Path:
        return self.dir / f"{n:08d}.seg"

    def _roll(self) -> None:
        old = self.current
        base = self.last_seq
        if old is not None and old.log is not None:
            old.log.flush(sync=True)
            old.log.close()
            old.log = None
        n = (old.number + 1) if old is not None else 1
        seg = Segment(n, self._path(n))
        seg.log = self.logs.record_log(seg.path, self.fsync)
        seg.log.open_empty()
        seg.size = 0
        seg.seq_base = base
        self.segments[n] = seg
        self.current = seg
        self._time_mark = -1
        snap = b"S" + json.dumps(self.snapshot(), separators=(",", ":")).encode()
        self._append(snap)
        self._collect()

    def _collect(self) -> None:
        """Delete the oldest segments that no live message needs any more."""
        while len(self.segments) > 1:
            oldest = min(self.segments)
            seg = self.segments[oldest]
            if seg is self.current or seg.live > 0:
                return
            if seg.fd >= 0:
                os.close(seg.fd)
            seg.path.unlink(missing_ok=True)
            del self.segments[oldest]

    def close(self) -> None:
        for seg in self.segments.values():
            if seg.log is not None:
                seg.log.close()
                seg.log = None
            if seg.fd >= 0:
                os.close(seg.fd)
                seg.fd = -1

    # -- recovery ---------------------------------------------------------------------------------
    def open(self, broker: Any) -> None:
        """Load every segment into ``broker``, then start a fresh segment for new records."""
        import time

        started = time.monotonic()
        self.broker = broker
        self.dir.mkdir(parents=True, exist_ok=True)
        numbers = sorted(int(p.stem) for p in self.dir.glob("*.seg") if p.stem.isdigit())
        state = Recovery()
        for i, n in enumerate(numbers):
            seg = Segment(n, self._path(n))
            self.segments[n] = seg
            seg.size = _scan(seg, state, last=i == len(numbers) - 1)
        state.apply(broker, self)
        self.current = self.segments[numbers[-1]] if numbers else None
        if self.current is not None:
            self.current.seq_base = 0
        self._roll()
        self.recovery_seconds = time.monotonic() - started
        if numbers:
            log.info(
                "AMQP store recovered %d segment(s), %d message(s) in %.2fs",
                len(numbers),
                self.recovered_messages,
                self.recovery_seconds,
            )


def _binding_durable(vhost: Any, b: Binding) -> bool:
    src = vhost.exchanges.get(b.source)
    if b.dest_kind == "queue":
        dst = vhost.queues.get(b.destination)
    else:
        dst = vhost.exchanges.get(b.destination)
    return bool(src is not None and dst is not None and src.durable and dst.durable)


def _exchange(x: Any) -> dict:
    return {"vhost": x.vhost, "name": x.name, "type": x.type, "auto_delete": x.auto_delete,
            "internal": x.internal, "args": _args(x.arguments)}  # fmt: skip


def _queue(q: Any) -> dict:
    return {"vhost": q.vhost, "name": q.name, "qid": q.qid, "auto_delete": q.auto_delete,
            "args": _args(q.arguments)}  # fmt: skip


def _binding(b: Binding) -> dict:
    return {"source": b.source, "destination": b.destination, "kind": b.dest_kind,
            "key": b.routing_key, "args": _args(b.arguments)}  # fmt: skip


class Recovery:
    """The state rebuilt while segments are replayed."""

    def __init__(self) -> None:
        self.defs: dict[str, Any] = {"vhosts": {}, "users": {}, "permissions": {},
                                     "exchanges": {}, "queues": {}, "bindings": {}}  # fmt: skip
        self.next_qid = 0
        self.next_msg = 0
        # message id -> [Message, queue id or tuple of queue ids, enqueue time (wall ms, 0:
        # unknown)]; in publish order
        self.messages: dict[int, list] = {}
        self.time_mark = 0
        self.delivered: set[tuple[int, int]] = set()

    def snapshot(self, snap: dict) -> None:
        d = self.defs
        for k in d:
            d[k] = {}
        for v in snap["vhosts"]:
            d["vhosts"][v["name"]] = v
        for u in snap["users"]:
            d["users"][u["name"]] = u
        for p in snap["permissions"]:
            d["permissions"][(p["user"], p["vhost"])] = p
        for x in snap["exchanges"]:
            d["exchanges"][(x["vhost"], x["name"])] = x
        for q in snap["queues"]:
            d["queues"][(q["vhost"], q["name"])] = q
        for b in snap["bindings"]:
            d["bindings"][_bkey(b["vhost"], b)] = b
        self.next_qid = max(self.next_qid, snap.get("next_qid", 0))
        self.next_msg = max(self.next_msg, snap.get("next_msg", 0))

    def definition(self, rec: dict) -> None:
        d = self.defs
        op = rec["op"]
        if op == "exchange.declare":
            x = rec["x"]
            d["exchanges"][(x["vhost"], x["name"])] = x
        elif op == "exchange.delete":
            d["exchanges"].pop((rec["vhost"], rec["name"]), None)
            name = rec["name"]
            for k in list(d["bindings"]):
                if k[0] == rec["vhost"] and (k[1] == name or (k[3] == "exchange" and k[2] == name)):
                    del d["bindings"][k]
        elif op == "queue.declare":
            q = rec["q"]
            d["queues"][(q["vhost"], q["name"])] = q
            self.next_qid = max(self.next_qid, q["qid"])
        elif op == "queue.delete":
            cur = d["queues"].get((rec["vhost"], rec["name"]))
            if cur is not None and cur["qid"] == rec["qid"]:
                del d["queues"][(rec["vhost"], rec["name"])]
            for k in list(d["bindings"]):
                if k[0] == rec["vhost"] and k[2] == rec["name"] and k[3] == "queue":
                    del d["bindings"][k]
        elif op == "bind":
            d["bindings"][_bkey(rec["vhost"], rec["b"])] = {"vhost": rec["vhost"], **rec["b"]}
        elif op == "unbind":
            d["bindings"].pop(_bkey(rec["vhost"], rec["b"]), None)
        elif op == "vhost.add":
            d["vhosts"][rec["name"]] = rec
        elif op == "vhost.delete":
            d["vhosts"].pop(rec["name"], None)
            for key in ("exchanges", "queues"):
                for k in [k for k in d[key] if k[0] == rec["name"]]:
                    del d[key][k]
            for k in [k for k in d["bindings"] if k[0] == rec["name"]]:
                del d["bindings"][k]
            for k in [k for k in d["permissions"] if k[1] == rec["name"]]:
                del d["permissions"][k]
        elif op == "user.put":
            d["users"][rec["name"]] = rec
        elif op == "user.delete":
            d["users"].pop(rec["name"], None)
            for k in [k for k in d["permissions"] if k[0] == rec["name"]]:
                del d["permissions"][k]
        elif op == "permission.set":
            d["permissions"][(rec["user"], rec["vhost"])] = rec
        elif op == "permission.clear":
            d["permissions"].pop((rec["user"], rec["vhost"]), None)

    def apply(self, broker: Any, store: Store) -> None:
        from .auth import Permission, User

        d = self.defs
        if d["vhosts"] or d["users"]:
            # the stored users and vhosts replace the defaults
            broker.users.clear()
            broker.permissions.clear()
            for name in list(broker.vhosts):
                if name not in d["vhosts"]:
                    del broker.vhosts[name]
        for v in d["vhosts"].values():
            broker.add_vhost(v["name"], v.get("description", ""), v.get("tags", []), persist=False)
        for u in d["users"].values():
            broker.users[u["name"]] = User(u["name"], u["hash"], list(u.get("tags", [])))
        for p in d["permissions"].values():
            broker.permissions[(p["user"], p["vhost"])] = Permission(
                p["user"], p["vhost"], p["c"], p["w"], p["r"]
            )
        broker._queue_id = max(broker._queue_id, self.next_qid)
        broker._msg_id = max(broker._msg_id, self.next_msg)
        saved_store, broker.store = broker.store, None  # replaying must not log again
        try:
            for x in d["exchanges"].values():
                v = broker.vhosts.get(x["vhost"])
                if v is None or x["name"] in v.exchanges:
                    continue
                v.declare_exchange(x["name"], x["type"], durable=True, auto_delete=x["auto_delete"],
                                   internal=x["internal"], arguments=_unargs(x["args"]),
                                   check_name=False)  # fmt: skip
            by_qid: dict[int, Any] = {}
            for q in d["queues"].values():
                v = broker.vhosts.get(q["vhost"])
                if v is None:
                    continue
                queue, _ = v.declare_queue(q["name"], durable=True, auto_delete=q["auto_delete"],
                                           arguments=_unargs(q["args"]))  # fmt: skip
                queue.qid = q["qid"]
                by_qid[q["qid"]] = queue
            broker._queue_id = max(broker._queue_id, self.next_qid)
            for b in d["bindings"].values():
                v = broker.vhosts.get(b["vhost"])
                if v is None:
                    continue
                try:
                    v.bind(b["source"], b["kind"], b["destination"], b["key"], _unargs(b["args"]))
                except Exception as e:  # a binding whose ends are gone
                    log.warning("AMQP recovery: binding %s skipped: %s", b, e)
            count = 0
            last_id = 0
            delivered = self.delivered
            messages = self.messages
            now_ms = broker.now_ms()
            wall_ms = int(broker.clock.time() * 1000)
            for msg_id in list(messages):
                msg, qids, at = messages.pop(msg_id)
                # a TTL counts from the first enqueue: the enqueue time on the monotonic clock
                since = max(1, now_ms - (wall_ms - at)) if at else 0
                last_id = msg_id
                targets = (
                    [by_qid[qids]] if type(qids) is int and qids in by_qid
                    else [by_qid[q] for q in (qids if type(qids) is tuple else ()) if q in by_qid]
                )  # fmt: skip
                seg = store.segments.get(msg.location >> LOCATION_SHIFT)
                if not targets or seg is None:
                    continue
                seg.live += len(targets)
                for q in targets:
                    entry = q.enqueue(msg, since)
                    if delivered and (q.qid, msg_id) in delivered:
                        entry.redelivered = True
                count += 1
            store.recovered_messages = count
        finally:
            broker.store = saved_store
        broker._msg_id = max(broker._msg_id, last_id)


def _bkey(vhost: str, b: dict) -> tuple:
    return (vhost, b["source"], b["destination"], b["kind"], b["key"], b["args"])


def _scan(seg: Segment, state: Recovery, last: bool) -> int:
    """Replay one segment; returns its valid length.  A torn tail is cut from the last one.

    Bodies are not read (their CRC is checked through a memoryview, without copies): a
    recovered message keeps the segment offset of its body.
    """
    path = seg.path
    size = path.stat().st_size
    if size == 0:
        return 0
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    mv = memoryview(mm)
    try:
        pos = _replay(mm, mv, size, seg.number, state)
    finally:
        mv.release()
        mm.close()
    if pos < size:
        if not last:
            raise CorruptStore(f"{path}: damaged record at offset {pos}; refusing to start")
        log.warning("%s: truncated a torn tail of %d bytes at offset %d", path, size - pos, pos)
        with open(path, "r+b") as f:
            f.truncate(pos)
            f.flush()
            os.fsync(f.fileno())
    return pos


def _replay(mm: Any, mv: memoryview, size: int, seg_no: int, state: Recovery) -> int:
    pos = 0
    hsize = HEADER.size
    unpack = HEADER.unpack_from
    pub_head = PUB_HEAD.unpack_from
    ack_unpack = ACK.unpack_from
    qid_unpack = QID.unpack_from
    u32 = U32.unpack_from
    messages = state.messages
    base = seg_no << LOCATION_SHIFT
    names: dict[bytes, tuple[str, bytes]] = {}
    last_key: Any = None
    last_size = -1
    qids: Any = None
    mark = state.time_mark
    # (name, its length-prefixed bytes) of the exchange and routing key
    x = r = ("", b"")
    props = header = b""
    summary: Any = None
    while pos + hsize <= size:
        length, crc = unpack(mm, pos)
        start = pos + hsize
        end = start + length
        if end > size or crc32c(mv[start:end]) != crc:
            break
        kind = mm[start]
        if kind == 0x50:  # P: a persistent message
            msg_id, n = pub_head(mm, start + 1)
            p = start + 1 + PUB_HEAD.size + 4 * n
            xl = mm[p]
            rl = mm[p + 1 + xl]
            props_at = p + 2 + xl + rl
            p = props_at + 4 + u32(mm, props_at)[0]
            body_size = end - p
            # consecutive messages usually share queues, exchange, key and properties
            key = mm[start + 9 : p]
            if key != last_key or body_size != last_size:
                last_key = key
                last_size = body_size
                q0 = start + 1 + PUB_HEAD.size
                if n == 1:
                    qids = qid_unpack(mm, q0)[0]
                else:
                    qids = tuple(qid_unpack(mm, q0 + 4 * i)[0] for i in range(n))
                xp = q0 + 4 * n
                xraw = mm[xp : xp + 1 + xl]
                rraw = mm[xp + 1 + xl : xp + 2 + xl + rl]
                props = intern_bytes(mm[props_at + 4 : p])
                found = names.get(xraw)
                if found is None:
                    found = names[xraw] = (xraw[1:].decode(), intern_bytes(xraw))
                x = found
                found = names.get(rraw)
                if found is None:
                    found = names[rraw] = (rraw[1:].decode(), intern_bytes(rraw))
                r = found
                header = intern_bytes(CONTENT_HEADER_S.pack(60, 0, body_size) + props)
                summary = summarize(props)
            messages[msg_id] = [
                Message.recovered(msg_id, x[0], r[0], props, body_size, base | p, x[1], r[1], header,
                                  summary),
                qids,
                mark,
            ]  # fmt: skip
        elif kind == 0x41:  # A: left a queue for good
            qid, msg_id = ack_unpack(mm, start + 1)
            rec = messages.get(msg_id)
            if rec is not None:
                q = rec[1]
                if q == qid:
                    del messages[msg_id]
                elif type(q) is tuple and qid in q:
                    rest = tuple(x for x in q if x != qid)
                    if rest:
                        rec[1] = rest[0] if len(rest) == 1 else rest
                    else:
                        del messages[msg_id]
        elif kind == 0x54:  # T: the time of the publishes after it
            mark = U64.unpack_from(mm, start + 1)[0]
        elif kind == 0x56:  # V: delivered (comes back redelivered)
            state.delivered.add(ack_unpack(mm, start + 1))
        elif kind == 0x44:  # D: a definition change
            state.definition(json.loads(bytes(mm[start + 1 : end])))
        elif kind == 0x53:  # S: the definitions at the start of a segment
            state.snapshot(json.loads(bytes(mm[start + 1 : end])))
        # B: a paged transient body, meaningless after a restart
        pos = end
    state.time_mark = mark
    return pos
