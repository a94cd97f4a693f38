"""Helpers the graph tests share: events as the API would hand them to the master graph."""

from __future__ import annotations

import uuid
from typing import Any

from connectors.ingest import upsert_from_event
from graph.context import OpsContext
from graph.state import EventData
from hitl.policy import Policy
from runtime.database import Pool


def make_event(
    event_type: str, entity: str, payload: dict[str, Any], *, tenant_id: str = "default"
) -> EventData:
    """A canonical event with a fresh id."""
    return {
        "event_id": str(uuid.uuid4()),
        "tenant_id": tenant_id,
        "source": "test",
        "type": event_type,
        "entity": entity,
        "payload": payload,
    }


OPEN_POLICY = Policy(version="test-open", rules=[])
"""No rule fires: for tests of the hierarchy itself (the gate has its own tests)."""


def open_context(pool: Pool) -> OpsContext:
    """A run context whose tool calls need no approval."""
    return OpsContext(pool=pool, policy=OPEN_POLICY)


async def mirror_into_store(pool: Pool, event: EventData) -> None:
    """What the runner does before a run: the event's data mirrored into the store."""
    async with pool.connection() as conn:
        await upsert_from_event(
            conn, tenant_id=event["tenant_id"], event_type=event["type"], payload=event["payload"]
        )
