"""The update language: operator updates, replacements and aggregation-pipeline updates."""

from .engine import UpdateSpec, parse_update

__all__ = ["UpdateSpec", "parse_update"]
