"""SORT and SORT_RO (sort.c): sort a list, set or sorted set numerically or lexicographically,
by the element itself or by the value of other keys (``BY weight_*``, ``BY h_*->field``),
project other keys (``GET obj_* GET #``), page with LIMIT and store the result as a list."""

from __future__ import annotations

from typing import Any

from polystack.redis import acl as aclmod
from polystack.redis.args import parse_int, strtod
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import GETKEYS_FLAGS, single, spec
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.hash_type import RedisHash
from polystack.redis.lookup import db_add, db_delete, lookup_read
from polystack.redis.notify import NOTIFY_LIST, modified, notify
from polystack.redis.objects import new_stamp
from polystack.redis.quicklist import Quicklist
from polystack.redis.set_type import RedisSet
from polystack.redis.zset_type import ZSet

_WRONGTYPE = RedisError("WRONGTYPE", "Operation against a key holding the wrong kind of value")
_NOT_DOUBLE = err("One or more scores can't be converted into double")
_BY_DENIED = err("BY option of SORT denied due to insufficient ACL permissions.")
_GET_DENIED = err("GET option of SORT denied due to insufficient ACL permissions.")
_CATEGORIES = ("@set", "@sortedset", "@list", "@slow", "@dangerous")
_ARGUMENTS = (
    "key:key pattern:pattern'BY'?#1 offset_count:block'LIMIT'?{offset:integer count:integer} "
    "pattern:pattern'GET'?+!#1 order:oneof?{asc:pure-token'ASC' desc:pure-token'DESC'} "
    "sorting:pure-token'ALPHA'?"
)
_BY_GET_NOTE = (
    "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from "
    "the content of the key we sort"
)
_STORE_NOTE = (
    "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear "
    "anywhere in the argument array"
)
_UNKNOWN = ("unknown",)


def sort_keys(argv: list[bytes]) -> list[int]:
    """sortGetKeys: the sorted key and the last STORE destination (options are skipped with
    their arguments, as SORT itself reads them)."""
    keys = [1]
    store = 0
    i = 2
    n = len(argv)
    while i < n:
        word = argv[i].lower()
        if word == b"limit":
            i += 2
        elif word in (b"get", b"by"):
            i += 1
        elif word == b"store" and i + 1 < n:
            store = i + 1
            i += 1
        i += 1
    if store:
        keys.append(store)
    return keys


def sort_key_flags(argv: list[bytes], pos: int) -> str:
    """The flags sortGetKeys gives: the sorted key is read, the destination overwritten."""
    return "RO access" if pos == 1 else "OW update"


def _c_string(b: bytes) -> bytes:
    """The bytes C string functions (strchr, strcoll) see: up to the first NUL."""
    nul = b.find(b"\x00")
    return b if nul < 0 else b[:nul]


def lookup_by_pattern(client: Any, pattern: bytes, subst: bytes) -> bytes | None:
    """lookupKeyByPattern: ``#`` is the element itself; the first ``*`` is replaced by the
    element, and ``->field`` after it reads that field of a hash; anything but a string (or
    a hash, for a field) or a pattern without ``*`` gives None."""
    if _c_string(pattern) == b"#":
        return subst
    star = _c_string(pattern).find(b"*")
    if star < 0:
        return None
    arrow = pattern.find(b"->", star + 1)
    field = None
    if arrow >= 0 and arrow + 2 < len(pattern) and pattern[arrow + 2] != 0:
        field = pattern[arrow + 2 :]
        key = pattern[:star] + subst + pattern[star + 1 : arrow]
    else:
        key = pattern[:star] + subst + pattern[star + 1 :]
    value = lookup_read(client, key)
    if value is None:
        return None
    if field is not None:
        return value.get(field) if type(value) is RedisHash else None
    return value if type(value) is bytes else None


