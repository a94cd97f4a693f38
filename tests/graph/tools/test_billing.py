"""draft_invoice: decimal line amounts and totals, and tax rounded half up to the cent."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from graph.tools.billing import draft_invoice


def line(unit_price: Any, quantity: int = 1, sku: str = "SKU-1") -> dict[str, Any]:
    return {
        "sku": sku,
        "description": f"item {sku}",
        "quantity": quantity,
        "unit_price": unit_price,
    }


def test_totals_are_exact_decimals() -> None:
    invoice = draft_invoice(
        order_id="1001",
        currency="eur",
        lines=[line("0.10", 3, "A"), line(0.2, 1, "B"), line("19.99", 2, "C")],
    )

    assert invoice["order_id"] == "1001"
    assert invoice["status"] == "draft"
    assert invoice["currency"] == "EUR"
    assert [(row["sku"], row["unit_price"], row["amount"]) for row in invoice["lines"]] == [
        ("A", "0.10", "0.30"),
        ("B", "0.20", "0.20"),
        ("C", "19.99", "39.98"),
    ]
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == ("40.48", "0.00", "40.48")


def test_whole_prices_are_shown_to_the_cent() -> None:
    invoice = draft_invoice(order_id="1", currency="USD", lines=[line(5, 2)])

    assert invoice["lines"][0]["unit_price"] == "5.00"
    assert invoice["lines"][0]["amount"] == "10.00"
    assert invoice["total"] == "10.00"


@pytest.mark.parametrize(
    ("unit_price", "tax_rate", "tax", "total"),
    [
        ("0.10", "0.25", "0.03", "0.13"),  # 0.025: half up, not half even (0.02)
        ("0.30", "0.05", "0.02", "0.32"),  # 0.015
        ("19.99", "0.075", "1.50", "21.49"),  # 1.49925
        ("10.05", "0.2", "2.01", "12.06"),  # exact
        ("100.00", "1", "100.00", "200.00"),
    ],
)
def test_tax_is_rounded_half_up_to_the_cent(
    unit_price: str, tax_rate: str, tax: str, total: str
) -> None:
    invoice = draft_invoice(
        order_id="1", currency="USD", lines=[line(unit_price)], tax_rate=tax_rate
    )

    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (unit_price, tax, total)


def test_line_amounts_round_half_up_like_tax() -> None:
    invoice = draft_invoice(order_id="1", currency="USD", lines=[line("0.125")])

    assert invoice["lines"][0]["amount"] == "0.13"


@pytest.mark.parametrize(
    "changes",
    [
        {"lines": []},
        {"lines": [line("1.00", 0)]},
        {"lines": [line("-1.00")]},
        {"currency": "EURO"},
        {"tax_rate": "1.5"},
        {"tax_rate": "-0.1"},
        {"order_id": None},
    ],
)
def test_invalid_arguments_are_rejected(changes: dict[str, Any]) -> None:
    arguments = {"order_id": "1", "currency": "USD", "lines": [line("1.00")], **changes}

    with pytest.raises(ValidationError):
        draft_invoice(**arguments)
