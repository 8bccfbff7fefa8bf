"""Shared fixtures of the Helm tests: the reference renderer (real Helm 4 in
helm-python-sdk) and the golden charts directory."""

from __future__ import annotations

import os
from typing import Any

import pytest

from .gpg_keys import gpg_keys  # noqa: F401 - GnuPG-made keys for the provenance tests

CHARTS_DIR = os.path.join(os.path.dirname(__file__), "charts")


@pytest.fixture(scope="session")
def helm_oracle() -> Any:
    """The helm_python module, or skip when the shared library cannot load."""
    helm_python = pytest.importorskip("helm_python")
    try:
        helm_python.helm_c_version()
    except Exception as e:  # pragma: no cover - oracle cannot load
        pytest.skip(f"helm oracle cannot load: {e}")
    return helm_python


@pytest.fixture(scope="session")
def charts_dir() -> str:
    return CHARTS_DIR
