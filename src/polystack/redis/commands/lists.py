"""List commands (t_list.c): pushes and pops, ranges, LINSERT/LSET/LREM/LTRIM/LPOS (LMOVE,
LMPOP and the blocking family are in list_moves.py)."""

from __future__ import annotations

from typing import Any

from polystack.redis.args import (
    parse_int,
    parse_positive,
    small_int,
)
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import single
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.listpack import element_size as _element_size
from polystack.redis.lookup import db_add, db_delete, read_typed, write_typed
from polystack.redis.notify import NOTIFY_LIST, key_changed, modified, notify
from polystack.redis.objects import touch
from polystack.redis.quicklist import OPTIMIZATION_LEVEL, Quicklist
from polystack.redis.rangememo import RangeMemo
from polystack.redis.wire import NULL_ARRAY, OK, bulk_array

_LIST = "list"
_ONE_KEY = (1, 1, 1)
_WRONGTYPE = RedisError("WRONGTYPE", "Operation against a key holding the wrong kind of value")
_NO_SUCH_KEY = err("no such key")
_OUT_OF_RANGE = err("index out of range")
HEAD, TAIL = 0, 1


def _push(client: Any, argv: list[bytes], where: int, create: bool) -> Any:
    key = argv[1]
    db = client.db
    q = db.data.get(key)
    if q is None or (db.expires and key in db.expires):
        q = write_typed(client, key, Quicklist)
    elif type(q) is not Quicklist:
        raise _WRONGTYPE
    else:
        server = client.server
        if server.lfu:
            touch(client, key)
        else:  # (touch's common case, inline)
            db.lru[key] = server.lruclock
        if len(argv) == 3 and q.fill < 0:
            # One element onto an existing list (the common case): quicklist's push onto
            # the end node inline when it fits there (a short string that does not read
            # as an integer: 2 bytes of overhead)
            value = argv[2]
            size = len(value)
            node = q.nodes[-where]  # HEAD: the first node, TAIL: the last
            if (
                size < 63
                and (not value or value[0] > 0x39)
                and not node.plain
                and node.sz + size + 8 <= OPTIMIZATION_LEVEL[-q.fill - 1]
                and size < client.ks.limits.packed_threshold
            ):
                if where:
                    node.items.append(value)
                else:
                    node.items[:0] = (value,)  # (a memmove: list.insert moves item by item)
                node.sz += size + 2
                q.count += 1
                ks = client.ks
                if ks.key_listeners or ks.notify_classes or ks.new_candidates:
                    key_changed(client, db, key, NOTIFY_LIST, b"rpush" if where else b"lpush")
                ks.dirty += 1
                return q.count
    if q is None:
        if not create:
            return 0
        q = Quicklist.create(client.ks.limits)
        db_add(client, key, q)
    ks = client.ks
    threshold = ks.limits.packed_threshold
    if len(argv) == 3 and q.nodes and q.fill < 0:
        # One element (the common case): quicklist's push onto the end node inline when it
        # fits there (a short string that does not read as an integer: 2 bytes of overhead)
        value = argv[2]
        size = len(value)
        node = q.nodes[-where]  # HEAD: the first node, TAIL: the last
        if (
            size < 63
            and (not value or value[0] > 0x39)
            and size < threshold
            and not node.plain
            and node.sz + size + 8 <= OPTIMIZATION_LEVEL[-q.fill - 1]
        ):
            if where == HEAD:
                node.items[:0] = (value,)  # (a memmove: list.insert moves item by item)
            else:
                node.items.append(value)
            node.sz += size + 2
            q.count += 1
        elif where == HEAD:
            q.push_head(value, threshold)
        else:
            q.push_tail(value, threshold)
    else:
        push = q.push_head if where == HEAD else q.push_tail
        for value in argv[2:]:
            push(value, threshold)
    if ks.key_listeners or ks.notify_classes or ks.new_candidates:
        key_changed(client, db, key, NOTIFY_LIST, b"lpush" if where == HEAD else b"rpush")
    ks.dirty += len(argv) - 2
    return q.count


_PUSH_COMPLEXITY = (
    "O(1) for each element added, so O(N) to add N elements when the command is called with "
    "multiple arguments."
)


@command(
    "lpush",
    -3,
    "write denyoom fast",
    _ONE_KEY,
    _LIST,
    "1.0.0",
    "Prepend one or multiple elements to a list",
    complexity=_PUSH_COMPLEXITY,
    arguments="key:key element:string+",
    history=(("2.4.0", "Accepts multiple `element` arguments."),),
    specs=(single("RW INSERT"),),
)
def lpush(client: Any, argv: list[bytes]) -> Any:
    return _push(client, argv, HEAD, True)


