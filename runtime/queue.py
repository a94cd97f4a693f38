"""The procrastinate app object and the job names the API defers by."""

from __future__ import annotations

import uuid
from typing import Any

import procrastinate
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from runtime.database import RECONNECT_GIVE_UP_S
from runtime.tracing import TRACE_CONTEXT_ARG, current_trace_context

PROCESS_EVENT = "process_event"
RESUME_RUN = "resume_run"
EVENTS_QUEUE = "events"
MAINTENANCE_QUEUE = "maintenance"


def build_queue_app(url: str, *, max_connections: int = 4) -> procrastinate.App:
    """A procrastinate app with a small pool of its own on the same database.

    Its pool is separate from ours because procrastinate opens its LISTEN connection with
    its own connection arguments; like ours, it gives up a backed-off reconnection early so
    a worker restarted after an outage finds connections at once. The worker side registers
    its tasks on the app (`service.tasks`); the API defers by name, on our connection,
    inside our transaction.
    """
    connector = procrastinate.PsycopgConnector(
        conninfo=url,
        min_size=1,
        max_size=max_connections,
        name="procrastinate",
        reconnect_timeout=RECONNECT_GIVE_UP_S,
    )
    return procrastinate.App(connector=connector)


def entity_lock(tenant_id: str, entity: str) -> str:
    """Jobs sharing this lock run one at a time, in the order they were deferred."""
    return f"{tenant_id}/{entity}"


async def defer_event_job(
    queue: procrastinate.App,
    conn: AsyncConnection[DictRow],
    *,
    task_name: str,
    tenant_id: str,
    event_id: uuid.UUID,
    entity: str,
) -> int:
    """Defer an event's job on `conn` (it commits with the caller's transaction), under the
    entity's lock so one entity's jobs run one at a time, in order. Inside a trace, the job
    carries its context, so the worker's run continues the same trace."""
    task: Any = queue.configure_task(
        name=task_name,
        queue=EVENTS_QUEUE,
        lock=entity_lock(tenant_id, entity),
        connection=conn,
    )
    traced = current_trace_context()
    extra = {TRACE_CONTEXT_ARG: traced} if traced else {}
    job_id: int = await task.defer_async(tenant_id=tenant_id, event_id=str(event_id), **extra)
    return job_id


async def defer_process_event(
    queue: procrastinate.App,
    conn: AsyncConnection[DictRow],
    *,
    tenant_id: str,
    event_id: uuid.UUID,
    entity: str,
) -> int:
    return await defer_event_job(
        queue, conn, task_name=PROCESS_EVENT, tenant_id=tenant_id, event_id=event_id, entity=entity
    )


async def defer_resume_run(
    queue: procrastinate.App,
    conn: AsyncConnection[DictRow],
    *,
    tenant_id: str,
    event_id: uuid.UUID,
    entity: str,
) -> int:
    return await defer_event_job(
        queue, conn, task_name=RESUME_RUN, tenant_id=tenant_id, event_id=event_id, entity=entity
    )
