"""Helpers the graph tests share: events as the API would hand them to the master graph."""

from __future__ import annotations

import uuid
from typing import Any

from graph.state import EventData


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
