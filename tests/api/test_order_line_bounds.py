"""Order lines over the configured maxima are refused where they enter, before any work.

A 219-byte `order.created` claiming 300,000 units used to be accepted and expanded into
300,000 item records by the worker. Now `POST /events` answers 422 and the webhook routes
answer 400 and keep the delivery as `rejected`; nothing is queued.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from api.webhooks.signing import shopify_headers, standard_headers
from runtime.resources import Resources
from runtime.settings import Settings

SHOPIFY_SECRET = "shpss_line_bounds"
SHOP_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("line-bounds"),
        shopify_secrets=SHOPIFY_SECRET,
        standard_webhook_secrets=f"shop={SHOP_SECRET}",
        pool_max_size=4,
    )


def canonical_order(quantity: int, *, lines: int = 1) -> dict[str, Any]:
    order_id = uuid.uuid4().hex[:10]
    return {
        "type": "order.created",
        "entity": f"order:{order_id}",
        "payload": {
            "order_id": order_id,
            "total": 5.0,
            "currency": "USD",
            "lines": [
                {"sku": f"SKU-{n}", "name": "Mug", "quantity": quantity, "unit_price": 5.0}
                for n in range(lines)
            ],
        },
    }


async def event_rows(resources: Resources) -> list[dict[str, Any]]:
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT status, status_reason, job_id FROM events ORDER BY received_at"
        )
        return [dict(row) for row in await cursor.fetchall()]


@pytest.mark.parametrize(
    ("quantity", "lines", "reason"),
    [
        (300_000, 1, "line quantity 300000 is over the limit of 10000"),
        (1, 501, "501 lines is over the limit of 500"),
        (-2, 1, "line quantity -2 is negative"),
    ],
)
async def test_post_events_refuses_lines_over_the_limits_with_422(
    client: httpx.AsyncClient,
    resources: Resources,
    operator_headers: dict[str, str],
    quantity: int,
    lines: int,
    reason: str,
) -> None:
    before = await event_rows(resources)

    answer = await client.post(
        "/events", json=canonical_order(quantity, lines=lines), headers=operator_headers
    )

    assert answer.status_code == 422, answer.text
    assert reason in answer.text
    assert await event_rows(resources) == before


async def test_post_events_accepts_the_largest_allowed_order(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    answer = await client.post(
        "/events", json=canonical_order(10_000, lines=500), headers=operator_headers
    )

    assert answer.status_code == 202, answer.text


def shopify_order(quantity: int) -> bytes:
    return json.dumps(
        {
            "id": time.time_ns() % 10**12,
            "created_at": "2026-11-20T10:00:00Z",
            "total_price": "5.00",
            "currency": "USD",
            "financial_status": "paid",
            "line_items": [{"sku": "MUG-1", "title": "Mug", "quantity": quantity, "price": "5"}],
        }
    ).encode()


def standard_order(quantity: int) -> bytes:
    data = canonical_order(quantity)["payload"] | {"id": uuid.uuid4().hex[:10]}
    return json.dumps(
        {"type": "order.created", "timestamp": "2026-11-20T10:00:00Z", "data": data}
    ).encode()


def signed(source: str, body: bytes) -> tuple[str, dict[str, str]]:
    if source == "shopify":
        headers = shopify_headers(
            body, SHOPIFY_SECRET, topic="orders/create", webhook_id=uuid.uuid4().hex
        )
        return "/webhooks/shopify", headers
    return "/webhooks/standard/shop", standard_headers(
        body, SHOP_SECRET, msg_id=f"msg_{uuid.uuid4().hex}"
    )


BODIES = {"shopify": shopify_order, "standard": standard_order}


@pytest.mark.parametrize("source", ["shopify", "standard"])
async def test_webhook_over_the_quantity_limit_is_400_and_stored_rejected(
    client: httpx.AsyncClient, resources: Resources, source: str
) -> None:
    body = BODIES[source](300_000)
    path, headers = signed(source, body)

    answer = await client.post(path, content=body, headers=headers)

    assert answer.status_code == 400, answer.text
    assert "line quantity 300000 is over the limit of 10000" in answer.text
    last = (await event_rows(resources))[-1]
    assert last["status"] == "rejected"
    assert "over the limit of 10000" in last["status_reason"]
    assert last["job_id"] is None


@pytest.mark.parametrize("source", ["shopify", "standard"])
async def test_webhook_at_the_quantity_limit_is_queued(
    client: httpx.AsyncClient, resources: Resources, source: str
) -> None:
    body = BODIES[source](10_000)
    path, headers = signed(source, body)

    answer = await client.post(path, content=body, headers=headers)

    assert answer.status_code == 202, answer.text
    assert (await event_rows(resources))[-1]["status"] == "queued"
