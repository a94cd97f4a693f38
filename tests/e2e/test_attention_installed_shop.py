"""Nothing ends silently in an installed Saleor shop either (issue 9's acceptance, issue 13).

The shop's stock lives in its warehouses, not in opsgraph's store, so procurement reads it
through the tenant's commerce backend. The app is installed in a fake shop through its own
routes; deliveries are what Saleor would post for the manifest's `ORDER_CREATED`
subscription, signed with the shop's key. A high-value order for a SKU the shop stocks
nowhere, and one for a SKU with too little stock in the shop's warehouses, each end
`awaiting_approval` with an attention item naming the SKU and a signed notice; the short one
carries procurement's reorder proposal, and accepting it runs procurement (a
`store_reorders` row). A shop that cannot be reached while the plan is made fails closed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from standardwebhooks import Webhook

from runtime.apikeys import Role
from runtime.resources import Resources
from runtime.settings import Settings
from tests.fakes.notice_receiver import NoticeReceiver, serve_notice_receiver
from tests.fakes.saleor_server import FakeSaleor, serve_fake_saleor
from tests.fakes.saleor_state import Order
from tests.saleor_support import authorization, installed_reviewer, order_created, read_manifest
from tests.support import drain_queue, make_key

NOTIFY_SECRET = "whsec_" + "aW5zdGFsbGVkLXNob3Atbm90aWNlcw=="
SHORT_SKU = "KB-100"
UNKNOWN_SKU = "ZZ-404"


@pytest.fixture(scope="module")
def receiver() -> Iterator[NoticeReceiver]:
    with serve_notice_receiver() as found:
        yield found


@pytest.fixture(scope="module")
def shop() -> Iterator[FakeSaleor]:
    """One warehouse holding a single keyboard; a variant no warehouse stocks."""
    with serve_fake_saleor() as fake:
        warehouse = fake.state.add_warehouse("Europe")
        keyboard = fake.state.add_product("Mechanical Keyboard")
        fake.state.add_variant(keyboard, SHORT_SKU, {warehouse: 1})
        fake.state.add_variant(fake.state.add_product("Prototype Dock"), UNKNOWN_SKU, {})
        yield fake


@pytest.fixture(scope="module")
def settings(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    shop: FakeSaleor,
    receiver: NoticeReceiver,
) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("installed-shop"),
        pool_min_size=1,
        pool_max_size=6,
        job_max_attempts=1,
        secret_key=SecretStr(Fernet.generate_key().decode()),
        public_url="http://127.0.0.1:8000",
        saleor_allowed_api_urls=[shop.api_url],
        notify_url=receiver.url,
        notify_secret=NOTIFY_SECRET,
    )


@pytest.fixture(scope="module")
async def manifest(client: httpx.AsyncClient) -> dict[str, Any]:
    return await read_manifest(client)


@pytest.fixture(scope="module")
async def reviewer(
    client: httpx.AsyncClient, resources: Resources, shop: FakeSaleor, manifest: dict[str, Any]
) -> dict[str, str]:
    """The app installed in the shop; a reviewer key of the shop's own tenant."""
    found = await installed_reviewer(client, resources, shop, manifest)
    assert found["tenant"] != "default"
    return found


def variant(shop: FakeSaleor, sku: str) -> Any:
    (found,) = [v for v in shop.state.variants.values() if v.sku == sku]
    return found


def notices(receiver: NoticeReceiver, kind: str) -> list[dict[str, Any]]:
    found = []
    for headers, raw in receiver.received:
        Webhook(NOTIFY_SECRET).verify(raw, {k.lower(): v for k, v in headers.items()})
        notice = json.loads(raw)
        if notice["type"] == kind:
            found.append(notice["data"])
    return found


async def attention_item(
    client: httpx.AsyncClient, reviewer: dict[str, str], event_id: str
) -> dict[str, Any]:
    view = (await client.get(f"/events/{event_id}", headers=authorization(reviewer))).json()
    assert view["status"] == "awaiting_approval", view
    found = (
        await client.get(
            "/approvals", params={"status": "pending"}, headers=authorization(reviewer)
        )
    ).json()
    (item,) = [a for a in found if a["event_id"] == event_id]
    assert item["kind"] == "attention"
    return dict(item)


async def decide(
    client: httpx.AsyncClient, reviewer: dict[str, str], approval: dict[str, Any]
) -> None:
    answer = await client.post(
        f"/approvals/{approval['approval_id']}/decision",
        json={"type": "accept"},
        headers=authorization(reviewer),
    )
    assert answer.status_code == 200, answer.text


