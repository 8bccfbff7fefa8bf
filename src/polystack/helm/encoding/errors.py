"""The one error of the encodings (JSON, YAML, TOML): str() is Go's error text."""

from __future__ import annotations

__all__ = ["EncodingError"]


class EncodingError(Exception):
    """A decoding or encoding error carrying Go's message text."""
