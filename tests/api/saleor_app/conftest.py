"""Shops for the Saleor App tests: fake Saleors served on loopback (installing them:
`tests.saleor_support`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse

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
