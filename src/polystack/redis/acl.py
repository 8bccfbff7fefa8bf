"""Redis 7.0 ACLs (acl.c): users, their passwords and selectors (commands, key and channel
patterns), the permission check, ACL SETUSER's rule language, the ACL LOG, and the ACL file.

A user's command permissions are a bitmap over :mod:`polystack.redis.aclcommands` (every
command and subcommand of Redis 7.0, plus any polystack-only command), so rules may name
commands polystack does not serve and ``ACL LIST`` describes users as Redis does: the
categories that fit the bitmap best, then the single commands that differ.  Redis iterates
its command table in hash order there, which differs between Redis processes: polystack uses
the table's (alphabetical) order.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from polystack.redis.aclcommands import CATEGORIES, COMMANDS
from polystack.redis.conf import split_args
from polystack.redis.flags import SLOW_ACL, SLOW_AUTH
from polystack.redis.glob import compile_pattern

# Key pattern permissions (ACL_READ_PERMISSION ...)
READ = 1
WRITE = 2
ALL = READ | WRITE

# Selector flags
SEL_ROOT = 1
SEL_ALLKEYS = 2
SEL_ALLCOMMANDS = 4
SEL_ALLCHANNELS = 8

# User flags, in the order ACL LIST shows them
U_ENABLED = 1
U_DISABLED = 2
U_NOPASS = 4
U_SKIP_SANITIZE = 8
U_SANITIZE = 16
USER_FLAGS = (
    ("on", U_ENABLED),
    ("off", U_DISABLED),
    ("nopass", U_NOPASS),
    ("skip-sanitize-payload", U_SKIP_SANITIZE),
    ("sanitize-payload", U_SANITIZE),
)

# Permission check results (ACL_OK, ACL_DENIED_*) and log contexts
OK = 0
DENIED_CMD = 1
DENIED_KEY = 2
DENIED_AUTH = 3
DENIED_CHANNEL = 4
REASONS = {DENIED_CMD: "command", DENIED_KEY: "key", DENIED_AUTH: "auth", DENIED_CHANNEL: "channel"}
CTX_TOPLEVEL = "toplevel"
CTX_MULTI = "multi"
CTX_LUA = "lua"

BITS = 1024  # USER_COMMAND_BITS_COUNT: the last bit marks "+@all" (future commands)
_FUTURE = 1 << (BITS - 1)
_ALL_BITS = (1 << BITS) - 1
LOG_GROUPING_MS = 60000

# ACLSetUserStringError
E_ENOENT = "Unknown command or category name in ACL"
E_EINVAL = "Syntax error"
E_EEXIST = (
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns"
)
E_EISDIR = (
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does "
    "not have any effect. Try 'resetchannels' to start with an empty list of channels"
)
E_ENODEV = "The password you are trying to remove from the user does not exist"
E_EBADMSG = (
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters"
)
E_ECHILD = "Allowing first-arg of a subcommand is not supported"


class ACLError(ValueError):
    """A rule ACLSetUser refuses; the message is ACLSetUserStringError's."""


def hash_password(password: bytes) -> str:
    return hashlib.sha256(password).hexdigest()


def _valid_hash(h: bytes) -> bool:
    return len(h) == 64 and all(c in b"0123456789abcdef" for c in h)


def has_spaces(s: bytes) -> bool:
    """ACLStringHasSpaces: whitespace or NUL."""
    return any(c in b" \t\n\r\v\f\x00" for c in s)


