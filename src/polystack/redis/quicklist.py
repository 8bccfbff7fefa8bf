"""The list value (t_list.c over quicklist.c): Redis 7.0 keeps every list as a quicklist, a
sequence of nodes each holding a listpack (or one "plain" element when it is at least the
packed threshold, 1 GB unless DEBUG QUICKLIST-PACKED-THRESHOLD lowers it).

The node boundaries are modelled exactly: where a push, an insert or a replacement lands,
when a node splits or merges and how large each node's listpack is follow quicklist.c's
rules (``list-max-listpack-size``, the fill, is fixed when the list is created), so DUMP
writes the same nodes Redis writes.  A node keeps its elements as a Python list and the byte
size its listpack would have.
"""

from __future__ import annotations

from collections.abc import Iterator

from polystack.redis import listpack, persist, rdb
from polystack.redis.store import TYPE_NAMES, EncodingLimits

SIZE_SAFETY_LIMIT = 8192
SIZE_ESTIMATE_OVERHEAD = 8
OPTIMIZATION_LEVEL = (4096, 8192, 16384, 32768, 65536)
FILL_MAX = (1 << 15) - 1
COMPRESS_MAX = (1 << 16) - 1
CONTAINER_PLAIN = 1
CONTAINER_PACKED = 2
_element_size = listpack.element_size
_EMPTY = listpack.EMPTY_SIZE


class Node:
    """One quicklist node: its elements and the size of its listpack (or of its one plain
    element)."""

    __slots__ = ("items", "sz", "plain")

    def __init__(self, items: list[bytes] | None = None, plain: bool = False) -> None:
        self.items: list[bytes] = items if items is not None else []
        self.plain = plain
        if plain:
            self.sz = len(self.items[0])
        else:
            self.sz = _EMPTY + sum(map(_element_size, self.items))

    def __len__(self) -> int:
        return len(self.items)

    def resize(self) -> None:
        self.sz = _EMPTY + sum(map(_element_size, self.items))

    def copy(self) -> Node:
        n = Node.__new__(Node)
        n.items = list(self.items)
        n.sz = self.sz
        n.plain = self.plain
        return n


def _size_meets_optimization(sz: int, fill: int) -> bool:
    if fill >= 0:
        return False
    offset = -fill - 1
    return offset < len(OPTIMIZATION_LEVEL) and sz <= OPTIMIZATION_LEVEL[offset]


def allow_insert(node: Node | None, fill: int, sz: int, threshold: int) -> bool:
    """_quicklistNodeAllowInsert: may an element of ``sz`` bytes join ``node``?"""
    if node is None or node.plain or sz >= threshold:
        return False
    new_sz = node.sz + sz + SIZE_ESTIMATE_OVERHEAD
    if _size_meets_optimization(new_sz, fill):
        return True
    if new_sz > SIZE_SAFETY_LIMIT:
        return False
    return len(node.items) < fill


def allow_merge(a: Node | None, b: Node | None, fill: int) -> bool:
    """_quicklistNodeAllowMerge."""
    if a is None or b is None or a.plain or b.plain:
        return False
    merge_sz = (a.sz + b.sz - 11) & 0xFFFFFFFF
    if _size_meets_optimization(merge_sz, fill):
        return True
    if merge_sz > SIZE_SAFETY_LIMIT:
        return False
    return len(a.items) + len(b.items) <= fill


