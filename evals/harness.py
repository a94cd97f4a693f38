"""What the engine is handed by the composition root: the seams it drives the service through.

`evals/` sits beside `api/` and below `service/`: it cannot import the worker's event runner or
the webhook endpoints, so `service/cli_eval.py` hands them in. Everything behind these seams is
the real thing (graph, checkpointer, tools, ledger, gate); only the planner may be a model.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from graph.toolset import ToolRegistry
from runtime.events import EventStatus
from runtime.resources import Resources


class EventDriver(Protocol):
    """Runs a stored event, and resumes it once its approvals are decided (the worker's
    `EventRunner` is one)."""

    async def run(
        self, *, tenant_id: str, event_id: uuid.UUID, final_attempt: bool = True
    ) -> EventStatus | None: ...

    async def resume(
        self, *, tenant_id: str, event_id: uuid.UUID, final_attempt: bool = True
    ) -> EventStatus | None: ...


@dataclass(frozen=True)
class IntakeAnswer:
    """How the webhook endpoint answered a delivery."""

    http_status: int
    event_id: uuid.UUID | None
    duplicate: bool = False


class WebhookIntake(Protocol):
    """Signs a webhook case's body as its sender would, and delivers it into the tenant's inbox
    through the same verification, normalizing and storing as `POST /webhooks/...`."""

    async def deliver(self, *, tenant_id: str, webhook: Mapping[str, Any]) -> IntakeAnswer: ...


@dataclass
class ChatTurnResult:
    """One assistant turn of a scripted conversation."""

    reply: str
    intent: str | None = None
    domains: list[str] = field(default_factory=list)
    specialists: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    """The turn's citations as the chat state keeps them: `{n, chunk_id, document, ...}`."""


class ChatDriver(Protocol):
    """Plays a chat script on a fresh thread of the tenant, applying scripted decisions to
    the approvals it raises. (Chat cases are run only when one is wired in.)"""

    async def converse(
        self,
        *,
        tenant_id: str,
        script: Mapping[str, Any],
        decide: Any,
    ) -> list[ChatTurnResult]: ...


@dataclass(frozen=True)
class Harness:
    """The service's parts for one eval run."""

    resources: Resources
    events: EventDriver
    tools: ToolRegistry
    model: str = "offline"
    embedder: str = "hashing"
    """For cases whose tenant gets the sample knowledge base."""
    webhooks: WebhookIntake | None = None
    chat: ChatDriver | None = None
