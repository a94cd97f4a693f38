"""One tenant per shop: deliveries land in the tenant whose shop signed them, and only there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.fernet import Fernet

from hitl.audit import SALEOR_ACTOR, verify_audit
from runtime.apikeys import Role
from runtime.resources import Resources
from runtime.saleor_links import saleor_link, set_saleor_shop_enabled, tenant_id_for
from runtime.secretbox import SecretBox
from runtime.settings import Settings
from tests.api.saleor_app.conftest import PUBLIC_URL
from tests.fakes.saleor_payloads import sample_payload
from tests.fakes.saleor_server import FakeSaleor, serve_fake_saleor
from tests.saleor_support import installed, order_delivery
from tests.support import make_key

SECRET_KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def shop_c() -> Iterator[FakeSaleor]:
    with serve_fake_saleor() as shop:
        yield shop


@pytest.fixture(scope="module")
def settings(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    shop_a: FakeSaleor,
    shop_b: FakeSaleor,
    shop_c: FakeSaleor,
) -> Settings:
    """Three shops may install; the default tenant has no Saleor credentials of its own."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("shops"),
        public_url=PUBLIC_URL,
        secret_key=SECRET_KEY,
        saleor_allowed_api_urls=[shop_a.api_url, shop_b.api_url, shop_c.api_url],
        pool_max_size=4,
    )


async def reader(resources: Resources, tenant_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_key(resources, Role.OPERATOR, tenant_id)}"}


