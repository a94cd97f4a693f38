"""The demo's process: serve, send the samples, print the table, keep serving or stop."""

from __future__ import annotations

import asyncio
import logging

import typer

from connectors.seeding import seed_everything
from rag.embedders import make_embedder
from rag.index import EmbedderMismatchError
from rag.samples import ingest_sample_kb
from runtime.apikeys import Role
from runtime.resources import Resources
from runtime.settings import Settings
from service.app import build_service_app
from service.demo import demo_key, render_outcomes, render_table, send_deliveries
from service.demo_webhooks import DemoSenders
from service.server import build_server, wait_started

logger = logging.getLogger(__name__)


async def run_demo(settings: Settings, *, exit_after: bool) -> int:
    """Return the exit code: 0 when every sample settled, 1 otherwise."""
    senders = DemoSenders.create()
    settings = senders.trusted_by(settings)
    app = build_service_app(settings, with_worker=True)
    server = build_server(app, host=settings.host, port=settings.port, log_level="warning")
    task = asyncio.create_task(server.serve())
    await wait_started(server, task)
    base_url = f"http://{settings.host}:{settings.port}"
    resources: Resources = app.state.resources
    typer.echo(f"opsgraph is up at {base_url} ({describe_database(settings)})")
    counts = await seed_everything(resources.pool)
    typer.echo("store: " + ", ".join(f"{count} {name}" for name, count in counts.items()))
    typer.echo(await ingest_knowledge_base(resources, settings))
    typer.echo("sending one signed webhook per domain (Saleor, Shopify, a CRM form) ...")
    views = await send_deliveries(base_url, await demo_key(resources), senders.deliveries())
    typer.echo("")
    typer.echo(render_table(views))
    typer.echo("")
    typer.echo(render_outcomes(views))
    typer.echo("")
    waiting = [view for view in views if view["status"] == "awaiting_approval"]
    settled = all(view["status"] in ("done", "awaiting_approval") for view in views)
    if waiting:
        reviewer = await demo_key(resources, Role.REVIEWER)
        typer.echo(f"{len(waiting)} event waits for a reviewer (the high-value order). Decide it")
        typer.echo(f"  in the inbox: {base_url}/inbox  (sign in with reviewer key {reviewer})")
        typer.echo(
            "  or: .venv/bin/opsgraph approvals list; "
            ".venv/bin/opsgraph approvals decide ID --accept --key KEY"
        )
        typer.echo("")
    typer.echo("Chat with it (same specialists, tools and approvals as events):")
    if exit_after:
        typer.echo("  .venv/bin/opsgraph chat      (starts the service in-process)")
    else:
        operator = await demo_key(resources)
        typer.echo(f"  .venv/bin/opsgraph chat --url {base_url} --key {operator}")
        typer.echo(f"  or any LangGraph client (langgraph-sdk, Agent Chat UI) at {base_url},")
        typer.echo("  assistant `chat`, the key as x-api-key")
    typer.echo('  e.g. "email mei.ahmed5231@example.com", then "where is order #W2631563?"')
    typer.echo("")
    if exit_after:
        server.should_exit = True
        await task
        return 0 if settled else 1
    typer.echo(f"serving at {base_url} (docs at {base_url}/docs); press Ctrl-C to stop")
    await task
    return 0 if settled else 1


async def ingest_knowledge_base(resources: Resources, settings: Settings) -> str:
    """The sample policies into the default tenant's knowledge base (unchanged files skipped)."""
    try:
        summary = await ingest_sample_kb(
            resources.pool, "default", embedder=make_embedder(settings.embedder)
        )
    except EmbedderMismatchError as error:
        return f"knowledge base: not ingested: {error}"
    return (
        f"knowledge base: {len(summary.results)} sample documents ({summary.added} added, "
        f"{summary.updated} updated, {summary.unchanged} unchanged; {summary.chunks} chunks "
        "written); try: .venv/bin/opsgraph kb search 'can a damaged item be returned?'"
    )


def describe_database(settings: Settings) -> str:
    if settings.embedded:
        return f"embedded PostgreSQL in {settings.embedded_pg_dir}"
    return "PostgreSQL at OPSGRAPH_DATABASE_URL"
