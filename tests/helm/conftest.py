"""Shared fixtures of the Helm tests: the reference renderer (real Helm 4 in
helm-python-sdk), live or recorded (see recorded.py), and the golden charts
directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .gpg_keys import gpg_keys  # noqa: F401 - GnuPG-made keys for the provenance tests
from .helmproxy import RecordedHelm, tmp_root_of
from .recorded import Oracle, Store, load_live

CHARTS_DIR = os.path.join(os.path.dirname(__file__), "charts")


@pytest.fixture
def helm_oracle(
    request: Any, _oracle_stores: dict[str, Store], _live_oracle: Any, tmp_path_factory: Any
) -> Any:
    """Real Helm (the helm_python module's API): live where helm-python-sdk is
    installed, replayed from tests/helm/oracle/ elsewhere (see helmproxy.py)."""
    store = _store(request, _oracle_stores)
    root = tmp_root_of(str(tmp_path_factory.getbasetemp()) + "/")
    return RecordedHelm(_live_oracle, store, request.node.name, root)


def _store(request: Any, stores: dict[str, Store]) -> Store:
    name = request.module.__name__.rsplit(".", 1)[-1]
    store = stores.get(name)
    if store is None:
        store = stores[name] = Store(name)
    return store


@pytest.fixture
def helm_live(_live_oracle: Any) -> Any:
    """Real Helm itself, for the few comparisons a recording cannot replay (Helm
    pushing to a test registry); skips where helm-python-sdk is not installed."""
    if _live_oracle is None:
        pytest.skip("helm oracle (helm-python-sdk) not installed or cannot load")
    return _live_oracle


@pytest.fixture(scope="session", autouse=True)
def _template_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`polystack helm template` keeps parsed templates on disk: in the tests, in a
    directory of their own (never the user's cache), shared by every test."""
    old = os.environ.get("POLYSTACK_HELM_TEMPLATE_CACHE")
    os.environ["POLYSTACK_HELM_TEMPLATE_CACHE"] = str(tmp_path_factory.mktemp("tplcache"))
    yield
    if old is None:
        del os.environ["POLYSTACK_HELM_TEMPLATE_CACHE"]
    else:
        os.environ["POLYSTACK_HELM_TEMPLATE_CACHE"] = old


@pytest.fixture(scope="session", autouse=True)
def _reproducible_archives() -> Iterator[None]:
    """Our chart archives stamped with a fixed time, so an archive made in a test
    is the archive Helm's recorded answers were made from."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    yield
    if old is None:
        del os.environ["SOURCE_DATE_EPOCH"]
    else:
        os.environ["SOURCE_DATE_EPOCH"] = old


@pytest.fixture(scope="session")
def _oracle_stores() -> Iterator[dict[str, Store]]:
    stores: dict[str, Store] = {}
    yield stores
    for store in stores.values():
        store.save()


@pytest.fixture(scope="session")
def _live_oracle() -> Any:
    return load_live()


@pytest.fixture
def oracle(request: Any, _oracle_stores: dict[str, Store], _live_oracle: Any) -> Oracle:
    """Real Helm's answers for this test module: live where installed, else recorded."""
    return Oracle(_store(request, _oracle_stores), _live_oracle)


@pytest.fixture(scope="session")
def charts_dir() -> str:
    return CHARTS_DIR
