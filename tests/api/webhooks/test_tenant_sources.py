"""`POST /webhooks/{source}/t/{tenant}`: two tenants side by side, each with its own secrets.

The tenant in the path only chooses whose secrets verify; a delivery lands in that tenant
and in no other, and is seen only with that tenant's key.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI

from api.metrics import webhook_source
from api.webhooks.config import WebhookConfig
from api.webhooks.signing import shopify_headers, standard_headers, stripe_headers
from runtime.apikeys import Role
from runtime.resources import Resources
from runtime.secretbox import SecretBox
from runtime.settings import Settings
from runtime.webhook_sources import (
    CACHE_TTL_S,
    SourceKind,
    SourceSecrets,
    add_source_secret,
    remove_source_secret,
)
from tests.support import make_key

DEFAULT_SHOPIFY = "shpss_default_tenant"
DEFAULT_STRIPE = "whsec_default_tenant"
DEFAULT_CRM = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
KINDS = [SourceKind.SHOPIFY, SourceKind.STRIPE, SourceKind.STANDARD]
MAX_BODY = 4096


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Tenant:
    tenant_id: str
    headers: dict[str, str]
    secrets: dict[SourceKind, str]


def new_secret(kind: SourceKind) -> str:
    if kind is SourceKind.STANDARD:
        return "whsec_" + base64.b64encode(os.urandom(24)).decode()
    return f"{'shpss' if kind is SourceKind.SHOPIFY else 'whsec'}_{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("tenant-webhooks"),
        secret_key=Fernet.generate_key().decode(),
        shopify_secrets=DEFAULT_SHOPIFY,
        stripe_secrets=DEFAULT_STRIPE,
        standard_webhook_secrets=f"crm={DEFAULT_CRM}",
        max_body_bytes=MAX_BODY,
        pool_max_size=4,
    )


@pytest.fixture(scope="module", autouse=True)
def clock(app: FastAPI, settings: Settings) -> Iterator[Clock]:
    """The app's secrets cache on a clock the tests move, so nothing sleeps."""
    ticking = Clock()
    config: WebhookConfig = app.state.webhooks
    cache = SourceSecrets(lambda: SecretBox.from_settings(settings), clock=ticking)
    app.state.webhooks = dataclasses.replace(config, tenant_sources=cache)
    yield ticking
    app.state.webhooks = config


async def make_tenant(resources: Resources, settings: Settings, label: str) -> Tenant:
    tenant_id = f"{label}-{uuid.uuid4().hex[:6]}"
    secrets = {kind: new_secret(kind) for kind in KINDS}
    for kind, secret in secrets.items():
        await add_source_secret(
            resources.pool,
            SecretBox.from_settings(settings),
            tenant_id=tenant_id,
            kind=kind,
            name="crm" if kind is SourceKind.STANDARD else "",
            secret=secret,
            create_tenant=True,
        )
    key = await make_key(resources, Role.OPERATOR, tenant_id=tenant_id)
    return Tenant(tenant_id, {"Authorization": f"Bearer {key}"}, secrets)


@pytest.fixture(scope="module")
async def shop_a(resources: Resources, settings: Settings) -> Tenant:
    return await make_tenant(resources, settings, "shop-a")


@pytest.fixture(scope="module")
async def shop_b(resources: Resources, settings: Settings) -> Tenant:
    return await make_tenant(resources, settings, "shop-b")


def delivery(
    kind: SourceKind, secret: str, *, tenant: str | None, webhook_id: str | None = None
) -> tuple[str, bytes, dict[str, str]]:
    """A signed delivery for `tenant`'s URL (None: the default tenant's un-suffixed URL)."""
    suffix = "" if tenant is None else f"/t/{tenant}"
    webhook_id = webhook_id or uuid.uuid4().hex
    if kind is SourceKind.SHOPIFY:
        body = json.dumps({"id": int(uuid.uuid4().int % 10**12), "line_items": []}).encode()
        headers = shopify_headers(body, secret, topic="orders/create", webhook_id=webhook_id)
        return f"/webhooks/shopify{suffix}", body, headers
    if kind is SourceKind.STRIPE:
        event = {
            "id": f"evt_{webhook_id}",
            "type": "invoice.payment_failed",
            "created": int(time.time()),
            "data": {"object": {"id": "in_1", "amount_due": 1999, "currency": "usd"}},
        }
        body = json.dumps(event).encode()
        return f"/webhooks/stripe{suffix}", body, stripe_headers(body, secret)
    lead = {"type": "lead.created", "data": {"id": webhook_id, "email": "cto@acme.example"}}
    body = json.dumps({**lead, "timestamp": "2026-11-20T10:00:00Z"}).encode()
    headers = standard_headers(body, secret, msg_id=f"msg_{webhook_id}")
    return f"/webhooks/standard/crm{suffix}", body, headers


