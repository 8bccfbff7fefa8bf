"""ACL (acl.c): ACL SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, LOG, DRYRUN,
SAVE, LOAD, HELP, and the permission check the session runs for restricted users.

Every client starts as the ``default`` user; a client whose user may not run everything on
every key and channel carries SLOW_ACL, and its commands are checked (in processCommand's
order, after NOAUTH and no-multi), again at EXEC and for each command a script runs.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from polystack.redis import acl as aclmod
from polystack.redis.acl import (
    ACL,
    ACLError,
    CommandTable,
    User,
    default_authenticated,
    refresh_clients,
    slow_bits,
)
from polystack.redis.aclcommands import CATEGORIES
from polystack.redis.args import parse_int
from polystack.redis.commands import COMMANDS, Command, command, container
from polystack.redis.commands.client import describe
from polystack.redis.commands.help import help_reply
from polystack.redis.commands.introspection import keys_and_flags, lookup_argv
from polystack.redis.commands.keyspecs import specs_for
from polystack.redis.configtypes import InvalidValue
from polystack.redis.errors import RedisError, err
from polystack.redis.flags import SLOW_ACL, SLOW_AUTH
from polystack.redis.wire import OK, Raw

_ADMIN = "admin noscript loading stale"
_ADMIN_CATS = ("@admin", "@slow", "@dangerous")
_CHANNEL_COMMANDS = {"publish": 0, "spublish": 0, "subscribe": 1, "ssubscribe": 1, "psubscribe": 2}


# -- the server's ACL -------------------------------------------------------------------------
def _extra_commands(commands: dict[bytes, Command]) -> list[tuple[str, int, bool]]:
    """polystack's commands Redis 7.0 does not have (CLIENT SETINFO ...), for the ACL table."""
    out = []
    for cmd in commands.values():
        for c in (cmd, *cmd.subcommands.values()):
            bits = 0
            for cat in c.acl_categories:
                name = cat.lstrip("@")
                if name in CATEGORIES:
                    bits |= 1 << CATEGORIES.index(name)
            out.append((c.full_name, bits, c.noauth))
    return out


def build_acl(server: Any) -> ACL:
    """The server's ACL: the default user (with requirepass's password, if set)."""
    acl = ACL(CommandTable(_extra_commands(server.commands)))
    if server.config.requirepass:
        acl.update_default_password(server.config.requirepass.encode("utf-8", "surrogateescape"))
    return acl


def queue_conf_user(server: Any, args: list[bytes]) -> None:
    """A ``user <name> <rules...>`` line of redis.conf (ACLAppendUserForLoading): checked on
    a scratch user (unknown commands are let through, as Redis lets them until modules
    load), then kept for :func:`load_users_at_startup`."""
    acl = server.acl
    pending = server.acl_conf_users
    argv = [b"user", *args]
    if len(args) < 1:
        raise InvalidValue(f"Error in user declaration '{argv[0].decode()}': {aclmod.E_EINVAL}")
    if any(name == args[0] for name, _ in pending):
        raise InvalidValue(
            "Error in user declaration "
            f"'{args[0].decode('utf-8', 'replace')}': Duplicate user found. A user can only be "
            "defined once in config files"
        )
    merged = aclmod.merge_selector_args(list(args[1:]))
    if merged is None:
        bad = aclmod.unmatched_index(list(args[1:]))
        raise InvalidValue(
            f"Error in user declaration '{argv[bad].decode('utf-8', 'replace')}': {aclmod.E_EINVAL}"
        )
    scratch = acl.new_user(b"__fakeuser__")
    for j, op in enumerate(merged):
        try:
            acl.set_user(scratch, op)
        except ACLError as e:
            if str(e) != aclmod.E_ENOENT:
                raise InvalidValue(
                    f"Error in user declaration '{argv[j].decode('utf-8', 'replace')}': {e}"
                ) from None
    pending.append((args[0], merged))


