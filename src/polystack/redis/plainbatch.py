"""The session's batch path for a plain client (a mixin of the session's Client, using its
state as session.py keeps it): a read's requests, while they are data commands of the
``LEAN`` set, run in one tight loop that does per batch what Redis does per command but
need not be done so here.

A client is plain when nothing about it or the server asks for per-command checks: no state
bit in ``Client.slow`` (authenticated, not in MULTI, not subscribed, no ACL restrictions, no
tracking, no CLIENT REPLY, no MONITOR/pause/maxmemory/busy script server-wide) and, server
side, no keyspace notifications, no key listeners (WATCH, tracking, memory accounting), no
LFU policy, no write refusal (-READONLY, -NOREPLICAS, FAILOVER's pause), a slowlog/latency
threshold above zero.  On a Redis Cluster node each request's key is routed first: one
index of the served map (ClusterState.served) by its CRC16, as session._run does; a key
this node does not serve as it is (another node's slot, a migrating or importing slot, the
cluster down) ends the batch there, and _run answers it (-MOVED, -ASK, -CLUSTERDOWN ...).
Then, per batch:

* one clock read at each end: every command is counted in commandstats (calls stay exact);
  a command that runs its handler is timed on its own (two clock reads: LRANGE, SMEMBERS,
  MGET ... can be slow, and SLOWLOG must name the slow one) unless Redis flags it ``fast``
  and it has at most four arguments (lean_shapes: LPUSH, HSET, ZADD ... of one element),
  and the rest of the batch's time is shared out evenly among those and the inline
  commands, each O(1) or O(log N) (usec, the latency histogram, SLOWLOG and the latency
  monitor see that share);
* keyspace hits and misses, and the inline writes' dirty count, are added up and stored
  once;
* the LRU clock, the database and its dicts are read once (the lean commands cannot change
  them: SELECT, SWAPDB, FLUSHDB ... are not lean);
* GET, SET (three arguments), SADD of a member the set holds (redis-benchmark's SADD), ZADD
  of a member a listpack sorted set holds at that (integral) score (redis-benchmark's ZADD),
  LPUSH/RPUSH of one short string onto an existing list whose end node has room for it,
  and INCR of a key holding a small non-negative integer run inline, the lookup's
  lazy-expiry check skipped while the database has no volatile keys; the other lean
  commands call their handler.  (GET's hits are counted as the batch's GETs less its
  misses.)  A read that starts with GETs runs them in a loop of GET's case alone while they
  come spelt alike (redis-benchmark's ``-P 16``: no lookup of the command per request).

At the first request that is not lean (or has the wrong arity, or finds a condition the
inline code leaves to the handler's general path), the batch hands the rest to ``_run``.

A read that holds one request (redis-benchmark's ``-c 50``) runs ``_run_one``: ``_run``'s
common case for a plain client without the batch's loop and state.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

from polystack.redis import blocked_keys, wire
from polystack.redis.args import small_float
from polystack.redis.blocked import BLOCKED
from polystack.redis.blocking import Block
from polystack.redis.cluster.slots import TAG_CRCS, crc_hqx, remember_tag_crc16
from polystack.redis.errors import RedisError
from polystack.redis.quicklist import OPTIMIZATION_LEVEL, Quicklist
from polystack.redis.set_type import RedisSet
from polystack.redis.zset_type import ZSet

_perf = time.perf_counter
_encode = wire.encode
_OK = wire.OK
_BULK_PREFIX = [b"$%d\r\n" % n for n in range(4096)]
# The integer replies of small counts (ZADD, SADD, HSET ... answer 0 or 1)
_INT_REPLY = {n: b":%d\r\n" % n for n in range(-1, 1024)}

# Commands the batch runs itself (their handlers need only what the batch provides: no
# blocking, no scripts, no change of database, protocol or client state, no server state a
# later command of the batch reads).
LEAN = frozenset(
    (
        "get", "set", "getrange", "strlen", "append", "incr", "decr", "incrby", "decrby",
        "mget", "mset", "exists", "ttl", "pttl", "type",
        "lpush", "rpush", "lpop", "rpop", "llen", "lrange", "lindex",
        "sadd", "srem", "sismember", "scard", "smembers", "spop",
        "hset", "hget", "hmget", "hgetall", "hincrby", "hdel", "hlen", "hexists",
        "zadd", "zrange", "zscore", "zcard", "zrem", "zincrby", "zrank",
    )
)  # fmt: skip


def _position(requests: list[list[bytes]], argv: list[bytes]) -> int:
    for i, a in enumerate(requests):
        if a is argv:
            return i
    raise ValueError("not a request of the batch")


def lean_table(dispatch: dict[bytes, Any]) -> dict[bytes, Any]:
    """The dispatch table's lean commands (by the names the client may send them as)."""
    return {name: cmd for name, cmd in dispatch.items() if cmd.name in LEAN}


