"""Helpers the approval tests share: a high-risk order and whether an order shipped."""

from __future__ import annotations

import uuid
from typing import Any

from runtime.resources import Resources
from tests.graph.samples import PENDING_ORDER
from tests.support import rows


def high_risk_order(order_id: str, currency: str) -> dict[str, Any]:
    """Crypto payment, 5 orders in 24 h, account age 0, billing US, shipping NG."""
    return {
        **PENDING_ORDER,
        "order_id": order_id,
        "currency": currency,
        "customer": {"id": f"new-buyer-{uuid.uuid4().hex[:8]}", "account_age_days": 0},
        "billing_address": {"country": "US"},
        "shipping_address": {"country": "NG"},
        "orders_last_24h": 5,
        "payment_method": "crypto",
    }


async def shipped(resources: Resources, event_id: str, order_id: str) -> bool:
    (order,) = await rows(
        resources, "SELECT status FROM store_orders WHERE order_id = %s", order_id
    )
    ledger = await rows(
        resources,
        "SELECT 1 FROM tool_ledger WHERE thread_id = %s AND tool_name = 'create_fulfillment'",
        f"event:{event_id}",
    )
    return order["status"] != "pending" or bool(ledger)
