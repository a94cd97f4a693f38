"""Conversation threads and their runs: the rows behind the LangGraph threads/runs API.

A thread's status says whether it may take a new run: `busy` while a run is pending or
running, `interrupted` while it waits for a decision, else `idle` (or `error` after a failed
run). Runs are created and their jobs deferred in one transaction that holds the thread's
row lock, so two requests racing for one thread are told apart: the second sees `busy`.
The worker (`service.chat_runs`) claims a run, streams it into `run_events` and settles
the thread's status when it ends.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import procrastinate
from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from runtime.queue import EVENTS_QUEUE
from runtime.tracing import TRACE_CONTEXT_ARG, current_trace_context

Conn = AsyncConnection[DictRow]

RUN_THREAD = "run_thread"
CHAT_GRAPH = "chat"
EVENTS_GRAPH = "events"
EVENT_THREAD_PREFIX = "event:"


class ThreadStatus(StrEnum):
    IDLE = "idle"
    BUSY = "busy"
    INTERRUPTED = "interrupted"
    ERROR = "error"


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    ERROR = "error"
    SUCCESS = "success"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"


ALL_MODES = ("values", "updates", "messages-tuple", "custom")
"""What a run nobody asked to stream records (a rejoin picks the modes it wants)."""
OPEN_RUN = (RunStatus.PENDING.value, RunStatus.RUNNING.value)


class ThreadRow(BaseModel):
    thread_id: str
    tenant_id: str
    graph_id: str
    metadata: dict[str, Any]
    status: ThreadStatus
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class RunRow(BaseModel):
    run_id: uuid.UUID
    thread_id: str
    tenant_id: str
    assistant_id: str
    kind: str
    status: RunStatus
    input: Any
    resume: Any
    stream_mode: list[str]
    stream_subgraphs: bool
    metadata: dict[str, Any]
    multitask_strategy: str
    requested_by: uuid.UUID | None
    cancel_requested: bool
    output: Any
    error: str | None
    created_at: datetime
    updated_at: datetime


THREAD_COLUMNS = ", ".join(ThreadRow.model_fields)
RUN_COLUMNS = ", ".join(RunRow.model_fields)


class ThreadBusy(Exception):
    """The thread has a run pending or running, or waits for a decision."""


def is_event_thread(thread_id: str) -> bool:
    return thread_id.startswith(EVENT_THREAD_PREFIX)


async def create_thread(
    conn: Conn,
    *,
    tenant_id: str,
    thread_id: str,
    metadata: dict[str, Any],
    created_by: uuid.UUID | None,
) -> ThreadRow | None:
    """The new thread, or None when the id is taken."""
    cursor = await conn.execute(
        f"""
        INSERT INTO threads (thread_id, tenant_id, metadata, created_by)
        VALUES (%s, %s, %s, %s) ON CONFLICT (thread_id) DO NOTHING
        RETURNING {THREAD_COLUMNS}
        """,
        (thread_id, tenant_id, Jsonb(metadata), created_by),
    )
    row = await cursor.fetchone()
    return None if row is None else ThreadRow.model_validate(row)


async def get_thread(
    conn: Conn, *, tenant_id: str, thread_id: str, lock: bool = False
) -> ThreadRow | None:
    cursor = await conn.execute(
        f"SELECT {THREAD_COLUMNS} FROM threads WHERE tenant_id = %s AND thread_id = %s"
        + (" FOR UPDATE" if lock else ""),
        (tenant_id, thread_id),
    )
    row = await cursor.fetchone()
    return None if row is None else ThreadRow.model_validate(row)


async def delete_thread(conn: Conn, *, tenant_id: str, thread_id: str) -> bool:
    cursor = await conn.execute(
        "DELETE FROM threads WHERE tenant_id = %s AND thread_id = %s RETURNING thread_id",
        (tenant_id, thread_id),
    )
    return await cursor.fetchone() is not None


@dataclass(frozen=True)
class NewRun:
    """What a run is asked to do: new input, or a resume of the thread's interrupts."""

    assistant_id: str
    kind: str
    input: Any = None
    resume: Any = None
    stream_mode: tuple[str, ...] = ()
    stream_subgraphs: bool = False
    metadata: dict[str, Any] | None = None
    multitask_strategy: str = "reject"
    requested_by: uuid.UUID | None = None


async def open_runs(conn: Conn, thread_id: str) -> list[uuid.UUID]:
    cursor = await conn.execute(
        "SELECT run_id FROM runs WHERE thread_id = %s AND status = ANY(%s) ORDER BY created_at",
        (thread_id, list(OPEN_RUN)),
    )
    return [row["run_id"] for row in await cursor.fetchall()]


