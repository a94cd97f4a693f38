"""Billing: subscriptions as the billing platform reports them (plan, renewal, cancellation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
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


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    recorded = last_result(results, record_subscription_tool.name)
    if recorded is None:
        return [call(record_subscription_tool, **subscription_args(event))]
    if is_error(recorded) or not isinstance(recorded, dict):
        return f"subscription not recorded: {recorded}"
    change = str(recorded["change"]).replace("_", " ")
    plan = recorded["plan"] or "no plan"
    if recorded["change"] == "plan_changed":
        plan = f"{recorded['previous_plan']} -> {plan}"
    until = f", period ends {recorded['period_end'][:10]}" if recorded["period_end"] else ""
    return f"subscription {recorded['subscription_id']} {change} ({plan}{until})"


SPECIALIST = Specialist(
    name="subscriptions",
    domain="billing",
    description="Records subscriptions and what changed: plan, renewal, cancellation.",
    prompt=PROMPT,
    tools=(record_subscription_tool,),
    playbook=playbook,
)
