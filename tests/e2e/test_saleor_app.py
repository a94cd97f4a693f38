"""opsgraph installed as a Saleor App in a fake Saleor shop: actions land in the shop, once.

The shop (`tests/fakes/saleor_server.py`) runs on loopback and validates every document it is
sent against Saleor's schema. The app is installed through its own routes (manifest, then
register with the shop's token); deliveries are bodies Saleor would produce from the
manifest's subscription documents, signed with the shop's key. Decisions go through the
approvals API with a reviewer key of the shop's tenant.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from runtime.resources import Resources
from runtime.settings import Settings
from service.process import opsgraph_env, start
from tests.fakes.saleor_server import FakeSaleor, serve_fake_saleor
from tests.saleor_support import (
    authorization,
    deliver,
    high_value_order,
    installed_reviewer,
    read_manifest,
    stock_lamps_and_chairs,
    webhook_for,
)
from tests.support import drain_queue, wait_for

SECRET_KEY = Fernet.generate_key().decode()
PUBLIC_URL = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def shop() -> Iterator[FakeSaleor]:
    with serve_fake_saleor() as fake:
        stock_lamps_and_chairs(fake)
        yield fake


@pytest.fixture(scope="module")
def settings(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, shop: FakeSaleor
) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        pool_min_size=1,
        pool_max_size=6,
        worker_concurrency=2,
        job_max_attempts=1,
        secret_key=SecretStr(SECRET_KEY),
        public_url=PUBLIC_URL,
        saleor_allowed_api_urls=[shop.api_url],
    )


@pytest.fixture(scope="module")
async def manifest(client: httpx.AsyncClient) -> dict[str, Any]:
    return await read_manifest(client)


@pytest.fixture(scope="module")
async def installed(
    client: httpx.AsyncClient, resources: Resources, shop: FakeSaleor, manifest: dict[str, Any]
) -> dict[str, str]:
    """The shop's tenant and a reviewer key of it."""
    return await installed_reviewer(client, resources, shop, manifest)


async def one(resources: Resources, query: str, *args: Any) -> dict[str, Any]:
    async with resources.pool.connection() as conn:
        row = await (await conn.execute(query, args)).fetchone()
    assert row is not None
    return dict(row)


async def pending_approval(
    client: httpx.AsyncClient, reviewer: dict[str, str], event_id: str
) -> dict[str, Any]:
    answer = await client.get("/approvals", params={"status": "pending"}, headers=reviewer)
    assert answer.status_code == 200, answer.text
    (approval,) = [a for a in answer.json() if a["event_id"] == event_id]
    return dict(approval)


async def decide(
    client: httpx.AsyncClient, reviewer: dict[str, str], approval: dict[str, Any], kind: str
) -> None:
    answer = await client.post(
        f"/approvals/{approval['approval_id']}/decision", json={"type": kind}, headers=reviewer
    )
    assert answer.status_code == 200, answer.text


async def test_manifest_and_install_link_the_shop_as_its_own_tenant(
    installed: dict[str, str], manifest: dict[str, Any]
) -> None:
    assert installed["tenant"] != "default"
    assert webhook_for(manifest, "order_created")["targetUrl"].startswith(PUBLIC_URL)


async def test_rejecting_a_high_value_order_cancels_it_in_saleor(
    client: httpx.AsyncClient,
    resources: Resources,
    shop: FakeSaleor,
    manifest: dict[str, Any],
    installed: dict[str, str],
) -> None:
    order = high_value_order(shop)
    event_id = await deliver(
        client,
        shop,
        manifest,
        "order_created",
        {"__typename": "OrderCreated", "order": shop.state.order_view(order)},
    )
    await drain_queue(resources)
    row = await one(resources, "SELECT status, tenant_id FROM events WHERE event_id = %s", event_id)
    assert (row["status"], row["tenant_id"]) == ("awaiting_approval", installed["tenant"])
    approval = await pending_approval(client, authorization(installed), event_id)
    assert approval["tool_name"] == "create_fulfillment"

    await decide(client, authorization(installed), approval, "ignore")
    await drain_queue(resources)

    assert order.status == "CANCELED"
    assert shop.state.applied["orderCancel"] == 1
    assert not order.fulfillments
    assert not shop.invalid_documents