def load_users_at_startup(server: Any) -> None:
    """ACLLoadUsersAtStartup: redis.conf's users, or the aclfile (not both); raises
    ValueError with Redis's reason when startup must stop."""
    acl = server.acl
    path = _acl_file(server)
    pending = server.acl_conf_users
    if path and pending:
        raise ValueError(
            "Configuring Redis with users defined in redis.conf and at the same setting an ACL "
            "file path is invalid. This setup is very likely to lead to configuration errors "
            "and security holes, please define either an ACL file or declare users directly "
            "in your redis.conf, but not both."
        )
    for name, rules in pending:
        if aclmod.has_spaces(name):
            raise ValueError("Spaces not allowed in ACL usernames")
        u = acl.get(name)
        if u is None:
            u = acl.users[name] = acl.new_user(name)
        else:
            acl.set_user(u, b"reset")
        for op in rules:
            try:
                acl.set_user(u, op)
            except ACLError as e:
                raise ValueError(
                    f"Error loading ACL rule '{op.decode('utf-8', 'replace')}' for the user "
                    f"named '{name.decode('utf-8', 'replace')}': {e}"
                ) from None
    pending.clear()
    if path:
        problem = acl.load_file(path, path)
        if problem is not None:
            raise ValueError(f"Aborting Redis startup because of ACL errors: {problem}")
    refresh_clients(server)


def authenticate(client: Any, name: bytes, password: bytes, command_name: bytes) -> bool:
    """ACLAuthenticateUser: log the failure (reason auth, the command's name as typed) when
    the pair is wrong."""
    server = client.server
    u = server.acl.check_credentials(name, password)
    if u is None:
        ctx = aclmod.CTX_MULTI if client.multi is not None else aclmod.CTX_TOPLEVEL
        log_denial(client, aclmod.DENIED_AUTH, ctx, command_name, name)
        return False
    client.authenticated = True
    client.acl_user = u
    client.user = u.name_str
    client.slow = (client.slow & ~(SLOW_AUTH | SLOW_ACL)) | slow_bits(server, client)
    return True


def log_denial(client: Any, reason: int, context: str, obj: bytes, username: bytes) -> None:
    server = client.server
    caller = getattr(client, "caller", client)  # a script's client logs its caller
    server.acl.add_log(
        reason, context, obj, username, server.clock.time_ms(),
        describe(caller, server.clock.time()),
    )  # fmt: skip


# -- the permission check ------------------------------------------------------------------
def check_command(server: Any, user: User, cmd: Command, argv: list[bytes]) -> tuple[int, int]:
    """ACLCheckAllUserCommandPerm for a command polystack runs: (result, argument index)."""
    acl = server.acl
    cmd_id = acl.table.ids.get(cmd.full_name)
    keys = None
    if cmd.getkeys is not None or specs_for(cmd):

        def keys() -> list[tuple[int, int]]:
            return [
                (i, aclmod.key_needs(f))
                for i, f in keys_and_flags(cmd, argv)
                if "not_key" not in f  # SPUBLISH's shard channel is no key
            ]

    channels = None
    kind = _CHANNEL_COMMANDS.get(cmd.full_name)
    if kind is not None:
        channels = (1, 1, False) if kind == 0 else (1, len(argv) - 1, kind == 2)
    return acl.check(user, cmd_id, argv, keys, channels)


_NOPERM = {
    aclmod.DENIED_KEY: b"-NOPERM this user has no permissions to access one of the keys used as "
    b"arguments",
    aclmod.DENIED_CHANNEL: b"-NOPERM this user has no permissions to access one of the channels "
    b"used as arguments",
}


