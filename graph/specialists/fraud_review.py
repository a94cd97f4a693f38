"""E-commerce: explainable, rule-based fraud review of a new order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.ecommerce import get_customer_history_tool, score_order_risk_tool

PROMPT = (
    "You review new orders for fraud. Look up the customer's history with "
    "get_customer_history, call score_order_risk with the order's facts and that history, "
    "then state the score and the reasons in one sentence."
)


def customer_of(payload: dict[str, Any]) -> str:
    customer = payload.get("customer") or {}
    return str(customer.get("id") or payload.get("email") or customer.get("email") or "guest")


def risk_facts(payload: dict[str, Any], history: dict[str, Any]) -> dict[str, Any]:
    """The order's facts as sent; the tool's schema validates them (and says what is wrong)."""
    customer = payload.get("customer") or {}
    return {
        "order_total": payload.get("total", 0),
        "currency": payload.get("currency", "USD"),
        "customer_order_count": customer.get("order_count", history.get("order_count", 0)),
        "customer_average_total": customer.get("average_total", history.get("average_total", 0)),
        "account_age_days": customer.get("account_age_days", 365),
        "billing_country": (payload.get("billing_address") or {}).get("country"),
        "shipping_country": (payload.get("shipping_address") or {}).get("country"),
        "orders_last_24h": payload.get("orders_last_24h", 0),
        "payment_method": payload.get("payment_method") or "credit_card",
    }


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
        known = history if isinstance(history, dict) else {}
        return [call(score_order_risk_tool, **risk_facts(payload, known))]
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
