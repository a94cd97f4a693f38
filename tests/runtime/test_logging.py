"""Secrets, card numbers and the values a database refused never reach the log."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import psycopg
import pytest

from runtime.logging import (
    RedactingFormatter,
    build_formatter,
    describe_error,
    log_context,
    luhn_valid,
    redact,
)
from runtime.tracing import build_tracer_provider


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


CARDS = [
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "4242424242424242",
    "5500 0000 0000 0004",
    "378282246310005",
    "6011000990139424",
    "4000 0000 0000 0000 006",
]


@pytest.mark.parametrize("card", CARDS)
def test_card_numbers_are_masked_wherever_they_appear(card: str) -> None:
    line = f'rejected payload {{"note": "pay with {card}", "card":"{card}"}} end'

    masked = redact(line)

    assert card not in masked
    assert card.replace(" ", "").replace("-", "")[-4:] not in masked
    assert masked.count("[card number]") == 2
    assert masked.startswith("rejected payload {") and masked.endswith("end")


@pytest.mark.parametrize(
    "text",
    [
        "order 4111111111111112 failed",  # 16 digits that fail the Luhn check
        "sku 123456789012 x 4",  # 12 digits: too short for a card
        "event 820982911946154500 done",  # an 18-digit id that fails the Luhn check
        "at 2026-12-01 10:15:00, took 1234 ms",
        "amount 1234567890123.45",
    ],
)
def test_numbers_that_are_not_card_numbers_stay(text: str) -> None:
    assert redact(text) == text


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


def psycopg_refusal(database_url: str, value: str) -> psycopg.Error:
    """A real error from PostgreSQL, whose message quotes the value it refused."""
    with psycopg.connect(database_url) as conn:
        try:
            conn.execute("SELECT %s::int", (value,))
        except psycopg.Error as exc:
            return exc
    raise AssertionError("PostgreSQL accepted the value")


def capture(logger_name: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(logger_name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_a_database_error_is_logged_by_class_and_sqlstate_only(database_url: str) -> None:
    exc = psycopg_refusal(database_url, "cust-secret-note 4111 1111 1111 1111")
    assert "cust-secret-note" in str(exc)  # the server quotes the value
    logger, stream = capture("test.logging.database")

    try:
        try:
            raise exc
        except psycopg.Error as caught:
            raise RuntimeError("run failed") from caught
    except RuntimeError:
        logger.exception("event not processed")
    logger.warning("not stored: %s", exc)
    logger.error(exc)

    text = stream.getvalue()
    assert "cust-secret-note" not in text
    assert "4111" not in text
    assert text.count("InvalidTextRepresentation (SQLSTATE 22P02") == 3
    assert "The above exception was the direct cause" in text
    assert "RuntimeError: run failed" in text
    assert "Traceback (most recent call last)" in text


def test_a_traceback_cached_by_another_handler_is_not_reused(database_url: str) -> None:
    exc = psycopg_refusal(database_url, "cust-secret-note")
    record = logging.LogRecord(
        "t", logging.ERROR, __file__, 1, "failed", None, (type(exc), exc, exc.__traceback__)
    )
    plain = logging.Formatter("%(message)s").format(record)
    assert "cust-secret-note" in plain  # what an unprotected handler would print

    safe = RedactingFormatter("%(message)s").format(record)

    assert "cust-secret-note" not in safe
    assert "22P02" in safe


def test_a_connection_error_keeps_its_message() -> None:
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect("host=127.0.0.1 port=9 connect_timeout=2 user=u password=hunter2")

    described = describe_error(refused.value)

    assert "127.0.0.1" in described
    assert "hunter2" not in described


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_run_and_trace_and_are_still_redacted(database_url: str) -> None:
    logger, stream = capture("test.logging.json")
    logger.handlers[0].setFormatter(build_formatter("json"))
    exc = psycopg_refusal(database_url, "cust-secret-note 4111 1111 1111 1111")
    tracer = build_tracer_provider(service_name="test", processors=[]).get_tracer("test")

    logger.info("before any run")
    with (
        log_context(event_id="ev-1", tenant="acme", thread="event:ev-1"),
        tracer.start_as_current_span("job") as span,
    ):
        logger.info("charging card %s with Bearer tok123", "4111 1111 1111 1111")
        try:
            raise RuntimeError("run failed") from exc
        except RuntimeError:
            logger.exception("event not processed: %s", exc)
    logger.info("after the run")

    outside, charging, failed, after = json_lines(stream)
    assert set(outside) == {"time", "level", "logger", "message"}
    assert outside["message"] == "before any run" and outside["level"] == "INFO"
    trace_id = format(span.get_span_context().trace_id, "032x")
    for line in (charging, failed):
        assert line["event_id"] == "ev-1"
        assert line["tenant"] == "acme"
        assert line["thread"] == "event:ev-1"
        assert line["trace_id"] == trace_id
    assert charging["message"] == "charging card [card number] with Bearer ***"
    assert "22P02" in failed["message"] and "cust-secret-note" not in failed["message"]
    assert "RuntimeError: run failed" in failed["exception"]
    assert "cust-secret-note" not in failed["exception"] and "4111" not in failed["exception"]
    assert "event_id" not in after and "trace_id" not in after