def _full_key_access(client: Any, argv: list[bytes]) -> bool:
    """ACLUserCheckCmdWithUnrestrictedKeyAccess: some selector of the user that allows this
    command also allows reading every key (BY and GET patterns read keys nobody named)."""
    user = getattr(client, "acl_user", None)
    if user is None:
        return True
    acl = client.server.acl
    cmd = client.server.commands.get(argv[0].lower())
    cmd_id = acl.table.ids.get(cmd.full_name) if cmd is not None else None
    for s in user.selectors:
        if not s.flags & aclmod.SEL_ALLKEYS and not any(
            flags & aclmod.READ and pattern == b"*" for flags, pattern in s.patterns
        ):
            continue
        one = aclmod.User(user.name, user.flags, [], [s])
        if acl.check(one, cmd_id, argv, None, None)[0] == aclmod.OK:
            return True
    return False


def _numeric(b: bytes) -> float | None:
    """The element (or BY value) as SORT reads a number: strtod of the C string, all of it,
    no overflow, not NaN ("" reads as 0)."""
    s = _c_string(b)
    value, used, erange = strtod(s)
    if used != len(s) or erange or value != value:
        return None
    return value


def sort_generic(client: Any, argv: list[bytes], readonly: bool) -> Any:
    desc = alpha = dontsort = False
    limit_start, limit_count = 0, -1
    sortby: bytes | None = None
    storekey: bytes | None = None
    gets: list[bytes] = []
    full_access: bool | None = None
    j = 2
    argc = len(argv)
    while j < argc:
        word = argv[j].lower()
        left = argc - j - 1
        if word == b"asc":
            desc = False
        elif word == b"desc":
            desc = True
        elif word == b"alpha":
            alpha = True
        elif word == b"limit" and left >= 2:
            limit_start = parse_int(argv[j + 1])
            limit_count = parse_int(argv[j + 2])
            j += 2
        elif not readonly and word == b"store" and left >= 1:
            storekey = argv[j + 1]
            j += 1
        elif word == b"by" and left >= 1:
            sortby = argv[j + 1]
            if b"*" not in _c_string(sortby):
                dontsort = True  # a constant BY: nothing to sort (it stays so)
            else:
                if full_access is None:
                    full_access = _full_key_access(client, argv)
                if not full_access:
                    raise _BY_DENIED
            j += 1
        elif word == b"get" and left >= 1:
            if full_access is None:
                full_access = _full_key_access(client, argv)
            if not full_access:
                raise _GET_DENIED
            gets.append(argv[j + 1])
            j += 1
        else:
            raise SYNTAX
        j += 1

    value = lookup_read(client, argv[1])
    if value is not None and type(value) not in (Quicklist, RedisSet, ZSet):
        raise _WRONGTYPE
    if value is None:
        value = Quicklist()

    # An unsorted set is sorted anyway when stored or in a script, so that replicas and
    # replays get the same order.
    if (
        dontsort
        and type(value) is RedisSet
        and (storekey is not None or getattr(client, "caller", None) is not None)
    ):
        dontsort, alpha, sortby = False, True, None

    if type(value) is ZSet:
        value.to_skiplist()  # SORT converts a listpack sorted set for good, as Redis does

    vectorlen = len(value)
    start = min(max(limit_start, 0), vectorlen)
    count = min(max(limit_count, -1), vectorlen)
    end = vectorlen - 1 if count < 0 else start + count - 1
    if start >= vectorlen:
        start, end = vectorlen - 1, vectorlen - 2
    if end >= vectorlen:
        end = vectorlen - 1

    if dontsort and type(value) is not RedisSet:
        # Lists and sorted sets keep their own order (DESC walks it backwards); LIMIT picks
        # the range directly.
        if end >= start:
            items = list(value) if type(value) is Quicklist else [m for _, m in value.sl]
            if desc:
                items.reverse()
            vector = items[start : end + 1]
        else:
            vector = []
        start, end = 0, len(vector) - 1
    else:
        if type(value) is Quicklist:
            vector = list(value)
        elif type(value) is RedisSet:
            vector = value.members()
        else:
            vector = list(value.dict.keys())

    if not dontsort:
        store = storekey is not None
        if alpha:
            cmp_keys: list[Any] = []
            if sortby is not None:
                for elem in vector:
                    by = lookup_by_pattern(client, sortby, elem)
                    if by is None:
                        cmp_keys.append((0, b""))  # a missing weight sorts first
                    else:
                        cmp_keys.append((1, by if store else _c_string(by)))
            else:
                cmp_keys = [(elem if store else _c_string(elem)) for elem in vector]
        else:
            cmp_keys = []
            bad = False
            for elem in vector:
                if sortby is not None:
                    by = lookup_by_pattern(client, sortby, elem)
                    if by is None:
                        cmp_keys.append((0.0, elem))
                        continue
                else:
                    by = elem
                score = _numeric(by)
                if score is None:
                    bad = True
                    score = 0.0
                cmp_keys.append((score, elem))
            if bad:
                raise _NOT_DOUBLE
        order = sorted(range(len(vector)), key=cmp_keys.__getitem__, reverse=desc)
        vector = [vector[i] for i in order]

    picked = vector[start : end + 1] if end >= start else []
    if storekey is None:
        if not gets:
            return picked
        out: list[bytes | None] = []
        for elem in picked:
            for pattern in gets:
                out.append(lookup_by_pattern(client, pattern, elem))
        return out
    return _store(client, storekey, picked, gets)


