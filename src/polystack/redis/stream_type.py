"""Redis streams (t_stream.c): entries in listpack nodes keyed by their master ID in a radix
tree, with Redis's exact node layout, so node splits, tombstones, approximate trimming,
XINFO's radix-tree counters and DUMP payloads come out as Redis's.

A node is one listpack: a master entry ``count deleted num-fields field... 0`` and then entries
``flags ms-delta seq-delta [num-fields field...] value... lp-count``, where an entry whose
fields equal the master's has the SAMEFIELDS flag and omits them, and a deleted entry keeps
its place with the DELETED flag (a tombstone).  The Python node keeps those entries as lists
and the byte size its listpack would have (XADD starts a new node when
``stream-node-max-bytes`` or ``stream-node-max-entries`` would be passed); the listpack itself
is only built for DUMP.

IDs are 128-bit integers ``ms << 64 | seq`` (their big-endian bytes are the rax keys)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator

from sortedcontainers import SortedDict

from polystack.redis import listpack
from polystack.redis.listpack import element_size
from polystack.redis.rax import Rax
from polystack.redis.store import TYPE_NAMES, EncodingLimits

U64 = (1 << 64) - 1
MAX_ID = (1 << 128) - 1
FLAG_DELETED = 1
FLAG_SAMEFIELDS = 2
LISTPACK_MAX_SIZE = 1 << 30  # STREAM_LISTPACK_MAX_SIZE
INVALID_ENTRIES_READ = -1  # SCG_INVALID_ENTRIES_READ


def id_bytes(i: int) -> bytes:
    """An ID as Redis prints it: ``<ms>-<seq>``."""
    return b"%d-%d" % (i >> 64, i & U64)


def _delta(a: int, b: int) -> int:
    """``a - b`` of two uint64s as the int64 the listpack stores."""
    d = (a - b) & U64
    return d - (1 << 64) if d >> 63 else d


class StreamNode:
    """One listpack node: its master ID and fields, and its entries (tombstones included)."""

    __slots__ = (
        "master",
        "mfields",
        "ids",
        "flags",
        "fields",
        "values",
        "count",
        "deleted",
        "body",
    )

    def __init__(self, master: int, mfields: tuple[bytes, ...]) -> None:
        self.master = master
        self.mfields = mfields
        self.ids: list[int] = []
        self.flags = bytearray()
        self.fields: list[tuple[bytes, ...] | None] = []  # None: the master's (SAMEFIELDS)
        self.values: list[tuple[bytes, ...]] = []
        self.count = 0  # live entries
        self.deleted = 0  # tombstones
        # bytes of every listpack element after the two counters: num-fields, the master
        # fields, the master terminator and the entries
        self.body = element_size(len(mfields)) + sum(map(element_size, mfields)) + 1 + 1

    def lp_bytes(self) -> int:
        return (
            listpack.EMPTY_SIZE + element_size(self.count) + element_size(self.deleted) + self.body
        )

    def append(
        self,
        sid: int,
        fields: tuple[bytes, ...],
        values: tuple[bytes, ...],
        same: bool | None = None,
    ) -> None:
        """Add an entry; ``same`` (SAMEFIELDS) defaults to whether the fields are the
        master's, as XADD decides it."""
        if same is None:
            same = fields == self.mfields
        ms, seq = sid >> 64, sid & U64
        size = 1 + 1  # flags (always 0..3: one byte plus backlen)
        size += element_size(_delta(ms, self.master >> 64))
        size += element_size(_delta(seq, self.master & U64))
        lp_count = len(values) + 3
        if not same:
            size += element_size(len(fields)) + sum(map(element_size, fields))
            lp_count += len(fields) + 1
        size += sum(map(element_size, values)) + element_size(lp_count)
        self.body += size
        self.ids.append(sid)
        self.flags.append(FLAG_SAMEFIELDS if same else 0)
        self.fields.append(None if same else fields)
        self.values.append(values)
        self.count += 1

    def entry_fields(self, k: int) -> tuple[bytes, ...]:
        f = self.fields[k]
        return self.mfields if f is None else f

    def pairs(self, k: int) -> list[bytes]:
        out: list[bytes] = []
        for f, v in zip(self.entry_fields(k), self.values[k], strict=True):
            out.append(f)
            out.append(v)
        return out

    def elements(self) -> list[bytes | int]:
        """The listpack's elements, in order."""
        out: list[bytes | int] = [self.count, self.deleted, len(self.mfields), *self.mfields, 0]
        mms, mseq = self.master >> 64, self.master & U64
        for k, sid in enumerate(self.ids):
            flags = self.flags[k]
            out += [flags, _delta(sid >> 64, mms), _delta(sid & U64, mseq)]
            values = self.values[k]
            if flags & FLAG_SAMEFIELDS:
                out += values
                out.append(len(values) + 3)
            else:
                fields = self.fields[k] or ()
                out.append(len(fields))
                for f, v in zip(fields, values, strict=True):
                    out.append(f)
                    out.append(v)
                out.append(2 * len(fields) + 4)
        return out

    def encode(self) -> bytes:
        return listpack.encode(self.elements())


