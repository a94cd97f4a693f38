"""`opsgraph status [--watch]`: what the service is doing now, read from its database.

Queue depth, the last hour's events by status, pending approvals by age, and the workers
with their heartbeats. It reads the same tables every process writes, so it shows the whole
deployment (API and every worker), not one process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from runtime.database import Pool, database_url, open_pool
from runtime.recovery import LIVENESS_NAMESPACE
from runtime.settings import Settings

QUEUE_SQL = """
SELECT j.status::text AS status, count(*) AS n,
       extract(epoch FROM now() - min(d.at)) AS oldest_s
  FROM procrastinate_jobs j
  LEFT JOIN procrastinate_events d ON d.job_id = j.id AND d.type = 'deferred'
 WHERE j.status IN ('todo', 'doing')
 GROUP BY 1 ORDER BY 1 DESC
"""

EVENTS_SQL = """
SELECT status, count(*) AS n FROM events
 WHERE tenant_id = %(tenant)s AND received_at > now() - interval '1 hour'
 GROUP BY 1 ORDER BY 2 DESC, 1
"""

APPROVALS_SQL = """
SELECT approval_id, kind, tool_name, extract(epoch FROM now() - created_at) AS age_s,
       extract(epoch FROM deadline_at - now()) AS due_s
  FROM approvals
 WHERE tenant_id = %(tenant)s AND status = 'pending'
 ORDER BY created_at LIMIT %(limit)s
"""

# A worker is running while it holds its liveness lock (see runtime/recovery.py) or its
# heartbeat is recent; the jobs it holds are counted beside it.
WORKERS_SQL = """
SELECT w.id, extract(epoch FROM now() - w.last_heartbeat) AS heartbeat_s,
       EXISTS (SELECT 1 FROM pg_locks l
                WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                  AND l.database = (SELECT oid FROM pg_database
                                     WHERE datname = current_database())
                  AND l.classid = %(namespace)s::oid
                  AND l.objid = (w.id %% 2147483647)::oid) AS holds_lock,
       (SELECT count(*) FROM procrastinate_jobs j
         WHERE j.worker_id = w.id AND j.status = 'doing') AS jobs
  FROM procrastinate_workers w
 ORDER BY w.id
"""


@dataclass
class StatusView:
    """One reading of the tables the view shows."""

    queue: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    workers: list[dict[str, Any]] = field(default_factory=list)


async def read_status(
    pool: Pool, *, tenant: str, stalled_after_s: float, max_approvals: int = 20
) -> StatusView:
    params = {"tenant": tenant, "limit": max_approvals, "namespace": LIVENESS_NAMESPACE}
    view = StatusView()
    async with pool.connection() as conn:
        for name, sql in (
            ("queue", QUEUE_SQL),
            ("events", EVENTS_SQL),
            ("approvals", APPROVALS_SQL),
            ("workers", WORKERS_SQL),
        ):
            cursor = await conn.execute(sql, params if "%(" in sql else None)
            setattr(view, name, [dict(row) for row in await cursor.fetchall()])
    for worker in view.workers:
        fresh = float(worker["heartbeat_s"]) <= stalled_after_s
        worker["state"] = "running" if worker["holds_lock"] or fresh else "dead"
    return view


def age(seconds: Any) -> str:
    """`42s`, `7m05s`, `3h12m`: short enough for a column."""
    if seconds is None:
        return "-"
    total = int(max(float(seconds), 0))
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m{total % 60:02d}s"
    return f"{total // 3600}h{total % 3600 // 60:02d}m"


def render(view: StatusView, *, tenant: str) -> Group:
    queue = Table(title="Queue", title_justify="left")
    queue.add_column("status")
    queue.add_column("jobs", justify="right")
    queue.add_column("oldest", justify="right")
    depth = {row["status"]: row for row in view.queue}
    for status in ("todo", "doing"):
        row = depth.get(status, {"n": 0, "oldest_s": None})
        queue.add_row(status, str(row["n"]), age(row["oldest_s"]))

    events = Table(title=f"Events, last hour ({tenant})", title_justify="left")
    events.add_column("status")
    events.add_column("events", justify="right")
    for row in view.events:
        events.add_row(row["status"], str(row["n"]))
    if not view.events:
        events.add_row("-", "0")

    approvals = Table(title=f"Pending approvals, oldest first ({tenant})", title_justify="left")
    for column in ("approval", "kind", "action", "age", "due in"):
        approvals.add_column(column, no_wrap=True)
    for row in view.approvals:
        due = row["due_s"]
        approvals.add_row(
            row["approval_id"],
            row["kind"],
            row["tool_name"],
            age(row["age_s"]),
            "overdue" if due is not None and due < 0 else age(due),
        )
    if not view.approvals:
        approvals.add_row("none", "", "", "", "")

    workers = Table(title="Workers", title_justify="left")
    for column in ("worker", "state", "heartbeat", "jobs"):
        workers.add_column(column)
    for row in view.workers:
        workers.add_row(
            str(row["id"]), row["state"], f"{age(row['heartbeat_s'])} ago", str(row["jobs"])
        )
    if not view.workers:
        workers.add_row("none", "no worker registered", "", "")
    return Group(queue, events, approvals, workers)


async def show(
    settings: Settings, *, tenant: str, watch: bool, interval: float, count: int
) -> None:
    console = Console()
    with database_url(settings) as url:
        async with open_pool(url, min_size=1, max_size=1) as pool:

            async def reading() -> Group:
                view = await read_status(
                    pool, tenant=tenant, stalled_after_s=settings.stalled_after_s
                )
                return render(view, tenant=tenant)

            if not watch:
                console.print(await reading())
                return
            shown = 0
            with Live(await reading(), console=console, auto_refresh=False) as live:
                shown += 1
                while count == 0 or shown < count:
                    await asyncio.sleep(interval)
                    live.update(await reading(), refresh=True)
                    shown += 1


def register(app: typer.Typer, settings_loader: Callable[[], Settings]) -> None:
    @app.command()
    def status(
        watch: Annotated[bool, typer.Option("--watch", help="Refresh until interrupted.")] = False,
        interval: Annotated[
            float, typer.Option(min=0.1, help="Seconds between refreshes with --watch.")
        ] = 2.0,
        count: Annotated[
            int, typer.Option(min=0, help="With --watch: stop after this many views (0: never).")
        ] = 0,
        tenant: Annotated[str, typer.Option(help="The tenant.")] = "default",
    ) -> None:
        """Queue depth, the last hour's events, pending approvals and the workers."""
        settings = settings_loader()
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends --watch
            asyncio.run(show(settings, tenant=tenant, watch=watch, interval=interval, count=count))