def refusal(client: Any, cmd: Command, argv: list[bytes]) -> bytes | None:
    """processCommand's ACL check: the -NOPERM error (and a log entry), or None."""
    result, idx = check_command(client.server, client.acl_user, cmd, argv)
    if result == aclmod.OK:
        return None
    ctx = aclmod.CTX_MULTI if client.multi is not None else aclmod.CTX_TOPLEVEL
    _log_result(client, result, ctx, cmd, argv, idx)
    if result == aclmod.DENIED_CMD:
        return b"-NOPERM this user has no permissions to run the '%s' command" % (
            cmd.full_name.encode()
        )
    return _NOPERM[result]


_EXEC_REASONS = {
    aclmod.DENIED_CMD: "no permission to execute the command or subcommand",
    aclmod.DENIED_KEY: "no permission to touch the specified keys",
    aclmod.DENIED_CHANNEL: "no permission to access one of the channels used as arguments",
}


def exec_refusal(client: Any, cmd: Command, argv: list[bytes]) -> RedisError | None:
    """EXEC's check of each queued command (the rules may have changed since it queued)."""
    result, idx = check_command(client.server, client.acl_user, cmd, argv)
    if result == aclmod.OK:
        return None
    _log_result(client, result, aclmod.CTX_MULTI, cmd, argv, idx)
    return RedisError(
        "NOPERM",
        "ACLs rules changed between the moment the transaction was accumulated and the EXEC "
        "call. This command is no longer allowed for the following reason: "
        + _EXEC_REASONS[result],
    )


_SCRIPT_REASONS = {
    aclmod.DENIED_CMD: "The user executing the script can't run this command or subcommand",
    aclmod.DENIED_KEY: "The user executing the script can't access at least one of the keys "
    "mentioned in the command arguments",
    aclmod.DENIED_CHANNEL: "The user executing the script can't publish to the channel "
    "mentioned in the command",
}


def script_refusal(client: Any, cmd: Command, argv: list[bytes]) -> RedisError | None:
    """scriptVerifyACL: a script's command under its caller's user."""
    result, idx = check_command(client.server, client.acl_user, cmd, argv)
    if result == aclmod.OK:
        return None
    _log_result(client, result, aclmod.CTX_LUA, cmd, argv, idx)
    return err(_SCRIPT_REASONS[result])


def _log_result(client: Any, result: int, ctx: str, cmd: Command, argv: list[bytes], idx: int):
    obj = cmd.full_name.encode() if result == aclmod.DENIED_CMD else argv[idx]
    log_denial(client, result, ctx, obj, client.acl_user.name)


def kill_clients_of(server: Any, user: User, current: Any) -> None:
    """ACLFreeUserAndKillClients: the user's connections close (the current one after its
    reply)."""
    for c in list(server.clients.values()):
        if c.acl_user is user:
            c.acl_user = server.acl.default
            c.user = "default"
            c.authenticated = False
            if c is current:
                c.close_after_reply()
            else:
                c.peer.close()


def kill_pubsub_clients_if_needed(server: Any, new: User, original: User) -> None:
    """ACLKillPubsubClientsIfNeeded: subscribers that lost a channel are disconnected."""
    if any(s.flags & aclmod.SEL_ALLCHANNELS for s in new.selectors):
        return
    upcoming = [ch for s in new.selectors for ch in s.channels]
    if all(ch in upcoming for s in original.selectors for ch in s.channels):
        return
    holder = aclmod.Selector(channels=upcoming)
    for c in list(server.clients.values()):
        if c.acl_user is not original or not (c.channels or c.patterns or c.shard_channels):
            continue
        kill = any(not aclmod.ACL._channel_ok(upcoming, p, True, holder) for p in c.patterns)
        if not kill:
            kill = any(
                not aclmod.ACL._channel_ok(upcoming, ch, False, holder)
                for ch in (*c.channels, *c.shard_channels)
            )
        if kill:
            c.peer.close()
            c.connection_lost()


# -- ACL ---------------------------------------------------------------------------------------
container("acl", "server", "6.0.0", "A container for Access List Control commands ")
COMMANDS[b"acl"].acl_categories = ("@slow",)
COMMANDS[b"acl"].complexity = "Depends on subcommand."


