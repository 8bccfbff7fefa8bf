"""Real Helm's answers, recorded in the repository so the comparisons run on
every machine.

Tests ask the ``oracle`` fixture for an answer under a key with a function that
computes it from the real Helm (helm-python-sdk, x86_64 Linux only). Where the
oracle is installed the answer is computed live and checked against the
recording (a stale recording fails the test); elsewhere the recorded answer is
used. ``make helm-oracle-record`` (``POLYSTACK_HELM_RECORD=1``) rewrites the
recordings from the live oracle: tests/helm/oracle/<test module>.json.

Answers are JSON values; strings longer than ``LONG`` characters are stored as
their SHA-256 with their length, head and tail (``assert_same`` compares them).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from typing import Any

import pytest

DIR = os.path.join(os.path.dirname(__file__), "oracle")
RECORD = os.environ.get("POLYSTACK_HELM_RECORD") == "1"
LONG = 4096
_DIGEST = "$sha256"


def _digest(s: str) -> dict[str, Any]:
    return {
        _DIGEST: hashlib.sha256(s.encode("utf-8", "surrogateescape")).hexdigest(),
        "len": len(s),
        "head": s[:160],
        "tail": s[-160:],
    }


def encode(v: Any) -> Any:
    """The stored form of an answer: JSON types, long strings as digests."""
    if isinstance(v, str):
        return _digest(v) if len(v) > LONG else v
    if isinstance(v, dict):
        return {str(k): encode(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [encode(x) for x in v]
    if v is None or isinstance(v, bool | int | float):
        return v
    raise TypeError(f"cannot record a {type(v).__name__}: {v!r}")


def assert_same(ours: Any, theirs: Any, where: str = "") -> None:
    """``ours`` equals the (possibly recorded) answer ``theirs``."""
    if isinstance(theirs, dict) and _DIGEST in theirs:
        assert isinstance(ours, str), (where, ours)
        got = _digest(ours)
        assert (got["len"], got["head"], got["tail"]) == (
            theirs["len"],
            theirs["head"],
            theirs["tail"],
        ), where
        assert got[_DIGEST] == theirs[_DIGEST], where
        return
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), (where, ours)
        assert sorted(ours) == sorted(theirs), where
        for k in theirs:
            assert_same(ours[k], theirs[k], f"{where}/{k}")
        return
    if isinstance(theirs, list):
        assert isinstance(ours, list | tuple), (where, ours)
        assert len(ours) == len(theirs), (where, ours, theirs)
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
        return
    assert ours == theirs, where


class Store:
    """One test module's recordings."""

    def __init__(self, name: str) -> None:
        self.path = os.path.join(DIR, name + ".json")
        self.data: dict[str, Any] = {}
        self.dirty = False
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as f:
                self.data = json.load(f)

    def save(self) -> None:
        if not self.dirty:
            return
        os.makedirs(DIR, exist_ok=True)
        with open(self.path, "w", encoding="utf-8") as f:
            json.dump(dict(sorted(self.data.items())), f, indent=1, ensure_ascii=False)
            f.write("\n")
        self.dirty = False


class Oracle:
    """The answers of real Helm for one test: live where installed, else recorded."""

    def __init__(self, store: Store, live: Any) -> None:
        self.store = store
        self.live = live

    def answer(self, key: str, compute: Callable[[Any], Any]) -> Any:
        if self.live is None:
            if key not in self.store.data:
                pytest.skip(f"no recorded Helm answer for {key!r}: run `make helm-oracle-record`")
            return self.store.data[key]
        got = encode(compute(self.live))
        if RECORD:
            if self.store.data.get(key) != got:
                self.store.data[key] = got
                self.store.dirty = True
        elif key in self.store.data:
            assert self.store.data[key] == got, (
                f"the recorded Helm answer for {key!r} differs from live Helm's:"
                " run `make helm-oracle-record`"
            )
        return got


def load_live() -> Any:
    """helm_python, or None when it is not installed or cannot load."""
    if os.environ.get("POLYSTACK_HELM_ORACLE") == "recorded":
        return None
    try:
        import helm_python
    except ImportError:
        return None
    try:
        helm_python.helm_c_version()
    except Exception:  # noqa: BLE001 - oracle cannot load
        return None
    return helm_python
