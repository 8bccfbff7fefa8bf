"""``python -m tests.amqp.serve_amqp serve ...``: polystack's CLI with the AMQP service registered.

Until the runtime's per-system specs land, the AMQP service is registered here for the tests
that run ``polystack serve`` as a real process (SIGKILL and restart).
"""

from polystack import cli
from polystack.runtime import server as servermod

servermod.SERVICES["amqp"] = "polystack.amqp.service:AMQPService"

if __name__ == "__main__":
    cli.main()
