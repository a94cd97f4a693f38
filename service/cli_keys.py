"""`opsgraph keys create | list | revoke`: API keys from the machine the service runs on."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

import typer

from hitl.audit import CLI_ACTOR, append_audit
from runtime.apikeys import KeyRecord, Role, UnknownTenantError, create_key, list_keys, revoke_key
from runtime.resources import Resources, open_resources
from runtime.settings import Settings

keys_app = typer.Typer(help="API keys.", no_args_is_help=True)

TenantOption = Annotated[str, typer.Option(help="The tenant the keys belong to.")]


def describe(key: KeyRecord) -> str:
    """One line per key: id, role, created, revoked (or `live`), name; times in UTC."""
    revoked = f"revoked {stamp(key.revoked_at)}" if key.revoked_at else "live"
    created = stamp(key.created_at)
    return f"{key.key_id}  {key.role.value:<8}  {created}  {revoked:<30}  {key.name}"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


async def record(resources: Resources, tenant: str, action: str, key_id: uuid.UUID) -> None:
    async with resources.pool.connection() as conn:
        await append_audit(
            conn,
            tenant_id=tenant,
            actor=CLI_ACTOR,
            action=action,
            subject=f"api_key:{key_id}",
            details={},
        )


def register(settings_loader: Callable[[], Settings]) -> None:
    """Attach the commands; `settings_loader()` gives the CLI's settings."""

    @keys_app.command("create")
    def keys_create(
        role: Annotated[Role, typer.Option(help="What the key may do.")],
        name: Annotated[str, typer.Option(help="Who or what holds the key.")],
        tenant: TenantOption = "default",
    ) -> None:
        """Create an API key; it is printed once and only its hash is stored."""
        settings = settings_loader()

        async def main() -> str:
            async with open_resources(settings) as resources:
                created, secret = await create_key(
                    resources.pool, tenant_id=tenant, name=name, role=role
                )
                await record(resources, tenant, "api_key.created", created.key_id)
            return secret

        try:
            secret = asyncio.run(main())
        except UnknownTenantError as exc:
            typer.echo(
                f"error: {exc} (a Saleor shop's tenant exists once the shop has installed the "
                "app; the serve log names it: `saleor shop ... linked to tenant ...`)",
                err=True,
            )
            raise typer.Exit(2) from exc
        typer.echo(secret)
        typer.echo(
            f"{role.value} key {name!r} for tenant {tenant!r}; it is not shown again.", err=True
        )

    @keys_app.command("list")
    def keys_list(tenant: TenantOption = "default") -> None:
        """List the tenant's keys (id, role, created, revoked, name); never a key itself."""
        settings = settings_loader()

        async def main() -> list[KeyRecord]:
            async with open_resources(settings) as resources:
                return await list_keys(resources.pool, tenant_id=tenant)

        keys = asyncio.run(main())
        if not keys:
            typer.echo(f"no keys for tenant {tenant!r}")
        for key in keys:
            typer.echo(describe(key))

    @keys_app.command("revoke")
    def keys_revoke(
        key_id: Annotated[uuid.UUID, typer.Argument(help="The key's id (see `keys list`).")],
        tenant: TenantOption = "default",
    ) -> None:
        """Revoke a key: it answers 401 from now on and its inbox sessions end."""
        settings = settings_loader()

        async def main() -> KeyRecord | None:
            async with open_resources(settings) as resources:
                revoked = await revoke_key(resources.pool, tenant_id=tenant, key_id=key_id)
                if revoked is not None:
                    await record(resources, tenant, "api_key.revoked", key_id)
                return revoked

        revoked = asyncio.run(main())
        if revoked is None:
            typer.echo(f"error: no key {key_id} for tenant {tenant!r}", err=True)
            raise typer.Exit(1)
        typer.echo(describe(revoked))
