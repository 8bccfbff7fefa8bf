"""introspection commands (being written)."""