@command(
    "rpush",
    -3,
    "write denyoom fast",
    _ONE_KEY,
    _LIST,
    "1.0.0",
    "Append one or multiple elements to a list",
    complexity=_PUSH_COMPLEXITY,
    arguments="key:key element:string+",
    history=(("2.4.0", "Accepts multiple `element` arguments."),),
    specs=(single("RW INSERT"),),
)
def rpush(client: Any, argv: list[bytes]) -> Any:
    return _push(client, argv, TAIL, True)


@command(
    "lpushx",
    -3,
    "write denyoom fast",
    _ONE_KEY,
    _LIST,
    "2.2.0",
    "Prepend an element to a list, only if the list exists",
    complexity=_PUSH_COMPLEXITY,
    arguments="key:key element:string+",
    history=(("4.0.0", "Accepts multiple `element` arguments."),),
    specs=(single("RW INSERT"),),
)
def lpushx(client: Any, argv: list[bytes]) -> Any:
    return _push(client, argv, HEAD, False)


@command(
    "rpushx",
    -3,
    "write denyoom fast",
    _ONE_KEY,
    _LIST,
    "2.2.0",
    "Append an element to a list, only if the list exists",
    complexity=_PUSH_COMPLEXITY,
    arguments="key:key element:string+",
    history=(("4.0.0", "Accepts multiple `element` arguments."),),
    specs=(single("RW INSERT"),),
)
def rpushx(client: Any, argv: list[bytes]) -> Any:
    return _push(client, argv, TAIL, False)


# -- pops -------------------------------------------------------------------------------------
def elements_removed(client: Any, key: bytes, q: Quicklist, where: int, count: int) -> None:
    """listElementsRemoved: events, key deletion when empty, dirty."""
    ks = client.ks
    if ks.notify_classes or ks.new_candidates:
        notify(client, NOTIFY_LIST, b"lpop" if where == HEAD else b"rpop", key)
    if not q.count:
        db_delete(client, key)
    if ks.key_listeners:
        modified(client, key)
    ks.dirty += count


def pop_range(q: Quicklist, where: int, count: int) -> list[bytes]:
    """The first (or last, reversed) ``count`` elements, removed."""
    n = min(count, q.count)
    if where == HEAD:
        items = q.range(0, n - 1)
        q.delete_range(0, n)
    else:
        items = q.range(q.count - n, q.count - 1)
        items.reverse()
        q.delete_range(-n, n)
    return items


def _pop(client: Any, argv: list[bytes], where: int) -> Any:
    if len(argv) == 2:  # one element, no count (the common case, inline)
        key = argv[1]
        db = client.db
        q = db.data.get(key)
        if q is None or (db.expires and key in db.expires):
            q = write_typed(client, key, Quicklist)
            if q is None:
                return None
        elif type(q) is not Quicklist:
            raise _WRONGTYPE
        else:
            server = client.server
            if server.lfu:
                touch(client, key)
            else:  # (touch's common case, inline)
                db.lru[key] = server.lruclock
        nodes = q.nodes
        node = nodes[-where]  # HEAD: the first node, TAIL: the last
        items = node.items
        value = items.pop() if where else items.pop(0)
        q.count -= 1
        if not items:
            del nodes[-where]
        elif not node.plain:
            size = len(value)
            if size < 63 and (not value or value[0] > 0x39):
                node.sz -= size + 2  # listpack.element_size's short string
            else:
                node.sz -= _element_size(value)
        ks = client.ks
        if q.count and not (ks.notify_classes or ks.new_candidates or ks.key_listeners):
            ks.dirty += 1
        else:
            elements_removed(client, key, q, where, 1)
        return value
    if len(argv) > 3:
        name = argv[0].decode("latin-1").lower()
        raise err(f"wrong number of arguments for '{name}' command")
    count = parse_positive(argv[2])
    key = argv[1]
    q = write_typed(client, key, Quicklist)
    if q is None:
        return NULL_ARRAY
    if not count:
        return []
    items = pop_range(q, where, count)
    elements_removed(client, key, q, where, len(items))
    return bulk_array(items)


_POP_SPECS = (single("RW ACCESS DELETE"),)


@command(
    "lpop",
    -2,
    "write fast",
    _ONE_KEY,
    _LIST,
    "1.0.0",
    "Remove and get the first elements in a list",
    complexity="O(N) where N is the number of elements returned",
    arguments="key:key count:integer?@6.2.0",
    history=(("6.2.0", "Added the `count` argument."),),
    specs=_POP_SPECS,
)
def lpop(client: Any, argv: list[bytes]) -> Any:
    return _pop(client, argv, HEAD)


