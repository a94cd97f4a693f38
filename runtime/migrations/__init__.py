"""Numbered SQL migrations, applied in order and recorded in `opsgraph_migrations`."""
