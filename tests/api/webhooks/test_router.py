"""The webhook endpoints over HTTP: 401s store nothing, duplicates start nothing, and more."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.webhooks.config import WebhookConfig
from api.webhooks.normalize import REGISTRY_VERSION
from api.webhooks.signing import (
    SaleorSigner,
    shopify_headers,
    standard_headers,
    stripe_headers,
    stripe_signature,
)
from runtime.resources import Resources
from runtime.settings import Settings

SHOPIFY_SECRET = "shpss_current"
SHOPIFY_OLD_SECRET = "shpss_previous"
STRIPE_SECRET = "whsec_stripe_test"
CRM_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MAX_BODY = 4096

SIGNER = SaleorSigner(kid="key-1")


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("webhooks")
    return Settings(
        database_url=database_url,
        data_dir=folder,
        saleor_jwks_url=SIGNER.write_jwks(folder / "jwks.json"),
        shopify_secrets=f"{SHOPIFY_SECRET},{SHOPIFY_OLD_SECRET}",
        stripe_secrets=STRIPE_SECRET,
        standard_webhook_secrets=f"crm={CRM_SECRET}",
        max_body_bytes=MAX_BODY,
        pool_max_size=4,
    )


def saleor_order(order_id: str, issued_at: str | None = None) -> bytes:
    order = {
        "id": order_id,
        "number": "17",
        "userEmail": "buyer@example.com",
        "total": {"gross": {"amount": 120.5, "currency": "USD"}},
        "lines": [],
    }
    issued_at = issued_at or datetime.now(UTC).isoformat()
    return json.dumps({"order": order, "issuedAt": issued_at}).encode()


def shopify_order(order_id: int) -> bytes:
    return json.dumps(
        {"id": order_id, "total_price": "19.00", "currency": "USD", "line_items": []}
    ).encode()


def stripe_event(event_id: str) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "type": "invoice.payment_failed",
            "created": int(time.time()),
            "data": {"object": {"id": "in_1", "amount_due": 1999, "currency": "usd"}},
        }
    ).encode()


def lead_event(lead_id: str) -> bytes:
    return json.dumps(
        {
            "type": "lead.created",
            "timestamp": "2026-11-20T10:00:00Z",
            "data": {"id": lead_id, "email": "cto@acme.example"},
        }
    ).encode()


async def count(resources: Resources, table: str) -> int:
    async with resources.pool.connection() as conn:
        row = await (await conn.execute(f"SELECT count(*) AS n FROM {table}")).fetchone()
    assert row is not None
    return int(row["n"])


async def stored(resources: Resources, event_id: str) -> dict[str, Any]:
    async with resources.pool.connection() as conn:
        row = await (
            await conn.execute("SELECT * FROM events WHERE event_id = %s", (event_id,))
        ).fetchone()
    assert row is not None
    return dict(row)


def valid_requests() -> dict[str, tuple[str, bytes, dict[str, str]]]:
    saleor = saleor_order(f"order-{uuid.uuid4().hex}")
    shopify = shopify_order(int(time.time_ns() % 10**12))
    stripe = stripe_event(f"evt_{uuid.uuid4().hex}")
    lead = lead_event(uuid.uuid4().hex)
    return {
        "saleor": ("/webhooks/saleor", saleor, SIGNER.headers("order_created", saleor)),
        "shopify": (
            "/webhooks/shopify",
            shopify,
            shopify_headers(
                shopify, SHOPIFY_SECRET, topic="orders/create", webhook_id=uuid.uuid4().hex
            ),
        ),
        "stripe": ("/webhooks/stripe", stripe, stripe_headers(stripe, STRIPE_SECRET)),
        "standard": (
            "/webhooks/standard/crm",
            lead,
            standard_headers(lead, CRM_SECRET, msg_id=f"msg_{uuid.uuid4().hex}"),
        ),
    }


SOURCES = ["saleor", "shopify", "stripe", "standard"]
SIGNATURE_HEADER = {
    "saleor": "Saleor-Signature",
    "shopify": "X-Shopify-Hmac-Sha256",
    "stripe": "Stripe-Signature",
    "standard": "webhook-signature",
}
CANONICAL = {
    "saleor": "order.created",
    "shopify": "order.created",
    "stripe": "payment.failed",
    "standard": "lead.created",
}


@pytest.mark.parametrize("source", SOURCES)
async def test_valid_delivery_is_stored_with_its_job_and_redacted_headers(
    client: httpx.AsyncClient, resources: Resources, source: str
) -> None:
    path, body, headers = valid_requests()[source]
    answer = await client.post(path, content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    row = await stored(resources, answer.json()["event_id"])
    assert row["status"] == "queued"
    assert row["type"] == CANONICAL[source]
    assert bytes(row["raw_body"]) == body
    assert row["headers"][SIGNATURE_HEADER[source].lower()] == "[redacted]"
    assert row["job_id"] is not None
    assert row["registry_version"] == REGISTRY_VERSION


def tampered(source: str) -> list[tuple[str, bytes, dict[str, str]]]:
    """Each way a delivery for `source` can fail its signature check."""
    path, body, headers = valid_requests()[source]
    other_body = body.replace(b"}", b', "x": 1}', 1)
    missing = {k: v for k, v in headers.items() if k.lower() != SIGNATURE_HEADER[source].lower()}
    cases = [(path, other_body, headers), (path, body, missing)]
    if source == "saleor":
        stranger = SaleorSigner(kid="key-1")
        cases.append((path, body, stranger.headers("order_created", body)))
    elif source == "shopify":
        cases.append(
            (path, body, shopify_headers(body, "wrong", topic="orders/create", webhook_id="w"))
        )
    elif source == "stripe":
        now = int(time.time())
        cases += [
            (path, body, {"Stripe-Signature": stripe_signature(body, "whsec_wrong")}),
            (
                path,
                body,
                {"Stripe-Signature": stripe_signature(body, STRIPE_SECRET, timestamp=now - 301)},
            ),
            (
                path,
                body,
                {"Stripe-Signature": stripe_signature(body, STRIPE_SECRET, timestamp=now + 301)},
            ),
        ]
    else:
        now = int(time.time())
        wrong = "whsec_" + "QUJD" * 8
        cases += [
            (path, body, standard_headers(body, wrong, msg_id="m1")),
            (path, body, standard_headers(body, CRM_SECRET, msg_id="m2", timestamp=now - 600)),
            (path, body, standard_headers(body, CRM_SECRET, msg_id="m3", timestamp=now + 600)),
        ]
    return cases


@pytest.mark.parametrize("source", SOURCES)
async def test_bad_signatures_are_401_and_store_nothing(
    client: httpx.AsyncClient, resources: Resources, source: str
) -> None:
    before = await count(resources, "events")
    for path, body, headers in tampered(source):
        answer = await client.post(path, content=body, headers=headers)
        assert answer.status_code == 401, (headers, answer.text)
        assert answer.json()["detail"].startswith("invalid signature")
    assert await count(resources, "events") == before


async def test_saleor_unknown_kid_refreshes_the_jwks_once(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    config: WebhookConfig = app.state.webhooks
    assert config.saleor_jwks is not None
    path, body, headers = valid_requests()["saleor"]
    assert (await client.post(path, content=body, headers=headers)).status_code == 202
    fetched = config.saleor_jwks.fetch_count
    config.saleor_jwks._min_interval = 0  # the throttle is tested in test_saleor.py
    intruder = SaleorSigner(kid="key-unknown")
    before = await count(resources, "events")
    answer = await client.post(path, content=body, headers=intruder.headers("order_created", body))
    assert answer.status_code == 401
    assert config.saleor_jwks.fetch_count == fetched + 1
    assert await count(resources, "events") == before


async def test_saleor_api_url_header_is_never_trusted(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    attacker = SaleorSigner(kid="key-1", domain="attacker.example")
    _, body, _ = valid_requests()["saleor"]
    headers = attacker.headers("order_created", body)
    assert headers["Saleor-Api-Url"].startswith("https://attacker.example")
    before = await count(resources, "events")
    answer = await client.post("/webhooks/saleor", content=body, headers=headers)
    assert answer.status_code == 401
    assert await count(resources, "events") == before


@pytest.mark.parametrize("source", SOURCES)
async def test_a_duplicate_answers_200_with_the_first_id_and_starts_nothing(
    client: httpx.AsyncClient, resources: Resources, source: str
) -> None:
    path, body, headers = valid_requests()[source]
    first = await client.post(path, content=body, headers=headers)
    jobs = await count(resources, "procrastinate_jobs")
    again = await client.post(path, content=body, headers=headers)
    assert again.status_code == 200
    assert again.json() == {"event_id": first.json()["event_id"], "duplicate": True}
    assert await count(resources, "procrastinate_jobs") == jobs


async def test_shopify_accepts_the_previous_secret_during_rotation(
    client: httpx.AsyncClient,
) -> None:
    body = shopify_order(424242)
    headers = shopify_headers(body, SHOPIFY_OLD_SECRET, topic="orders/paid", webhook_id="rot-1")
    answer = await client.post("/webhooks/shopify", content=body, headers=headers)
    assert answer.status_code == 202


async def test_unknown_event_type_is_stored_ignored_and_answered_200(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    body = json.dumps({"checkout": {"id": "c1"}}).encode()
    jobs = await count(resources, "procrastinate_jobs")
    answer = await client.post(
        "/webhooks/saleor", content=body, headers=SIGNER.headers("checkout_created", body)
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "ignored"
    row = await stored(resources, answer.json()["event_id"])
    assert (row["status"], row["source_event"], row["job_id"]) == (
        "ignored",
        "checkout_created",
        None,
    )
    assert await count(resources, "procrastinate_jobs") == jobs


async def test_malformed_json_under_a_valid_signature_is_400_and_kept_as_rejected(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    body = b'{"id": 5, "total_price": '
    headers = shopify_headers(body, SHOPIFY_SECRET, topic="orders/create", webhook_id="bad-json")
    answer = await client.post("/webhooks/shopify", content=body, headers=headers)
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json()["detail"]
    row = await stored(resources, answer.json()["event_id"])
    assert (row["status"], row["status_reason"], row["job_id"]) == (
        "rejected",
        "body is not valid JSON",
        None,
    )


async def test_authentic_but_wrong_shape_is_400(client: httpx.AsyncClient) -> None:
    body = json.dumps({"order": "not-an-object"}).encode()
    answer = await client.post(
        "/webhooks/saleor", content=body, headers=SIGNER.headers("order_created", body)
    )
    assert answer.status_code == 400
    assert "malformed payload" in answer.json()["detail"]


async def test_oversized_body_is_413_before_verification(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    before = await count(resources, "events")
    big = b"{" + b" " * (MAX_BODY + 1) + b"}"
    answer = await client.post(
        "/webhooks/shopify", content=big, headers={"X-Shopify-Hmac-Sha256": "x"}
    )
    assert answer.status_code == 413

    async def chunks() -> Any:
        for _ in range(10):
            yield b" " * 1024

    streamed = await client.post("/webhooks/stripe", content=chunks())
    assert streamed.status_code == 413
    assert await count(resources, "events") == before


async def test_a_source_without_a_secret_is_not_enabled(client: httpx.AsyncClient) -> None:
    answer = await client.post("/webhooks/standard/cms", content=b"{}")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "source not enabled"}


def test_reserved_standard_source_names_are_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, standard_webhook_secrets=f"stripe={CRM_SECRET}")
    with pytest.raises(ValueError, match="reserved"):
        WebhookConfig.from_settings(settings)
