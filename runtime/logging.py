"""Logging set-up: one line per record, and nothing that looks like a secret gets through."""

from __future__ import annotations

import logging
import re

# Bearer tokens, our API keys, webhook secrets and URL passwords.
SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"\bog_[A-Za-z0-9_-]{20,}"),
    re.compile(r"\bwhsec_[A-Za-z0-9+/=]+"),
    re.compile(r"(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+(@)"),
)


def redact(text: str) -> str:
    """Mask anything in `text` that matches a known secret shape."""
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(
            lambda match: (
                (match.group(1) if match.lastindex else "")
                + "***"
                + (match.group(2) if match.lastindex and match.lastindex >= 2 else "")
            ),
            text,
        )
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "procrastinate", "uvicorn.access", "pgserver"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