def _store(client: Any, dst: bytes, picked: list[bytes], gets: list[bytes]) -> int:
    if gets:
        values = [
            lookup_by_pattern(client, pattern, elem) or b"" for elem in picked for pattern in gets
        ]
    else:
        values = picked
    db = client.db
    if not values:
        if db.get(dst, client.now_ms()) is not None:
            db_delete(client, dst)
            modified(client, dst)
            client.ks.dirty += 1
        return 0
    ks = client.ks
    q = Quicklist.create(ks.limits)
    threshold = ks.limits.packed_threshold
    for v in values:
        q.push_tail(v, threshold)
    if db.get(dst, client.now_ms()) is not None:
        db.set(dst, q)
        db.lru[dst] = new_stamp(client)
    else:
        db_add(client, dst, q)
    modified(client, dst)
    notify(client, NOTIFY_LIST, b"sortstore", dst)
    ks.dirty += len(values)
    return len(values)


_SORT_SPECS = (
    single("RO access"),
    spec("RO access", _UNKNOWN, _UNKNOWN, _BY_GET_NOTE),
)


@command(
    "sort",
    -2,
    "write denyoom",
    (1, 1, 1),
    "generic",
    "1.0.0",
    "Sort the elements in a list, set or sorted set",
    complexity="O(N+M*log(M)) where N is the number of elements in the list or set to sort, "
    "and M the number of returned elements. When the elements are not sorted, complexity is "
    "O(N).",
    arguments=_ARGUMENTS + " destination:key'STORE'?#2",
    getkeys=sort_keys,
    specs=(*_SORT_SPECS, spec("OW update", _UNKNOWN, _UNKNOWN, _STORE_NOTE)),
    categories=("@write", *_CATEGORIES),
)
def sort(client: Any, argv: list[bytes]) -> Any:
    return sort_generic(client, argv, readonly=False)


@command(
    "sort_ro",
    -2,
    "readonly",
    (1, 1, 1),
    "generic",
    "7.0.0",
    "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
    complexity="O(N+M*log(M)) where N is the number of elements in the list or set to sort, "
    "and M the number of returned elements. When the elements are not sorted, complexity is "
    "O(N).",
    arguments=_ARGUMENTS,
    getkeys=sort_keys,
    specs=_SORT_SPECS,
    categories=("@read", *_CATEGORIES),
)
def sort_ro(client: Any, argv: list[bytes]) -> Any:
    return sort_generic(client, argv, readonly=True)


GETKEYS_FLAGS["sort"] = GETKEYS_FLAGS["sort_ro"] = sort_key_flags
