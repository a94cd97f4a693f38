"""The pool after an outage: the first requests once the database is back are accepted."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.webhooks.signing import shopify_headers
from runtime.apikeys import Role
from runtime.settings import Settings
from service.app import build_service_app
from tests.support import make_key, start_postgres, stop_postgres

SECRET = "shpss_recovery"
OUTAGE_S = 8.0
BACK_WITHIN_S = 2.0


@pytest.fixture(scope="module")
async def outage_app(
    second_pg_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    settings = Settings(
        database_url=str(second_pg_server.get_uri()),
        data_dir=Path(tmp_path_factory.mktemp("recovery")),
        shopify_secrets=SECRET,
        pool_min_size=2,
        pool_max_size=4,
    )
    app = build_service_app(settings, with_worker=False)
    async with app.router.lifespan_context(app):
        yield app


def webhook(n: int) -> tuple[bytes, dict[str, str]]:
    order = {"id": 8000 + n, "total_price": "5.00", "currency": "USD", "line_items": []}
    body = json.dumps(order).encode()
    return body, shopify_headers(body, SECRET, topic="orders/create", webhook_id=f"back-{n}")


async def post_event(client: httpx.AsyncClient, headers: dict[str, str], n: int) -> int:
    answer = await client.post(
        "/events",
        json={"type": "order.created", "entity": f"order:back-{n}", "payload": {}},
        headers=headers,
    )
    return answer.status_code


async def post_webhook(client: httpx.AsyncClient, n: int) -> int:
    body, headers = webhook(n)
    return (await client.post("/webhooks/shopify", content=body, headers=headers)).status_code


async def accepted_before(deadline: float, send: Any) -> list[int]:
    """Send until one answer is 202; every attempt (and its wait) ends by `deadline`."""
    loop = asyncio.get_running_loop()
    codes: list[int] = []
    while loop.time() < deadline:
        try:
            code = await asyncio.wait_for(send(), timeout=max(deadline - loop.time(), 0.01))
        except TimeoutError:
            codes.append(0)  # still waiting for a connection at the deadline
            break
        codes.append(code)
        if code == 202:
            break
        await asyncio.sleep(0.05)
    return codes


async def test_ingestion_accepts_again_within_two_seconds_of_the_database_returning(
    outage_app: FastAPI, second_pg_server: Any
) -> None:
    headers = {
        "Authorization": f"Bearer {await make_key(outage_app.state.resources, Role.OPERATOR)}"
    }
    transport = httpx.ASGITransport(app=outage_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert await post_event(client, headers, 0) == 202
        assert await post_webhook(client, 0) == 202

        stop_postgres(second_pg_server)
        try:
            loop = asyncio.get_running_loop()
            outage_ends = loop.time() + OUTAGE_S
            n = 1
            while loop.time() < outage_ends:  # senders keep trying while it is down
                assert await post_webhook(client, n) == 503
                n += 1
                await asyncio.sleep(0.3)
        finally:
            start_postgres(second_pg_server)

        deadline = asyncio.get_running_loop().time() + BACK_WITHIN_S
        webhook_codes = await accepted_before(deadline, lambda: post_webhook(client, 100))
        event_codes = await accepted_before(deadline, lambda: post_event(client, headers, 100))
    assert webhook_codes[-1:] == [202], webhook_codes
    assert event_codes[-1:] == [202], event_codes
