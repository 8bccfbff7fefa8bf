import pytest

from polystack import testing
from polystack.runtime import server as servermod
from tests.amqp import realrabbit


@pytest.fixture(scope="module")
def amqp_server(tmp_path_factory):
    servermod.SERVICES.setdefault("amqp", None)
    if servermod.SERVICES["amqp"] is None:
        servermod.SERVICES["amqp"] = "polystack.amqp.service:AMQPService"
    from polystack.amqp.service import AMQPService

    AMQPService.default_management_port = 0  # never a default port in tests
    handle = testing.ServerHandle(("amqp",), tmp_path_factory.mktemp("amqp"), admin=False)
    handle.start()
    yield handle
    handle.stop()


@pytest.fixture
def amqp_port(amqp_server):
    return amqp_server.ports["amqp"]


@pytest.fixture(scope="session")
def real_rabbit():
    """A real rabbitmq-server from Debian on spare ports (skipped when not installed)."""
    if not realrabbit.available():
        pytest.skip("rabbitmq-server is not installed (scripts/install-test-deps installs it)")
    rr = realrabbit.RealRabbit().wait()
    yield rr
    rr.stop()
