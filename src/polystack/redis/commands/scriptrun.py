"""Running commands from a script (script.c's scriptCall): the script's own client and the
checks Redis makes before ``redis.call`` runs a command.

A script runs its commands as a separate client (Redis's lua_client): it starts in the
caller's database (a SELECT inside the script does not leak out), speaks RESP2 unless the
script calls ``redis.setresp(3)``, never blocks, and sees time stopped at the moment the
script started.  Every write it makes is logged by the caller, one command at a time, in
the caller's batch: the script's effects are replayed, not the script.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from polystack.redis.args import _SMALL_INTS
from polystack.redis.commands import Command
from polystack.redis.commands.acl import check_command, script_refusal
from polystack.redis.commands.monitor import feed_monitors, record_slow_command
from polystack.redis.errors import RedisError, err
from polystack.redis.flags import SLOW_ACL, SLOW_MISCONF, SLOW_SERVER, set_server_condition
from polystack.redis.lua import luavalues
from polystack.redis.lua.engine import TableError

log = logging.getLogger(__name__)

_UNKNOWN = err("Unknown Redis command called from script")
_ARITY = err("Wrong number of args calling Redis command from script")
_NOSCRIPT = err("This Redis command is not allowed from script")
_READONLY = err("Write commands are not allowed from read-only scripts.")
_perf = time.perf_counter
# A client carries these while writes may be refused (a disk error; maxmemory among the
# server-wide conditions): the script's first write takes the closer look then.
_WRITE_STATE = SLOW_MISCONF | SLOW_SERVER
_OOM = RedisError("OOM", "command not allowed when used memory > 'maxmemory'.")


def _error(reply: bytes) -> RedisError:
    """A RedisError from an error reply (``-CODE message``)."""
    code, _, message = reply.rstrip(b"\r\n")[1:].decode().partition(" ")
    return RedisError(code, message)


class ScriptClient:
    """The client a script's commands run as (what command handlers read of a client).

    One per calling client, made at its first script and reset by each :class:`ScriptRun` as
    it starts (a client runs one script at a time).  What a script cannot change of it (its
    name, user, library, no-evict and EXEC state) is read from the caller when asked."""

    def __init__(self, caller: Any) -> None:
        self._run: ScriptRun | None = None
        self.caller = caller
        self.server = caller.server
        self.id = caller.id
        self.peer = caller.peer
        self.authenticated = True
        self.deny_blocking = True
        self.watched_keys: list = []
        self.channels: dict = {}
        self.patterns: dict = {}
        self.shard_channels: dict = {}
        self.ks = caller.ks
        self.slow = 0
        self.propagate: list[list[bytes]] | None = None
        # the commands a script calls by their name as sent, when that is all there is to
        # look up (no subcommands, not refused to scripts): the common case of redis.call
        self.dispatch = script_dispatch(self.server)
        self.dispatch_get = self.dispatch.get
        # set by each ScriptRun as it starts: the caller's database, MULTI state and time
        self.db_id: int = caller.db_id
        self.db = caller.db
        self.multi: list | None = None
        self.last_cmd: Any = "NULL"
        self._now = 0
        # the run of this client's brief scripts (see scriptpath), made once and reused
        self.brief_run: ScriptRun | None = None
        # the run of its translated scripts (see scriptpath._run_script), the same way
        self.translated_run: ScriptRun | None = None

    name = property(lambda self: self.caller.name)
    user = property(lambda self: self.caller.user)
    acl_user = property(lambda self: self.caller.acl_user)
    lib_name = property(lambda self: self.caller.lib_name)
    lib_ver = property(lambda self: self.caller.lib_ver)
    no_evict = property(lambda self: self.caller.no_evict)
    in_exec = property(lambda self: self.caller.in_exec)

    @property
    def resp3(self) -> bool:
        run = self._run
        assert run is not None, "the script has finished"
        return run.resp3

    def now_ms(self) -> int:
        """Time stands still while a script runs (keys expire as of its start)."""
        return self._now

    def select(self, db_id: int) -> None:
        self.db_id = db_id
        self.db = self.server.keyspace.dbs[db_id]

    def push_raw(self, resp2: bytes, resp3: bytes | None) -> None:
        pass


_DISPATCH: dict[int, tuple[Any, dict[bytes, Command]]] = {}


def script_dispatch(server: Any) -> dict[bytes, Command]:
    """The server's commands by the name as sent (lower or upper case) that ``redis.call``
    may run without a closer look: no subcommands and no ``noscript`` flag."""
    table = server.commands
    got = _DISPATCH.get(id(table))
    if got is not None and got[0] is table:
        return got[1]
    out: dict[bytes, Command] = {}
    for name, cmd in table.items():
        if not cmd.subcommands and "noscript" not in cmd.flags:
            out[name] = out[name.upper()] = cmd
    if len(_DISPATCH) > 64:  # (servers come and go in tests)
        _DISPATCH.clear()
    _DISPATCH[id(table)] = (table, out)
    return out


class ScriptRun:
    """One script invocation: what ``redis.call`` goes through (scriptRunCtx)."""

    # A run's state as it starts (class attributes, shadowed once a script changes them:
    # fewer stores per call).
    resp3 = False
    repl_flags = 3  # REPL_ALL
    write_dirty = False  # SCRIPT_WRITE_DIRTY: a write command ran
    wrote = False  # the dataset changed
    killed = False
    timed_out = False

    effects: Any = ()  # what the log gets, at the end (a run's own list once it writes)

    def __init__(
        self,
        caller: Any,
        funcname: bytes,
        read_only: bool,
        allow_oom: bool,
        eval_mode: bool,
        argv: list[bytes] | None = None,
    ) -> None:
        self.caller = caller
        self.funcname = funcname
        self.argv: list[bytes] = argv or []  # the caller's command (FUNCTION STATS shows it)
        self.read_only = read_only
        self.allow_oom = allow_oom
        self.eval_mode = eval_mode
        server = self.server = caller.server
        threshold = self.threshold_ms = server.extra_config.get("busy-reply-threshold", 5000)
        self.watched = threshold > 0  # the count hook checks the time
        self.started = self.last_yield = server.clock.monotonic()
        client = self.client = caller.script_client
        if client is None:
            client = self.client = caller.script_client = ScriptClient(caller)
        # ScriptClient.start, inline: the caller's state as of now
        client._run = self
        client.db_id = caller.db_id
        client.db = caller.db
        client.multi = None if caller.multi is None else []
        client.last_cmd = "NULL"
        client._now = caller.now_ms()

    def interrupt(self) -> None:
        """scriptInterrupt: past busy-reply-threshold the server answers -BUSY to others and
        the script yields to the event loop at every check, until it ends or is killed."""
        if not self.timed_out:
            elapsed = int((self.server.clock.monotonic() - self.started) * 1000)
            if elapsed < self.threshold_ms:
                return
            log.warning(
                "Slow script detected: still in execution after %d milliseconds. You can try "
                "killing the script using the %s command.",
                elapsed,
                "SCRIPT KILL" if self.eval_mode else "FUNCTION KILL",
            )
            self.timed_out = True
            self.server.busy_script = self
            set_server_condition(self.server, "busy", True)
        yield_to_loop = self.caller.yield_to_loop
        if yield_to_loop is not None:
            yield_to_loop()
            self.last_yield = self.server.clock.monotonic()

    def finish(self) -> None:
        """scriptResetRun: the effects go to the caller's log; a busy server is free again."""
        if self.effects:
            self.caller.log_writes(self.effects)
            self.effects = ()
        self.client._run = None  # no reference cycle left: freed at once, not by the GC
        if self.timed_out:
            self.server.busy_script = None
            set_server_condition(self.server, "busy", False)

    def lookup(self, argv: list[bytes]) -> Command | None:
        """lookupCommand: a container with a second argument resolves to its subcommand."""
        cmd = self.server.commands.get(argv[0].lower())
        if cmd is not None and cmd.subcommands and len(argv) > 1:
            return cmd.subcommands.get(argv[1].lower())
        return cmd

    def call(self, argv: list[bytes]) -> Any:
        """scriptCall: the command's reply, or a RedisError (refused or failed)."""
        if self.timed_out and self.server.clock.monotonic() - self.last_yield > 0.002:
            self.interrupt()  # a busy script that mostly calls commands yields between them
            if self.killed:
                return RedisError("ERR", "Script killed by user with SCRIPT KILL...")
        sc = self.client
        cmd = sc.dispatch_get(argv[0])  # (lookup, inline: this is the hot path)
        if cmd is None:  # not a command known to have no subcommand and no noscript flag
            cmd = self.lookup(argv)
            if cmd is None:
                return _UNKNOWN
            n = len(argv)
            if n != cmd.arity and (cmd.arity > 0 or n < -cmd.arity):
                return _ARITY
            if "noscript" in cmd.flags:
                return _NOSCRIPT
        else:
            n = len(argv)
            arity = cmd.arity
            if n != arity and (arity > 0 or n < -arity):
                return _ARITY
        slow = self.caller.slow
        if slow & SLOW_ACL:
            refused = script_refusal(sc, cmd, argv)
            if refused is not None:
                return refused
        server = self.server
        if cmd.write:
            if self.read_only:
                return _READONLY
            if not self.write_dirty:  # (once the script wrote, it cannot fail half-way)
                if slow & _WRITE_STATE or server.write_denied is not None:
                    refused = self._write_refusal(cmd)
                    if refused is not None:
                        return refused
                self.write_dirty = True
        elif slow & SLOW_SERVER and "denyoom" in cmd.flags:
            refused = self._write_refusal(cmd)  # (a command that may use memory: maxmemory)
            if refused is not None:
                return refused
        ks = sc.ks
        dirty = ks.dirty
        sc.last_cmd = cmd
        t0 = _perf()
        try:
            reply = cmd.handler(sc, argv)
        except RedisError as e:
            reply = e
            cmd.failed_calls += 1
            counts = server.error_counts
            counts[e.code] = counts.get(e.code, 0) + 1
        took = _perf() - t0
        cmd.durations.append(took)  # commandstats' usec and the histogram (folded later)
        if took >= server.timing_threshold:
            record_slow_command(server, sc, cmd, argv, took)
        cmd.calls += 1
        if (  # (MONITOR puts every client on the slow path)
            slow & SLOW_SERVER
            and server.monitors
            and "skip_monitor" not in cmd.flags
            and "admin" not in cmd.flags
        ):
            feed_monitors(server, sc, argv, cmd)
        if ks.dirty != dirty:
            record_effects(self, sc, argv)
        elif sc.propagate is not None:
            sc.propagate = None
        return reply

    def _write_refusal(self, cmd: Command) -> RedisError | None:
        """scriptVerifyWriteCommandAllow and scriptVerifyOOM for the script's first write
        (or a command that may use memory): a read-only replica, a log that cannot be
        written, too few good replicas, used memory over maxmemory."""
        server = self.server
        if cmd.write:
            denied = server.write_denied  # -READONLY, -NOREPLICAS
            if denied is not None and not self.caller.is_master:
                text = denied.rstrip(b"\r\n")[1:].decode()
                code, _, message = text.partition(" ")
                if code == "NOREPLICAS" and self.caller.slow & SLOW_MISCONF:
                    misconf = server.misconf_reply()  # (a disk error comes first)
                    if misconf is not None:
                        return _error(misconf)
                return RedisError(code, message)
            if self.caller.slow & SLOW_MISCONF:  # (set on every client while it holds)
                misconf = server.misconf_reply()
                if misconf is not None:
                    return _error(misconf)
        if (
            server.config.maxmemory
            and not self.allow_oom
            and not self.write_dirty
            and server.pre_command_oom_state
            and "denyoom" in cmd.flags
        ):
            return _OOM  # only before the script's first write: it cannot stop half-way
        return None

    def acl_check(self, argv: list[bytes]) -> bool | None:
        """redis.acl_check_cmd: None for an unknown command."""
        cmd = self.lookup(argv)
        if cmd is None:
            return None
        result, _ = check_command(self.server, self.caller.acl_user, cmd, argv)
        return result == 0


