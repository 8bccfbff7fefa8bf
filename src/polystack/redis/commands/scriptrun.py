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
from typing import Any

from polystack.redis.commands import Command
from polystack.redis.commands.acl import check_command, script_refusal
from polystack.redis.commands.monitor import feed_monitors, record_slow_command
from polystack.redis.errors import RedisError, err
from polystack.redis.flags import SLOW_ACL, set_server_condition

log = logging.getLogger(__name__)

_UNKNOWN = err("Unknown Redis command called from script")
_ARITY = err("Wrong number of args calling Redis command from script")
_NOSCRIPT = err("This Redis command is not allowed from script")
_READONLY = err("Write commands are not allowed from read-only scripts.")
_perf = time.perf_counter
_OOM = RedisError("OOM", "command not allowed when used memory > 'maxmemory'.")


class ScriptClient:
    """The client a script's commands run as (what command handlers read of a client).

    One per calling client, made at its first script and reset by :meth:`start` for every
    later one (a client runs one script at a time)."""

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

    def start(self, run: ScriptRun, now_ms: int) -> None:
        """A new script: the caller's state as of now (its database, user, name ...)."""
        caller = self.caller
        self._run = run
        self.ks = caller.ks
        self.db_id = caller.db_id
        self.db = caller.db
        self.name = caller.name
        self.user = caller.user
        self.acl_user = caller.acl_user
        self.propagate: list[list[bytes]] | None = None
        self.multi: list | None = [] if caller.multi is not None else None
        self.in_exec = caller.in_exec
        self.slow = 0
        self.no_evict = caller.no_evict
        self.last_cmd: Any = "NULL"
        self.lib_name = caller.lib_name
        self.lib_ver = caller.lib_ver
        self._now = now_ms

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
        self.effects: list[tuple[int, list[bytes]]] = []  # what the log gets, at the end
        server = caller.server
        self.server = server
        self.threshold_ms = server.extra_config.get("busy-reply-threshold", 5000)
        self.watched = self.threshold_ms > 0  # the count hook checks the time
        self.started = self.last_yield = server.clock.monotonic()
        client = caller.script_client
        if client is None:
            client = caller.script_client = ScriptClient(caller)
        client.start(self, caller.now_ms())
        self.client = client

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
            for db_id, argv in self.effects:
                self.caller.log_write(db_id, argv)
            self.effects = []
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
        server = self.server
        cmd = server.commands.get(argv[0].lower())  # (lookup, inline: this is the hot path)
        if cmd is None:
            return _UNKNOWN
        n = len(argv)
        if cmd.subcommands and n > 1:
            cmd = cmd.subcommands.get(argv[1].lower())
            if cmd is None:
                return _UNKNOWN
        if (cmd.arity > 0 and cmd.arity != n) or n < -cmd.arity:
            return _ARITY
        if self.caller.slow & SLOW_ACL:
            refused = script_refusal(self.client, cmd, argv)
            if refused is not None:
                return refused
        if "noscript" in cmd.flags:
            return _NOSCRIPT
        if cmd.write and self.read_only:
            return _READONLY
        if (
            not self.allow_oom
            and server.config.maxmemory
            and not self.write_dirty
            and server.pre_command_oom_state
            and "denyoom" in cmd.flags
        ):
            return _OOM  # only before the script's first write: it cannot stop half-way
        if cmd.write:
            self.write_dirty = True
        sc = self.client
        ks = sc.ks
        dirty = ks.dirty
        sc.propagate = None
        sc.last_cmd = cmd
        t0 = _perf()
        try:
            reply = cmd.handler(sc, argv)
        except RedisError as e:
            reply = e
            cmd.failed_calls += 1
            counts = sc.server.error_counts
            counts[e.code] = counts.get(e.code, 0) + 1
        took = _perf() - t0
        cmd.usec += took
        if cmd.hist is not None:
            cmd.hist[int(took * 976562.5).bit_length()] += 1  # ns >> 10
        if took >= server.timing_threshold:
            record_slow_command(server, sc, cmd, argv, took)
        cmd.calls += 1
        if server.monitors and "skip_monitor" not in cmd.flags and "admin" not in cmd.flags:
            feed_monitors(server, sc, argv, cmd)
        if ks.dirty != dirty:
            self.wrote = True
            if self.repl_flags & 1:  # REPL_AOF: the log gets the command's effects
                if sc.propagate is None:
                    self.effects.append((sc.db_id, argv))
                else:
                    for p in sc.propagate:
                        self.effects.append((sc.db_id, p))
        sc.propagate = None
        return reply

    def acl_check(self, argv: list[bytes]) -> bool | None:
        """redis.acl_check_cmd: None for an unknown command."""
        cmd = self.lookup(argv)
        if cmd is None:
            return None
        result, _ = check_command(self.server, self.caller.acl_user, cmd, argv)
        return result == 0