async def listed_ids(client: httpx.AsyncClient, tenant: Tenant) -> set[str]:
    answer = await client.get("/events", params={"limit": 500}, headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    return {event["event_id"] for event in answer.json()}


async def count_events(resources: Resources) -> int:
    async with resources.pool.connection() as conn:
        row = await (await conn.execute("SELECT count(*) AS n FROM events")).fetchone()
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize("kind", KINDS)
async def test_each_delivery_lands_in_its_own_tenant(
    client: httpx.AsyncClient, shop_a: Tenant, shop_b: Tenant, kind: SourceKind
) -> None:
    path_a, body_a, headers_a = delivery(kind, shop_a.secrets[kind], tenant=shop_a.tenant_id)
    path_b, body_b, headers_b = delivery(kind, shop_b.secrets[kind], tenant=shop_b.tenant_id)

    to_a = await client.post(path_a, content=body_a, headers=headers_a)
    to_b = await client.post(path_b, content=body_b, headers=headers_b)

    assert (to_a.status_code, to_b.status_code) == (202, 202), (to_a.text, to_b.text)
    event_a, event_b = to_a.json()["event_id"], to_b.json()["event_id"]
    seen_by_a, seen_by_b = await listed_ids(client, shop_a), await listed_ids(client, shop_b)
    assert event_a in seen_by_a and event_a not in seen_by_b
    assert event_b in seen_by_b and event_b not in seen_by_a
    view = await client.get(f"/events/{event_a}", headers=shop_a.headers)
    assert view.json()["source"] == ("crm" if kind is SourceKind.STANDARD else kind.value)
    assert (await client.get(f"/events/{event_a}", headers=shop_b.headers)).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
async def test_a_signature_for_one_tenant_is_refused_at_another(
    client: httpx.AsyncClient,
    resources: Resources,
    shop_a: Tenant,
    shop_b: Tenant,
    kind: SourceKind,
) -> None:
    default_secret = {
        SourceKind.SHOPIFY: DEFAULT_SHOPIFY,
        SourceKind.STRIPE: DEFAULT_STRIPE,
        SourceKind.STANDARD: DEFAULT_CRM,
    }[kind]
    before = await count_events(resources)
    attempts = [
        delivery(kind, shop_a.secrets[kind], tenant=shop_b.tenant_id),  # A's, at B's URL
        delivery(kind, default_secret, tenant=shop_a.tenant_id),  # the settings', at A's
        delivery(kind, shop_a.secrets[kind], tenant=None),  # A's, at the default URL
    ]

    for path, body, headers in attempts:
        answer = await client.post(path, content=body, headers=headers)
        assert answer.status_code == 401, (path, answer.text)
        assert answer.json()["detail"].startswith("invalid signature")
    assert await count_events(resources) == before


@pytest.mark.parametrize("kind", KINDS)
async def test_a_tenant_without_the_source_is_not_enabled_before_its_body_is_read(
    client: httpx.AsyncClient,
    resources: Resources,
    settings: Settings,
    shop_a: Tenant,
    kind: SourceKind,
) -> None:
    bare = f"bare-{uuid.uuid4().hex[:6]}"
    other = SourceKind.STRIPE if kind is not SourceKind.STRIPE else SourceKind.SHOPIFY
    await add_source_secret(
        resources.pool,
        SecretBox.from_settings(settings),
        tenant_id=bare,
        kind=other,
        secret=new_secret(other),
        create_tenant=True,
    )
    too_big = b"{" + b" " * (MAX_BODY * 2) + b"}"

    for tenant in (bare, "no-such-tenant", "default"):
        path, _, headers = delivery(kind, new_secret(kind), tenant=tenant)
        answer = await client.post(path, content=too_big, headers=headers)
        assert (answer.status_code, answer.json()) == (404, {"detail": "source not enabled"})
    if kind is SourceKind.STANDARD:  # a source name the tenant has not added
        path, body, headers = delivery(kind, shop_a.secrets[kind], tenant=shop_a.tenant_id)
        erp = path.replace("/standard/crm/", "/standard/erp/")
        assert (await client.post(erp, content=body, headers=headers)).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
async def test_rotation_then_removal_within_the_cache_bound(
    client: httpx.AsyncClient,
    resources: Resources,
    settings: Settings,
    clock: Clock,
    kind: SourceKind,
) -> None:
    shop = await make_tenant(resources, settings, "rotating")
    old = shop.secrets[kind]
    new = new_secret(kind)
    added, _ = await add_source_secret(
        resources.pool,
        SecretBox.from_settings(settings),
        tenant_id=shop.tenant_id,
        kind=kind,
        name="crm" if kind is SourceKind.STANDARD else "",
        secret=new,
    )
    clock.now += CACHE_TTL_S

    for secret in (old, new):
        path, body, headers = delivery(kind, secret, tenant=shop.tenant_id)
        answer = await client.post(path, content=body, headers=headers)
        assert answer.status_code == 202, answer.text

    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT source_id FROM webhook_sources WHERE tenant_id = %s AND kind = %s "
            "AND source_id <> %s",
            (shop.tenant_id, kind.value, added.source_id),
        )
        old_id = (await cursor.fetchone() or {})["source_id"]
    assert await remove_source_secret(resources.pool, tenant_id=shop.tenant_id, source_id=old_id)
    path, body, headers = delivery(kind, old, tenant=shop.tenant_id)
    clock.now += CACHE_TTL_S - 0.5
    assert (await client.post(path, content=body, headers=headers)).status_code == 202
    clock.now += 0.5

    path, body, headers = delivery(kind, old, tenant=shop.tenant_id)
    assert (await client.post(path, content=body, headers=headers)).status_code == 401
    path, body, headers = delivery(kind, new, tenant=shop.tenant_id)
    assert (await client.post(path, content=body, headers=headers)).status_code == 202

    await remove_source_secret(resources.pool, tenant_id=shop.tenant_id, source_id=added.source_id)
    clock.now += CACHE_TTL_S
    answer = await client.post(path, content=body, headers=headers)
    assert (answer.status_code, answer.json()) == (404, {"detail": "source not enabled"})