def script_call(engine: Any) -> Callable[..., Any]:
    """``redis.call`` for ``engine`` (see LuaEngine's ``call``): scriptCall's common case in
    one Python frame, from the Lua arguments to the Lua reply: a run whose caller has nothing
    special about it (``slow`` is 0: no ACL restriction, MONITOR, disk error or maxmemory),
    not past busy-reply-threshold, string arguments, a command without subcommands that
    scripts may run, with its arity, and a write allowed (not read-only, no -READONLY or
    -NOREPLICAS) once the script's first write passed.  Anything else takes the engine's
    generic path (``ScriptRun.call``), which words every refusal."""
    generic = engine._redis_call
    error_table = engine.error_table
    to_lua = engine.to_lua
    perf = _perf
    only_bytes = {bytes}

    def call(*args: Any) -> Any:
        run = engine.current
        if (
            run is None
            or run.timed_out
            or run.caller.slow
            or {*map(type, args)} != only_bytes  # (numbers become strings there)
        ):
            return generic(*args)
        sc = run.client
        cmd = sc.dispatch_get(args[0])
        if cmd is None:
            return generic(*args)
        n = len(args)
        arity = cmd.arity
        if n != arity and (arity > 0 or n < -arity):
            return generic(*args)
        server = run.server
        if cmd.write and not run.write_dirty:
            if run.read_only or server.write_denied is not None:
                return generic(*args)
            run.write_dirty = True  # (once the script wrote, it cannot fail half-way)
        argv = list(args)
        ks = sc.ks
        dirty = ks.dirty
        sc.last_cmd = cmd
        t0 = perf()
        try:
            reply = cmd.handler(sc, argv)
        except RedisError as e:
            reply = e
            cmd.failed_calls += 1
            counts = server.error_counts
            counts[e.code] = counts.get(e.code, 0) + 1
        took = perf() - t0
        cmd.durations.append(took)
        if took >= server.timing_threshold:
            record_slow_command(server, sc, cmd, argv, took)
        cmd.calls += 1
        if ks.dirty != dirty:
            record_effects(run, sc, argv)
        elif sc.propagate is not None:
            sc.propagate = None
        t = type(reply)
        if t is bytes or t is int:
            return reply
        if isinstance(reply, RedisError):
            raise TableError(error_table(f"{reply.code} {reply.message}"))
        return to_lua(reply, run.resp3)

    return call