class NACK:
    """A pending entry: delivered, not yet acknowledged."""

    __slots__ = ("delivery_time", "delivery_count", "consumer")

    def __init__(self, delivery_time: int, consumer: Consumer | None) -> None:
        self.delivery_time = delivery_time
        self.delivery_count = 1
        self.consumer = consumer


class Consumer:
    __slots__ = ("name", "seen_time", "pel")

    def __init__(self, name: bytes, seen_time: int) -> None:
        self.name = name
        self.seen_time = seen_time
        self.pel: SortedDict = SortedDict()  # id -> NACK (shared with the group's PEL)


class ConsumerGroup:
    __slots__ = ("last_id", "entries_read", "pel", "consumers")

    def __init__(self, last_id: int, entries_read: int) -> None:
        self.last_id = last_id
        self.entries_read = entries_read
        self.pel: SortedDict = SortedDict()  # id -> NACK
        self.consumers: dict[bytes, Consumer] = {}

    def consumers_sorted(self) -> list[Consumer]:
        return [self.consumers[n] for n in sorted(self.consumers)]

    def delete_consumer(self, consumer: Consumer) -> None:
        """streamDelConsumer: its pending entries leave the group's PEL too."""
        for sid in consumer.pel:
            del self.pel[sid]
        del self.consumers[consumer.name]


