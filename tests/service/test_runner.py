"""A run that can never succeed ends the event `failed` with its reason, never `running`."""

from __future__ import annotations

import uuid

from runtime.queue import defer_process_event
from runtime.resources import Resources
from tests.support import drain_queue


async def test_an_event_whose_row_cannot_be_read_ends_failed_with_the_reason(
    resources: Resources,
) -> None:
    """Year 10000 is valid for PostgreSQL but not for Python: the claim's read-back fails.
    (The API refuses such times now; rows stored before that still must not hang.)"""
    event_id = uuid.uuid4()
    async with resources.pool.connection() as conn, conn.transaction():
        job_id = await defer_process_event(
            resources.queue, conn, tenant_id="default", event_id=event_id, entity="order:y10k"
        )
        await conn.execute(
            """
            INSERT INTO events (tenant_id, event_id, source, type, entity, payload, status,
                                job_id, occurred_at)
            VALUES ('default', %s, 'api', 'order.created', 'order:y10k', '{}', 'queued', %s,
                    '10000-01-01T09:59:59+00')
            """,
            (event_id, job_id),
        )

    await drain_queue(resources)

    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT status, error, finished_at IS NOT NULL AS finished FROM events"
            " WHERE event_id = %s",
            (event_id,),
        )
        row = await cursor.fetchone()
        job = await (
            await conn.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", (job_id,))
        ).fetchone()
    assert job is not None and job["status"] == "failed"
    assert row is not None
    assert row["status"] == "failed"
    assert row["finished"]
    assert row["error"] and "year" in row["error"].lower(), row["error"]
