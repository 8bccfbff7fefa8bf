"""Replication commands: REPLICAOF/SLAVEOF, REPLCONF, PSYNC, SYNC, WAIT, ROLE and FAILOVER.

The work is done by the server's replication objects (``server.master_side``, ``server.link``,
``server.repl``, in replication/); these handlers parse, check and answer as Redis 7.0 does.
"""

from __future__ import annotations

import logging
from typing import Any

from polystack.redis.args import parse_int
from polystack.redis.commands import COMMANDS, command
from polystack.redis.configtable import BY_NAME
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.replication import params
from polystack.redis.replication.failover import FailoverError
from polystack.redis.wire import OK, Raw, Simple

log = logging.getLogger(__name__)


def _replicaof(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    if client.repl is not None:
        raise err("Command is not valid when client is a replica.")
    if getattr(server, "failover_state", "no-failover") != "no-failover":
        raise err("REPLICAOF not allowed while failing over.")
    host, port_arg = argv[1], argv[2]
    if host.lower() == b"no" and port_arg.lower() == b"one":
        if server.is_replica():
            server.unset_master()
            log.info("MASTER MODE enabled (user request from 'id=%d')", client.id)
        return OK
    port = parse_int(port_arg)
    if not 0 <= port <= 65535:
        raise err("Invalid master port")
    host_s = host.decode("utf-8", "surrogateescape")
    link = server.link
    if link.master_host == host_s and link.master_port == port:
        log.info("REPLICAOF would result into synchronization with the master we are already "
                 "connected with. No operation performed.")  # fmt: skip
        return Simple(b"OK Already connected to specified master")
    server.set_master(host_s, port)
    log.info("REPLICAOF %s:%d enabled (user request from 'id=%d')", host_s, port, client.id)
    return OK


_REPLICAOF_DOC: dict[str, Any] = dict(
    group="server",
    since="5.0.0",
    complexity="O(1)",
    arguments=({"name": "host", "type": "string"}, {"name": "port", "type": "integer"}),
)


@command(
    "replicaof",
    3,
    "admin noscript stale no_async_loading",
    summary="Make the server a replica of another instance, or promote it as master.",
    **_REPLICAOF_DOC,
)
def replicaof(client: Any, argv: list[bytes]) -> Any:
    if client.server.cluster is not None:
        raise err("REPLICAOF not allowed in cluster mode.")
    return _replicaof(client, argv)


@command(
    "slaveof",
    3,
    "admin noscript stale no_async_loading",
    summary="Make the server a replica of another instance, or promote it as master.",
    **{**_REPLICAOF_DOC, "since": "1.0.0"},
)
def slaveof(client: Any, argv: list[bytes]) -> Any:
    if client.server.cluster is not None:
        raise err("REPLICAOF not allowed in cluster mode.")
    return _replicaof(client, argv)


@command(
    "replconf",
    -1,
    "admin noscript loading stale allow_busy",
    group="server",
    since="3.0.0",
    summary="An internal command for configuring the replication stream",
    complexity="O(1)",
)
def replconf(client: Any, argv: list[bytes]) -> Any:
    try:
        reply = client.server.master_side.replconf(client, argv[1:])
    except ValueError:
        raise SYNTAX from None
    except LookupError as e:
        raise err(str(e)) from None
    if reply is None:
        return Raw(b"")
    return OK


def _sync(client: Any, argv: list[bytes], psync: bool) -> Any:
    server = client.server
    if client.repl is not None:
        return Raw(b"")
    if psync and len(argv) > 3 and argv[3].lower() == b"failover":
        if argv[1].decode("latin-1") != server.repl.replid:
            raise err("PSYNC FAILOVER replid must match my replid.")
        server.unset_master()  # the master asked us to take over (FAILOVER)
        log.info("MASTER MODE enabled (failover request from 'id=%d')", client.id)
    if server.failover.state != "no-failover":
        raise RedisError("NOMASTERLINK", "Can't SYNC while failing over")
    if server.is_replica() and server.link.repl_state != "connected":
        raise RedisError("NOMASTERLINK", "Can't SYNC while not connected with my master")
    if psync:
        replid = argv[1].decode("latin-1")
        try:
            offset = int(argv[2])
        except ValueError:
            raise err("value is not an integer or out of range") from None
    else:
        replid, offset = "?", -1
    server.master_side.psync(client, replid, offset, sync=not psync)
    return Raw(b"")


@command(
    "psync",
    -3,
    "admin noscript no_async_loading no_multi",
    group="server",
    since="2.8.0",
    summary="Internal command used for replication",
    arguments=(
        {"name": "replicationid", "type": "string"},
        {"name": "offset", "type": "integer"},
    ),
)
def psync(client: Any, argv: list[bytes]) -> Any:
    return _sync(client, argv, psync=True)


@command(
    "sync",
    1,
    "admin noscript no_async_loading no_multi",
    group="server",
    since="1.0.0",
    summary="Internal command used for replication",
)
def sync(client: Any, argv: list[bytes]) -> Any:
    return _sync(client, argv, psync=False)


@command(
    "wait",
    3,
    "noscript",
    group="generic",
    since="3.0.0",
    summary="Wait for the synchronous replication of all the write commands sent in the "
    "context of the current connection",
    complexity="O(1)",
    arguments=(
        {"name": "numreplicas", "type": "integer"},
        {"name": "timeout", "type": "integer"},
    ),
    tips=("request_policy:all_shards", "response_policy:agg_min"),
)
def wait(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    if server.is_replica():
        raise err(
            "WAIT cannot be used with replica instances. Please also note that since Redis 4.0 "
            "if a replica is configured to be writable (which is not the default) writes to "
            "replicas are just local and are not propagated."
        )
    numreplicas = parse_int(argv[1])
    try:
        timeout = int(argv[2])
    except ValueError:
        raise err("timeout is not an integer or out of range") from None
    if timeout < 0:
        raise err("timeout is negative")
    client.flush_writes()
    offset = client.woff
    side = server.master_side
    acked = side.count_acks(offset)
    if acked >= numreplicas or getattr(client, "in_exec", False) or client.multi is not None:
        return acked
    side.add_waiter(client, offset, numreplicas, timeout)
    return client.block("wait")


params.bind(BY_NAME)  # the replication and RDB parameters change what they say

# WAIT is in the generic group but its ACL categories are @slow @connection (commands/wait.json).
COMMANDS[b"wait"].acl_categories = ("@slow", "@connection")


@command(
    "failover",
    -1,
    "admin noscript stale",
    group="server",
    since="6.2.0",
    summary="Start a coordinated failover between this server and one of its replicas.",
    complexity="O(1)",
)
def failover(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    host: str | None = None
    port = 0
    force = abort = False
    timeout: int | None = None
    i = 1
    while i < len(argv):
        opt = argv[i].lower()
        if opt == b"to" and i + 2 < len(argv) and host is None:
            host = argv[i + 1].decode("utf-8", "surrogateescape")
            port = parse_int(argv[i + 2])
            i += 3
        elif opt == b"timeout" and i + 1 < len(argv) and timeout is None:
            timeout = parse_int(argv[i + 1])
            if timeout <= 0:
                raise err("FAILOVER timeout must be greater than 0")
            i += 2
        elif opt == b"force" and not force:
            force = True
            i += 1
        elif opt == b"abort" and not abort:
            abort = True
            i += 1
        else:
            raise SYNTAX
    if abort:
        if host is not None or force or timeout is not None:
            raise err("FAILOVER abort is not valid with other options.")
        if server.failover.state == "no-failover":
            raise err("No failover in progress.")
        server.failover.abort("Failover manually aborted")
        return OK
    try:
        server.failover.start(host, port, timeout or 0, force)
    except FailoverError as e:
        raise err(str(e)) from None
    return OK


@command(
    "role",
    1,
    "noscript loading stale fast",
    group="server",
    since="2.8.12",
    summary="Return the role of the instance in the context of replication",
    complexity="O(1)",
    acl=("@admin", "@dangerous"),
)
def role(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    if server.is_replica():
        return server.link.role()
    return [b"master", server.repl.offset, server.master_side.role_replicas()]
