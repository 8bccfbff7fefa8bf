"""$setWindowFields, $densify and $fill."""

from __future__ import annotations
