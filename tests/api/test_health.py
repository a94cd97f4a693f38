"""Liveness and readiness: database, migrations, worker heartbeat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from runtime.resources import Resources
from runtime.settings import Settings
from service.app import build_service_app
from service.worker import background_worker
from tests.support import start_postgres, stop_postgres, wait_for


async def test_healthz(client: httpx.AsyncClient) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


async def test_readyz_names_the_missing_worker(client: httpx.AsyncClient) -> None:
    answer = await client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["failing"] == ["worker"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"]["ok"] is True


async def test_readyz_ready_with_a_worker_and_names_pending_migrations(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    async def ready() -> bool:
        return (await client.get("/readyz")).status_code == 200

    async with background_worker(resources):
        await wait_for(ready, timeout_s=30, what="/readyz 200 with a worker running")
        async with resources.pool.connection() as conn:
            await conn.execute("DELETE FROM opsgraph_migrations WHERE version = 1")
        try:
            answer = await client.get("/readyz")
            assert answer.status_code == 503
            assert answer.json()["failing"] == ["migrations"]
            assert "pending: [1]" in answer.json()["checks"]["migrations"]["detail"]
        finally:
            async with resources.pool.connection() as conn:
                await conn.execute(
                    "INSERT INTO opsgraph_migrations (version, name) VALUES (1, 'base')"
                )


@pytest.fixture(scope="module")
async def outage_app(
    second_pg_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    settings = Settings(
        database_url=str(second_pg_server.get_uri()),
        data_dir=Path(tmp_path_factory.mktemp("outage")),
        pool_min_size=1,
        pool_max_size=4,
    )
    app = build_service_app(settings, with_worker=True)
    async with app.router.lifespan_context(app):
        yield app


async def test_readyz_follows_a_database_outage_without_a_restart(
    outage_app: FastAPI, second_pg_server: Any
) -> None:
    transport = httpx.ASGITransport(app=outage_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def status_is(code: int) -> bool:
            return (await client.get("/readyz")).status_code == code

        await wait_for(lambda: status_is(200), timeout_s=30, what="ready before the outage")
        stop_postgres(second_pg_server)
        try:
            down = await client.get("/readyz")
            assert down.status_code == 503
            assert down.json()["failing"] == ["database"]
        finally:
            start_postgres(second_pg_server)
        await wait_for(lambda: status_is(200), timeout_s=90, what="ready after the outage")
        assert (await client.get("/healthz")).status_code == 200
