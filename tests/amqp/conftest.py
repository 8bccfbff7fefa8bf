import pytest

from polystack import testing
from tests.amqp import realrabbit


@pytest.fixture(scope="module")
def amqp_server(tmp_path_factory):
    """polystack serving AMQP (and its management API) on ephemeral ports for one module."""
    with testing.serve(amqp=True, data_dir=tmp_path_factory.mktemp("amqp")) as handle:
        yield handle


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
