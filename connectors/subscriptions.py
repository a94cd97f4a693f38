"""Subscriptions as the billing platform reports them, and what changed with each report."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

Conn = AsyncConnection[DictRow]


def change_of(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    """created, cancelled, cancellation_scheduled, plan_changed, renewed or updated."""
    if after["status"] in ("canceled", "cancelled"):
        return "cancelled"
    if before is None:
        return "created"
    if after["cancel_at_period_end"] and not before["cancel_at_period_end"]:
        return "cancellation_scheduled"
    if after["plan"] != before["plan"]:
        return "plan_changed"
    if after["period_end"] and before["period_end"] and after["period_end"] > before["period_end"]:
        return "renewed"
    return "updated"


async def record_subscription(
    conn: Conn,
    *,
    tenant_id: str,
    subscription_id: str,
    customer: str,
    plan: str | None,
    status: str,
    amount: Decimal | None,
    currency: str | None,
    period_end: datetime | None,
    cancel_at_period_end: bool,
) -> dict[str, Any]:
    """Store the subscription as reported; say what changed since the last report."""
    cursor = await conn.execute(
        "SELECT plan, status, period_end, cancel_at_period_end FROM store_subscriptions"
        " WHERE tenant_id = %s AND subscription_id = %s FOR UPDATE",
        (tenant_id, subscription_id),
    )
    before = await cursor.fetchone()
    after = {
        "plan": plan,
        "status": status,
        "period_end": period_end,
        "cancel_at_period_end": cancel_at_period_end,
    }
    change = change_of(None if before is None else dict(before), after)
    await conn.execute(
        """
        INSERT INTO store_subscriptions (tenant_id, subscription_id, customer, plan, status,
                                         amount, currency, period_end, cancel_at_period_end)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (tenant_id, subscription_id) DO UPDATE
           SET customer = EXCLUDED.customer, plan = EXCLUDED.plan, status = EXCLUDED.status,
               amount = EXCLUDED.amount, currency = EXCLUDED.currency,
               period_end = EXCLUDED.period_end,
               cancel_at_period_end = EXCLUDED.cancel_at_period_end, updated_at = now()
        """,
        (
            tenant_id,
            subscription_id,
            customer,
            plan,
            status,
            amount,
            currency,
            period_end,
            cancel_at_period_end,
        ),
    )
    return {
        "subscription_id": subscription_id,
        "customer": customer,
        "change": change,
        "plan": plan,
        "previous_plan": before["plan"] if before else None,
        "status": status,
        "period_end": period_end.isoformat() if period_end else None,
    }
