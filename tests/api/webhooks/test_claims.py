"""Unsigned event names must agree with the signed body; a body's own time bounds replays."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.webhooks.claims import (
    ClaimRefused,
    StaleDelivery,
    require_fresh,
    saleor_issued_at,
    saleor_typename,
)
from api.webhooks.errors import MalformedPayload
from api.webhooks.normalize import Normalized, normalize_saleor, normalize_shopify

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def saleor(event: str, body: Any) -> Normalized:
    return normalize_saleor(event, json.dumps(body).encode(), body)


def shopify(topic: str, body: Any) -> Normalized:
    return normalize_shopify(topic, json.dumps(body).encode(), body)


def saleor_order(**fields: Any) -> dict[str, Any]:
    order = {"id": "T3JkZXI6MQ==", "number": "1", "total": {"gross": {"amount": 10.0}}, **fields}
    return {"issuedAt": NOW.isoformat(), "order": order}


def shopify_order(**fields: Any) -> dict[str, Any]:
    return {
        "id": 450789469,
        "total_price": "19.00",
        "financial_status": "paid",
        "fulfillment_status": None,
        "cancelled_at": None,
        "line_items": [{"sku": "TR-42", "quantity": 1, "price": "19.00"}],
        **fields,
    }


def shopify_refund() -> dict[str, Any]:
    return {
        "id": 509562969,
        "order_id": 450789469,
        "refund_line_items": [],
        "transactions": [{"amount": "19.00", "kind": "refund"}],
    }


# --- Saleor -------------------------------------------------------------------------------


def test_saleor_typename_is_the_event_in_camel_case() -> None:
    assert saleor_typename("order_created") == "OrderCreated"
    assert saleor_typename("order_fully_paid") == "OrderFullyPaid"
    assert saleor_typename("product_variant_out_of_stock") == "ProductVariantOutOfStock"


@pytest.mark.parametrize(
    "body",
    [
        saleor_order(),
        saleor_order(status="UNFULFILLED"),
        [{"type": "Order", "id": "T3JkZXI6MQ==", "status": "unfulfilled"}],
    ],
    ids=["no status", "unfulfilled", "legacy unfulfilled"],
)
def test_an_order_that_is_not_cancelled_cannot_be_claimed_cancelled(body: Any) -> None:
    with pytest.raises(ClaimRefused, match=r"order_cancelled|not canceled"):
        saleor("order_cancelled", body)


@pytest.mark.parametrize(
    "body",
    [
        saleor_order(status="CANCELED"),
        [{"type": "Order", "id": "T3JkZXI6MQ==", "status": "canceled"}],
        {**saleor_order(), "__typename": "OrderCancelled"},
    ],
    ids=["status", "legacy status", "typename"],
)
def test_a_cancelled_order_is_accepted_as_cancelled(body: Any) -> None:
    assert saleor("order_cancelled", body).type == "order.cancelled"


def test_a_subscription_payload_naming_another_event_is_refused() -> None:
    created = {**saleor_order(status="CANCELED"), "__typename": "OrderCreated"}

    assert saleor("order_created", created).type == "order.created"
    with pytest.raises(ClaimRefused, match="OrderCreated event, not OrderCancelled"):
        saleor("order_cancelled", created)


@pytest.mark.parametrize("event", ["order_created", "order_fully_paid", "order_fulfilled"])
def test_a_cancelled_order_cannot_be_replayed_as_new_paid_or_fulfilled(event: str) -> None:
    with pytest.raises(ClaimRefused, match="canceled"):
        saleor(event, saleor_order(status="CANCELED"))


@pytest.mark.parametrize(
    "fields", [{"isPaid": False}, {"chargeStatus": "NONE"}, {"chargeStatus": "PARTIAL"}]
)
def test_an_unpaid_order_cannot_be_claimed_paid(fields: dict[str, Any]) -> None:
    with pytest.raises(ClaimRefused, match="not paid"):
        saleor("order_fully_paid", saleor_order(**fields))


def test_paid_and_updated_claims_pass_when_the_body_agrees() -> None:
    paid = saleor_order(status="UNFULFILLED", isPaid=True, chargeStatus="FULL")

    assert saleor("order_fully_paid", paid).type == "order.paid"
    assert saleor("order_updated", saleor_order(status="CANCELED")).type == "order.updated"


def test_a_legacy_record_of_another_kind_is_refused() -> None:
    product = [{"type": "Product", "id": "UHJvZHVjdDo3Mg==", "name": "Trail Runner"}]

    with pytest.raises(ClaimRefused, match="Product"):
        saleor("order_created", product)


# --- Shopify ------------------------------------------------------------------------------


def test_one_order_body_under_its_genuine_topics_gives_distinct_deliveries() -> None:
    body = shopify_order()
    normalized = {t: shopify(t, body) for t in ("orders/create", "orders/paid", "orders/updated")}

    assert [n.type for n in normalized.values()] == ["order.created", "order.paid", "order.updated"]
    assert len({n.dedupe_key for n in normalized.values()}) == 3
    assert shopify("orders/paid", body).dedupe_key == normalized["orders/paid"].dedupe_key


@pytest.mark.parametrize(
    ("topic", "body", "reason"),
    [
        ("orders/cancelled", shopify_order(), "cancelled_at"),
        ("orders/cancelled", shopify_refund(), "is a refund"),
        ("refunds/create", shopify_order(), "is an order"),
        ("orders/paid", shopify_order(financial_status="pending"), "pending, not paid"),
        ("orders/create", shopify_order(cancelled_at="2026-12-01T10:00:00Z"), "cancelled"),
        ("orders/fulfilled", shopify_order(fulfillment_status="partial"), "not fulfilled"),
        ("inventory_levels/update", {"id": 1, "variants": []}, "is a product"),
        ("products/update", {"id": 1, "title": "Nano"}, "no known record"),
    ],
    ids=[
        "uncancelled as cancelled",
        "refund as cancelled",
        "order as refund",
        "pending as paid",
        "cancelled as new",
        "partial as fulfilled",
        "product as stock",
        "no variants as product",
    ],
)
def test_a_topic_the_body_contradicts_is_refused(
    topic: str, body: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ClaimRefused, match=reason):
        shopify(topic, body)


def test_a_cancelled_order_and_a_refund_are_accepted_under_their_topics() -> None:
    cancelled = shopify_order(cancelled_at="2026-12-01T10:00:00Z", financial_status="refunded")

    assert shopify("orders/cancelled", cancelled).type == "order.cancelled"
    assert shopify("refunds/create", shopify_refund()).type == "refund.created"
    assert shopify("customers/create", {"id": 7, "email": "a@b.example"}).type == (
        "customer.created"
    )


# --- the body's own time ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"issuedAt": "2026-12-01T12:00:00+00:00", "order": {}},
        {"meta": {"issuedAt": "2026-12-01T12:00:00Z"}, "order": {}},
        [{"type": "Order", "meta": {"issued_at": "2026-12-01T12:00:00Z"}}],
    ],
    ids=["subscription", "subscription meta", "legacy meta"],
)
def test_saleor_issued_at_is_read_from_each_shape(body: Any) -> None:
    assert saleor_issued_at(body) == NOW


def test_saleor_issued_at_absent_is_none_and_garbled_is_refused() -> None:
    assert saleor_issued_at({"order": {"id": "1"}}) is None
    with pytest.raises(MalformedPayload, match="issuedAt"):
        saleor_issued_at({"issuedAt": "yesterday-ish", "order": {}})


def test_saleor_order_carries_its_issue_time_not_the_orders_age() -> None:
    body = saleor_order(created="2026-01-01T00:00:00+00:00")

    assert saleor("order_updated", body).sent_at == NOW


@pytest.mark.parametrize("offset_s", [0, 899, -899])
def test_a_body_within_the_window_is_fresh(offset_s: int) -> None:
    require_fresh(NOW - timedelta(seconds=offset_s), max_age_s=900, now=NOW)
    require_fresh(None, max_age_s=900, now=NOW)


@pytest.mark.parametrize(("offset_s", "when"), [(901, "before"), (-3600, "after")])
def test_a_body_outside_the_window_is_stale(offset_s: int, when: str) -> None:
    with pytest.raises(StaleDelivery, match=f"{abs(offset_s)} s {when} now"):
        require_fresh(NOW - timedelta(seconds=offset_s), max_age_s=900, now=NOW)
