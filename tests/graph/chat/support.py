"""A conversation with the compiled chat graph, one `say` per user turn."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from connectors.orders import get_order
from graph.chat.graph import build_chat_graph, chat_registry
from graph.context import OpsContext
from graph.models import Planner, PlaybookPlanner
from hitl.policy import load_policy
from runtime.resources import Resources

ChatGraph = CompiledStateGraph[Any, Any, Any, Any]
Durability = Literal["sync", "async", "exit"]


def compile_chat(resources: Resources, planner: Planner | None = None) -> ChatGraph:
    """The chat graph as the service compiles it: Postgres checkpointer and store."""
    return build_chat_graph(planner=planner or PlaybookPlanner()).compile(
        checkpointer=resources.checkpointer, store=resources.store
    )


def gated(resources: Resources) -> OpsContext:
    """The run context with the shipped approval policy, as the service runs chat."""
    return OpsContext(pool=resources.pool, policy=load_policy(), tools=chat_registry())


async def order_status(resources: Resources, order_id: str) -> str:
    async with resources.pool.connection() as conn:
        order: Any = await get_order(conn, tenant_id="default", order_id=order_id)
    return str(order["status"])


class Conversation:
    """One chat thread: send user messages or resume decisions, read the state back."""

    def __init__(
        self,
        graph: ChatGraph,
        context: OpsContext,
        *,
        tenant_id: str = "default",
        durability: Durability = "sync",
    ):
        self.graph = graph
        self.context = context
        self.durability: Durability = durability
        self.thread_id = f"chat-test-{uuid.uuid4()}"
        self.config: RunnableConfig = {
            "configurable": {"thread_id": self.thread_id, "tenant_id": tenant_id}
        }

    async def say(self, text: str) -> str:
        """Send one user message; the reply's text (the last message)."""
        await self.graph.ainvoke(
            {"messages": [{"role": "user", "content": text}]},
            self.config,
            context=self.context,
            durability=self.durability,
        )
        return await self.reply()

    async def resume(self, decision: Any) -> str:
        await self.graph.ainvoke(
            Command(resume=decision),
            self.config,
            context=self.context,
            durability=self.durability,
        )
        return await self.reply()

    async def values(self) -> dict[str, Any]:
        snapshot = await self.graph.aget_state(self.config)
        return dict(snapshot.values)

    async def interrupts(self) -> list[Any]:
        snapshot = await self.graph.aget_state(self.config)
        return list(snapshot.interrupts)

    async def reply(self) -> str:
        last = (await self.values())["messages"][-1]
        assert isinstance(last, AIMessage), last
        return str(last.content)
