"""Runs on a thread: background, wait, stream (SSE), read, cancel, rejoin.

A worker executes each run (`api.langgraph.starting` records it and queues its job) and
writes its stream to `run_events`, which these routes relay as server-sent events.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from api.deps import ReaderKey, ResourcesDep
from api.errors import error_responses
from api.langgraph.graphs import Graphs, find_thread, get_graphs
from api.langgraph.shapes import Run, RunCreate, StreamModeName
from api.langgraph.starting import WRITERS, start_run
from api.limits import JsonBody
from runtime.apikeys import ApiKey
from runtime.resources import Resources
from runtime.run_events import FINAL_EVENTS, RunEventHub, dumps, tail
from runtime.threads import (
    RunRow,
    get_run,
    request_cancel,
)

router = APIRouter(prefix="/threads/{thread_id}/runs", tags=["langgraph"])

GraphsDep = Annotated[Graphs, Depends(get_graphs)]
RunBody = Annotated[RunCreate, Depends(JsonBody(RunCreate))]
SSE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-sent events: metadata, then the run's stream, then end or error",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


def hub_of(request: Request) -> RunEventHub | None:
    return getattr(request.app.state, "run_hub", None)


def run_location(run: RunRow) -> str:
    return f"/threads/{run.thread_id}/runs/{run.run_id}"


def sse(seq: int, name: str, data: str, run: RunRow) -> bytes:
    if name == "metadata":
        data = dumps({"run_id": str(run.run_id), "attempt": 1})
    return f"event: {name}\ndata: {data}\nid: {seq}\n\n".encode()


async def relay(
    resources: Resources,
    hub: RunEventHub | None,
    run: RunRow,
    *,
    after: int = 0,
    modes: set[str] | None = None,
    cancel_on_disconnect: bool = False,
) -> AsyncIterator[bytes]:
    """The run's events as SSE, from number `after` on, through `end` or `error`. Every run's
    first event is its `metadata` (number 1), sent without waiting for a read."""
    ended = False
    if after < 1:
        yield sse(1, "metadata", "{}", run)
        after = 1
    try:
        async for seq, name, data in tail(resources.pool, hub, run.run_id, after):
            ended = name in FINAL_EVENTS
            if modes and name.split("|")[0] not in modes | {"metadata", "end", "error"}:
                continue
            yield sse(seq, name, data, run)
    finally:
        if cancel_on_disconnect and not ended:
            async with resources.pool.connection() as conn:
                found = await get_run(conn, tenant_id=run.tenant_id, run_id=run.run_id)
                if found is not None:
                    await request_cancel(conn, found)


def event_modes(modes: tuple[str, ...]) -> set[str]:
    return {"messages" if mode == "messages-tuple" else mode for mode in modes}


def stream_response(run: RunRow, body: AsyncIterator[bytes]) -> StreamingResponse:
    location = run_location(run)
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={
            "Content-Location": location,
            "Location": f"{location}/stream",
            "Cache-Control": "no-store",
        },
    )


async def wait_output(resources: Resources, hub: RunEventHub | None, run: RunRow) -> JSONResponse:
    """The thread's values once the run ends (`__error__` when it failed)."""
    async for _seq, name, data in tail(resources.pool, hub, run.run_id):
        if name == "error":
            return JSONResponse(
                {"__error__": json.loads(data)},
                headers={"Content-Location": run_location(run)},
            )
    async with resources.pool.connection() as conn:
        done = await get_run(conn, tenant_id=run.tenant_id, run_id=run.run_id)
    output = done.output if done is not None and done.output is not None else {}
    return JSONResponse(output, headers={"Content-Location": run_location(run)})


def starting(*, streamed: bool) -> Callable[..., Awaitable[RunRow]]:
    """A dependency starting the run a request asks for, before its route answers.

    `streamed`: the run records the stream modes the body asks for (`values` by default);
    a wait records none, as it answers with the thread's values only."""

    async def start(
        thread_id: str,
        key: ReaderKey,
        body: RunBody,
        resources: ResourcesDep,
        graphs: GraphsDep,
        request: Request,
    ) -> RunRow:
        modes = body.modes(("values",)) if streamed else ()
        return await start_run(resources, graphs, key, thread_id, body, request, modes=modes)

    return start


StreamedRun = Annotated[RunRow, Depends(starting(streamed=True))]
WaitedRun = Annotated[RunRow, Depends(starting(streamed=False))]


@router.post("", response_model=Run, responses=error_responses(403, 404, 409))
async def create_run(run: StreamedRun, response: Response) -> Run:
    """A background run: answered once it is queued; read it, join it or stream it."""
    response.headers["Content-Location"] = run_location(run)
    return Run.of(run)


