"""POST /saleor/register: only allowlisted shops, verified by their app id and JWKS."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import ValidationError

from api.app import create_app
from runtime.resources import Resources
from runtime.saleor_links import saleor_link, tenant_id_for
from runtime.secretbox import SecretBox
from runtime.settings import Settings
from tests.api.saleor_app.conftest import PUBLIC_URL
from tests.fakes.saleor_server import FakeSaleor
from tests.saleor_support import install

SECRET_KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def settings(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    shop_a: FakeSaleor,
    keyless_shop: FakeSaleor,
) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("register"),
        public_url=PUBLIC_URL,
        secret_key=SECRET_KEY,
        saleor_allowed_api_urls=[shop_a.api_url, keyless_shop.api_url],
        pool_max_size=3,
    )


@pytest.fixture
async def no_allowlist(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The same service without OPSGRAPH_SALEOR_ALLOWED_API_URLS."""
    bare = settings.model_copy(update={"saleor_allowed_api_urls": [], "data_dir": tmp_path})
    app = create_app(bare)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def links(resources: Resources) -> list[str]:
    async with resources.pool.connection() as conn:
        rows = await (await conn.execute("SELECT tenant_id FROM saleor_apps")).fetchall()
    return sorted(row["tenant_id"] for row in rows)


def box() -> SecretBox:
    return SecretBox(SECRET_KEY.encode())


async def test_an_empty_allowlist_refuses_every_install(
    no_allowlist: httpx.AsyncClient, shop_a: FakeSaleor
) -> None:
    answer = await install(no_allowlist, shop_a)
    assert answer.status_code == 403
    assert "OPSGRAPH_SALEOR_ALLOWED_API_URLS" in answer.json()["detail"]
    assert answer.json()["error"]["code"] == "SALEOR_URL_PROHIBITED"
    assert answer.json()["success"] is False


async def test_a_shop_off_the_allowlist_is_refused(
    client: httpx.AsyncClient, resources: Resources, stranger_shop: FakeSaleor
) -> None:
    answer = await install(client, stranger_shop)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "SALEOR_URL_PROHIBITED"
    assert stranger_shop.documents == []  # not even asked who it is
    assert await links(resources) == []


async def test_the_api_url_header_and_token_are_required(
    client: httpx.AsyncClient, shop_a: FakeSaleor
) -> None:
    no_header = await client.post("/saleor/register", json={"auth_token": shop_a.app_token})
    assert no_header.status_code == 400
    no_token = await client.post(
        "/saleor/register", json={"token": "x"}, headers={"saleor-api-url": shop_a.api_url}
    )
    assert no_token.status_code == 400
    assert no_token.json()["error"]["code"] == "MISSING_AUTH_TOKEN"
    not_json = await client.post(
        "/saleor/register", content=b"{", headers={"saleor-api-url": shop_a.api_url}
    )
    assert not_json.status_code == 400


async def test_a_token_the_shop_does_not_confirm_is_refused(
    client: httpx.AsyncClient, resources: Resources, shop_a: FakeSaleor
) -> None:
    answer = await client.post(
        "/saleor/register",
        json={"auth_token": "not-the-token"},
        headers={"saleor-api-url": shop_a.api_url},
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "UNKNOWN_APP_ID"
    assert await links(resources) == []


async def test_a_shop_without_signing_keys_is_refused(
    client: httpx.AsyncClient, resources: Resources, keyless_shop: FakeSaleor
) -> None:
    answer = await install(client, keyless_shop)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "JWKS_NOT_AVAILABLE"
    assert await links(resources) == []


async def test_install_links_the_shop_as_its_own_tenant(
    client: httpx.AsyncClient,
    resources: Resources,
    shop_a: FakeSaleor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = await install(client, shop_a)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"success": True}
    tenant = tenant_id_for(shop_a.api_url)
    assert await links(resources) == [tenant]
    async with resources.pool.connection() as conn:
        link = await saleor_link(conn, tenant, box=box())
        row = await (
            await conn.execute(
                "SELECT t.name, a.app_token_sealed FROM saleor_apps a "
                "JOIN tenants t USING (tenant_id) WHERE tenant_id = %s",
                (tenant,),
            )
        ).fetchone()
    assert link is not None and link.enabled
    assert link.api_url == shop_a.api_url
    assert link.jwks_url == shop_a.jwks_url
    assert link.app_id == shop_a.app_id
    assert link.app_token == shop_a.app_token
    assert row is not None and shop_a.app_token.encode() not in bytes(row["app_token_sealed"])
    assert shop_a.app_token not in caplog.text
    assert "query OpsgraphAppId { app { id } }" in shop_a.documents
    assert shop_a.invalid_documents == []


async def test_installing_again_replaces_the_token_in_the_same_tenant(
    client: httpx.AsyncClient, resources: Resources, shop_a: FakeSaleor
) -> None:
    first = tenant_id_for(shop_a.api_url)
    shop_a.app_token = "a-new-token-after-reinstall"
    answer = await install(client, shop_a)
    assert answer.status_code == 200
    async with resources.pool.connection() as conn:
        link = await saleor_link(conn, first, box=box())
    assert link is not None and link.app_token == "a-new-token-after-reinstall"
    assert await links(resources) == [first]


def test_the_app_state_holds_no_plaintext_key(app: FastAPI) -> None:
    assert SECRET_KEY not in repr(app.state.saleor_app.box)


def test_allowlisted_api_urls_must_be_https_except_on_loopback(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="OPSGRAPH_SALEOR_ALLOWED_API_URLS"):
        Settings(data_dir=tmp_path, saleor_allowed_api_urls="http://shop.example.com/graphql/")
    parsed = Settings(
        data_dir=tmp_path,
        saleor_allowed_api_urls="https://a.example.com/graphql/, http://127.0.0.1:9/graphql/",
    )
    assert parsed.saleor_allowed_api_urls == [
        "https://a.example.com/graphql/",
        "http://127.0.0.1:9/graphql/",
    ]
