"""What state an order is in, from a canonical order payload: the one reading the store's
mirror, the event registry's routing and the playbooks all share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CANCELLED_STATES = frozenset({"cancelled", "canceled"})
SHIPPED_STATES = frozenset(
    {"shipped", "fulfilled", "partially_fulfilled", "delivered", "partially_shipped"}
)
PAID_STATES = frozenset({"paid", "fully_paid", "full", "fully_charged", "overcharged"})


def state_word(value: Any) -> str:
    """`CANCELED`, `Partially fulfilled`, `paid` → one spelling."""
    return str(value or "").strip().lower().replace(" ", "_")


def order_state(payload: Mapping[str, Any]) -> str:
    """The state an order update moved the order to: cancelled, shipped, paid or open.

    Cancelled wins over everything; tracking numbers mean something shipped; `paid` (or a
    paid payment status) means paid and not yet shipped.
    """
    status = state_word(payload.get("status"))
    if status in CANCELLED_STATES:
        return "cancelled"
    if status in SHIPPED_STATES or payload.get("tracking"):
        return "shipped"
    payment = state_word(payload.get("payment_status"))
    if payload.get("paid") is True or status in PAID_STATES or payment in PAID_STATES:
        return "paid"
    return "open"
