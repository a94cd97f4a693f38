"""From a verified delivery to a canonical event: type, entity key, occurred-at, payload.

The tables below are data, versioned by `REGISTRY_VERSION`; each inbox row records the
version that read it. Their targets are event types the event registry (`graph.routing`)
accepts, which a test checks. A delivery whose event name is not in a table normalizes to
`type=None` and is stored as `ignored`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from api.webhooks.claims import check_saleor_claim, check_shopify_claim, saleor_issued_at
from api.webhooks.errors import MalformedPayload
from api.webhooks.payloads import (
    customer_fields,
    fulfilment_fields,
    generic_fields,
    order_fields,
    parse_time,
    product_fields,
    stripe_fields,
    stripe_subscription_fields,
)
from graph.routing import REGISTRY
from runtime.order_lines import check_event_lines

REGISTRY_VERSION = 2


@dataclass(frozen=True)
class SourceRoute:
    """The canonical type a source's event becomes, the kind of record its body holds (which
    also keys the entity), and how its fields are read."""

    canonical: str
    kind: str
    fields: Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Normalized:
    type: str | None
    entity: str
    occurred_at: datetime | None
    payload: dict[str, Any]
    dedupe_key: str
    source_event: str
    sent_at: datetime | None = None


SALEOR: Mapping[str, SourceRoute] = {
    "order_created": SourceRoute("order.created", "order", order_fields),
    "order_updated": SourceRoute("order.updated", "order", order_fields),
    "order_fully_paid": SourceRoute("order.paid", "order", order_fields),
    "order_paid": SourceRoute("order.paid", "order", order_fields),
    "order_cancelled": SourceRoute("order.cancelled", "order", order_fields),
    "order_fulfilled": SourceRoute("order.fulfilled", "order", order_fields),
    "fulfillment_created": SourceRoute("fulfillment.created", "fulfillment", order_fields),
    "product_created": SourceRoute("product.created", "product", product_fields),
    "product_updated": SourceRoute("product.updated", "product", product_fields),
    "product_variant_out_of_stock": SourceRoute("stock.out", "product", product_fields),
    "product_variant_back_in_stock": SourceRoute("stock.updated", "product", product_fields),
    "customer_created": SourceRoute("customer.created", "customer", customer_fields),
    "customer_updated": SourceRoute("customer.updated", "customer", customer_fields),
    "invoice_requested": SourceRoute("invoice.requested", "order", order_fields),
}

SHOPIFY: Mapping[str, SourceRoute] = {
    "orders/create": SourceRoute("order.created", "order", order_fields),
    "orders/updated": SourceRoute("order.updated", "order", order_fields),
    "orders/paid": SourceRoute("order.paid", "order", order_fields),
    "orders/cancelled": SourceRoute("order.cancelled", "order", order_fields),
    "orders/fulfilled": SourceRoute("order.fulfilled", "order", order_fields),
    "fulfillments/create": SourceRoute("fulfillment.created", "fulfillment", fulfilment_fields),
    "products/create": SourceRoute("product.created", "product", product_fields),
    "products/update": SourceRoute("product.updated", "product", product_fields),
    "inventory_levels/update": SourceRoute("stock.updated", "inventory_item", product_fields),
    "customers/create": SourceRoute("customer.created", "customer", customer_fields),
    "customers/update": SourceRoute("customer.updated", "customer", customer_fields),
    "refunds/create": SourceRoute("refund.created", "order", generic_fields),
}

STRIPE: Mapping[str, SourceRoute] = {
    "invoice.payment_failed": SourceRoute("payment.failed", "invoice", stripe_fields),
    "invoice.paid": SourceRoute("invoice.paid", "invoice", stripe_fields),
    "charge.refunded": SourceRoute("refund.created", "charge", stripe_fields),
    "charge.dispute.created": SourceRoute("dispute.created", "charge", stripe_fields),
    "customer.subscription.created": SourceRoute(
        "subscription.created", "subscription", stripe_subscription_fields
    ),
    "customer.subscription.updated": SourceRoute(
        "subscription.updated", "subscription", stripe_subscription_fields
    ),
    "customer.subscription.deleted": SourceRoute(
        "subscription.deleted", "subscription", stripe_subscription_fields
    ),
}


def registered_types() -> set[str]:
    """Every canonical type some source's event maps to."""
    return {m.canonical for table in (SALEOR, SHOPIFY, STRIPE) for m in table.values()}