def translated_call(run: Any, *args: Any) -> Any:
    """``redis.call`` of a translated brief script (lua/translate.py) whose command name is
    not a constant: translated_site_call at a site made for this call; a failure raises
    CallError with the error table's text."""
    return _translated_call(run, args, False)


def translated_pcall(run: Any, *args: Any) -> Any:
    """``redis.pcall`` of a translated brief script: the error table instead of a failure."""
    return _translated_call(run, args, True)


def _translated_call(run: Any, args: tuple, pcall: bool) -> Any:
    """The reply of redis.call/pcall(*args) as a Lua value."""
    if not args or run.timed_out or {*map(type, args)} != _ONLY_BYTES:
        return _checked(_generic_call(run, args), pcall)
    site = luavalues.CallSite(args[0], len(args), pcall, 0)
    return translated_site_call(run, site, list(args))


def translated_site_call(run: Any, site: luavalues.CallSite, argv: list[bytes]) -> Any:
    """redis.call/redis.pcall at a call site of a translated script whose command name is
    a constant, with string arguments (``argv``): _translated_call with the command looked
    up once per command table, in one frame; INCR and EXPIRE's common cases inline
    (``site.inline``).  ``run.effects`` is the caller's log (scriptpath._run_script)."""
    sc = run.client
    cmd = site.cmd
    if site.table is not sc.dispatch:
        _resolve(site, sc.dispatch)
        cmd = site.cmd
    if cmd is None or run.caller.slow:  # (a translated script never gets past the threshold)
        return _checked(_generic_call(run, tuple(argv)), site.pcall)
    if cmd.write and not run.write_dirty:
        if run.read_only or run.server.write_denied is not None:
            return _checked(_generic_call(run, tuple(argv)), site.pcall)
        run.write_dirty = True  # (once the script wrote, it cannot fail half-way)
    sc.last_cmd = cmd
    inline = site.inline
    t0 = _perf()
    if inline is not None and (reply := inline(sc, argv, run.effects)) is not None:
        took = _perf() - t0  # (it wrote: its effect is logged)
        run.wrote = True
    else:
        ks = sc.ks
        dirty = ks.dirty
        try:
            reply = cmd.handler(sc, argv)
        except RedisError as e:
            reply = e
            cmd.failed_calls += 1
            counts = run.server.error_counts
            counts[e.code] = counts.get(e.code, 0) + 1
        took = _perf() - t0
        if ks.dirty != dirty:  # (record_effects, inline; no redis.set_repl: REPL_ALL)
            run.wrote = True
            propagate = sc.propagate
            if propagate is None:
                run.effects.append((sc.db_id, argv))
            else:
                db_id = sc.db_id
                effects = run.effects
                for p in propagate:
                    effects.append((db_id, p))
                sc.propagate = None
        elif sc.propagate is not None:
            sc.propagate = None
    cmd.durations.append(took)
    if took >= run.server.timing_threshold:
        record_slow_command(run.server, sc, cmd, argv, took)
    cmd.calls += 1
    t = type(reply)
    if t is int:
        return float(reply)
    if t is bytes:
        return reply
    value = luavalues.from_reply(reply)
    if type(value) is luavalues.Table and not site.pcall:
        return _checked(value, False)
    return value


