"""Redis Cluster: hash slots, the cluster bus (Redis 7.0's binary protocol), the cluster state
machine, failover and nodes.conf.  See docs/redis-compatibility.md, "Cluster"."""
