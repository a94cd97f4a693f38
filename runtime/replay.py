"""Re-running events: dead letters (`failed`) as they are, finished events only when forced."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import procrastinate
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from runtime.database import Pool
from runtime.events import EventStatus, set_job
from runtime.queue import defer_process_event

IN_FLIGHT = frozenset({EventStatus.RECEIVED, EventStatus.QUEUED, EventStatus.RUNNING})
NOT_RUNNABLE = frozenset({EventStatus.IGNORED, EventStatus.REJECTED})


class ReplayRefused(Exception):
    """The event cannot be replayed as asked; the message says why and what would do."""


class EventNotFound(ReplayRefused):
    """No such event for this tenant."""


@dataclass(frozen=True)
class Replayed:
    event_id: uuid.UUID
    previous_status: EventStatus
    run: int
    job_id: int


async def replay_event(
    pool: Pool,
    queue: procrastinate.App,
    *,
    tenant_id: str,
    event_id: uuid.UUID,
    force: bool = False,
) -> Replayed:
    """Queue the event again, in one transaction with its new job.

    A `failed` event resumes its graph thread from the last checkpoint, so steps that
    succeeded are not repeated; any other finished event needs `force` and starts a fresh
    thread (a new run number).
    """
    async with pool.connection() as conn, conn.transaction():
        cursor = await conn.execute(
            "SELECT status, entity, run FROM events"
            " WHERE tenant_id = %s AND event_id = %s FOR UPDATE",
            (tenant_id, event_id),
        )
        row = await cursor.fetchone()
        if row is None:
            raise EventNotFound(f"no event {event_id} for tenant {tenant_id!r}")
        status = EventStatus(row["status"])
        if status in IN_FLIGHT and await has_live_job(conn, event_id):
            raise ReplayRefused(f"event {event_id} is {status.value}; it is already on its way")
        if status in NOT_RUNNABLE or row["entity"] is None:
            raise ReplayRefused(f"event {event_id} is {status.value}; it has nothing to run")
        if status is not EventStatus.FAILED and not force:
            raise ReplayRefused(
                f"event {event_id} is {status.value}; replaying it runs its actions again, "
                "pass --force if that is what you want"
            )
        run = int(row["run"]) + (0 if status is EventStatus.FAILED else 1)
        await conn.execute(
            """
            UPDATE events
               SET status = 'queued', run = %s, error = NULL, finished_at = NULL,
                   status_reason = %s
             WHERE tenant_id = %s AND event_id = %s
            """,
            (run, f"replayed from {status.value}", tenant_id, event_id),
        )
        job_id = await defer_process_event(
            queue, conn, tenant_id=tenant_id, event_id=event_id, entity=row["entity"]
        )
        await set_job(conn, tenant_id=tenant_id, event_id=event_id, job_id=job_id)
    return Replayed(event_id=event_id, previous_status=status, run=run, job_id=job_id)


async def event_ids_with_status(
    pool: Pool, *, tenant_id: str, status: EventStatus
) -> list[uuid.UUID]:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT event_id FROM events WHERE tenant_id = %s AND status = %s ORDER BY received_at",
            (tenant_id, status.value),
        )
        return [uuid.UUID(str(row["event_id"])) for row in await cursor.fetchall()]


async def has_live_job(conn: AsyncConnection[DictRow], event_id: uuid.UUID) -> bool:
    """Whether a job for the event is waiting or running (else an in-flight status is left
    over from a run that could not record its end, and a replay may take over)."""
    cursor = await conn.execute(
        "SELECT 1 FROM procrastinate_jobs WHERE args->>'event_id' = %s"
        " AND status IN ('todo', 'doing') LIMIT 1",
        (str(event_id),),
    )
    return await cursor.fetchone() is not None