# -- the command table ACL rules see ------------------------------------------------------------
class CommandTable:
    """Command ids, categories and subcommands for ACL bitmaps."""

    def __init__(self, extra: Iterable[tuple[str, int, bool]] = ()) -> None:
        self.names: list[str] = []
        self.ids: dict[str, int] = {}
        self.cats: list[int] = []
        self.no_auth: list[bool] = []
        self.subs: dict[int, list[int]] = {}
        self.parent: dict[int, int] = {}
        self.redis_count = len(COMMANDS)  # ids past this are polystack's own commands
        for name, bits, no_auth in (*COMMANDS, *extra):
            if name in self.ids:
                continue
            i = len(self.names)
            self.names.append(name)
            self.ids[name] = i
            self.cats.append(bits)
            self.no_auth.append(no_auth)
            if "|" in name:
                p = self.ids.get(name.split("|", 1)[0])
                if p is not None:
                    self.parent[i] = p
                    self.subs.setdefault(p, []).append(i)
        # what +@cat / -@cat change (ACLSetSelectorCommandBitsForCategory): each command of
        # the category with all its subcommands, and each subcommand of the category
        self.cat_masks: list[int] = []
        for c in range(len(CATEGORIES)):
            mask = 0
            flag = 1 << c
            for i, bits in enumerate(self.cats):
                if bits & flag:
                    mask |= self.perm_mask(i)
            self.cat_masks.append(mask)
        self.order: list[int] = []  # parents, each followed by its subcommands
        for i in range(len(self.names)):
            if i not in self.parent:
                self.order.append(i)
                self.order.extend(self.subs.get(i, []))

    def perm_mask(self, i: int) -> int:
        """ACLChangeSelectorPerm's bits: the command and its subcommands."""
        mask = 1 << i
        for s in self.subs.get(i, ()):
            mask |= 1 << s
        return mask

    def lookup(self, name: str) -> int | None:
        """ACLLookupCommand: "cmd" or "cmd|sub" (case-insensitive); None if unknown."""
        parts = name.lower().split("|")
        if len(parts) > 2:
            return None
        i = self.ids.get(parts[0])
        if i is None or i in self.parent:
            return None
        if len(parts) == 1:
            return i
        if i not in self.subs:
            return None
        return self.ids.get(name.lower())

    def category(self, name: str) -> int | None:
        try:
            return CATEGORIES.index(name.lower())
        except ValueError:
            return None


# -- selectors and users ------------------------------------------------------------------------
@dataclass(eq=False)
class Selector:
    flags: int = 0
    allowed: int = 0
    firstargs: dict[int, list[bytes]] = field(default_factory=dict)
    patterns: list[list] = field(default_factory=list)  # [flags, pattern]
    channels: list[bytes] = field(default_factory=list)
    _matchers: dict = field(default_factory=dict, repr=False)

    def copy(self) -> Selector:
        return Selector(
            self.flags,
            self.allowed,
            {k: list(v) for k, v in self.firstargs.items()},
            [list(p) for p in self.patterns],
            list(self.channels),
        )

    def matcher(self, pattern: bytes) -> Callable[[bytes], bool]:
        m = self._matchers.get(pattern)
        if m is None:
            m = self._matchers[pattern] = compile_pattern(pattern)
        return m


@dataclass(eq=False)
class User:
    name: bytes
    flags: int = U_DISABLED
    passwords: list[str] = field(default_factory=list)
    selectors: list[Selector] = field(default_factory=list)

    @property
    def root(self) -> Selector:
        return self.selectors[0]

    def copy_from(self, other: User) -> None:
        """ACLCopyUser: the other user's rules (the name stays)."""
        self.flags = other.flags
        self.passwords = list(other.passwords)
        self.selectors = [s.copy() for s in other.selectors]

    @property
    def unrestricted(self) -> bool:
        """Can run any command on any key and channel (no check is needed)."""
        want = SEL_ALLKEYS | SEL_ALLCOMMANDS | SEL_ALLCHANNELS
        return any(s.flags & want == want for s in self.selectors)

    @property
    def name_str(self) -> str:
        return self.name.decode("utf-8", "replace")


@dataclass
class LogEntry:
    count: int
    reason: int
    context: str
    obj: bytes
    username: bytes
    ctime_ms: int
    client_info: str


