"""`opsgraph saleor shops list | disable TENANT | enable TENANT`: the installed Saleor shops.

A shop's own `APP_DELETED` is not the only way to cut it off: an operator can disable a
link (a shop misbehaving, a token suspected leaked) and enable it again. Nothing here reads
or prints the app token; a listing never even selects the sealed column.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

import typer
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from hitl.audit import CLI_ACTOR, append_audit
from runtime.resources import open_resources
from runtime.saleor_links import SaleorShop, list_saleor_shops, set_saleor_shop_enabled
from runtime.settings import Settings

saleor_app = typer.Typer(help="The Saleor App's installed shops.", no_args_is_help=True)
shops_app = typer.Typer(
    help="Shops that installed opsgraph (one tenant each).", no_args_is_help=True
)
saleor_app.add_typer(shops_app, name="shops")

TenantArgument = Annotated[str, typer.Argument(help="The shop's tenant id (see `list`).")]
DISABLED_MEANS = (
    "its deliveries are answered 401 and its tools use opsgraph's own store for the tenant, "
    "so nothing is read or changed in Saleor (a run in progress switches at its next tool "
    "call); the token stays sealed in the database"
)
ENABLED_MEANS = (
    "its deliveries are accepted and its tools act in the shop again with the token sealed "
    "at install"
)


def when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe(shop: SaleorShop) -> str:
    """One line: tenant, state, installed, updated (UTC), app id, API URL."""
    state = "enabled" if shop.enabled else "disabled"
    if shop.uninstalled_at is not None:
        state = "uninstalled"
    return (
        f"{shop.tenant_id}  {state:<11}  installed {when(shop.installed_at)}  "
        f"updated {when(shop.updated_at)}  {shop.app_id}  {shop.api_url}"
    )


class Uninstalled(Exception):
    """The link was disabled by the shop's own uninstall, not by an operator."""


def stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


async def refuse_an_uninstalled_shop(conn: AsyncConnection[DictRow], tenant: str) -> None:
    """Only an operator's disable may be undone here: after the shop's own `APP_DELETED`
    Saleor has revoked the token, so enabling would only make every action in the shop fail."""
    cursor = await conn.execute(
        "SELECT uninstalled_at FROM saleor_apps"
        " WHERE tenant_id = %s AND uninstalled_at IS NOT NULL FOR UPDATE",
        (tenant,),
    )
    row = await cursor.fetchone()
    if row is not None:
        raise Uninstalled(
            f"the shop of tenant {tenant!r} uninstalled the app "
            f"({when(row['uninstalled_at'])}); Saleor revoked its token: install the app again "
            "from the dashboard, which enables the link with a new token"
        )


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def register(app: typer.Typer, settings_loader: Callable[[], Settings]) -> None:
    """Attach `opsgraph saleor`; `settings_loader()` gives the CLI's settings."""
    app.add_typer(saleor_app, name="saleor")

    def set_enabled(tenant: str, *, enabled: bool) -> tuple[SaleorShop, bool] | None:
        settings = settings_loader()
        action = "saleor_link.enabled" if enabled else "saleor_link.disabled"

        async def main() -> tuple[SaleorShop, bool] | None:
            async with open_resources(settings) as resources, resources.pool.connection() as conn:
                async with conn.transaction():
                    if enabled:
                        await refuse_an_uninstalled_shop(conn, tenant)
                    outcome = await set_saleor_shop_enabled(conn, tenant, enabled=enabled)
                    if outcome is not None and outcome[1]:
                        shop = outcome[0]
                        await append_audit(
                            conn,
                            tenant_id=shop.tenant_id,
                            actor=CLI_ACTOR,
                            action=action,
                            subject=f"saleor_link:{shop.tenant_id}",
                            details={
                                "api_url": shop.api_url,
                                "app_id": shop.app_id,
                                "disabled_at": stamp(shop.disabled_at),
                            },
                        )
                return outcome

        try:
            return asyncio.run(main())
        except Uninstalled as exc:
            raise fail(str(exc)) from None

    def report(tenant: str, outcome: tuple[SaleorShop, bool] | None, *, enabled: bool) -> None:
        if outcome is None:
            raise fail(
                f"tenant {tenant!r} has no Saleor shop linked (see `opsgraph saleor shops list`)"
            )
        shop, changed = outcome
        state = "enabled" if enabled else "disabled"
        typer.echo(describe(shop))
        prefix = state if changed else f"already {state}"
        typer.echo(f"{prefix}: {ENABLED_MEANS if enabled else DISABLED_MEANS}", err=True)

    @shops_app.command("list")
    def shops_list() -> None:
        """List the shops: tenant, enabled, installed, updated, app id, API URL (no token)."""
        settings = settings_loader()

        async def main() -> list[SaleorShop]:
            async with open_resources(settings) as resources, resources.pool.connection() as conn:
                return await list_saleor_shops(conn)

        shops = asyncio.run(main())
        if not shops:
            typer.echo("no Saleor shop has installed the app")
        for shop in shops:
            typer.echo(describe(shop))

    @shops_app.command("disable")
    def shops_disable(tenant: TenantArgument) -> None:
        """Cut a shop off: its deliveries get 401 and its tools act on nothing in Saleor."""
        report(tenant, set_enabled(tenant, enabled=False), enabled=False)

    @shops_app.command("enable")
    def shops_enable(tenant: TenantArgument) -> None:
        """Enable a shop an operator disabled; a shop that uninstalled must install again."""
        report(tenant, set_enabled(tenant, enabled=True), enabled=True)
