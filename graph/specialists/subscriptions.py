"""Billing: subscriptions as the billing platform reports them (plan, renewal, cancellation)."""

from __future__ import annotations

from typing import Any

from graph.specialists.one_call import one_call_specialist
from graph.state import EventData
from graph.tools.subscriptions import record_subscription_tool

PROMPT = (
    "You keep subscriptions. Call record_subscription with the subscription's id, customer, "
    "plan, status, price, currency, period end and cancel_at_period_end as reported, then "
    "say what changed (created, plan changed, renewed, cancellation scheduled, cancelled)."
)
FIELDS = {
    "plan": "plan",
    "amount": "price",
    "currency": "currency",
    "period_end": "period_end",
    "cancel_at_period_end": "cancel_at_period_end",
}
"""payload field -> record_subscription argument."""


def subscription_args(event: EventData) -> dict[str, Any]:
    payload = event["payload"]
    status = payload.get("status") or (
        "canceled" if event["type"] == "subscription.deleted" else "active"
    )
    args: dict[str, Any] = {
        "subscription_id": str(payload.get("id") or event["entity"].split(":", 1)[-1]),
        "customer": str(payload.get("customer") or "unknown"),
        "status": str(status),
    }
    for field, argument in FIELDS.items():
        if payload.get(field) is not None:
            args[argument] = payload[field]
    return args


def report(_event: EventData, recorded: dict[str, Any]) -> str:
    change = str(recorded["change"]).replace("_", " ")
    plan = recorded["plan"] or "no plan"
    if recorded["change"] == "plan_changed":
        plan = f"{recorded['previous_plan']} -> {plan}"
    until = f", period ends {recorded['period_end'][:10]}" if recorded["period_end"] else ""
    return f"subscription {recorded['subscription_id']} {change} ({plan}{until})"


SPECIALIST = one_call_specialist(
    name="subscriptions",
    domain="billing",
    description="Records subscriptions and what changed: plan, renewal, cancellation.",
    prompt=PROMPT,
    tool=record_subscription_tool,
    arguments=subscription_args,
    report=report,
    failure="subscription not recorded",
)
