"""`GET /info` and the assistants: the graphs this service serves (`chat`; `events`, whose
threads are the events' own runs and may only be resumed with a decision)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from api.deps import ReaderKey
from api.errors import error_responses
from api.langgraph.shapes import ASSISTANT_NAMESPACE, Assistant, AssistantSearch, Info
from api.limits import JsonBody
from runtime.threads import CHAT_GRAPH, EVENTS_GRAPH

router = APIRouter(tags=["langgraph"])

SERVED_SINCE = datetime(2026, 12, 1, tzinfo=UTC)
DESCRIPTIONS = {
    CHAT_GRAPH: "Chat with the operations hierarchy: the same specialists, tools, approval "
    "gates and audit as events, with cited answers.",
    EVENTS_GRAPH: "Events processed by the master supervisor (read-only: their approval "
    "interrupts may be decided with a resume command).",
}


def assistant_id_of(graph_id: str) -> str:
    return str(uuid.uuid5(ASSISTANT_NAMESPACE, graph_id))


def assistant(graph_id: str) -> Assistant:
    return Assistant(
        assistant_id=assistant_id_of(graph_id),
        graph_id=graph_id,
        created_at=SERVED_SINCE,
        updated_at=SERVED_SINCE,
        metadata={"created_by": "system", "read_only": graph_id == EVENTS_GRAPH},
        name=graph_id,
        description=DESCRIPTIONS[graph_id],
    )


def graph_of(assistant_id: str) -> str | None:
    """The graph an assistant id names: its graph id or its uuid."""
    for graph_id in DESCRIPTIONS:
        if assistant_id in (graph_id, assistant_id_of(graph_id)):
            return graph_id
    return None


@router.get("/info", response_model=Info)
async def info() -> Info:
    """What LangGraph's clients check first: versions and which features are served."""
    return Info(
        version=version("opsgraph"),
        langgraph_py_version=version("langgraph"),
        flags={"assistants": True, "crons": False, "langsmith": False, "store": False},
        host={"kind": "opsgraph", "project_id": None, "revision_id": None},
    )


@router.post("/assistants/search", response_model=list[Assistant])
async def search_assistants(
    _key: ReaderKey,
    body: Annotated[AssistantSearch, Depends(JsonBody(AssistantSearch))],
) -> list[Assistant]:
    """The assistants, filtered by graph id, name or metadata."""
    found = [
        assistant(graph_id)
        for graph_id in DESCRIPTIONS
        if body.graph_id in (None, graph_id)
        and body.name in (None, graph_id)
        and all(assistant(graph_id).metadata.get(k) == v for k, v in (body.metadata or {}).items())
    ]
    return found[body.offset : body.offset + body.limit]


@router.get("/assistants/{assistant_id}", response_model=Assistant, responses=error_responses(404))
async def read_assistant(assistant_id: str, _key: ReaderKey) -> Assistant:
    """One assistant, by its uuid or its graph id (`chat`, `events`)."""
    graph_id = graph_of(assistant_id)
    if graph_id is None:
        raise HTTPException(
            404, detail=f"no assistant {assistant_id}; these are served: chat, events"
        )
    return assistant(graph_id)
