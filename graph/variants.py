"""Event types routed by their content: an `order.updated` is handled by the order's new
state, a `subscription.updated` by whether it is being cancelled.

A route key is the event type, or `type[variant]` for the types below. The registry routes
route keys; specialists read the same functions, so the route and the playbook agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

CANCELLED_STATES = frozenset({"cancelled", "canceled"})
SHIPPED_STATES = frozenset(
    {"shipped", "fulfilled", "partially_fulfilled", "delivered", "partially_shipped"}
)
PAID_STATES = frozenset({"paid", "fully_paid", "full", "fully_charged", "overcharged"})


@dataclass(frozen=True)
class Variants:
    """How one event type splits: what is read, the variants it can be, and the reader."""

    reads: str
    values: tuple[str, ...]
    of: Callable[[Mapping[str, Any]], str]


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


def subscription_change(payload: Mapping[str, Any]) -> str:
    """`cancelling` when the update ends the subscription (now or at period end)."""
    status = state_word(payload.get("status"))
    if payload.get("cancel_at_period_end") is True or status in CANCELLED_STATES:
        return "cancelling"
    return "changed"


SELECTORS: Mapping[str, Variants] = {
    "order.updated": Variants(
        "the order's new state (`status`, `paid`, `payment_status`, `tracking`)",
        ("paid", "shipped", "cancelled", "open"),
        order_state,
    ),
    "subscription.updated": Variants(
        "`cancel_at_period_end` or a cancelled `status`",
        ("cancelling", "changed"),
        subscription_change,
    ),
}


def route_key(event_type: str, payload: Mapping[str, Any]) -> str:
    """The key the registry routes this event by."""
    selector = SELECTORS.get(event_type)
    return event_type if selector is None else f"{event_type}[{selector.of(payload)}]"


def base_type(key: str) -> str:
    """`order.updated[paid]` → `order.updated`."""
    return key.split("[", 1)[0]


def variant_of(key: str) -> str | None:
    """`order.updated[paid]` → `paid`; a plain type has none."""
    if "[" not in key or not key.endswith("]"):
        return None
    return key[key.index("[") + 1 : -1]
