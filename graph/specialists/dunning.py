"""Billing: a failed payment becomes a retry schedule and a notice to the customer."""

from __future__ import annotations

from typing import Any

from graph.specialists.one_call import one_call_specialist
from graph.state import EventData
from graph.tools.billing import schedule_payment_retries_tool

PROMPT = (
    "You chase failed payments. Call schedule_payment_retries with the invoice, amount, "
    "currency, the number of failed attempts and the customer's email, then report."
)


def retry_args(event: EventData) -> dict[str, Any]:
    payload = event["payload"]
    return {
        "invoice_ref": str(payload.get("id") or event["entity"]),
        "email": payload.get("email") or payload.get("customer_email"),
        "amount": float(payload.get("amount") or 0),
        "currency": str(payload.get("currency") or "USD"),
        "failed_attempts": int(payload.get("attempt_count") or 1),
    }


def report(_event: EventData, scheduled: dict[str, Any]) -> str:
    dates = ", ".join(r["retry_at"][:10] for r in scheduled["retries"]) or "none left"
    notice = "sent" if scheduled["notice"] else "not sent (no email)"
    return f"payment retries scheduled ({dates}); notice {notice}"


SPECIALIST = one_call_specialist(
    name="dunning",
    domain="billing",
    description="Schedules payment retries and notifies the customer of a failed payment.",
    prompt=PROMPT,
    tool=schedule_payment_retries_tool,
    arguments=retry_args,
    report=report,
    failure="dunning failed",
)
