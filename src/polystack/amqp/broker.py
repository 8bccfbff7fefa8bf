"""The broker: virtual hosts, users and permissions, message ids, publishing into queues, memory.

It owns no socket and reads no clock of its own: time and timers come from the runtime's clock,
durability from an optional store (:mod:`.persist`) that logs what must survive a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import consumer_timeout
from .auth import Permission, User, hash_password
from .constants import CHANNEL_MAX, FRAME_MAX, HEARTBEAT
from .errors import AMQPError
from .message import Message
from .queue import Queue
from .vhost import VHost

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Settings:
    default_user: str = "guest"
    default_pass: str = "guest"
    default_vhost: str = "/"
    loopback_users: tuple[str, ...] = ("guest",)
    channel_max: int = CHANNEL_MAX
    frame_max: int = FRAME_MAX
    heartbeat: int = HEARTBEAT
    max_message_size: int = 134217728
    memory_high_watermark: int = 256 << 20  # bytes of message bodies held in memory
    paging_ratio: float = 0.5  # page bodies to disk above this fraction of the watermark
    node_name: str = "polystack@localhost"
    cluster_name: str = "polystack@localhost"
    handshake_timeout: float = 10.0
    collect_statistics_interval: int = 5000  # ms between samples of the message rates
    consumer_timeout: int = 1_800_000  # ms a delivery may stay unacknowledged (0: no limit)
    users: dict[str, Any] = field(default_factory=dict)


class Counters:
    __slots__ = (
        "published",
        "delivered",
        "delivered_no_ack",
        "redelivered",
        "get",
        "get_no_ack",
        "get_empty",
        "acked",
        "confirmed",
        "returned",
        "dropped_unroutable",
        "connections_opened",
        "connections_closed",
        "channels_opened",
        "channels_closed",
        "queues_declared",
        "queues_deleted",
        "queue_declare_methods",
        "flow_paused",
    )
    published: int
    delivered: int
    delivered_no_ack: int
    redelivered: int
    get: int
    get_no_ack: int
    get_empty: int
    acked: int
    confirmed: int
    returned: int
    dropped_unroutable: int
    connections_opened: int
    connections_closed: int
    channels_opened: int
    channels_closed: int
    queues_declared: int
    queues_deleted: int
    queue_declare_methods: int
    flow_paused: int

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)


class Broker:
    def __init__(self, settings: Settings | None = None, clock: Any = None) -> None:
        from polystack.runtime.clock import SYSTEM_CLOCK

        self.settings = settings or Settings()
        self.clock = clock or SYSTEM_CLOCK
        self.vhosts: dict[str, VHost] = {}
        self.users: dict[str, User] = {}
        self.permissions: dict[tuple[str, str], Permission] = {}
        self.connections: set[Any] = set()
        self.counters = Counters()
        self.dead_lettered = 0
        self.store: Any = None  # persist.Store when durability is on
        self._msg_id = 0
        self._queue_id = 0
        self.memory_used = 0  # bytes of bodies held in memory
        self.alarm = False  # a resource alarm is on: publishers are blocked
        self.resource_alarms: set[str] = set()  # "memory" (message bodies), runtime alarms
        self.shutting_down = False
        self.started_ms = self.now_ms()
        self.listeners: list[Callable[[str, Any], None]] = []
        self.reply_to: dict[str, Any] = {}  # direct reply-to name -> channel
        # bumped by every change of exchanges, queues, bindings, users or permissions: what
        # publishers cached about a route (exchange, permission, queues) is valid while it holds
        self.version = 0
        self.samples: Any = None  # the node's rates (rates.collect)
        self._stats_timer: Any = None
        self._timeout_timer: Any = None
        self._paging_threshold = self.settings.memory_high_watermark * self.settings.paging_ratio
        s = self.settings
        self.add_vhost(s.default_vhost, persist=False)
        if s.default_user:
            self.users[s.default_user] = User(
                s.default_user, hash_password(s.default_pass), ["administrator"]
            )
            self.permissions[(s.default_user, s.default_vhost)] = Permission(
                s.default_user, s.default_vhost
            )

    # -- time ---------------------------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(self.clock.monotonic() * 1000)

    def call_later(self, delay: float, fn: Callable[[], None]) -> Any:
        return self.clock.call_later(delay, fn)

    def stats_now(self) -> int:
        """Wall-clock milliseconds on the runtime clock (sample timestamps)."""
        return int(self.clock.time() * 1000)

    # -- message rates ---------------------------------------------------------------------------
    def start_stats(self) -> None:
        """The broker's periodic work: sample every object's counters every
        ``collect_statistics_interval`` (rates), check ``consumer_timeout``."""
        if self._stats_timer is None:
            self._stats_timer = self.call_later(
                self.settings.collect_statistics_interval / 1000, self._collect
            )
        if self._timeout_timer is None and self.settings.consumer_timeout > 0:
            self._timeout_timer = self.call_later(
                consumer_timeout.interval(self.settings.consumer_timeout), self._check_timeouts
            )

    def stop_stats(self) -> None:
        for t in (self._stats_timer, self._timeout_timer):
            if t is not None:
                t.cancel()
        self._stats_timer = self._timeout_timer = None

    def _check_timeouts(self) -> None:
        timeout = self.settings.consumer_timeout
        self._timeout_timer = self.call_later(consumer_timeout.interval(timeout),
                                              self._check_timeouts)  # fmt: skip
        consumer_timeout.check(self)

    def _collect(self) -> None:
        from .rates import collect

        interval = self.settings.collect_statistics_interval
        self._stats_timer = self.call_later(interval / 1000, self._collect)
        collect(self, (self.stats_now() // interval) * interval)

    # -- ids ------------------------------------------------------------------------------------------
    def next_queue_id(self) -> int:
        self._queue_id += 1
        return self._queue_id

    def new_message(
        self,
        exchange: str,
        routing_key: str,
        props: bytes,
        body: bytes,
        xname: bytes | None = None,
        rkname: bytes | None = None,
        header: bytes | None = None,
        summary: Any = None,
    ) -> Message:
        self._msg_id += 1
        m = Message(
            self._msg_id, exchange, routing_key, props, body, xname, rkname, header, summary
        )
        self.memory_used += m.size
        return m

    def new_messages(
        self, x: Any, rkname: bytes, rk: str, props: bytes, header: bytes, s: Any,
        bodies: list[bytes],
    ) -> list[Message]:  # fmt: skip
        """A run of messages published with the same exchange, routing key and header."""
        mid = self._msg_id
        xname = x.name
        ename = x.ename
        out: list[Message] = []
        add = out.append
        for body in bodies:
            mid += 1
            add(Message(mid, xname, rk, props, body, ename, rkname, header, s))
        self._msg_id = mid
        return out

    # -- vhosts, users, permissions ---------------------------------------------------------------------
    def add_vhost(self, name: str, description: str = "", tags: list | None = None,
                  persist: bool = True) -> VHost:  # fmt: skip
        v = self.vhosts.get(name)
        if v is None:
            v = self.vhosts[name] = VHost(self, name, description, tags)
            if persist:
                self.entity_changed("vhost.add", v, v)
        return v

    def delete_vhost(self, name: str) -> None:
        v = self.vhosts.get(name)
        if v is None:
            raise AMQPError(404, f"no vhost '{name}'")
        for c in list(self.connections):
            if c.vhost is v:
                c.close_by_server(320, "CONNECTION_FORCED - vhost deleted")
        for q in list(v.queues.values()):
            v.delete_queue(q)
        del self.vhosts[name]
        for key in [k for k in self.permissions if k[1] == name]:
            del self.permissions[key]
        self.entity_changed("vhost.delete", v, v)

    def put_user(self, name: str, password_hash: str, tags: list[str]) -> User:
        u = User(name, password_hash, list(tags))
        self.users[name] = u
        self.entity_changed("user.put", None, u)
        return u

    def delete_user(self, name: str) -> None:
        if self.users.pop(name, None) is None:
            raise AMQPError(404, f"no user '{name}'")
        for key in [k for k in self.permissions if k[0] == name]:
            del self.permissions[key]
        for c in list(self.connections):
            if c.user is not None and c.user.name == name:
                c.close_by_server(320, "CONNECTION_FORCED - user deleted")
        self.entity_changed("user.delete", None, name)

    def set_permissions(self, user: str, vhost: str, configure: str, write: str, read: str) -> None:
        p = Permission(user, vhost, configure, write, read)
        self.permissions[(user, vhost)] = p
        self.entity_changed("permission.set", None, p)

    def clear_permissions(self, user: str, vhost: str) -> None:
        if self.permissions.pop((user, vhost), None) is not None:
            self.entity_changed("permission.clear", None, (user, vhost))

    def check(self, user: User | None, vhost: VHost, kind: str, rtype: str, name: str) -> None:
        """ACCESS_REFUSED unless ``user`` may ``kind`` (configure/write/read) the resource."""
        if user is None:
            return
        p = self.permissions.get((user.name, vhost.name))
        res = name if name or rtype != "exchange" else "amq.default"
        if p is None or not p.allows(kind, res):
            raise AMQPError(
                403,
                f"access to {rtype} '{res}' in vhost '{vhost.name}' refused for user '{user.name}'",
            )

    # -- persistence hooks ------------------------------------------------------------------------------
    def entity_changed(self, kind: str, vhost: Any, obj: Any) -> None:
        self.version += 1
        if kind == "queue.declare":
            self.counters.queues_declared += 1
        elif kind == "queue.delete":
            self.counters.queues_deleted += 1
        if self.store is not None:
            self.store.definition(kind, vhost, obj)
        for fn in self.listeners:
            fn(kind, obj)

    def message_removed(self, queue: Queue, msg: Message) -> None:
        store = self.store
        if store is not None and msg.stored and queue.durable:
            store.ack(queue, msg)
        if msg.refs <= 0:
            if msg.body is not None:
                self.memory_used -= msg.size
                msg.body = None
                if self.alarm:
                    self._check_alarm()
            if store is not None and msg.location is not None:
                store.release(msg)

    def body_of(self, msg: Message) -> bytes:
        body = msg.body
        if body is not None:
            return body
        if self.store is not None and msg.location is not None:
            return self.store.read_body(msg)
        return b""

    # -- publishing ------------------------------------------------------------------------------------
    def deliver_to_queues(
        self, vhost: VHost, msg: Message, queues: list[Queue]
    ) -> tuple[int, bool, int]:
        """Enqueue ``msg`` on ``queues``; returns (queues it entered, rejected by one, log seq).

        The log record is written before any queue hands the message to a consumer, so an
        acknowledgement is never logged before the publish it settles.
        """
        if len(queues) == 1 and queues[0].overflow == "drop-head":
            q = queues[0]
            seq = 0
            if msg.persistent and q.durable and self.store is not None:
                seq = self.store.publish(msg, queues)
            q.enqueue(msg)
            if msg.refs == 0:
                if msg.body is not None:
                    self.memory_used -= msg.size
                    msg.body = None
            elif self.memory_used > self._paging_threshold:
                self._page_out()
            return 1, False, seq
        rejected = False
        accepted = queues
        for q in queues:
            if q.overflow != "drop-head" and not q.accepts(msg):
                rejected = True
                accepted = [x for x in queues if x.overflow == "drop-head" or x.accepts(msg)]
                for full in queues:
                    if full not in accepted and full.overflow == "reject-publish-dlx":
                        vhost.dead_letter_copy(full, msg, "maxlen")
                break
        seq = 0
        if msg.persistent and self.store is not None:
            durable = [q for q in accepted if q.durable]
            if durable:
                seq = self.store.publish(msg, durable)
        for q in accepted:
            q.enqueue(msg)
        if msg.refs == 0 and msg.body is not None:
            self.memory_used -= msg.size
            msg.body = None
        elif self.memory_used > self._paging_threshold:
            self._page_out()
        return len(accepted), rejected, seq

    def enqueue_run(self, q: Queue, msgs: list[Message], size: int) -> int:
        """Enqueue new messages (``size`` bytes of bodies) on one queue that takes them all
        (``x-overflow: drop-head``); returns the log seq the last one's confirm waits for."""
        self.memory_used += size
        seq = 0
        store = self.store
        if store is not None and q.durable and msgs[0].persistent:
            seq = store.publish_run(msgs, q)  # logged before any consumer sees them
        q.enqueue_run(msgs, size)
        if self.memory_used > self._paging_threshold:
            self._page_out()
        return seq

    # -- memory -------------------------------------------------------------------------------------------
    def _page_out(self) -> None:
        if self.store is not None:
            self.store.page_out(self)
        self._check_alarm()

    def _check_alarm(self) -> None:
        high = self.settings.memory_high_watermark
        on = "messages" in self.resource_alarms
        if not on and self.memory_used > high:
            log.warning(
                "memory resource limit alarm set: %d bytes of messages in memory (limit %d)",
                self.memory_used,
                high,
            )
            self.set_resource_alarm("messages", True)
        elif on and self.memory_used <= high * 0.9:
            self.set_resource_alarm("messages", False)

    def set_resource_alarm(self, resource: str, active: bool) -> None:
        """A resource alarm (message memory, the runtime's memory/disk alarms, a failing store)
        changed: publishing connections are blocked while any is on, as in RabbitMQ."""
        if active:
            self.resource_alarms.add(resource)
        else:
            self.resource_alarms.discard(resource)
        on = bool(self.resource_alarms)
        if on == self.alarm:
            return
        self.alarm = on
        if not on:
            log.warning("resource limit alarm cleared")
        for c in list(self.connections):
            c.alarm_changed(on)

    # -- introspection ----------------------------------------------------------------------------------
    def queue_totals(self) -> tuple[int, int]:
        ready = unacked = 0
        for v in self.vhosts.values():
            for q in v.queues.values():
                ready += len(q.ready)
                unacked += q.unacked_count
        return ready, unacked