@command(
    "rpop",
    -2,
    "write fast",
    _ONE_KEY,
    _LIST,
    "1.0.0",
    "Remove and get the last elements in a list",
    complexity="O(N) where N is the number of elements returned",
    arguments="key:key count:integer?@6.2.0",
    history=(("6.2.0", "Added the `count` argument."),),
    specs=_POP_SPECS,
)
def rpop(client: Any, argv: list[bytes]) -> Any:
    return _pop(client, argv, TAIL)


# -- reading ------------------------------------------------------------------------------------
@command(
    "llen",
    2,
    "readonly fast",
    _ONE_KEY,
    _LIST,
    "1.0.0",
    "Get the length of a list",
    complexity="O(1)",
    arguments="key:key",
    specs=(single("RO"),),
)
def llen(client: Any, argv: list[bytes]) -> Any:
    q = read_typed(client, argv[1], Quicklist)
    return 0 if q is None else q.count


@command(
    "lindex",
    3,
    "readonly",
    _ONE_KEY,
    _LIST,
    "1.0.0",
    "Get an element from a list by its index",
    complexity="O(N) where N is the number of elements to traverse to get to the element at "
    "index. This makes asking for the first or the last element of the list O(1).",
    arguments="key:key index:integer",
    specs=(single("RO ACCESS"),),
)
def lindex(client: Any, argv: list[bytes]) -> Any:
    q = read_typed(client, argv[1], Quicklist)
    if q is None:
        return None
    return q.index(parse_int(argv[2]))


def list_range(q: Quicklist, start: int, end: int) -> list[bytes]:
    n = q.count
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return []
    return q.range(start, min(end, n - 1))


_LRANGE = RangeMemo()  # the last reply (an unchanged range is not encoded again)


@command(
    "lrange",
    4,
    "readonly",
    _ONE_KEY,
    _LIST,
    "1.0.0",
    "Get a range of elements from a list",
    complexity="O(S+N) where S is the distance of start offset from HEAD for small lists, from "
    "nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the "
    "specified range.",
    arguments="key:key start:integer stop:integer",
    specs=(single("RO ACCESS"),),
)
def lrange(client: Any, argv: list[bytes]) -> Any:
    start = small_int(argv[2])
    if start is None:
        start = parse_int(argv[2])
    end = small_int(argv[3])
    if end is None:
        end = parse_int(argv[3])
    key = argv[1]
    db = client.db
    q = db.data.get(key)
    if q is None or (db.expires and key in db.expires):
        q = read_typed(client, key, Quicklist)
        if q is None:
            return []
    else:  # (read_typed's common case, inline)
        client.ks.keyspace_hits += 1
        server = client.server
        if server.lfu:
            touch(client, key)
        else:
            db.lru[key] = server.lruclock
        if type(q) is not Quicklist:
            raise _WRONGTYPE
    n = q.count  # list_range, inline
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return []
    if end >= n:
        end = n - 1
    first = q.nodes[0].items
    if end < len(first):  # all in the first node: one slice
        return _LRANGE.bulk_array(first[start : end + 1])
    return _LRANGE.bulk_array(q.range(start, end))


@command(
    "lpos",
    -3,
    "readonly",
    _ONE_KEY,
    _LIST,
    "6.0.6",
    "Return the index of matching elements on a list",
    complexity="O(N) where N is the number of elements in the list, for the average case. When "
    "searching for elements near the head or the tail of the list, or when the MAXLEN option is "
    "provided, the command may run in constant time.",
    arguments="key:key element:string rank:integer'RANK'? num-matches:integer'COUNT'? "
    "len:integer'MAXLEN'?",
    specs=(single("RO ACCESS"),),
)
def lpos(client: Any, argv: list[bytes]) -> Any:
    element = argv[2]
    rank, count, maxlen = 1, -1, 0
    j = 3
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        more = n - 1 - j
        if opt == b"rank" and more:
            rank = parse_int(argv[j + 1])
            if rank == 0:
                raise err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the "
                    "second ... or use negative to start from the end of the list"
                )
        elif opt == b"count" and more:
            count = parse_positive(argv[j + 1], "COUNT can't be negative")
        elif opt == b"maxlen" and more:
            maxlen = parse_positive(argv[j + 1], "MAXLEN can't be negative")
        else:
            raise SYNTAX
        j += 2
    forward = rank > 0
    rank = abs(rank)
    q = read_typed(client, argv[1], Quicklist)
    if q is None:
        return [] if count != -1 else None
    total = q.count
    matches = 0
    found: list[int] = []
    for index, value in enumerate(iter(q) if forward else q.reversed()):
        if maxlen and index >= maxlen:
            break
        if value == element:
            matches += 1
            if matches >= rank:
                found.append(index if forward else total - index - 1)
                if count == -1 or (count and matches - rank + 1 >= count):
                    break
    if count != -1:
        return found
    return found[0] if found else None


