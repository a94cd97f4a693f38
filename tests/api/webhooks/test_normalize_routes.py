"""The sources' events for the newly routed types: their names exist where the sources say,
their bodies normalize to the payload fields the registry routes by, and the signed body
must support the name they came with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.webhooks.claims import ClaimRefused
from api.webhooks.errors import MalformedPayload
from api.webhooks.normalize import (
    SALEOR,
    SHOPIFY,
    STRIPE,
    normalize_stripe,
    registered_types,
)
from graph.routing import REGISTRY
from tests.api.webhooks.test_normalize import (
    ORDER_ID,
    saleor,
    saleor_legacy_order,
    saleor_subscription_order,
    shopify,
    shopify_order,
    stripe_event,
)

SALEOR_EVENTS = Path(__file__).with_name("saleor_async_events.txt")


def saleor_async_events() -> set[str]:
    lines = SALEOR_EVENTS.read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_every_saleor_name_is_an_event_saleor_sends() -> None:
    known = saleor_async_events()

    assert len(known) > 100
    assert {name.upper() for name in SALEOR} <= known, {n.upper() for n in SALEOR} - known


def test_every_source_target_is_accepted_by_the_event_registry() -> None:
    for table in (SALEOR, SHOPIFY, STRIPE):
        assert {route.canonical for route in table.values()} <= REGISTRY.accepted_types
    assert {"order.updated", "fulfillment.created", "customer.updated"} <= registered_types()


# --- order.updated: the new state reaches the payload, so the registry can route it --------


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"isPaid": True, "chargeStatus": "FULL", "status": "UNFULFILLED"}, "paid"),
        ({"status": "CANCELED"}, "cancelled"),
        (
            {"status": "FULFILLED", "fulfillments": [{"trackingNumber": "1Z999"}]},
            "shipped",
        ),
        ({"status": "UNFULFILLED", "isPaid": False, "chargeStatus": "NONE"}, "open"),
    ],
)
def test_saleor_order_updated_carries_the_new_state(overrides: dict[str, Any], key: str) -> None:
    normalized = saleor("order_updated", saleor_subscription_order(**overrides))

    assert normalized.type == "order.updated"
    assert REGISTRY.key_of("order.updated", normalized.payload) == f"order.updated[{key}]"


def test_saleor_legacy_order_updated_reads_status_and_tracking() -> None:
    body = saleor_legacy_order(
        status="fulfilled", charge_status="full", fulfillments=[{"tracking_number": "TN-1"}]
    )

    payload = saleor("order_updated", body).payload

    assert (payload["status"], payload["paid"], payload["tracking"]) == (
        "fulfilled",
        True,
        ["TN-1"],
    )


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"financial_status": "paid"}, "paid"),
        ({"cancelled_at": "2026-03-02T10:00:00-05:00"}, "cancelled"),
        (
            {
                "fulfillment_status": "fulfilled",
                "fulfillments": [{"tracking_numbers": ["9400111"], "tracking_number": "9400111"}],
            },
            "shipped",
        ),
        ({"financial_status": "pending"}, "open"),
    ],
)
def test_shopify_orders_updated_carries_the_new_state(overrides: dict[str, Any], key: str) -> None:
    normalized = shopify("orders/updated", shopify_order(**overrides))

    assert normalized.type == "order.updated"
    assert REGISTRY.key_of("order.updated", normalized.payload) == f"order.updated[{key}]"
    if key == "shipped":
        assert normalized.payload["tracking"] == ["9400111"]


# --- fulfilments and customers ------------------------------------------------------------


def test_saleor_fulfillment_created_is_the_orders_shipment() -> None:
    body = {
        "__typename": "FulfillmentCreated",
        "issuedAt": "2026-03-01T10:15:30+00:00",
        "fulfillment": {
            "id": "RnVsZmlsbG1lbnQ6MQ==",
            "status": "FULFILLED",
            "trackingNumber": "1Z9",
        },
        "order": saleor_subscription_order(status="PARTIALLY_FULFILLED")["order"],
        "notifyCustomer": True,
    }

    normalized = saleor("fulfillment_created", body)

    assert normalized.type == "fulfillment.created"
    assert normalized.entity == f"order:{ORDER_ID}"
    assert normalized.payload["order_id"] == ORDER_ID
    assert normalized.payload["tracking"] == ["1Z9"]


def test_saleor_legacy_fulfillment_created_reads_its_order() -> None:
    order = saleor_legacy_order()[0]
    body = [{"type": "Fulfillment", "tracking_number": "TN-7", "order": order}]

    normalized = saleor("fulfillment_created", body)

    assert (normalized.type, normalized.entity) == ("fulfillment.created", f"order:{ORDER_ID}")
    assert normalized.payload["tracking"] == ["TN-7"]


def test_saleor_fulfillment_of_a_cancelled_order_is_refused() -> None:
    order = saleor_legacy_order(status="canceled")[0]
    body = [{"type": "Fulfillment", "tracking_number": "TN-7", "order": order}]

    with pytest.raises(ClaimRefused, match="cannot be fulfillment_created"):
        saleor("fulfillment_created", body)


def test_saleor_legacy_body_of_another_record_is_refused_as_a_fulfilment() -> None:
    with pytest.raises(MalformedPayload, match="needs its 'order' object"):
        saleor("fulfillment_created", saleor_legacy_order())
    stock = [{"type": "Stock", "order": saleor_legacy_order()[0]}]
    with pytest.raises(ClaimRefused, match="holds a Stock"):
        saleor("fulfillment_created", stock)


def test_saleor_customer_updated() -> None:
    body = {"user": {"id": "VXNlcjoyMQ==", "email": "ada@example.com", "firstName": "Ada"}}

    normalized = saleor("customer_updated", body)

    assert (normalized.type, normalized.entity) == ("customer.updated", "customer:VXNlcjoyMQ==")
    assert normalized.payload["email"] == "ada@example.com"


def shopify_fulfilment(**overrides: Any) -> dict[str, Any]:
    return {
        "id": 255858046,
        "order_id": 820982911946154508,
        "status": "success",
        "created_at": "2026-03-02T09:00:00-05:00",
        "tracking_company": "UPS",
        "tracking_number": "1Z2345",
        "tracking_numbers": ["1Z2345"],
        "line_items": [{"id": 466157049, "sku": "TR-42", "quantity": 1}],
        **overrides,
    }


def test_shopify_fulfillments_create_is_keyed_by_its_order() -> None:
    normalized = shopify("fulfillments/create", shopify_fulfilment())

    assert normalized.type == "fulfillment.created"
    assert normalized.entity == "order:820982911946154508"
    assert normalized.payload == {
        "order_id": "820982911946154508",
        "fulfilment_id": 255858046,
        "status": "success",
        "tracking": ["1Z2345"],
    }


def test_shopify_an_order_body_is_not_a_fulfilment() -> None:
    with pytest.raises(
        ClaimRefused, match="is an order, but fulfillments/create sends a fulfillment"
    ):
        shopify("fulfillments/create", shopify_order())


def test_shopify_a_cancelled_fulfilment_is_not_created() -> None:
    with pytest.raises(ClaimRefused, match="cancelled fulfilment"):
        shopify("fulfillments/create", shopify_fulfilment(status="cancelled"))


def test_shopify_a_fulfilment_body_is_not_an_order() -> None:
    with pytest.raises(ClaimRefused, match="is a fulfillment"):
        shopify("orders/updated", shopify_fulfilment())


def test_shopify_customers_update() -> None:
    body = {"id": 706405506930370084, "email": "bob@example.com", "first_name": "Bob"}

    normalized = shopify("customers/update", body)

    assert (normalized.type, normalized.entity) == (
        "customer.updated",
        "customer:706405506930370084",
    )


# --- Stripe: disputes name their order, subscriptions their plan and renewal ----------------


def test_stripe_dispute_names_the_order_from_metadata() -> None:
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "amount": 5485,
        "currency": "usd",
        "charge": "ch_1",
        "reason": "product_not_received",
        "status": "needs_response",
        "metadata": {"order_id": "#W5065081"},
    }

    normalized = normalize_stripe(stripe_event("charge.dispute.created", dispute))

    assert (normalized.type, normalized.entity) == ("dispute.created", "charge:ch_1")
    assert normalized.payload == {
        "id": "dp_1",
        "amount": 54.85,
        "currency": "USD",
        "status": "needs_response",
        "charge": "ch_1",
        "reason": "product_not_received",
        "order_id": "#W5065081",
    }


def test_stripe_dispute_with_an_expanded_charge_reads_its_metadata() -> None:
    dispute = {
        "id": "dp_2",
        "amount": 100,
        "currency": "usd",
        "charge": {"id": "ch_2", "metadata": {"order_id": "1042"}},
    }

    normalized = normalize_stripe(stripe_event("charge.dispute.created", dispute))

    assert normalized.entity == "charge:ch_2"
    assert (normalized.payload["charge"], normalized.payload["order_id"]) == ("ch_2", "1042")


def test_stripe_subscription_reads_plan_price_and_renewal() -> None:
    subscription = {
        "id": "sub_1",
        "object": "subscription",
        "customer": "cus_1",
        "status": "active",
        "cancel_at_period_end": True,
        "items": {
            "data": [
                {
                    "current_period_end": 1_798_761_600,
                    "price": {
                        "id": "price_1",
                        "nickname": "pro_monthly",
                        "unit_amount": 4900,
                        "currency": "usd",
                    },
                }
            ]
        },
    }

    normalized = normalize_stripe(stripe_event("customer.subscription.updated", subscription))

    assert normalized.payload == {
        "id": "sub_1",
        "customer": "cus_1",
        "status": "active",
        "plan": "pro_monthly",
        "amount": 49.0,
        "currency": "USD",
        "period_end": "2027-01-01T00:00:00+00:00",
        "cancel_at_period_end": True,
    }
    key = REGISTRY.key_of("subscription.updated", normalized.payload)
    assert key == "subscription.updated[cancelling]"
