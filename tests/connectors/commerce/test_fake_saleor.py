"""The fake Saleor the commerce and app tests stand on: it must refuse what Saleor refuses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.webhooks.errors import SignatureError
from api.webhooks.saleor import JwksCache, verify_saleor
from tests.fakes.saleor_server import FakeSaleor


@pytest.fixture
def fake() -> FakeSaleor:
    return FakeSaleor()


@pytest.fixture
async def http(fake: FakeSaleor) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=fake.app())
    async with httpx.AsyncClient(transport=transport, base_url=fake.base_url) as client:
        yield client


async def post(http: httpx.AsyncClient, query: str, token: str, **variables: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return await http.post(
        "/graphql/", json={"query": query, "variables": variables}, headers=headers
    )


async def test_app_query_answers_for_the_app_token_and_is_denied_otherwise(
    fake: FakeSaleor, http: httpx.AsyncClient
) -> None:
    good = await post(http, "{ app { id } }", fake.app_token)
    bad = await post(http, "{ app { id } }", "not-the-token")

    assert good.json() == {"data": {"app": {"id": fake.app_id}}}
    assert bad.json()["data"] == {"app": None}
    assert bad.json()["errors"][0]["extensions"]["exception"]["code"] == "PermissionDenied"


async def test_a_document_the_schema_does_not_have_is_refused_like_saleor(
    fake: FakeSaleor, http: httpx.AsyncClient
) -> None:
    answer = await post(http, '{ order(id: "x") { id shippingCarrier } }', fake.app_token)

    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert "shippingCarrier" in error["message"]
    assert error["extensions"]["exception"]["code"] == "GraphQLError"
    assert fake.invalid_documents and not fake.state.received


async def test_fulfilling_more_than_a_warehouse_holds_answers_insufficient_stock(
    fake: FakeSaleor, http: httpx.AsyncClient
) -> None:
    warehouse = fake.state.add_warehouse("Europe")
    product = fake.state.add_product("Lamp")
    variant = fake.state.add_variant(product, "LAMP-1", {warehouse: 1})
    order = fake.state.add_order([(variant, 2, 40.0)])
    mutation = """mutation F($order: ID!, $input: OrderFulfillInput!) {
      orderFulfill(order: $order, input: $input) {
        fulfillments { id } errors { field code message }
      }
    }"""
    lines = [
        {"orderLineId": order.lines[0].id, "stocks": [{"warehouse": warehouse, "quantity": 2}]}
    ]

    answer = await post(http, mutation, fake.app_token, order=order.id, input={"lines": lines})

    assert answer.json()["data"]["orderFulfill"]["errors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert fake.state.applied["orderFulfill"] == 0
    assert order.status == "UNFULFILLED"


async def test_deliveries_are_signed_with_the_key_its_jwks_serves(
    fake: FakeSaleor, http: httpx.AsyncClient
) -> None:
    body = b'{"__typename": "OrderCreated"}'
    headers = fake.sign_delivery(body, event="order_created")
    jwks = JwksCache(fake.jwks_url, client=http)

    await verify_saleor(body, headers, jwks=jwks, hmac_secret=None)
    with pytest.raises(SignatureError):
        await verify_saleor(body + b" ", headers, jwks=jwks, hmac_secret=None)
    assert headers["Saleor-Api-Url"] == fake.api_url
