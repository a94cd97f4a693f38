"""The replays from the hardening review, over HTTP: signed bodies under unsigned names and ids.

Saleor's `Saleor-Event` and Shopify's `X-Shopify-Topic` and `X-Shopify-Webhook-Id` are not
signed. Re-posting a signed body under another name or a fresh id must not start new work.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.webhooks.signing import SaleorSigner, shopify_headers
from connectors.orders import get_order
from runtime.resources import Resources
from runtime.settings import Settings
from tests.support import drain_queue

SHOPIFY_SECRET = "shpss_replays"
SIGNER = SaleorSigner(kid="replays")
SEEDED_ORDER = "#W4817420"  # delivered and paid in the seeded retail store


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("replays")
    return Settings(
        database_url=database_url,
        data_dir=folder,
        saleor_jwks_url=SIGNER.write_jwks(folder / "jwks.json"),
        shopify_secrets=SHOPIFY_SECRET,
        webhook_max_age_s=900,
        job_max_attempts=1,
    )


def saleor_order(issued_at: datetime | None = None, **fields: Any) -> bytes:
    order = {
        "id": f"replay-{uuid.uuid4().hex[:8]}",
        "status": "UNFULFILLED",
        "userEmail": "buyer@example.com",
        "total": {"gross": {"amount": 42.0, "currency": "USD"}},
        "lines": [],
        **fields,
    }
    issued = (issued_at or datetime.now(UTC)).isoformat()
    return json.dumps({"issuedAt": issued, "order": order}).encode()


def shopify(body: bytes, topic: str) -> dict[str, str]:
    """Headers as Shopify sends them, with a fresh (unsigned) webhook id every time."""
    return shopify_headers(body, SHOPIFY_SECRET, topic=topic, webhook_id=str(uuid.uuid4()))


async def rows(resources: Resources, sql: str, *args: Any) -> list[dict[str, Any]]:
    async with resources.pool.connection() as conn:
        return [dict(row) for row in await (await conn.execute(sql, args)).fetchall()]


async def job_count(resources: Resources) -> int:
    (row,) = await rows(resources, "SELECT count(*) AS n FROM procrastinate_jobs")
    return int(row["n"])


async def test_a_saleor_order_created_body_relabelled_cancelled_is_refused_and_runs_nothing(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    body = saleor_order()
    created = await client.post(
        "/webhooks/saleor", content=body, headers=SIGNER.headers("order_created", body)
    )
    assert created.status_code == 202, created.text
    jobs = await job_count(resources)

    replay = await client.post(
        "/webhooks/saleor", content=body, headers=SIGNER.headers("order_cancelled", body)
    )

    assert replay.status_code == 400, replay.text
    assert "not canceled" in replay.json()["detail"]
    (kept,) = await rows(
        resources, "SELECT * FROM events WHERE event_id = %s", replay.json()["event_id"]
    )
    assert (kept["status"], kept["type"], kept["job_id"]) == ("rejected", None, None)
    assert "unfulfilled, not canceled" in kept["status_reason"]
    assert await job_count(resources) == jobs
    entity = f"order:{json.loads(body)['order']['id']}"
    types = await rows(resources, "SELECT type FROM events WHERE entity = %s", entity)
    assert [row["type"] for row in types] == ["order.created"]


async def test_one_signed_shopify_refund_posted_three_times_refunds_once(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    async with resources.pool.connection() as conn:
        before = await get_order(conn, tenant_id="default", order_id=SEEDED_ORDER)
    refunds_before = [p for p in before["payment_history"] if p["transaction_type"] == "refund"]
    body = json.dumps(
        {
            "id": 509562969,
            "order_id": SEEDED_ORDER,
            "amount": 40.0,
            "refund_line_items": [],
            "transactions": [{"amount": "40.00", "kind": "refund", "currency": "USD"}],
        }
    ).encode()

    topic = "refunds/create"
    answers = [
        await client.post("/webhooks/shopify", content=body, headers=shopify(body, topic))
        for _ in range(3)
    ]

    assert [a.status_code for a in answers] == [202, 200, 200]
    first = answers[0].json()["event_id"]
    assert [a.json() for a in answers[1:]] == [{"event_id": first, "duplicate": True}] * 2
    await drain_queue(resources)
    async with resources.pool.connection() as conn:
        after = await get_order(conn, tenant_id="default", order_id=SEEDED_ORDER)
    refunds = [p for p in after["payment_history"] if p["transaction_type"] == "refund"]
    assert len(refunds) == len(refunds_before) + 1
    assert refunds[-1]["amount"] == 40.0


async def test_one_shopify_order_under_its_genuine_topics_runs_once_per_topic(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    order = {
        "id": 820982911946154508,
        "total_price": "19.00",
        "currency": "USD",
        "financial_status": "paid",
        "cancelled_at": None,
        "line_items": [],
    }
    body = json.dumps(order).encode()
    topics = ("orders/create", "orders/paid", "orders/updated")

    answers = [
        await client.post("/webhooks/shopify", content=body, headers=shopify(body, topic))
        for topic in topics
    ]
    again = await client.post(
        "/webhooks/shopify", content=body, headers=shopify(body, "orders/paid")
    )
    cancelled = await client.post(
        "/webhooks/shopify", content=body, headers=shopify(body, "orders/cancelled")
    )

    assert [a.status_code for a in answers] == [202, 202, 202]
    stored = await rows(
        resources,
        "SELECT type FROM events WHERE entity = %s AND status <> 'rejected' ORDER BY received_at",
        f"order:{order['id']}",
    )
    assert [row["type"] for row in stored] == ["order.created", "order.paid", "order.updated"]
    assert again.status_code == 200
    assert again.json()["event_id"] == answers[1].json()["event_id"]
    assert cancelled.status_code == 400
    assert "cancelled_at" in cancelled.json()["detail"]


@pytest.mark.parametrize("offset", [timedelta(hours=-2), timedelta(hours=2)], ids=["old", "ahead"])
async def test_a_saleor_body_issued_outside_the_window_is_refused(
    client: httpx.AsyncClient, resources: Resources, offset: timedelta
) -> None:
    body = saleor_order(issued_at=datetime.now(UTC) + offset)
    jobs = await job_count(resources)

    answer = await client.post(
        "/webhooks/saleor", content=body, headers=SIGNER.headers("order_created", body)
    )

    assert answer.status_code == 400, answer.text
    assert "900 s replay window" in answer.json()["detail"]
    event_id = answer.json()["event_id"]
    sql = "SELECT status, job_id FROM events WHERE event_id = %s"
    (kept,) = await rows(resources, sql, event_id)
    assert (kept["status"], kept["job_id"]) == ("rejected", None)
    assert await job_count(resources) == jobs


async def test_a_saleor_body_issued_within_the_window_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    body = saleor_order(issued_at=datetime.now(UTC) - timedelta(minutes=10))

    answer = await client.post(
        "/webhooks/saleor", content=body, headers=SIGNER.headers("order_created", body)
    )

    assert answer.status_code == 202, answer.text
