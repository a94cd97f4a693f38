"""Threads: create, read, delete, search (chat and event threads), state and history."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Response, status
from psycopg.types.json import Jsonb

from api.deps import OperatorKey, ReaderKey, ResourcesDep
from api.errors import error_responses
from api.langgraph.graphs import (
    CHAT_THREADS,
    EVENT_THREADS,
    Graphs,
    ThreadRef,
    get_graphs,
    require_thread,
    snapshot_of,
    state_view,
)
from api.langgraph.shapes import (
    HistoryQuery,
    InterruptView,
    Thread,
    ThreadCreate,
    ThreadSearch,
    ThreadState,
)
from api.limits import JsonBody
from runtime.run_events import to_json
from runtime.threads import ThreadStatus, create_thread, delete_thread, get_thread, open_runs

router = APIRouter(prefix="/threads", tags=["langgraph"])

GraphsDep = Annotated[Graphs, Depends(get_graphs)]


async def thread_view(graphs: Graphs, thread: ThreadRef, *, with_values: bool = True) -> Thread:
    """The thread with its current values and interrupts (by task id), from its checkpoint."""
    values: dict[str, Any] = {}
    interrupts: dict[str, list[InterruptView]] = {}
    if with_values:
        snapshot = await snapshot_of(graphs, thread)
        values = to_json(snapshot.values) if isinstance(snapshot.values, dict) else {}
        for task in snapshot.tasks:
            if task.interrupts:
                interrupts[task.id] = [
                    InterruptView(value=to_json(i.value), id=i.id) for i in task.interrupts
                ]
    return Thread(
        thread_id=thread.thread_id,
        created_at=thread.created_at,
        updated_at=thread.updated_at,
        metadata=thread.metadata,
        status=thread.status,
        values=values,
        interrupts=interrupts,
    )


@router.post("", response_model=Thread, responses=error_responses(409))
async def create_one_thread(
    key: OperatorKey,
    body: Annotated[ThreadCreate, Depends(JsonBody(ThreadCreate))],
    resources: ResourcesDep,
) -> Thread:
    """A new chat thread (`if_exists: do_nothing` returns the tenant's existing one)."""
    thread_id = str(body.thread_id or uuid.uuid4())
    async with resources.pool.connection() as conn:
        row = await create_thread(
            conn,
            tenant_id=key.tenant_id,
            thread_id=thread_id,
            metadata=body.metadata or {},
            created_by=key.key_id,
        )
        if row is None:
            row = await get_thread(conn, tenant_id=key.tenant_id, thread_id=thread_id)
            if row is None or body.if_exists == "raise":
                raise HTTPException(status.HTTP_409_CONFLICT, detail=f"thread {thread_id} exists")
    return Thread(
        thread_id=row.thread_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        metadata=row.metadata,
        status=row.status,
    )


@router.post("/search", response_model=list[Thread])
async def search_threads(
    key: ReaderKey,
    body: Annotated[ThreadSearch, Depends(JsonBody(ThreadSearch))],
    resources: ResourcesDep,
    graphs: GraphsDep,
) -> list[Thread]:
    """The tenant's chat and event threads, by metadata (containment), status (`interrupted`
    finds those waiting for a decision) and ids; newest first unless sorted otherwise."""
    order = f"{body.sort_by} {body.sort_order.upper()}, thread_id"
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            f"""
            SELECT * FROM ({CHAT_THREADS} UNION ALL {EVENT_THREADS}) t
             WHERE t.metadata @> %(metadata)s
               AND (%(status)s::text IS NULL OR t.status = %(status)s)
               AND (%(ids)s::text[] IS NULL OR t.thread_id = ANY(%(ids)s))
             ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s
            """,
            {
                "tenant": key.tenant_id,
                "metadata": Jsonb(body.metadata or {}),
                "status": body.status.value if body.status else None,
                "ids": body.ids,
                "limit": body.limit,
                "offset": body.offset,
            },
        )
        rows = await cursor.fetchall()
    found = [ThreadRef(**{**row, "status": ThreadStatus(row["status"])}) for row in rows]
    views = [await thread_view(graphs, thread) for thread in found]
    if body.values:
        views = [v for v in views if all(v.values.get(k) == x for k, x in body.values.items())]
    return views


@router.get("/{thread_id}", response_model=Thread, responses=error_responses(404))
async def read_thread(
    thread_id: str, key: ReaderKey, resources: ResourcesDep, graphs: GraphsDep
) -> Thread:
    """One thread, chat or event (`event:<event id>`), with its values and interrupts."""
    return await thread_view(graphs, await require_thread(resources.pool, key.tenant_id, thread_id))


@router.delete(
    "/{thread_id}", status_code=204, response_class=Response, responses=error_responses(404, 409)
)
async def delete_one_thread(thread_id: str, key: OperatorKey, resources: ResourcesDep) -> Response:
    """Delete a chat thread, its runs and its checkpoints; not while a run is open, and
    never an event thread (it belongs to its event)."""
    thread = await require_thread(resources.pool, key.tenant_id, thread_id)
    if thread.read_only:
        raise HTTPException(409, detail="event threads are read-only; they belong to their event")
    async with resources.pool.connection() as conn, conn.transaction():
        await get_thread(conn, tenant_id=key.tenant_id, thread_id=thread_id, lock=True)
        if await open_runs(conn, thread_id):
            raise HTTPException(409, detail="the thread has a run pending or running; cancel it")
        await delete_thread(conn, tenant_id=key.tenant_id, thread_id=thread_id)
    await resources.checkpointer.adelete_thread(thread_id)
    return Response(status_code=204)


@router.get("/{thread_id}/state", response_model=ThreadState, responses=error_responses(404))
async def read_state(
    thread_id: str, key: ReaderKey, resources: ResourcesDep, graphs: GraphsDep
) -> ThreadState:
    """The thread's latest checkpoint: values, next nodes, tasks and their interrupts."""
    thread = await require_thread(resources.pool, key.tenant_id, thread_id)
    return state_view(await snapshot_of(graphs, thread))


@router.post(
    "/{thread_id}/history", response_model=list[ThreadState], responses=error_responses(404)
)
async def read_history(
    thread_id: str,
    key: ReaderKey,
    body: Annotated[HistoryQuery, Depends(JsonBody(HistoryQuery))],
    resources: ResourcesDep,
    graphs: GraphsDep,
) -> list[ThreadState]:
    """The thread's checkpoints, newest first."""
    thread = await require_thread(resources.pool, key.tenant_id, thread_id)
    before: Any = None
    if body.before is not None:
        checkpoint_id = body.before if isinstance(body.before, str) else body.before.checkpoint_id
        before = {"configurable": {"thread_id": thread_id, "checkpoint_id": checkpoint_id}}
    graph = graphs.of(thread.graph_id)
    return [
        state_view(snapshot)
        async for snapshot in graph.aget_state_history(
            thread.config, limit=body.limit, before=before, filter=body.metadata
        )
    ]
