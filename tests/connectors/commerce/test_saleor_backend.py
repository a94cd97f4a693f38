"""The Saleor backend against the fake Saleor: effects land in the shop once, however often
a call is repeated (a resume or a crash repeats it: Saleor has no idempotency keys)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from connectors.commerce import LocalBackend, SaleorBackend, backend_for
from connectors.commerce.saleor_queries import DOCUMENTS
from connectors.orders import tracking_id
from connectors.saleor import SaleorAuthError, SaleorUnavailable
from connectors.saleor_documents import document_errors
from runtime.resources import Resources
from runtime.saleor_links import SaleorLink, mark_uninstalled, save_saleor_link
from runtime.secretbox import SecretBox
from tests.fakes.saleor_server import FakeSaleor
from tests.fakes.saleor_state import Order, Product

KEY = "event:test/order_fulfillment-1-0"


@dataclass
class Shop:
    fake: FakeSaleor
    order: Order
    product: Product
    warehouses: tuple[str, str]


@pytest.fixture
def shop() -> Shop:
    fake = FakeSaleor()
    state = fake.state
    europe, america = state.add_warehouse("Europe"), state.add_warehouse("Americas")
    lamp = state.add_product("Desk Lamp")
    chair = state.add_product("Office Chair")
    lamp_white = state.add_variant(lamp, "LAMP-WHITE", {europe: 1, america: 4})
    chair_black = state.add_variant(chair, "CHAIR-BLACK", {europe: 2})
    order = state.add_order([(lamp_white, 3, 45.0), (chair_black, 1, 900.0)])
    return Shop(fake, order, lamp, (europe, america))


@pytest.fixture
async def conn(resources: Resources) -> AsyncIterator[AsyncConnection[DictRow]]:
    async with resources.pool.connection() as connection:
        yield connection


def backend_of(
    shop: Shop, conn: AsyncConnection[DictRow], token: str | None = None
) -> SaleorBackend:
    link = SaleorLink(
        tenant_id="default",
        api_url=shop.fake.api_url,
        jwks_url=shop.fake.jwks_url,
        app_id=shop.fake.app_id,
        app_token=token or shop.fake.app_token,
        enabled=True,
    )
    return SaleorBackend(link, conn, transport=httpx.ASGITransport(app=shop.fake.app()))


def test_every_document_the_backend_sends_is_valid_against_the_schema() -> None:
    assert {name: document_errors(text) for name, text in DOCUMENTS.items()} == {
        name: [] for name in DOCUMENTS
    }


async def test_stock_is_read_from_saleor_warehouses(
    shop: Shop, conn: AsyncConnection[DictRow]
) -> None:
    backend = backend_of(shop, conn)

    held = await backend.reserve_stock(shop.order.id)
    shop.fake.state.variants[shop.order.lines[1].variant_id].stocks[shop.warehouses[0]] = 0
    short = await backend.reserve_stock(shop.order.id)

    assert held == {
        "order_id": shop.order.id,
        "reserved": True,
        "items": {"LAMP-WHITE": 3, "CHAIR-BLACK": 1},
        "held_by": "saleor",
    }
    assert isinstance(short, dict)
    assert (short["reserved"], short["short"], short["available"]) == (
        False,
        {"CHAIR-BLACK": 1},
        {"CHAIR-BLACK": 0},
    )
    assert not shop.fake.state.applied


async def test_stock_levels_sum_every_warehouse_and_leave_unknown_skus_out(
    shop: Shop, conn: AsyncConnection[DictRow]
) -> None:
    state = shop.fake.state
    state.add_variant(state.add_product("Prototype"), "PROTO-1", {})

    levels = await backend_of(shop, conn).stock_levels(
        ["LAMP-WHITE", "CHAIR-BLACK", "PROTO-1", "NOT-IN-SHOP", ""]
    )

    assert {sku: (level.product_id, level.available) for sku, level in levels.items()} == {
        "LAMP-WHITE": (shop.product.id, 5),
        "CHAIR-BLACK": (shop.fake.state.variants[shop.order.lines[1].variant_id].product_id, 2),
    }
    assert levels["LAMP-WHITE"].price is None  # no channel listing: the caller falls back
    assert not shop.fake.invalid_documents


async def test_stock_levels_carry_the_variant_channel_price(
    shop: Shop, conn: AsyncConnection[DictRow]
) -> None:
    (lamp,) = [v for v in shop.fake.state.variants.values() if v.sku == "LAMP-WHITE"]
    lamp.price = 49.5

    levels = await backend_of(shop, conn).stock_levels(["LAMP-WHITE"])

    assert levels["LAMP-WHITE"].price == 49.5
    assert not shop.fake.invalid_documents


async def test_stock_levels_of_a_shop_that_does_not_answer_raise_unavailable(
    shop: Shop, conn: AsyncConnection[DictRow]
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    backend = backend_of(shop, conn)
    backend._transport = httpx.MockTransport(refuse)

    with pytest.raises(SaleorUnavailable) as raised:
        await backend.stock_levels(["LAMP-WHITE"])

    assert raised.value.code == "UNREACHABLE"


async def test_fulfilment_is_created_once_however_often_it_is_asked(
    shop: Shop, conn: AsyncConnection[DictRow]
) -> None:
    backend = backend_of(shop, conn)

    first = await backend.fulfill_order(shop.order.id, idempotency_key=KEY)
    again = await backend.fulfill_order(shop.order.id, idempotency_key=KEY)

    assert shop.fake.state.applied["orderFulfill"] == 1
    assert shop.order.status == "FULFILLED"
    (fulfilment,) = shop.order.fulfillments
    assert fulfilment.tracking_number == tracking_id(KEY)
    assert sorted(q for _line, q in fulfilment.lines) == [1, 3]
    assert isinstance(first, dict) and isinstance(again, dict)
    assert (first["already"], again["already"]) == (False, True)
    assert first["tracking_id"] == again["tracking_id"] == [tracking_id(KEY)]
    lamp_stock = shop.fake.state.variants[shop.order.lines[0].variant_id].stocks
    assert sum(lamp_stock.values()) == 2  # 5 on hand, 3 shipped from the fuller warehouse


async def test_a_fulfilment_whose_answer_was_lost_is_not_made_again(
    shop: Shop, conn: AsyncConnection[DictRow]
) -> None:
    """Saleor acted but the answer never arrived: the call fails as retryable, and the
    retry finds the lines fulfilled."""
    backend = backend_of(shop, conn)
    shop.fake.fail_after = "orderFulfill"

    with pytest.raises(SaleorUnavailable) as lost:
        await backend.fulfill_order(shop.order.id, idempotency_key=KEY)
    retried = await backend.fulfill_order(shop.order.id, idempotency_key=KEY)

    assert lost.value.maybe_applied
    assert isinstance(retried, dict) and retried["already"] is True
    assert shop.fake.state.applied["orderFulfill"] == shop.fake.state.received["orderFulfill"] == 1


async def test_saleor_refusing_a_fulfilment_is_an_error_result(
    shop: Shop, conn: AsyncConnection[DictRow]
) -> None:
    variant = shop.fake.state.variants[shop.order.lines[1].variant_id]
    variant.stocks[shop.warehouses[0]] = 0

    result = await backend_of(shop, conn).fulfill_order(shop.order.id, idempotency_key=KEY)

    assert isinstance(result, str) and result.startswith("Error:")
    assert "INSUFFICIENT_STOCK" in result
    assert shop.fake.state.applied["orderFulfill"] == 0


async def test_cancellation_happens_once_and_a_shipped_order_is_refused(
    shop: Shop, conn: AsyncConnection[DictRow]
) -> None:
    backend = backend_of(shop, conn)

    first = await backend.cancel_order(shop.order.id, reason="rejected", idempotency_key=KEY)
    again = await backend.cancel_order(shop.order.id, reason="rejected", idempotency_key=KEY)
    shipped = shop.fake.state.add_order(
        [(shop.fake.state.variants[shop.order.lines[0].variant_id], 1, 45.0)]
    )
    await backend.fulfill_order(shipped.id, idempotency_key=KEY)
    refused = await backend.cancel_order(shipped.id, reason="late", idempotency_key=KEY + "x")

    assert shop.order.status == "CANCELED"
    assert shop.fake.state.applied["orderCancel"] == 1
    assert isinstance(first, dict) and isinstance(again, dict)
    assert (first["status"], first["already"], again["already"]) == ("cancelled", False, True)
    assert isinstance(refused, str) and "CANNOT_CANCEL_ORDER" in refused


async def test_product_seo_and_description_are_written_once(
    shop: Shop, conn: AsyncConnection[DictRow]
) -> None:
    backend = backend_of(shop, conn)
    subject = f"product:{shop.product.id}"
    seo = {"seo_title": "Desk Lamp | Lumen", "meta_description": "A warm desk lamp."}
    page = {
        "title": "Desk Lamp",
        "intro": "Light.",
        "sections": [{"heading": "Warm", "text": "Warm."}],
    }

    assert backend.content_target("product_seo", subject) == f"saleor {subject}"
    assert backend.content_target("article", "spring sale") is None
    for _ in range(2):
        await backend.apply_content("product_seo", subject, seo, idempotency_key=KEY)
        await backend.apply_content("product_page", subject, page, idempotency_key=KEY)

    assert (shop.product.seo_title, shop.product.seo_description) == (
        "Desk Lamp | Lumen",
        "A warm desk lamp.",
    )
    assert shop.product.description is not None and "Warm." in shop.product.description
    assert shop.fake.state.applied["productUpdate"] == 2


async def test_a_note_is_kept_in_the_order_metadata_once(
    shop: Shop, conn: AsyncConnection[DictRow]
) -> None:
    backend = backend_of(shop, conn)

    for _ in range(2):
        await backend.write_note(
            shop.order.id, key="opsgraph.review", value="approved", idempotency_key=KEY
        )

    assert shop.order.metadata == {"opsgraph.review": "approved"}
    assert shop.fake.state.applied["updateMetadata"] == 1


async def test_a_token_saleor_does_not_know_is_a_permission_error(
    shop: Shop, conn: AsyncConnection[DictRow]
) -> None:
    with pytest.raises(SaleorAuthError) as raised:
        await backend_of(shop, conn, token="revoked").reserve_stock(shop.order.id)

    assert raised.value.code == "PermissionDenied"
    assert "revoked" not in str(raised.value)


async def test_backend_for_picks_saleor_only_for_a_tenant_with_an_enabled_link(
    shop: Shop, conn: AsyncConnection[DictRow], resources: Resources
) -> None:
    box = SecretBox.from_settings(resources.settings)
    tenant = "saleor-backend-choice"
    await save_saleor_link(
        conn,
        tenant_id=tenant,
        api_url=shop.fake.api_url,
        jwks_url=shop.fake.jwks_url,
        app_id=shop.fake.app_id,
        app_token=shop.fake.app_token,
        box=box,
    )

    linked = await backend_for(conn, tenant, secrets=box)
    other = await backend_for(conn, "default", secrets=box)
    with pytest.raises(RuntimeError, match="secret box"):
        await backend_for(conn, tenant, secrets=None)
    await mark_uninstalled(conn, tenant, app_id=shop.fake.app_id)
    uninstalled = await backend_for(conn, tenant, secrets=box)

    assert isinstance(linked, SaleorBackend) and linked.link.app_token == shop.fake.app_token
    assert isinstance(other, LocalBackend)
    assert isinstance(uninstalled, LocalBackend)
