"""The registry and the four normalizers: canonical type, entity key, dedupe key, occurred-at."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from api.webhooks.errors import MalformedPayload
from api.webhooks.normalize import (
    SALEOR,
    SHOPIFY,
    STRIPE,
    Normalized,
    SourceRoute,
    normalize_saleor,
    normalize_shopify,
    normalize_standard,
    normalize_stripe,
    registered_types,
)
from graph.routing import REGISTRY

ACCEPTED = REGISTRY.accepted_types

ORDER_ID = "T3JkZXI6ZjI5ZDQ5YjItMWY2Mi00ZmIyLWE2ZWEtZjE5MjNiNzQ1ZjQ0"
PRODUCT_ID = "UHJvZHVjdDo3Mg=="
VARIANT_ID = "UHJvZHVjdFZhcmlhbnQ6MjAz"
NEW_YEAR_2026 = 1_767_225_600  # 2026-01-01T00:00:00Z


def saleor(event: str, body: Any) -> Normalized:
    return normalize_saleor(event, json.dumps(body).encode(), body)


def shopify(topic: str, body: Any) -> Normalized:
    return normalize_shopify(topic, json.dumps(body).encode(), body)


def body_hash(name: str, body: Any) -> str:
    return hashlib.sha256(name.encode() + b"\n" + json.dumps(body).encode()).hexdigest()


# --- the registry -------------------------------------------------------------------------


TABLES: dict[str, Mapping[str, SourceRoute]] = {
    "saleor": SALEOR,
    "shopify": SHOPIFY,
    "stripe": STRIPE,
}

REQUIRED_MAPPINGS = [
    ("saleor", "order_created", "order.created"),
    ("saleor", "order_updated", "order.updated"),
    ("saleor", "order_fully_paid", "order.paid"),
    ("saleor", "order_cancelled", "order.cancelled"),
    ("saleor", "order_fulfilled", "order.fulfilled"),
    ("saleor", "product_created", "product.created"),
    ("saleor", "product_updated", "product.updated"),
    ("saleor", "product_variant_out_of_stock", "stock.out"),
    ("saleor", "customer_created", "customer.created"),
    ("saleor", "invoice_requested", "invoice.requested"),
    ("shopify", "orders/create", "order.created"),
    ("shopify", "orders/paid", "order.paid"),
    ("shopify", "orders/cancelled", "order.cancelled"),
    ("shopify", "products/create", "product.created"),
    ("shopify", "products/update", "product.updated"),
    ("shopify", "inventory_levels/update", "stock.updated"),
    ("shopify", "customers/create", "customer.created"),
    ("shopify", "refunds/create", "refund.created"),
    ("stripe", "invoice.payment_failed", "payment.failed"),
    ("stripe", "invoice.paid", "invoice.paid"),
    ("stripe", "charge.refunded", "refund.created"),
    ("stripe", "charge.dispute.created", "dispute.created"),
    ("stripe", "customer.subscription.created", "subscription.created"),
    ("stripe", "customer.subscription.updated", "subscription.updated"),
    ("stripe", "customer.subscription.deleted", "subscription.deleted"),
]


@pytest.mark.parametrize(("source", "table"), TABLES.items())
def test_every_registry_target_is_a_canonical_type(
    source: str, table: Mapping[str, SourceRoute]
) -> None:
    strays = {name: r.canonical for name, r in table.items() if r.canonical not in ACCEPTED}

    assert not strays, f"{source} maps to non-canonical types: {strays}"


@pytest.mark.parametrize(("source", "event", "canonical"), REQUIRED_MAPPINGS)
def test_required_mapping_exists(source: str, event: str, canonical: str) -> None:
    assert event in TABLES[source], f"{source} does not route {event!r}"
    assert TABLES[source][event].canonical == canonical


def test_every_canonical_type_has_a_source() -> None:
    """Registered sources cover all canonical types; the rest arrive directly (Standard)."""
    direct = {"lead.created", "content.requested", "support.requested", "dead_letter.detected"}

    assert registered_types() <= ACCEPTED
    assert direct <= ACCEPTED
    assert registered_types() | direct == ACCEPTED


def test_saleor_event_names_are_registered_lowercase() -> None:
    """`normalize_saleor` lowercases the header before the look-up."""
    assert all(name == name.lower() for name in SALEOR)


# --- Saleor -------------------------------------------------------------------------------


def saleor_legacy_order(**overrides: Any) -> list[dict[str, Any]]:
    order = {
        "type": "Order",
        "id": ORDER_ID,
        "token": "f29d49b2-1f62-4fb2-a6ea-f1923b745f44",
        "created": "2026-03-01T10:15:00.000000+00:00",
        "status": "unfulfilled",
        "user_email": "ada@example.com",
        "total_gross_amount": "199.00",
        "total_net_amount": "161.79",
        "currency": "USD",
        "billing_address": {"first_name": "Ada", "city": "Boston", "country": "US"},
        "shipping_address": {"first_name": "Ada", "city": "Boston", "country": "US"},
        "lines": [
            {
                "type": "OrderLine",
                "id": "T3JkZXJMaW5lOjE=",
                "product_name": "Trail Runner",
                "product_sku": "TR-42",
                "quantity": 2,
                "unit_price_gross_amount": "99.50",
                "currency": "USD",
            }
        ],
        **overrides,
    }
    return [order]


def saleor_subscription_order(**overrides: Any) -> dict[str, Any]:
    order = {
        "id": ORDER_ID,
        "number": "1042",
        "created": "2026-03-01T10:15:00.000000+00:00",
        "userEmail": "ada@example.com",
        "user": {"id": "VXNlcjoyMQ==", "email": "ada@example.com"},
        "total": {
            "gross": {"amount": 199.0, "currency": "USD"},
            "net": {"amount": 161.79, "currency": "USD"},
        },
        "lines": [
            {
                "productSku": "TR-42",
                "productName": "Trail Runner",
                "quantity": 2,
                "unitPrice": {"gross": {"amount": 99.5, "currency": "USD"}},
            }
        ],
        "billingAddress": {"city": "Boston", "country": {"code": "US", "country": "United States"}},
        "shippingAddress": {"city": "Boston", "country": {"code": "US"}},
        **overrides,
    }
    return {"issuedAt": "2026-03-01T10:15:30.123456+00:00", "version": "3.20.0", "order": order}


KEY_ORDER_FIELDS = ("order_id", "total", "currency", "email", "lines", "billing_address")


@pytest.mark.parametrize(
    ("event", "canonical"),
    [
        ("order_created", "order.created"),
        ("order_updated", "order.updated"),
        ("order_fully_paid", "order.paid"),
        ("order_cancelled", "order.cancelled"),
        ("order_fulfilled", "order.fulfilled"),
    ],
)
def test_saleor_legacy_and_subscription_orders_agree(event: str, canonical: str) -> None:
    status = {"order_cancelled": "canceled", "order_fulfilled": "fulfilled"}.get(event)
    legacy = saleor(event, saleor_legacy_order(**({"status": status} if status else {})))
    subscription = saleor(
        event, saleor_subscription_order(**({"status": status.upper()} if status else {}))
    )

    assert legacy.type == subscription.type == canonical
    assert legacy.entity == subscription.entity == f"order:{ORDER_ID}"
    assert legacy.source_event == subscription.source_event == event
    assert {k: legacy.payload[k] for k in KEY_ORDER_FIELDS} == {
        k: subscription.payload[k] for k in KEY_ORDER_FIELDS
    }
    assert subscription.payload["total"] == 199.0
    assert subscription.payload["currency"] == "USD"
    assert subscription.payload["email"] == "ada@example.com"
    assert subscription.payload["billing_address"] == {"country": "US"}
    assert subscription.payload["lines"] == [
        {"sku": "TR-42", "name": "Trail Runner", "quantity": 2, "unit_price": 99.5}
    ]


def test_saleor_subscription_occurred_at_is_issued_at() -> None:
    normalized = saleor("order_created", saleor_subscription_order())

    assert normalized.occurred_at == datetime(2026, 3, 1, 10, 15, 30, 123456, tzinfo=UTC)


def test_saleor_legacy_occurred_at_is_aware() -> None:
    normalized = saleor("order_created", saleor_legacy_order())

    assert normalized.occurred_at is not None
    assert normalized.occurred_at.utcoffset() is not None


def test_saleor_event_header_case_does_not_matter() -> None:
    raw = json.dumps(saleor_subscription_order()).encode()
    upper = normalize_saleor("ORDER_CREATED", raw, json.loads(raw))
    lower = normalize_saleor("order_created", raw, json.loads(raw))

    assert upper == lower
    assert upper.type == "order.created"


def test_saleor_invoice_requested_keys_the_order() -> None:
    body = saleor_subscription_order()
    body["invoice"] = {"id": "SW52b2ljZTox", "number": None}

    normalized = saleor("invoice_requested", body)

    assert normalized.type == "invoice.requested"
    assert normalized.entity == f"order:{ORDER_ID}"


def test_saleor_legacy_invoice_requested_keys_the_order() -> None:
    legacy = [
        {
            "type": "Invoice",
            "id": "SW52b2ljZTox",
            "number": "INV-7",
            "created": "2026-03-01T10:15:00+00:00",
            "order": saleor_legacy_order()[0],
        }
    ]

    assert saleor("invoice_requested", legacy).entity == f"order:{ORDER_ID}"


def out_of_stock_body() -> dict[str, Any]:
    return {
        "issuedAt": "2026-03-02T08:00:00+00:00",
        "productVariant": {
            "id": VARIANT_ID,
            "sku": "TR-42-BLK-10",
            "name": "Black / 10",
            "stocks": [{"warehouse": {"id": "V2FyZWhvdXNlOjE="}, "quantity": 0}],
            "product": {"id": PRODUCT_ID, "name": "Trail Runner"},
        },
        "warehouse": {"id": "V2FyZWhvdXNlOjE="},
    }


def test_saleor_variant_out_of_stock_keys_the_product() -> None:
    normalized = saleor("product_variant_out_of_stock", out_of_stock_body())

    assert normalized.type == "stock.out"
    assert normalized.entity == f"product:{PRODUCT_ID}"
    assert normalized.payload["product_id"] == PRODUCT_ID
    assert normalized.payload["name"] == "Trail Runner"
    assert normalized.payload["sku"] == "TR-42-BLK-10"
    assert normalized.payload["stock"] == 0
    assert normalized.occurred_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_saleor_variant_back_in_stock_sums_warehouses() -> None:
    body = out_of_stock_body()
    body["productVariant"]["stocks"] = [{"quantity": 3}, {"quantity": 4}]

    normalized = saleor("product_variant_back_in_stock", body)

    assert normalized.type == "stock.updated"
    assert normalized.entity == f"product:{PRODUCT_ID}"
    assert normalized.payload["stock"] == 7


def test_saleor_legacy_variant_out_of_stock_keys_the_product() -> None:
    legacy = [
        {
            "type": "Stock",
            "id": "U3RvY2s6MTE=",
            "product_id": PRODUCT_ID,
            "product_variant_id": VARIANT_ID,
            "warehouse_id": "V2FyZWhvdXNlOjE=",
            "product_slug": "trail-runner",
        }
    ]

    assert saleor("product_variant_out_of_stock", legacy).entity == f"product:{PRODUCT_ID}"


def test_saleor_product_created() -> None:
    body = {
        "issuedAt": "2026-03-02T08:00:00+00:00",
        "product": {
            "id": PRODUCT_ID,
            "name": "Trail Runner",
            "variants": [{"id": VARIANT_ID, "sku": "TR-42-BLK-10", "stocks": [{"quantity": 5}]}],
        },
    }

    normalized = saleor("product_created", body)

    assert normalized.type == "product.created"
    assert normalized.entity == f"product:{PRODUCT_ID}"
    assert normalized.payload["stock"] == 5


def test_saleor_customer_created_subscription_shape() -> None:
    body = {
        "issuedAt": "2026-03-02T08:00:00+00:00",
        "user": {"id": "VXNlcjoyMQ==", "email": "ada@example.com", "firstName": "Ada"},
    }

    normalized = saleor("customer_created", body)

    assert normalized.entity == "customer:VXNlcjoyMQ=="


def test_saleor_customer_created_legacy_shape() -> None:
    body = [{"type": "User", "id": "VXNlcjoyMQ==", "email": "ada@example.com"}]

    normalized = saleor("customer_created", body)

    assert normalized.type == "customer.created"
    assert normalized.entity == "customer:VXNlcjoyMQ=="
    assert normalized.payload["email"] == "ada@example.com"


def test_saleor_dedupe_key_is_a_hash_of_event_name_and_body() -> None:
    raw = json.dumps(saleor_subscription_order()).encode()
    body = json.loads(raw)

    created = normalize_saleor("order_created", raw, body)
    again = normalize_saleor("order_created", raw, body)
    updated = normalize_saleor("order_updated", raw, body)
    other_body = saleor("order_created", saleor_subscription_order(number="1043"))

    assert created.dedupe_key == again.dedupe_key
    assert created.dedupe_key != updated.dedupe_key
    assert created.dedupe_key != other_body.dedupe_key
    assert created.dedupe_key != hashlib.sha256(raw).hexdigest()
    assert len(created.dedupe_key) == 64
    int(created.dedupe_key, 16)


def test_saleor_unknown_event_is_ignored_without_reading_the_body() -> None:
    normalized = normalize_saleor("checkout_created", b"[1, 2]", [1, 2])

    assert normalized.type is None
    assert normalized.payload == {}
    assert normalized.source_event == "checkout_created"
    assert len(normalized.dedupe_key) == 64


@pytest.mark.parametrize(
    "body",
    [
        [],
        [1],
        ["order"],
        "order",
        42,
        None,
        {},
        {"order": None},
        {"order": [saleor_legacy_order()[0]]},
        {"productVariant": {"id": VARIANT_ID}},
    ],
    ids=repr,
)
def test_saleor_malformed_shapes_are_rejected(body: Any) -> None:
    with pytest.raises(MalformedPayload):
        saleor("order_created", body)


@pytest.mark.parametrize(
    "body",
    [
        [{"type": "Order", "user_email": "ada@example.com", "total_gross_amount": "1.00"}],
        {"order": {"userEmail": "ada@example.com", "total": {"gross": {"amount": 1.0}}}},
        {"order": {"id": "", "userEmail": "ada@example.com"}},
        {"order": {"id": None}},
    ],
    ids=["legacy", "subscription", "empty id", "null id"],
)
def test_saleor_order_without_id_is_rejected(body: Any) -> None:
    with pytest.raises(MalformedPayload, match="no order id"):
        saleor("order_created", body)


# --- Shopify ------------------------------------------------------------------------------


def shopify_order(**overrides: Any) -> dict[str, Any]:
    return {
        "id": 820982911946154508,
        "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
        "name": "#1001",
        "email": "jon@example.com",
        "created_at": "2026-03-01T10:15:00-05:00",
        "updated_at": "2026-03-01T10:20:00-05:00",
        "total_price": "199.00",
        "subtotal_price": "189.00",
        "currency": "USD",
        "financial_status": "paid",
        "note": None,
        "payment_gateway_names": ["shopify_payments"],
        "line_items": [
            {
                "id": 866550311766439020,
                "sku": "TR-42",
                "title": "Trail Runner",
                "quantity": 2,
                "price": "99.50",
            }
        ],
        "billing_address": {"city": "Ottawa", "country": "Canada", "country_code": "CA"},
        "shipping_address": {"city": "Boston", "country": "United States", "country_code": "US"},
        "customer": {"id": 115310627314723954, "email": "jon@example.com", "orders_count": 3},
        **overrides,
    }


@pytest.mark.parametrize(
    ("topic", "canonical"), [("orders/create", "order.created"), ("orders/paid", "order.paid")]
)
def test_shopify_order(topic: str, canonical: str) -> None:
    normalized = shopify(topic, shopify_order())

    assert normalized.type == canonical
    assert normalized.entity == "order:820982911946154508"
    assert normalized.dedupe_key == body_hash(topic, shopify_order())
    assert normalized.source_event == topic
    assert normalized.occurred_at == datetime(2026, 3, 1, 15, 20, tzinfo=UTC)
    assert normalized.payload == {
        "order_id": "820982911946154508",
        "number": "#1001",
        "total": 199.0,
        "currency": "USD",
        "email": "jon@example.com",
        "customer": {"id": 115310627314723954, "email": "jon@example.com", "order_count": 3},
        "billing_address": {"country": "CA"},
        "shipping_address": {"country": "US"},
        "payment_method": "shopify_payments",
        "paid": True,
        "payment_status": "paid",
        "lines": [{"sku": "TR-42", "name": "Trail Runner", "quantity": 2, "unit_price": 99.5}],
    }


def test_shopify_occurred_at_falls_back_to_created_at() -> None:
    normalized = shopify("orders/create", shopify_order(updated_at=None))

    assert normalized.occurred_at == datetime(2026, 3, 1, 15, 15, tzinfo=UTC)


def inventory_level(available: int | None) -> dict[str, Any]:
    return {
        "inventory_item_id": 271878346596884015,
        "location_id": 24826418,
        "available": available,
        "updated_at": "2026-03-02T09:00:00-05:00",
        "admin_graphql_api_id": "gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015",
    }


@pytest.mark.parametrize(
    ("available", "canonical"),
    [(0, "stock.out"), (7, "stock.updated"), (None, "stock.updated")],
)
def test_shopify_inventory_level(available: int | None, canonical: str) -> None:
    normalized = shopify("inventory_levels/update", inventory_level(available))

    assert normalized.type == canonical
    assert normalized.entity == "inventory_item:271878346596884015"
    assert normalized.occurred_at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def test_shopify_out_of_stock_does_not_rewrite_the_registry() -> None:
    shopify("inventory_levels/update", inventory_level(0))
    later = shopify("inventory_levels/update", inventory_level(4))

    assert later.type == "stock.updated"
    assert SHOPIFY["inventory_levels/update"].canonical == "stock.updated"


def test_shopify_inventory_level_reports_stock() -> None:
    normalized = shopify("inventory_levels/update", inventory_level(7))

    assert normalized.payload["stock"] == 7


def test_shopify_out_of_stock_reports_zero_stock() -> None:
    normalized = shopify("inventory_levels/update", inventory_level(0))

    assert normalized.payload["stock"] == 0


def test_shopify_refund_keys_the_order() -> None:
    refund = {
        "id": 509562969,
        "order_id": 450789469,
        "created_at": "2026-03-03T12:00:00-05:00",
        "note": "wrong size",
        "refund_line_items": [{"line_item_id": 466157049, "quantity": 1}],
        "transactions": [{"amount": "99.50", "currency": "USD", "kind": "refund"}],
    }

    normalized = shopify("refunds/create", refund)

    assert normalized.type == "refund.created"
    assert normalized.entity == "order:450789469"
    assert normalized.payload == refund


def test_shopify_product_and_customer() -> None:
    product = {
        "id": 632910392,
        "title": "IPod Nano - 8GB",
        "vendor": "Apple",
        "updated_at": "2026-03-01T10:00:00-05:00",
        "variants": [
            {"id": 808950810, "sku": "IPOD2008PINK", "price": "199.00", "inventory_quantity": 10}
        ],
    }
    customer = {
        "id": 706405506,
        "email": "bob@example.com",
        "first_name": "Bob",
        "last_name": "Norman",
    }

    created = shopify("products/create", product)
    joined = shopify("customers/create", customer)

    assert (created.type, created.entity) == ("product.created", "product:632910392")
    assert created.payload["sku"] == "IPOD2008PINK"
    assert created.payload["price"] == 199.0
    assert created.payload["stock"] == 10
    assert (joined.type, joined.entity) == ("customer.created", "customer:706405506")
    assert joined.payload["first_name"] == "Bob"


def test_shopify_unknown_topic_is_ignored() -> None:
    normalized = shopify("carts/create", "not even an object")

    assert normalized.type is None
    assert normalized.dedupe_key == body_hash("carts/create", "not even an object")
    assert normalized.payload == {}


@pytest.mark.parametrize("body", [[shopify_order()], "order", None, 7], ids=repr)
def test_shopify_non_object_body_is_rejected(body: Any) -> None:
    with pytest.raises(MalformedPayload, match="expected a JSON object"):
        shopify("orders/create", body)


def test_shopify_order_without_id_is_rejected() -> None:
    with pytest.raises(MalformedPayload, match="no order id"):
        shopify("orders/create", shopify_order(id=None))


# --- Stripe -------------------------------------------------------------------------------


def stripe_event(event_type: str, obj: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {
        "id": "evt_1NG8Du2eZvKYlo2CUI79vXWy",
        "object": "event",
        "api_version": "2024-06-20",
        "created": NEW_YEAR_2026,
        "livemode": False,
        "type": event_type,
        "data": {"object": obj},
        **overrides,
    }


def test_stripe_invoice_payment_failed() -> None:
    invoice = {
        "id": "in_1MtHbELkdIwHu7ixl4OzzPMv",
        "object": "invoice",
        "customer": "cus_NeZwdNtLEOXuvB",
        "amount_due": 4999,
        "currency": "usd",
        "status": "open",
        "attempt_count": 2,
        "charge": "ch_3MtHbELkdIwHu7ix0snN0B15",
    }

    normalized = normalize_stripe(stripe_event("invoice.payment_failed", invoice))

    assert normalized.type == "payment.failed"
    assert normalized.entity == "invoice:in_1MtHbELkdIwHu7ixl4OzzPMv"
    assert normalized.dedupe_key == "evt_1NG8Du2eZvKYlo2CUI79vXWy"
    assert normalized.source_event == "invoice.payment_failed"
    assert normalized.occurred_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert normalized.payload == {
        "id": "in_1MtHbELkdIwHu7ixl4OzzPMv",
        "customer": "cus_NeZwdNtLEOXuvB",
        "amount": 49.99,
        "currency": "USD",
        "status": "open",
        "attempt_count": 2,
        "charge": "ch_3MtHbELkdIwHu7ix0snN0B15",
    }


def test_stripe_charge_refunded_reports_the_refunded_amount() -> None:
    charge = {"id": "ch_1", "amount": 5000, "amount_refunded": 2500, "currency": "eur"}

    normalized = normalize_stripe(stripe_event("charge.refunded", charge))

    assert (normalized.type, normalized.entity) == ("refund.created", "charge:ch_1")
    assert normalized.payload["amount"] == 25.0
    assert normalized.payload["currency"] == "EUR"


@pytest.mark.parametrize(
    "event_type",
    [
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ],
)
def test_stripe_subscription_events(event_type: str) -> None:
    subscription = {"id": "sub_1", "customer": "cus_1", "status": "active"}

    normalized = normalize_stripe(stripe_event(event_type, subscription))

    assert normalized.type == "subscription." + event_type.rsplit(".", 1)[1]
    assert normalized.entity == "subscription:sub_1"
    assert "amount" not in normalized.payload


def test_stripe_dispute_is_keyed_consistently() -> None:
    dispute = {"id": "dp_1", "charge": "ch_1", "amount": 1000, "currency": "usd"}

    normalized = normalize_stripe(stripe_event("charge.dispute.created", dispute))

    assert normalized.type == "dispute.created"
    assert normalized.entity in {"charge:ch_1", "dispute:dp_1"}


def test_stripe_unknown_type_is_ignored_but_keeps_its_dedupe_key() -> None:
    normalized = normalize_stripe(stripe_event("customer.created", {"id": "cus_1"}))

    assert normalized.type is None
    assert normalized.dedupe_key == "evt_1NG8Du2eZvKYlo2CUI79vXWy"
    assert normalized.source_event == "customer.created"
    assert normalized.payload == {}


def test_stripe_occurred_at_is_none_without_created() -> None:
    event = stripe_event("invoice.paid", {"id": "in_1"})
    del event["created"]

    assert normalize_stripe(event).occurred_at is None


@pytest.mark.parametrize(
    "event",
    [
        stripe_event("invoice.paid", {"id": "in_1"}, id=None),
        stripe_event("invoice.paid", {"id": "in_1"}, type=None),
        {"type": "invoice.paid", "data": {"object": {"id": "in_1"}}},
        {"id": "evt_1", "data": {"object": {"id": "in_1"}}},
        stripe_event("invoice.paid", {"id": "in_1"}, id=123),
    ],
    ids=["null id", "null type", "no id", "no type", "int id"],
)
def test_stripe_event_needs_id_and_type(event: dict[str, Any]) -> None:
    with pytest.raises(MalformedPayload, match="'id' and 'type'"):
        normalize_stripe(event)


@pytest.mark.parametrize(
    "event",
    [
        [stripe_event("invoice.paid", {"id": "in_1"})],
        stripe_event("invoice.paid", {}),
        {**stripe_event("invoice.paid", {}), "data": {}},
        {**stripe_event("invoice.paid", {}), "data": {"object": ["in_1"]}},
        {**stripe_event("invoice.paid", {}), "data": "in_1"},
    ],
    ids=["array", "no object id", "no object", "array object", "string data"],
)
def test_stripe_malformed_shapes_are_rejected(event: Any) -> None:
    with pytest.raises(MalformedPayload):
        normalize_stripe(event)


# --- Standard Webhooks --------------------------------------------------------------------


MSG_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"


@pytest.mark.parametrize(
    ("event_type", "kind"), [("lead.created", "lead"), ("content.requested", "content")]
)
def test_standard_sends_canonical_types_directly(event_type: str, kind: str) -> None:
    data = {"id": "L-77", "email": "kim@example.com", "nested": {"score": 0.8}}
    body = {"type": event_type, "timestamp": "2026-03-04T12:00:00Z", "data": data}

    normalized = normalize_standard("crm", MSG_ID, str(NEW_YEAR_2026), body)

    assert normalized.type == event_type
    assert normalized.entity == f"{kind}:L-77"
    assert normalized.payload == data
    assert normalized.dedupe_key == MSG_ID
    assert normalized.source_event == event_type
    assert normalized.occurred_at == datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def test_standard_occurred_at_falls_back_to_the_header_timestamp() -> None:
    body = {"type": "lead.created", "data": {"id": "L-77"}}

    normalized = normalize_standard("crm", MSG_ID, str(NEW_YEAR_2026), body)

    assert normalized.occurred_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_standard_non_canonical_type_is_ignored() -> None:
    body = {"type": "lead.deleted", "data": {"id": "L-77"}}

    normalized = normalize_standard("crm", MSG_ID, str(NEW_YEAR_2026), body)

    assert normalized.type is None
    assert normalized.dedupe_key == MSG_ID
    assert normalized.source_event == "lead.deleted"
    assert normalized.payload == {}


@pytest.mark.parametrize(
    "body",
    [
        {"type": "lead.created", "data": {"email": "kim@example.com"}},
        {"type": "lead.created", "data": {"id": ""}},
        {"type": "lead.created", "data": None},
        {"type": "lead.created"},
        {"type": "lead.created", "data": ["L-77"]},
        {"data": {"id": "L-77"}},
        {"type": 7, "data": {"id": "L-77"}},
        [{"type": "lead.created", "data": {"id": "L-77"}}],
        "lead.created",
    ],
    ids=repr,
)
def test_standard_malformed_shapes_are_rejected(body: Any) -> None:
    with pytest.raises(MalformedPayload):
        normalize_standard("crm", MSG_ID, str(NEW_YEAR_2026), body)


def test_standard_absurd_body_timestamp_falls_back_to_the_header() -> None:
    body = {"type": "lead.created", "timestamp": 10**20, "data": {"id": "L-77"}}

    normalized = normalize_standard("crm", MSG_ID, str(NEW_YEAR_2026), body)

    assert normalized.occurred_at == datetime(2026, 1, 1, tzinfo=UTC)
