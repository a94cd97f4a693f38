"""Billing: a paid invoice is marked paid, and dunning for it stops."""

from __future__ import annotations

from typing import Any

from graph.specialists.one_call import one_call_specialist
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


def report(_event: EventData, settled: dict[str, Any]) -> str:
    retries = settled["retries_cancelled"]
    stopped = f"{len(retries)} payment retries cancelled" if retries else "no retries pending"
    invoices = ", ".join(settled["invoices_paid"]) or "no invoice of ours"
    return f"invoice {settled['invoice_ref']} paid ({invoices} marked paid); {stopped}"


SPECIALIST = one_call_specialist(
    name="payment_reconciliation",
    domain="billing",
    description="Marks a paid invoice paid and stops dunning it.",
    prompt=PROMPT,
    tool=mark_invoice_paid_tool,
    arguments=payment_args,
    report=report,
    failure="payment not recorded",
)
