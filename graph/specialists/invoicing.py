"""Billing: draft the invoice for a paid order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, last_result
from graph.state import EventData
from graph.tools.billing import draft_invoice_tool

PROMPT = "You invoice paid orders. Call draft_invoice with the order's lines, then report it."


def invoice_args(event: EventData) -> dict[str, Any]:
    payload = event["payload"]
    args: dict[str, Any] = {
        "order_id": str(payload.get("order_id") or event["entity"].split(":", 1)[-1]),
        "currency": str(payload.get("currency", "USD")),
        "lines": [
            {
                "sku": str(line.get("sku", "")),
                "description": str(line.get("name", "")),
                "quantity": line.get("quantity", 1),
                "unit_price": line.get("unit_price", "0"),
            }
            for line in payload.get("lines") or []
        ],
    }
    if payload.get("tax_rate") is not None:
        args["tax_rate"] = str(payload["tax_rate"])
    return args


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    invoice = last_result(results, draft_invoice_tool.name)
    if invoice is None:
        return [{"name": draft_invoice_tool.name, "args": invoice_args(event)}]
    if not isinstance(invoice, dict):
        return f"invoicing failed: {invoice}"
    return (
        f"invoice drafted for order {invoice['order_id']}: {invoice['total']} {invoice['currency']}"
    )


SPECIALIST = Specialist(
    name="invoicing",
    domain="billing",
    description="Drafts the invoice for a paid order.",
    prompt=PROMPT,
    tools=(draft_invoice_tool,),
    playbook=playbook,
)
