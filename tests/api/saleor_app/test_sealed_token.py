"""A worker that cannot open the shop's sealed token (another secret key than at install)
must not end the shop's event as if it had acted: the run fails, and can be replayed once
the key is right."""

from __future__ import annotations

import httpx
import pytest
from cryptography.fernet import Fernet

from runtime.apikeys import Role
from runtime.resources import Resources
from runtime.secretbox import SecretBox
from runtime.settings import Settings
from tests.api.saleor_app.conftest import PUBLIC_URL
from tests.fakes.saleor_server import FakeSaleor
from tests.saleor_support import installed
from tests.support import drain_queue, make_key, rows

SECRET_KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def settings(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, shop_a: FakeSaleor
) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("sealed"),
        public_url=PUBLIC_URL,
        secret_key=SECRET_KEY,
        saleor_allowed_api_urls=[shop_a.api_url],
        pool_max_size=4,
        job_max_attempts=1,
    )


async def test_a_token_sealed_under_another_key_fails_the_run(
    client: httpx.AsyncClient, resources: Resources, shop_a: FakeSaleor
) -> None:
    tenant = await installed(client, shop_a)
    warehouse = shop_a.state.add_warehouse("Europe")
    lamp = shop_a.state.add_variant(shop_a.state.add_product("Lamp"), "LAMP-1", {warehouse: 5})
    order = shop_a.state.add_order([(lamp, 1, 20.0)])  # small: fulfilled without a reviewer
    manifest = (await client.get("/saleor/manifest")).json()
    (hook,) = [w for w in manifest["webhooks"] if "ORDER_CREATED" in w["asyncEvents"]]
    body = shop_a.delivery(
        hook["query"], {"__typename": "OrderCreated", "order": shop_a.state.order_view(order)}
    )
    answer = await client.post(
        "/webhooks/saleor", content=body, headers=shop_a.sign_delivery(body, event="order_created")
    )
    assert answer.status_code == 202, answer.text
    event_id = answer.json()["event_id"]
    other_box = SecretBox(Fernet.generate_key())
    async with resources.pool.connection() as conn:
        await conn.execute(
            "UPDATE saleor_apps SET app_token_sealed = %s WHERE tenant_id = %s",
            (other_box.seal(shop_a.app_token), tenant),
        )
    await drain_queue(resources)

    (event,) = await rows(
        resources, "SELECT status, error FROM events WHERE event_id = %s", event_id
    )
    assert event["status"] == "failed"
    assert "sealed secret" in str(event["error"])
    assert shop_a.state.applied["orderFulfill"] == 0

    async with resources.pool.connection() as conn:  # the right key again
        await conn.execute(
            "UPDATE saleor_apps SET app_token_sealed = %s WHERE tenant_id = %s",
            (SecretBox(SECRET_KEY.encode()).seal(shop_a.app_token), tenant),
        )
    admin = {"Authorization": f"Bearer {await make_key(resources, Role.ADMIN, tenant)}"}
    replay = await client.post(f"/events/{event_id}/replay", headers=admin)
    assert replay.status_code == 202, replay.text
    await drain_queue(resources)
    (event,) = await rows(resources, "SELECT status FROM events WHERE event_id = %s", event_id)
    assert event["status"] == "done"
    assert shop_a.state.applied["orderFulfill"] == 1 and order.status == "FULFILLED"
