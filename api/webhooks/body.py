"""Webhook bodies are read raw (the signature covers the bytes) under the shared limit."""

from __future__ import annotations

from api.limits import read_body

__all__ = ["read_body"]
