"""`opsgraph approvals list | show ID | decide ID --accept|--reject|--edit JSON|--respond TEXT`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Annotated, Any

import typer

from api.approvals import ApprovalView
from graph.tools.registry import build_tool_registry
from hitl.approvals import ApprovalStatus, get_approval, list_approvals
from hitl.decide import decide
from hitl.decisions import DecisionError, DecisionIn, Voter
from runtime.apikeys import Role, find_key
from runtime.resources import open_resources
from runtime.settings import Settings

approvals_app = typer.Typer(
    help="Approvals waiting for (or past) a reviewer.", no_args_is_help=True
)

TenantOption = Annotated[str, typer.Option(help="The tenant.")]


def register(settings_loader: Callable[[], Settings]) -> None:
    @approvals_app.command("list")
    def approvals_list(
        status: Annotated[ApprovalStatus | None, typer.Option(help="Only this status.")] = (
            ApprovalStatus.PENDING
        ),
        tenant: TenantOption = "default",
    ) -> None:
        """One line per approval: id, status, age, deadline, amount, action, rules (an
        attention item says `attention`)."""
        settings = settings_loader()

        async def fetch() -> list[ApprovalView]:
            async with open_resources(settings) as resources:
                found = await list_approvals(resources.pool, tenant_id=tenant, status=status)
            return [ApprovalView.of(a) for a in found]

        views = asyncio.run(fetch())
        if not views:
            typer.echo("no approvals")
        for view in views:
            amount = f"{view.amount:,.2f}" if view.amount is not None else "-"
            rules = ",".join(r["id"] for r in view.rules)
            if view.kind == "attention":
                rules = ",".join(["attention", *([rules] if rules else [])])
            typer.echo(
                f"{view.approval_id}  {view.status.value:<8} age {view.age_s / 60:5.1f}m  "
                f"due {view.deadline_at:%Y-%m-%d %H:%M}  {amount:>10}  "
                f"{view.proposed['action']}  [{rules}]"
            )

    @approvals_app.command("show")
    def approvals_show(
        approval_id: Annotated[str, typer.Argument(help="The approval id.")],
        tenant: TenantOption = "default",
    ) -> None:
        """The approval's description, facts, proposed action and votes, as JSON."""
        settings = settings_loader()

        async def fetch() -> ApprovalView | None:
            async with open_resources(settings) as resources, resources.pool.connection() as conn:
                found = await get_approval(conn, tenant_id=tenant, approval_id=approval_id)
            return None if found is None else ApprovalView.of(found)

        view = asyncio.run(fetch())
        if view is None:
            typer.echo(f"error: no approval {approval_id}", err=True)
            raise typer.Exit(1)
        typer.echo(view.description)
        typer.echo(view.model_dump_json(indent=2, exclude={"description", "interrupt"}))

    @approvals_app.command("decide")
    def approvals_decide(
        approval_id: Annotated[str, typer.Argument(help="The approval id.")],
        accept: Annotated[bool, typer.Option("--accept", help="Run it as proposed.")] = False,
        reject: Annotated[bool, typer.Option("--reject", help="Do not run it.")] = False,
        edit: Annotated[str | None, typer.Option(help="Run it with these JSON args.")] = None,
        respond: Annotated[str | None, typer.Option(help="Tell the agent this instead.")] = None,
        comment: Annotated[str | None, typer.Option(help="Why (kept in the audit).")] = None,
        key: Annotated[str | None, typer.Option("--key", help="A reviewer or admin key.")] = None,
    ) -> None:
        """Decide an approval as the reviewer whose key is given."""
        chosen = [accept, reject, edit is not None, respond is not None]
        if sum(chosen) != 1:
            raise typer.BadParameter("give exactly one of --accept, --reject, --edit, --respond")
        args: Any = None
        kind = "accept" if accept else "ignore" if reject else "edit" if edit else "response"
        if edit is not None:
            try:
                args = json.loads(edit)
            except ValueError as exc:
                raise typer.BadParameter(f"--edit is not JSON: {exc}") from exc
        if respond is not None:
            args = respond
        settings = settings_loader()
        secret = key or (settings.admin_key.get_secret_value() if settings.admin_key else None)
        if not secret:
            raise typer.BadParameter("a reviewer key is required: --key or OPSGRAPH_ADMIN_KEY")

        async def run() -> ApprovalView:
            async with open_resources(settings) as resources:
                caller = await find_key(resources.pool, secret)
                if caller is None or caller.role not in (Role.REVIEWER, Role.ADMIN):
                    raise typer.BadParameter("the key is not a live reviewer or admin key")
                approval, _ = await decide(
                    resources.pool,
                    resources.queue,
                    tenant_id=caller.tenant_id,
                    approval_id=approval_id,
                    decision=DecisionIn(type=kind, args=args, comment=comment),
                    voter=Voter(caller.key_id, caller.name, "cli"),
                    check_edit=build_tool_registry().check_edit,
                )
            return ApprovalView.of(approval)

        try:
            view = asyncio.run(run())
        except DecisionError as exc:
            typer.echo(f"error ({exc.status}): {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"{view.approval_id}: {view.status.value} ({len(view.votes)} vote(s))")
