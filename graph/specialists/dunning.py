"""Billing: a failed payment becomes a retry schedule and a notice to the customer."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, last_result
from graph.state import EventData
from graph.tools.billing import schedule_payment_retries_tool

PROMPT = (
    "You chase failed payments. Call schedule_payment_retries with the invoice, amount, "
    "currency, the number of failed attempts and the customer's email, then report."
)


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    scheduled = last_result(results, schedule_payment_retries_tool.name)
    if scheduled is None:
        payload = event["payload"]
        return [
            call(
                schedule_payment_retries_tool,
                invoice_ref=str(payload.get("id") or event["entity"]),
                email=payload.get("email") or payload.get("customer_email"),
                amount=float(payload.get("amount") or 0),
                currency=str(payload.get("currency") or "USD"),
                failed_attempts=int(payload.get("attempt_count") or 1),
            )
        ]
    if not isinstance(scheduled, dict):
        return f"dunning failed: {scheduled}"
    dates = ", ".join(r["retry_at"][:10] for r in scheduled["retries"]) or "none left"
    notice = "sent" if scheduled["notice"] else "not sent (no email)"
    return f"payment retries scheduled ({dates}); notice {notice}"


SPECIALIST = Specialist(
    name="dunning",
    domain="billing",
    description="Schedules payment retries and notifies the customer of a failed payment.",
    prompt=PROMPT,
    tools=(schedule_payment_retries_tool,),
    playbook=playbook,
)
