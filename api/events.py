"""Canonical events from internal senders, and every event's status and run timeline."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Query, status
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, Field

from api.deps import AdminKey, OperatorKey, ReaderKey, ResourcesDep
from api.errors import error_responses
from api.limits import JsonBody
from graph.routing import REGISTRY, known_event_types
from runtime.events import (
    EVENT_TYPE_PATTERN,
    CanonicalEvent,
    EventStatus,
    StoredEvent,
    get_event,
    insert_event,
    list_events,
)
from runtime.queue import defer_process_event
from runtime.replay import EventNotFound, ReplayRefused, replay_event

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/events", tags=["events"])

API_SOURCE = "api"


class EventAccepted(BaseModel):
    event_id: uuid.UUID
    status: EventStatus


class EventView(BaseModel):
    event_id: uuid.UUID
    source: str
    source_event: str | None
    type: str | None
    entity: str | None
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
    payload: dict[str, Any]

    @classmethod
    def of(cls, event: StoredEvent) -> EventView:
        return cls.model_validate(event.model_dump())


class AcceptedEvent(CanonicalEvent):
    """A canonical event whose type the event registry accepts (listed in the schema)."""

    type: str = Field(
        pattern=EVENT_TYPE_PATTERN,
        examples=["order.created"],
        json_schema_extra={"enum": [*known_event_types()]},
    )


EventBody = Annotated[AcceptedEvent, Depends(JsonBody(AcceptedEvent))]


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=EventAccepted)
async def create_event(key: OperatorKey, body: EventBody, resources: ResourcesDep) -> EventAccepted:
    """Accept a canonical event; answered only once the row and its job are committed.

    The key is checked before the body is read; values the store cannot hold (NUL
    characters, lone surrogates, NaN, integers beyond 64 bits, times before 2000 or more
    than a day ahead) are refused with 422.
    """
    if not REGISTRY.accepts(body.type):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"unknown event type {body.type!r}; known types: {known_event_types()}",
        )
    event_id = uuid.uuid4()
    # A type the registry ignores as a whole is kept, and runs nothing.
    runs = body.type not in REGISTRY.ignored
    try:
        async with resources.pool.connection(timeout=5) as conn, conn.transaction():
            job_id = None
            if runs:
                job_id = await defer_process_event(
                    resources.queue,
                    conn,
                    tenant_id=key.tenant_id,
                    event_id=event_id,
                    entity=body.entity,
                )
            await insert_event(
                conn,
                tenant_id=key.tenant_id,
                source=API_SOURCE,
                event=body,
                event_id=event_id,
                status=EventStatus.QUEUED if runs else EventStatus.IGNORED,
                job_id=job_id,
                requested_by=key.key_id,
            )
    except (psycopg.OperationalError, PoolTimeout) as exc:
        logger.warning("event not stored: %s", type(exc).__name__)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="event store unavailable; nothing was stored, retry later",
            headers={"Retry-After": "5"},
        ) from exc
    return EventAccepted(
        event_id=event_id, status=EventStatus.QUEUED if runs else EventStatus.IGNORED
    )


@router.get("", response_model=list[EventView])
async def read_events(
    key: ReaderKey,
    resources: ResourcesDep,
    status_filter: Annotated[EventStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[EventView]:
    """The tenant's latest events, optionally of one status (`?status=failed`: dead letters)."""
    events = await list_events(
        resources.pool, tenant_id=key.tenant_id, status=status_filter, limit=limit
    )
    return [EventView.of(event) for event in events]


class ReplayAccepted(BaseModel):
    event_id: uuid.UUID
    previous_status: EventStatus
    run: int


@router.post(
    "/{event_id}/replay",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(404, 409),
)
async def replay_one_event(
    event_id: uuid.UUID,
    key: AdminKey,
    resources: ResourcesDep,
    force: Annotated[bool, Query(description="Also replay an event that finished.")] = False,
) -> ReplayAccepted:
    """Queue an event again: a `failed` one resumes, a finished one needs `force=true`."""
    try:
        replayed = await replay_event(
            resources.pool,
            resources.queue,
            tenant_id=key.tenant_id,
            event_id=event_id,
            force=force,
        )
    except ReplayRefused as exc:
        code = 404 if isinstance(exc, EventNotFound) else status.HTTP_409_CONFLICT
        raise HTTPException(code, detail=str(exc)) from exc
    return ReplayAccepted(
        event_id=event_id, previous_status=replayed.previous_status, run=replayed.run
    )


@router.get("/{event_id}", response_model=EventView, responses=error_responses(404))
async def read_event(event_id: uuid.UUID, key: ReaderKey, resources: ResourcesDep) -> EventView:
    """An event's status and run timeline: supervisors, specialists, tool calls and results."""
    event = await get_event(resources.pool, tenant_id=key.tenant_id, event_id=event_id)
    if event is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no event {event_id}")
    return EventView.of(event)
