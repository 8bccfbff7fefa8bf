"""polystack: Redis, RabbitMQ, MongoDB and ZooKeeper wire-compatible servers and a Helm-compatible chart tool."""

__version__ = "0.1.0"
