"""Approval deadlines: escalate at the warning mark, apply the policy's default at the end,
and resume the runs that default decided (all of it here; the service only schedules it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import procrastinate
from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from hitl.approvals import COLUMNS, Approval
from hitl.audit import append_audit
from hitl.decisions import expiry_response
from hitl.resume import queue_resume
from runtime.database import Pool

Conn = AsyncConnection[DictRow]


async def escalate_due(conn: Conn) -> list[Approval]:
    """Mark pending approvals past their warning mark as escalated (once); return them."""
    cursor = await conn.execute(
        f"""
        UPDATE approvals SET escalated_at = now()
         WHERE status = 'pending' AND escalated_at IS NULL AND warn_at <= now()
        RETURNING {COLUMNS}
        """
    )
    escalated = [Approval.model_validate(row) for row in await cursor.fetchall()]
    for approval in escalated:
        await append_audit(
            conn,
            tenant_id=approval.tenant_id,
            actor="deadline",
            action="approval.escalated",
            subject=approval.approval_id,
            details={"deadline_at": approval.deadline_at.isoformat()},
        )
    return escalated


async def expire_due(conn: Conn) -> list[Approval]:
    """Expire pending approvals past their deadline with the policy's default decision."""
    cursor = await conn.execute(
        f"""
        SELECT {COLUMNS} FROM approvals
         WHERE status = 'pending' AND deadline_at <= now()
         FOR UPDATE SKIP LOCKED
        """
    )
    expired = [Approval.model_validate(row) for row in await cursor.fetchall()]
    for approval in expired:
        decision = expiry_response(approval)
        await conn.execute(
            "UPDATE approvals SET status = 'expired', decision = %s, decided_at = now()"
            " WHERE tenant_id = %s AND approval_id = %s",
            (Jsonb(decision), approval.tenant_id, approval.approval_id),
        )
        await append_audit(
            conn,
            tenant_id=approval.tenant_id,
            actor="deadline",
            action="approval.expired",
            subject=approval.approval_id,
            details={"applied": decision["type"]},
        )
    return expired


Notify = Callable[[str, dict[str, Any]], Awaitable[None]]


async def apply_deadlines(pool: Pool, queue: procrastinate.App, notify: Notify) -> tuple[int, int]:
    """Escalate approvals at their warning mark (a notice each); expire those past their
    deadline and resume their runs with the policy's default. Returns (escalated, expired)."""
    async with pool.connection() as conn, conn.transaction():
        escalated = await escalate_due(conn)
        expired = await expire_due(conn)
        for approval in expired:
            await queue_resume(queue, conn, approval)
    for approval in escalated:
        await notify(
            "approval.escalated",
            {
                "approval_id": approval.approval_id,
                "deadline_at": approval.deadline_at.isoformat(),
            },
        )
    return len(escalated), len(expired)