async def queue_run(
    queue: procrastinate.App,
    conn: Conn,
    thread: ThreadRow,
    run: NewRun,
) -> RunRow:
    """Insert the run, its first event (`metadata`) and its job on `conn`, inside the
    caller's transaction, which must hold the thread's row lock. Runs of one thread run one
    at a time, in order."""
    run_id = uuid.uuid4()
    cursor = await conn.execute(
        f"""
        WITH added AS (
            INSERT INTO runs (run_id, thread_id, tenant_id, assistant_id, kind, input, resume,
                              stream_mode, stream_subgraphs, metadata, multitask_strategy,
                              requested_by)
            VALUES (%(run)s, %(thread)s, %(tenant)s, %(assistant)s, %(kind)s, %(input)s,
                    %(resume)s, %(modes)s, %(subgraphs)s, %(metadata)s, %(strategy)s,
                    %(by)s)
            RETURNING *
        ), first AS (
            INSERT INTO run_events (run_id, seq, event, data)
            VALUES (%(run)s, 1, 'metadata', '{{}}')
        ), busy AS (
            UPDATE threads SET status = 'busy', updated_at = now(),
                   metadata = metadata || jsonb_build_object('graph_id', graph_id,
                                                             'assistant_id', graph_id)
             WHERE thread_id = %(thread)s
        )
        SELECT {RUN_COLUMNS} FROM added
        """,
        {
            "run": run_id,
            "thread": thread.thread_id,
            "tenant": thread.tenant_id,
            "assistant": run.assistant_id,
            "kind": run.kind,
            "input": Jsonb(run.input),
            "resume": Jsonb(run.resume),
            "modes": list(run.stream_mode),
            "subgraphs": run.stream_subgraphs,
            "metadata": Jsonb(run.metadata or {}),
            "strategy": run.multitask_strategy,
            "by": run.requested_by,
        },
    )
    row = await cursor.fetchone()
    assert row is not None
    task: Any = queue.configure_task(
        name=RUN_THREAD,
        queue=EVENTS_QUEUE,
        lock=f"thread/{thread.thread_id}",
        connection=conn,
    )
    traced = current_trace_context()  # the worker's run continues the request's trace
    extra = {TRACE_CONTEXT_ARG: traced} if traced else {}
    await task.defer_async(tenant_id=thread.tenant_id, run_id=str(run_id), **extra)
    return RunRow.model_validate(row)


async def get_run(conn: Conn, *, tenant_id: str, run_id: uuid.UUID) -> RunRow | None:
    cursor = await conn.execute(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE tenant_id = %s AND run_id = %s",
        (tenant_id, run_id),
    )
    row = await cursor.fetchone()
    return None if row is None else RunRow.model_validate(row)


async def claim_run(conn: Conn, run_id: uuid.UUID) -> tuple[RunRow, int] | None:
    """Mark a pending run running, with the number its next event takes; None when it was
    cancelled or already ran. A run left `running` is claimed again: its job runs again
    only when its worker died (the queue's recovery), and a run's jobs never overlap (one
    job per run, locked per thread)."""
    cursor = await conn.execute(
        f"""
        UPDATE runs SET status = 'running', updated_at = now()
         WHERE run_id = %s AND status IN ('pending', 'running') AND NOT cancel_requested
        RETURNING {RUN_COLUMNS},
                  (SELECT coalesce(max(seq), 0) + 1 FROM run_events e
                    WHERE e.run_id = runs.run_id) AS next_seq
        """,
        (run_id,),
    )
    row = await cursor.fetchone()
    return None if row is None else (RunRow.model_validate(row), int(row["next_seq"]))


async def cancel_requested(conn: Conn, run_id: uuid.UUID) -> bool:
    cursor = await conn.execute("SELECT cancel_requested FROM runs WHERE run_id = %s", (run_id,))
    row = await cursor.fetchone()
    return bool(row and row["cancel_requested"])


