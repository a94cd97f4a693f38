"""Runs one inbox event through the master graph and records where it got to."""

from __future__ import annotations

import logging
import uuid
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from connectors.ingest import upsert_from_event
from graph.context import OpsContext
from graph.master import build_master_graph
from graph.models import build_planner
from graph.state import EventData
from runtime.events import (
    EventStatus,
    StoredEvent,
    mark_running,
    mark_stale,
    newer_processed_event,
    record_outcome,
)
from runtime.resources import Resources

logger = logging.getLogger(__name__)

MasterGraph = CompiledStateGraph[Any, Any, Any, Any]

# Each step's checkpoint is written before the next step starts. A model's tool call ids
# exist only in the checkpoint of the step that planned them; with asynchronous writes a
# crash could lose them, the model would plan again with new ids, and the ledger could not
# recognize the repeat.
DURABILITY: Literal["sync"] = "sync"


def compile_master_graph(resources: Resources) -> MasterGraph:
    """The hierarchy for the configured planner, checkpointed in Postgres."""
    settings = resources.settings
    planner = build_planner(
        settings.model,
        timeout_s=settings.model_timeout_s,
        max_retries=settings.model_max_retries,
    )
    return build_master_graph(planner=planner).compile(
        checkpointer=resources.checkpointer, store=resources.store
    )


def thread_config(event_id: uuid.UUID, run: int = 1) -> RunnableConfig:
    """Each event has its own thread; a forced replay (run 2, 3, ...) starts a fresh one."""
    thread = f"event:{event_id}" if run == 1 else f"event:{event_id}:run{run}"
    return {"configurable": {"thread_id": thread}}


def event_data(event: StoredEvent) -> EventData:
    if event.type is None or event.entity is None:
        raise ValueError(f"event {event.event_id} has no canonical type; it cannot run")
    return {
        "event_id": str(event.event_id),
        "tenant_id": event.tenant_id,
        "source": event.source,
        "type": event.type,
        "entity": event.entity,
        "payload": event.payload,
    }


class EventRunner:
    """What a worker needs to run events: the compiled graph and the pool."""

    def __init__(self, resources: Resources, graph: MasterGraph) -> None:
        self.resources = resources
        self.graph = graph
        self.context = OpsContext(pool=resources.pool)

    async def run(
        self, *, tenant_id: str, event_id: uuid.UUID, final_attempt: bool = True
    ) -> EventStatus | None:
        """Run (or resume) the event's thread; None when the event was already finished."""
        pool = self.resources.pool
        event = await mark_running(pool, tenant_id=tenant_id, event_id=event_id)
        if event is None:
            logger.info("event %s already finished; nothing to do", event_id)
            return None
        newer = await newer_processed_event(pool, event)
        if newer is not None:
            await mark_stale(pool, event, newer=newer)
            logger.info("event %s is stale: %s already processed a later state", event_id, newer)
            return EventStatus.STALE
        config = thread_config(event_id, event.run)
        try:
            values = await self._invoke(event, config)
        except Exception as exc:
            status = EventStatus.FAILED if final_attempt else EventStatus.QUEUED
            await record_outcome(
                pool,
                tenant_id=tenant_id,
                event_id=event_id,
                status=status,
                domains=[],
                timeline=[],
                error=f"{type(exc).__name__}: {exc}",
            )
            raise
        snapshot = await self.graph.aget_state(config)
        status = EventStatus.AWAITING_APPROVAL if snapshot.interrupts else EventStatus.DONE
        if not values.get("domains"):
            status = EventStatus.SKIPPED
        await record_outcome(
            pool,
            tenant_id=tenant_id,
            event_id=event_id,
            status=status,
            domains=list(values.get("domains", [])),
            timeline=list(values.get("outcomes", [])),
            summary=values.get("summary"),
        )
        logger.info("event %s %s: %s", event_id, status.value, values.get("summary", ""))
        return status

    async def _invoke(self, event: StoredEvent, config: RunnableConfig) -> dict[str, Any]:
        """Start the thread, resume it after a crash, or read it when it already finished."""
        snapshot = await self.graph.aget_state(config)
        if snapshot.next:
            result = await self.graph.ainvoke(
                None, config, context=self.context, durability=DURABILITY
            )
        elif snapshot.values.get("summary") is not None:
            return dict(snapshot.values)
        else:
            await self._mirror_into_store(event)
            result = await self.graph.ainvoke(
                {"event": event_data(event)}, config, context=self.context, durability=DURABILITY
            )
        return dict(result)

    async def _mirror_into_store(self, event: StoredEvent) -> None:
        if event.type is None:
            return
        async with self.resources.pool.connection() as conn, conn.transaction():
            await upsert_from_event(
                conn, tenant_id=event.tenant_id, event_type=event.type, payload=event.payload
            )
