"""The canonical event model and the events inbox (one row per accepted delivery)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, Field

from runtime.database import Pool

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"


class EventStatus(StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    IGNORED = "ignored"
    REJECTED = "rejected"
    STALE = "stale"


TERMINAL_STATUSES = frozenset(
    {
        EventStatus.DONE,
        EventStatus.FAILED,
        EventStatus.SKIPPED,
        EventStatus.IGNORED,
        EventStatus.REJECTED,
        EventStatus.STALE,
    }
)


class CanonicalEvent(BaseModel):
    """A business event in the shape the graph understands, whatever its source."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(pattern=EVENT_TYPE_PATTERN, examples=["order.created"])
    entity: str = Field(min_length=1, max_length=200, examples=["order:1001"])
    payload: dict[str, Any] = Field(default_factory=dict)
    occurred_at: datetime | None = None


class StoredEvent(BaseModel):
    """An inbox row as the API and the worker read it."""

    event_id: uuid.UUID
    tenant_id: str
    source: str
    type: str
    entity: str
    payload: dict[str, Any]
    status: EventStatus
    status_reason: str | None
    attempts: int
    received_at: datetime
    occurred_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    domains: list[str]
    timeline: list[dict[str, Any]]
    summary: str | None
    error: str | None


SELECT_COLUMNS = """
    event_id, tenant_id, source, type, entity, payload, status, status_reason, attempts,
    received_at, occurred_at, started_at, finished_at, domains, timeline, summary, error
"""


async def insert_event(
    conn: AsyncConnection[DictRow],
    *,
    tenant_id: str,
    source: str,
    event: CanonicalEvent,
    event_id: uuid.UUID,
    status: EventStatus,
    job_id: int | None = None,
) -> None:
    """Insert an inbox row; the caller owns the transaction (the job is deferred in it too)."""
    await conn.execute(
        """
        INSERT INTO events (tenant_id, event_id, source, type, entity, payload, status, job_id,
                            occurred_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (
            tenant_id,
            event_id,
            source,
            event.type,
            event.entity,
            Jsonb(event.payload),
            status.value,
            job_id,
            event.occurred_at or datetime.now(UTC),
        ),
    )


async def get_event(pool: Pool, *, tenant_id: str, event_id: uuid.UUID) -> StoredEvent | None:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            f"SELECT {SELECT_COLUMNS} FROM events WHERE tenant_id = %s AND event_id = %s",
            (tenant_id, event_id),
        )
        row = await cursor.fetchone()
    return StoredEvent.model_validate(row) if row else None


async def mark_running(pool: Pool, *, tenant_id: str, event_id: uuid.UUID) -> StoredEvent | None:
    """Claim the event for a run; None when it is already finished."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            f"""
            UPDATE events
               SET status = 'running', attempts = attempts + 1,
                   started_at = coalesce(started_at, now())
             WHERE tenant_id = %s AND event_id = %s
               AND status IN ('received', 'queued', 'running', 'failed')
            RETURNING {SELECT_COLUMNS}
            """,
            (tenant_id, event_id),
        )
        row = await cursor.fetchone()
    return StoredEvent.model_validate(row) if row else None


async def record_outcome(
    pool: Pool,
    *,
    tenant_id: str,
    event_id: uuid.UUID,
    status: EventStatus,
    domains: list[str],
    timeline: list[dict[str, Any]],
    summary: str | None = None,
    error: str | None = None,
) -> None:
    """Store where a run got to: its status, the domains it reached and its timeline."""
    finished = status in TERMINAL_STATUSES
    async with pool.connection() as conn:
        await conn.execute(
            """
            UPDATE events
               SET status = %s, domains = %s, timeline = %s, summary = %s, error = %s,
                   finished_at = CASE WHEN %s THEN now() ELSE NULL END
             WHERE tenant_id = %s AND event_id = %s
            """,
            (
                status.value,
                domains,
                Jsonb(timeline),
                summary,
                error,
                finished,
                tenant_id,
                event_id,
            ),
        )


async def list_events(
    pool: Pool, *, tenant_id: str, status: EventStatus | None, limit: int
) -> list[StoredEvent]:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            f"""
            SELECT {SELECT_COLUMNS} FROM events
             WHERE tenant_id = %s AND (%s::text IS NULL OR status = %s)
             ORDER BY received_at DESC
             LIMIT %s
            """,
            (tenant_id, status, status, limit),
        )
        rows = await cursor.fetchall()
    return [StoredEvent.model_validate(row) for row in rows]
