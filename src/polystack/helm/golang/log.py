"""Loggers that import :mod:`logging` when something is logged.

Helm writes its warnings (values that cannot be coalesced, unknown hooks ...)
through Go's ``log`` package, which costs a Go program nothing until it logs.
Python's ``logging`` (with ``traceback``, ``string``, ``threading`` and its
handlers) is several milliseconds of a fresh `polystack helm template` process
that usually logs nothing, so the modules on that path take their logger from
``get_logger(__name__)``: the same ``logging.getLogger(__name__)`` logger, looked
up on the first call of one of its methods. Configuration, levels, handlers and
records are logging's own.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging

__all__ = ["Logger", "get_logger", "shutdown"]


class Logger:
    """A stand-in for ``logging.getLogger(name)`` that creates it on first use."""

    __slots__ = ("name", "_logger")

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger: logging.Logger | None = None

    def _get(self) -> logging.Logger:
        lg = self._logger
        if lg is None:
            import logging

            lg = self._logger = logging.getLogger(self.name)
        return lg

    def debug(self, msg: object, *args: object, **kw: object) -> None:
        self._get().debug(msg, *args, stacklevel=2, **kw)  # type: ignore[arg-type]

    def info(self, msg: object, *args: object, **kw: object) -> None:
        self._get().info(msg, *args, stacklevel=2, **kw)  # type: ignore[arg-type]

    def warning(self, msg: object, *args: object, **kw: object) -> None:
        self._get().warning(msg, *args, stacklevel=2, **kw)  # type: ignore[arg-type]

    def error(self, msg: object, *args: object, **kw: object) -> None:
        self._get().error(msg, *args, stacklevel=2, **kw)  # type: ignore[arg-type]

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - logging's name
        return self._get().isEnabledFor(level)

    def __getattr__(self, name: str) -> object:
        return getattr(self._get(), name)

    def __repr__(self) -> str:
        return f"<Logger {self.name} (created on first use)>"


def get_logger(name: str) -> Logger:
    """The logger ``logging.getLogger(name)``, created when it is first used."""
    return Logger(name)


def shutdown() -> None:
    """logging.shutdown() when logging has been imported (nothing to flush otherwise)."""
    logging_mod = sys.modules.get("logging")
    if logging_mod is not None:
        logging_mod.shutdown()
