"""`opsgraph saleor shops list | disable | enable` against the test database and a real API.

A fake Saleor on loopback installs the app through `POST /saleor/register`, as the
dashboard does; the commands run in this process (typer's runner, on a thread: each calls
`asyncio.run`) with their settings from the environment, as in production.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from hitl.audit import CLI_ACTOR, SALEOR_ACTOR, verify_audit
from runtime.resources import Resources
from runtime.settings import Settings, get_settings
from service.cli import app as cli_app
from service.process import opsgraph_env
from tests.api.saleor_app.conftest import PUBLIC_URL
from tests.fakes.saleor_payloads import sample_payload
from tests.fakes.saleor_server import FakeSaleor, serve_fake_saleor
from tests.saleor_support import installed, order_delivery

SECRET_KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def shop() -> Iterator[FakeSaleor]:
    with serve_fake_saleor() as served:
        yield served


@pytest.fixture(scope="module")
def settings(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, shop: FakeSaleor
) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("cli-saleor"),
        public_url=PUBLIC_URL,
        secret_key=SECRET_KEY,
        saleor_allowed_api_urls=[shop.api_url],
        pool_max_size=4,
    )


@pytest.fixture(autouse=True)
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI's settings from the environment; listing and toggling need no secret key."""
    values = opsgraph_env(tmp_path / "data", database_url=database_url)
    for name in [name for name in os.environ if name.startswith("OPSGRAPH_")]:
        monkeypatch.delenv(name)
    for name, value in values.items():
        if name.startswith("OPSGRAPH_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def shops(*args: str) -> Ran:
    result = await asyncio.to_thread(CliRunner().invoke, cli_app, ["saleor", "shops", *args])
    return Ran(result.exit_code, result.stdout, result.stderr)


async def deliver_order(client: httpx.AsyncClient, shop: FakeSaleor) -> httpx.Response:
    body, headers = order_delivery(shop)
    return await client.post("/webhooks/saleor", content=body, headers=headers)


async def audit_actions(resources: Resources, tenant: str) -> list[tuple[str, str, str]]:
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT actor, action, subject FROM audit_log WHERE tenant_id = %s ORDER BY seq",
            (tenant,),
        )
        return [(row["actor"], row["action"], row["subject"]) for row in await cursor.fetchall()]


async def test_list_shows_an_installed_shop_and_never_its_token(
    client: httpx.AsyncClient, shop: FakeSaleor
) -> None:
    tenant = await installed(client, shop)

    listed = await shops("list")

    assert listed.returncode == 0, listed.stderr
    [line] = [line for line in listed.stdout.splitlines() if line.startswith(f"{tenant} ")]
    fields = line.split()
    assert fields[:2] == [tenant, "enabled"]
    assert fields[-2:] == [shop.app_id, shop.api_url]
    assert "installed" in fields and "updated" in fields
    output = listed.stdout + listed.stderr
    assert shop.app_token not in output
    assert shop.app_token[:6] not in output


async def test_disable_refuses_the_shops_deliveries_and_enable_restores_them(
    client: httpx.AsyncClient, resources: Resources, shop: FakeSaleor
) -> None:
    tenant = await installed(client, shop)
    assert (await deliver_order(client, shop)).status_code == 202

    disabled = await shops("disable", tenant)
    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stdout.split()[:2] == [tenant, "disabled"]
    assert "answered 401" in disabled.stderr and "nothing is read or changed in Saleor" in (
        disabled.stderr
    )
    refused = await deliver_order(client, shop)
    assert refused.status_code == 401
    listed = await shops("list")
    assert f"{tenant}  disabled" in listed.stdout

    again = await shops("disable", tenant)
    assert again.returncode == 0 and again.stderr.startswith("already disabled")

    enabled = await shops("enable", tenant)
    assert enabled.returncode == 0, enabled.stderr
    assert enabled.stdout.split()[:2] == [tenant, "enabled"]
    assert "act in the shop again" in enabled.stderr
    assert (await deliver_order(client, shop)).status_code == 202

    entries = await audit_actions(resources, tenant)
    assert [entry for entry in entries if entry[0] == CLI_ACTOR] == [
        (CLI_ACTOR, "saleor_link.disabled", f"saleor_link:{tenant}"),
        (CLI_ACTOR, "saleor_link.enabled", f"saleor_link:{tenant}"),
    ]
    assert {entry for entry in entries if entry[0] != CLI_ACTOR} == {
        (SALEOR_ACTOR, "saleor_link.installed", f"saleor_link:{tenant}")  # each install
    }
    assert (await verify_audit(resources.pool, tenant_id=tenant)).ok
    output = disabled.stdout + disabled.stderr + enabled.stdout + enabled.stderr
    assert shop.app_token not in output


async def test_a_shop_that_uninstalled_is_not_enabled_but_installs_again(
    client: httpx.AsyncClient, shop: FakeSaleor
) -> None:
    tenant = await installed(client, shop)
    body = json.dumps(sample_payload("app_deleted", overrides={"app.id": shop.app_id})).encode()
    uninstall = await client.post(
        "/webhooks/saleor", content=body, headers=shop.sign_delivery(body, event="app_deleted")
    )
    assert uninstall.status_code == 200, uninstall.text

    refused = await shops("enable", tenant)

    assert refused.returncode == 1
    assert f"the shop of tenant {tenant!r} uninstalled the app" in refused.stderr
    assert "install the app again" in refused.stderr
    assert f"{tenant}  uninstalled" in (await shops("list")).stdout
    assert (await deliver_order(client, shop)).status_code == 401
    await installed(client, shop)
    assert f"{tenant}  enabled" in (await shops("list")).stdout


async def test_an_unknown_tenant_is_a_clear_error() -> None:
    for command in ("disable", "enable"):
        unknown = await shops(command, "saleor-nowhere-example-com")
        assert unknown.returncode == 1
        assert unknown.stderr.strip() == (
            "error: tenant 'saleor-nowhere-example-com' has no Saleor shop linked "
            "(see `opsgraph saleor shops list`)"
        )
        assert unknown.stdout == ""
