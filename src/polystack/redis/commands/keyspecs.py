"""Key specifications (Redis 7 ``key_specs``) for COMMAND INFO, COMMAND DOCS and GETKEYS.

A spec is ``(flags, begin_search, find_keys)`` plus an optional ``{"notes": ...}``:
``begin_search`` is ``("index", pos)`` or ``("keyword", keyword, startfrom)``; ``find_keys``
is ``("range", lastkey, keystep, limit)`` or ``("keynum", keynumidx, firstkey, keystep)``.
A command family module adds its commands' specs with :func:`key_specs`; a command with key
positions but no entry here gets one range spec derived from its (first, last, step).
"""

from __future__ import annotations

from typing import Any

Spec = tuple[Any, ...]

KEY_SPECS: dict[str, list[Spec]] = {
    "get": [("RO access", ("index", 1), ("range", 0, 1, 0))],
    "set": [
        (
            "RW access update variable_flags",
            ("index", 1),
            ("range", 0, 1, 0),
            {"notes": "RW and ACCESS due to the optional `GET` argument"},
        )
    ],
    "getex": [
        (
            "RW access update",
            ("index", 1),
            ("range", 0, 1, 0),
            {"notes": "RW and UPDATE because it changes the TTL"},
        )
    ],
    "getdel": [("RW access delete", ("index", 1), ("range", 0, 1, 0))],
    "getset": [("RW access update", ("index", 1), ("range", 0, 1, 0))],
    "mget": [("RO access", ("index", 1), ("range", -1, 1, 0))],
    "mset": [("OW update", ("index", 1), ("range", -1, 2, 0))],
    "msetnx": [("OW insert", ("index", 1), ("range", -1, 2, 0))],
    "setnx": [("OW insert", ("index", 1), ("range", 0, 1, 0))],
    "setex": [("OW update", ("index", 1), ("range", 0, 1, 0))],
    "psetex": [("OW update", ("index", 1), ("range", 0, 1, 0))],
    "append": [("RW insert", ("index", 1), ("range", 0, 1, 0))],
    "strlen": [("RO", ("index", 1), ("range", 0, 1, 0))],
    "getrange": [("RO access", ("index", 1), ("range", 0, 1, 0))],
    "setrange": [("RW update", ("index", 1), ("range", 0, 1, 0))],
    "substr": [("RO access", ("index", 1), ("range", 0, 1, 0))],
    "incr": [("RW access update", ("index", 1), ("range", 0, 1, 0))],
    "decr": [("RW access update", ("index", 1), ("range", 0, 1, 0))],
    "incrby": [("RW access update", ("index", 1), ("range", 0, 1, 0))],
    "decrby": [("RW access update", ("index", 1), ("range", 0, 1, 0))],
    "incrbyfloat": [("RW access update", ("index", 1), ("range", 0, 1, 0))],
    "lcs": [("RO access", ("index", 1), ("range", 1, 1, 0))],
    "del": [("RM delete", ("index", 1), ("range", -1, 1, 0))],
    "unlink": [("RM delete", ("index", 1), ("range", -1, 1, 0))],
    "exists": [("RO", ("index", 1), ("range", -1, 1, 0))],
    "expire": [("RW update", ("index", 1), ("range", 0, 1, 0))],
    "pexpire": [("RW update", ("index", 1), ("range", 0, 1, 0))],
    "expireat": [("RW update", ("index", 1), ("range", 0, 1, 0))],
    "pexpireat": [("RW update", ("index", 1), ("range", 0, 1, 0))],
    "expiretime": [("RO access", ("index", 1), ("range", 0, 1, 0))],
    "pexpiretime": [("RO access", ("index", 1), ("range", 0, 1, 0))],
    "ttl": [("RO access", ("index", 1), ("range", 0, 1, 0))],
    "pttl": [("RO access", ("index", 1), ("range", 0, 1, 0))],
    "persist": [("RW update", ("index", 1), ("range", 0, 1, 0))],
    "type": [("RO", ("index", 1), ("range", 0, 1, 0))],
    "rename": [
        ("RW access delete", ("index", 1), ("range", 0, 1, 0)),
        ("OW update", ("index", 2), ("range", 0, 1, 0)),
    ],
    "renamenx": [
        ("RW access delete", ("index", 1), ("range", 0, 1, 0)),
        ("OW insert", ("index", 2), ("range", 0, 1, 0)),
    ],
    "copy": [
        ("RO access", ("index", 1), ("range", 0, 1, 0)),
        ("OW update", ("index", 2), ("range", 0, 1, 0)),
    ],
    "move": [("RW access update", ("index", 1), ("range", 0, 1, 0))],
    "touch": [("RO", ("index", 1), ("range", -1, 1, 0))],
    "object|refcount": [("RO", ("index", 2), ("range", 0, 1, 0))],
    "object|idletime": [("RO", ("index", 2), ("range", 0, 1, 0))],
    "object|encoding": [("RO", ("index", 2), ("range", 0, 1, 0))],
    "object|freq": [("RO", ("index", 2), ("range", 0, 1, 0))],
    "dump": [("RO access", ("index", 1), ("range", 0, 1, 0))],
    "restore": [("OW update", ("index", 1), ("range", 0, 1, 0))],
}


def key_specs(full_name: str, *specs: Spec) -> None:
    """Declare the key specs of ``full_name`` (``"get"``, ``"object|encoding"``)."""
    KEY_SPECS[full_name] = list(specs)


def norm(flags: str) -> str:
    """Key spec flags as the table spells them: RO/RW/OW/RM upper case, the rest lower."""
    return " ".join(f if f in ("RO", "RW", "OW", "RM") else f.lower() for f in flags.split())


def single(flags: str, pos: int = 1) -> Spec:
    """The common spec: one key at position ``pos``."""
    return (norm(flags), ("index", pos), ("range", 0, 1, 0))


def spec(flags: str, begin: tuple, find: tuple, notes: str = "") -> Spec:
    """A key spec: ``begin`` ("index", pos) or ("keyword", word, startfrom); ``find``
    ("range", lastkey, step, limit) or ("keynum", keynumidx, firstkey, step)."""
    if notes:
        return (norm(flags), begin, find, {"notes": notes})
    return (norm(flags), begin, find)


def specs_for(cmd: Any) -> list[Spec]:
    if cmd.key_specs is not None:
        return list(cmd.key_specs)
    specs = KEY_SPECS.get(cmd.full_name)
    if specs is not None:
        return specs
    if cmd.first_key <= 0:
        return []
    lastkey = cmd.last_key - cmd.first_key if cmd.last_key >= 0 else cmd.last_key
    flags = "RO access" if "readonly" in cmd.flags else "RW update"
    return [(flags, ("index", cmd.first_key), ("range", lastkey, cmd.step or 1, 0))]


def _set_flags(argv: list[bytes]) -> str:
    """SET's key is RW ACCESS with GET (it reads the old value), else OW UPDATE."""
    if any(a.lower() == b"get" for a in argv[3:]):
        return "RW access update"
    return "OW update"


# Commands whose spec says ``variable_flags``: the flags depend on the arguments.
VARIABLE_FLAGS = {"set": _set_flags}

# Commands whose own key finder (``getkeys``) also names each key's flags, as SORT's
# sortGetKeys does: full name -> fn(argv, position) -> flags.
GETKEYS_FLAGS: dict[str, Any] = {}
