"""Shared fixtures of the Helm tests: the reference renderer (real Helm 4 in
helm-python-sdk), live or recorded (see recorded.py), and the golden charts
directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .gpg_keys import gpg_keys  # noqa: F401 - GnuPG-made keys for the provenance tests
from .recorded import Oracle, Store, load_live

CHARTS_DIR = os.path.join(os.path.dirname(__file__), "charts")


@pytest.fixture(scope="session")
def helm_oracle() -> Any:
    """The helm_python module, or skip when the shared library cannot load."""
    live = load_live()
    if live is None:
        pytest.skip("helm oracle (helm-python-sdk) not installed or cannot load")
    return live


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
    name = request.module.__name__.rsplit(".", 1)[-1]
    store = _oracle_stores.get(name)
    if store is None:
        store = _oracle_stores[name] = Store(name)
    return Oracle(store, _live_oracle)


@pytest.fixture(scope="session")
def charts_dir() -> str:
    return CHARTS_DIR
