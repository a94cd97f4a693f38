"""Which threads a key may see, and their state as LangGraph's server shows it.

Chat threads live in `threads`; event threads (`event:<id>`, `event:<id>:run<n>` for a
forced replay) are the events' own checkpointed runs, read-only. The API compiles the graphs
only to read checkpoints (`aget_state`); runs execute on the workers.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import HTTPException, Request
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from api.langgraph.shapes import CheckpointRef, InterruptView, ThreadState, ThreadTask
from graph.chat.graph import build_chat_graph
from graph.master import build_master_graph
from graph.models import build_planner
from runtime.database import Pool
from runtime.resources import Resources
from runtime.run_events import to_json
from runtime.threads import CHAT_GRAPH, EVENTS_GRAPH, ThreadStatus, get_thread

Graph = CompiledStateGraph[Any, Any, Any, Any]
EVENT_THREAD = re.compile(r"^event:(?P<event_id>[0-9a-f-]{36})(?::run(?P<run>\d{1,6}))?$")

EVENT_STATUS = """CASE e.status WHEN 'awaiting_approval' THEN 'interrupted'
                  WHEN 'running' THEN 'busy' WHEN 'queued' THEN 'busy' WHEN 'received' THEN 'busy'
                  WHEN 'failed' THEN 'error' ELSE 'idle' END"""
EVENT_THREADS = f"""
SELECT 'event:' || e.event_id::text || CASE WHEN e.run > 1 THEN ':run' || e.run ELSE '' END
         AS thread_id,
       'events' AS graph_id,
       jsonb_build_object('graph_id', 'events', 'assistant_id', 'events',
                          'event_id', e.event_id::text, 'event_type', e.type,
                          'entity', e.entity, 'source', e.source) AS metadata,
       {EVENT_STATUS} AS status,
       e.received_at AS created_at,
       coalesce(e.finished_at, e.started_at, e.received_at) AS updated_at
  FROM events e WHERE e.tenant_id = %(tenant)s AND e.type IS NOT NULL
"""
CHAT_THREADS = """
SELECT thread_id, graph_id, metadata, status, created_at, updated_at
  FROM threads WHERE tenant_id = %(tenant)s AND graph_id = 'chat'
"""


@dataclass(frozen=True)
class ThreadRef:
    thread_id: str
    graph_id: str
    metadata: dict[str, Any]
    status: ThreadStatus
    created_at: datetime
    updated_at: datetime

    @property
    def config(self) -> RunnableConfig:
        return {"configurable": {"thread_id": self.thread_id}}

    @property
    def read_only(self) -> bool:
        return self.graph_id == EVENTS_GRAPH


class Graphs:
    """The compiled graphs, for reading checkpoints; compiled on first use."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self._compiled: dict[str, Graph] = {}

    def of(self, graph_id: str) -> Graph:
        if graph_id not in self._compiled:
            settings = self.resources.settings
            planner = build_planner(settings.model)
            saver, store = self.resources.checkpointer, self.resources.store
            if graph_id == CHAT_GRAPH:
                chat = build_chat_graph(planner=planner)
                self._compiled[graph_id] = chat.compile(checkpointer=saver, store=store)
            else:
                master = build_master_graph(planner=planner)
                self._compiled[graph_id] = master.compile(checkpointer=saver, store=store)
        return self._compiled[graph_id]


async def get_graphs(request: Request) -> Graphs:
    graphs: Graphs | None = getattr(request.app.state, "langgraph_graphs", None)
    if graphs is None:
        graphs = Graphs(request.app.state.resources)
        request.app.state.langgraph_graphs = graphs
    return graphs


async def find_thread(pool: Pool, tenant_id: str, thread_id: str) -> ThreadRef | None:
    """The tenant's thread `thread_id`, chat or event; None when it has none by that id."""
    event = EVENT_THREAD.match(thread_id)
    async with pool.connection() as conn:
        if event is None:
            row = await get_thread(conn, tenant_id=tenant_id, thread_id=thread_id)
            if row is None:
                return None
            return ThreadRef(
                row.thread_id,
                row.graph_id,
                row.metadata,
                row.status,
                row.created_at,
                row.updated_at,
            )
        cursor = await conn.execute(
            f"SELECT * FROM ({EVENT_THREADS} AND e.event_id = %(event)s) t"
            " WHERE t.thread_id = %(thread)s",
            {"tenant": tenant_id, "event": uuid.UUID(event["event_id"]), "thread": thread_id},
        )
        found = await cursor.fetchone()
    if found is None:
        return None
    return ThreadRef(**{**found, "status": ThreadStatus(found["status"])})


async def require_thread(pool: Pool, tenant_id: str, thread_id: str) -> ThreadRef:
    thread = await find_thread(pool, tenant_id, thread_id)
    if thread is None:
        raise HTTPException(404, detail=f"no thread {thread_id}")
    return thread


def interrupt_views(interrupts: Any) -> list[InterruptView]:
    return [InterruptView(value=to_json(i.value), id=i.id) for i in interrupts]


def checkpoint_ref(config: Any) -> CheckpointRef | None:
    if not config:
        return None
    configurable = config.get("configurable", {})
    return CheckpointRef(
        thread_id=str(configurable.get("thread_id", "")),
        checkpoint_ns=str(configurable.get("checkpoint_ns", "")),
        checkpoint_id=configurable.get("checkpoint_id"),
    )


def state_view(snapshot: Any) -> ThreadState:
    """A `StateSnapshot` in the server's `ThreadState` shape."""
    return ThreadState(
        values=to_json(snapshot.values) if isinstance(snapshot.values, dict) else {},
        next=list(snapshot.next),
        checkpoint=checkpoint_ref(snapshot.config),
        metadata=to_json(snapshot.metadata or {}),
        created_at=snapshot.created_at,
        parent_checkpoint=checkpoint_ref(snapshot.parent_config),
        tasks=[
            ThreadTask(
                id=task.id,
                name=task.name,
                error=None if task.error is None else repr(task.error),
                interrupts=interrupt_views(task.interrupts),
                result=to_json(task.result) if task.result is not None else None,
            )
            for task in snapshot.tasks
        ],
        interrupts=interrupt_views(snapshot.interrupts),
    )


async def snapshot_of(graphs: Graphs, thread: ThreadRef) -> Any:
    return await graphs.of(thread.graph_id).aget_state(thread.config)
