"""Sentinel's own command table (sentinel.c's sentinelcmds): SENTINEL and its subcommands,
PING, INFO, ROLE, the pub/sub commands, PUBLISH (a hello sent straight to a Sentinel), CLIENT,
AUTH, HELLO, COMMAND and SHUTDOWN — with Sentinel's replies and error texts."""

from __future__ import annotations

import fnmatch
import logging
import os
import platform
import sys
from collections.abc import Callable
from typing import Any

from polystack.redis.errors import RedisError, err
from polystack.redis.sentinel.core import Sentinel
from polystack.redis.sentinel.instance import MASTER
from polystack.redis.sentinel.periods import HELLO_CHANNEL
from polystack.redis.version import REDIS_VERSION
from polystack.redis.wire import NULL_ARRAY, OK, PONG, Raw, Simple, Verbatim

log = logging.getLogger(__name__)

NO_MASTER = err("No such master with that name")

Handler = Callable[[Any, list[bytes]], Any]
COMMANDS: dict[bytes, tuple[int, Handler]] = {}
SENTINEL_SUBCOMMANDS: dict[bytes, tuple[int, Handler]] = {}


def command(name: str, arity: int) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name.encode()] = (arity, fn)
        return fn

    return register


def sub(name: str, arity: int) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        SENTINEL_SUBCOMMANDS[name.encode()] = (arity, fn)
        return fn

    return register


def _master(s: Sentinel, name: bytes) -> Any:
    m = s.masters.get(name.decode("utf-8", "surrogateescape"))
    if m is None:
        raise NO_MASTER
    return m


def _int(v: bytes, what: str = "value is not an integer or out of range") -> int:
    try:
        return int(v)
    except ValueError:
        raise err(what) from None


# -- SENTINEL -------------------------------------------------------------------------------
@command("sentinel", -2)
def sentinel_cmd(session: Any, argv: list[bytes]) -> Any:
    entry = SENTINEL_SUBCOMMANDS.get(argv[1].lower())
    if entry is None:
        raise err(
            f"unknown subcommand '{argv[1].decode('utf-8', 'replace')[:128]}'. Try SENTINEL HELP."
        )
    arity, fn = entry
    if (arity > 0 and len(argv) != arity) or len(argv) < -arity:
        raise err(
            f"wrong number of arguments for 'sentinel|{argv[1].decode('latin-1').lower()}' command"
        )
    return fn(session, argv)


@sub("masters", 2)
def masters(session: Any, argv: list[bytes]) -> Any:
    s = session.sentinel
    now = s.now()
    return [m.describe(now) for m in s.masters.values()]


@sub("master", 3)
def master(session: Any, argv: list[bytes]) -> Any:
    s = session.sentinel
    return _master(s, argv[2]).describe(s.now())


def _replicas(session: Any, argv: list[bytes]) -> Any:
    s = session.sentinel
    m = _master(s, argv[2])
    now = s.now()
    return [r.describe(now) for r in m.replicas.values()]


sub("replicas", 3)(_replicas)
sub("slaves", 3)(_replicas)


@sub("sentinels", 3)
def sentinels(session: Any, argv: list[bytes]) -> Any:
    s = session.sentinel
    m = _master(s, argv[2])
    now = s.now()
    return [o.describe(now) for o in m.sentinels.values()]


@sub("get-master-addr-by-name", 3)
def get_master_addr(session: Any, argv: list[bytes]) -> Any:
    m = session.sentinel.masters.get(argv[2].decode("utf-8", "surrogateescape"))
    if m is None:
        return NULL_ARRAY
    if m.failover_state == "update_config" and m.promoted is not None:  # about to switch
        return [m.promoted.host.encode(), b"%d" % m.promoted.port]
    return [m.host.encode(), b"%d" % m.port]


@sub("is-master-down-by-addr", 6)
def is_master_down_by_addr(session: Any, argv: list[bytes]) -> Any:
    s = session.sentinel
    host = argv[2].decode()
    port = _int(argv[3])
    req_epoch = _int(argv[4])
    runid = argv[5].decode("latin-1")
    isdown = 0
    leader, leader_epoch = "", 0
    for m in s.masters.values():
        if (m.host, m.port) != (host, port):
            continue
        if "s_down" in m.flags:
            isdown = 1
        if runid != "*":
            leader, leader_epoch = s.vote_leader(m, req_epoch, runid)
        break
    return [isdown, (leader or "*").encode(), leader_epoch]


@sub("reset", 3)
def reset(session: Any, argv: list[bytes]) -> Any:
    s = session.sentinel
    pattern = argv[2].decode("utf-8", "surrogateescape")
    n = 0
    for m in list(s.masters.values()):
        if fnmatch.fnmatchcase(m.name, pattern):
            s.reset_master(m)
            n += 1
    if n:
        s.flush()
    return n


