"""CRM follow-ups: touchpoints (what a customer was told, when) and tasks for people."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

Conn = AsyncConnection[DictRow]


async def log_touchpoint(
    conn: Conn,
    *,
    tenant_id: str,
    touchpoint_id: str,
    customer: str,
    kind: str,
    subject: str,
    ref: str | None,
) -> dict[str, Any]:
    await conn.execute(
        """
        INSERT INTO store_crm_touchpoints (tenant_id, touchpoint_id, customer_ref, kind,
                                           subject, ref)
        VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING
        """,
        (tenant_id, touchpoint_id, customer, kind, subject, ref),
    )
    return {"touchpoint_id": touchpoint_id, "customer": customer, "kind": kind}


async def create_task(
    conn: Conn,
    *,
    tenant_id: str,
    task_id: str,
    customer: str,
    kind: str,
    subject: str,
    due_at: datetime,
    ref: str | None,
) -> dict[str, Any]:
    await conn.execute(
        """
        INSERT INTO store_crm_tasks (tenant_id, task_id, customer_ref, kind, subject, due_at,
                                     ref)
        VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING
        """,
        (tenant_id, task_id, customer, kind, subject, due_at, ref),
    )
    return {
        "task_id": task_id,
        "customer": customer,
        "kind": kind,
        "due_at": due_at.isoformat(),
    }


async def order_customer(conn: Conn, *, tenant_id: str, order_id: str) -> str | None:
    """The customer an order in the store belongs to."""
    cursor = await conn.execute(
        "SELECT user_id FROM store_orders WHERE tenant_id = %s AND order_id = %s",
        (tenant_id, order_id),
    )
    row = await cursor.fetchone()
    return str(row["user_id"]) if row else None


async def customer_email(conn: Conn, *, tenant_id: str, user_id: str) -> str | None:
    """The email address the store has for a customer."""
    cursor = await conn.execute(
        "SELECT doc->>'email' AS email FROM store_users WHERE tenant_id = %s AND user_id = %s",
        (tenant_id, user_id),
    )
    row = await cursor.fetchone()
    return str(row["email"]) if row and row["email"] else None
