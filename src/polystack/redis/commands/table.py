"""The full command table: importing this module registers every command family."""

from polystack.redis.commands import (  # noqa: F401  (each family registers its commands)
    COMMANDS,
    DISPATCH,
    Command,
    acl,
    client,
    config,
    connection,
    debug,
    expire,
    functions,
    hashes,
    info,
    introspection,
    keys,
    memory,
    monitor,
    pubsub,
    replication,
    scripting,
    server,
    server_table,
    sets,
    strings,
    tracking,
    transactions,
    zset_ops,
    zsets,
)

__all__ = ["COMMANDS", "DISPATCH", "Command", "server_table"]
