"""Calling one tool outside an agent run (operator actions, scripted runs, tests).

The call goes through the same `ToolNode`, context and ledger as inside the hierarchy, so
a direct call behaves exactly as an agent's would.
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode

from graph.context import OpsContext


class DirectState(TypedDict):
    event: dict[str, Any]
    messages: Annotated[list[AnyMessage], add_messages]


def tool_message_text(message: ToolMessage) -> str:
    return message.content if isinstance(message.content, str) else str(message.content)


async def call_tool(
    tool: BaseTool,
    args: dict[str, Any],
    *,
    context: OpsContext,
    tenant_id: str,
    thread_id: str,
    call_id: str,
) -> ToolMessage:
    """Run `tool` once with `args` as tool call `call_id` of `thread_id`."""
    graph = StateGraph(DirectState, context_schema=OpsContext)
    graph.add_node("act", ToolNode([tool], handle_tool_errors=True))
    graph.add_edge(START, "act")
    graph.add_edge("act", END)
    request = AIMessage(content="", tool_calls=[{"name": tool.name, "args": args, "id": call_id}])
    state = await graph.compile().ainvoke(
        {"event": {"tenant_id": tenant_id}, "messages": [request]},
        {"configurable": {"thread_id": thread_id}},
        context=context,
    )
    reply = state["messages"][-1]
    if not isinstance(reply, ToolMessage):
        raise RuntimeError(f"{tool.name} produced no tool message")
    return reply
