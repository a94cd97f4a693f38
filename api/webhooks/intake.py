"""Storing a verified delivery in the inbox (with its job, atomically) and answering."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import psycopg
from fastapi import status
from fastapi.responses import JSONResponse
from procrastinate.exceptions import ConnectorException
from psycopg_pool import PoolTimeout

from api.webhooks.config import WebhookConfig
from api.webhooks.normalize import REGISTRY_VERSION, Normalized
from runtime.bounds import check_event
from runtime.events import Delivery, EventStatus, find_delivery, insert_delivery, redact_headers
from runtime.queue import defer_process_event
from runtime.resources import Resources

logger = logging.getLogger(__name__)

STORE_TIMEOUT_S = 2.0
STORE_FAILURES = (psycopg.Error, PoolTimeout, ConnectorException)

Normalizer = Callable[[Any], Normalized]


def answer(code: int, event_id: uuid.UUID, event_status: EventStatus) -> JSONResponse:
    return JSONResponse({"event_id": str(event_id), "status": event_status.value}, status_code=code)


def unavailable() -> JSONResponse:
    return JSONResponse(
        {"detail": "event store unavailable; nothing was stored, retry later"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "10"},
    )


async def ingest(
    resources: Resources,
    config: WebhookConfig,
    *,
    source: str,
    raw: bytes,
    headers: Mapping[str, str],
    normalize: Normalizer,
) -> JSONResponse:
    """Parse, normalize and store a verified delivery; answer as the sender expects.

    202 new and queued, 200 duplicate or ignored, 400 malformed (stored as rejected),
    503 when nothing could be stored.
    """
    stored_headers = redact_headers(headers)
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return await reject(
            resources, config, source, raw, stored_headers, "body is not valid JSON"
        )
    try:
        normalized = normalize(document)
        check_event(normalized.entity, normalized.payload, normalized.occurred_at)
    except (ValueError, TypeError, ArithmeticError, RecursionError) as exc:
        # MalformedPayload, OutOfBounds, and values no sane sender sends (1e20 timestamps...)
        return await reject(resources, config, source, raw, stored_headers, str(exc))
    delivery = Delivery(
        tenant_id=config.tenant_id,
        source=source,
        source_event=normalized.source_event,
        type=normalized.type,
        entity=normalized.entity,
        payload=normalized.payload,
        raw_body=raw,
        headers=stored_headers,
        dedupe_key=normalized.dedupe_key,
        status=EventStatus.RECEIVED if normalized.type else EventStatus.IGNORED,
        status_reason=None if normalized.type else "no canonical type for this event",
        occurred_at=normalized.occurred_at,
        registry_version=REGISTRY_VERSION,
    )
    try:
        outcome = await store(resources, delivery, defer=normalized.type is not None)
    except Unstorable as exc:
        return await reject(resources, config, source, raw, stored_headers, str(exc))
    if outcome is None:
        return unavailable()
    event_id, inserted = outcome
    if not inserted:
        return JSONResponse({"event_id": str(event_id), "duplicate": True}, status_code=200)
    if normalized.type is None:
        return answer(status.HTTP_200_OK, event_id, EventStatus.IGNORED)
    return answer(status.HTTP_202_ACCEPTED, event_id, EventStatus.QUEUED)


async def reject(
    resources: Resources,
    config: WebhookConfig,
    source: str,
    raw: bytes,
    headers: dict[str, str],
    reason: str,
) -> JSONResponse:
    """Keep an authentic but unusable delivery as `rejected`, and answer 400."""
    rejected = Delivery(
        tenant_id=config.tenant_id,
        source=source,
        source_event=None,
        type=None,
        entity=None,
        payload={},
        raw_body=raw,
        headers=headers,
        dedupe_key=f"rejected:{hashlib.sha256(raw).hexdigest()}",
        status=EventStatus.REJECTED,
        status_reason=reason,
    )
    outcome = await store(resources, rejected, defer=False)
    if outcome is None:
        return unavailable()
    return JSONResponse(
        {"detail": f"malformed payload: {reason}", "event_id": str(outcome[0])},
        status_code=status.HTTP_400_BAD_REQUEST,
    )


class Unstorable(Exception):
    """PostgreSQL refuses the payload's content itself (a NUL character in JSON text):
    retrying cannot help, so the delivery is kept as rejected instead of answered 503."""


class DuplicateDelivery(Exception):
    """Another request stored the same delivery first; roll back our job with our row."""


async def store(
    resources: Resources, delivery: Delivery, *, defer: bool
) -> tuple[uuid.UUID, bool] | None:
    """Store the delivery once: (event id, True) when new, (first event id, False) when not.

    A retry is recognized with one read. A new delivery defers its job and inserts its row
    in one transaction, so no accepted event is ever without its job; losing the insert
    race to a concurrent copy rolls the job back.
    """
    key = {
        "tenant_id": delivery.tenant_id,
        "source": delivery.source,
        "dedupe_key": delivery.dedupe_key,
    }
    try:
        async with resources.pool.connection(timeout=STORE_TIMEOUT_S) as conn:
            existing = await find_delivery(conn, **key)
            if existing is not None:
                return existing, False
            event_id = uuid.uuid4()
            try:
                async with conn.transaction():
                    job_id = None
                    if defer and delivery.entity is not None:
                        job_id = await defer_process_event(
                            resources.queue,
                            conn,
                            tenant_id=delivery.tenant_id,
                            event_id=event_id,
                            entity=delivery.entity,
                        )
                    if not await insert_delivery(conn, delivery, event_id=event_id, job_id=job_id):
                        raise DuplicateDelivery
            except DuplicateDelivery:
                first = await find_delivery(conn, **key)
                if first is None:
                    raise RuntimeError("dedupe conflict without a stored event") from None
                return first, False
    except psycopg.DataError as exc:
        raise Unstorable(f"payload cannot be stored: {type(exc).__name__}") from exc
    except STORE_FAILURES as exc:
        logger.warning("%s delivery not stored: %s", delivery.source, type(exc).__name__)
        return None
    return event_id, True
