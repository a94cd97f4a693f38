"""Installing opsgraph in a fake Saleor shop and posting what the shop posts.

The steps the Saleor App tests share (`tests/api/saleor_app`, `tests/e2e`): install as the
dashboard does, find the shop's tenant, stock a catalogue and deliver an event through the
manifest's own subscription document, signed with the shop's key. The shops themselves
(`tests/fakes/saleor_server.py`) are served by each folder's fixtures.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from runtime.apikeys import Role
from runtime.resources import Resources
from runtime.saleor_links import tenant_id_for
from tests.fakes.saleor_payloads import sample_payload
from tests.fakes.saleor_server import FakeSaleor
from tests.fakes.saleor_state import Order
from tests.support import make_key


async def read_manifest(client: httpx.AsyncClient) -> dict[str, Any]:
    """The app's manifest, as the Saleor dashboard reads it before installing."""
    answer = await client.get("/saleor/manifest")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def install(client: httpx.AsyncClient, shop: FakeSaleor) -> httpx.Response:
    """What the Saleor dashboard does after reading the manifest: post the app token."""
    return await client.post(
        "/saleor/register",
        json={"auth_token": shop.app_token},
        headers={"saleor-api-url": shop.api_url},
    )


async def installed(client: httpx.AsyncClient, shop: FakeSaleor) -> str:
    """Install `shop`, which must succeed; its tenant."""
    answer = await install(client, shop)
    assert answer.status_code == 200, answer.text
    return tenant_id_for(shop.api_url)


async def installed_reviewer(
    client: httpx.AsyncClient, resources: Resources, shop: FakeSaleor, manifest: dict[str, Any]
) -> dict[str, str]:
    """Install the app as the dashboard does (from the manifest's token URL); the tenant its
    enabled link names (`tenant`) and a reviewer key of it (`Authorization`)."""
    assert manifest["tokenTargetUrl"].endswith("/saleor/register")
    answer = await install(client, shop)
    assert answer.status_code == 200, answer.text
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT tenant_id FROM saleor_apps WHERE api_url = %s AND enabled", (shop.api_url,)
        )
        row = await cursor.fetchone()
    assert row is not None
    tenant = str(row["tenant_id"])
    reviewer = await make_key(resources, Role.REVIEWER, tenant)
    return {"tenant": tenant, "Authorization": f"Bearer {reviewer}"}


def authorization(reviewer: dict[str, str]) -> dict[str, str]:
    """The request headers of an `installed_reviewer`."""
    return {"Authorization": reviewer["Authorization"]}


def webhook_for(manifest: dict[str, Any], event: str) -> dict[str, Any]:
    """The manifest's one webhook subscribed to `event`."""
    (hook,) = [w for w in manifest["webhooks"] if event.upper() in w["asyncEvents"]]
    return dict(hook)


async def deliver(
    client: httpx.AsyncClient,
    shop: FakeSaleor,
    manifest: dict[str, Any],
    event: str,
    payload: dict[str, Any],
) -> str:
    """Post what Saleor posts for `event`: the manifest's subscription selection, signed;
    it must be accepted (202). Its event id."""
    hook = webhook_for(manifest, event)
    body = shop.delivery(hook["query"], payload)
    answer = await client.post(
        urlsplit(hook["targetUrl"]).path,
        content=body,
        headers=shop.sign_delivery(body, event=event),
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["event_id"])


async def order_created(
    client: httpx.AsyncClient, shop: FakeSaleor, manifest: dict[str, Any], order: Order
) -> str:
    """Deliver ORDER_CREATED for one of the shop's orders; its event id."""
    payload = {"__typename": "OrderCreated", "order": shop.state.order_view(order)}
    return await deliver(client, shop, manifest, "order_created", payload)


def stock_lamps_and_chairs(shop: FakeSaleor) -> None:
    """A warehouse with ten desk lamps (`LAMP-1`) and ten office chairs (`CHAIR-1`)."""
    warehouse = shop.state.add_warehouse("Europe")
    for sku, name in (("LAMP-1", "Desk Lamp"), ("CHAIR-1", "Office Chair")):
        shop.state.add_variant(shop.state.add_product(name), sku, {warehouse: 10})


def high_value_order(shop: FakeSaleor, lamps: int = 2) -> Order:
    """An order of `lamps` lamps and a chair, 1,200 USD or more: fulfilling it needs a
    reviewer. Needs `stock_lamps_and_chairs` first."""
    lamp, chair = list(shop.state.variants.values())
    return shop.state.add_order([(lamp, lamps, 150.0), (chair, 1, 900.0)])


def order_delivery(shop: FakeSaleor, **overrides: object) -> tuple[bytes, dict[str, str]]:
    """An ORDER_CREATED body shaped by the shipped document, signed by `shop`."""
    body = json.dumps(sample_payload("order_created", overrides=overrides)).encode()
    return body, shop.sign_delivery(body, event="order_created")
