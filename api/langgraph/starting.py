"""Starting a run: which thread and assistant, may this key, and, for a resume, which
decisions it carries. A new run is recorded and its job deferred in one transaction holding
the thread's row lock; a second run on a busy thread, or a resume of an interrupt already
resumed, is refused with 409 unless `multitask_strategy` is `enqueue` (a decision is still
applied only once: it is an approval's vote, taken under that approval's row lock).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import HTTPException, Request

from api.approvals import tools_of
from api.langgraph.assistants import graph_of
from api.langgraph.graphs import Graphs, ThreadRef, find_thread, snapshot_of
from api.langgraph.resume import ResumeError, decision_of, match_values
from api.langgraph.shapes import RunCreate
from hitl.decide import decide
from hitl.decisions import DecisionError, Voter
from runtime.apikeys import ApiKey, Role
from runtime.resources import Resources
from runtime.run_events import dumps, output_of
from runtime.thread_resume import ensure_event_thread, latest_resume, record_run
from runtime.threads import (
    NewRun,
    RunRow,
    ThreadStatus,
    create_thread,
    get_run,
    get_thread,
    open_runs,
    queue_run,
    request_cancel,
)

WRITERS = (Role.OPERATOR, Role.ADMIN)
REVIEWERS = (Role.REVIEWER, Role.ADMIN)


async def thread_for_run(
    resources: Resources, key: ApiKey, thread_id: str, body: RunCreate
) -> ThreadRef:
    thread = await find_thread(resources.pool, key.tenant_id, thread_id)
    if thread is None and body.if_not_exists == "create":
        try:
            new_id = str(uuid.UUID(thread_id))
        except ValueError:
            raise HTTPException(404, detail=f"no thread {thread_id}") from None
        async with resources.pool.connection() as conn:
            await create_thread(
                conn, tenant_id=key.tenant_id, thread_id=new_id, metadata={}, created_by=key.key_id
            )
        thread = await find_thread(resources.pool, key.tenant_id, new_id)
    if thread is None:
        raise HTTPException(404, detail=f"no thread {thread_id}")
    graph_id = graph_of(body.assistant_id)
    if graph_id is None:
        raise HTTPException(404, detail=f"no assistant {body.assistant_id}; served: chat, events")
    if graph_id != thread.graph_id:
        raise HTTPException(
            409, detail=f"thread {thread_id} belongs to the {thread.graph_id} assistant"
        )
    if body.command is not None and (
        body.command.update is not None or body.command.goto is not None
    ):
        raise HTTPException(422, detail="only command.resume is served (no goto or update)")
    if body.command is None or body.command.resume is None:
        if thread.read_only:
            raise HTTPException(
                409, detail="event threads are read-only: resume their interrupts with a decision"
            )
        if not isinstance(body.input, dict) or not isinstance(body.input.get("messages"), list):
            raise HTTPException(422, detail="input needs 'messages': a list of messages")
    return thread


async def start_run(
    resources: Resources,
    graphs: Graphs,
    key: ApiKey,
    thread_id: str,
    body: RunCreate,
    request: Request,
    *,
    modes: tuple[str, ...],
) -> RunRow:
    """Record the run (and queue its job), or take the decisions a resume carries."""
    thread = await thread_for_run(resources, key, thread_id, body)
    if body.command is not None and body.command.resume is not None:
        return await resume_run(resources, graphs, key, thread, body, request, modes=modes)
    if key.role not in WRITERS:
        raise HTTPException(403, detail="sending messages needs an operator or admin key")
    async with resources.pool.connection() as conn, conn.transaction():
        row = await get_thread(conn, tenant_id=key.tenant_id, thread_id=thread.thread_id, lock=True)
        assert row is not None
        if row.status is ThreadStatus.INTERRUPTED:
            raise HTTPException(
                409, detail="the thread waits for a decision on its interrupt; resume it first"
            )
        if row.status is ThreadStatus.BUSY:
            if body.multitask_strategy == "reject":
                raise HTTPException(409, detail="the thread has a run pending or running")
            if body.multitask_strategy in ("interrupt", "rollback"):
                for run_id in await open_runs(conn, row.thread_id):
                    running = await get_run(conn, tenant_id=key.tenant_id, run_id=run_id)
                    if running is not None:
                        await request_cancel(conn, running)
        return await queue_run(
            resources.queue,
            conn,
            row,
            NewRun(
                assistant_id=body.assistant_id,
                kind="input",
                input=body.input,
                stream_mode=modes,
                stream_subgraphs=body.stream_subgraphs,
                metadata=body.metadata,
                multitask_strategy=body.multitask_strategy,
                requested_by=key.key_id,
            ),
        )


async def resume_run(
    resources: Resources,
    graphs: Graphs,
    key: ApiKey,
    thread: ThreadRef,
    body: RunCreate,
    request: Request,
    *,
    modes: tuple[str, ...],
) -> RunRow:
    """Each pending interrupt's value: an approval's goes through `hitl.decide` (reviewer
    role, requester cannot approve, four-eyes, audit, once); any other is handed to the
    run. A value already applied, or a thread already resumed, is refused with 409."""
    assert body.command is not None
    if thread.status is ThreadStatus.BUSY and body.multitask_strategy != "enqueue":
        raise HTTPException(409, detail="the thread is busy: a run or a resume is under way")
    snapshot = await snapshot_of(graphs, thread)
    pending = {item.id: item.value for item in snapshot.interrupts}
    try:
        values = match_values(body.command.resume, list(pending))
    except ResumeError as exc:
        raise HTTPException(exc.status, detail=str(exc)) from exc
    plain = {i: v for i, v in values.items() if not approval_of(pending[i])}
    gated = {i: v for i, v in values.items() if approval_of(pending[i])}
    if gated and key.role not in REVIEWERS:
        raise HTTPException(403, detail="deciding an approval needs a reviewer or admin key")
    if plain and (key.role not in WRITERS or thread.read_only):
        raise HTTPException(403, detail="this interrupt is answered by an operator or admin key")
    voter = Voter(key.key_id, key.name, request.client.host if request.client else None)
    final = True
    for interrupt_id, value in gated.items():
        try:
            approval, repeated = await decide(
                resources.pool,
                resources.queue,
                tenant_id=key.tenant_id,
                approval_id=approval_of(pending[interrupt_id]),
                decision=decision_of(value),
                voter=voter,
                check_edit=tools_of(request).check_edit,
            )
        except (DecisionError, ResumeError) as exc:
            raise HTTPException(exc.status, detail=str(exc)) from exc
        if repeated:
            raise HTTPException(409, detail="this decision was already taken; it is applied once")
        final = final and approval.status.value != "pending"
    new = NewRun(
        assistant_id=body.assistant_id,
        kind="resume",
        resume=plain or None,
        stream_mode=modes,
        stream_subgraphs=body.stream_subgraphs,
        metadata=body.metadata,
        multitask_strategy=body.multitask_strategy,
        requested_by=key.key_id,
    )
    async with resources.pool.connection() as conn, conn.transaction():
        row = (
            await ensure_event_thread(conn, tenant_id=key.tenant_id, thread_id=thread.thread_id)
            if thread.read_only
            else await get_thread(
                conn, tenant_id=key.tenant_id, thread_id=thread.thread_id, lock=True
            )
        )
        assert row is not None
        if thread.read_only or not final:
            values_now = output_of(await snapshot_of(graphs, thread))
            return await record_run(
                conn, row, new, output=values_now, events=[("values", dumps(values_now))]
            )
        if plain:
            return await queue_run(resources.queue, conn, row, new)
        queued = await latest_resume(conn, row.thread_id)
    if queued is None:
        raise HTTPException(409, detail="the decision was taken but no resume is queued")
    return queued


def approval_of(value: Any) -> str:
    return str(value.get("approval_id") or "") if isinstance(value, dict) else ""