def _object(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise MalformedPayload(f"{what}: expected a JSON object")
    return body


def _entity(kind: str, object_id: Any) -> str:
    """A fulfilment belongs to its order's history: it is keyed by the order."""
    kind = "order" if kind == "fulfillment" else kind
    if object_id is None or str(object_id) == "":
        raise MalformedPayload(f"no {kind} id in the payload")
    return f"{kind}:{object_id}"


def saleor_object(body: Any, kind: str) -> tuple[dict[str, Any], datetime | None]:
    """Saleor sends legacy JSON arrays or subscription objects (`{"order": {...}, ...}`)."""
    if isinstance(body, list):
        if not body or not isinstance(body[0], dict):
            raise MalformedPayload("saleor: expected a non-empty array of objects")
        return legacy_item(body[0], kind), legacy_time(body[0])
    document = _object(body, "saleor")
    meta = document.get("meta")
    meta_issued = meta.get("issuedAt") if isinstance(meta, dict) else None
    issued = parse_time(document.get("issuedAt") or document.get("issued_at") or meta_issued)
    variant = document.get("productVariant")
    if kind == "product" and isinstance(variant, dict):
        return flatten_variant(variant), issued
    if kind == "fulfillment":
        return fulfilment_order(document.get("order"), document.get("fulfillment")), issued
    inner = document.get(kind)
    if inner is None and kind == "customer":
        inner = document.get("user")  # Saleor's CustomerCreated names the customer `user`
    if not isinstance(inner, dict):
        raise MalformedPayload(f"saleor: no {kind!r} object in the payload")
    return inner, issued


def legacy_item(item: dict[str, Any], kind: str) -> dict[str, Any]:
    """Legacy payloads carry the record Saleor serialized, which is not always the order or
    product itself: an Invoice nests its order, a Stock names its product."""
    if kind == "order" and item.get("type") == "Invoice" and isinstance(item.get("order"), dict):
        return dict(item["order"])
    if kind == "product" and item.get("product_id") is not None:
        return {**item, "id": item["product_id"]}
    if kind == "fulfillment":
        return fulfilment_order(item.get("order"), item)
    return item


def fulfilment_order(order: Any, fulfilment: Any) -> dict[str, Any]:
    """A fulfilment event as its order with just this shipment (its tracking number)."""
    if not isinstance(order, dict):
        raise MalformedPayload("saleor: a fulfilment event needs its 'order' object")
    return {**order, "fulfillments": [fulfilment] if isinstance(fulfilment, dict) else []}


def legacy_time(item: dict[str, Any]) -> datetime | None:
    meta = item.get("meta")
    meta_issued = meta.get("issued_at") if isinstance(meta, dict) else None
    return parse_time(meta_issued or item.get("issued_at") or item.get("updated_at"))


def flatten_variant(variant: dict[str, Any]) -> dict[str, Any]:
    """A variant event concerns its product: key it by the product, keep the variant's stock."""
    product = variant.get("product")
    if not isinstance(product, dict):
        product = {}
    return {
        **variant,
        "id": product.get("id") or variant.get("id"),
        "name": product.get("name") or variant.get("name"),
        "variants": [variant],
    }


def normalize_saleor(event_name: str, raw: bytes, body: Any) -> Normalized:
    name = event_name.lower()
    dedupe = hashlib.sha256(name.encode() + b"\n" + raw).hexdigest()
    mapping = SALEOR.get(name)
    if mapping is None:
        return Normalized(None, f"saleor:{name}", None, {}, dedupe, name)
    item, issued = saleor_object(body, mapping.kind)
    check_saleor_claim(name, body, item)
    payload = mapping.fields(item)
    if mapping.canonical == "stock.out":
        payload.setdefault("stock", 0)
    occurred = issued or parse_time(item.get("updatedAt") or item.get("created"))
    object_id = payload.get("order_id" if mapping.kind == "fulfillment" else f"{mapping.kind}_id")
    object_id = object_id or item.get("id")
    return Normalized(
        mapping.canonical,
        _entity(mapping.kind, object_id),
        occurred,
        payload,
        dedupe,
        name,
        sent_at=saleor_issued_at(body),
    )


def normalize_shopify(topic: str, raw: bytes, body: Any) -> Normalized:
    """Shopify's `X-Shopify-Webhook-Id` is unsigned, so a delivery is known by what is signed:
    the body, under the topic it claims (checked against the body)."""
    dedupe = hashlib.sha256(topic.encode() + b"\n" + raw).hexdigest()
    mapping = SHOPIFY.get(topic)
    if mapping is None:
        return Normalized(None, f"shopify:{topic}", None, {}, dedupe, topic)
    item = _object(body, "shopify")
    check_shopify_claim(topic, item)
    payload = mapping.fields(item)
    if topic == "inventory_levels/update" and item.get("available") == 0:
        mapping = SourceRoute("stock.out", mapping.kind, mapping.fields)
    object_id = item.get("inventory_item_id") if mapping.kind == "inventory_item" else None
    if topic in ("refunds/create", "fulfillments/create"):
        object_id = item.get("order_id")
    occurred = parse_time(item.get("updated_at") or item.get("created_at"))
    return Normalized(
        mapping.canonical,
        _entity(mapping.kind, object_id or item.get("id")),
        occurred,
        payload,
        dedupe,
        topic,
    )


def normalize_stripe(body: Any) -> Normalized:
    event = _object(body, "stripe")
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not isinstance(event_type, str):
        raise MalformedPayload("stripe: an event needs string 'id' and 'type'")
    mapping = STRIPE.get(event_type)
    created = event.get("created")
    occurred = datetime.fromtimestamp(created, UTC) if isinstance(created, int) else None
    if mapping is None:
        return Normalized(None, f"stripe:{event_type}", occurred, {}, event_id, event_type)
    data = event.get("data")
    item = _object(data.get("object") if isinstance(data, dict) else None, "stripe data.object")
    # A dispute joins its charge's history: key it by the charge it disputes.
    object_id = item.get("id")
    if event_type == "charge.dispute.created":
        charge = item.get("charge")
        object_id = charge.get("id") if isinstance(charge, dict) else charge
    return Normalized(
        mapping.canonical,
        _entity(mapping.kind, object_id),
        occurred,
        mapping.fields(item),
        event_id,
        event_type,
    )


def normalize_standard(source: str, webhook_id: str, timestamp: str, body: Any) -> Normalized:
    """Standard Webhooks senders send `{"type", "timestamp", "data"}` with canonical types."""
    event = _object(body, source)
    event_type = event.get("type")
    if not isinstance(event_type, str):
        raise MalformedPayload(f"{source}: the event needs a string 'type'")
    occurred = parse_time(event.get("timestamp")) or parse_time(timestamp)
    if not REGISTRY.accepts(event_type):
        return Normalized(None, f"{source}:{event_type}", occurred, {}, webhook_id, event_type)
    data = _object(event.get("data") or {}, f"{source} data")
    check_event_lines(event_type, data)
    kind = event_type.split(".", 1)[0]
    return Normalized(
        event_type,
        _entity(kind, data.get("id")),
        occurred,
        generic_fields(data),
        webhook_id,
        event_type,
    )
