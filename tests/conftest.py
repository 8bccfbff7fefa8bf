import pytest
from hypothesis import settings

from tests import processes

# Hypothesis's per-example deadline (200 ms by default) is a timing assertion: on a loaded machine
# it fails tests whose code is correct.  Tests set their own example counts; none sets a deadline.
settings.register_profile("polystack", deadline=None)
settings.load_profile("polystack")


@pytest.fixture(autouse=True)
def _no_stray_servers():
    """A test that fails half-way must not leave a `polystack serve` process running."""
    yield
    processes.kill_all()
