"""Resuming threads after decisions, and runs that end as they are taken.

A decision on a chat thread's approval, from any reviewer surface (the approvals API, the
inbox, the runs API, an expiry), queues that thread's resume through `queue_resume`; an
event thread's decision resumes the event's own job instead, and its run through the runs
API is recorded as it was taken (`record_run`).
"""

from __future__ import annotations

import uuid
from typing import Any

import procrastinate
from psycopg.types.json import Jsonb

from runtime.threads import (
    ALL_MODES,
    EVENTS_GRAPH,
    RUN_COLUMNS,
    Conn,
    NewRun,
    RunRow,
    ThreadRow,
    get_thread,
    is_event_thread,
    queue_run,
)


async def chat_thread_of(conn: Conn, *, tenant_id: str, thread_id: str) -> ThreadRow | None:
    """The chat thread an approval was raised in, if it was raised in one."""
    if is_event_thread(thread_id):
        return None
    return await get_thread(conn, tenant_id=tenant_id, thread_id=thread_id, lock=True)


async def queue_resume(
    queue: procrastinate.App, conn: Conn, *, tenant_id: str, thread_id: str
) -> RunRow | None:
    """Queue a chat thread's resume after a decision on one of its approvals (from any
    reviewer surface: the approvals API, the inbox, the runs API). It runs after whatever
    the thread is doing now and picks up every decision taken by then, so a resume still
    waiting to start serves later decisions too. It acts for whoever sent the paused turn:
    what the resumed run asks for, that key may not approve either."""
    thread = await chat_thread_of(conn, tenant_id=tenant_id, thread_id=thread_id)
    if thread is None:
        return None
    cursor = await conn.execute(
        f"""
        SELECT {RUN_COLUMNS} FROM runs
         WHERE thread_id = %s AND kind = 'resume' AND status = 'pending'
           AND NOT cancel_requested
         ORDER BY created_at DESC LIMIT 1
        """,
        (thread_id,),
    )
    waiting = await cursor.fetchone()
    if waiting is not None:
        return RunRow.model_validate(waiting)
    cursor = await conn.execute(
        "SELECT requested_by FROM runs WHERE thread_id = %s AND kind = 'input'"
        " ORDER BY created_at DESC LIMIT 1",
        (thread_id,),
    )
    sender = await cursor.fetchone()
    return await queue_run(
        queue,
        conn,
        thread,
        NewRun(
            assistant_id=thread.graph_id,
            kind="resume",
            stream_mode=ALL_MODES,
            multitask_strategy="enqueue",
            requested_by=sender["requested_by"] if sender else thread.created_by,
        ),
    )


async def latest_resume(conn: Conn, thread_id: str) -> RunRow | None:
    """The resume run a decision just queued (or found waiting) on the thread."""
    cursor = await conn.execute(
        f"""
        SELECT {RUN_COLUMNS} FROM runs WHERE thread_id = %s AND kind = 'resume'
         ORDER BY created_at DESC LIMIT 1
        """,
        (thread_id,),
    )
    row = await cursor.fetchone()
    return None if row is None else RunRow.model_validate(row)


async def ensure_event_thread(conn: Conn, *, tenant_id: str, thread_id: str) -> ThreadRow:
    """The row an event thread's runs hang on (its status is the event's, not this row's)."""
    await conn.execute(
        """
        INSERT INTO threads (thread_id, tenant_id, graph_id, metadata)
        VALUES (%s, %s, %s, jsonb_build_object('graph_id', 'events'))
        ON CONFLICT (thread_id) DO NOTHING
        """,
        (thread_id, tenant_id, EVENTS_GRAPH),
    )
    row = await get_thread(conn, tenant_id=tenant_id, thread_id=thread_id, lock=True)
    if row is None:
        raise ValueError(f"thread {thread_id} belongs to another tenant")
    return row


async def record_run(
    conn: Conn, thread: ThreadRow, run: NewRun, *, output: Any, events: list[tuple[str, str]]
) -> RunRow:
    """A run that finished as it was taken: a decision recorded for a thread that the event's
    own worker (or a second reviewer) will carry on. Its stream is `events` then `end`."""
    run_id = uuid.uuid4()
    cursor = await conn.execute(
        f"""
        INSERT INTO runs (run_id, thread_id, tenant_id, assistant_id, kind, status, resume,
                          metadata, multitask_strategy, requested_by, output)
        VALUES (%s, %s, %s, %s, %s, 'success', %s, %s, %s, %s, %s)
        RETURNING {RUN_COLUMNS}
        """,
        (
            run_id,
            thread.thread_id,
            thread.tenant_id,
            run.assistant_id,
            run.kind,
            Jsonb(run.resume),
            Jsonb(run.metadata or {}),
            run.multitask_strategy,
            run.requested_by,
            Jsonb(output),
        ),
    )
    row = await cursor.fetchone()
    assert row is not None
    for seq, (name, data) in enumerate([("metadata", "{}"), *events, ("end", "null")], 1):
        await conn.execute(
            "INSERT INTO run_events (run_id, seq, event, data) VALUES (%s, %s, %s, %s)",
            (run_id, seq, name, data),
        )
    return RunRow.model_validate(row)
