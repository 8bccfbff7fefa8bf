"""The batch loop's path for the script-running commands (EVAL, EVALSHA, FCALL ...): a
mixin of the session's Client (its methods use the client's state as session.py keeps it).

A client with nothing special about it (``Client.slow`` is 0) outside Redis Cluster passes
every check processCommand makes, as for the commands the batch loop calls directly; its
scripts still run in the client's worker greenlet, so that a script past
busy-reply-threshold yields to the event loop (-BUSY to others, SCRIPT/FUNCTION KILL).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import greenlet

from polystack.redis import wire
from polystack.redis.blocked import BLOCKED
from polystack.redis.commands.scriptrun import ScriptRun
from polystack.redis.commands.table import Command
from polystack.redis.errors import RedisError
from polystack.redis.lua.engine import PACKED_ARGS, error_from_text
from polystack.redis.lua.luavalues import Failure
from polystack.redis.lua.scripts import EVAL_COMPAT_MODE

_YIELDED = object()  # what the script worker hands back when the script yields
_DONE = object()  # the worker greenlet finished a command
_encode = wire.encode
# the MULTI and EXEC log entries of databases 0-15, shared (session._wrap_multi)
MULTI_ENTRIES = tuple((i, [b"MULTI"]) for i in range(16))
EXEC_ENTRIES = tuple((i, [b"EXEC"]) for i in range(16))
_perf = time.perf_counter

log = logging.getLogger(__name__)


class ScriptPath:
    """Client's _run_script and _call_script (see session.Client._run)."""

    # (the Client's, declared for the type checker)
    _worker: Any
    script_client: Any
    multi: Any
    now_ms: Any
    _root: Any
    _out: list[bytes]
    _log: list[tuple[int, list[bytes]]]
    _script: Any
    yield_to_loop: Any
    blocked: Any
    server: Any
    ks: Any
    last_cmd: Any
    resp3: bool
    propagate: Any
    db_id: int
    db: Any
    _call: Any
    _in_batch: bool
    _finish_batch: Any
    _pending: Any
    peer: Any
    feed: Any
    _count_error: Any
    _slow_command: Any
    _record_write: Any
    _serve_blocked: Any
    _wrap_multi: Any

    def _call_yielding(self, cmd: Command, argv: list[bytes]) -> Any:
        """Run a command that may run a script in the worker greenlet (_hand_over): BLOCKED
        if the script yielded past busy-reply-threshold."""
        outcome = self._hand_over(self._call, cmd, argv)
        if outcome is _YIELDED:
            return BLOCKED
        return self._finished(outcome)

    def _work(self, body: Any, cmd: Command, argv: list[bytes]) -> None:
        """The worker greenlet: run ``body(cmd, argv)`` (_call, or _call_script) as handed
        over by _call_yielding or _run_script, one at a time."""
        while True:
            try:
                outcome: tuple = (_DONE, True, body(cmd, argv))
            except Exception as e:
                outcome = (_DONE, False, e)
            body, cmd, argv = self._root.switch(outcome)

    def _yield_to_loop(self) -> None:
        self._root.switch(_YIELDED)

    @staticmethod
    def _finished(outcome: tuple) -> Any:
        _, ok, value = outcome
        if not ok:
            raise value
        return value

    def _continue_script(self) -> None:
        """Give the yielded script another slice; when it ends, send its reply and run what
        the client sent meanwhile."""
        g = self._script
        if g is None:
            return
        self._root = greenlet.getcurrent()
        self.yield_to_loop = self._yield_to_loop
        self._in_batch = True
        outcome: Any = _YIELDED
        try:
            outcome = g.switch()
            if outcome is not _YIELDED:
                self._finished(outcome)
        except Exception:
            log.exception("redis: a script failed after yielding")
        finally:
            self._in_batch = False
        if outcome is _YIELDED and not g.dead:
            self._finish_batch()
            self.server.clock.call_later(0, self._continue_script)
            return
        self._script = None
        self.yield_to_loop = None
        self.blocked = None
        self._finish_batch()
        if self._pending is not None and not self.peer.closed:
            self.feed(b"")

    def _script_failed(self, cmd: Command, payload: bytes) -> None:
        """A script's error reply (its text as the run gave it): queued, and counted as a
        failed call and by its code."""
        e = error_from_text(payload.decode("utf-8", "surrogateescape"))
        self._out.append(e.encode())
        cmd.failed_calls += 1
        self._count_error(e.code)

    def _hand_over(self, body: Any, cmd: Command, argv: list[bytes]) -> Any:
        """Run ``body(cmd, argv)`` in the client's worker greenlet (made once and reused:
        making one per call costs more than a short script) and return its outcome; if the
        script yields (past busy-reply-threshold) the client is blocked (``blocked =
        "script"``) while the event loop serves others, the script is resumed at the next
        loop turn, and the answer is ``_YIELDED``."""
        worker = self._worker
        if worker is None or worker.dead:
            worker = self._worker = greenlet.greenlet(self._work)
        self._root = greenlet.getcurrent()
        batch_out = self._out
        self.yield_to_loop = self._yield_to_loop
        try:
            outcome = worker.switch(body, cmd, argv)
        except BaseException:
            self.yield_to_loop = None
            raise
        if outcome is not _YIELDED:
            self.yield_to_loop = None
            return outcome
        # The script yielded: this client waits; the batch so far goes out as it is.
        self._out = batch_out
        self._script = worker
        self.blocked = "script"
        self.server.clock.call_later(0, self._continue_script)
        return _YIELDED

    def _run_script(self, cmd: Command, argv: list[bytes]) -> None:
        """The batch loop's EVAL, EVALSHA, FCALL ... for a client with nothing special about
        it (``slow`` is 0: processCommand's checks all pass, as for the commands _run calls
        directly), outside Redis Cluster: call() in the worker greenlet, so that the script
        can still yield past busy-reply-threshold.  A cached script that can never get
        there (``brief``: the count hook cannot fire while it runs) is called directly.

        A brief script translated to Python (lua/translate.py) runs here, in this frame
        (_call_brief's work, with no Lua at all).  The run (and its client) is made once per
        client and set again only where a run can leave it changed; the script's effects go
        to this client's log (``run.effects`` is the log while it runs), and when that held
        nothing before, on to this loop turn's journal record at once (log_commands' work,
        as _run_one does for SET) if no replica follows the writes."""
        script = None
        if cmd.name == "evalsha":
            cache = self.server.scripting
            if cache is not None:
                script = cache.by_sha.get(argv[1])
        if script is None or (translated := script.translated) is None:
            if script is not None and script.brief:
                self._call_brief(cmd, argv, script, self.server.scripting.engine)
                return
            outcome = self._hand_over(self._call_script, cmd, argv)
            if outcome is not _YIELDED and not outcome[1]:
                raise outcome[2]
            return
        # (a brief script, translated)
        numkeys = _SMALL_NUMKEYS.get(argv[2])
        if numkeys is None or numkeys > len(argv) - 3 or not script.flags & EVAL_COMPAT_MODE:
            self._call_script(cmd, argv)  # (MONITOR puts every client on the slow path)
            return
        ks = self.ks
        dirty = ks.dirty
        log = self._log
        mark = len(log)
        self.last_cmd = cmd
        t0 = _perf()
        sc = self.script_client
        run = None if sc is None else sc.translated_run
        if run is None:
            run = ScriptRun(self, script.sha_bytes, False, False, True, argv)
            sc = run.client
            sc.translated_run = run  # (kept for the client's next translated script)
        else:  # ScriptRun(...) again, in place: what a translated run can have changed
            # (not its funcname and argv: only FUNCTION STATS of a busy script reads them)
            sc._run = run
            sc.db_id = self.db_id
            sc.db = self.db
            if sc.multi is not None:  # (left by a script run from EXEC)
                sc.multi = None
            sc.last_cmd = "NULL"
            sc._now = self.now_ms()
        run.effects = log
        try:
            kind, payload = translated(run, argv, numkeys, self.resp3)
        except Failure as failure:
            kind, payload = 2, failure.reply(script.sha_bytes)
        finally:  # run.finish(), inline (a translated script never times out)
            run.effects = ()
            sc._run = None
        if kind == 0:
            self._out.append(payload)
        else:
            self._script_failed(cmd, payload)
        took = _perf() - t0
        server = self.server
        cmd.durations.append(took)
        if took >= server.timing_threshold:
            self._slow_command(cmd, argv, took)
        cmd.calls += 1
        if ks.dirty != dirty:
            if run.wrote:
                run.write_dirty = run.wrote = False
            else:  # (the caller's propagate: None, nothing ran as the caller)
                run.write_dirty = False
                log.append((self.db_id, argv))
            n = len(log) - mark
            if not mark and n:  # log_commands' work for these records, inline
                turn = server._journal_turn
                if (
                    turn is not None and server.repl.backlog is None and not server.repl.replicas
                ) or (turn := server.plain_turn()) is not None:
                    if n > 1:  # the script's effects as MULTI ... EXEC
                        db_id = log[0][0]
                        turn.append(MULTI_ENTRIES[db_id] if db_id < 16 else (db_id, [b"MULTI"]))
                        turn += log
                        db_id = log[-1][0]
                        turn.append(EXEC_ENTRIES[db_id] if db_id < 16 else (db_id, [b"EXEC"]))
                        n += 2
                    else:
                        turn += log
                    server.rdb_changes_since_last_save += n
                    backlog = server.slot_keys_backlog
                    if backlog is not None:  # a cluster's slot -> keys index follows
                        backlog.extend(turn[-n:])
                    log.clear()
                elif n > 1:
                    self._wrap_multi(mark)
            elif n > 1:  # the script's effects as MULTI ... EXEC
                self._wrap_multi(mark)
            if ks.ready_keys:
                self._serve_blocked()
        elif run.write_dirty:
            run.write_dirty = False

    def _call_script(self, cmd: Command, argv: list[bytes]) -> None:
        """_call for _run_script: the same work, less what cannot apply on the fast path
        (MONITOR, keyspace ``new`` events and tracking put every client on the slow path; a
        script never blocks; EXEC is not among these commands)."""
        ks = self.ks
        dirty = ks.dirty
        mark = len(self._log)
        self.last_cmd = cmd
        t0 = _perf()
        try:
            reply = cmd.handler(self, argv)
        except RedisError as e:
            self._out.append(e.encode())
            cmd.failed_calls += 1
            self._count_error(e.code)
        else:
            if type(reply) is wire.Raw:
                self._out.append(reply)
            else:
                _encode(reply, self.resp3, self._out)
        took = _perf() - t0
        cmd.durations.append(took)
        if took >= self.server.timing_threshold:
            self._slow_command(cmd, argv, took)
        cmd.calls += 1
        if ks.dirty != dirty:
            propagate = self.propagate
            if propagate is None:
                self._log.append((self.db_id, argv))
            elif propagate:
                self._record_write(argv)
            else:
                self.propagate = None  # (a script's effects are logged already)
            if len(self._log) - mark > 1:  # the script's effects as MULTI ... EXEC
                self._wrap_multi(mark)
            if ks.ready_keys:
                self._serve_blocked()
        else:
            self.propagate = None

    def _call_brief(self, cmd: Command, argv: list[bytes], script: Any, engine: Any) -> None:
        """_call_script of EVALSHA with the handler's common case inline, for a cached
        brief script (no worker greenlet, no count hook: see lua/bytecode.py) without
        shebang, called with its arguments as call arguments."""
        server = self.server
        n = len(argv) - 3
        numkeys = _SMALL_NUMKEYS.get(argv[2])
        if (
            numkeys is None
            or numkeys > n
            or n > PACKED_ARGS
            or not script.flags & EVAL_COMPAT_MODE
            or server.monitors
        ):
            self._call_script(cmd, argv)
            return
        ks = self.ks
        dirty = ks.dirty
        mark = len(self._log)
        self.last_cmd = cmd
        t0 = _perf()
        sc = self.script_client
        run = None if sc is None else sc.brief_run
        if run is None:
            run = ScriptRun(self, script.sha_bytes, False, False, True, argv)
            run.client.brief_run = run  # (kept for the client's next brief script)
        else:  # ScriptRun(...) again, in place: what a brief run can have changed
            run.funcname = script.sha_bytes
            run.argv = argv
            run.write_dirty = run.wrote = run.resp3 = False
            run.repl_flags = 3
            sc._run = run
            sc.db_id = self.db_id
            sc.db = self.db
            sc.multi = None if self.multi is None else []
            sc.last_cmd = "NULL"
            sc._now = self.now_ms()
        previous = engine.current
        engine.current = run
        try:
            kind, payload = engine.run_packed(
                script.function, script.sha_bytes, self.resp3, 0, False, numkeys, *argv[3:]
            )
        finally:
            engine.current = previous
            if run.timed_out:  # (it cannot be: no count hook)
                run.finish()
            else:  # finish(), inline: its commands' effects to the log
                effects = run.effects
                if effects:
                    self._log.extend(effects)
                    run.effects = ()
                run.client._run = None
        if kind == 0:
            self._out.append(payload)
        else:
            self._script_failed(cmd, payload)
        took = _perf() - t0
        cmd.durations.append(took)
        if took >= server.timing_threshold:
            self._slow_command(cmd, argv, took)
        cmd.calls += 1
        if ks.dirty != dirty:
            if not run.wrote:
                propagate = self.propagate
                if propagate is None:
                    self._log.append((self.db_id, argv))
                elif propagate:
                    self._record_write(argv)
            if len(self._log) - mark > 1:  # the script's effects as MULTI ... EXEC
                self._wrap_multi(mark)
            if ks.ready_keys:
                self._serve_blocked()
        self.propagate = None


_SMALL_NUMKEYS = {b"%d" % i: i for i in range(64)}  # numkeys as most calls give it
_SCRIPT_COMMANDS = ("eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro")
_SCRIPT_TABLES: dict[int, tuple[Any, dict[bytes, Command]]] = {}


def script_commands(commands: dict[bytes, Command]) -> dict[bytes, Command]:
    """The script-running commands of a server's table by the name as sent (lower or upper
    case): the batch loop's _run_script."""
    got = _SCRIPT_TABLES.get(id(commands))
    if got is not None and got[0] is commands:
        return got[1]
    table: dict[bytes, Command] = {}
    for name in _SCRIPT_COMMANDS:
        cmd = commands.get(name.encode())
        if cmd is not None:
            table[name.encode()] = table[name.upper().encode()] = cmd
    if len(_SCRIPT_TABLES) > 64:  # (servers come and go in tests)
        _SCRIPT_TABLES.clear()
    _SCRIPT_TABLES[id(commands)] = (commands, table)
    return table
