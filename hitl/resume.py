"""Queueing the run a decision or an expiry resumes: the one place that is written.

A decided (or expired) approval resumes what it paused: its event's `resume_run` job, under
the event entity's lock, and — for an approval raised in a chat thread — that thread's
resume run. The decision paths (`hitl.decide`), the deadlines (`hitl.deadlines`) and the
runner's catch-up for decisions taken while an event could not resume all call here.
"""

from __future__ import annotations

import uuid

import procrastinate
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from hitl.approvals import Approval
from runtime.events import event_entity
from runtime.queue import defer_resume_run
from runtime.thread_resume import queue_resume as queue_thread_resume

Conn = AsyncConnection[DictRow]


async def queue_event_resume(
    queue: procrastinate.App,
    conn: Conn,
    *,
    tenant_id: str,
    event_id: uuid.UUID,
    entity: str | None = None,
) -> bool:
    """Defer the event's `resume_run` job (in the caller's transaction); False when there
    is no such event."""
    entity = entity or await event_entity(conn, tenant_id=tenant_id, event_id=event_id)
    if entity is None:
        return False
    await defer_resume_run(queue, conn, tenant_id=tenant_id, event_id=event_id, entity=entity)
    return True


async def queue_resume(queue: procrastinate.App, conn: Conn, approval: Approval) -> None:
    """Queue the run `approval` paused: its event's resume, and its chat thread's if it was
    raised in one (an event thread has none)."""
    if approval.event_id is not None:
        await queue_event_resume(
            queue, conn, tenant_id=approval.tenant_id, event_id=approval.event_id
        )
    await queue_thread_resume(
        queue, conn, tenant_id=approval.tenant_id, thread_id=approval.thread_id
    )
