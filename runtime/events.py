"""The canonical event model and the events inbox (one row per accepted delivery)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, Field, model_validator

from runtime.bounds import SaneTime, StorableObject, storable_text
from runtime.database import Pool
from runtime.order_lines import check_event_lines

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
    """Which types are accepted is the event registry's to say (graph.routing), checked at
    the API's edge: the runtime keeps no list of its own."""
    entity: Annotated[str, storable_text("entity")] = Field(
        min_length=1, max_length=200, examples=["order:1001"]
    )
    payload: StorableObject = Field(default_factory=dict)
    occurred_at: SaneTime | None = Field(
        default=None, description="When it happened: from 2000 to a day ahead of now."
    )

    @model_validator(mode="after")
    def _bounded_lines(self) -> CanonicalEvent:
        """Order and invoice lines within OPSGRAPH_MAX_ORDER_LINES / _MAX_LINE_QUANTITY."""
        check_event_lines(self.type, self.payload)
        return self


class StoredEvent(BaseModel):
    """An inbox row as the API and the worker read it."""

    event_id: uuid.UUID
    tenant_id: str
    source: str
    source_event: str | None
    type: str | None
    entity: str | None
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
    run: int
    requested_by: uuid.UUID | None = None


SELECT_COLUMNS = """
    event_id, tenant_id, source, source_event, type, entity, payload, status, status_reason,
    attempts, received_at, occurred_at, started_at, finished_at, domains, timeline, summary,
    error, run, requested_by
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
    requested_by: uuid.UUID | None = None,
) -> None:
    """Insert an inbox row; the caller owns the transaction (the job is deferred in it too)."""
    await conn.execute(
        """
        INSERT INTO events (tenant_id, event_id, source, type, entity, payload, status, job_id,
                            occurred_at, requested_by)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
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
            requested_by,
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


@dataclass(frozen=True)
class Claimed:
    """An event claimed for a run, and whether it is already stale."""

    event: StoredEvent
    newer: uuid.UUID | None
    """A processed event of the same entity that occurred later, if there is one."""


async def mark_running(pool: Pool, *, tenant_id: str, event_id: uuid.UUID) -> Claimed | None:
    """Claim the event for a run, and look for a later processed event of its entity in the
    same statement; None when the event is already finished."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            f"""
            UPDATE events e
               SET status = 'running', attempts = attempts + 1,
                   started_at = coalesce(started_at, now())
             WHERE tenant_id = %s AND event_id = %s
               AND status IN ('received', 'queued', 'running')
            RETURNING {SELECT_COLUMNS},
                      (SELECT n.event_id FROM events n
                        WHERE n.tenant_id = e.tenant_id AND n.entity = e.entity
                          AND n.event_id <> e.event_id
                          AND n.status IN ('done', 'awaiting_approval', 'skipped')
                          AND n.occurred_at > e.occurred_at
                        ORDER BY n.occurred_at DESC LIMIT 1) AS newer_event_id
            """,
            (tenant_id, event_id),
        )
        row = await cursor.fetchone()
    if row is None:
        return None
    newer = row.pop("newer_event_id")
    event = StoredEvent.model_validate(row)
    return Claimed(event, None if newer is None else uuid.UUID(str(newer)))


async def mark_resuming(pool: Pool, *, tenant_id: str, event_id: uuid.UUID) -> StoredEvent | None:
    """Claim a paused event to resume it; None when it is not paused (or already running)."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            f"""
            UPDATE events SET status = 'running'
             WHERE tenant_id = %s AND event_id = %s
               AND status IN ('awaiting_approval', 'running')
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


SIGNATURE_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "saleor-signature",
        "x-shopify-hmac-sha256",
        "stripe-signature",
        "webhook-signature",
    }
)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers as stored: signatures and credentials replaced by a marker."""
    return {
        name.lower(): "[redacted]" if name.lower() in SIGNATURE_HEADERS else value
        for name, value in headers.items()
    }


@dataclass(frozen=True)
class Delivery:
    """A webhook delivery as it enters the inbox."""

    tenant_id: str
    source: str
    source_event: str | None
    type: str | None
    entity: str | None
    payload: dict[str, Any]
    raw_body: bytes
    headers: dict[str, str]
    dedupe_key: str
    status: EventStatus
    status_reason: str | None = None
    occurred_at: datetime | None = None
    registry_version: int | None = None


async def find_delivery(
    conn: AsyncConnection[DictRow], *, tenant_id: str, source: str, dedupe_key: str
) -> uuid.UUID | None:
    """The event already stored under this dedupe key, if any."""
    cursor = await conn.execute(
        "SELECT event_id FROM events WHERE tenant_id = %s AND source = %s AND dedupe_key = %s",
        (tenant_id, source, dedupe_key),
    )
    row = await cursor.fetchone()
    return None if row is None else uuid.UUID(str(row["event_id"]))


async def insert_delivery(
    conn: AsyncConnection[DictRow],
    delivery: Delivery,
    *,
    event_id: uuid.UUID,
    job_id: int | None,
) -> bool:
    """Insert the delivery (queued when it has a job); False when its dedupe key is taken."""
    status = EventStatus.QUEUED if job_id is not None else delivery.status
    cursor = await conn.execute(
        """
        INSERT INTO events (tenant_id, event_id, source, source_event, type, entity, payload,
                            raw_body, headers, dedupe_key, status, status_reason, occurred_at,
                            registry_version, job_id)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, coalesce(%s, now()), %s, %s)
        ON CONFLICT (tenant_id, source, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
        RETURNING event_id
        """,
        (
            delivery.tenant_id,
            event_id,
            delivery.source,
            delivery.source_event,
            delivery.type,
            delivery.entity,
            Jsonb(delivery.payload),
            delivery.raw_body,
            Jsonb(delivery.headers),
            delivery.dedupe_key,
            status.value,
            delivery.status_reason,
            delivery.occurred_at,
            delivery.registry_version,
            job_id,
        ),
    )
    return await cursor.fetchone() is not None


async def set_job(
    conn: AsyncConnection[DictRow], *, tenant_id: str, event_id: uuid.UUID, job_id: int
) -> None:
    await conn.execute(
        "UPDATE events SET job_id = %s, status = 'queued' WHERE tenant_id = %s AND event_id = %s",
        (job_id, tenant_id, event_id),
    )


async def mark_stale(pool: Pool, event: StoredEvent, *, newer: uuid.UUID) -> None:
    async with pool.connection() as conn:
        await conn.execute(
            """
            UPDATE events SET status = 'stale', finished_at = now(),
                   status_reason = %s
             WHERE tenant_id = %s AND event_id = %s
            """,
            (
                f"older than event {newer}, already processed for {event.entity}",
                event.tenant_id,
                event.event_id,
            ),
        )


async def event_entity(
    conn: AsyncConnection[DictRow], *, tenant_id: str, event_id: uuid.UUID
) -> str | None:
    """The entity key of an event, read on the caller's connection (inside its transaction)."""
    cursor = await conn.execute(
        "SELECT entity FROM events WHERE tenant_id = %s AND event_id = %s", (tenant_id, event_id)
    )
    row = await cursor.fetchone()
    return None if row is None else row["entity"]
