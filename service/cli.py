"""The `opsgraph` command line."""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import Annotated

import typer
from pydantic import ValidationError

from runtime.events import EventStatus, get_event
from runtime.logging import configure_logging
from runtime.replay import ReplayRefused, event_ids_with_status, replay_event
from runtime.resources import open_resources
from runtime.settings import Settings, get_settings
from service import (
    cli_approvals,
    cli_audit,
    cli_chat,
    cli_eval,
    cli_kb,
    cli_keys,
    cli_ops,
    cli_saleor,
    cli_sources,
    cli_status,
)

app = typer.Typer(
    help="opsgraph: an agent service for commerce and SaaS operations.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
events_app = typer.Typer(help="The events inbox.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cli_keys.keys_app, name="keys")
app.add_typer(events_app, name="events")
app.add_typer(cli_ops.tools_app, name="tools")
app.add_typer(cli_ops.store_app, name="store")
app.add_typer(cli_audit.audit_app, name="audit")
app.add_typer(cli_approvals.approvals_app, name="approvals")
app.add_typer(cli_kb.kb_app, name="kb")

HostOption = Annotated[str | None, typer.Option(help="Interface to bind (default: OPSGRAPH_HOST).")]
PortOption = Annotated[int | None, typer.Option(help="Port to bind (default: OPSGRAPH_PORT).")]


def load_settings(**overrides: object) -> Settings:
    try:
        settings = get_settings()
    except ValidationError as error:
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]).upper()
            name = f"OPSGRAPH_{where}: " if where else ""
            typer.echo(f"opsgraph: invalid setting {name}{problem['msg']}", err=True)
        raise typer.Exit(2) from None
    changes = {key: value for key, value in overrides.items() if value is not None}
    settings = settings.model_copy(update=changes) if changes else settings
    configure_logging(settings.log_level, settings.log_format)
    return settings


@app.command()
def agents() -> None:
    """Print the hierarchy: domains -> specialists -> tools."""
    cli_ops.print_agents()


@app.command()
def serve(
    host: HostOption = None,
    port: PortOption = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="API only; run `opsgraph worker` separately.")
    ] = False,
) -> None:
    """Run the API (with an in-process worker unless --no-worker)."""
    from service.app import build_service_app
    from service.server import build_server

    settings = load_settings(host=host, port=port)
    app_ = build_service_app(settings, with_worker=not no_worker)
    server = build_server(
        app_, host=settings.host, port=settings.port, log_level=settings.log_level
    )
    server.run()
    if not server.started:
        raise typer.Exit(1)


@app.command()
def worker() -> None:
    """Run a worker process: it takes jobs from the queue until interrupted."""
    from service.app import start_tracing
    from service.tasks import tasks_for
    from service.worker import run_worker, worker_loop

    settings = load_settings()
    start_tracing(settings)

    async def main() -> None:
        async with open_resources(
            settings,
            register_tasks=tasks_for(settings),
        ) as resources:
            await run_worker(resources, install_signal_handlers=True)

    with asyncio.Runner(loop_factory=worker_loop()) as runner:
        runner.run(main())


@app.command()
def demo(
    exit_after: Annotated[
        bool, typer.Option("--exit", help="Stop after printing the table (for scripts).")
    ] = False,
    host: HostOption = None,
    port: PortOption = None,
) -> None:
    """Start the service, send one sample event per domain over HTTP, print what ran."""
    from service.demo_run import run_demo

    settings = load_settings(host=host, port=port)
    sys.exit(asyncio.run(run_demo(settings, exit_after=exit_after)))


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending migrations (they are also applied at start-up)."""
    from runtime.migrate import applied_versions

    settings = load_settings()

    async def main() -> None:
        async with open_resources(settings) as resources:
            versions = sorted(await applied_versions(resources.pool))
        typer.echo(f"database is current: migrations {', '.join(f'{v:04d}' for v in versions)}")

    asyncio.run(main())


@events_app.command("show")
def events_show(
    event_id: Annotated[uuid.UUID, typer.Argument(help="The event id.")],
    tenant: Annotated[str, typer.Option(help="The event's tenant.")] = "default",
) -> None:
    """Print an event's status and run timeline as JSON."""
    settings = load_settings()

    async def main() -> str | None:
        async with open_resources(settings) as resources:
            event = await get_event(resources.pool, tenant_id=tenant, event_id=event_id)
        return None if event is None else event.model_dump_json(indent=2)

    shown = asyncio.run(main())
    if shown is None:
        typer.echo(f"error: no event {event_id} for tenant {tenant!r}", err=True)
        raise typer.Exit(1)
    typer.echo(shown)


@events_app.command("replay")
def events_replay(
    event_id: Annotated[uuid.UUID | None, typer.Argument(help="The event to replay.")] = None,
    status: Annotated[
        EventStatus | None, typer.Option(help="Replay every event with this status.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Also replay events that already finished.")
    ] = False,
    tenant: Annotated[str, typer.Option(help="The events' tenant.")] = "default",
) -> None:
    """Queue events again: one by ID, or all with --status (e.g. failed)."""
    if (event_id is None) == (status is None):
        typer.echo("error: give an event ID or --status, not both", err=True)
        raise typer.Exit(2)
    settings = load_settings()

    async def replay_all() -> int:
        refused = 0
        async with open_resources(settings) as resources:
            if event_id is not None:
                ids = [event_id]
            else:
                ids = await event_ids_with_status(
                    resources.pool, tenant_id=tenant, status=status or EventStatus.FAILED
                )
            for one in ids:
                try:
                    done = await replay_event(
                        resources.pool,
                        resources.queue,
                        tenant_id=tenant,
                        event_id=one,
                        force=force,
                    )
                except ReplayRefused as exc:
                    typer.echo(f"refused: {exc}", err=True)
                    refused += 1
                    continue
                typer.echo(
                    f"queued {done.event_id} (was {done.previous_status.value}, run {done.run})"
                )
        if not ids:
            typer.echo("no events to replay")
        return refused

    if asyncio.run(replay_all()):
        raise typer.Exit(1)


cli_keys.register(load_settings)
cli_ops.register(load_settings)
cli_audit.register(load_settings)
cli_approvals.register(load_settings)
cli_kb.register(load_settings)
cli_chat.register(app, load_settings)
cli_eval.register(app, load_settings)
cli_status.register(app, load_settings)
cli_sources.register(app, load_settings)
cli_saleor.register(app, load_settings)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
