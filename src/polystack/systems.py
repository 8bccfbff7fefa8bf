"""The systems polystack knows, by the module that declares each one's spec.

Adding a system is adding its ``spec.py`` (``SPEC = SystemSpec(...)``, see docs/runtime.md) and
naming it here.  A spec module that does not exist yet means the system is not available in
this version: ``serve --only`` refuses it with one line, and ``serve`` lists it as not
available.
"""

from __future__ import annotations

import functools
import importlib

from polystack.runtime.spec import SystemSpec

SPEC_MODULES: dict[str, str] = {
    "redis": "polystack.redis.spec",
    "amqp": "polystack.amqp.spec",
    "mongo": "polystack.mongo.spec",
    "zookeeper": "polystack.zookeeper.spec",
    "sentinel": "polystack.redis.sentinel.spec",
}
KNOWN: tuple[str, ...] = tuple(SPEC_MODULES)


@functools.cache
def specs() -> dict[str, SystemSpec]:
    """The specs of the systems this version serves, in the canonical order."""
    out: dict[str, SystemSpec] = {}
    for name, module in SPEC_MODULES.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            # Only the spec module (or its package) missing means "not available"; any other
            # missing module is a real error.
            if e.name and module.startswith(e.name):
                continue
            raise
        spec = mod.SPEC
        if spec.name != name:
            raise RuntimeError(f"{module}: SPEC.name is {spec.name!r}, expected {name!r}")
        out[name] = spec
    return out


def unavailable() -> list[str]:
    """Known systems without a spec in this version."""
    have = specs()
    return [n for n in KNOWN if n not in have]
