"""Shops for the Saleor App tests: fake Saleors served on loopback, and installing them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse

from runtime.saleor_links import tenant_id_for
from tests.fakes.saleor_payloads import sample_payload
from tests.fakes.saleor_server import FakeSaleor, serve_fake_saleor

PUBLIC_URL = "https://ops.example.com"


class KeylessSaleor(FakeSaleor):
    """A shop that confirms its app token but publishes no signing keys."""

    async def _serve_jwks(self, _request: Request) -> JSONResponse:
        return JSONResponse({"detail": "not here"}, status_code=404)


@pytest.fixture(scope="module")
def shop_a() -> Iterator[FakeSaleor]:
    with serve_fake_saleor() as shop:
        yield shop


@pytest.fixture(scope="module")
def shop_b() -> Iterator[FakeSaleor]:
    with serve_fake_saleor() as shop:
        yield shop


@pytest.fixture(scope="module")
def keyless_shop() -> Iterator[FakeSaleor]:
    with serve_fake_saleor(KeylessSaleor()) as shop:
        yield shop


@pytest.fixture(scope="module")
def stranger_shop() -> Iterator[FakeSaleor]:
    """A real shop that is not on the allowlist and never installed the app."""
    with serve_fake_saleor() as shop:
        yield shop


async def install(client: httpx.AsyncClient, shop: FakeSaleor) -> httpx.Response:
    """What the Saleor dashboard does after reading the manifest: post the app token."""
    return await client.post(
        "/saleor/register",
        json={"auth_token": shop.app_token},
        headers={"saleor-api-url": shop.api_url},
    )


async def installed(client: httpx.AsyncClient, shop: FakeSaleor) -> str:
    answer = await install(client, shop)
    assert answer.status_code == 200, answer.text
    return tenant_id_for(shop.api_url)


def order_delivery(shop: FakeSaleor, **overrides: object) -> tuple[bytes, dict[str, str]]:
    """An ORDER_CREATED body shaped by the shipped document, signed by `shop`."""
    body = json.dumps(sample_payload("order_created", overrides=overrides)).encode()
    return body, shop.sign_delivery(body, event="order_created")
