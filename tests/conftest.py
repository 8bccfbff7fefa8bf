import pytest

from tests import processes


@pytest.fixture(autouse=True)
def _no_stray_servers():
    """A test that fails half-way must not leave a `polystack serve` process running."""
    yield
    processes.kill_all()
