"""Event types routed by their content: an `order.updated` is handled by the order's new
state, a `subscription.updated` by whether it is being cancelled.

A route key is the event type, or `type[variant]` for the types below. The registry routes
route keys; specialists read the same functions, so the route and the playbook agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.order_states import CANCELLED_STATES, order_state, state_word


@dataclass(frozen=True)
class Variants:
    """How one event type splits: what is read, the variants it can be, and the reader."""

    reads: str
    values: tuple[str, ...]
    of: Callable[[Mapping[str, Any]], str]


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
