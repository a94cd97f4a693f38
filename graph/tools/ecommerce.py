"""E-commerce tools."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

HIGH_VALUE_TOTAL = 1_000.0


class OrderRiskInput(BaseModel):
    """Facts about an order that bear on its fraud risk."""

    order_total: float = Field(ge=0, description="Order total in the order currency.")
    currency: str = Field(min_length=3, max_length=3)
    customer_order_count: int = Field(ge=0, description="Orders the customer placed before.")
    customer_average_total: float = Field(ge=0, default=0.0)
    account_age_days: int = Field(ge=0)
    billing_country: str | None = None
    shipping_country: str | None = None
    orders_last_24h: int = Field(ge=0, default=0)
    payment_method: str = "credit_card"


RISKY_PAYMENT_METHODS = {"gift_card": 10, "crypto": 20, "paypal": 5}


def score_order_risk(**kwargs: Any) -> dict[str, Any]:
    """Score an order's fraud risk 0-100 with the named reasons behind the score."""
    order = OrderRiskInput(**kwargs)
    reasons: list[dict[str, Any]] = []

    def add(points: int, reason: str) -> None:
        reasons.append({"points": points, "reason": reason})

    if order.customer_order_count == 0:
        add(15, "first order from this customer")
    elif order.customer_average_total > 0 and order.order_total > 3 * order.customer_average_total:
        add(25, "total is more than 3x the customer's average order")
    if order.order_total >= HIGH_VALUE_TOTAL:
        add(15, f"high value order ({order.order_total:.2f} {order.currency})")
    if order.account_age_days < 2:
        add(20, "account created less than 2 days ago")
    if (
        order.billing_country
        and order.shipping_country
        and order.billing_country.upper() != order.shipping_country.upper()
    ):
        add(20, "billing and shipping countries differ")
    if order.orders_last_24h >= 3:
        add(20, f"{order.orders_last_24h} orders in the last 24 hours")
    if order.payment_method in RISKY_PAYMENT_METHODS:
        add(RISKY_PAYMENT_METHODS[order.payment_method], f"payment by {order.payment_method}")
    score = min(100, sum(int(reason["points"]) for reason in reasons))
    return {"score": score, "reasons": reasons}


score_order_risk_tool = StructuredTool.from_function(
    func=score_order_risk,
    name="score_order_risk",
    description=score_order_risk.__doc__ or "",
    args_schema=OrderRiskInput,
)

ECOMMERCE_TOOLS = (score_order_risk_tool,)
