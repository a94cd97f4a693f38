"""Logging set-up: one line per record, and nothing that looks like a secret gets through.

Two kinds of text never reach the log: secrets (tokens, keys, passwords in URLs) and what a
payload carried. Card numbers are masked wherever they appear; database errors are logged by
class and SQLSTATE only, because PostgreSQL quotes the failing value in its messages
(`invalid input syntax for type integer: "4111…"`, `Key (email)=(…) already exists`).
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

import psycopg
from opentelemetry import trace

# Bearer tokens, our API keys, webhook secrets and URL passwords.
SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"\bog_[A-Za-z0-9_-]{20,}"),
    re.compile(r"\bwhsec_[A-Za-z0-9+/=]+"),
    re.compile(r"(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+(@)"),
)
# 13 to 19 digits, optionally grouped by single spaces or dashes, not part of a longer number.
CARD_NUMBER = re.compile(r"(?<![\d.])\d(?:[ -]?\d){12,18}(?![\d])")
CARD_MASK = "[card number]"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
LogFormat = Literal["text", "json"]

LOG_FIELDS: ContextVar[dict[str, str]] = ContextVar("opsgraph_log_fields", default={})  # noqa: B039
"""What the current run or request is about (event id, thread, tenant), for JSON lines."""


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Tag every record logged inside with `fields` (None values are left out)."""
    merged = {**LOG_FIELDS.get(), **{k: v for k, v in fields.items() if v is not None}}
    token = LOG_FIELDS.set(merged)
    try:
        yield
    finally:
        LOG_FIELDS.reset(token)


def luhn_valid(digits: str) -> bool:
    """The check every payment card number passes (and nine in ten other numbers fail)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def mask_card_numbers(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return CARD_MASK if luhn_valid(digits) else match.group(0)

    return CARD_NUMBER.sub(mask, text)


def redact(text: str) -> str:
    """Mask anything in `text` that matches a known secret shape or a card number."""
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(
            lambda match: (
                (match.group(1) if match.lastindex else "")
                + "***"
                + (match.group(2) if match.lastindex and match.lastindex >= 2 else "")
            ),
            text,
        )
    return mask_card_numbers(text)


def describe_error(exc: BaseException) -> str:
    """One line about `exc` that is safe to log.

    A database error is named by its class and SQLSTATE, never its message: the server
    quotes the data it refused. Connection-level errors (no data involved) keep their
    message, redacted, because an outage is diagnosed from it.
    """
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    if isinstance(exc, psycopg.Error) and not isinstance(exc, psycopg.OperationalError):
        return f"{name} (SQLSTATE {exc.sqlstate or 'none'}; message withheld: it may quote data)"
    return redact("".join(traceback.format_exception_only(exc)).rstrip())


def format_exception_safely(exc: BaseException) -> str:
    """A traceback like Python's, with each exception in the chain told by `describe_error`."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    oldest_first = chain[::-1]
    parts: list[str] = []
    for index, earlier in enumerate(oldest_first):
        later = oldest_first[index + 1] if index + 1 < len(oldest_first) else None
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(earlier.__traceback__))
        parts.append(describe_error(earlier) + "\n")
        if later is not None:
            parts.append(
                "\nThe above exception was the direct cause of the following exception:\n\n"
                if later.__cause__ is earlier
                else "\nDuring handling of the above exception, another exception occurred:\n\n"
            )
    return "".join(parts).rstrip("\n")


class RedactingFormatter(logging.Formatter):
    """Formats a copy of each record: database errors among its arguments and in its
    traceback are described safely, and the final line is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(record.__dict__)
        if isinstance(safe.args, tuple):
            safe.args = tuple(
                describe_error(arg) if isinstance(arg, psycopg.Error) else arg for arg in safe.args
            )
        if isinstance(safe.msg, psycopg.Error):
            safe.msg = describe_error(safe.msg)
        safe.exc_text = None  # another handler may have cached Python's own rendering
        return redact(super().format(safe))

    def formatException(self, ei: ExcInfo) -> str:
        _, value, _ = ei
        if value is None:
            return super().formatException(ei)
        return format_exception_safely(value)


class JsonFormatter(RedactingFormatter):
    """One JSON object per line: time, level, logger, the redacted message, what the run is
    about (`log_context`) and the trace id, so a log search and a trace meet."""

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(record.__dict__)
        safe.exc_info, safe.exc_text, safe.stack_info = None, None, None
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": super().format(safe),
            **LOG_FIELDS.get(),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            line["trace_id"] = format(span_context.trace_id, "032x")
            line["span_id"] = format(span_context.span_id, "016x")
        if record.exc_info and record.exc_info[1] is not None:
            line["exception"] = redact(format_exception_safely(record.exc_info[1]))
        return json.dumps(line, ensure_ascii=False, default=str)


def build_formatter(log_format: LogFormat) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter("%(message)s")
    return RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")


def configure_logging(level: str, log_format: LogFormat = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(build_formatter(log_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "procrastinate", "uvicorn.access", "pgserver"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
