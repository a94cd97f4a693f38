"""Billing: a paid invoice is marked paid, and dunning for it stops."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.billing import mark_invoice_paid_tool

PROMPT = (
    "You reconcile payments. When an invoice is paid, call mark_invoice_paid with its "
    "reference (and the order, amount and currency when known), which also cancels its "
    "payment retries. Report in one sentence."
)


def payment_args(event: EventData) -> dict[str, Any]:
    payload = event["payload"]
    args: dict[str, Any] = {
        "invoice_ref": str(payload.get("id") or event["entity"].split(":", 1)[-1])
    }
    for field, argument in (
        ("order_id", "order_id"),
        ("amount", "paid_amount"),
        ("currency", "currency"),
    ):
        if payload.get(field) is not None:
            args[argument] = payload[field]
    return args


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    settled = last_result(results, mark_invoice_paid_tool.name)
    if settled is None:
        return [call(mark_invoice_paid_tool, **payment_args(event))]
    if is_error(settled) or not isinstance(settled, dict):
        return f"payment not recorded: {settled}"
    retries = settled["retries_cancelled"]
    stopped = f"{len(retries)} payment retries cancelled" if retries else "no retries pending"
    invoices = ", ".join(settled["invoices_paid"]) or "no invoice of ours"
    return f"invoice {settled['invoice_ref']} paid ({invoices} marked paid); {stopped}"


SPECIALIST = Specialist(
    name="payment_reconciliation",
    domain="billing",
    description="Marks a paid invoice paid and stops dunning it.",
    prompt=PROMPT,
    tools=(mark_invoice_paid_tool,),
    playbook=playbook,
)
