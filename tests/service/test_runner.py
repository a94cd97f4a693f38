"""A run that can never succeed ends the event `failed` with its reason, never `running`;
a first run reads nothing back from a thread that cannot have saved anything."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from hitl.approvals import get_approval
from runtime.events import CanonicalEvent, EventStatus, insert_event
from runtime.queue import defer_process_event
from runtime.resources import Resources
from service.runner import EventRunner, compile_master_graph
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


async def queued_lead(resources: Resources, *, attempts: int = 0) -> uuid.UUID:
    """A queued `lead.created` event, as if it had already been tried `attempts` times."""
    event_id = uuid.uuid4()
    async with resources.pool.connection() as conn:
        await insert_event(
            conn,
            tenant_id="default",
            source="api",
            event=CanonicalEvent(
                type="lead.created",
                entity=f"lead:{event_id}",
                payload={"email": f"{event_id.hex[:8]}@corp.example"},
            ),
            event_id=event_id,
            status=EventStatus.QUEUED,
        )
        await conn.execute(
            "UPDATE events SET attempts = %s WHERE event_id = %s", (attempts, event_id)
        )
    return event_id


async def test_a_first_run_reads_nothing_back_and_a_later_attempt_reads_its_thread(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh thread has no checkpoint and has raised no approval: its first run asks the
    database for neither (4-5 queries an event). A later attempt may find a saved state,
    so it looks."""
    checkpoint_reads: list[str] = []
    approval_lookups: list[str] = []
    read_checkpoint = AsyncPostgresSaver.aget_tuple

    async def counted_read(self: AsyncPostgresSaver, config: RunnableConfig) -> Any:
        checkpoint_reads.append(str(config["configurable"]["thread_id"]))
        return await read_checkpoint(self, config)

    async def counted_lookup(conn: Any, *, tenant_id: str, approval_id: str) -> Any:
        approval_lookups.append(approval_id)
        return await get_approval(conn, tenant_id=tenant_id, approval_id=approval_id)

    monkeypatch.setattr(AsyncPostgresSaver, "aget_tuple", counted_read)
    monkeypatch.setattr("graph.gate.get_approval", counted_lookup)
    runner = EventRunner(resources, compile_master_graph(resources))

    first = await queued_lead(resources)
    assert await runner.run(tenant_id="default", event_id=first) is EventStatus.DONE
    assert checkpoint_reads == []
    assert approval_lookups == []

    retried = await queued_lead(resources, attempts=1)
    assert await runner.run(tenant_id="default", event_id=retried) is EventStatus.DONE
    assert f"event:{retried}" in checkpoint_reads
    assert len(checkpoint_reads) >= 3  # the master, the CRM domain, its specialists
    assert approval_lookups  # lead assignment is gated
