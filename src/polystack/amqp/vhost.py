"""A virtual host: its exchanges, queues and bindings, routing, and dead-lettering.

Every entity operation checks what RabbitMQ checks, in RabbitMQ's order, and raises
:class:`~polystack.amqp.errors.AMQPError` with RabbitMQ's reply text.  The vhost is also the
``host`` its queues call back into (time, timers, dead-letter routing, removal, persistence).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from . import arguments as A
from .constants import DEFAULT_EXCHANGES, EXCHANGE_TYPES
from .errors import AMQPError
from .exchange import Binding, Exchange
from .message import Entry, Message
from .queue import Queue
from .table import Array, Table, Timestamp
from .wire import Properties, encode_properties

log = logging.getLogger(__name__)


def new_queue_name() -> str:
    return "amq.gen-" + secrets.token_urlsafe(16)


class VHost:
    def __init__(self, broker: Any, name: str, description: str = "", tags: list | None = None):
        self.broker = broker
        self.name = name
        self.description = description
        self.tags = tags or []
        self.exchanges: dict[str, Exchange] = {}
        self.queues: dict[str, Queue] = {}
        # counters of closed channels and connections (the vhost's totals include them)
        from .rates import CHANNEL

        self.closed_msg = [0] * len(CHANNEL)
        self.closed_oct = [0, 0]
        self.samples: Any = None
        self.default_exchange = Exchange("", "direct", durable=True, vhost=name, builtin=True)
        self.exchanges[""] = self.default_exchange
        for xname, xtype in DEFAULT_EXCHANGES:
            self.exchanges[xname] = Exchange(
                xname,
                xtype,
                durable=True,
                internal=xname == "amq.rabbitmq.trace",
                vhost=name,
                builtin=True,
            )

    def channel_closed(self, stats: Any) -> None:
        for i, x in enumerate(stats.values()):
            self.closed_msg[i] += x

    def connection_closed(self, recv_oct: int, send_oct: int) -> None:
        self.closed_oct[0] += recv_oct
        self.closed_oct[1] += send_oct

    # -- host interface for queues ---------------------------------------------------------------
    def now_ms(self) -> int:
        return self.broker.now_ms()

    def call_later(self, delay: float, fn: Any) -> Any:
        return self.broker.call_later(delay, fn)

    def message_removed(self, queue: Queue, msg: Message) -> None:
        self.broker.message_removed(queue, msg)

    def rs(self, kind: str, name: str) -> str:
        return A.rs(kind, name, self.name)

    # -- exchanges ----------------------------------------------------------------------------------
    def lookup_exchange(self, name: str) -> Exchange:
        x = self.exchanges.get(name)
        if x is None:
            raise AMQPError(404, f"no exchange '{name}' in vhost '{self.name}'")
        return x

    def declare_exchange(
        self,
        name: str,
        type: str,
        passive: bool = False,
        durable: bool = False,
        auto_delete: bool = False,
        internal: bool = False,
        arguments: dict | None = None,
        check_name: bool = True,
    ) -> tuple[Exchange, bool]:
        arguments = arguments if arguments is not None else Table()
        if name == "":
            raise AMQPError(403, "operation not permitted on the default exchange")
        if passive:
            return self.lookup_exchange(name), False
        if check_name and name.startswith("amq."):
            x = self.exchanges.get(name)
            if x is None or not x.builtin:
                raise AMQPError(403, f"exchange name '{name}' contains reserved prefix 'amq.*'")
        if type not in EXCHANGE_TYPES:
            raise AMQPError(503, f"invalid exchange type '{type}'")
        x = self.exchanges.get(name)
        if x is not None:
            where = self.rs("exchange", name)
            A.assert_field_equivalence(x.type, type, where, "type")
            A.assert_field_equivalence(x.durable, durable, where, "durable")
            A.assert_field_equivalence(x.auto_delete, auto_delete, where, "auto_delete")
            A.assert_field_equivalence(x.internal, internal, where, "internal")
            A.assert_args_equivalence(x.arguments, arguments, where, ("alternate-exchange",))
            return x, False
        x = Exchange(name, type, durable, auto_delete, internal, arguments, self.name)
        self.exchanges[name] = x
        self.broker.entity_changed("exchange.declare", self, x)
        return x, True

    def delete_exchange(self, name: str, if_unused: bool = False) -> None:
        if name == "":
            raise AMQPError(403, "operation not permitted on the default exchange")
        x = self.exchanges.get(name)
        if x is None:
            return  # RabbitMQ: deleting a missing exchange succeeds
        if x.builtin:
            raise AMQPError(
                403, f"deletion of system exchange '{name}' in vhost '{self.name}' not allowed"
            )
        if if_unused and x.bindings:
            raise AMQPError(406, f"exchange '{name}' in vhost '{self.name}' in use")
        self._remove_exchange(x)

    def _remove_exchange(self, x: Exchange) -> None:
        del self.exchanges[x.name]
        for b in list(x.bindings.values()):
            x.remove_binding(b.key)
            self._detach_destination(b)
        # bindings where this exchange is the destination
        for src in list(self.exchanges.values()):
            for b in list(src.bindings.values()):
                if b.dest_kind == "exchange" and b.destination == x.name:
                    src.remove_binding(b.key)
                    self._maybe_auto_delete(src)
        self.broker.entity_changed("exchange.delete", self, x)

    def _detach_destination(self, b: Binding) -> None:
        if b.dest_kind == "queue":
            q = self.queues.get(b.destination)
            if q is not None:
                q.bindings.pop((b.source, *b.key), None)

    def _maybe_auto_delete(self, x: Exchange) -> None:
        if x.auto_delete and not x.bindings and x.name in self.exchanges and not x.builtin:
            self._remove_exchange(x)

    # -- queues ---------------------------------------------------------------------------------------
    def lookup_queue(self, name: str) -> Queue:
        q = self.queues.get(name)
        if q is None:
            raise AMQPError(404, f"no queue '{name}' in vhost '{self.name}'")
        return q

    def check_exclusive(self, q: Queue, owner: Any) -> None:
        """``check_exclusive_access(Q, Owner, lax)``: an exclusive queue of another connection."""
        if q.exclusive_owner is not None and q.exclusive_owner is not owner:
            raise self._locked(q.name)

    def _locked(self, name: str) -> AMQPError:
        return AMQPError(
            405,
            f"cannot obtain exclusive access to locked queue '{name}' in vhost '{self.name}'. "
            "It could be originally declared on another connection or the exclusive property "
            "value does not match that of the original declaration.",
        )

    def declare_queue(
        self,
        name: str,
        passive: bool = False,
        durable: bool = False,
        exclusive: bool = False,
        auto_delete: bool = False,
        arguments: dict | None = None,
        owner: Any = None,
    ) -> tuple[Queue, bool]:
        arguments = arguments if arguments is not None else Table()
        if passive:
            existing = self.lookup_queue(name)
            self.check_exclusive(existing, owner)
            existing.touch()
            return existing, False
        q = self.queues.get(name)
        if q is not None:
            where = self.rs("queue", name)
            if q.exclusive_owner is not (owner if exclusive else None):
                raise self._locked(name)
            A.assert_field_equivalence(q.durable, durable, where, "durable")
            A.assert_field_equivalence(q.auto_delete, auto_delete, where, "auto_delete")
            A.assert_args_equivalence(q.arguments, arguments, where, A.QUEUE_EQUIVALENCE_KEYS)
            new_type = arguments.get("x-queue-type", q.type)
            if new_type != q.type:
                raise AMQPError(
                    406,
                    f"inequivalent arg 'x-queue-type' for {where}: received '{new_type}' "
                    f"but current is '{q.type}'",
                )
            q.touch()
            return q, False
        A.validate_queue_declare(name, self.name, durable, exclusive, auto_delete, arguments)
        q = Queue(
            name,
            self.name,
            self,
            durable=durable,
            exclusive_owner=owner if exclusive else None,
            auto_delete=auto_delete,
            arguments=arguments,
            qid=self.broker.next_queue_id(),
        )
        self.queues[name] = q
        self.broker.entity_changed("queue.declare", self, q)
        q.start_timers()
        return q, True

    def delete_queue(
        self, q: Queue, reason: str = "", if_unused: bool = False, if_empty: bool = False
    ) -> int:
        if if_unused and q.consumers:
            raise AMQPError(406, f"queue '{q.name}' in vhost '{self.name}' in use")
        if if_empty and len(q.ready):
            raise AMQPError(406, f"queue '{q.name}' in vhost '{self.name}' not empty")
        if self.queues.get(q.name) is not q:
            return 0
        count = len(q.ready)
        del self.queues[q.name]
        entries = q.drain_for_delete()
        for e in entries:
            q.settled(e)
        for c in list(q.consumers):
            c.channel.consumer_cancelled_by_server(c)
        q.consumers.clear()
        for b in list(q.bindings.values()):
            src = self.exchanges.get(b.source)
            if src is not None:
                src.remove_binding(b.key)
                self._maybe_auto_delete(src)
        q.bindings.clear()
        self.broker.entity_changed("queue.delete", self, q)
        return count

    def purge_queue(self, q: Queue) -> int:
        n = q.purge()
        self.broker.entity_changed("queue.purge", self, q)
        return n

    # -- bindings ---------------------------------------------------------------------------------------
    def bind(
        self,
        source: str,
        dest_kind: str,
        destination: str,
        routing_key: str,
        arguments: dict | None = None,
        owner: Any = None,
    ) -> None:
        if source == "" or (dest_kind == "exchange" and destination == ""):
            raise AMQPError(403, "operation not permitted on the default exchange")
        src = self.lookup_exchange(source)
        if dest_kind == "queue":
            target: Any = self.lookup_queue(destination)
            self.check_exclusive(target, owner)
        else:
            target = self.lookup_exchange(destination)
        b = Binding(source, destination, dest_kind, routing_key, arguments or Table(), target)
        if src.add_binding(b):
            if dest_kind == "queue":
                target.bindings[(source, *b.key)] = b
            self.broker.entity_changed("bind", self, b)

    def unbind(
        self,
        source: str,
        dest_kind: str,
        destination: str,
        routing_key: str,
        arguments: dict | None = None,
        owner: Any = None,
    ) -> None:
        if source == "" or (dest_kind == "exchange" and destination == ""):
            raise AMQPError(403, "operation not permitted on the default exchange")
        if dest_kind == "queue":
            q = self.lookup_queue(destination)
            self.check_exclusive(q, owner)
        else:
            self.lookup_exchange(destination)
        src = self.lookup_exchange(source)
        b = Binding(source, destination, dest_kind, routing_key, arguments or Table())
        removed = src.remove_binding(b.key)
        if removed is None:
            return
        self._detach_destination(removed)
        self.broker.entity_changed("unbind", self, removed)
        self._maybe_auto_delete(src)

    def bindings_list(self) -> list[Binding]:
        out: list[Binding] = []
        for x in self.exchanges.values():
            out.extend(x.bindings.values())
        return out

    # -- routing ------------------------------------------------------------------------------------------
    def route(self, x: Exchange, routing_key: str, msg: Message) -> list[Queue]:
        if x is self.default_exchange:
            x.messages_in += 1
            q = self.queues.get(routing_key)
            return [q] if q is not None else []
        queues, passed = self.walk(x, routing_key, msg.headers)
        for ex in passed:
            ex.messages_in += 1
        return queues

    def walk(
        self, x: Exchange, routing_key: str, headers: Any
    ) -> tuple[list[Queue], list[Exchange]]:
        """The queues a message reaches from ``x`` (exchange-to-exchange bindings and alternate
        exchanges followed, each exchange and queue once) and the exchanges it passed through.
        ``headers`` returns the message's headers table (headers exchanges only)."""
        queues: list[Queue] = []
        passed: list[Exchange] = []
        seen_q: set[int] = set()
        seen_x = {x.name}
        work = [x]
        while work:
            ex = work.pop()
            bindings = ex.route(routing_key, headers)
            passed.append(ex)
            if not bindings and ex.alternate is not None:
                ae = self.exchanges.get(ex.alternate)
                if ae is not None and ae.name not in seen_x:
                    seen_x.add(ae.name)
                    work.append(ae)
                continue
            for b in bindings:
                t = b.target
                if b.dest_kind == "queue":
                    if id(t) not in seen_q:
                        seen_q.add(id(t))
                        queues.append(t)
                elif t.name not in seen_x:
                    seen_x.add(t.name)
                    work.append(t)
        return queues, passed

    def route_keys(self, x: Exchange, keys: list[str], msg: Message) -> list[Queue]:
        """Route with several routing keys (CC headers, dead-lettering), each queue once."""
        if len(keys) == 1:
            return self.route(x, keys[0], msg)
        out: list[Queue] = []
        seen: set[int] = set()
        for k in keys:
            for q in self.route(x, k, msg):
                if id(q) not in seen:
                    seen.add(id(q))
                    out.append(q)
        return out

    # -- dead-lettering ---------------------------------------------------------------------------------
    def dead_letter(self, queue: Queue, entries: list[Entry], reason: str) -> None:
        dlx = self.exchanges.get(queue.dlx) if queue.dlx is not None else None
        broker = self.broker
        for e in entries:
            msg = e.msg
            if dlx is not None:
                try:
                    self._republish_dead(queue, dlx, msg, reason)
                except Exception:
                    log.exception("dead-lettering from %s failed", self.rs("queue", queue.name))
            queue.settled(e)
        broker.dead_lettered += len(entries)

    def dead_letter_copy(self, queue: Queue, msg: Message, reason: str) -> None:
        """Dead-letter a message the queue refused (``x-overflow: reject-publish-dlx``)."""
        dlx = self.exchanges.get(queue.dlx) if queue.dlx is not None else None
        if dlx is not None:
            self._republish_dead(queue, dlx, msg, reason)
            self.broker.dead_lettered += 1

    def _republish_dead(self, queue: Queue, dlx: Exchange, msg: Message, reason: str) -> None:
        props = msg.properties
        headers = Table(props.headers or {})
        if isinstance(props.headers, Table):
            headers.types.update(props.headers.types)
        keys = [msg.routing_key]
        cc = headers.get("CC")
        if isinstance(cc, list):
            keys += [k for k in cc if isinstance(k, str)]
        deaths = list(headers.get("x-death") or [])
        found = None
        for d in deaths:
            if isinstance(d, dict) and d.get("queue") == queue.name and d.get("reason") == reason:
                found = d
                break
        if found is not None:
            deaths.remove(found)
            found = Table(found)
            found["count"] = int(found.get("count", 0)) + 1
            found.types["count"] = "l"
            deaths.insert(0, found)
        else:
            d = Table()
            d["count"] = 1
            d["reason"] = reason
            d["queue"] = queue.name
            d["time"] = Timestamp(int(self.broker.clock.time()))
            d["exchange"] = msg.exchange
            d["routing-keys"] = Array(keys)
            d.types.update(
                {"count": "l", "reason": "S", "queue": "S", "time": "T", "exchange": "S"}
            )
            d["routing-keys"].types = ["S"] * len(keys)
            if props.expiration is not None:
                d["original-expiration"] = props.expiration
            deaths.insert(0, d)
        arr = Array(deaths)
        arr.types = ["F"] * len(deaths)
        headers["x-death"] = arr
        headers.types["x-death"] = "A"
        if "x-first-death-reason" not in headers:
            headers["x-first-death-exchange"] = msg.exchange
            headers["x-first-death-queue"] = queue.name
            headers["x-first-death-reason"] = reason
        newp = Properties(**props.as_dict())
        newp.headers = headers
        newp.expiration = None
        rk_list = [queue.dlrk] if queue.dlrk is not None else keys
        new = self.broker.new_message(
            dlx.name, rk_list[0], encode_properties(newp), self.broker.body_of(msg)
        )
        targets = self.route_keys(dlx, rk_list, new)
        if reason != "rejected":
            # cycle detection: a message that died in a queue it already died in, without a
            # rejection in between, is dropped for that queue (RabbitMQ logs and drops it)
            died_in = {d.get("queue") for d in deaths[1:] if isinstance(d, dict)}
            rejected = any(isinstance(d, dict) and d.get("reason") == "rejected" for d in deaths)
            if not rejected:
                targets = [t for t in targets if t is not queue and t.name not in died_in]
        self.broker.deliver_to_queues(self, new, targets)