class ACL:
    """The users, the ACL log and the rule language."""

    def __init__(self, table: CommandTable, pubsub_default_all: bool = False) -> None:
        self.table = table
        self.pubsub_default = SEL_ALLCHANNELS if pubsub_default_all else 0
        self.users: dict[bytes, User] = {}
        self.log: list[LogEntry] = []  # newest first
        self.log_max_len = 128
        self.default = self.create_default_user()
        self.users[b"default"] = self.default
        # what internal clients (the link from a master) run as: everything, never listed
        self.superuser = self.create_default_user()
        self.denied = {DENIED_AUTH: 0, DENIED_CMD: 0, DENIED_KEY: 0, DENIED_CHANNEL: 0}

    # -- users ----------------------------------------------------------------------------
    def new_user(self, name: bytes) -> User:
        """ACLCreateUser (unlinked): disabled, an empty root selector."""
        return User(name, U_DISABLED, [], [self.new_selector(SEL_ROOT)])

    def new_selector(self, flags: int = 0) -> Selector:
        return Selector(flags | self.pubsub_default)

    def create_default_user(self) -> User:
        u = self.new_user(b"default")
        for op in (b"+@all", b"~*", b"&*", b"on", b"nopass"):
            self.set_user(u, op)
        return u

    def get(self, name: bytes) -> User | None:
        return self.users.get(name)

    def sorted_users(self) -> list[User]:
        """The users in the radix tree's order (bytewise)."""
        return [self.users[k] for k in sorted(self.users)]

    def check_credentials(self, name: bytes, password: bytes) -> User | None:
        """ACLCheckUserCredentials: the user when the pair is valid."""
        u = self.users.get(name)
        if u is None or u.flags & U_DISABLED:
            return None
        if u.flags & U_NOPASS:
            return u
        hashed = hash_password(password)
        if any(hmac.compare_digest(hashed, p) for p in u.passwords):
            return u
        return None

    def update_default_password(self, password: bytes | None) -> None:
        """requirepass: the default user's only password (or nopass)."""
        self.set_user(self.default, b"resetpass")
        self.set_user(self.default, b">" + password if password else b"nopass")

    # -- ACLSetUser / ACLSetSelector ------------------------------------------------------------
    def set_user(self, u: User, op: bytes) -> None:
        if not op:
            return
        low = op.lower()
        if low == b"on":
            u.flags = (u.flags | U_ENABLED) & ~U_DISABLED
        elif low == b"off":
            u.flags = (u.flags | U_DISABLED) & ~U_ENABLED
        elif low == b"skip-sanitize-payload":
            u.flags = (u.flags | U_SKIP_SANITIZE) & ~U_SANITIZE
        elif low == b"sanitize-payload":
            u.flags = (u.flags | U_SANITIZE) & ~U_SKIP_SANITIZE
        elif low == b"nopass":
            u.flags |= U_NOPASS
            u.passwords.clear()
        elif low == b"resetpass":
            u.flags &= ~U_NOPASS
            u.passwords.clear()
        elif op[:1] in (b">", b"#"):
            if op[:1] == b">":
                new = hash_password(op[1:])
            else:
                if not _valid_hash(op[1:]):
                    raise ACLError(E_EBADMSG)
                new = op[1:].decode()
            if new not in u.passwords:
                u.passwords.append(new)
            u.flags &= ~U_NOPASS
        elif op[:1] in (b"<", b"!"):
            if op[:1] == b"<":
                gone = hash_password(op[1:])
            else:
                if not _valid_hash(op[1:]):
                    raise ACLError(E_EBADMSG)
                gone = op[1:].decode()
            if gone not in u.passwords:
                raise ACLError(E_ENODEV)
            u.passwords.remove(gone)
        elif op[:1] == b"(" and op[-1:] == b")":
            u.selectors.append(self.selector_from_opset(op))
        elif low == b"clearselectors":
            del u.selectors[1:]
        elif low == b"reset":
            for step in (b"resetpass", b"resetkeys", b"resetchannels"):
                self.set_user(u, step)
            if self.pubsub_default & SEL_ALLCHANNELS:
                self.set_user(u, b"allchannels")
            for step in (b"off", b"sanitize-payload", b"clearselectors", b"-@all"):
                self.set_user(u, step)
        else:
            self.set_selector(u.root, op)

    def selector_from_opset(self, op: bytes) -> Selector:
        s = self.new_selector(0)
        args = split_args(op[1:-1].decode("latin-1"))
        for a in args or []:
            self.set_selector(s, a.encode("latin-1"))
        return s

    def set_selector(self, s: Selector, op: bytes) -> None:
        low = op.lower()
        t = self.table
        if low in (b"allkeys", b"~*"):
            s.flags |= SEL_ALLKEYS
            s.patterns.clear()
        elif low == b"resetkeys":
            s.flags &= ~SEL_ALLKEYS
            s.patterns.clear()
        elif low in (b"allchannels", b"&*"):
            s.flags |= SEL_ALLCHANNELS
            s.channels.clear()
        elif low == b"resetchannels":
            s.flags &= ~SEL_ALLCHANNELS
            s.channels.clear()
        elif low in (b"allcommands", b"+@all"):
            s.allowed = _ALL_BITS
            s.flags |= SEL_ALLCOMMANDS
            s.firstargs.clear()
        elif low in (b"nocommands", b"-@all"):
            s.allowed = 0
            s.flags &= ~SEL_ALLCOMMANDS
            s.firstargs.clear()
        elif op[:1] in (b"~", b"%"):
            if s.flags & SEL_ALLKEYS:
                raise ACLError(E_EEXIST)
            flags = 0
            offset = 1
            if op[:1] == b"%":
                while offset < len(op):
                    c = op[offset : offset + 1]
                    if c.upper() == b"R" and not flags & READ:
                        flags |= READ
                    elif c.upper() == b"W" and not flags & WRITE:
                        flags |= WRITE
                    elif c == b"~":
                        offset += 1
                        break
                    else:
                        raise ACLError(E_EINVAL)
                    offset += 1
                if not flags:
                    raise ACLError(E_EINVAL)
            else:
                flags = ALL
            pattern = op[offset:]
            if has_spaces(pattern):
                raise ACLError(E_EINVAL)
            for p in s.patterns:
                if p[1] == pattern:
                    p[0] |= flags
                    break
            else:
                s.patterns.append([flags, pattern])
            s.flags &= ~SEL_ALLKEYS
        elif op[:1] == b"&":
            if s.flags & SEL_ALLCHANNELS:
                raise ACLError(E_EISDIR)
            pattern = op[1:]
            if has_spaces(pattern):
                raise ACLError(E_EINVAL)
            if pattern not in s.channels:
                s.channels.append(pattern)
            s.flags &= ~SEL_ALLCHANNELS
        elif op[:1] == b"+" and op[1:2] != b"@":
            name = op[1:].decode("latin-1")
            if "|" not in name:
                i = t.lookup(name)
                if i is None:
                    raise ACLError(E_ENOENT)
                self._change(s, i, True)
            else:
                base, _, sub = name.rpartition("|")
                i = t.lookup(base)
                if i is None:
                    raise ACLError(E_ENOENT)
                if "|" in base:
                    raise ACLError(E_ECHILD)
                if not sub:
                    raise ACLError(E_EINVAL)
                if i in t.subs:
                    j = t.lookup(name)
                    if j is None:
                        raise ACLError(E_ENOENT)
                    self._change(s, j, True)
                else:
                    args = s.firstargs.setdefault(i, [])
                    if not any(a.lower() == sub.lower().encode("latin-1") for a in args):
                        args.append(sub.encode("latin-1"))
        elif op[:1] == b"-" and op[1:2] != b"@":
            i = t.lookup(op[1:].decode("latin-1"))
            if i is None:
                raise ACLError(E_ENOENT)
            self._change(s, i, False)
        elif op[:1] in (b"+", b"-") and op[1:2] == b"@":
            category = t.category(op[2:].decode("latin-1"))
            if category is None:
                raise ACLError(E_ENOENT)
            self._category(s, category, op[:1] == b"+")
        else:
            raise ACLError(E_EINVAL)

    def _change(self, s: Selector, i: int, allow: bool) -> None:
        """ACLChangeSelectorPerm."""
        mask = self.table.perm_mask(i)
        if allow:
            s.allowed |= mask
        else:
            s.allowed &= ~mask
            s.flags &= ~SEL_ALLCOMMANDS
        s.firstargs.pop(i, None)

    def _category(self, s: Selector, c: int, allow: bool) -> None:
        t = self.table
        mask = t.cat_masks[c]
        if allow:
            s.allowed |= mask
        else:
            s.allowed &= ~mask
            if mask:
                s.flags &= ~SEL_ALLCOMMANDS
        flag = 1 << c
        for i, bits in enumerate(t.cats):
            if bits & flag:
                s.firstargs.pop(i, None)

    # -- describing -----------------------------------------------------------------------------
    def describe_commands(self, s: Selector) -> str:
        """ACLDescribeSelectorCommandRules: +@all or -@all, the categories that fit best,
        then the single commands that still differ."""
        t = self.table
        future = bool(s.allowed & _FUTURE)
        additive = not future
        rules = ["+@all" if future else "-@all"]
        fake = Selector(allowed=_ALL_BITS if future else 0)
        temp = s.allowed
        applied = [False] * len(CATEGORIES)
        while True:
            best = -1
            mindiff = 1 << 31
            maxsame = 0
            for c in range(len(CATEGORIES)):
                if applied[c]:
                    continue
                flag = 1 << c
                on = off = 0
                for i, bits in enumerate(t.cats[: t.redis_count]):
                    if bits & flag:
                        if temp >> i & 1:
                            on += 1
                        else:
                            off += 1
                diff, same = (off, on) if additive else (on, off)
                if same > diff and (diff < mindiff or (diff == mindiff and same > maxsame)):
                    best, mindiff, maxsame = c, diff, same
            if best < 0:
                break
            mask = t.cat_masks[best]
            if additive:
                rules.append("+@" + CATEGORIES[best])
                fake.allowed |= mask
                temp &= ~mask
            else:
                rules.append("-@" + CATEGORIES[best])
                fake.allowed &= ~mask
                temp |= mask
            applied[best] = True
        for i in t.order:
            user_bit = s.allowed >> i & 1
            if user_bit != fake.allowed >> i & 1:
                rules.append(("+" if user_bit else "-") + t.names[i])
                mask = t.perm_mask(i) if i not in t.parent else 1 << i
                fake.allowed = fake.allowed | mask if user_bit else fake.allowed & ~mask
            if not user_bit and i in s.firstargs:
                for a in s.firstargs[i]:
                    rules.append(f"+{t.names[i]}|{a.decode('latin-1')}")
        return " ".join(rules)

    @staticmethod
    def describe_keys(s: Selector) -> str:
        if s.flags & SEL_ALLKEYS:
            return "~*"
        return " ".join(_pattern_text(f, p) for f, p in s.patterns)

    @staticmethod
    def describe_channels(s: Selector) -> str:
        if s.flags & SEL_ALLCHANNELS:
            return "&*"
        return " ".join("&" + c.decode("latin-1") for c in s.channels)

    def describe_selector(self, s: Selector) -> str:
        parts = []
        if s.flags & SEL_ALLKEYS:
            parts.append("~*")
        else:
            parts += [_pattern_text(f, p) for f, p in s.patterns]
        if s.flags & SEL_ALLCHANNELS:
            parts.append("&*")
        else:
            parts.append("resetchannels")
            parts += ["&" + c.decode("latin-1") for c in s.channels]
        parts.append(self.describe_commands(s))
        return " ".join(parts)

    def describe_user(self, u: User) -> str:
        """ACLDescribeUser: flags, password hashes, the root selector, then (selectors)."""
        parts = [name for name, flag in USER_FLAGS if u.flags & flag]
        parts += ["#" + p for p in u.passwords]
        out = " ".join(parts)
        for s in u.selectors:
            d = self.describe_selector(s)
            if s.flags & SEL_ROOT:
                out = f"{out} {d}" if out else d
            else:
                out += f" ({d})"
        return out

    # -- permission checks ----------------------------------------------------------------------
    def check(
        self,
        u: User,
        cmd_id: int | None,
        argv: list[bytes],
        keys: Callable[[], list[tuple[int, int]]] | None,
        channels: tuple[int, int, bool] | None,
    ) -> tuple[int, int]:
        """ACLCheckAllUserCommandPerm: (result, argument index of the denied key/channel).
        ``keys()`` gives (position, READ/WRITE needs) of the command's keys; ``channels`` is
        (first index, count, literal) for the pub/sub commands that name channels."""
        relevant, last = DENIED_CMD, 0
        cached: list | None = None
        for s in u.selectors:
            result, idx = OK, 0
            if not s.flags & SEL_ALLCOMMANDS and cmd_id is not None:
                if not (s.allowed >> cmd_id & 1) and not self.table.no_auth[cmd_id]:
                    if not self._firstarg_ok(s, cmd_id, argv):
                        result = DENIED_CMD
            if result == OK and not s.flags & SEL_ALLKEYS and keys is not None:
                if cached is None:
                    cached = keys()
                for pos, need in cached:
                    if not self._key_ok(s, argv[pos], need):
                        result, idx = DENIED_KEY, pos
                        break
            if result == OK and not s.flags & SEL_ALLCHANNELS and channels is not None:
                first, count, literal = channels
                for j in range(first, first + count):
                    if not self._channel_ok(s.channels, argv[j], literal, s):
                        result, idx = DENIED_CHANNEL, j
                        break
            if result == OK:
                return OK, 0
            if result > relevant or (result == relevant and idx > last):
                relevant, last = result, idx
        return relevant, last

    def _firstarg_ok(self, s: Selector, cmd_id: int, argv: list[bytes]) -> bool:
        args = s.firstargs.get(cmd_id)
        if not args or len(argv) < 2:
            return False
        idx = 2 if cmd_id in self.table.parent else 1
        if idx >= len(argv):
            return False
        want = argv[idx].lower()
        return any(a.lower() == want for a in args)

    @staticmethod
    def _key_ok(s: Selector, key: bytes, need: int) -> bool:
        for flags, pattern in s.patterns:
            if flags & need != need:
                continue
            if s.matcher(pattern)(key):
                return True
        return False

    @staticmethod
    def _channel_ok(channels: list[bytes], channel: bytes, literal: bool, s: Selector) -> bool:
        for pattern in channels:
            if literal:
                if pattern == channel:
                    return True
            elif s.matcher(pattern)(channel):
                return True
        return False

    def channel_allowed(self, u: User, channel: bytes, literal: bool) -> bool:
        """ACLUserCheckChannelPerm."""
        for s in u.selectors:
            if s.flags & SEL_ALLCHANNELS or self._channel_ok(s.channels, channel, literal, s):
                return True
        return False

    # -- the log ------------------------------------------------------------------------------
    def add_log(
        self, reason: int, context: str, obj: bytes, username: bytes, now_ms: int, info: str
    ) -> None:
        """addACLLogEntry: a new entry, or one of the last ten similar entries bumped."""
        self.denied[reason] = self.denied.get(reason, 0) + 1
        for i, e in enumerate(self.log[:10]):
            if (
                e.reason == reason
                and e.context == context
                and abs(e.ctime_ms - now_ms) <= LOG_GROUPING_MS
                and e.obj == obj
                and e.username == username
            ):
                e.count += 1
                e.ctime_ms = now_ms
                e.client_info = info
                self.log.insert(0, self.log.pop(i))
                return
        self.log.insert(0, LogEntry(1, reason, context, obj, username, now_ms, info))
        del self.log[self.log_max_len :]

    # -- the ACL file -------------------------------------------------------------------------
    def load_file(self, path: str, shown_name: str) -> str | None:
        """ACLLoadFromFile: replace every user with the file's (the default user object is
        kept, with the file's rules); an error text, and nothing changed, on any error."""
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            return f"Error loading ACLs, opening file '{path}': {os.strerror(e.errno or 0)}"
        errors: list[str] = []
        users: dict[bytes, User] = {}
        for n, raw in enumerate(data.split(b"\n"), 1):
            line = raw.strip(b" \t\r\n")
            if not line:
                continue
            argv = [a for a in line.split(b" ")]
            if argv[0] != b"user" or len(argv) < 2:
                errors.append(
                    f"{shown_name}:{n} should start with user keyword followed by the username. "
                )
                continue
            name = argv[1]
            if has_spaces(name):
                errors.append(
                    f"'{shown_name}:{n}: username '{name.decode('latin-1')}' contains invalid "
                    "characters. "
                )
                continue
            if name in users:
                errors.append(
                    f"WARNING: Duplicate user '{name.decode('latin-1')}' found on line {n}. "
                )
                continue
            u = users[name] = self.new_user(name)
            merged = merge_selector_args(argv[2:])
            if merged is None:
                errors.append(f"{shown_name}:{n}: Unmatched parenthesis in selector definition.")
                merged = []
            for op in merged:
                try:
                    self.set_user(u, op.strip(b"\t\r\n"))
                except ACLError as e:
                    errors.append(f"{shown_name}:{n}: {e}. ")
        if errors:
            return (
                "".join(errors)
                + "WARNING: ACL errors detected, no change to the previously active ACL rules "
                "was performed"
            )
        new_default = users.pop(b"default", None) or self.create_default_user()
        self.default.copy_from(new_default)
        users[b"default"] = self.default
        self.users = users
        return None

    def save_text(self) -> bytes:
        """ACLSaveToFile's content: one ``user`` line per user."""
        return b"".join(
            b"user %b %b\n" % (u.name, self.describe_user(u).encode("latin-1"))
            for u in self.sorted_users()
        )


