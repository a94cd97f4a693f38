"""The order tools act on the tenant's backend: the local store, or its Saleor shop once it
installed the app; a second call for the same effect (another tool call id) acts no more."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.ingest import upsert_from_event
from connectors.orders import get_order
from graph.context import OpsContext
from graph.tools.direct import call_tool, tool_message_text
from graph.tools.registry import ALL_TOOLS
from runtime.resources import Resources
from runtime.saleor_links import save_saleor_link
from runtime.secretbox import SecretBox
from tests.fakes.saleor_server import FakeSaleor, serve_fake_saleor
from tests.fakes.saleor_state import Order

SHOP_TENANT = "saleor-tools-test"


@pytest.fixture(scope="module")
def shop() -> Iterator[FakeSaleor]:
    with serve_fake_saleor() as fake:
        yield fake


@pytest.fixture
def order(shop: FakeSaleor) -> Order:
    warehouse = shop.state.add_warehouse(f"W{len(shop.state.warehouses)}")
    product = shop.state.add_product("Kettle")
    variant = shop.state.add_variant(product, f"KETTLE-{uuid.uuid4().hex[:6]}", {warehouse: 5})
    return shop.state.add_order([(variant, 2, 30.0)])


@pytest.fixture
async def box(resources: Resources, shop: FakeSaleor) -> SecretBox:
    secrets = SecretBox.from_settings(resources.settings)
    async with resources.pool.connection() as conn:
        await save_saleor_link(
            conn,
            tenant_id=SHOP_TENANT,
            api_url=shop.api_url,
            jwks_url=shop.jwks_url,
            app_id=shop.app_id,
            app_token=shop.app_token,
            box=secrets,
        )
    return secrets


async def run_tool(
    resources: Resources, box: SecretBox, tenant: str, name: str, args: dict[str, Any]
) -> Any:
    reply = await call_tool(
        ALL_TOOLS[name],
        args,
        context=OpsContext(pool=resources.pool, gated=False, secrets=box),
        tenant_id=tenant,
        thread_id=f"commerce-tools-{uuid.uuid4().hex[:8]}",
        call_id=f"call-{uuid.uuid4().hex[:8]}",
    )
    text = tool_message_text(reply)
    return json.loads(text) if text.startswith("{") else text


async def test_fulfilment_for_a_shop_tenant_lands_in_saleor_once(
    resources: Resources, box: SecretBox, shop: FakeSaleor, order: Order
) -> None:
    before = shop.state.applied["orderFulfill"]
    async with resources.pool.connection() as conn:
        payload = {"order_id": order.id, "email": "k@example.com", "total": 60.0, "lines": []}
        await upsert_from_event(
            conn, tenant_id=SHOP_TENANT, event_type="order.created", payload=payload
        )

    first = await run_tool(
        resources, box, SHOP_TENANT, "create_fulfillment", {"order_id": order.id}
    )
    second = await run_tool(
        resources, box, SHOP_TENANT, "create_fulfillment", {"order_id": order.id}
    )

    assert shop.state.applied["orderFulfill"] == before + 1
    assert (first["already"], second["already"]) == (False, True)
    assert first["tracking_id"] == second["tracking_id"] == [order.fulfillments[0].tracking_number]
    async with resources.pool.connection() as conn:
        mirrored = await get_order(conn, tenant_id=SHOP_TENANT, order_id=order.id)
    assert mirrored["status"] == "processed"  # the store's copy knows it shipped
    assert first["tracking_id"][0] in str(mirrored["fulfillments"])


async def test_a_note_lands_in_the_order_metadata_once(
    resources: Resources, box: SecretBox, shop: FakeSaleor, order: Order
) -> None:
    before = shop.state.applied["updateMetadata"]
    args = {"order_id": order.id, "key": "fraud_review", "note": "score 12, approved"}

    for _ in range(2):
        result = await run_tool(resources, box, SHOP_TENANT, "add_order_note", args)

    assert order.metadata == {"opsgraph.fraud_review": "score 12, approved"}
    assert shop.state.applied["updateMetadata"] == before + 1
    assert result["already"] is True


async def test_a_tenant_without_a_shop_keeps_acting_on_the_store(
    resources: Resources, box: SecretBox, shop: FakeSaleor
) -> None:
    asked = sum(shop.state.received.values())
    order_id = f"#W-{uuid.uuid4().hex[:6]}"
    async with resources.pool.connection() as conn:
        payload = {"order_id": order_id, "email": "s@example.com", "total": 5.0, "lines": []}
        await upsert_from_event(
            conn, tenant_id="default", event_type="order.created", payload=payload
        )

    note = await run_tool(
        resources, box, "default", "add_order_note", {"order_id": order_id, "key": "k", "note": "n"}
    )
    cancelled = await run_tool(
        resources, box, "default", "cancel_order", {"order_id": order_id, "reason": "test"}
    )

    assert note == {"order_id": order_id, "key": "opsgraph.k", "value": "n", "already": False}
    assert cancelled["status"] == "cancelled"
    assert [r["amount"] for r in cancelled["refunds"]] == [5.0]  # the store refunds, as before
    assert sum(shop.state.received.values()) == asked


async def test_plan_reorder_for_a_shop_tenant_reads_the_shop_warehouses(
    resources: Resources, box: SecretBox, shop: FakeSaleor
) -> None:
    """The shop's stock is in Saleor: the store holds no row of it, and the plan still has
    the shop's figure and product."""
    europe, america = shop.state.add_warehouse("Eu"), shop.state.add_warehouse("Am")
    product = shop.state.add_product("Teapot")
    sku = f"TEAPOT-{uuid.uuid4().hex[:6]}"
    shop.state.add_variant(product, sku, {europe: 1, america: 2})

    planned = await run_tool(
        resources,
        box,
        SHOP_TENANT,
        "plan_reorder",
        {"item_ids": [sku, "NOT-IN-SHOP"], "shortfall": {sku: 4}},
    )

    (plan,) = planned["plans"]
    assert (plan["item_id"], plan["product_id"]) == (sku, product.id)
    assert plan["figures"]["available"] == 3
    assert plan["figures"]["shortfall"] == 4 and plan["quantity"] >= 4
    assert planned["unknown"] == ["NOT-IN-SHOP"]
    assert not shop.invalid_documents


async def test_plan_reorder_with_a_token_the_shop_refuses_plans_nothing(
    resources: Resources,
) -> None:
    """Stock that cannot be read is no stock figure: the order problem then holds and asks."""
    secrets = SecretBox.from_settings(resources.settings)
    tenant = "saleor-tools-revoked"
    with serve_fake_saleor() as other:
        async with resources.pool.connection() as conn:
            await save_saleor_link(
                conn,
                tenant_id=tenant,
                api_url=other.api_url,
                jwks_url=other.jwks_url,
                app_id=other.app_id,
                app_token="revoked",
                box=secrets,
            )

        planned = await run_tool(resources, secrets, tenant, "plan_reorder", {"item_ids": ["X-1"]})

    assert isinstance(planned, str) and planned.startswith("Error")
    assert "SaleorAuthError" in planned and "revoked" not in planned
