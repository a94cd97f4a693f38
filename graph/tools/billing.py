"""Billing tools."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

CENT = Decimal("0.01")


class InvoiceLine(BaseModel):
    sku: str
    description: str = ""
    quantity: int = Field(gt=0)
    unit_price: Decimal = Field(ge=0)


class DraftInvoiceInput(BaseModel):
    """The order an invoice is drafted from."""

    order_id: str
    currency: str = Field(min_length=3, max_length=3)
    lines: list[InvoiceLine] = Field(min_length=1)
    tax_rate: Decimal = Field(default=Decimal("0"), ge=0, le=1)


def draft_invoice(**kwargs: Any) -> dict[str, Any]:
    """Draft an invoice for an order: lines, subtotal, tax and total."""
    invoice = DraftInvoiceInput(**kwargs)
    prices = [line.unit_price.quantize(CENT, rounding=ROUND_HALF_UP) for line in invoice.lines]
    amounts = [price * line.quantity for price, line in zip(prices, invoice.lines, strict=True)]
    lines = [
        {
            "sku": line.sku,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": str(price),
            "amount": str(amount),
        }
        for line, price, amount in zip(invoice.lines, prices, amounts, strict=True)
    ]
    subtotal = sum(amounts, Decimal("0"))
    tax = (subtotal * invoice.tax_rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return {
        "order_id": invoice.order_id,
        "status": "draft",
        "currency": invoice.currency.upper(),
        "lines": lines,
        "subtotal": str(subtotal),
        "tax": str(tax),
        "total": str(subtotal + tax),
    }


draft_invoice_tool = StructuredTool.from_function(
    func=draft_invoice,
    name="draft_invoice",
    description=draft_invoice.__doc__ or "",
    args_schema=DraftInvoiceInput,
)

BILLING_TOOLS = (draft_invoice_tool,)