async def test_a_shop_puts_short_and_unknown_orders_before_a_reviewer_with_a_reorder(
    client: httpx.AsyncClient,
    resources: Resources,
    shop: FakeSaleor,
    manifest: dict[str, Any],
    reviewer: dict[str, str],
    receiver: NoticeReceiver,
) -> None:
    short_order = shop.state.add_order([(variant(shop, SHORT_SKU), 3, 1400.0)])
    unknown_order = shop.state.add_order([(variant(shop, UNKNOWN_SKU), 1, 4200.0)])
    short_event = await order_created(client, shop, manifest, short_order)
    unknown_event = await order_created(client, shop, manifest, unknown_order)
    await drain_queue(resources)

    short = await attention_item(client, reviewer, short_event)
    unknown = await attention_item(client, reviewer, unknown_event)
    assert SHORT_SKU in short["proposed"]["args"]["reason"]
    assert "3 wanted, 1 available" in short["proposed"]["args"]["reason"]
    assert UNKNOWN_SKU in unknown["proposed"]["args"]["reason"]
    assert unknown["proposed"]["args"]["remedy"] == "hold_and_ask"

    proposal = short["proposed"]["args"]
    assert proposal["remedy"] == "reorder", proposal
    (line,) = proposal["reorder"]
    assert line["item_id"] == SHORT_SKU
    assert line["product_id"] == variant(shop, SHORT_SKU).product_id
    assert line["figures"]["available"] == 1  # read from the shop's warehouse
    assert line["quantity"] >= 2  # at least the two units the order lacks
    assert line["unit_cost"] == 840.0  # no channel price in the shop: the order line's, x 0.6

    raised = {n["approval_id"]: n for n in notices(receiver, "attention.raised")}
    assert SHORT_SKU in raised[short["approval_id"]]["reason"]
    assert UNKNOWN_SKU in raised[unknown["approval_id"]]["reason"]

    await decide(client, reviewer, short)
    await drain_queue(resources)
    for _ in range(3):  # the purchase itself may wait for the reorder budget rule
        view = (await client.get(f"/events/{short_event}", headers=authorization(reviewer))).json()
        if view["status"] != "awaiting_approval":
            break
        pending = (
            await client.get(
                "/approvals", params={"status": "pending"}, headers=authorization(reviewer)
            )
        ).json()
        (reorder,) = [a for a in pending if a["event_id"] == short_event]
        assert reorder["tool_name"] == "propose_reorder"
        await decide(client, reviewer, reorder)
        await drain_queue(resources)
    assert view["status"] == "done", view
    assert "reorder proposed" in view["summary"]

    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT item_id, product_id, quantity FROM store_reorders WHERE tenant_id = %s",
            (reviewer["tenant"],),
        )
        rows = [dict(row) for row in await cursor.fetchall()]
    assert rows == [
        {
            "item_id": SHORT_SKU,
            "product_id": variant(shop, SHORT_SKU).product_id,
            "quantity": line["quantity"],
        }
    ]
    assert short_order.status == "UNFULFILLED" and not short_order.fulfillments
    assert not shop.invalid_documents


async def deliver_while_unreadable(
    client: httpx.AsyncClient,
    resources: Resources,
    shop: FakeSaleor,
    manifest: dict[str, Any],
    order: Order,
) -> str:
    """The order is read (`order`), then the shop stops answering stock reads
    (`productVariant`) while procurement plans: the run's only attempt fails."""
    shop.unavailable = {"productVariant"}
    try:
        event_id = await order_created(client, shop, manifest, order)
        await drain_queue(resources)
    finally:
        shop.unavailable = set()
    return event_id


async def test_a_shop_that_cannot_be_read_while_planning_holds_the_order(
    client: httpx.AsyncClient,
    resources: Resources,
    shop: FakeSaleor,
    manifest: dict[str, Any],
    reviewer: dict[str, str],
) -> None:
    """Fail closed: nothing is decided on stock that could not be read. The run fails as a
    database outage does (retried by the queue; here the only attempt), nothing ships, and
    once the shop answers a replay puts the order before a reviewer with its reorder."""
    order = shop.state.add_order([(variant(shop, SHORT_SKU), 2, 1400.0)])
    fulfilled = shop.state.applied["orderFulfill"]
    event_id = await deliver_while_unreadable(client, resources, shop, manifest, order)

    view = (await client.get(f"/events/{event_id}", headers=authorization(reviewer))).json()
    assert view["status"] == "failed", view
    assert "SaleorUnavailable" in view["error"]
    assert shop.state.applied["orderFulfill"] == fulfilled and not order.fulfillments

    admin = {"Authorization": f"Bearer {await make_key(resources, Role.ADMIN, reviewer['tenant'])}"}
    replayed = await client.post(f"/events/{event_id}/replay", headers=admin)
    assert replayed.status_code == 202, replayed.text
    await drain_queue(resources)
    item = await attention_item(client, reviewer, event_id)
    assert item["proposed"]["args"]["remedy"] == "reorder"
    assert [line["item_id"] for line in item["proposed"]["args"]["reorder"]] == [SHORT_SKU]
    assert not order.fulfillments and not shop.invalid_documents


async def test_a_run_that_fails_for_good_tells_a_person(
    client: httpx.AsyncClient,
    resources: Resources,
    shop: FakeSaleor,
    manifest: dict[str, Any],
    reviewer: dict[str, str],
    receiver: NoticeReceiver,
) -> None:
    assert reviewer["tenant"] != "default"  # the app is installed
    order = shop.state.add_order([(variant(shop, SHORT_SKU), 2, 1400.0)])
    event_id = await deliver_while_unreadable(client, resources, shop, manifest, order)

    told = [n for n in notices(receiver, "event.finished") if n["event_id"] == event_id]
    assert [n["status"] for n in told] == ["failed"]
