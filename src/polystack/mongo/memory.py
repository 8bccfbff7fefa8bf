"""Giving memory back after a large request.

A large insert arrives as one message of up to 48 MB; glibc serves buffers that size from the
heap once its dynamic mmap threshold has grown, and keeps the freed pages.  After a request
that large the store calls ``malloc_trim(0)`` so that resident memory reflects what is stored,
not the largest message seen.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

LARGE_REQUEST = 1 << 20

_malloc_trim: Callable[[int], int] | None
try:  # pragma: no cover - depends on the C library
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    _trim_fn = _libc.malloc_trim
    _trim_fn.argtypes = [ctypes.c_size_t]
    _trim_fn.restype = ctypes.c_int
    _malloc_trim = _trim_fn
except (OSError, AttributeError):  # not glibc
    _malloc_trim = None


def trim() -> None:
    if _malloc_trim is not None:
        try:
            _malloc_trim(0)
        except Exception:  # pragma: no cover
            log.debug("malloc_trim failed", exc_info=True)