async def event_ids(client: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    answer = await client.get("/events", params={"limit": 500}, headers=headers)
    assert answer.status_code == 200
    return {event["event_id"] for event in answer.json()}


async def enabled(resources: Resources, tenant_id: str) -> bool:
    async with resources.pool.connection() as conn:
        link = await saleor_link(conn, tenant_id, box=SecretBox(SECRET_KEY.encode()))
    assert link is not None
    return link.enabled


async def test_two_shops_are_two_tenants_that_never_see_each_others_events(
    client: httpx.AsyncClient,
    resources: Resources,
    operator_headers: dict[str, str],
    shop_a: FakeSaleor,
    shop_b: FakeSaleor,
) -> None:
    tenant_a, tenant_b = await installed(client, shop_a), await installed(client, shop_b)
    assert tenant_a != tenant_b
    sent: dict[str, str] = {}
    for shop in (shop_a, shop_b):
        body, headers = order_delivery(shop)
        answer = await client.post("/webhooks/saleor", content=body, headers=headers)
        assert answer.status_code == 202, answer.text
        sent[shop.api_url] = answer.json()["event_id"]
    seen_a = await event_ids(client, await reader(resources, tenant_a))
    seen_b = await event_ids(client, await reader(resources, tenant_b))
    assert seen_a == {sent[shop_a.api_url]}
    assert seen_b == {sent[shop_b.api_url]}
    assert not (seen_a | seen_b) & await event_ids(client, operator_headers)
    other = await client.get(
        f"/events/{sent[shop_b.api_url]}", headers=await reader(resources, tenant_a)
    )
    assert other.status_code == 404


async def test_a_delivery_signed_by_one_shop_but_claiming_another_is_refused(
    client: httpx.AsyncClient, resources: Resources, shop_a: FakeSaleor, shop_b: FakeSaleor
) -> None:
    tenant_b = await installed(client, shop_b)
    await installed(client, shop_a)
    before = await event_ids(client, await reader(resources, tenant_b))
    body, headers = order_delivery(shop_a)
    headers["Saleor-Api-Url"] = shop_b.api_url
    answer = await client.post("/webhooks/saleor", content=body, headers=headers)
    assert answer.status_code == 401
    assert await event_ids(client, await reader(resources, tenant_b)) == before


async def test_an_unregistered_shop_is_refused(
    client: httpx.AsyncClient, stranger_shop: FakeSaleor
) -> None:
    body, headers = order_delivery(stranger_shop)
    answer = await client.post("/webhooks/saleor", content=body, headers=headers)
    assert answer.status_code == 401
    assert "installed" in answer.json()["detail"]
    headers.pop("Saleor-Api-Url")
    unattributed = await client.post("/webhooks/saleor", content=body, headers=headers)
    assert unattributed.status_code == 404  # no default-tenant Saleor configured


def app_deleted(
    shop: FakeSaleor, app_id: str, issued_at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    payload = sample_payload("app_deleted", overrides={"app.id": app_id}, issued_at=issued_at)
    body = json.dumps(payload).encode()
    return body, shop.sign_delivery(body, event="app_deleted")


async def test_app_deleted_for_another_app_or_an_old_notice_keeps_the_link(
    client: httpx.AsyncClient, resources: Resources, shop_c: FakeSaleor
) -> None:
    tenant = await installed(client, shop_c)
    for body, headers in (
        app_deleted(shop_c, "QXBwOjk5"),
        app_deleted(shop_c, shop_c.app_id, datetime.now(UTC) - timedelta(hours=2)),
    ):
        answer = await client.post("/webhooks/saleor", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        assert await enabled(resources, tenant)


async def test_app_deleted_disables_the_link_until_installed_again(
    client: httpx.AsyncClient, resources: Resources, shop_c: FakeSaleor, shop_a: FakeSaleor
) -> None:
    tenant = await installed(client, shop_c)
    body, headers = app_deleted(shop_c, shop_c.app_id)
    answer = await client.post("/webhooks/saleor", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert not await enabled(resources, tenant)
    order, order_headers = order_delivery(shop_c)
    refused = await client.post("/webhooks/saleor", content=order, headers=order_headers)
    assert refused.status_code == 401
    assert "uninstalled" in refused.json()["detail"]
    other, other_headers = order_delivery(shop_a)
    still = await client.post("/webhooks/saleor", content=other, headers=other_headers)
    assert still.status_code == 202  # another shop's link is untouched
    assert await installed(client, shop_c) == tenant_id_for(shop_c.api_url)
    again = await client.post("/webhooks/saleor", content=order, headers=order_headers)
    assert again.status_code == 202


async def test_install_and_uninstall_are_in_the_shops_audit_chain(
    client: httpx.AsyncClient, resources: Resources, shop_b: FakeSaleor
) -> None:
    """Linking a shop gives it a tenant and a way in; both ends of that are recorded, in
    the shop tenant's own chain, which still verifies."""
    tenant = await installed(client, shop_b)
    body, headers = app_deleted(shop_b, shop_b.app_id)
    answer = await client.post("/webhooks/saleor", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT actor, action, subject, details FROM audit_log"
            " WHERE tenant_id = %s AND action LIKE 'saleor_link.%%' ORDER BY seq",
            (tenant,),
        )
        entries = await cursor.fetchall()
    assert [entry["action"] for entry in entries][-2:] == [
        "saleor_link.installed",
        "saleor_link.uninstalled",
    ]
    for entry in entries[-2:]:
        assert entry["actor"] == SALEOR_ACTOR
        assert entry["subject"] == f"saleor_link:{tenant}"
        assert entry["details"] == {"api_url": shop_b.api_url, "app_id": shop_b.app_id}
        assert shop_b.app_token not in json.dumps(entry["details"])
    report = await verify_audit(resources.pool, tenant_id=tenant)
    assert report.ok, report


async def test_an_uninstall_while_an_operator_has_the_shop_disabled_is_recorded(
    client: httpx.AsyncClient, resources: Resources, shop_b: FakeSaleor
) -> None:
    """An operator's disable refuses the shop's deliveries, but not its uninstall: Saleor
    revokes the token either way, and enabling a shop whose token is gone must be refused."""
    tenant = await installed(client, shop_b)
    async with resources.pool.connection() as conn:
        assert await set_saleor_shop_enabled(conn, tenant, enabled=False) is not None
    order, order_headers = order_delivery(shop_b)
    while_disabled = await client.post("/webhooks/saleor", content=order, headers=order_headers)
    assert while_disabled.status_code == 401
    assert "an operator disabled" in while_disabled.json()["detail"]

    forged, forged_headers = app_deleted(shop_b, shop_b.app_id)
    tampered = await client.post(
        "/webhooks/saleor",
        content=forged.replace(b"AppDeleted", b"AppDeletex"),
        headers=forged_headers,
    )
    assert tampered.status_code == 401  # the signature still decides
    body, headers = app_deleted(shop_b, shop_b.app_id)
    answer = await client.post("/webhooks/saleor", content=body, headers=headers)
    assert answer.status_code == 200, answer.text

    async with resources.pool.connection() as conn:
        link = await saleor_link(conn, tenant, box=SecretBox(SECRET_KEY.encode()))
        actions = await (
            await conn.execute(
                "SELECT action FROM audit_log WHERE tenant_id = %s ORDER BY seq DESC LIMIT 1",
                (tenant,),
            )
        ).fetchone()
    assert link is not None and link.uninstalled and not link.enabled
    assert actions is not None and actions["action"] == "saleor_link.uninstalled"
    after = await client.post("/webhooks/saleor", content=order, headers=order_headers)
    assert after.status_code == 401
    assert "uninstalled" in after.json()["detail"]
    assert await installed(client, shop_b) == tenant  # installing again links it anew
    assert await enabled(resources, tenant)
