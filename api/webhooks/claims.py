"""Does the signed body support the event name an unsigned header claims for it?

Saleor's `Saleor-Event` and Shopify's `X-Shopify-Topic` are not covered by the signature:
whoever holds one signed body can post it again under another name. A claim is accepted
only when the body does not contradict it; a claim that undoes something (a cancellation)
only when the body shows it. Platforms do send one body under several genuine names
(Shopify's orders/create, orders/paid, orders/updated), and those all pass.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api.webhooks.errors import MalformedPayload
from api.webhooks.payloads import first, parse_time


class ClaimRefused(MalformedPayload):
    """The signed body contradicts the event name in the unsigned header."""


class StaleDelivery(MalformedPayload):
    """The body's own issue time lies outside the replay window."""


# Saleor's legacy payloads name the serialized record's type; each event serializes one kind.
SALEOR_LEGACY_TYPES: dict[str, frozenset[str]] = {
    "order": frozenset({"Order"}),
    "invoice": frozenset({"Invoice", "Order"}),
    "product": frozenset({"Product"}),
    "variant": frozenset({"Stock", "ProductVariant"}),
    "customer": frozenset({"User", "Customer"}),
    "fulfillment": frozenset({"Fulfillment"}),
}
SALEOR_EVENT_RECORD = {
    "invoice_requested": "invoice",
    "product_variant_out_of_stock": "variant",
    "product_variant_back_in_stock": "variant",
}
CANCELED = "canceled"
# Orders in these states cannot be created, paid or fulfilled any more.
TERMINAL_ORDER_STATES = frozenset({CANCELED, "expired"})
FULFILLED_ORDER_STATES = frozenset(
    {"fulfilled", "partially_fulfilled", "returned", "partially_returned"}
)
SALEOR_PAID_EVENTS = frozenset({"order_paid", "order_fully_paid"})
# Events that move an order on towards shipping: none of them fits a cancelled order.
SHIPPING_EVENTS = frozenset(
    {"order_created", "order_fulfilled", "fulfillment_created", *SALEOR_PAID_EVENTS}
)
SALEOR_UNPAID_CHARGE = frozenset({"none", "partial"})

SHOPIFY_TOPIC_KIND = {
    "orders": "order",
    "fulfillments": "fulfillment",
    "refunds": "refund",
    "inventory_levels": "inventory level",
    "products": "product",
    "customers": "customer",
}
SHOPIFY_UNPAID = frozenset({"pending", "authorized", "partially_paid", "voided", "expired"})


def saleor_typename(event_name: str) -> str:
    """The GraphQL type of Saleor's subscription event: `order_created` → `OrderCreated`."""
    return "".join(part.capitalize() for part in event_name.split("_"))


def check_saleor_claim(event_name: str, document: Any, item: dict[str, Any]) -> None:
    """Refuse `event_name` unless the signed body (`document`, its record `item`) supports it.

    A subscription payload that asks for `__typename` names its own event, which settles
    the claim. Otherwise a legacy payload's record type must fit the event, and the order's
    own state must allow it: a cancellation needs `status` CANCELED in the body.
    """
    if isinstance(document, dict) and "__typename" in document:
        named, expected = document["__typename"], saleor_typename(event_name)
        if named != expected:
            raise ClaimRefused(f"the signed body is a {named} event, not {expected}")
        return
    if isinstance(document, list) and document and isinstance(document[0], dict):
        declared = document[0].get("type")
        record = SALEOR_EVENT_RECORD.get(event_name, event_name.split("_", 1)[0])
        allowed = SALEOR_LEGACY_TYPES.get(record, frozenset())
        if declared is not None and declared not in allowed:
            raise ClaimRefused(f"the signed body holds a {declared}; {event_name} never sends one")
    if event_name.startswith("order_") or event_name == "fulfillment_created":
        _check_saleor_order(event_name, item)


