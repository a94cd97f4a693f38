"""With the database down webhooks get 503; the senders' retries land once it is back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from api.webhooks.signing import shopify_headers
from runtime.settings import Settings
from service.app import build_service_app
from tests.support import start_postgres, stop_postgres

SECRET = "shpss_outage"


@pytest.fixture(scope="module")
async def outage_app(
    second_pg_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    settings = Settings(
        database_url=str(second_pg_server.get_uri()),
        data_dir=Path(tmp_path_factory.mktemp("outage")),
        shopify_secrets=SECRET,
        pool_min_size=1,
        pool_max_size=4,
    )
    app = build_service_app(settings, with_worker=False)
    async with app.router.lifespan_context(app):
        yield app


def delivery(n: int) -> tuple[bytes, dict[str, str]]:
    order = {"id": 7000 + n, "total_price": "5.00", "currency": "USD", "line_items": []}
    body = json.dumps(order).encode()
    return body, shopify_headers(body, SECRET, topic="orders/create", webhook_id=f"outage-{n}")


async def test_503_while_down_then_retries_are_accepted_and_nothing_is_lost(
    outage_app: FastAPI, second_pg_server: Any
) -> None:
    deliveries = [delivery(n) for n in range(3)]
    transport = httpx.ASGITransport(app=outage_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        stop_postgres(second_pg_server)
        try:
            for body, headers in deliveries:
                answer = await client.post("/webhooks/shopify", content=body, headers=headers)
                assert answer.status_code == 503
                assert answer.headers["retry-after"] == "10"
        finally:
            start_postgres(second_pg_server)

        for body, headers in deliveries:
            codes = []
            for _ in range(10):  # the sender's retries
                code = (
                    await client.post("/webhooks/shopify", content=body, headers=headers)
                ).status_code
                codes.append(code)
                if code != 503:
                    break
            assert codes[-1] == 202, codes

    with psycopg.connect(str(second_pg_server.get_uri())) as conn:
        rows = conn.execute(
            "SELECT entity, status FROM events WHERE source = 'shopify' ORDER BY entity"
        ).fetchall()
        jobs = conn.execute("SELECT count(*) FROM procrastinate_jobs").fetchone()
    assert rows == [(f"order:{7000 + n}", "queued") for n in range(3)]
    assert jobs == (3,)
