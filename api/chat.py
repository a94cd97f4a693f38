"""`POST /chat`: one message in, the reply out, on the same threads and runs as the
LangGraph API (the run executes on a worker; this waits for it)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from api.deps import OperatorKey, ResourcesDep
from api.errors import error_responses
from api.langgraph.graphs import Graphs, get_graphs
from api.langgraph.runs import hub_of
from api.langgraph.shapes import ChatIn, ChatOut, RunCreate
from api.langgraph.starting import start_run
from api.limits import JsonBody
from runtime.run_events import tail
from runtime.threads import CHAT_GRAPH, create_thread, get_run

router = APIRouter(tags=["chat"])


def reply_of(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("type") == "ai" and message.get("content"):
            content = message["content"]
            return content if isinstance(content, str) else str(content)
    return ""


def pending_of(interrupts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "approval_id": value.get("approval_id"),
            "interrupt_id": item.get("id"),
            "action": value.get("action_request", {}).get("action"),
            "args": value.get("action_request", {}).get("args"),
        }
        for item in interrupts
        if isinstance(value := item.get("value"), dict)
    ]


@router.post("/chat", response_model=ChatOut, responses=error_responses(404, 409))
async def chat(
    key: OperatorKey,
    body: Annotated[ChatIn, Depends(JsonBody(ChatIn))],
    resources: ResourcesDep,
    graphs: Annotated[Graphs, Depends(get_graphs)],
    request: Request,
) -> ChatOut:
    """Send `message` (on `thread_id`, or a new thread) and answer with the reply, the
    sources it cites, the tool calls it made and any approval it waits for."""
    thread_id = body.thread_id or uuid.uuid4()
    if body.thread_id is None:
        async with resources.pool.connection() as conn:
            await create_thread(
                conn,
                tenant_id=key.tenant_id,
                thread_id=str(thread_id),
                metadata={"source": "chat"},
                created_by=key.key_id,
            )
    run = await start_run(
        resources,
        graphs,
        key,
        str(thread_id),
        RunCreate(
            assistant_id=CHAT_GRAPH,
            input={"messages": [{"role": "user", "content": body.message}]},
        ),
        request,
        modes=(),
    )
    async for _ in tail(resources.pool, hub_of(request), run.run_id):
        pass
    async with resources.pool.connection() as conn:
        done = await get_run(conn, tenant_id=key.tenant_id, run_id=run.run_id)
    if done is None or done.error is not None:
        raise HTTPException(500, detail="the run failed; see the thread's runs for the reason")
    output: dict[str, Any] = done.output or {}
    return ChatOut(
        thread_id=thread_id,
        reply=reply_of(output.get("messages", [])),
        citations=output.get("citations") or [],
        actions=output.get("actions") or [],
        pending_approvals=pending_of(output.get("__interrupt__") or []),
    )
