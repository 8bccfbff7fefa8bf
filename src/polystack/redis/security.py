"""Redis's guards against hostile and mistaken clients that depend on where a client connects
from: ``enable-debug-command`` / ``enable-protected-configs`` (allowProtectedAction) and
protected mode (the ``-DENIED`` answer at accept time)."""

from __future__ import annotations

from typing import Any

# islocalClient / connIsLocal in Redis 7.0: the peer's address is exactly one of these
# (127.0.0.2 is not local, a Unix socket would be).
LOCAL_ADDRESSES = frozenset(("127.0.0.1", "::1"))

DEBUG_NOT_ALLOWED = (
    b'-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", '
    b"you can run it from a local connection, otherwise you need to set this option in the "
    b"configuration file, and then restart the server."
)

# acceptCommonHandler's answer to a client from another address in protected mode (Redis 7.0).
DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no "
    b"password is set for the default user. In this mode connections are only accepted from "
    b"the loopback interface. If you want to connect from external computers to Redis you may "
    b"adopt one of the following solutions: 1) Just disable protected mode sending the command "
    b"'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
    b"the same host the server is running, however MAKE SURE Redis is not publicly accessible "
    b"from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
    b"Alternatively you can just disable the protected mode by editing the Redis configuration "
    b"file, and setting the protected mode option to 'no', and then restarting the server. 3) "
    b"If you started the server manually just for testing, restart it with the "
    b"'--protected-mode no' option. 4) Setup a an authentication password for the default "
    b"user. NOTE: You only need to do one of the above things in order for the server to start "
    b"accepting connections from the outside.\r\n"
)


def is_local(peer: Any) -> bool:
    """islocalClient: the client connects from 127.0.0.1 or ::1."""
    name = getattr(peer, "peername", None)
    if not name:
        return False
    return name[0] in LOCAL_ADDRESSES


def allow_protected_action(setting: str, peer: Any) -> bool:
    """allowProtectedAction: ``yes``, or ``local`` and a local client."""
    return setting == "yes" or (setting == "local" and is_local(peer))


def protected_mode_denies(config: Any, peer: Any) -> bool:
    """A new client gets -DENIED: protected mode is on, the default user has no password and
    the client is not local (whatever address the server listens on, as in Redis 7)."""
    return bool(config.protected_mode and not config.requirepass and not is_local(peer))


class DeniedConnection:
    """The session of a connection refused by protected mode: DENIED is sent, then it closes."""

    __slots__ = ("peer",)

    def __init__(self, peer: Any) -> None:
        self.peer = peer
        listener = getattr(peer, "listener", None)
        if listener is not None:
            listener.rejected_connections += 1  # INFO rejected_connections
        peer.write_stateless(DENIED)
        peer.close()

    def feed(self, data: bytes) -> None:
        pass

    def connection_lost(self) -> None:
        pass