def _incr_inline(sc: Any, argv: list[bytes], effects: list) -> int | None:
    """INCR of a new key or of one holding a canonical non-negative integer far from
    overflow, without a deadline, no keyspace listener nor LFU policy (the plain batch's
    inline INCR, strings._incr's common case): the new value, its effect logged; None
    (nothing done) for anything else."""
    key = argv[1]
    db = sc.db
    data = db.data
    v = data.get(key)
    if v is None:
        n = 1
    elif (
        type(v) is bytes
        and v.isdigit()
        and len(v) < 18
        and (v[0] != 0x30 or len(v) == 1)
        and not (db.expires and key in db.expires)
    ):
        n = int(v) + 1
    else:
        return None
    ks = sc.ks
    server = sc.server
    if ks.key_listeners or ks.notify_classes or server.lfu:
        return None
    data[key] = b"%d" % n  # (a new object; the deadline stays: there is none)
    db.lru[key] = server.lruclock
    ks.dirty += 1
    effects.append((sc.db_id, argv))
    return n


def _expire_inline(sc: Any, argv: list[bytes], effects: list) -> int | None:
    """EXPIRE key seconds (no option) of a live key without a deadline, a positive number
    of seconds as written canonically, no keyspace listener nor LFU policy
    (expire._expire_generic's common case): 1, PEXPIREAT logged; None (nothing done) for
    anything else."""
    if len(argv) != 3:
        return None
    seconds = _SMALL_INTS.get(argv[2])
    key = argv[1]
    db = sc.db
    if not seconds or seconds < 0 or key not in db.data or key in db.expires:
        return None
    ks = sc.ks
    server = sc.server
    if ks.key_listeners or ks.notify_classes or ks.new_candidates or server.lfu:
        return None
    when = sc._now + seconds * 1000
    db.lru[key] = server.lruclock  # (lookupKeyWrite's access)
    ks.dirty += 1
    db.set_expire(key, when)
    effects.append((sc.db_id, [b"PEXPIREAT", key, b"%d" % when]))
    return 1


