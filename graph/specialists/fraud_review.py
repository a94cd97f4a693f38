"""E-commerce: explainable, rule-based fraud review of a new order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.ecommerce import get_customer_history_tool
from graph.tools.risk import score_order_risk_tool

PROMPT = (
    "You review new orders for fraud. Look up the customer's history with "
    "get_customer_history, call score_order_risk with the order's id (it reads the order's "
    "facts and the customer's history itself), then state the score and the reasons in one "
    "sentence."
)


def customer_of(payload: dict[str, Any]) -> str:
    customer = payload.get("customer") or {}
    return str(customer.get("id") or payload.get("email") or customer.get("email") or "guest")


def order_id_of(event: EventData) -> str:
    return str(event["payload"].get("order_id") or event["entity"].split(":", 1)[-1])


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    payload = event["payload"]
    history = last_result(results, get_customer_history_tool.name)
    if history is None:
        return [
            call(
                get_customer_history_tool,
                customer=customer_of(payload),
                exclude_order_id=str(payload.get("order_id") or ""),
            )
        ]
    risk = last_result(results, score_order_risk_tool.name)
    if risk is None:
        return [call(score_order_risk_tool, order_id=order_id_of(event))]
    if is_error(risk) or not isinstance(risk, dict):
        return f"risk scoring failed: {risk}"
    reasons = ", ".join(reason["reason"] for reason in risk["reasons"]) or "no risk signals"
    return f"fraud risk {risk['score']}/100 ({reasons})"


SPECIALIST = Specialist(
    name="fraud_review",
    domain="ecommerce",
    description="Scores a new order's fraud risk 0-100 with named reasons.",
    prompt=PROMPT,
    tools=(get_customer_history_tool, score_order_risk_tool),
    playbook=playbook,
)