def _syntax(argv: list[bytes]) -> RedisError:
    return err(
        "unknown subcommand or wrong number of arguments for "
        f"'{argv[1].decode('utf-8', 'replace')}'. Try ACL HELP."
    )


@command(
    "setuser",
    -3,
    _ADMIN,
    group="server",
    since="6.0.0",
    parent="acl",
    summary="Modify or create the rules for a specific ACL user",
    complexity="O(N). Where N is the number of rules provided.",
    categories=_ADMIN_CATS,
    arguments=(
        {"name": "username", "type": "string"},
        {"name": "rule", "type": "string", "flags": "optional multiple"},
    ),
    history=(("6.2.0", "Added Pub/Sub channel patterns."),
             ("7.0.0", "Added selectors and key based permissions.")),
)  # fmt: skip
def acl_setuser(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    acl = server.acl
    name = argv[2]
    if aclmod.has_spaces(name):
        raise err("Usernames can't contain spaces or null characters")
    merged = aclmod.merge_selector_args(argv[3:])
    if merged is None:
        bad = 3 + aclmod.unmatched_index(argv[3:])
        raise err(
            f"Unmatched parenthesis in acl selector starting at "
            f"'{argv[bad].decode('utf-8', 'replace')}'."
        )
    existing = acl.get(name)
    temp = acl.new_user(name)
    if existing is not None:
        temp.copy_from(existing)
    for op in merged:
        try:
            acl.set_user(temp, op)
        except ACLError as e:
            raise err(
                f"Error in ACL SETUSER modifier '{op.decode('utf-8', 'replace')}': {e}"
            ) from None
    if existing is not None:
        kill_pubsub_clients_if_needed(server, temp, existing)
        existing.copy_from(temp)
    else:
        acl.users[name] = temp
    refresh_clients(server)
    return OK


@command(
    "deluser",
    -3,
    _ADMIN,
    group="server",
    since="6.0.0",
    parent="acl",
    summary="Remove the specified ACL users and the associated rules",
    complexity="O(1) amortized time considering the typical user.",
    categories=_ADMIN_CATS,
    arguments=({"name": "username", "type": "string", "flags": "multiple"},),
)
def acl_deluser(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    if any(name == b"default" for name in argv[2:]):
        raise err("The 'default' user cannot be removed")
    deleted = 0
    for name in argv[2:]:
        u = server.acl.users.pop(name, None)
        if u is not None:
            kill_clients_of(server, u, client)
            deleted += 1
    return deleted


def _selector_fields(acl: ACL, s: aclmod.Selector) -> dict[bytes, bytes]:
    return {
        b"commands": acl.describe_commands(s).encode(),
        b"keys": acl.describe_keys(s).encode(),
        b"channels": acl.describe_channels(s).encode(),
    }


@command(
    "getuser",
    3,
    _ADMIN,
    group="server",
    since="6.0.0",
    parent="acl",
    summary="Get the rules for a specific ACL user",
    complexity="O(N). Where N is the number of password, command and pattern rules that the "
    "user has.",
    categories=_ADMIN_CATS,
    arguments=({"name": "username", "type": "string"},),
    history=(("6.2.0", "Added Pub/Sub channel patterns."),
             ("7.0.0", "Added selectors and changed the format of key and channel patterns from "
              "a list to their rule representation.")),
)  # fmt: skip
def acl_getuser(client: Any, argv: list[bytes]) -> Any:
    acl = client.server.acl
    u = acl.get(argv[2])
    if u is None:
        return None
    names = [name.encode() for name, flag in aclmod.USER_FLAGS if u.flags & flag]
    head = (b"~%d\r\n" if client.resp3 else b"*%d\r\n") % len(names)
    return {
        b"flags": Raw(head + b"".join(b"$%d\r\n%b\r\n" % (len(n), n) for n in names)),
        b"passwords": [p.encode() for p in u.passwords],
        **_selector_fields(acl, u.root),
        b"selectors": [_selector_fields(acl, s) for s in u.selectors[1:]],
    }


@command(
    "list",
    2,
    _ADMIN,
    group="server",
    since="6.0.0",
    parent="acl",
    summary="List the current ACL rules in ACL config file format",
    complexity="O(N). Where N is the number of configured users.",
    categories=_ADMIN_CATS,
)
def acl_list(client: Any, argv: list[bytes]) -> Any:
    acl = client.server.acl
    return [
        b"user %b %b" % (u.name, acl.describe_user(u).encode("latin-1")) for u in acl.sorted_users()
    ]


@command(
    "users",
    2,
    _ADMIN,
    group="server",
    since="6.0.0",
    parent="acl",
    summary="List the username of all the configured ACL rules",
    complexity="O(N). Where N is the number of configured users.",
    categories=_ADMIN_CATS,
)
def acl_users(client: Any, argv: list[bytes]) -> Any:
    return [u.name for u in client.server.acl.sorted_users()]


@command(
    "whoami",
    2,
    "noscript loading stale",
    group="server",
    since="6.0.0",
    parent="acl",
    summary="Return the name of the user associated to the current connection",
    complexity="O(1)",
    categories=("@slow",),
)
def acl_whoami(client: Any, argv: list[bytes]) -> Any:
    return client.acl_user.name


@command(
    "cat",
    -2,
    "noscript loading stale",
    group="server",
    since="6.0.0",
    parent="acl",
    summary="List the ACL categories or the commands inside a category",
    complexity="O(1) since the categories and commands are a fixed set.",
    categories=("@slow",),
    arguments=({"name": "categoryname", "type": "string", "flags": "optional"},),
)
def acl_cat(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise _syntax(argv)
    if len(argv) == 2:
        return [c.encode() for c in CATEGORIES]
    table = client.server.acl.table
    c = table.category(argv[2].decode("latin-1"))
    if c is None:
        raise err(f"Unknown category '{argv[2][:128].decode('utf-8', 'replace')}'")
    flag = 1 << c
    return [
        table.names[i].encode()
        for i in table.order
        if table.cats[i] & flag and i < table.redis_count  # Redis 7.0's commands only
    ]


@command(
    "genpass",
    -2,
    "noscript loading stale",
    group="server",
    since="6.0.0",
    parent="acl",
    summary="Generate a pseudorandom secure password to use for ACL users",
    complexity="O(1)",
    categories=("@slow",),
    arguments=({"name": "bits", "type": "integer", "flags": "optional"},),
)
def acl_genpass(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise _syntax(argv)
    bits = 256
    if len(argv) == 3:
        bits = parse_int(argv[2])
    if bits <= 0 or bits > 4096:
        raise err(
            "ACL GENPASS argument must be the number of bits for the output password, a "
            "positive number up to 4096"
        )
    chars = (bits + 3) // 4
    return secrets.token_hex((chars + 1) // 2)[:chars].encode()


@command(
    "log",
    -2,
    _ADMIN,
    group="server",
    since="6.0.0",
    parent="acl",
    summary="List latest events denied because of ACLs in place",
    complexity="O(N) with N being the number of entries shown.",
    categories=_ADMIN_CATS,
    arguments=(
        {"name": "operation", "type": "oneof", "flags": "optional", "arguments": (
            {"name": "count", "type": "integer"},
            {"name": "reset", "type": "pure-token", "token": "RESET"},
        )},
    ),
)  # fmt: skip
def acl_log(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise _syntax(argv)
    server = client.server
    acl = server.acl
    count = 10
    if len(argv) == 3:
        if argv[2].lower() == b"reset":
            acl.log.clear()
            return OK
        count = max(parse_int(argv[2]), 0)
    now = server.clock.time_ms()
    out = []
    for e in acl.log[:count]:
        out.append(
            {
                b"count": e.count,
                b"reason": aclmod.REASONS[e.reason].encode(),
                b"context": e.context.encode(),
                b"object": e.obj,
                b"username": e.username,
                b"age-seconds": (now - e.ctime_ms) / 1000,
                b"client-info": e.client_info.encode("utf-8", "surrogateescape"),
            }
        )
    return out


@command(
    "dryrun",
    -4,
    _ADMIN,
    group="server",
    since="7.0.0",
    parent="acl",
    summary="Returns whether the user can execute the given command without executing the command.",
    complexity="O(1).",
    categories=_ADMIN_CATS,
    arguments=(
        {"name": "username", "type": "string"},
        {"name": "command", "type": "string"},
        {"name": "arg", "type": "string", "flags": "optional multiple"},
    ),
)
def acl_dryrun(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    u = server.acl.get(argv[2])
    if u is None:
        raise err(f"User '{argv[2].decode('utf-8', 'replace')}' not found")
    target = argv[3:]
    cmd = lookup_argv(target)
    if cmd is None:
        raise err(f"Command '{argv[3].decode('utf-8', 'replace')}' not found")
    n = len(target)
    if (cmd.arity > 0 and cmd.arity != n) or n < -cmd.arity:
        raise err(f"wrong number of arguments for '{cmd.full_name}' command")
    result, idx = check_command(server, u, cmd, target)
    if result == aclmod.DENIED_CMD:
        return b"This user has no permissions to run the '%b' command" % cmd.full_name.encode()
    if result == aclmod.DENIED_KEY:
        return b"This user has no permissions to access the '%b' key" % target[idx]
    if result == aclmod.DENIED_CHANNEL:
        return b"This user has no permissions to access the '%b' channel" % target[idx]
    return OK


def _acl_file(server: Any) -> str:
    return server.extra_config.get("aclfile", b"").decode("utf-8", "surrogateescape")


_NO_FILE = (
    "This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration."
)


@command(
    "save",
    2,
    _ADMIN,
    group="server",
    since="6.0.0",
    parent="acl",
    summary="Save the current ACL rules in the configured ACL file",
    complexity="O(N). Where N is the number of configured users.",
    categories=_ADMIN_CATS,
)
def acl_save(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    path = _acl_file(server)
    if not path:
        raise err(_NO_FILE)
    try:
        save_file(server.acl, path, server.clock.time_ms())
    except OSError:
        raise err(
            "There was an error trying to save the ACLs. Please check the server logs for more "
            "information"
        ) from None
    return OK


def save_file(acl: ACL, path: str, now_ms: int) -> None:
    """ACLSaveToFile: a temp file renamed over the ACL file."""
    tmp = f"{path}.tmp-{os.getpid()}-{now_ms}"
    try:
        with open(tmp, "wb") as f:
            f.write(acl.save_text())
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@command(
    "load",
    2,
    _ADMIN,
    group="server",
    since="6.0.0",
    parent="acl",
    summary="Reload the ACLs from the configured ACL file",
    complexity="O(N). Where N is the number of configured users.",
    categories=_ADMIN_CATS,
)
def acl_load(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    path = _acl_file(server)
    if not path:
        raise err(_NO_FILE)
    old = dict(server.acl.users)
    problem = server.acl.load_file(path, path)
    if problem is not None:
        raise err(problem)
    for u in old.values():
        if u is not server.acl.default:
            kill_clients_of(server, u, client)
    refresh_clients(server)
    return OK


_ACL_HELP = [
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
]


@command(
    "help",
    2,
    "loading stale",
    group="server",
    since="6.0.0",
    parent="acl",
    summary="Show helpful text about the different subcommands",
    complexity="O(1)",
    categories=("@slow",),
)
def acl_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("ACL", _ACL_HELP)


__all__ = [
    "authenticate",
    "build_acl",
    "default_authenticated",
    "exec_refusal",
    "refresh_clients",
    "refusal",
    "script_refusal",
    "slow_bits",
]
