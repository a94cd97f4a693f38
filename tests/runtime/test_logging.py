"""Secrets never reach the log."""

from __future__ import annotations

import logging

import pytest

from runtime.logging import RedactingFormatter, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def-123", "abc.def-123"),
        ("key og_AbCdEfGhIjKlMnOpQrStUvWxYz012345 created", "og_AbCdEfGhIjKlMnOpQrStUvWxYz012345"),
        ("secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        ("dsn postgresql://app:s3cr3t@db:5432/ops", "s3cr3t"),
    ],
)
def test_redact_masks_secret_shapes(text: str, secret: str) -> None:
    masked = redact(text)
    assert secret not in masked
    assert "***" in masked


def test_redact_keeps_ordinary_text() -> None:
    assert redact("event 42 done in 3 ms") == "event 42 done in 3 ms"
    assert redact("postgresql://app:s3cr3t@db/ops").startswith("postgresql://app:***@db")


def test_formatter_redacts_arguments() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "using %s", ("Bearer tok",), None)
    assert RedactingFormatter("%(message)s").format(record) == "using Bearer ***"
