"""Saleor links: one per tenant, found by API URL, the token sealed at rest."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from runtime.resources import Resources
from runtime.saleor_links import (
    SaleorLinkConflict,
    jwks_url_for,
    link_for_api_url,
    mark_uninstalled,
    saleor_link,
    save_saleor_link,
    set_saleor_shop_enabled,
    tenant_id_for,
)
from runtime.secretbox import SecretBox, SecretBoxError

API_URL = "https://Shop-One.example.com/graphql/"


@pytest.fixture(scope="module")
def box() -> SecretBox:
    return SecretBox(Fernet.generate_key())


def test_tenant_ids_are_stable_and_distinct_per_shop() -> None:
    assert tenant_id_for(API_URL) == "saleor-shop-one-example-com"
    assert tenant_id_for("https://shop-one.example.com/graphql") == tenant_id_for(API_URL)
    assert tenant_id_for("http://127.0.0.1:8123/graphql/") == "saleor-127-0-0-1-8123"
    other_path = tenant_id_for("https://shop-one.example.com/api/graphql/")
    assert other_path.startswith("saleor-shop-one-example-com-") and other_path != tenant_id_for(
        API_URL
    )
    assert jwks_url_for(API_URL) == "https://shop-one.example.com/.well-known/jwks.json"


async def test_a_saved_link_reads_back_by_tenant_and_by_api_url(
    resources: Resources, box: SecretBox
) -> None:
    tenant = tenant_id_for(API_URL)
    async with resources.pool.connection() as conn:
        saved = await save_saleor_link(
            conn,
            tenant_id=tenant,
            api_url=API_URL,
            jwks_url=jwks_url_for(API_URL),
            app_id="QXBwOjE=",
            app_token="token-one",
            box=box,
        )
        by_tenant = await saleor_link(conn, tenant, box=box)
        by_url = await link_for_api_url(conn, "https://shop-one.example.com/graphql/", box=box)
        stored = await (
            await conn.execute(
                "SELECT app_token_sealed, api_url FROM saleor_apps WHERE tenant_id = %s",
                (tenant,),
            )
        ).fetchone()
        tenant_row = await (
            await conn.execute("SELECT name FROM tenants WHERE tenant_id = %s", (tenant,))
        ).fetchone()
    assert saved == by_tenant == by_url
    assert by_tenant is not None and by_tenant.app_token == "token-one" and by_tenant.enabled
    assert "token-one" not in repr(by_tenant)
    assert stored is not None and b"token-one" not in bytes(stored["app_token_sealed"])
    assert stored["api_url"] == "https://shop-one.example.com/graphql/"
    assert tenant_row is not None


async def test_reinstall_replaces_the_token_and_enables_again(
    resources: Resources, box: SecretBox
) -> None:
    tenant = tenant_id_for(API_URL)
    async with resources.pool.connection() as conn:
        installed = await saleor_link(conn, tenant, box=box)
        assert installed is not None
        assert await mark_uninstalled(conn, tenant, app_id="QXBwOjk5") is False  # not ours
        assert await mark_uninstalled(conn, tenant, app_id=installed.app_id) is True
        assert await mark_uninstalled(conn, tenant, app_id=installed.app_id) is False
        disabled = await saleor_link(conn, tenant, box=box)
        assert disabled is not None and not disabled.enabled and disabled.uninstalled
        refused = await set_saleor_shop_enabled(conn, tenant, enabled=True)
        assert refused is not None and refused[1] is False and not refused[0].enabled
        await save_saleor_link(
            conn,
            tenant_id=tenant,
            api_url=API_URL,
            jwks_url=jwks_url_for(API_URL),
            app_id="QXBwOjI=",
            app_token="token-two",
            box=box,
        )
        again = await saleor_link(conn, tenant, box=box)
    assert again is not None and again.enabled and not again.uninstalled
    assert (again.app_id, again.app_token) == ("QXBwOjI=", "token-two")


async def test_a_tenant_linked_to_one_shop_is_not_taken_over_by_another(
    resources: Resources, box: SecretBox
) -> None:
    async with resources.pool.connection() as conn:
        with pytest.raises(SaleorLinkConflict):
            await save_saleor_link(
                conn,
                tenant_id=tenant_id_for(API_URL),
                api_url="https://elsewhere.example.com/graphql/",
                jwks_url="https://elsewhere.example.com/.well-known/jwks.json",
                app_id="x",
                app_token="stolen",
                box=box,
            )
        kept = await saleor_link(conn, tenant_id_for(API_URL), box=box)
    assert kept is not None and kept.app_token == "token-two"


async def test_unknown_shops_and_wrong_keys(resources: Resources, box: SecretBox) -> None:
    async with resources.pool.connection() as conn:
        assert await link_for_api_url(conn, "https://nobody.example.com/graphql/", box=box) is None
        assert await saleor_link(conn, "default", box=box) is None
        with pytest.raises(SecretBoxError):
            await saleor_link(conn, tenant_id_for(API_URL), box=SecretBox(Fernet.generate_key()))