async def close_run(
    conn: Conn,
    run: RunRow,
    *,
    status: RunStatus,
    output: Any,
    error: str | None,
    interrupted: bool,
    last_event: tuple[int, str, str],
) -> None:
    """In one statement: the run's outcome (policy claims of the reply without a valid
    citation go to its metadata), the thread's status (`busy` while more runs wait, else
    where this one left it), the run's last event (`end` or `error`) and its notice."""
    thread_status = ThreadStatus.ERROR if status is RunStatus.ERROR else ThreadStatus.IDLE
    if interrupted:
        thread_status = ThreadStatus.INTERRUPTED
    uncited = output.get("uncited") if isinstance(output, dict) else None
    seq, name, data = last_event
    await conn.execute(
        """
        WITH finished AS (
            UPDATE runs SET status = %(status)s, output = %(output)s, error = %(error)s,
                   metadata = metadata || %(flags)s, updated_at = now()
             WHERE run_id = %(run)s
            RETURNING thread_id
        ), settled AS (
            UPDATE threads t
               SET status = CASE WHEN EXISTS (
                       SELECT 1 FROM runs r WHERE r.thread_id = t.thread_id
                          AND r.status = ANY(%(open)s) AND r.run_id <> %(run)s)
                   THEN 'busy' ELSE %(thread_status)s END,
                   updated_at = now()
              FROM finished f WHERE t.thread_id = f.thread_id
        ), added AS (
            INSERT INTO run_events (run_id, seq, event, data)
            VALUES (%(run)s, %(seq)s, %(name)s, %(data)s)
        )
        SELECT pg_notify(%(channel)s, %(run)s::text)
        """,
        {
            "status": status.value,
            "output": Jsonb(output),
            "error": error,
            "flags": Jsonb({"uncited_claims": uncited} if uncited else {}),
            "run": run.run_id,
            "open": list(OPEN_RUN),
            "thread_status": thread_status.value,
            "seq": seq,
            "name": name,
            "data": data,
            "channel": "run_events",
        },
    )


async def settle_thread(conn: Conn, thread_id: str, *, interrupted: bool, failed: bool) -> None:
    """After a cancelled run: `busy` while more runs wait, else where this one left it."""
    status = ThreadStatus.ERROR if failed else ThreadStatus.IDLE
    if interrupted:
        status = ThreadStatus.INTERRUPTED
    await conn.execute(
        """
        UPDATE threads
           SET status = CASE WHEN EXISTS (SELECT 1 FROM runs WHERE thread_id = %s
                                            AND status = ANY(%s)) THEN 'busy' ELSE %s END,
               updated_at = now()
         WHERE thread_id = %s
        """,
        (thread_id, list(OPEN_RUN), status.value, thread_id),
    )


async def request_cancel(conn: Conn, run: RunRow) -> RunRow:
    """A pending run ends at once (`interrupted`, its stream ended); a running one is
    stopped by its worker at its next check. A finished run is left as it is."""
    async with conn.transaction():
        cursor = await conn.execute(
            """
            UPDATE runs SET status = 'interrupted', cancel_requested = true,
                   error = 'cancelled', updated_at = now()
             WHERE run_id = %s AND status = 'pending'
            RETURNING run_id
            """,
            (run.run_id,),
        )
        if await cursor.fetchone() is not None:
            await conn.execute(
                """
                INSERT INTO run_events (run_id, seq, event, data)
                SELECT %(run)s, coalesce(max(seq), 0) + 1, 'end', 'null'
                  FROM run_events WHERE run_id = %(run)s
                """,
                {"run": run.run_id},
            )
            await conn.execute("SELECT pg_notify('run_events', %s)", (str(run.run_id),))
            await settle_thread(conn, run.thread_id, interrupted=False, failed=False)
        else:
            await conn.execute(
                "UPDATE runs SET cancel_requested = true, updated_at = now()"
                " WHERE run_id = %s AND status = 'running'",
                (run.run_id,),
            )
    found = await get_run(conn, tenant_id=run.tenant_id, run_id=run.run_id)
    assert found is not None
    return found


async def abandon_run(conn: Conn, run_id: uuid.UUID, reason: str) -> bool:
    """A run whose job was failed because its workers kept dying ends `error` with that
    reason (its stream too), instead of keeping its thread `busy` forever."""
    cursor = await conn.execute(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE run_id = %s AND status = ANY(%s)",
        (run_id, list(OPEN_RUN)),
    )
    row = await cursor.fetchone()
    if row is None:
        return False
    cursor = await conn.execute(
        "SELECT coalesce(max(seq), 0) + 1 AS n FROM run_events WHERE run_id = %s", (run_id,)
    )
    seq = await cursor.fetchone()
    await close_run(
        conn,
        RunRow.model_validate(row),
        status=RunStatus.ERROR,
        output=None,
        error=reason,
        interrupted=False,
        last_event=(
            int(seq["n"]) if seq else 1,
            "error",
            json.dumps({"error": "WorkerLost", "message": reason}),
        ),
    )
    return True
