"""Importing this module registers every command family in the table."""

from polystack.redis.commands import (  # noqa: F401
    connection,
    introspection,
    keys,
    server,
    strings,
)