@sub("failover", 3)
def failover(session: Any, argv: list[bytes]) -> Any:
    s = session.sentinel
    m = _master(s, argv[2])
    if "failover_in_progress" in m.flags:
        raise RedisError("INPROG", "Failover already in progress")
    if s.select_replica(m) is None:
        raise RedisError("NOGOODSLAVE", "No suitable replica to promote")
    log.warning("Executing user requested FAILOVER of '%s'", m.name)
    s.start_failover(m)
    m.flags.add("force_failover")
    return OK


@sub("ckquorum", 3)
def ckquorum(session: Any, argv: list[bytes]) -> Any:
    s = session.sentinel
    m = _master(s, argv[2])
    voters = len(m.sentinels) + 1
    usable = 1 + sum(1 for o in m.sentinels.values() if not o.flags & {"s_down", "o_down"})
    problems = []
    if usable < m.quorum:
        problems.append(
            "Not enough available Sentinels to reach the specified quorum for this master"
        )
    if usable < voters // 2 + 1:
        problems.append(
            "Not enough available Sentinels to reach the majority and authorize a failover"
        )
    if problems:
        raise RedisError("NOQUORUM", f"{usable} usable Sentinels. " + ". ".join(problems))
    return Simple(
        b"OK %d usable Sentinels. Quorum and failover authorization can be reached" % usable
    )


@sub("monitor", 6)
def monitor(session: Any, argv: list[bytes]) -> Any:
    s = session.sentinel
    name = argv[2].decode("utf-8", "surrogateescape")
    quorum = _int(argv[5], "Invalid quorum")
    port = _int(argv[4], "Invalid port")
    if quorum <= 0:
        raise err("Quorum must be 1 or greater.")
    if not 0 < port <= 65535:
        raise err("Invalid port")
    if name in s.masters:
        raise err("Duplicate master name.")
    m = s.monitor(name, argv[3].decode(), port, quorum)
    s.flush()
    s.event(logging.WARNING, "+monitor", m, f"%@ quorum {quorum}")
    return OK


@sub("remove", 3)
def remove(session: Any, argv: list[bytes]) -> Any:
    s = session.sentinel
    m = _master(s, argv[2])
    s.event(logging.WARNING, "-monitor", m)
    s.remove(m.name)
    s.flush()
    return OK


_SET_INT = {
    "down-after-milliseconds": ("down_after", 1),
    "failover-timeout": ("failover_timeout", 1),
    "parallel-syncs": ("parallel_syncs", 1),
    "quorum": ("quorum", 1),
}


@sub("set", -5)
def set_(session: Any, argv: list[bytes]) -> Any:
    s = session.sentinel
    m = _master(s, argv[2])
    if (len(argv) - 3) % 2:
        raise err(
            "Unknown option or number of arguments for SENTINEL SET "
            f"'{argv[-1].decode('utf-8', 'replace')}'"
        )
    for i in range(3, len(argv), 2):
        opt = argv[i].decode("utf-8", "replace").lower()
        value = argv[i + 1].decode("utf-8", "surrogateescape")
        if opt in _SET_INT:
            attr, low = _SET_INT[opt]
            try:
                n = int(value)
            except ValueError:
                n = low - 1
            if n < low:
                raise err(f"Invalid argument '{value}' for SENTINEL SET '{opt}'")
            setattr(m, attr, n)
        elif opt == "auth-pass":
            m.auth_pass = value
        elif opt == "auth-user":
            m.auth_user = value
        elif opt in ("master-reboot-down-after-period", "rename-command"):
            pass
        elif opt in ("notification-script", "client-reconfig-script"):
            raise err(
                "Reconfiguration of scripts path is denied for security reasons. Check the "
                "deny-scripts-reconfig configuration directive in your Sentinel configuration"
            )
        else:
            raise err(
                "Unknown option or number of arguments for SENTINEL SET "
                f"'{argv[i].decode('utf-8', 'replace')}'"
            )
        s.event(logging.WARNING, "+set", m, f"%@ {opt} {value}")
    s.flush()
    return OK


@sub("myid", 2)
def myid(session: Any, argv: list[bytes]) -> Any:
    return session.sentinel.myid.encode()


@sub("flushconfig", 2)
def flushconfig(session: Any, argv: list[bytes]) -> Any:
    session.sentinel.flush()
    return OK


@sub("pending-scripts", 2)
def pending_scripts(session: Any, argv: list[bytes]) -> Any:
    return []


@sub("simulate-failure", -3)
def simulate_failure(session: Any, argv: list[bytes]) -> Any:
    for a in argv[2:]:
        low = a.lower()
        if low == b"help":
            return [b"crash-after-election", b"crash-after-promotion"]
        if low not in (b"crash-after-election", b"crash-after-promotion"):
            raise err("Unknown failure simulation specified")
        session.sentinel.simulate_failure.add(low.decode())
    return OK


