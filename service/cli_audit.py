"""`opsgraph audit verify`: recompute the audit trail's hash chain and name the first break."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated

import typer

from hitl.audit import AuditReport, verify_audit
from runtime.resources import open_resources
from runtime.settings import Settings

audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


def describe(report: AuditReport) -> str:
    """The one line `audit verify` prints."""
    if report.ok:
        return f"audit trail intact: {report.entries} entries"
    tenant, seq = report.broken_at or ("?", 0)
    return f"audit trail broken at tenant {tenant} seq {seq}: {report.reason}"


def register(settings_loader: Callable[[], Settings]) -> None:
    """Attach the commands; `settings_loader()` gives the CLI's settings."""

    @audit_app.command("verify")
    def audit_verify(
        tenant: Annotated[
            str | None, typer.Option(help="Check this tenant's trail only (default: all).")
        ] = None,
    ) -> None:
        """Check every entry's hash and link; exit 1 naming the first broken entry."""
        settings = settings_loader()

        async def verify() -> AuditReport:
            async with open_resources(settings) as resources:
                return await verify_audit(resources.pool, tenant_id=tenant)

        try:
            report = asyncio.run(verify())
        except LookupError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(describe(report))
        if not report.ok:
            raise typer.Exit(1)
