"""Typed tools, grouped by domain."""
