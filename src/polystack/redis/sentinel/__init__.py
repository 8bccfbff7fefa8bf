"""Redis Sentinel (sentinel.c): monitors masters and their replicas, agrees with the other
Sentinels that a master is down, elects a leader by epoch votes, promotes the best replica,
reconfigures the others, and tells clients where the master is."""
