"""Billing: a numbered invoice for a paid order; voided when the order is cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from connectors.order_states import order_state
from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.billing import draft_invoice_tool, issue_invoice_tool, void_invoice_tool

PROMPT = (
    "You invoice orders. For a paid order call draft_invoice with its lines, then "
    "issue_invoice with the draft. For a cancelled order call void_invoice. Report the result."
)


def order_id_of(event: EventData) -> str:
    return str(event["payload"].get("order_id") or event["entity"].split(":", 1)[-1])


def invoice_args(event: EventData) -> dict[str, Any]:
    payload = event["payload"]
    args: dict[str, Any] = {
        "order_id": order_id_of(event),
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
    if event["type"] == "order.cancelled" or (
        event["type"] == "order.updated" and order_state(event["payload"]) == "cancelled"
    ):
        voided = last_result(results, void_invoice_tool.name)
        if voided is None:
            return [call(void_invoice_tool, order_id=order_id_of(event))]
        return f"invoices voided: {voided}"
    draft = last_result(results, draft_invoice_tool.name)
    if draft is None:
        return [{"name": draft_invoice_tool.name, "args": invoice_args(event)}]
    if is_error(draft) or not isinstance(draft, dict):
        return f"invoicing failed: {draft}"
    issued = last_result(results, issue_invoice_tool.name)
    if issued is None:
        fields = ("order_id", "currency", "lines", "subtotal", "tax", "total")
        return [call(issue_invoice_tool, **{key: draft[key] for key in fields})]
    if not isinstance(issued, dict):
        return f"invoice not issued: {issued}"
    total = f"{draft['total']} {draft['currency']}"
    return f"invoice {issued['invoice_id']} issued for order {draft['order_id']}: {total}"


SPECIALIST = Specialist(
    name="invoicing",
    domain="billing",
    description="Drafts and issues the numbered invoice for a paid order; voids on cancel.",
    prompt=PROMPT,
    tools=(draft_invoice_tool, issue_invoice_tool, void_invoice_tool),
    playbook=playbook,
)
