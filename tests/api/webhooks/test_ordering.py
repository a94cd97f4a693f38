"""A mixed batch delivered three times, shuffled: one run per event, each entity in order."""

from __future__ import annotations

import itertools
import json
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.webhooks.signing import SaleorSigner, shopify_headers
from runtime.resources import Resources
from runtime.settings import Settings
from tests.support import drain_queue

SHOPIFY_SECRET = "shpss_ordering"
SIGNER = SaleorSigner(kid="ordering")
# Saleor bodies carry their issue time, refused outside the replay window: stay inside it.
START = datetime.now(UTC) - timedelta(minutes=40)


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("ordering")
    return Settings(
        database_url=database_url,
        data_dir=folder,
        saleor_jwks_url=SIGNER.write_jwks(folder / "jwks.json"),
        shopify_secrets=SHOPIFY_SECRET,
        webhook_max_age_s=3600,
        worker_concurrency=4,
        job_max_attempts=1,
    )


def at(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


def batch() -> list[tuple[str, bytes, dict[str, str]]]:
    """Four Saleor orders and three Shopify orders, each with events at increasing times."""
    deliveries = []
    for n in range(4):
        order = {
            "id": f"saleor-{n}",
            "userEmail": "a@b.example",
            "total": {"gross": {"amount": 50 + n, "currency": "USD"}},
            "lines": [],
        }
        for step, event in enumerate(("order_created", "order_updated", "order_fully_paid")):
            body = json.dumps({"order": order, "issuedAt": at(10 * n + step)}).encode()
            deliveries.append(("/webhooks/saleor", body, SIGNER.headers(event, body)))
    for n in range(3):
        for step, topic in enumerate(("orders/create", "orders/updated", "orders/paid")):
            body = json.dumps(
                {
                    "id": 9000 + n,
                    "total_price": "10.00",
                    "currency": "USD",
                    "updated_at": at(10 * n + step),
                    "line_items": [],
                }
            ).encode()
            headers = shopify_headers(
                body, SHOPIFY_SECRET, topic=topic, webhook_id=f"hook-{n}-{step}"
            )
            deliveries.append(("/webhooks/shopify", body, headers))
    return deliveries


async def test_three_shuffled_copies_run_each_event_once_and_in_order(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    distinct = batch()
    copies = distinct * 3
    random.Random(20261121).shuffle(copies)
    codes = [
        (await client.post(path, content=body, headers=headers)).status_code
        for path, body, headers in copies
    ]
    assert codes.count(202) == len(distinct)
    assert codes.count(200) == 2 * len(distinct)

    await drain_queue(resources)

    async with resources.pool.connection() as conn:
        rows = await (
            await conn.execute(
                "SELECT event_id, entity, status, attempts, occurred_at, started_at, finished_at,"
                " (SELECT count(*) FROM procrastinate_jobs j"
                "   WHERE j.args->>'event_id' = e.event_id::text) AS jobs"
                " FROM events e"
            )
        ).fetchall()
    assert len(rows) == len(distinct)
    assert all(row["jobs"] == 1 and row["attempts"] == 1 for row in rows), rows
    assert {row["status"] for row in rows} <= {"done", "skipped", "stale"}

    by_entity: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_entity[row["entity"]].append(dict(row))
    assert len(by_entity) == 7
    for entity, events in by_entity.items():
        ran = sorted((e for e in events if e["status"] != "stale"), key=lambda e: e["started_at"])
        assert ran, entity
        occurred = [e["occurred_at"] for e in ran]
        assert occurred == sorted(occurred), f"{entity} ran out of order"
        for earlier, later in itertools.pairwise(ran):
            assert earlier["finished_at"] <= later["started_at"], f"{entity} ran concurrently"
        newest_run = max(occurred)
        for stale in (e for e in events if e["status"] == "stale"):
            assert stale["occurred_at"] < newest_run, f"{entity}: stale event was the newest"
    stale_count = sum(row["status"] == "stale" for row in rows)
    assert 0 < stale_count < len(distinct), "the shuffle should make some arrivals stale"
