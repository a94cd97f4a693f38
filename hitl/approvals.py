"""The approvals table: written idempotently when a gate fires, read for listing and SLAs."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from runtime.database import Pool

Conn = AsyncConnection[DictRow]


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    DECIDED = "decided"
    EXPIRED = "expired"


ApprovalKind = Literal["approval", "attention"]


class Approval(BaseModel):
    tenant_id: str
    approval_id: str
    kind: ApprovalKind = "approval"
    event_id: uuid.UUID | None
    thread_id: str
    tool_call_id: str
    interrupt_id: str | None
    tool_name: str
    args: dict[str, Any]
    proposed: dict[str, Any]
    facts: dict[str, Any]
    rules: list[dict[str, Any]]
    policy_version: str
    required_approvers: int
    description: str
    payload: dict[str, Any]
    status: ApprovalStatus
    decision: dict[str, Any] | None
    votes: list[dict[str, Any]]
    requested_by: uuid.UUID | None
    applied: bool
    on_expiry: str
    created_at: datetime
    warn_at: datetime
    deadline_at: datetime
    escalated_at: datetime | None
    decided_at: datetime | None


COLUMNS = ", ".join(Approval.model_fields)


async def raise_approval(conn: Conn, approval: dict[str, Any]) -> bool:
    """Insert the approval unless its id exists; True when this call created it."""
    cursor = await conn.execute(
        """
        INSERT INTO approvals (tenant_id, approval_id, kind, event_id, thread_id, tool_call_id,
                               tool_name, args, proposed, facts, rules, policy_version,
                               required_approvers, description, payload, requested_by,
                               on_expiry, warn_at, deadline_at)
        VALUES (%(tenant_id)s, %(approval_id)s, %(kind)s, %(event_id)s, %(thread_id)s,
                %(tool_call_id)s,
                %(tool_name)s, %(args)s, %(proposed)s, %(facts)s, %(rules)s,
                %(policy_version)s, %(required_approvers)s, %(description)s, %(payload)s,
                %(requested_by)s, %(on_expiry)s,
                now() + %(warn_after)s, now() + %(deadline)s)
        ON CONFLICT (tenant_id, approval_id) DO NOTHING
        RETURNING approval_id
        """,
        {
            "kind": "approval",
            **approval,
            **{k: Jsonb(approval[k]) for k in ("args", "proposed", "facts", "rules", "payload")},
        },
    )
    return await cursor.fetchone() is not None


async def get_approval(
    conn: Conn, *, tenant_id: str, approval_id: str, lock: bool = False
) -> Approval | None:
    query = f"SELECT {COLUMNS} FROM approvals WHERE tenant_id = %s AND approval_id = %s"
    cursor = await conn.execute(query + (" FOR UPDATE" if lock else ""), (tenant_id, approval_id))
    row = await cursor.fetchone()
    return None if row is None else Approval.model_validate(row)


async def list_approvals(
    pool: Pool,
    *,
    tenant_id: str,
    status: ApprovalStatus | None,
    limit: int = 100,
    kind: ApprovalKind | None = None,
) -> list[Approval]:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            f"""
            SELECT {COLUMNS} FROM approvals
             WHERE tenant_id = %s AND (%s::text IS NULL OR status = %s)
               AND (%s::text IS NULL OR kind = %s)
             ORDER BY created_at DESC LIMIT %s
            """,
            (tenant_id, status, status, kind, kind, limit),
        )
        return [Approval.model_validate(row) for row in await cursor.fetchall()]


async def attach_interrupt(
    conn: Conn, *, tenant_id: str, approval_id: str, interrupt_id: str
) -> None:
    await conn.execute(
        "UPDATE approvals SET interrupt_id = %s WHERE tenant_id = %s AND approval_id = %s",
        (interrupt_id, tenant_id, approval_id),
    )


async def save_votes(
    conn: Conn,
    *,
    tenant_id: str,
    approval_id: str,
    votes: list[dict[str, Any]],
    decision: dict[str, Any] | None,
    status: ApprovalStatus,
) -> None:
    await conn.execute(
        """
        UPDATE approvals
           SET votes = %s, decision = %s, status = %s,
               decided_at = CASE WHEN %s <> 'pending' THEN now() END
         WHERE tenant_id = %s AND approval_id = %s
        """,
        (
            Jsonb(votes),
            Jsonb(decision) if decision else None,
            status.value,
            status.value,
            tenant_id,
            approval_id,
        ),
    )


async def ready_to_resume(conn: Conn, *, tenant_id: str, event_id: uuid.UUID) -> list[Approval]:
    """Decided (or expired) approvals of the event that its run has not consumed yet."""
    cursor = await conn.execute(
        f"""
        SELECT {COLUMNS} FROM approvals
         WHERE tenant_id = %s AND event_id = %s AND status <> 'pending' AND NOT applied
           AND interrupt_id IS NOT NULL
         ORDER BY decided_at
        """,
        (tenant_id, event_id),
    )
    return [Approval.model_validate(row) for row in await cursor.fetchall()]


async def mark_applied(conn: Conn, *, tenant_id: str, approval_ids: list[str]) -> None:
    await conn.execute(
        "UPDATE approvals SET applied = true WHERE tenant_id = %s AND approval_id = ANY(%s)",
        (tenant_id, approval_ids),
    )
