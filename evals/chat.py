"""Playing a chat script through the real chat graph (the `ChatDriver` the CLI wires in).

Each case gets a fresh thread on its own tenant; the graph is compiled with the Postgres
checkpointer and run with the chat tool registry and the policy, as the threads/runs API runs
it. When a turn stops at an approval, the scripted reviewers decide it (through `hitl.decide`)
and the thread is resumed with the decision, once, as a worker would.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from evals.harness import ChatTurnResult
from graph.chat.graph import build_chat_graph, chat_registry
from graph.context import OpsContext
from graph.models import Planner
from hitl.approvals import get_approval
from hitl.policy import Policy
from runtime.resources import Resources

MAX_RESUMES = 4


class GraphChatDriver:
    """Runs chat scripts on the compiled chat graph."""

    def __init__(self, resources: Resources, *, planner: Planner, policy: Policy) -> None:
        self.resources = resources
        self.graph: CompiledStateGraph[Any, Any, Any, Any] = build_chat_graph(
            planner=planner
        ).compile(checkpointer=resources.checkpointer, store=resources.store)
        self.context = OpsContext(pool=resources.pool, policy=policy, tools=chat_registry())

    async def converse(
        self,
        *,
        tenant_id: str,
        script: Mapping[str, Any],
        decide: Callable[[], Awaitable[int]],
    ) -> list[ChatTurnResult]:
        config: RunnableConfig = {
            "configurable": {"thread_id": f"eval-chat:{uuid.uuid4()}", "tenant_id": tenant_id}
        }
        turns: list[ChatTurnResult] = []
        for turn in script["turns"]:
            await self.graph.ainvoke(
                {"messages": [{"role": "user", "content": turn["user"]}]},
                config,
                context=self.context,
            )
            for _ in range(MAX_RESUMES):
                decisions = await self._decided(tenant_id, config, decide)
                if not decisions:
                    break
                await self.graph.ainvoke(Command(resume=decisions), config, context=self.context)
            turns.append(await self._turn(config))
        return turns

    async def _decided(
        self, tenant_id: str, config: RunnableConfig, decide: Callable[[], Awaitable[int]]
    ) -> dict[str, Any]:
        """Interrupt id -> the reviewers' decision, for the pending interrupts they decided."""
        snapshot = await self.graph.aget_state(config)
        if not snapshot.interrupts or not await decide():
            return {}
        decisions: dict[str, Any] = {}
        async with self.resources.pool.connection() as conn:
            for item in snapshot.interrupts:
                approval_id = (item.value or {}).get("approval_id")
                approval = approval_id and await get_approval(
                    conn, tenant_id=tenant_id, approval_id=approval_id
                )
                if approval and approval.decision:
                    decisions[item.id] = approval.decision
        return decisions

    async def _turn(self, config: RunnableConfig) -> ChatTurnResult:
        values = dict((await self.graph.aget_state(config)).values)
        messages = values.get("messages") or []
        last = messages[-1] if messages else None
        reply = str(last.content) if isinstance(last, AIMessage) else ""
        route = values.get("route") or {}
        return ChatTurnResult(
            reply=reply,
            intent=route.get("intent"),
            domains=[route["domain"]] if route.get("domain") else [],
            specialists=[route["specialist"]] if route.get("specialist") else [],
            tool_calls=[
                {"name": a.get("tool"), "args": a.get("args") or {}, "status": a.get("status")}
                for a in values.get("actions") or []
            ],
            citations=list(values.get("citations") or []),
        )
