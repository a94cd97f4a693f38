"""The LangGraph server API's request and response shapes, as `langgraph-sdk` sends and
reads them (fields the clients send that this service does not use are accepted and
ignored, as the server does with unknown ones)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from runtime.threads import RunRow, RunStatus, ThreadStatus

StreamModeName = Literal["values", "updates", "messages-tuple", "messages", "custom"]
MultitaskStrategy = Literal["reject", "interrupt", "rollback", "enqueue"]
ASSISTANT_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")
"""LangGraph's server names a graph's default assistant uuid5(this, graph id): so do we."""


class Assistant(BaseModel):
    assistant_id: str
    graph_id: str
    config: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any]
    version: int = 1
    name: str
    description: str | None


class AssistantSearch(BaseModel):
    graph_id: str | None = None
    name: str | None = None
    metadata: dict[str, Any] | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class Info(BaseModel):
    version: str
    langgraph_py_version: str
    flags: dict[str, bool]
    host: dict[str, Any]


class InterruptView(BaseModel):
    value: Any
    id: str


class Thread(BaseModel):
    thread_id: str
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any]
    status: ThreadStatus
    values: dict[str, Any] = Field(default_factory=dict)
    interrupts: dict[str, list[InterruptView]] = Field(default_factory=dict)


class ThreadCreate(BaseModel):
    thread_id: uuid.UUID | None = None
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"


class ThreadSearch(BaseModel):
    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    ids: list[str] | None = Field(default=None, max_length=1000)
    status: ThreadStatus | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    sort_by: Literal["thread_id", "status", "created_at", "updated_at"] = "updated_at"
    sort_order: Literal["asc", "desc"] = "desc"


class CheckpointRef(BaseModel):
    thread_id: str
    checkpoint_ns: str = ""
    checkpoint_id: str | None = None
    checkpoint_map: dict[str, Any] | None = None


class ThreadTask(BaseModel):
    id: str
    name: str
    error: str | None
    interrupts: list[InterruptView]
    checkpoint: CheckpointRef | None = None
    state: Any = None
    result: Any = None


class ThreadState(BaseModel):
    values: dict[str, Any]
    next: list[str]
    checkpoint: CheckpointRef | None
    metadata: dict[str, Any]
    created_at: str | None
    parent_checkpoint: CheckpointRef | None
    tasks: list[ThreadTask]
    interrupts: list[InterruptView]


class HistoryQuery(BaseModel):
    limit: int = Field(default=10, ge=1, le=1000)
    before: CheckpointRef | str | None = None
    metadata: dict[str, Any] | None = None
    checkpoint: CheckpointRef | None = None


class CommandIn(BaseModel):
    """Only `resume` is served: `goto`/`update` would let a client steer past the gates."""

    resume: Any = None
    update: Any = Field(default=None, description="Not supported (422).")
    goto: Any = Field(default=None, description="Not supported (422).")


class RunCreate(BaseModel):
    assistant_id: str = Field(max_length=200)
    input: dict[str, Any] | None = None
    command: CommandIn | None = None
    metadata: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    stream_mode: StreamModeName | list[StreamModeName] | None = None
    stream_subgraphs: bool = False
    stream_resumable: bool = False
    multitask_strategy: MultitaskStrategy = "reject"
    if_not_exists: Literal["create", "reject"] = "reject"
    on_disconnect: Literal["cancel", "continue"] = "continue"

    def modes(self, default: tuple[str, ...]) -> tuple[str, ...]:
        if self.stream_mode is None:
            return default
        if isinstance(self.stream_mode, str):
            return (self.stream_mode,)
        return tuple(dict.fromkeys(self.stream_mode))


class Run(BaseModel):
    run_id: uuid.UUID
    thread_id: str
    assistant_id: str
    created_at: datetime
    updated_at: datetime
    status: RunStatus
    metadata: dict[str, Any]
    multitask_strategy: MultitaskStrategy

    @classmethod
    def of(cls, row: RunRow) -> Run:
        return cls(
            run_id=row.run_id,
            thread_id=row.thread_id,
            assistant_id=row.assistant_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            status=row.status,
            metadata=row.metadata,
            multitask_strategy=row.multitask_strategy,
        )


class ChatIn(BaseModel):
    thread_id: uuid.UUID | None = None
    message: str = Field(min_length=1, max_length=8000)


class ChatOut(BaseModel):
    thread_id: uuid.UUID
    reply: str
    citations: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    pending_approvals: list[dict[str, Any]]
