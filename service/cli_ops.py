"""`opsgraph agents`, `opsgraph tools call|run`, `opsgraph store seed|export`."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from connectors.seeding import seed_everything
from connectors.store.export import export_store
from graph.context import OpsContext
from graph.routing import DOMAINS, EVENT_ROUTES
from graph.specialists import specialists_of
from graph.tools.direct import call_tool, tool_message_text
from graph.tools.registry import ALL_TOOLS
from hitl.audit import append_audit
from runtime.apikeys import ApiKey, Role, find_key
from runtime.resources import Resources, open_resources
from runtime.secretbox import SecretBox
from runtime.settings import Settings

tools_app = typer.Typer(
    help="Run tools directly, as an operator (admin key required).", no_args_is_help=True
)
store_app = typer.Typer(help="The local store (retail seed data).", no_args_is_help=True)

KeyOption = Annotated[
    str | None, typer.Option("--key", help="An admin API key (default: OPSGRAPH_ADMIN_KEY).")
]
TenantOption = Annotated[str, typer.Option(help="The tenant.")]


def hierarchy_text() -> str:
    """domains -> specialists -> tools, with the event types that reach each domain."""
    lines = ["master supervisor"]
    for domain in DOMAINS:
        events = sorted(
            t for t, routes in EVENT_ROUTES.items() if domain in {r.domain for r in routes}
        )
        lines.append(f"  {domain} supervisor  <- {', '.join(events)}")
        for name, specialist in specialists_of(domain).items():
            lines.append(f"    {name}: {specialist.description}")
            lines.extend(f"      - {tool.name}" for tool in specialist.tools)
    return "\n".join(lines)


def print_agents() -> None:
    typer.echo(hierarchy_text())


async def require_admin(resources: Resources, secret: str | None) -> ApiKey:
    if not secret:
        raise typer.BadParameter("an admin API key is required: --key or OPSGRAPH_ADMIN_KEY")
    key = await find_key(resources.pool, secret)
    if key is None or key.role is not Role.ADMIN:
        raise typer.BadParameter("the key is not a live admin key")
    return key


async def run_calls(
    settings: Settings, secret: str | None, calls: list[dict[str, Any]]
) -> list[tuple[str, str, str]]:
    """Run each call as the key's operator action; return (name, status, result text)."""
    async with open_resources(settings) as resources:
        key = await require_admin(resources, secret)
        box = SecretBox.from_settings(settings)
        context = OpsContext(pool=resources.pool, gated=False, secrets=box)
        thread = f"operator:{key.key_id}:{uuid.uuid4().hex[:8]}"
        outcomes = []
        for index, spec in enumerate(calls):
            tool = ALL_TOOLS.get(str(spec.get("name")))
            if tool is None:
                outcomes.append((str(spec.get("name")), "error", "Error: unknown tool"))
                continue
            reply = await call_tool(
                tool,
                dict(spec.get("kwargs") or {}),
                context=context,
                tenant_id=key.tenant_id,
                thread_id=thread,
                call_id=f"op-{index}",
            )
            text = tool_message_text(reply)
            failed = reply.status == "error" or text.startswith("Error")
            outcomes.append((tool.name, "error" if failed else "success", text))
            async with resources.pool.connection() as conn:
                await append_audit(
                    conn,
                    tenant_id=key.tenant_id,
                    actor=f"{key.name} ({key.key_id})",
                    action="tool.direct_call",
                    subject=f"{thread}/op-{index}",
                    details={
                        "tool": tool.name,
                        "args": dict(spec.get("kwargs") or {}),
                        "status": "error" if failed else "success",
                    },
                    address="cli",
                )
        return outcomes


def secret_of(settings: Settings, key: str | None) -> str | None:
    if key:
        return key
    return settings.admin_key.get_secret_value() if settings.admin_key else None


def register(settings_loader: Any) -> None:
    """Attach the commands; `settings_loader()` gives the CLI's settings."""

    @tools_app.command("call")
    def tools_call(
        name: Annotated[str, typer.Argument(help="The tool's name (see `opsgraph agents`).")],
        args: Annotated[str, typer.Option("--args", help="The arguments as a JSON object.")] = "{}",
        key: KeyOption = None,
    ) -> None:
        """Run one tool as a direct operator action; prints its result (errors verbatim)."""
        settings = settings_loader()
        try:
            kwargs = json.loads(args)
        except ValueError as exc:
            raise typer.BadParameter(f"--args is not JSON: {exc}") from exc
        if not isinstance(kwargs, dict):
            raise typer.BadParameter("--args must be a JSON object")
        if name not in ALL_TOOLS:
            raise typer.BadParameter(f"unknown tool {name!r}; `opsgraph agents` lists them")
        ((_, status, text),) = asyncio.run(
            run_calls(settings, secret_of(settings, key), [{"name": name, "kwargs": kwargs}])
        )
        typer.echo(text)
        if status == "error":
            raise typer.Exit(1)

    @tools_app.command("run")
    def tools_run(
        file: Annotated[Path, typer.Argument(help='A JSON list of {"name", "kwargs"} calls.')],
        key: KeyOption = None,
    ) -> None:
        """Run a list of tool calls in order and print each result."""
        settings = settings_loader()
        try:
            calls = json.loads(file.read_text())
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(f"cannot read {file}: {exc}") from exc
        if not isinstance(calls, list) or not all(isinstance(c, dict) for c in calls):
            raise typer.BadParameter('the file must hold a JSON list of {"name", "kwargs"}')
        for name, _, text in asyncio.run(run_calls(settings, secret_of(settings, key), calls)):
            typer.echo(f"{name}: {text}")

    @store_app.command("seed")
    def store_seed(
        reset: Annotated[bool, typer.Option("--reset", help="Replace what is there.")] = False,
        tenant: TenantOption = "default",
    ) -> None:
        """Load the retail seed data (users, orders, products) and opening stock."""
        settings = settings_loader()

        async def seed() -> dict[str, int]:
            async with open_resources(settings) as resources:
                return await seed_everything(resources.pool, tenant_id=tenant, reset=reset)

        try:
            counts = asyncio.run(seed())
        except LookupError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(", ".join(f"{count} {name}" for name, count in counts.items()))

    @store_app.command("export")
    def store_export(
        out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
        tenant: TenantOption = "default",
    ) -> None:
        """Write the store as one JSON object shaped like the seed files."""
        settings = settings_loader()

        async def export() -> Any:
            async with open_resources(settings) as resources:
                return await export_store(resources.pool, tenant_id=tenant)

        text = json.dumps(asyncio.run(export()), indent=2)
        if out is None:
            typer.echo(text)
        else:
            out.write_text(text + "\n")
            typer.echo(f"wrote {out}", err=True)
