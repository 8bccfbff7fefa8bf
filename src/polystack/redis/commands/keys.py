"""keys commands (being written)."""
