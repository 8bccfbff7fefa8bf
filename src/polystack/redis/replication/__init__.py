"""Redis replication (replication.c): the master side (replica clients, the backlog, full and
partial resynchronisation, WAIT), the replica side (the handshake with a master, loading its
RDB, applying its command stream), and the state both share (replication ids and offsets)."""