_DIGITS = [b"%d" % i for i in range(10)]
_LAST_WHEN: list[Any] = [-1, b"-1"]  # the last deadline _expire_site logged, and its text


def _incr_site(run: Any, site: luavalues.CallSite, argv: list[bytes]) -> Any:
    """translated_site_call of a site that resolved to INCR (its ``fn``): _incr_inline's
    common case and the site's bookkeeping in one frame, under translated_site_call's
    conditions (the site's table current, a plain caller, the write allowed); anything
    else goes to translated_site_call."""
    sc = run.client
    key = argv[1]
    db = sc.db
    data = db.data
    v = data.get(key)
    if v is None:
        n = 1
    elif (
        type(v) is bytes
        and v.isdigit()
        and len(v) < 18
        and (v[0] != 0x30 or len(v) == 1)
        and not (db.expires and key in db.expires)
    ):
        n = int(v) + 1
    else:
        return translated_site_call(run, site, argv)
    ks = sc.ks
    server = run.server
    if (
        site.table is not sc.dispatch
        or run.caller.slow
        or ks.key_listeners
        or ks.notify_classes
        or server.lfu
        or not run.write_dirty
        and (run.read_only or server.write_denied is not None)
    ):
        return translated_site_call(run, site, argv)
    run.write_dirty = run.wrote = True
    cmd = site.cmd
    sc.last_cmd = cmd
    t0 = _perf()
    # (a new object, but for one digit: CPython shares those; the deadline stays: none)
    data[key] = _DIGITS[n] if n < 10 else b"%d" % n
    db.lru[key] = server.lruclock
    ks.dirty += 1
    run.effects.append((sc.db_id, argv))
    took = _perf() - t0
    cmd.durations.append(took)
    if took >= server.timing_threshold:
        record_slow_command(server, sc, cmd, argv, took)
    cmd.calls += 1
    return float(n)


