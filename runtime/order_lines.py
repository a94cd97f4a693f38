"""Bounds on the lines of an order or invoice, checked wherever one enters the service.

A line's quantity is work downstream (stock to reserve, units to return or exchange), so a
tiny body must not claim an unbounded amount of it. `POST /events` answers 422 and the
webhook normalizers 400 (stored as `rejected`) with the reason this module gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.settings import Settings, get_settings

LINE_KINDS = frozenset({"order", "invoice"})
"""Event kinds whose payload `lines` are goods with quantities."""


@dataclass(frozen=True)
class LineLimits:
    max_lines: int
    max_quantity: int

    @classmethod
    def of(cls, settings: Settings | None = None) -> LineLimits:
        chosen = settings or get_settings()
        return cls(max_lines=chosen.max_order_lines, max_quantity=chosen.max_line_quantity)


def whole_quantity(value: Any) -> int:
    """A line's quantity as sent (`3`, `3.0`, `"3"`); absent counts one. ValueError otherwise."""
    if value is None:
        return 1
    if isinstance(value, bool):
        raise ValueError(f"line quantity {value!r} is not a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"line quantity {value!r} is not a whole number")
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"line quantity {value!r} is not a whole number") from None


def bounded_quantity(value: Any, limits: LineLimits) -> int:
    """A whole quantity from 0 up to the configured maximum per line."""
    quantity = whole_quantity(value)
    if quantity < 0:
        raise ValueError(f"line quantity {quantity} is negative")
    if quantity > limits.max_quantity:
        raise ValueError(
            f"line quantity {quantity} is over the limit of {limits.max_quantity}"
            " (OPSGRAPH_MAX_LINE_QUANTITY)"
        )
    return quantity


def check_line_count(count: int, limits: LineLimits) -> None:
    if count > limits.max_lines:
        raise ValueError(
            f"{count} lines is over the limit of {limits.max_lines} (OPSGRAPH_MAX_ORDER_LINES)"
        )


def check_lines(lines: Any, limits: LineLimits | None = None) -> None:
    """Refuse (ValueError) canonical `lines` the service would not process: not a list of
    objects, too many of them, or a quantity that is not a whole number within bounds."""
    if lines is None:
        return
    if not isinstance(lines, list):
        raise ValueError("lines must be a list of line objects")
    chosen = limits or LineLimits.of()
    check_line_count(len(lines), chosen)
    for position, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise ValueError(f"line {position} is not an object")
        try:
            bounded_quantity(line.get("quantity"), chosen)
        except ValueError as exc:
            raise ValueError(f"line {position}: {exc}") from None


def check_event_lines(
    event_type: str, payload: dict[str, Any], limits: LineLimits | None = None
) -> None:
    """`check_lines` for the events whose payload lines are goods (orders, invoices)."""
    if event_type.split(".", 1)[0] in LINE_KINDS:
        check_lines(payload.get("lines"), limits)
