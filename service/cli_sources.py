"""`opsgraph sources add | list | remove --tenant T`: a tenant's own webhook secrets.

The secret is read from a hidden prompt or from standard input, never from the command
line, where it would stay in shell history and show in `ps`. Nothing here prints a secret:
a listing shows a short fingerprint.
"""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from collections.abc import Callable
from datetime import UTC
from typing import Annotated, TextIO

import typer

from api.webhooks.config import RESERVED_SOURCES, WebhookConfig
from api.webhooks.standard import parse_standard_secrets
from api.webhooks.tenant_sources import tenant_webhook_path
from hitl.audit import CLI_ACTOR, append_audit
from runtime.apikeys import UnknownTenantError
from runtime.resources import Resources, open_resources
from runtime.secretbox import SecretBox, SecretBoxError
from runtime.settings import Settings
from runtime.webhook_sources import (
    CACHE_TTL_S,
    InvalidSource,
    SecretInUse,
    SourceKind,
    SourceSecret,
    add_source_secret,
    list_source_secrets,
    remove_source_secret,
)

sources_app = typer.Typer(
    help="A tenant's webhook secrets (Shopify, Stripe, Standard Webhooks).",
    no_args_is_help=True,
)

TenantOption = Annotated[str, typer.Option(help="The tenant the secrets belong to.")]
STANDARD_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def describe(source: SourceSecret) -> str:
    """One line: id, kind, name (`-` for none), created (UTC), fingerprint, the URL path."""
    created = source.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    path = tenant_webhook_path(source.kind, source.tenant_id, source.name)
    return (
        f"{source.source_id}  {source.kind.value:<8}  {source.name or '-':<16}  {created}  "
        f"{source.fingerprint}  {path}"
    )


def read_secret(stream: TextIO) -> str:
    """From a hidden prompt on a terminal, else the whole of standard input (trimmed)."""
    if stream.isatty():
        return str(typer.prompt("Secret", hide_input=True)).strip()
    return stream.read().strip()


def check_standard(name: str, secret: str) -> None:
    """The same rules as `OPSGRAPH_STANDARD_WEBHOOK_SECRETS`, with messages about the flags."""
    if not STANDARD_NAME.fullmatch(name) or name.startswith("whsec_"):
        raise InvalidSource(
            "--name must be lowercase letters, digits, '-' or '_' (up to 64 characters)"
        )
    if name in RESERVED_SOURCES:
        raise InvalidSource(f"--name {name!r} is reserved")
    try:
        parse_standard_secrets(f"{name}={secret}")
    except ValueError:
        raise InvalidSource(
            "a Standard Webhooks secret is 'whsec_' followed by base64 (as the sender shows it)"
        ) from None


def settings_secrets(settings: Settings, kind: SourceKind) -> list[str]:
    """The default tenant's secrets of this kind: another tenant may not reuse them."""
    config = WebhookConfig.from_settings(settings)
    if kind is SourceKind.SHOPIFY:
        return config.shopify_secrets
    if kind is SourceKind.STRIPE:
        return config.stripe_secrets
    return list(config.standard_secrets.values())


async def record(resources: Resources, source: SourceSecret, action: str) -> None:
    async with resources.pool.connection() as conn:
        await append_audit(
            conn,
            tenant_id=source.tenant_id,
            actor=CLI_ACTOR,
            action=action,
            subject=f"webhook_source:{source.source_id}",
            details={
                "kind": source.kind.value,
                "name": source.name,
                "fingerprint": source.fingerprint,
            },
        )


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def register(app: typer.Typer, settings_loader: Callable[[], Settings]) -> None:
    """Attach `opsgraph sources`; `settings_loader()` gives the CLI's settings."""
    app.add_typer(sources_app, name="sources")

    @sources_app.command("add")
    def sources_add(
        tenant: Annotated[str, typer.Option(help="The tenant the secret belongs to.")],
        kind: Annotated[SourceKind, typer.Option(help="The sender's platform.")],
        name: Annotated[str, typer.Option(help="A standard source's name (its URL segment).")] = "",
        create_tenant: Annotated[
            bool, typer.Option("--create-tenant", help="Create the tenant if it does not exist.")
        ] = False,
    ) -> None:
        """Store a webhook secret for the tenant, read from a hidden prompt or stdin.

        Add the new secret before the sender switches to it and remove the old one after:
        while both are stored, either verifies.
        """
        secret = read_secret(sys.stdin)
        try:
            if kind is SourceKind.STANDARD:
                check_standard(name, secret)
        except InvalidSource as exc:
            raise fail(str(exc)) from None
        settings = settings_loader()

        async def main() -> tuple[SourceSecret, bool]:
            async with open_resources(settings) as resources:
                stored, created = await add_source_secret(
                    resources.pool,
                    SecretBox.from_settings(settings),
                    tenant_id=tenant,
                    kind=kind,
                    name=name,
                    secret=secret,
                    create_tenant=create_tenant,
                    settings_secrets=settings_secrets(settings, kind),
                )
                await record(resources, stored, "webhook_source.added")
            return stored, created

        try:
            stored, created = asyncio.run(main())
        except UnknownTenantError:
            raise fail(
                f"tenant {tenant!r} does not exist; add --create-tenant to create it"
            ) from None
        except (InvalidSource, SecretInUse) as exc:
            raise fail(str(exc)) from None
        except SecretBoxError as exc:
            raise fail(str(exc), code=1) from None
        if created:
            typer.echo(f"created tenant {tenant!r}", err=True)
        typer.echo(describe(stored))
        path = tenant_webhook_path(kind, tenant, name)
        typer.echo(f"the sender posts to <service URL>{path}", err=True)

    @sources_app.command("list")
    def sources_list(tenant: TenantOption) -> None:
        """List the tenant's secrets: id, kind, name, created, fingerprint, URL path."""
        settings = settings_loader()

        async def main() -> list[SourceSecret]:
            async with open_resources(settings) as resources:
                return await list_source_secrets(resources.pool, tenant_id=tenant)

        try:
            sources = asyncio.run(main())
        except UnknownTenantError:
            raise fail(f"tenant {tenant!r} does not exist") from None
        if not sources:
            typer.echo(f"no webhook secrets for tenant {tenant!r}")
        for source in sources:
            typer.echo(describe(source))

    @sources_app.command("remove")
    def sources_remove(
        source_id: Annotated[uuid.UUID, typer.Argument(help="The secret's id (see `list`).")],
        tenant: TenantOption,
    ) -> None:
        """Remove one secret; the API refuses deliveries signed with it within seconds."""
        settings = settings_loader()

        async def main() -> SourceSecret | None:
            async with open_resources(settings) as resources:
                removed = await remove_source_secret(
                    resources.pool, tenant_id=tenant, source_id=source_id
                )
                if removed is not None:
                    await record(resources, removed, "webhook_source.removed")
                return removed

        removed = asyncio.run(main())
        if removed is None:
            raise fail(f"no webhook secret {source_id} for tenant {tenant!r}", code=1)
        typer.echo(describe(removed))
        typer.echo(f"removed; a running API refuses it within {CACHE_TTL_S:g} s", err=True)