def _expire_site(run: Any, site: luavalues.CallSite, argv: list[bytes]) -> Any:
    """translated_site_call of a site that resolved to EXPIRE key seconds (its ``fn``):
    _expire_inline's common case and the site's bookkeeping in one frame, as _incr_site."""
    seconds = _SMALL_INTS.get(argv[2])
    key = argv[1]
    sc = run.client
    db = sc.db
    if not seconds or seconds < 0 or key not in db.data or key in db.expires:
        return translated_site_call(run, site, argv)
    ks = sc.ks
    server = run.server
    if (
        site.table is not sc.dispatch
        or run.caller.slow
        or ks.key_listeners
        or ks.notify_classes
        or ks.new_candidates
        or server.lfu
        or not run.write_dirty
        and (run.read_only or server.write_denied is not None)
    ):
        return translated_site_call(run, site, argv)
    run.write_dirty = run.wrote = True
    cmd = site.cmd
    sc.last_cmd = cmd
    t0 = _perf()
    when = sc._now + seconds * 1000
    db.lru[key] = server.lruclock  # (lookupKeyWrite's access)
    ks.dirty += 1
    db.set_expire(key, when)
    last = _LAST_WHEN  # (the calls of one millisecond log the same deadline)
    if last[0] != when:
        last[0] = when
        last[1] = b"%d" % when
    run.effects.append((sc.db_id, [b"PEXPIREAT", key, last[1]]))
    took = _perf() - t0
    cmd.durations.append(took)
    if took >= server.timing_threshold:
        record_slow_command(server, sc, cmd, argv, took)
    cmd.calls += 1
    return 1.0


# the commands whose common case a translated site runs inline, by name: (the inline
# function translated_site_call runs, the site's own ``fn`` and the argument count it takes)
_INLINE = {"incr": (_incr_inline, _incr_site, 2), "expire": (_expire_inline, _expire_site, 3)}


def _checked(value: Any, pcall: bool) -> Any:
    """redis.call's failure: an error reply raises CallError (redis.pcall returns it)."""
    if not pcall and type(value) is luavalues.Table and value.h is not None and b"err" in value.h:
        raise luavalues.CallError(value.h[b"err"].decode("utf-8", "surrogateescape"))
    return value


def _resolve(site: luavalues.CallSite, table: dict[bytes, Command]) -> None:
    """The site's command in ``table``: None when the generic path must run (not a
    command scripts call without a closer look, or a wrong number of arguments)."""
    cmd = table.get(site.name)
    if cmd is not None:
        arity = cmd.arity
        if site.argc != arity and (arity > 0 or site.argc < -arity):
            cmd = None
    site.cmd = cmd
    site.table = table
    fast = None if cmd is None else _INLINE.get(cmd.name)
    if fast is None:
        site.inline = None
        site.fn = translated_site_call
    else:
        site.inline = fast[0]
        site.fn = fast[1] if site.argc == fast[2] else translated_site_call


def _generic_call(run: Any, args: tuple) -> Any:
    """luaArgsToRedisArgv and ScriptRun.call for what the common case does not cover."""
    if not args:
        return luavalues.error_table(
            "ERR Please specify at least one argument for this redis lib call"
        )
    argv: list[bytes] = []
    for a in args:
        t = type(a)
        if t is bytes:
            argv.append(a)
        elif t is float:
            argv.append(luavalues.argument_text(a))
        else:
            return luavalues.error_table(
                "ERR Lua redis lib command arguments must be strings or integers"
            )
    return luavalues.from_reply(run.call(argv))


_ONLY_BYTES = {bytes}
# what translated brief scripts call (lua/translate.py)
TRANSLATED_HOST = {
    "call": translated_call,
    "pcall": translated_pcall,
    "site_call": translated_site_call,
}


def record_effects(run: Any, sc: Any, argv: list[bytes]) -> None:
    """A script's command changed the dataset: the run wrote, and (REPL_AOF) the log gets
    the command's effects — its propagated form when it has one."""
    run.wrote = True
    propagate = sc.propagate
    if run.repl_flags & 1:  # REPL_AOF
        effects = run.effects
        if effects.__class__ is not list:  # (a translated run's is the caller's log)
            effects = run.effects = []
        if propagate is None:
            effects.append((sc.db_id, argv))
            return
        for p in propagate:
            effects.append((sc.db_id, p))
    if propagate is not None:
        sc.propagate = None
