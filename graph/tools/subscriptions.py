"""Subscription tools: keep the platform's subscriptions and say what each report changed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from connectors.subscriptions import record_subscription
from graph.tools.base import ToolEnv, effect_tool


class SubscriptionInput(BaseModel):
    """A subscription as the billing platform reports it."""

    subscription_id: str = Field(min_length=1)
    customer: str = Field(min_length=1)
    plan: str | None = None
    status: str = Field(min_length=1, max_length=40)
    price: Decimal | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    period_end: datetime | None = None
    cancel_at_period_end: bool = False


async def record(env: ToolEnv, args: SubscriptionInput) -> dict[str, Any]:
    return await record_subscription(
        env.conn,
        tenant_id=env.tenant_id,
        subscription_id=args.subscription_id,
        customer=args.customer,
        plan=args.plan,
        status=args.status.lower(),
        amount=args.price,
        currency=args.currency.upper() if args.currency else None,
        period_end=args.period_end,
        cancel_at_period_end=args.cancel_at_period_end,
    )


record_subscription_tool = effect_tool(
    name="record_subscription",
    description=(
        "Record a subscription's plan, status and renewal date; answers what changed: "
        "created, plan_changed, renewed, cancellation_scheduled, cancelled or updated."
    ),
    args_schema=SubscriptionInput,
    body=record,
)

SUBSCRIPTION_TOOLS = (record_subscription_tool,)