class Quicklist:
    """A list value: ``nodes`` head to tail, ``count`` elements, and the fill and compress
    depth it was created with."""

    __slots__ = ("nodes", "count", "fill", "compress")

    def __init__(self, fill: int = -2, compress: int = 0) -> None:
        self.nodes: list[Node] = []
        self.count = 0
        self.fill = max(-5, min(fill, FILL_MAX))  # quicklistSetFill
        self.compress = max(0, min(compress, COMPRESS_MAX))

    @classmethod
    def create(cls, limits: EncodingLimits) -> Quicklist:
        return cls(limits.list_max_listpack_size, limits.list_compress_depth)

    def __len__(self) -> int:
        return self.count

    def encoding(self) -> str:
        return "quicklist"

    def copy_value(self) -> Quicklist:
        q = Quicklist(self.fill, self.compress)
        q.nodes = [n.copy() for n in self.nodes]
        q.count = self.count
        return q

    # -- push / pop ----------------------------------------------------------------------
    def push_head(self, value: bytes, threshold: int) -> None:
        nodes = self.nodes
        self.count += 1
        if len(value) >= threshold:
            nodes.insert(0, Node([value], plain=True))
            return
        head = nodes[0] if nodes else None
        fill = self.fill
        if head is not None and (
            (not head.plain and head.sz + len(value) + 8 <= OPTIMIZATION_LEVEL[-fill - 1])
            if fill < 0
            else allow_insert(head, fill, len(value), threshold)
        ):
            head.items[:0] = (value,)  # (a memmove: list.insert moves item by item)
            head.sz += _element_size(value)
        else:
            nodes.insert(0, Node([value]))

    def push_tail(self, value: bytes, threshold: int) -> None:
        nodes = self.nodes
        self.count += 1
        if len(value) >= threshold:
            nodes.append(Node([value], plain=True))
            return
        tail = nodes[-1] if nodes else None
        fill = self.fill
        if tail is not None and (
            (not tail.plain and tail.sz + len(value) + 8 <= OPTIMIZATION_LEVEL[-fill - 1])
            if fill < 0
            else allow_insert(tail, fill, len(value), threshold)
        ):
            tail.items.append(value)
            tail.sz += _element_size(value)
        else:
            nodes.append(Node([value]))

    def pop_head(self) -> bytes:
        node = self.nodes[0]
        value = node.items.pop(0)
        self._removed(0, node, value)
        return value

    def pop_tail(self) -> bytes:
        node = self.nodes[-1]
        value = node.items.pop()
        self._removed(len(self.nodes) - 1, node, value)
        return value

    def _removed(self, ni: int, node: Node, value: bytes) -> None:
        """quicklistDelIndex's bookkeeping after one element left node ``ni``."""
        self.count -= 1
        if not node.items:
            del self.nodes[ni]
        elif not node.plain:
            node.sz -= _element_size(value)

    # -- positions ----------------------------------------------------------------------
    def locate(self, index: int) -> tuple[int, int] | None:
        """(node index, offset in the node) of element ``index`` (negative from the tail)."""
        count = self.count
        if index < 0:
            index += count
        if not 0 <= index < count:
            return None
        nodes = self.nodes
        if index <= (count - 1) // 2:
            for ni, node in enumerate(nodes):
                n = len(node.items)
                if index < n:
                    return ni, index
                index -= n
        else:
            back = count - 1 - index
            for ni in range(len(nodes) - 1, -1, -1):
                n = len(nodes[ni].items)
                if back < n:
                    return ni, n - 1 - back
                back -= n
        return None

    def index(self, index: int) -> bytes | None:
        pos = self.locate(index)
        if pos is None:
            return None
        return self.nodes[pos[0]].items[pos[1]]

    def __iter__(self) -> Iterator[bytes]:
        for node in self.nodes:
            yield from node.items

    def reversed(self) -> Iterator[bytes]:
        for node in reversed(self.nodes):
            yield from reversed(node.items)

    def range(self, start: int, stop: int) -> list[bytes]:
        """Elements ``start`` .. ``stop`` (inclusive), both already within the list."""
        pos = self.locate(start)
        if pos is None:
            return []
        ni, off = pos
        want = stop - start + 1
        out: list[bytes] = []
        nodes = self.nodes
        while want > 0:
            items = nodes[ni].items
            chunk = items[off : off + want]
            out += chunk
            want -= len(chunk)
            ni += 1
            off = 0
        return out

    # -- deletion ---------------------------------------------------------------------------
    def delete_at(self, ni: int, off: int) -> None:
        """quicklistDelIndex of one element."""
        node = self.nodes[ni]
        value = node.items.pop(off)
        self._removed(ni, node, value)

    def delete_range(self, start: int, count: int) -> None:
        """quicklistDelRange: ``count`` elements from ``start`` (negative from the tail); nodes
        that empty go, nothing merges."""
        if count <= 0:
            return
        total = self.count
        if start < 0:
            start = max(total + start, 0)
        stop = min(start + count, total)
        pos = self.locate(start)
        if pos is None:
            return
        ni, off = pos
        remaining = stop - start
        while remaining > 0:
            node = self.nodes[ni]
            n = len(node.items)
            take = min(n - off, remaining)
            if take == n or node.plain:
                del self.nodes[ni]
            else:
                removed = node.items[off : off + take]
                del node.items[off : off + take]
                node.sz -= sum(map(_element_size, removed))
                ni += 1
            self.count -= take
            remaining -= take
            off = 0

    # -- insertion and replacement (LINSERT, LSET) -------------------------------------------
    def insert(self, ni: int, off: int, value: bytes, after: bool, threshold: int) -> None:
        """_quicklistInsert next to element ``off`` of node ``ni``."""
        nodes = self.nodes
        node = nodes[ni]
        fill = self.fill
        sz = len(value)
        count = len(node.items)
        full = not allow_insert(node, fill, sz, threshold)
        at_tail = after and off == count - 1
        at_head = not after and off == 0
        nxt = nodes[ni + 1] if ni + 1 < len(nodes) else None
        prv = nodes[ni - 1] if ni > 0 else None
        avail_next = at_tail and allow_insert(nxt, fill, sz, threshold)
        avail_prev = at_head and allow_insert(prv, fill, sz, threshold)
        self.count += 1
        if sz >= threshold:
            plain = Node([value], plain=True)
            if node.plain or at_tail or at_head:
                nodes.insert(ni + 1 if after else ni, plain)
            else:
                first, second = self._split(node, off, after)
                if after:
                    nodes[ni : ni + 1] = [first, plain, second]
                else:
                    nodes[ni : ni + 1] = [second, plain, first]
            return
        if not full:
            node.items.insert(off + 1 if after else off, value)
            node.sz += _element_size(value)
        elif at_tail and avail_next:
            assert nxt is not None
            nxt.items[:0] = (value,)
            nxt.sz += _element_size(value)
        elif at_head and avail_prev:
            assert prv is not None
            prv.items.append(value)
            prv.sz += _element_size(value)
        elif at_tail or at_head:
            nodes.insert(ni + 1 if after else ni, Node([value]))
        else:
            kept, new = self._split(node, off, after)
            if after:
                new.items[:0] = (value,)
                new.sz += _element_size(value)
                nodes[ni : ni + 1] = [kept, new]
                center = ni
            else:
                new.items.append(value)
                new.sz += _element_size(value)
                nodes[ni : ni + 1] = [new, kept]
                center = ni + 1
            self._merge_around(center)

    @staticmethod
    def _split(node: Node, off: int, after: bool) -> tuple[Node, Node]:
        """_quicklistSplitNode: (the node as kept, the new node).  After: the node keeps
        [0, off] and the new one gets the rest; before: the node keeps [off, end) and the new
        one gets [0, off)."""
        items = node.items
        if after:
            kept, new = items[: off + 1], items[off + 1 :]
        else:
            kept, new = items[off:], items[:off]
        return Node(kept, node.plain and bool(kept)), Node(new)

    def _merge(self, i: int) -> int:
        """_quicklistListpackMerge of nodes i and i+1; returns the merged node's index."""
        a, b = self.nodes[i], self.nodes[i + 1]
        merged = Node.__new__(Node)
        merged.items = a.items + b.items
        merged.plain = False
        merged.sz = a.sz + b.sz - listpack.EMPTY_SIZE
        self.nodes[i : i + 2] = [merged]
        return i

    def _merge_around(self, center: int) -> None:
        """_quicklistMergeNodes: try prev_prev+prev, next+next_next, then center with its
        neighbours."""
        nodes = self.nodes
        fill = self.fill

        def at(i: int) -> Node | None:
            return nodes[i] if 0 <= i < len(nodes) else None

        if center >= 2 and allow_merge(at(center - 1), at(center - 2), fill):
            self._merge(center - 2)
            center -= 1
        if allow_merge(at(center + 1), at(center + 2), fill):
            self._merge(center + 1)
        if center >= 1 and allow_merge(at(center), at(center - 1), fill):
            center = self._merge(center - 1)
        if allow_merge(at(center), at(center + 1), fill):
            self._merge(center)

    def replace(self, index: int, value: bytes, threshold: int) -> bool:
        """quicklistReplaceAtIndex (LSET): in place, with no size check, unless a plain
        element is involved."""
        pos = self.locate(index)
        if pos is None:
            return False
        ni, off = pos
        node = self.nodes[ni]
        large = len(value) >= threshold
        if not node.plain and not large:
            old = node.items[off]
            node.items[off] = value
            node.sz += _element_size(value) - _element_size(old)
        elif node.plain:
            if large:
                node.items[0] = value
                node.sz = len(value)
            else:
                self.insert(ni, 0, value, True, threshold)
                del self.nodes[ni]
                self.count -= 1
        else:
            self.insert(ni, off, value, True, threshold)
            # the replaced element is now the last one of node ni
            node = self.nodes[ni]
            if len(node.items) == 1:
                del self.nodes[ni]
                self.count -= 1
            else:
                self.delete_at(ni, len(node.items) - 1)
        return True

    # -- DEBUG OBJECT ---------------------------------------------------------------------
    def debug_fields(self) -> str:
        avg = self.count / len(self.nodes) if self.nodes else float("nan")
        size = sum(n.sz for n in self.nodes)
        return (
            f" ql_nodes:{len(self.nodes)} ql_avg_node:{avg:.2f} ql_listpack_max:{self.fill}"
            f" ql_compressed:{int(self.compress != 0)} ql_uncompressed_size:{size}"
        )