async def test_dedupe_identity_is_per_tenant(
    client: httpx.AsyncClient, shop_a: Tenant, shop_b: Tenant
) -> None:
    webhook_id = uuid.uuid4().hex
    body = json.dumps({"id": 4242, "line_items": []}).encode()
    sent: dict[str, str] = {}
    for shop in (shop_a, shop_b):
        headers = shopify_headers(
            body, shop.secrets[SourceKind.SHOPIFY], topic="orders/create", webhook_id=webhook_id
        )
        answer = await client.post(
            f"/webhooks/shopify/t/{shop.tenant_id}", content=body, headers=headers
        )
        assert answer.status_code == 202, answer.text
        sent[shop.tenant_id] = answer.json()["event_id"]
        again = await client.post(
            f"/webhooks/shopify/t/{shop.tenant_id}", content=body, headers=headers
        )
        assert (again.status_code, again.json()["event_id"]) == (200, sent[shop.tenant_id])
    assert len(set(sent.values())) == 2


async def test_secrets_that_cannot_be_opened_answer_503_not_401(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    """A changed OPSGRAPH_SECRET_KEY is the operator's to fix; the sender should retry."""
    tenant = f"rekeyed-{uuid.uuid4().hex[:6]}"
    secret = new_secret(SourceKind.SHOPIFY)
    sealed_elsewhere = SecretBox(Fernet.generate_key()).seal(secret)
    async with resources.pool.connection() as conn:
        await conn.execute("INSERT INTO tenants (tenant_id, name) VALUES (%s, 'x')", (tenant,))
        await conn.execute(
            "INSERT INTO webhook_sources (source_id, tenant_id, kind, sealed_secret, fingerprint)"
            " VALUES (%s, %s, 'shopify', %s, 'unknown')",
            (uuid.uuid4(), tenant, sealed_elsewhere),
        )
    path, body, headers = delivery(SourceKind.SHOPIFY, secret, tenant=tenant)
    try:
        answer = await client.post(path, content=body, headers=headers)
    finally:
        async with resources.pool.connection() as conn:
            await conn.execute("DELETE FROM webhook_sources WHERE tenant_id = %s", (tenant,))

    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "10"
    assert secret not in answer.text


async def test_a_tenant_the_url_cannot_name_is_a_422(client: httpx.AsyncClient) -> None:
    answer = await client.post("/webhooks/shopify/t/a%20b", content=b"{}")
    assert answer.status_code == 422


def test_the_openapi_document_lists_the_routes_and_their_answers(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    expected = {"200", "202", "400", "401", "404", "413", "422", "503"}
    for route in (
        "/webhooks/shopify/t/{tenant}",
        "/webhooks/stripe/t/{tenant}",
        "/webhooks/standard/{source}/t/{tenant}",
    ):
        assert set(paths[route]["post"]["responses"]) == expected, route


def test_metrics_label_tenant_urls_by_platform(app: FastAPI) -> None:
    config: WebhookConfig = app.state.webhooks
    assert webhook_source("/webhooks/shopify/t/shop-a", config) == "shopify"
    assert webhook_source("/webhooks/stripe/t/shop-a", config) == "stripe"
    assert webhook_source("/webhooks/standard/anything/t/shop-a", config) == "standard"
    assert webhook_source("/webhooks/standard/crm", config) == "crm"
    assert webhook_source("/webhooks/nothing/t/shop-a", config) == "other"
