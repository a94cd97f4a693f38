"""`opsgraph eval capture`: recorded events of the service's inbox -> a JSONL dataset."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr

from evals.capture import FINISHED, capture_cases, parse_since
from evals.dataset import write_dataset
from runtime.resources import open_resources
from runtime.settings import Settings


async def capture_to(
    settings: Settings,
    out: Path,
    *,
    tenant_id: str,
    since: datetime,
    statuses: list[str],
    limit: int,
) -> int:
    async with open_resources(settings) as resources:
        cases = await capture_cases(
            resources.pool, tenant_id=tenant_id, since=since, statuses=statuses, limit=limit
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_dataset(out, cases) if cases else 0


def register_capture(eval_app: typer.Typer, settings_loader: Callable[..., Settings]) -> None:
    @eval_app.command("capture")
    def capture(
        since: Annotated[
            str, typer.Option(help="Events received since: 24h, 7d, or an ISO date/time.")
        ],
        status: Annotated[
            list[str] | None, typer.Option(help="done or failed (repeatable; default both).")
        ] = None,
        tenant: Annotated[str, typer.Option(help="Whose events.")] = "default",
        out: Annotated[Path, typer.Option(help="Dataset to write (JSONL).")] = Path(
            "captured.jsonl"
        ),
        limit: Annotated[int, typer.Option(min=1, help="At most this many events.")] = 1000,
        database_url: Annotated[
            str | None, typer.Option(help="The service's PostgreSQL (default: settings).")
        ] = None,
    ) -> None:
        """Turn recorded events (raw body, outcome, reviewers' decisions) into eval cases,
        personal data redacted; re-run them with `opsgraph eval run OUT`."""
        statuses = status or list(FINISHED)
        unknown = sorted(set(statuses) - set(FINISHED))
        if unknown:
            typer.echo(f"error: --status takes done or failed, not {', '.join(unknown)}", err=True)
            raise typer.Exit(2)
        try:
            moment = parse_since(since)
        except ValueError as exc:
            typer.echo(f"error: --since {since!r}: use 24h, 7d or an ISO date/time", err=True)
            raise typer.Exit(2) from exc
        settings = settings_loader(model=None)
        if database_url:
            settings = settings.model_copy(update={"database_url": SecretStr(database_url)})
        count = asyncio.run(
            capture_to(
                settings, out, tenant_id=tenant, since=moment, statuses=statuses, limit=limit
            )
        )
        typer.echo(f"{count} cases -> {out}" if count else "no events matched; nothing written")