@sub("info-cache", -3)
def info_cache(session: Any, argv: list[bytes]) -> Any:
    s = session.sentinel
    out: list[Any] = []
    for name in argv[2:]:
        m = s.masters.get(name.decode("utf-8", "surrogateescape"))
        if m is None:
            continue
        entries = [
            [int(i.info_refresh), i.info_text.encode() if i.info_text else None]
            for i in (m, *m.replicas.values())
        ]
        out += [m.name.encode(), entries]
    return out


@sub("config", -3)
def config(session: Any, argv: list[bytes]) -> Any:
    s = session.sentinel
    action = argv[2].lower()
    params = {
        "announce-ip": lambda: s.announce_ip,
        "announce-port": lambda: str(s.announce_port),
        "resolve-hostnames": lambda: "yes" if s.resolve_hostnames else "no",
        "announce-hostnames": lambda: "yes" if s.announce_hostnames else "no",
        "sentinel-user": lambda: "",
        "sentinel-pass": lambda: "",
    }
    if action == b"get" and len(argv) == 4:
        pattern = argv[3].decode("utf-8", "replace")
        out: list[bytes] = []
        for k, get in params.items():
            if fnmatch.fnmatchcase(k, pattern):
                out += [k.encode(), get().encode()]
        return out
    if action == b"set" and len(argv) == 5:
        key = argv[3].decode("utf-8", "replace").lower()
        value = argv[4].decode("utf-8", "surrogateescape")
        if key == "announce-ip":
            s.announce_ip = value
        elif key == "announce-port":
            s.announce_port = _int(argv[4])
        elif key in ("resolve-hostnames", "announce-hostnames"):
            setattr(s, key.replace("-", "_"), value.lower() == "yes")
        else:
            raise err(f"Invalid argument '{key}' to SENTINEL CONFIG SET")
        s.flush()
        return OK
    raise err("Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.")


_HELP = [
    "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CKQUORUM <master-name>",
    "    Check if the current Sentinel configuration is able to reach the quorum",
    "    needed to failover a master and the majority needed to authorize the",
    "    failover.",
    "CONFIG SET <param> <value>",
    "    Set a global Sentinel configuration parameter.",
    "CONFIG GET <param>",
    "    Get global Sentinel configuration parameter.",
    "DEBUG [<param> <value> ...]",
    "    Show a list of configurable time parameters and their values (milliseconds).",
    "    Or update current configurable parameters values (one or more).",
    "GET-MASTER-ADDR-BY-NAME <master-name>",
    "    Return the ip and port number of the master with that name.",
    "FAILOVER <master-name>",
    "    Manually failover a master node without asking for agreement from other",
    "    Sentinels",
    "FLUSHCONFIG",
    "    Force Sentinel to rewrite its configuration on disk, including the current",
    "    Sentinel state.",
    "INFO-CACHE <master-name>",
    "    Return last cached INFO output from masters and all its replicas.",
    "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
    "    Check if the master specified by ip:port is down from current Sentinel's",
    "    point of view.",
    "MASTER <master-name>",
    "    Show the state and info of the specified master.",
    "MASTERS",
    "    Show a list of monitored masters and their state.",
    "MONITOR <name> <ip> <port> <quorum>",
    "    Start monitoring a new master with the specified name, ip, port and quorum.",
    "MYID",
    "    Return the ID of the Sentinel instance.",
    "PENDING-SCRIPTS",
    "    Get pending scripts information.",
    "REMOVE <master-name>",
    "    Remove master from Sentinel's monitor list.",
    "REPLICAS <master-name>",
    "    Show a list of replicas for this master and their state.",
    "RESET <pattern>",
    "    Reset masters for specific master name matching this pattern.",
    "SENTINELS <master-name>",
    "    Show a list of Sentinel instances for this master and their state.",
    "SET <master-name> <option> <value> [<option> <value> ...]",
    "    Set configuration parameters for certain masters.",
    "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
    "    Simulate a Sentinel crash.",
    "HELP",
    "    Prints this help.",
]


@sub("help", 2)
def help_(session: Any, argv: list[bytes]) -> Any:
    return [Simple(line.encode()) for line in _HELP]


# -- the other commands ---------------------------------------------------------------------
@command("ping", -1)
def ping(session: Any, argv: list[bytes]) -> Any:
    if len(argv) > 2:
        raise err("wrong number of arguments for 'ping' command")
    if session.subscribed and not session.resp3:
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return argv[1] if len(argv) == 2 else PONG


@command("role", 1)
def role(session: Any, argv: list[bytes]) -> Any:
    return [b"sentinel", [name.encode() for name in session.sentinel.masters]]