class Stream:
    """A stream value: listpack nodes in ID order, counters and consumer groups."""

    __slots__ = (
        "nodes",
        "keys",
        "rax",
        "length",
        "last_id",
        "first_id",
        "max_deleted",
        "entries_added",
        "groups",
    )

    def __init__(self) -> None:
        self.nodes: list[StreamNode] = []
        self.keys: list[int] = []  # the nodes' master IDs (the rax keys)
        self.rax = Rax()
        self.length = 0
        self.last_id = 0
        self.first_id = 0
        self.max_deleted = 0  # max_deleted_entry_id
        self.entries_added = 0
        self.groups: dict[bytes, ConsumerGroup] = {}

    def __len__(self) -> int:
        return self.length

    @property
    def encoding(self) -> str:
        return "stream"

    # -- nodes -------------------------------------------------------------------------------
    def _add_node(self, node: StreamNode) -> None:
        self.nodes.append(node)
        self.keys.append(node.master)
        self.rax.insert(node.master.to_bytes(16, "big"))

    def _remove_node(self, idx: int) -> None:
        node = self.nodes.pop(idx)
        del self.keys[idx]
        self.rax.remove(node.master.to_bytes(16, "big"))

    def append(
        self, sid: int, fields: tuple[bytes, ...], values: tuple[bytes, ...], limits: EncodingLimits
    ) -> None:
        """streamAppendItem of an already validated ID (> last_id)."""
        node = self.nodes[-1] if self.nodes else None
        if node is not None:
            max_bytes = limits.stream_node_max_bytes
            if max_bytes == 0 or max_bytes > LISTPACK_MAX_SIZE:
                max_bytes = LISTPACK_MAX_SIZE
            totelelen = sum(map(len, fields)) + sum(map(len, values))
            if node.lp_bytes() + totelelen >= max_bytes:
                node = None
            elif (
                limits.stream_node_max_entries
                and node.count + node.deleted >= limits.stream_node_max_entries
            ):
                node = None
        if node is None:
            node = StreamNode(sid, fields)
            self._add_node(node)
        node.append(sid, fields, values)
        self.length += 1
        self.entries_added += 1
        self.last_id = sid
        if self.length == 1:
            self.first_id = sid

    # -- iterating ---------------------------------------------------------------------------
    def entries(
        self, start: int = 0, end: int = MAX_ID, rev: bool = False, tombstones: bool = False
    ) -> Iterator[tuple[StreamNode, int]]:
        """(node, index) of the entries with start <= ID <= end, in ID order (or reversed);
        tombstones are skipped unless asked for."""
        nodes = self.nodes
        if not rev:
            i = max(0, bisect_right(self.keys, start) - 1)
            for node in nodes[i:] if i else nodes:
                ids = node.ids
                k = bisect_left(ids, start) if node.master <= start else 0
                n = len(ids)
                flags = node.flags
                while k < n:
                    sid = ids[k]
                    if sid > end:
                        return
                    if tombstones or not flags[k] & FLAG_DELETED:
                        yield node, k
                    k += 1
        else:
            i = bisect_right(self.keys, end) - 1
            while i >= 0:
                node = nodes[i]
                ids = node.ids
                k = bisect_right(ids, end) - 1
                flags = node.flags
                while k >= 0:
                    sid = ids[k]
                    if sid < start:
                        return
                    if tombstones or not flags[k] & FLAG_DELETED:
                        yield node, k
                    k -= 1
                i -= 1

    def range(self, start: int, end: int, count: int = 0, rev: bool = False) -> list[list]:
        """[id, [field, value, ...]] of up to ``count`` (0: all) live entries in range, as
        replies carry them."""
        out = []
        for node, k in self.entries(start, end, rev):
            out.append([id_bytes(node.ids[k]), node.pairs(k)])
            if count and len(out) == count:
                break
        return out

    def edge_id(self, first: bool, skip_tombstones: bool = True) -> int:
        """streamGetEdgeID: the first (or last) entry's ID; MAX_ID (or 0) when none."""
        for node, k in self.entries(rev=not first, tombstones=not skip_tombstones):
            return node.ids[k]
        return MAX_ID if first else 0

    def last_valid_id(self) -> int:
        """streamLastValidID: the last live entry's ID (0-0 when empty)."""
        for node, k in self.entries(rev=True):
            return node.ids[k]
        return 0

    def exists(self, sid: int) -> bool:
        """streamEntryExists: ``sid`` is a live entry."""
        for _ in self.entries(sid, sid):
            return True
        return False

    def lookup(self, sid: int) -> tuple[int, int] | None:
        """(node index, entry index) of the live entry ``sid``."""
        i = bisect_right(self.keys, sid) - 1
        if i < 0:
            return None
        node = self.nodes[i]
        k = bisect_left(node.ids, sid)
        if k == len(node.ids) or node.ids[k] != sid or node.flags[k] & FLAG_DELETED:
            return None
        return i, k

    # -- deleting ----------------------------------------------------------------------------
    def delete(self, sid: int) -> bool:
        """streamDeleteItem: flag the entry deleted (dropping its node with its last live
        entry)."""
        found = self.lookup(sid)
        if found is None:
            return False
        i, k = found
        node = self.nodes[i]
        node.flags[k] |= FLAG_DELETED
        if node.count == 1:
            self._remove_node(i)
        else:
            node.count -= 1
            node.deleted += 1
        self.length -= 1
        return True

    def trim(self, maxlen: int | None, minid: int | None, approx: bool, limit: int) -> int:
        """streamTrim by MAXLEN (``maxlen``) or MINID (``minid``): whole nodes from the head,
        then (unless ``approx``) tombstones inside the first remaining node.  Returns how many
        entries went."""
        deleted = 0
        while self.nodes:
            if maxlen is not None and self.length <= maxlen:
                break
            node = self.nodes[0]
            entries = node.count
            if limit and deleted + entries > limit:
                break
            if maxlen is not None:
                remove_node = self.length - entries >= maxlen
            else:
                assert minid is not None
                remove_node = node.ids[-1] < minid
            if remove_node:
                self._remove_node(0)
                self.length -= entries
                deleted += entries
                continue
            if approx:
                break
            from_lp = 0
            flags = node.flags
            for k, sid in enumerate(node.ids):
                if maxlen is not None:
                    if self.length <= maxlen:
                        break
                elif sid >= minid:  # type: ignore[operator]
                    break
                if not flags[k] & FLAG_DELETED:
                    flags[k] |= FLAG_DELETED
                    from_lp += 1
                    self.length -= 1
            deleted += from_lp
            node.count -= from_lp
            node.deleted += from_lp
            break
        if self.length == 0:
            self.first_id = 0
        elif deleted:
            self.first_id = self.edge_id(True)
        return deleted

    # -- consumer groups ---------------------------------------------------------------------
    def groups_sorted(self) -> list[tuple[bytes, ConsumerGroup]]:
        return [(n, self.groups[n]) for n in sorted(self.groups)]

    def range_has_tombstones(self, start: int, end: int = MAX_ID) -> bool:
        """streamRangeHasTombstones."""
        if not self.length or not self.max_deleted:
            return False
        if self.first_id > self.max_deleted:
            return False
        return start <= self.max_deleted <= end

    def estimate_distance(self, sid: int) -> int:
        """streamEstimateDistanceFromFirstEverEntry: the logical read counter of ``sid``, or
        INVALID_ENTRIES_READ."""
        if not self.entries_added:
            return 0
        if not self.length and sid <= self.last_id:
            return self.entries_added
        if sid == self.last_id:
            return self.entries_added
        if sid > self.last_id:
            return INVALID_ENTRIES_READ
        if not self.max_deleted or self.max_deleted < self.first_id:
            if sid < self.first_id:
                return self.entries_added - self.length
            if sid == self.first_id:
                return self.entries_added - self.length + 1
        return INVALID_ENTRIES_READ

    def lag(self, group: ConsumerGroup) -> int | None:
        """streamReplyWithCGLag: entries not yet delivered to the group, or None."""
        if not self.entries_added:
            return 0
        if group.entries_read != INVALID_ENTRIES_READ and not self.range_has_tombstones(
            group.last_id
        ):
            return self.entries_added - group.entries_read
        entries_read = self.estimate_distance(group.last_id)
        if entries_read != INVALID_ENTRIES_READ:
            return self.entries_added - entries_read
        return None

    # -- copying -----------------------------------------------------------------------------
    def copy_value(self) -> Stream:
        """streamDup: the same listpacks in a freshly built rax, and copies of the groups."""
        s = Stream()
        for node in self.nodes:
            n = StreamNode(node.master, node.mfields)
            n.ids = list(node.ids)
            n.flags = bytearray(node.flags)
            n.fields = list(node.fields)
            n.values = list(node.values)
            n.count, n.deleted, n.body = node.count, node.deleted, node.body
            s._add_node(n)
        s.length, s.last_id, s.first_id = self.length, self.last_id, self.first_id
        s.max_deleted, s.entries_added = self.max_deleted, self.entries_added
        for name, g in self.groups_sorted():
            ng = ConsumerGroup(g.last_id, g.entries_read)
            for sid, nack in g.pel.items():
                copy = NACK(nack.delivery_time, None)
                copy.delivery_count = nack.delivery_count
                ng.pel[sid] = copy
            for c in g.consumers_sorted():
                nc = Consumer(c.name, c.seen_time)
                for sid in c.pel:
                    shared = ng.pel[sid]
                    shared.consumer = nc
                    nc.pel[sid] = shared
                ng.consumers[c.name] = nc
            s.groups[name] = ng
        return s

    def debug_fields(self) -> str:
        return ""


TYPE_NAMES[Stream] = "stream"