def _check_saleor_order(event_name: str, order: dict[str, Any]) -> None:
    status = _state(first(order, "status"))
    if event_name == "order_cancelled":
        if status is None:
            raise ClaimRefused(
                "order_cancelled needs the order's status in the signed body "
                "(request `order { status }` or `__typename`)"
            )
        if status != CANCELED:
            raise ClaimRefused(f"the order's status is {status}, not canceled")
        return
    if event_name in SHIPPING_EVENTS and status in TERMINAL_ORDER_STATES:
        raise ClaimRefused(f"the order's status is {status}; it cannot be {event_name}")
    if event_name == "order_fulfilled" and status not in (None, *FULFILLED_ORDER_STATES):
        raise ClaimRefused(f"the order's status is {status}, not fulfilled")
    if event_name in SALEOR_PAID_EVENTS:
        charge = _state(first(order, "chargeStatus", "charge_status"))
        if order.get("isPaid") is False or charge in SALEOR_UNPAID_CHARGE:
            raise ClaimRefused(f"the signed body shows the order is not paid ({event_name})")


def shopify_body_kind(item: dict[str, Any]) -> str | None:
    """What record a Shopify body is, from the fields only that record has."""
    if "refund_line_items" in item:
        return "refund"
    if "order_id" in item and ({"tracking_numbers", "tracking_number", "line_items"} & set(item)):
        return "fulfillment"
    if "line_items" in item:
        return "order"
    if "inventory_item_id" in item and "location_id" in item:
        return "inventory level"
    if "variants" in item:
        return "product"
    return None


def check_shopify_claim(topic: str, item: dict[str, Any]) -> None:
    """Refuse `topic` unless the signed body is the record it names, in a state it allows."""
    expected = SHOPIFY_TOPIC_KIND.get(topic.split("/", 1)[0])
    actual = shopify_body_kind(item)
    if expected != actual and not (expected == "customer" and actual is None):
        raise ClaimRefused(f"the signed body is {_a(actual)}, but {topic} sends {_a(expected)}")
    if expected == "fulfillment" and _state(first(item, "status")) == CANCELED:
        raise ClaimRefused(f"the signed body shows a cancelled fulfilment; it cannot be {topic}")
    if expected != "order":
        return
    cancelled = first(item, "cancelled_at") is not None
    if topic == "orders/cancelled" and not cancelled:
        raise ClaimRefused("orders/cancelled needs cancelled_at in the signed body")
    if topic in ("orders/create", "orders/paid", "orders/fulfilled") and cancelled:
        raise ClaimRefused(f"the signed body shows a cancelled order; it cannot be {topic}")
    financial = _state(first(item, "financial_status"))
    if topic == "orders/paid" and financial in SHOPIFY_UNPAID:
        raise ClaimRefused(f"the order's financial_status is {financial}, not paid")
    fulfillment = _state(first(item, "fulfillment_status"))
    if topic == "orders/fulfilled" and fulfillment is not None and fulfillment != "fulfilled":
        raise ClaimRefused(f"the order's fulfillment_status is {fulfillment}, not fulfilled")


def saleor_issued_at(document: Any) -> datetime | None:
    """When Saleor issued this payload (`issuedAt`, or legacy `meta.issued_at`), if it says.

    A time that is present but unreadable is refused rather than treated as absent, so a
    body cannot opt out of the replay window by garbling it.
    """
    record = document[0] if isinstance(document, list) and document else document
    if not isinstance(record, dict):
        return None
    meta = record.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    value = first(record, "issuedAt", "issued_at") or first(meta, "issuedAt", "issued_at")
    if value is None:
        return None
    issued = parse_time(value)
    if issued is None:
        raise MalformedPayload("issuedAt is not a readable time")
    return issued


def require_fresh(sent_at: datetime | None, *, max_age_s: float, now: datetime | None) -> None:
    """Refuse a body issued more than `max_age_s` before (or after) now.

    The window must cover the sender's retries, which resend the same body: Saleor retries
    five times over about 310 s (plus an 18 s timeout per attempt).
    """
    if sent_at is None:
        return
    current = now or datetime.now(UTC)
    drift = (current - sent_at).total_seconds()
    if abs(drift) > max_age_s:
        when = "before" if drift > 0 else "after"
        raise StaleDelivery(
            f"issued {abs(int(drift))} s {when} now, outside the {int(max_age_s)} s replay window"
        )


def _state(value: Any) -> str | None:
    """A status as Saleor (`CANCELED`, `partially fulfilled`) or Shopify spells it, made one."""
    if not isinstance(value, str) or not value.strip():
        return None
    state = value.strip().lower().replace(" ", "_")
    return CANCELED if state == "cancelled" else state


def _a(kind: str | None) -> str:
    if kind is None:
        return "no known record"
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