# -- DUMP / RESTORE ----------------------------------------------------------------------------
def write_rdb(q: Quicklist, compress: bool = True) -> bytes:
    out = [rdb.save_len(len(q.nodes))]
    save = rdb.save_string
    for node in q.nodes:
        if node.plain:
            out.append(rdb.save_len(CONTAINER_PLAIN))
            out.append(save(node.items[0], compress))
        else:
            out.append(rdb.save_len(CONTAINER_PACKED))
            out.append(save(listpack.encode(node.items), compress))
    return b"".join(out)


def _packed_node(items: list[bytes]) -> Node:
    return Node(items)


def read_quicklist(reader: rdb.Reader, limits: EncodingLimits, version: int = 2) -> Quicklist:
    """RDB_TYPE_LIST_QUICKLIST(_2): one node per stored listpack (or ziplist, or plain
    element); empty ones are skipped."""
    n = reader.load_plain_len()
    if n == 0:
        raise rdb.RDBError("empty list")
    q = Quicklist.create(limits)
    for _ in range(n):
        container = CONTAINER_PACKED
        if version == 2:
            container = reader.load_plain_len()
            if container not in (CONTAINER_PLAIN, CONTAINER_PACKED):
                raise rdb.RDBError("Quicklist integrity check failed.")
        data = reader.load_string()
        if not data:
            raise rdb.RDBError("empty quicklist node")
        if container == CONTAINER_PLAIN:
            q.nodes.append(Node([data], plain=True))
            q.count += 1
            continue
        try:
            items = listpack.decode(data) if version == 2 else listpack.decode_ziplist(data)
        except listpack.ListpackError as e:
            raise rdb.RDBError(str(e)) from None
        if items:
            q.nodes.append(_packed_node(items))
            q.count += len(items)
    if not q.count:
        raise rdb.RDBError("empty list")
    return q


