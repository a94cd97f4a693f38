"""Shared fixtures: the embedded PostgreSQL, a fresh database per module, the app, API keys."""

from __future__ import annotations

import socket
import tempfile
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from connectors.seeding import seed_everything
from runtime.apikeys import Role
from runtime.database import open_pool
from runtime.migrate import migrate
from runtime.resources import Resources
from runtime.settings import Settings
from service.app import build_service_app
from tests.fakes.openai_server import FakeOpenAI, serve_fake_openai, use_fake_openai
from tests.support import make_key

TEMPLATE_DB = "opsgraph_template"


def guard_network() -> None:
    """Tests may talk to loopback and unix sockets only."""
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        host = address[0] if isinstance(address, tuple) else str(address)
        if host in {"localhost", "::1"} or str(host).startswith("127."):
            return real_connect(self, address)
        raise RuntimeError(f"network access blocked in tests: {address!r}")

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]


guard_network()


def start_embedded(name: str) -> Any:
    """A throwaway embedded server. Its directory is outside pytest's basetemp: pgserver runs
    PostgreSQL as its own system user, which pytest's owner-only temp folders can lock out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    pgdata = Path(tempfile.mkdtemp(prefix=f"opsgraph-test-{name}-"))
    return pgserver.get_server(pgdata, cleanup_mode="delete")  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """One embedded PostgreSQL for the whole run, deleted afterwards."""
    server = start_embedded("pg")
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def second_pg_server() -> Iterator[Any]:
    """Another PostgreSQL, for tests that stop it or point the service at it."""
    server = start_embedded("pg2")
    yield server
    server.cleanup()


def admin_url(server: Any, database: str = "postgres") -> str:
    return str(server.get_uri(database))


def create_database(server: Any, name: str, *, template: str | None = None) -> str:
    with psycopg.connect(admin_url(server), autocommit=True) as conn:
        clause = f" TEMPLATE {template}" if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{clause}')
    return admin_url(server, name)


@pytest.fixture(scope="session")
async def template_database(pg_server: Any) -> str:
    """A migrated, seeded database that each module's database is cloned from."""
    url = create_database(pg_server, TEMPLATE_DB)
    async with open_pool(url, min_size=1, max_size=2) as pool:
        await migrate(pool)
        await seed_everything(pool)
    return TEMPLATE_DB


@pytest.fixture(scope="module")
def database_url(pg_server: Any, template_database: str) -> str:
    """A fresh, migrated database for each test module."""
    return create_database(pg_server, f"test_{uuid.uuid4().hex[:12]}", template=template_database)


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        pool_min_size=1,
        pool_max_size=6,
        worker_concurrency=2,
        job_max_attempts=1,
    )


@pytest.fixture(scope="module")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The service app with its lifespan running, and no background worker (tests drain)."""
    service_app = build_service_app(settings, with_worker=False)
    async with service_app.router.lifespan_context(service_app):
        yield service_app


@pytest.fixture(scope="module")
def resources(app: FastAPI) -> Resources:
    found: Resources = app.state.resources
    return found


@pytest.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture(scope="module")
async def operator_headers(resources: Resources) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_key(resources, Role.OPERATOR)}"}


@pytest.fixture(scope="module")
async def reviewer_headers(resources: Resources) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_key(resources, Role.REVIEWER)}"}


@pytest.fixture
def tmp_data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture(scope="module")
def fake_openai_server() -> Iterator[FakeOpenAI]:
    """A fake OpenAI-compatible chat server on loopback for the module."""
    with serve_fake_openai() as server:
        yield server


@pytest.fixture
def fake_openai(fake_openai_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    """The module's fake server, reset to `FollowTheTools`, with the OpenAI client pointed at it."""
    fake_openai_server.reset()
    use_fake_openai(monkeypatch, fake_openai_server)
    return fake_openai_server