# -- editing ----------------------------------------------------------------------------------
@command(
    "linsert",
    5,
    "write denyoom",
    _ONE_KEY,
    _LIST,
    "2.2.0",
    "Insert an element before or after another element in a list",
    complexity="O(N) where N is the number of elements to traverse before seeing the value "
    "pivot. This means that inserting somewhere on the left end on the list (head) can be "
    "considered O(1) and inserting somewhere on the right end (tail) is O(N).",
    arguments="key:key where:oneof{before:pure-token'BEFORE' after:pure-token'AFTER'} "
    "pivot:string element:string",
    specs=(single("RW INSERT"),),
)
def linsert(client: Any, argv: list[bytes]) -> Any:
    where = argv[2].lower()
    if where == b"after":
        after = True
    elif where == b"before":
        after = False
    else:
        raise SYNTAX
    key = argv[1]
    q = write_typed(client, key, Quicklist)
    if q is None:
        return 0
    pivot = argv[3]
    for ni, node in enumerate(q.nodes):
        items = node.items
        if pivot in items:
            q.insert(ni, items.index(pivot), argv[4], after, client.ks.limits.packed_threshold)
            modified(client, key)
            notify(client, NOTIFY_LIST, b"linsert", key)
            client.ks.dirty += 1
            return q.count
    return -1


@command(
    "lset",
    4,
    "write denyoom",
    _ONE_KEY,
    _LIST,
    "1.0.0",
    "Set the value of an element in a list by its index",
    complexity="O(N) where N is the length of the list. Setting either the first or the last "
    "element of the list is O(1).",
    arguments="key:key index:integer element:string",
    specs=(single("RW UPDATE"),),
)
def lset(client: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    q = write_typed(client, key, Quicklist)
    if q is None:
        raise _NO_SUCH_KEY
    index = parse_int(argv[2])
    if not q.replace(index, argv[3], client.ks.limits.packed_threshold):
        raise _OUT_OF_RANGE
    modified(client, key)
    notify(client, NOTIFY_LIST, b"lset", key)
    client.ks.dirty += 1
    return OK


@command(
    "lrem",
    4,
    "write",
    _ONE_KEY,
    _LIST,
    "1.0.0",
    "Remove elements from a list",
    complexity="O(N+M) where N is the length of the list and M is the number of elements removed.",
    arguments="key:key count:integer element:string",
    specs=(single("RW DELETE"),),
)
def lrem(client: Any, argv: list[bytes]) -> Any:
    toremove = parse_int(argv[2])
    key = argv[1]
    q = write_typed(client, key, Quicklist)
    if q is None:
        return 0
    element = argv[3]
    removed = 0
    nodes = q.nodes
    if toremove >= 0:
        ni = 0
        done = False
        while ni < len(nodes) and not done:
            node = nodes[ni]
            off = 0
            while off < len(node.items):
                if node.items[off] != element:
                    off += 1
                    continue
                last = len(node.items) == 1
                q.delete_at(ni, off)
                removed += 1
                if toremove and removed == toremove:
                    done = True
                    break
                if last:  # the node went away; the next one is now at ni
                    break
            else:
                ni += 1
    else:
        toremove = -toremove
        ni = len(nodes) - 1
        while ni >= 0 and removed < toremove:
            node = nodes[ni]
            off = len(node.items) - 1
            while off >= 0:
                if node.items[off] == element:
                    q.delete_at(ni, off)
                    removed += 1
                    if removed == toremove:
                        break
                off -= 1
            ni -= 1
    client.ks.dirty += removed
    if removed:
        modified(client, key)
        notify(client, NOTIFY_LIST, b"lrem", key)
    if not q.count:
        db_delete(client, key)
    return removed


@command(
    "ltrim",
    4,
    "write",
    _ONE_KEY,
    _LIST,
    "1.0.0",
    "Trim a list to the specified range",
    complexity="O(N) where N is the number of elements to be removed by the operation.",
    arguments="key:key start:integer stop:integer",
    specs=(single("RW DELETE"),),
)
def ltrim(client: Any, argv: list[bytes]) -> Any:
    start, end = parse_int(argv[2]), parse_int(argv[3])
    key = argv[1]
    q = write_typed(client, key, Quicklist)
    if q is None:
        return OK
    n = q.count
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        ltrim_, rtrim = n, 0
    else:
        end = min(end, n - 1)
        ltrim_, rtrim = start, n - end - 1
    q.delete_range(0, ltrim_)
    q.delete_range(-rtrim, rtrim)
    notify(client, NOTIFY_LIST, b"ltrim", key)
    if not q.count:
        db_delete(client, key)
    modified(client, key)
    client.ks.dirty += ltrim_ + rtrim
    return OK
