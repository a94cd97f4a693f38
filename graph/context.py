"""Run-time context handed to every graph run (not checkpointed): the connections to act with."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import RunnableConfig

from graph.toolset import ToolRegistry
from hitl.policy import Policy, load_policy
from runtime.database import Pool
from runtime.secretbox import SecretBox

Notifier = Callable[[str, dict[str, Any]], Awaitable[None]]
ToolTimer = Callable[[str, float, str, RunnableConfig], Awaitable[None]]
"""Told each tool call's name, seconds, outcome (`success`, `error`) and the call's config;
the composition root keeps what it measures (knowledge-base searches, for `/metrics`)."""


async def no_notice(kind: str, data: dict[str, Any]) -> None:
    """The default: nobody to tell."""


@dataclass(frozen=True)
class OpsContext:
    """What tools reach the systems of record through, the policy that gates them, and the
    tool registry the composition root built (approved and compensating actions run by name
    from it; an empty one runs each tool's own effect only).

    `gated=False` is for an admin's direct operator actions (recorded in the audit trail):
    the person acting is the approval. Agent runs are always gated.
    """

    pool: Pool
    policy: Policy = field(default_factory=load_policy)
    gated: bool = True
    notify: Notifier = no_notice
    requested_by: uuid.UUID | None = None
    """The key that sent the event: it may not approve what its event asks for."""
    tools: ToolRegistry = field(default_factory=ToolRegistry)
    secrets: SecretBox | None = None
    """Opens tenants' Saleor app tokens (the commerce backend); None: only the local store."""
    time_tool: ToolTimer | None = None
    """Told how long each tool call took (`SequentialToolNode`); None: nobody asks."""