@router.post(
    "/wait",
    response_model=dict[str, Any],
    responses={**error_responses(403, 404, 409), 200: {"description": "The thread's values"}},
)
async def create_run_wait(
    run: WaitedRun, resources: ResourcesDep, request: Request
) -> JSONResponse:
    """Run and answer with the thread's values when it ends (`__interrupt__` when paused)."""
    return await wait_output(resources, hub_of(request), run)


@router.post(
    "/stream",
    response_class=StreamingResponse,
    responses={**SSE_RESPONSE, **error_responses(403, 404, 409)},
)
async def create_run_stream(
    run: StreamedRun, body: RunBody, resources: ResourcesDep, request: Request
) -> StreamingResponse:
    """Run and stream it as server-sent events (`Content-Location` names the run)."""
    events = relay(
        resources,
        hub_of(request),
        run,
        modes=event_modes(body.modes(("values",))),
        cancel_on_disconnect=body.on_disconnect == "cancel",
    )
    return stream_response(run, events)


async def require_run(
    resources: Resources, key: ApiKey, thread_id: str, run_id: uuid.UUID
) -> RunRow:
    async with resources.pool.connection() as conn:
        run = await get_run(conn, tenant_id=key.tenant_id, run_id=run_id)
    if run is None or run.thread_id != thread_id:
        raise HTTPException(404, detail=f"no run {run_id} on thread {thread_id}")
    return run


@router.get("", response_model=list[Run], responses=error_responses(404))
async def list_runs(
    thread_id: str,
    key: ReaderKey,
    resources: ResourcesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[Run]:
    """The thread's runs, newest first."""
    if await find_thread(resources.pool, key.tenant_id, thread_id) is None:
        raise HTTPException(404, detail=f"no thread {thread_id}")
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT run_id FROM runs WHERE tenant_id = %s AND thread_id = %s"
            " ORDER BY created_at DESC LIMIT %s OFFSET %s",
            (key.tenant_id, thread_id, limit, offset),
        )
        ids = [row["run_id"] for row in await cursor.fetchall()]
        found = [await get_run(conn, tenant_id=key.tenant_id, run_id=i) for i in ids]
    return [Run.of(run) for run in found if run is not None]


@router.get("/{run_id}", response_model=Run, responses=error_responses(404))
async def read_run(
    thread_id: str, run_id: uuid.UUID, key: ReaderKey, resources: ResourcesDep
) -> Run:
    """One run and its status."""
    return Run.of(await require_run(resources, key, thread_id, run_id))


@router.post("/{run_id}/cancel", response_model=Run, responses=error_responses(403, 404))
async def cancel_run(
    thread_id: str,
    run_id: uuid.UUID,
    key: ReaderKey,
    resources: ResourcesDep,
    request: Request,
    wait: Annotated[bool, Query()] = False,
    action: Annotated[str, Query(pattern="^(interrupt|rollback)$")] = "interrupt",  # noqa: ARG001
) -> Run:
    """Cancel a run: a pending one at once, a running one at its next step."""
    if key.role not in WRITERS:
        raise HTTPException(403, detail="cancelling a run needs an operator or admin key")
    run = await require_run(resources, key, thread_id, run_id)
    async with resources.pool.connection() as conn:
        run = await request_cancel(conn, run)
    if wait:
        async for _ in tail(resources.pool, hub_of(request), run.run_id):
            pass
        run = await require_run(resources, key, thread_id, run_id)
    return Run.of(run)


@router.get("/{run_id}/join", response_model=dict[str, Any], responses=error_responses(404))
async def join_run(
    thread_id: str, run_id: uuid.UUID, key: ReaderKey, resources: ResourcesDep, request: Request
) -> JSONResponse:
    """Wait for the run to end; the thread's values as it left them."""
    run = await require_run(resources, key, thread_id, run_id)
    return await wait_output(resources, hub_of(request), run)


@router.get(
    "/{run_id}/stream",
    response_class=StreamingResponse,
    responses={**SSE_RESPONSE, **error_responses(404)},
)
async def join_stream(
    thread_id: str,
    run_id: uuid.UUID,
    key: ReaderKey,
    resources: ResourcesDep,
    request: Request,
    stream_mode: Annotated[list[StreamModeName] | None, Query()] = None,
    cancel_on_disconnect: Annotated[bool, Query()] = False,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", pattern=r"^\d{0,9}$")
    ] = None,
) -> StreamingResponse:
    """Rejoin a run's stream: from the start, or after `Last-Event-ID`."""
    run = await require_run(resources, key, thread_id, run_id)
    events = relay(
        resources,
        hub_of(request),
        run,
        after=int(last_event_id or 0),
        modes=event_modes(tuple(stream_mode)) if stream_mode else None,
        cancel_on_disconnect=cancel_on_disconnect,
    )
    return stream_response(run, events)
