"""The full command table: importing this module registers every command family."""

from polystack.redis.commands import (  # noqa: F401  (each family registers its commands)
    COMMANDS,
    DISPATCH,
    Command,
    bitmaps,
    client,
    config,
    connection,
    debug,
    expire,
    geo,
    hashes,
    hyperloglog,
    info,
    introspection,
    keys,
    lists,
    pubsub,
    replication,
    scripting,
    server,
    server_table,
    sets,
    stream_groups,
    streams,
    strings,
    transactions,
    zset_ops,
    zsets,
)

__all__ = ["COMMANDS", "DISPATCH", "Command", "server_table"]
