"""The normalizer on bodies shaped by the shipped subscription documents, through the route.

Each body is generated from the event's document and the schema (`tests.fakes.saleor_payloads`),
signed as Saleor signs, and posted to `/webhooks/saleor`; the stored event must carry what the
tools need. A field the normalizer reads but a document forgot would be missing here.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from api.saleor_app.manifest import handled_events
from api.webhooks.normalize import SALEOR
from api.webhooks.signing import SaleorSigner
from runtime.settings import Settings
from tests.fakes.saleor_payloads import sample_payload

SIGNER = SaleorSigner(kid="documents")

# The order states each event implies (Saleor would not send the others).
ORDER_STATES: dict[str, dict[str, Any]] = {
    "order_created": {"order.status": "UNCONFIRMED"},
    "order_updated": {"order.status": "UNFULFILLED"},
    "order_paid": {
        "order.status": "UNFULFILLED",
        "order.isPaid": True,
        "order.chargeStatus": "FULL",
    },
    "order_fully_paid": {
        "order.status": "UNFULFILLED",
        "order.isPaid": True,
        "order.chargeStatus": "FULL",
    },
    "order_cancelled": {"order.status": "CANCELED"},
    "order_fulfilled": {"order.status": "FULFILLED"},
    "fulfillment_created": {"order.status": "PARTIALLY_FULFILLED"},
    "invoice_requested": {"order.status": "FULFILLED"},
    "product_variant_out_of_stock": {
        "productVariant.stocks.0.quantity": 0,
        "productVariant.stocks.1.quantity": 0,
    },
}


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("saleor-documents")
    return Settings(
        database_url=database_url,
        data_dir=folder,
        saleor_jwks_url=SIGNER.write_jwks(folder / "jwks.json"),
        pool_max_size=4,
    )


async def deliver(
    client: httpx.AsyncClient, headers: dict[str, str], event: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    body = sample_payload(event, overrides=ORDER_STATES.get(event))
    raw = json.dumps(body).encode()
    answer = await client.post("/webhooks/saleor", content=raw, headers=SIGNER.headers(event, raw))
    assert answer.status_code == 202, (event, answer.text)
    stored = await client.get(f"/events/{answer.json()['event_id']}", headers=headers)
    assert stored.status_code == 200
    return body, stored.json()


def events_of(*kinds: str, variants: bool = False) -> list[str]:
    """The handled Saleor events whose record is one of `kinds` (variant events apart)."""
    return [
        name
        for name in handled_events()
        if SALEOR[name].kind in kinds and name.startswith("product_variant_") == variants
    ]


def test_every_handled_event_is_delivered_below() -> None:
    covered = events_of("order", "fulfillment") + events_of("product", "customer")
    covered += events_of("product", variants=True)
    assert sorted(covered) == handled_events()
    assert len(handled_events()) == 14


@pytest.mark.parametrize("event", events_of("order", "fulfillment"))
async def test_order_events_carry_lines_totals_addresses_and_state(
    client: httpx.AsyncClient, operator_headers: dict[str, str], event: str
) -> None:
    body, stored = await deliver(client, operator_headers, event)
    order = body["order"]
    payload = stored["payload"]
    assert stored["type"] == SALEOR[event].canonical
    assert stored["entity"] == f"order:{order['id']}"
    assert payload["order_id"] == order["id"]
    assert payload["total"] == order["total"]["gross"]["amount"]
    assert payload["currency"] == "USD"
    assert payload["email"] == order["userEmail"]
    assert payload["customer"]["id"] == order["user"]["id"]
    assert payload["billing_address"] == {"country": "US"}
    assert payload["shipping_address"] == {"country": "US"}
    assert payload["status"] == order["status"].lower()
    assert payload["paid"] is order["isPaid"]
    assert payload["payment_status"] == order["chargeStatus"].lower()
    assert payload["lines"] == [
        {
            "sku": line["productSku"],
            "name": line["productName"],
            "quantity": line["quantity"],
            "unit_price": line["unitPrice"]["gross"]["amount"],
        }
        for line in order["lines"]
    ]
    if event == "fulfillment_created":
        assert payload["tracking"] == [body["fulfillment"]["trackingNumber"]]
    else:
        assert payload["tracking"] == [f["trackingNumber"] for f in order["fulfillments"]][:1]


@pytest.mark.parametrize("event", events_of("product"))
async def test_product_events_carry_sku_stock_and_description(
    client: httpx.AsyncClient, operator_headers: dict[str, str], event: str
) -> None:
    body, stored = await deliver(client, operator_headers, event)
    product = body["product"]
    variant = product["variants"][0]
    assert stored["type"] == SALEOR[event].canonical
    assert stored["entity"] == f"product:{product['id']}"
    assert stored["payload"] == {
        "product_id": product["id"],
        "name": product["name"],
        "description": product["description"],
        "sku": variant["sku"],
        "price": variant["channelListings"][0]["price"]["amount"],
        "stock": sum(stock["quantity"] for stock in variant["stocks"]),
    }


@pytest.mark.parametrize("event", events_of("product", variants=True))
async def test_variant_stock_events_are_keyed_by_their_product(
    client: httpx.AsyncClient, operator_headers: dict[str, str], event: str
) -> None:
    body, stored = await deliver(client, operator_headers, event)
    variant = body["productVariant"]
    assert stored["type"] == SALEOR[event].canonical
    assert stored["entity"] == f"product:{variant['product']['id']}"
    assert stored["payload"]["sku"] == variant["sku"]
    assert stored["payload"]["price"] == variant["channelListings"][0]["price"]["amount"]
    assert stored["payload"]["stock"] == sum(stock["quantity"] for stock in variant["stocks"])
    assert stored["payload"]["stock"] == (0 if event.endswith("out_of_stock") else 4)


@pytest.mark.parametrize("event", events_of("customer"))
async def test_customer_events_carry_the_account(
    client: httpx.AsyncClient, operator_headers: dict[str, str], event: str
) -> None:
    body, stored = await deliver(client, operator_headers, event)
    user = body["user"]
    assert stored["type"] == SALEOR[event].canonical
    assert stored["payload"] == {
        "customer_id": user["id"],
        "email": user["email"],
        "first_name": user["firstName"],
        "last_name": user["lastName"],
    }