def _pattern_text(flags: int, pattern: bytes) -> str:
    prefix = {ALL: "~", READ: "%R~", WRITE: "%W~"}[flags]
    return prefix + pattern.decode("latin-1")


def merge_selector_args(args: list[bytes]) -> list[bytes] | None:
    """ACLMergeSelectorArguments: a selector spread over several arguments joined back into
    one ("(" ... ")"); None when a parenthesis is left open."""
    out: list[bytes] = []
    current: bytes | None = None
    for op in args:
        if current is None and op[:1] == b"(" and op[-1:] != b")":
            current = op
            continue
        if current is not None:
            current += b" " + op
            if op[-1:] == b")":
                out.append(current)
                current = None
            continue
        out.append(op)
    if current is not None:
        return None
    return out


def unmatched_index(args: list[bytes]) -> int:
    """The index of the argument that opened the unmatched selector."""
    start = -1
    for j, op in enumerate(args):
        if start < 0 and op[:1] == b"(" and op[-1:] != b")":
            start = j
        elif start >= 0 and op[-1:] == b")":
            start = -1
    return start


def key_needs(flags: str) -> int:
    """The permissions a key's spec flags need (ACLSelectorCheckKey)."""
    need = 0
    words = flags.split()
    if "access" in words:
        need |= READ
    if "insert" in words or "delete" in words or "update" in words:
        need |= WRITE
    return need


# -- clients ----------------------------------------------------------------------------------
def default_authenticated(server: Any) -> bool:
    """A new connection is authenticated when the default user is nopass and enabled."""
    d = server.acl.default
    return bool(d.flags & U_NOPASS) and not d.flags & U_DISABLED


def slow_bits(server: Any, client: Any) -> int:
    """The SLOW_AUTH and SLOW_ACL bits ``client`` needs now (authRequired, restricted user)."""
    bits = 0
    d = server.acl.default
    if (not d.flags & U_NOPASS or d.flags & U_DISABLED) and not client.authenticated:
        bits |= SLOW_AUTH
    if not client.acl_user.unrestricted:
        bits |= SLOW_ACL
    return bits


def refresh_clients(server: Any) -> None:
    """After a change to users: every client's SLOW_AUTH/SLOW_ACL bits again."""
    for c in list(server.clients.values()):
        c.slow = (c.slow & ~(SLOW_AUTH | SLOW_ACL)) | slow_bits(server, c)