@command("info", -1)
def info(session: Any, argv: list[bytes]) -> Any:
    sections = [a.decode("latin-1").lower() for a in argv[1:]]
    return Verbatim(session.service.info_text(sections).encode())


@command("publish", 3)
def publish(session: Any, argv: list[bytes]) -> Any:
    """Only the hello channel: a Sentinel's hello sent straight to us."""
    if argv[1] != HELLO_CHANNEL:
        raise err("Only HELLO messages are accepted by Sentinel instances.")
    session.sentinel.process_hello(argv[2].decode("utf-8", "replace"), None)
    return 1


@command("auth", -2)
def auth(session: Any, argv: list[bytes]) -> Any:
    password = session.service.config.requirepass
    if len(argv) > 3:
        raise err("syntax error")
    given = argv[-1].decode("utf-8", "surrogateescape")
    if not password:
        raise err(
            "AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?"
        )
    if given != password:
        raise RedisError("WRONGPASS", "invalid username-password pair or user is disabled.")
    session.authenticated = True
    return OK


@command("hello", -1)
def hello(session: Any, argv: list[bytes]) -> Any:
    if len(argv) >= 2:
        ver = _int(argv[1], "Protocol version is not an integer or out of range")
        if ver not in (2, 3):
            raise RedisError("NOPROTO", "unsupported protocol version")
        session.resp3 = ver == 3
    return {
        b"server": b"redis",
        b"version": REDIS_VERSION.encode(),
        b"proto": 3 if session.resp3 else 2,
        b"id": session.peer.id,
        b"mode": b"sentinel",
        b"role": b"master",
        b"modules": [],
    }


@command("client", -2)
def client(session: Any, argv: list[bytes]) -> Any:
    sub_ = argv[1].lower()
    if sub_ == b"setname" and len(argv) == 3:
        session.name = argv[2]
        return OK
    if sub_ == b"getname":
        return session.name or None
    if sub_ == b"id":
        return session.peer.id
    if sub_ == b"list":
        return "".join(
            f"id={c.peer.id} addr={_addr(c.peer.peername)} name="
            f"{c.name.decode('latin-1')} cmd={c.last_cmd}\n"
            for c in session.service.sessions.values()
        ).encode()
    if sub_ == b"kill" and len(argv) >= 3:
        return 0
    raise err(f"unknown subcommand '{argv[1].decode('utf-8', 'replace')}'. Try CLIENT HELP.")


def _addr(peer: Any) -> str:
    return f"{peer[0]}:{peer[1]}" if peer else ""


@command("command", -1)
def command_cmd(session: Any, argv: list[bytes]) -> Any:
    if len(argv) >= 2 and argv[1].lower() == b"count":
        return len(COMMANDS)
    return []


@command("shutdown", -1)
def shutdown(session: Any, argv: list[bytes]) -> Any:
    session.service.request_stop("SHUTDOWN")
    session.closing = True
    return Raw(b"")


# -- INFO text ---------------------------------------------------------------------------------
def info_sections(service: Any, sections: list[str]) -> str:
    s = service.sentinel
    every = not sections or any(x in ("all", "everything", "default") for x in sections)
    out: list[str] = []
    if every or "server" in sections:
        now = service.clock.time()
        uptime = int(now - service.start_time)
        uname = platform.uname()
        out += [
            "# Server",
            f"redis_version:{REDIS_VERSION}",
            "redis_git_sha1:00000000",
            "redis_git_dirty:0",
            "redis_mode:sentinel",
            f"os:{uname.system} {uname.release} {uname.machine}",
            f"arch_bits:{64 if sys.maxsize > 2**32 else 32}",
            f"process_id:{os.getpid()}",
            f"run_id:{service.run_id}",
            f"tcp_port:{service.port}",
            f"uptime_in_seconds:{uptime}",
            f"uptime_in_days:{uptime // 86400}",
            "hz:10",
            f"config_file:{service.config_file or ''}",
            "",
        ]
    if every or "clients" in sections:
        out += ["# Clients", f"connected_clients:{len(service.sessions)}", ""]
    if every or "sentinel" in sections:
        out += [
            "# Sentinel",
            f"sentinel_masters:{len(s.masters)}",
            "sentinel_tilt:0",
            "sentinel_tilt_since_seconds:-1",
            "sentinel_running_scripts:0",
            "sentinel_scripts_queue_length:0",
            f"sentinel_simulate_failure_flags:{len(s.simulate_failure)}",
        ]
        for i, m in enumerate(s.masters.values()):
            status = "odown" if "o_down" in m.flags else "sdown" if "s_down" in m.flags else "ok"
            out.append(
                f"master{i}:name={m.name},status={status},address={m.host}:{m.port},"
                f"slaves={len(m.replicas)},sentinels={len(m.sentinels) + 1}"
            )
        out.append("")
    return "\r\n".join(out)


__all__ = ["COMMANDS", "MASTER"]