def _pushed(elements: list[bytes], limits: EncodingLimits) -> Quicklist:
    if not elements:
        raise rdb.RDBError("empty list")
    q = Quicklist.create(limits)
    for e in elements:
        q.push_tail(e, limits.packed_threshold)
    return q


def read_linked_list(reader: rdb.Reader, limits: EncodingLimits) -> Quicklist:
    """RDB_TYPE_LIST: every element pushed at the tail."""
    n = reader.load_plain_len()
    return _pushed([reader.load_string() for _ in range(n)], limits)


def read_ziplist(reader: rdb.Reader, limits: EncodingLimits) -> Quicklist:
    try:
        items = listpack.decode_ziplist(reader.load_string())
    except listpack.ListpackError as e:
        raise rdb.RDBError(str(e)) from None
    return _pushed(items, limits)


# -- snapshot ------------------------------------------------------------------------------
def _snapshot(q: Quicklist) -> tuple:
    return (q.fill, q.compress, [(n.plain, n.items) for n in q.nodes])


def _restore(data: tuple, limits: EncodingLimits) -> Quicklist:
    """As rdbLoadObject rebuilds a saved quicklist: the same nodes, today's fill."""
    q = Quicklist.create(limits)
    for plain, items in data[2]:
        q.nodes.append(Node(list(items), plain=plain))
        q.count += len(items)
    return q


TYPE_NAMES[Quicklist] = "list"
rdb.register_type(
    Quicklist,
    rdb.RDB_TYPE_LIST_QUICKLIST_2,
    write_rdb,
    {
        rdb.RDB_TYPE_LIST_QUICKLIST_2: read_quicklist,
        rdb.RDB_TYPE_LIST_QUICKLIST: lambda r, limits: read_quicklist(r, limits, version=1),
        rdb.RDB_TYPE_LIST: read_linked_list,
        rdb.RDB_TYPE_LIST_ZIPLIST: read_ziplist,
    },
)
persist.register_codec(Quicklist, "l", _snapshot, _restore)
