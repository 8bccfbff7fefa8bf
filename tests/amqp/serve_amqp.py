"""``python -m tests.amqp.serve_amqp serve ... [--amqp-management-port N]``: polystack's CLI with
the AMQP service registered.

Until the runtime's per-system specs land, the AMQP service is registered here for the tests
that run ``polystack serve`` as a real process (SIGKILL and restart); the management port is
taken from ``--amqp-management-port`` (default: a free port, never 15672 in tests).
"""

import sys

from polystack import cli
from polystack.amqp.service import AMQPService
from polystack.runtime import server as servermod


def main() -> None:
    servermod.SERVICES["amqp"] = "polystack.amqp.service:AMQPService"
    argv = sys.argv[1:]
    port = 0
    if "--amqp-management-port" in argv:
        i = argv.index("--amqp-management-port")
        port = int(argv[i + 1])
        del argv[i : i + 2]
    AMQPService.default_management_port = port
    sys.argv = ["polystack", *argv]
    cli.main()


if __name__ == "__main__":
    main()
