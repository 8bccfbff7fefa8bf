"""The MongoDB-compatible document database (OP_MSG and BSON)."""
