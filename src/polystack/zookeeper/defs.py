"""ZooDefs: opcodes, permissions, create modes, watcher event types and states."""

from __future__ import annotations

from enum import IntEnum, IntFlag


class OpCode(IntEnum):
    notification = 0
    create = 1
    delete = 2
    exists = 3
    getData = 4
    setData = 5
    getACL = 6
    setACL = 7
    getChildren = 8
    sync = 9
    ping = 11
    getChildren2 = 12
    check = 13
    multi = 14
    create2 = 15
    reconfig = 16
    checkWatches = 17
    removeWatches = 18
    createContainer = 19
    deleteContainer = 20
    createTTL = 21
    multiRead = 22
    auth = 100
    setWatches = 101
    sasl = 102
    getEphemerals = 103
    getAllChildrenNumber = 104
    setWatches2 = 105
    addWatch = 106
    whoAmI = 107
    createSession = -10
    closeSession = -11
    error = -1


class Perms(IntFlag):
    READ = 1
    WRITE = 2
    CREATE = 4
    DELETE = 8
    ADMIN = 16
    ALL = 31


# CreateMode flags (CreateMode.fromFlag)
PERSISTENT = 0
EPHEMERAL = 1
PERSISTENT_SEQUENTIAL = 2
EPHEMERAL_SEQUENTIAL = 3
CONTAINER = 4
PERSISTENT_WITH_TTL = 5
PERSISTENT_SEQUENTIAL_WITH_TTL = 6

# EphemeralType: ephemeralOwner encodings for containers and TTL nodes
CONTAINER_EPHEMERAL_OWNER = -0x8000000000000000  # Long.MIN_VALUE
TTL_RESERVED_BIT = 0xFF << 56
TTL_MASK = 0x000000FFFFFFFFFF  # 40 bits of TTL in the extended owner
MAX_TTL = TTL_MASK  # milliseconds


def ttl_to_owner(ttl: int) -> int:
    """EphemeralType.TTL.toEphemeralOwner: 0xFF in the top byte, the TTL in the low 40 bits."""
    v = (0xFF << 56) | (ttl & TTL_MASK)
    return v - (1 << 64)  # as a signed long


def owner_kind(owner: int) -> str:
    """EphemeralType.get: 'void' (0), 'container', 'ttl', or 'normal' (a session id)."""
    if owner == 0:
        return "void"
    if owner == CONTAINER_EPHEMERAL_OWNER:
        return "container"
    if owner < 0 and ((owner >> 56) & 0xFF) == 0xFF:
        return "ttl"
    return "normal"


def owner_ttl(owner: int) -> int:
    return owner & TTL_MASK


class EventType(IntEnum):
    None_ = -1
    NodeCreated = 1
    NodeDeleted = 2
    NodeDataChanged = 3
    NodeChildrenChanged = 4
    DataWatchRemoved = 5
    ChildWatchRemoved = 6
    PersistentWatchRemoved = 7


class KeeperState(IntEnum):
    Disconnected = 0
    SyncConnected = 3
    AuthFailed = 4
    ConnectedReadOnly = 5
    SaslAuthenticated = 6
    Expired = -112
    Closed = 7


class WatcherType(IntEnum):
    Children = 1
    Data = 2
    Any = 3


class AddWatchMode(IntEnum):
    PERSISTENT = 0
    PERSISTENT_RECURSIVE = 1
