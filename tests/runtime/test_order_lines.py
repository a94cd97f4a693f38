"""Line bounds on canonical payloads: which events they apply to, and each reason to refuse."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.order_lines import LineLimits, check_event_lines, check_lines, whole_quantity

LIMITS = LineLimits(max_lines=3, max_quantity=100)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 1), (0, 0), (7, 7), (7.0, 7), ("12", 12), (" 3 ", 3)]
)
def test_whole_quantities_are_read_as_sent(value: Any, expected: int) -> None:
    assert whole_quantity(value) == expected


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        ({"sku": "A"}, "lines must be a list"),
        (["A"], "line 1 is not an object"),
        ([{"quantity": 1}, {"quantity": 101}], "line 2: line quantity 101 is over the limit"),
        ([{"quantity": float("nan")}], "line 1: line quantity nan is not a whole number"),
        ([{}, {}, {}, {}], "4 lines is over the limit of 3"),
    ],
)
def test_unprocessable_lines_are_refused_with_the_reason(lines: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_lines(lines, LIMITS)


def test_lines_within_bounds_pass() -> None:
    check_lines([{"quantity": 100}, {}, {"quantity": 0}], LIMITS)
    check_lines(None, LIMITS)


@pytest.mark.parametrize("event_type", ["order.created", "order.updated", "invoice.requested"])
def test_order_and_invoice_lines_are_checked(event_type: str) -> None:
    with pytest.raises(ValueError, match="over the limit"):
        check_event_lines(event_type, {"lines": [{"quantity": 101}]}, LIMITS)


def test_other_events_may_carry_lines_of_their_own() -> None:
    check_event_lines("content.requested", {"lines": ["a heading", "a paragraph"]}, LIMITS)
