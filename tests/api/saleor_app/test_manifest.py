"""GET /saleor/manifest: what the Saleor dashboard installs opsgraph from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from api.app import create_app
from api.saleor_app.manifest import (
    ACTION_PERMISSION,
    UNINSTALL_EVENT,
    event_permission,
    handled_events,
)
from api.webhooks.normalize import SALEOR
from connectors.saleor_documents import document_errors, subscription_events
from graph.routing import REGISTRY
from runtime.settings import Settings
from tests.api.saleor_app.conftest import PUBLIC_URL
from tests.saleor_support import read_manifest


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("manifest"),
        public_url=PUBLIC_URL + "/",
        secret_key=Fernet.generate_key().decode(),
        pool_max_size=3,
    )


@pytest.fixture(scope="module")
async def manifest(client: httpx.AsyncClient) -> dict[str, object]:
    return await read_manifest(client)


@pytest.fixture
async def unconfigured(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A service without OPSGRAPH_PUBLIC_URL (the manifest needs no database)."""
    app = create_app(Settings(data_dir=tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def webhooks(manifest: dict[str, object]) -> list[dict[str, object]]:
    found = manifest["webhooks"]
    assert isinstance(found, list)
    return found


def test_identity_and_absolute_urls(manifest: dict[str, object]) -> None:
    assert manifest["id"] == "opsgraph" and manifest["name"] == "opsgraph"
    assert manifest["version"]
    assert manifest["appUrl"] == f"{PUBLIC_URL}/inbox"
    assert manifest["tokenTargetUrl"] == f"{PUBLIC_URL}/saleor/register"
    urls: list[object] = [manifest["appUrl"], manifest["tokenTargetUrl"]]
    urls += [hook["targetUrl"] for hook in webhooks(manifest)]
    for url in urls:
        parts = urlsplit(str(url))
        assert parts.scheme == "https" and parts.netloc == "ops.example.com", url


def test_one_webhook_per_routed_saleor_event_and_the_uninstall(
    manifest: dict[str, object],
) -> None:
    events = [hook["asyncEvents"] for hook in webhooks(manifest)]
    assert all(isinstance(names, list) and len(names) == 1 for names in events)
    subscribed = sorted(str(names[0]).lower() for names in events)  # type: ignore[index]
    routed = {name for name, route in SALEOR.items() if REGISTRY.accepts(route.canonical)}
    assert subscribed == sorted({*routed, UNINSTALL_EVENT})
    assert subscribed == sorted([*handled_events(), UNINSTALL_EVENT])
    assert subscribed == subscription_events()  # a document for each, and no stray one
    for hook in webhooks(manifest):
        assert hook["targetUrl"] == f"{PUBLIC_URL}/webhooks/saleor"
        assert hook["isActive"] is True


def test_every_subscription_query_validates_against_the_schema(
    manifest: dict[str, object],
) -> None:
    for hook in webhooks(manifest):
        query = hook["query"]
        assert isinstance(query, str) and query.startswith("subscription ")
        assert document_errors(query) == [], hook["name"]


def test_permissions_are_what_the_events_and_tools_need(manifest: dict[str, object]) -> None:
    permissions = manifest["permissions"]
    assert isinstance(permissions, list)
    assert {"MANAGE_ORDERS", "MANAGE_PRODUCTS"} <= set(permissions)
    needed = {event_permission(name) for name in subscription_events()} | set(ACTION_PERMISSION)
    assert sorted(needed) == permissions
    assert "MANAGE_STAFF" not in permissions and "HANDLE_PAYMENTS" not in permissions


async def test_without_a_public_url_the_manifest_is_refused_not_relative(
    unconfigured: httpx.AsyncClient,
) -> None:
    answer = await unconfigured.get("/saleor/manifest")
    assert answer.status_code == 404
    assert "OPSGRAPH_PUBLIC_URL" in answer.json()["detail"]
    assert "webhooks" not in answer.json()


def test_a_public_url_must_be_https_except_on_loopback(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="OPSGRAPH_PUBLIC_URL"):
        Settings(data_dir=tmp_path, public_url="http://ops.example.com")
    assert Settings(data_dir=tmp_path, public_url="http://127.0.0.1:8000/").public_url == (
        "http://127.0.0.1:8000"
    )