# A pop with a count is O(count): without one, O(1).
_COUNTED = frozenset(("lpop", "rpop", "spop"))
_NO_MOST = sys.maxsize


def lean_shapes(lean: dict[bytes, Any]) -> dict[bytes, tuple[int, int, int]]:
    """The lean commands' shapes, by the names the client may send them as: the fewest and
    most arguments (with the name) their arity allows, and the most for which they share the
    batch's time when they run their handler (0: never).  Those Redis flags ``fast`` (O(1)
    or O(log N)) with a bounded amount of work share it: at most four arguments, a pop
    without a count."""
    shapes = {}
    for name, cmd in lean.items():
        arity = cmd.arity
        lo, hi = (arity, arity) if arity > 0 else (-arity, _NO_MOST)
        most = (2 if cmd.name in _COUNTED else 4) if "fast" in cmd.flags else 0
        shapes[name] = (lo, hi, most)
    return shapes


class PlainBatch:
    """Client's _run_plain."""

    # (the Client's, declared for the type checker)
    server: Any
    peer: Any
    ks: Any
    db: Any
    db_id: int
    resp3: bool
    propagate: Any
    last_cmd: Any
    tracking: Any
    _out: list[bytes]
    _log: list[tuple[int, list[bytes]]]
    _pending: Any
    _lean: dict[bytes, Any]
    _shapes: dict[bytes, tuple[int, int, int]]
    _get_cmd: Any
    _set_cmd: Any
    _sadd_cmd: Any
    _incr_cmd: Any
    _zadd_cmd: Any
    _lpush_cmd: Any
    _rpush_cmd: Any
    _count_error: Any
    _record_write: Any
    _wrap_multi: Any
    _serve_blocked: Any
    _slow_command: Any
    _served: Any
    _dispatch_get: Any
    _run: Any
    _scripts_get: Any
    _run_script: Any
    _requeue: Any
    blocked: Any
    slow: int

    def _run_plain(self, requests: list[list[bytes]]) -> int:
        """Run the leading lean requests of a plain client's batch; how many it ran (the
        caller runs the rest through ``_run``).  (Every line of the loop costs each request
        of every pipelined read: GET and SET count their calls in their keyspace-hit, miss
        and set counters, the other lean commands in ``ran`` and ``shared``.)"""
        server = self.server
        ks = self.ks
        if (
            ks.notify_classes
            or ks.key_listeners
            or server.lfu
            or server.writes_paused
            or server.write_denied is not None
            or server.timing_threshold <= 0
        ):
            return 0
        lean = self._lean
        shapes = self._shapes
        served = self._served  # Redis Cluster's routing map (None when cluster mode is off)
        get_cmd = self._get_cmd
        set_cmd = self._set_cmd
        sadd_cmd = self._sadd_cmd
        incr_cmd = self._incr_cmd
        zadd_cmd = self._zadd_cmd
        lpush_cmd = self._lpush_cmd
        rpush_cmd = self._rpush_cmd
        packed_threshold = ks.limits.packed_threshold
        db = self.db
        db_id = self.db_id
        data = db.data
        data_get = data.get
        expires = db.expires
        lru = db.lru
        clock = server.lruclock
        out = self._out
        append = out.append
        extend = out.extend
        bulk_prefix = _BULK_PREFIX
        int_reply = _INT_REPLY.get
        log = self._log
        log_append = log.append
        ran: list[Any] = []  # (cmd, argv, own time) of the other lean commands run, in order
        shared: list[Any] = []  # the commands that ran their handler and share the time
        shared_append = shared.append
        nil = b"_\r\n" if self.resp3 else b"$-1\r\n"
        misses = sets = sadds = incrs = zadds = lpushes = rpushes = 0
        serving = 0.0
        timed = 0.0  # the handler path's own time (ran)
        full = False
        budget = -1  # the output's room, read once a reply is not a small one
        produced = 0
        key: bytes | None
        cmd: Any = None
        batch: Sequence[list[bytes]] = requests
        first = requests[0]
        t0 = _perf()
        if served is None and len(first) == 2 and lean.get(first[0]) is get_cmd:
            # A read that starts with GETs (redis-benchmark's -P 16): the loop's GET case
            # alone while they come, spelt as the first (no lookup of the command); the
            # general loop takes over at the first other request or other case.
            cmd = get_cmd
            name = first[0]
            for argv in requests:  # noqa: B007  (argv: where the loop stopped)
                try:
                    sent, key = argv
                except ValueError:
                    break
                if sent != name:
                    break
                v = data_get(key)
                if type(v) is bytes and not (expires and key in expires):
                    try:
                        extend((bulk_prefix[len(v)], v, b"\r\n"))
                    except IndexError:
                        break  # 4 KiB or more: the handler's path (flow control)
                    lru[key] = clock
                elif v is None:
                    misses += 1
                    append(nil)
                else:
                    break
            else:
                argv = None
            batch = () if argv is None else requests[_position(requests, argv) :]
        for argv in batch:  # noqa: B007  (argv: where the loop stopped)
            try:
                cmd = lean[argv[0]]
            except KeyError:
                break  # not a lean command: _run runs it
            if served is not None:
                # Redis Cluster: in cluster mode every lean command's one key is argv[1]
                # (routing.prepare_dispatch keeps no other keyed command in the dispatch
                # table the lean one is made from); its CRC16 indexes the served map, a
                # hash-tagged key's remembered (TAG_CRCS).
                try:
                    key = argv[1]
                except IndexError:
                    break  # the arity error, as processCommand words it
                if 123 in key:  # "{": a hash tag, maybe
                    try:
                        crc = TAG_CRCS[key]
                    except KeyError:
                        crc = remember_tag_crc16(key)
                else:
                    crc = crc_hqx(key, 0)
                if not served[crc]:
                    break  # not served here as it is: _run redirects it
            if cmd is get_cmd:
                try:
                    _, key = argv
                except ValueError:
                    break  # the arity error, as processCommand words it
                v = data_get(key)
                if v is None:
                    misses += 1
                    append(nil)
                    continue
                if type(v) is bytes and not (expires and key in expires):
                    try:
                        extend((bulk_prefix[len(v)], v, b"\r\n"))
                    except IndexError:
                        pass  # 4 KiB or more: the handler's path (flow control)
                    else:
                        lru[key] = clock
                        continue
            elif cmd is set_cmd:
                try:
                    _, key, value = argv
                except ValueError:
                    key = None  # SET with options: the handler's general path
                if key is not None and not (expires and key in expires or db.blocking_keys):
                    lru[key] = clock  # a new object: created now (setKey)
                    data[key] = value
                    sets += 1
                    log_append((db_id, argv))
                    append(b"+OK\r\n")
                    continue
            elif cmd is sadd_cmd:
                # SADD of one member the set holds already: :0, nothing changed (its
                # handler's general path otherwise: a new member, an intset, a new key)
                try:
                    _, key, member = argv
                except ValueError:
                    key = None
                if key is not None:
                    v = data_get(key)
                    if (
                        type(v) is RedisSet
                        and v.ints is None
                        and member in v.index
                        and not (expires and key in expires)
                    ):
                        lru[key] = clock  # lookupKeyWrite's access
                        sadds += 1
                        append(b":0\r\n")
                        continue
            elif cmd is incr_cmd:
                # INCR of a key holding a canonical non-negative integer far from overflow
                # (string2ll's common case; the handler's general path otherwise: a new key,
                # a deadline, another type or form)
                try:
                    _, key = argv
                except ValueError:
                    break  # the arity error, as processCommand words it
                v = data_get(key)
                if (
                    type(v) is bytes
                    and v.isdigit()
                    and len(v) < 18
                    and (v[0] != 0x30 or len(v) == 1)
                    and not (expires and key in expires)
                ):
                    n = int(v) + 1
                    data[key] = b"%d" % n  # a new object (the deadline stays: there is none)
                    lru[key] = clock
                    incrs += 1
                    log_append((db_id, argv))
                    append(b":%d\r\n" % n)
                    continue
            elif cmd is zadd_cmd:
                # ZADD key score member of a member the listpack-encoded sorted set holds at
                # that score already (an integral score: small_float): :0, nothing changed
                # (zsetAdd's no-op; its handler's general path otherwise)
                try:
                    _, key, score, member = argv
                except ValueError:
                    key = None
                if key is not None:
                    v = data_get(key)
                    if (
                        type(v) is ZSet
                        and v.listpack
                        and (small_float(score), member) in v.sl
                        and not (expires and key in expires)
                    ):
                        lru[key] = clock  # lookupKeyWrite's access
                        zadds += 1
                        append(b":0\r\n")
                        continue
            elif cmd is lpush_cmd or cmd is rpush_cmd:
                # LPUSH/RPUSH of one element onto an existing list: quicklist's push onto the
                # end node when it fits there (a short string that does not read as an
                # integer: 2 bytes of overhead), as _push's common case (its general path
                # otherwise: a new list, a new node, an integer, a large element)
                try:
                    _, key, value = argv
                except ValueError:
                    key = None
                if key is not None:
                    v = data_get(key)
                    if (
                        type(v) is Quicklist
                        and v.fill < 0
                        and (size := len(value)) < 63
                        and value[:1] > b"9"
                        and size < packed_threshold
                        and not (expires and key in expires)
                    ):
                        tail = cmd is rpush_cmd
                        node = v.nodes[-tail]  # LPUSH: the first node, RPUSH: the last
                        if not node.plain and node.sz + size + 8 <= OPTIMIZATION_LEVEL[-v.fill - 1]:
                            if tail:
                                node.items.append(value)
                                rpushes += 1
                            else:
                                node.items[:0] = (value,)  # (a memmove, as lpInsert's)
                                lpushes += 1
                            node.sz += size + 2
                            v.count += 1
                            lru[key] = clock  # lookupKeyWrite's access
                            log_append((db_id, argv))
                            append(b":%d\r\n" % v.count)
                            continue
            lo, hi, most = shapes[argv[0]]
            n = len(argv)
            if n < lo or n > hi:
                break  # the arity error, as processCommand words it
            # The handler's general path (a lean command: no blocking, no scripts), timed on
            # its own: LRANGE, SMEMBERS, MGET ... can be slow, and SLOWLOG must name them;
            # a fast command with few arguments (LPUSH, HSET, ZADD ... of one element: O(1)
            # or O(log N)) shares the batch's time with the inline ones instead.
            short = n <= most
            dirty = ks.dirty
            mark = len(log)
            if not short:
                t1 = _perf()
            try:
                reply = cmd.handler(self, argv)
            except RedisError as e:
                append(e.encode())
                cmd.failed_calls += 1
                self._count_error(e.code)
            else:
                t = type(reply)
                if t is int:
                    append(int_reply(reply) or b":%d\r\n" % reply)
                elif t is bytes and len(reply) < 4096:
                    extend((bulk_prefix[len(reply)], reply, b"\r\n"))
                elif reply is _OK:
                    append(b"+OK\r\n")
                elif reply is None:
                    append(nil)
                else:
                    start = len(out)
                    _encode(reply, self.resp3, out)
                    # Stop before building more once the output is full (flow control).
                    produced += sum(map(len, out[start:]))
                    if budget < 0:
                        budget = self.peer.output_room()
                    if produced >= budget and self.peer.output_full(produced):
                        full = True
            if short:
                shared_append(cmd)
            else:
                own = _perf() - t1
                ran.append((cmd, argv, own))
                timed += own
            if ks.dirty != dirty:
                if self.propagate is None:
                    log.append((db_id, argv))
                else:
                    self._record_write(argv)
                if len(log) - mark > 1:
                    self._wrap_multi(mark)
                if ks.ready_keys:
                    t1 = _perf()
                    self._serve_blocked()
                    serving += _perf() - t1  # (the clients it served are not this batch)
                    log = self._log  # (it may have handed the records on)
                    log_append = log.append
            if full:
                break
        else:
            argv = None
        took = _perf() - t0 - serving
        pushes = lpushes + rpushes
        # (where it stopped, by identity: a pipeline repeats equal requests)
        if argv is None:
            done = len(requests)
            last = cmd  # the last request's
        else:
            done = _position(requests, argv) + full
            last = None
        gets = done - sets - sadds - incrs - zadds - pushes - len(ran) - len(shared)
        hits = gets - misses
        if full:  # the rest runs when the output drains
            self._pending = requests[done:]
            n = len(requests)
        else:
            n = done
        if not done:
            return n
        if hits:
            ks.keyspace_hits += hits
        if misses:
            ks.keyspace_misses += misses
        if sets or incrs or pushes:
            ks.dirty += sets + incrs + pushes
        inline = done - len(ran)
        share = (took - timed) / inline if inline else 0.0  # the inline and shared: O(1) each
        for inline_cmd, count in (
            (get_cmd, gets),
            (set_cmd, sets),
            (sadd_cmd, sadds),
            (incr_cmd, incrs),
            (zadd_cmd, zadds),
            (lpush_cmd, lpushes),
            (rpush_cmd, rpushes),
        ):
            if count:
                inline_cmd.calls += count
                inline_cmd.durations += [share] * count
        if shared:
            if len(set(map(id, shared))) == 1:  # one command (a pipeline of one kind)
                cmd = shared[0]
                cmd.calls += len(shared)
                cmd.durations += [share] * len(shared)
            else:
                for cmd in shared:
                    cmd.calls += 1
                    cmd.durations.append(share)
        threshold = server.timing_threshold
        slow_ran = False
        for cmd, _, own in ran:
            cmd.calls += 1
            cmd.durations.append(own)
            if own >= threshold:
                slow_ran = True
        if share >= threshold or slow_ran:
            # in the order they ran: a handler-path command with its own time, the inline
            # ones with their share
            timed_runs = iter(ran)
            run = next(timed_runs, None)
            for argv in requests[:done]:
                if run is not None and run[1] is argv:
                    if run[2] >= threshold:
                        self._slow_command(run[0], argv, run[2])
                    run = next(timed_runs, None)
                elif share >= threshold:
                    self._slow_command(lean[argv[0]], argv, share)
        self.last_cmd = last if last is not None else lean[requests[done - 1][0]]
        return n

    def _run_one(self, argv: list[bytes]) -> None:
        """:meth:`_run` of a read that holds one request (redis-benchmark's ``-c 50``): its
        common case without the batch's loop and state; anything else goes to ``_run``.
        GET and SET of three arguments run inline under the batch's conditions (no keyspace
        notifications, key listeners or LFU; no deadline on the key; SET: no client blocked
        on a stream), and SET's record joins this loop turn's journal record directly when no
        replica follows the writes (no replicas, no replication backlog)."""
        cmd = self._dispatch_get(argv[0])
        if cmd is None:  # EVAL, EVALSHA, FCALL ...: _run's _run_script branch, inline
            if not self.slow and self._served is None:
                cmd = self._scripts_get(argv[0])
                if cmd is not None and len(argv) >= -cmd.arity:
                    self._run_script(cmd, argv)
                    if self.blocked is not None:  # the script yielded
                        self._pending = self._requeue
                        self._requeue = []
                    return None
            return self._run([argv])
        if self.slow:
            return self._run([argv])
        arity = cmd.arity
        n = len(argv)
        if n != arity and (arity > 0 or n < -arity):
            return self._run([argv])
        served = self._served
        if served is not None and cmd.first_key:  # Redis Cluster: as in _run
            key = argv[1]
            if 123 in key:  # key_crc16 inline (a call per read costs): "{", a hash tag maybe
                try:
                    crc = TAG_CRCS[key]
                except KeyError:
                    crc = remember_tag_crc16(key)
            else:
                crc = crc_hqx(key, 0)
            if not served[crc]:
                return self._run([argv])
        server = self.server
        ks = self.ks
        self.last_cmd = cmd
        took = -1.0  # set by the inline GET or SET
        if cmd is self._get_cmd:
            if not (ks.notify_classes or server.lfu):
                t0 = _perf()
                key = argv[1]
                db = self.db
                v = db.data.get(key)
                if v is None:
                    ks.keyspace_misses += 1
                    self._out.append(b"_\r\n" if self.resp3 else b"$-1\r\n")
                    took = _perf() - t0
                elif type(v) is bytes and len(v) < 4096 and not (db.expires and key in db.expires):
                    ks.keyspace_hits += 1
                    db.lru[key] = server.lruclock
                    self._out.extend((_BULK_PREFIX[len(v)], v, b"\r\n"))
                    took = _perf() - t0
        elif cmd.write:
            if server.writes_paused or server.write_denied is not None:
                return self._run([argv])
            if (
                cmd is self._set_cmd
                and n == 3
                and not (ks.notify_classes or ks.key_listeners or server.lfu)
            ):
                db = self.db
                key = argv[1]
                if not (db.expires and key in db.expires or db.blocking_keys):
                    t0 = _perf()
                    db.lru[key] = server.lruclock  # a new object: created now (setKey)
                    db.data[key] = argv[2]
                    ks.dirty += 1
                    self._out.append(b"+OK\r\n")
                    took = _perf() - t0
                    # log_commands' work for this one record (RedisService.plain_turn): the
                    # turn's record is appended and written before any reply of the turn
                    # is sent
                    turn = server._journal_turn
                    if (
                        turn is not None
                        and server.repl.backlog is None
                        and not server.repl.replicas
                    ) or (turn := server.plain_turn()) is not None:
                        if self._log:  # (this client's earlier records go first)
                            server.log_commands(self._log)
                            self._log = []
                        entry = (self.db_id, argv)
                        turn.append(entry)
                        server.rdb_changes_since_last_save += 1
                        backlog = server.slot_keys_backlog
                        if backlog is not None:  # a cluster's slot -> keys index follows
                            backlog.append(entry)
                    else:
                        self._log.append((self.db_id, argv))
        if took < 0.0:  # (a float against a float: an int costs a conversion)
            self._call_one(cmd, argv)
            return
        cmd.durations.append(took)  # commandstats' usec and the histogram (folded later)
        if took >= server.timing_threshold:
            self._slow_command(cmd, argv, took)
        cmd.calls += 1

    def _call_one(self, cmd: Any, argv: list[bytes]) -> None:
        """_run_one's general case: the command's handler, its reply, its record."""
        ks = self.ks
        dirty = ks.dirty
        log = self._log
        mark = len(log)
        t0 = _perf()
        try:
            reply = cmd.handler(self, argv)
        except RedisError as e:
            self._out.append(e.encode())
            cmd.failed_calls += 1
            self._count_error(e.code)
        else:
            t = type(reply)
            if t is bytes and len(reply) < 4096:
                self._out.extend((_BULK_PREFIX[len(reply)], reply, b"\r\n"))
            elif reply is _OK:
                self._out.append(b"+OK\r\n")
            elif t is int:
                self._out.append(b":%d\r\n" % reply)
            elif reply is None:
                self._out.append(b"_\r\n" if self.resp3 else b"$-1\r\n")
            elif reply is BLOCKED:
                self._pending = []
            elif t is Block:
                blocked_keys.block(self, reply)
                self._pending = []
            else:
                out = self._out
                start = len(out)
                _encode(reply, self.resp3, out)
                # flow control, as in _run: a full output holds back what the client sends next
                produced = sum(map(len, out[start:]))
                peer = self.peer
                if produced >= peer.output_room() and peer.output_full(produced):
                    self._pending = []
        took = _perf() - t0
        cmd.durations.append(took)  # commandstats' usec and the histogram (folded later)
        if took >= self.server.timing_threshold:
            self._slow_command(cmd, argv, took)
        cmd.calls += 1
        if ks.dirty != dirty:
            log = self._log  # (_serve_blocked and a handler may have replaced the list)
            if self.propagate is None:
                log.append((self.db_id, argv))
            else:
                self._record_write(argv)
            if len(log) - mark > 1:
                self._wrap_multi(mark)
            if ks.ready_keys:
                self._serve_blocked()