async def test_approved_order_is_fulfilled_in_saleor_once_across_a_worker_crash(
    client: httpx.AsyncClient,
    resources: Resources,
    shop: FakeSaleor,
    manifest: dict[str, Any],
    installed: dict[str, str],
    database_url: str,
    tmp_path: Path,
) -> None:
    """The worker dies after Saleor made the fulfilment and before the ledger recorded it:
    the next worker runs the tool again, finds the lines fulfilled and does not ask again."""
    order = high_value_order(shop, lamps=3)
    event_id = await deliver(
        client,
        shop,
        manifest,
        "order_created",
        {"__typename": "OrderCreated", "order": shop.state.order_view(order)},
    )
    await drain_queue(resources)
    approval = await pending_approval(client, authorization(installed), event_id)
    fulfilled_before = shop.state.applied["orderFulfill"]
    asked_before = shop.state.received["orderFulfill"]
    shop.hold_after = "orderFulfill"
    await decide(client, authorization(installed), approval, "accept")

    env = opsgraph_env(tmp_path / "data", database_url=database_url) | {
        "OPSGRAPH_SECRET_KEY": SECRET_KEY,
        "OPSGRAPH_WORKER_HEARTBEAT_S": "0.5",
        "OPSGRAPH_STALLED_AFTER_S": "2",
        "OPSGRAPH_JOB_MAX_ATTEMPTS": "3",
    }
    log = tmp_path / "worker.log"
    first = start_worker(env, log)
    try:

        async def fulfilled_in_saleor() -> bool:
            return shop.state.applied["orderFulfill"] > fulfilled_before

        await wait_for(fulfilled_in_saleor, timeout_s=60, what="the fulfilment in Saleor")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
        shop.release()
    ledger = "SELECT count(*) AS n FROM tool_ledger WHERE thread_id = %s AND tool_name = %s"
    thread = f"event:{event_id}"
    assert (await one(resources, ledger, thread, "create_fulfillment"))["n"] == 0

    await asyncio.sleep(2.5)  # the dead worker's heartbeat goes stale
    second = start_worker(env, log)
    try:

        async def finished() -> bool:
            row = await one(resources, "SELECT status FROM events WHERE event_id = %s", event_id)
            return row["status"] in ("done", "failed")

        await wait_for(finished, timeout_s=90, what="the event to finish after the restart")
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=30)

    row = await one(resources, "SELECT status FROM events WHERE event_id = %s", event_id)
    assert row["status"] == "done", log.read_text()[-3000:]
    assert shop.state.applied["orderFulfill"] == fulfilled_before + 1
    assert shop.state.received["orderFulfill"] == asked_before + 1  # the rerun only read
    assert len(order.fulfillments) == 1 and order.status == "FULFILLED"
    assert (await one(resources, ledger, thread, "create_fulfillment"))["n"] == 1
    assert not shop.invalid_documents


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return start(["service.cli", "worker"], log=log, env=env)


async def test_product_created_writes_seo_to_saleor_after_the_publishing_approval(
    client: httpx.AsyncClient,
    resources: Resources,
    shop: FakeSaleor,
    manifest: dict[str, Any],
    installed: dict[str, str],
) -> None:
    product = shop.state.add_product("Walnut Side Table", description=None)
    shop.state.add_variant(product, "TABLE-1", {next(iter(shop.state.warehouses)): 4})
    event_id = await deliver(
        client,
        shop,
        manifest,
        "product_created",
        {"__typename": "ProductCreated", "product": shop.state.product_view(product)},
    )
    await drain_queue(resources)
    approval = await pending_approval(client, authorization(installed), event_id)
    assert approval["tool_name"] == "publish_content"
    assert product.seo_title is None

    await decide(client, authorization(installed), approval, "accept")
    await drain_queue(resources)

    row = await one(resources, "SELECT status FROM events WHERE event_id = %s", event_id)
    assert row["status"] == "done"
    assert product.seo_title == "Walnut Side Table"
    assert product.seo_description == "Shop Walnut Side Table online."
    assert shop.state.applied["productUpdate"] == 1
    assert not shop.invalid_documents
