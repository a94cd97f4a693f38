"""The specialist agent loop: plan -> act (tools) -> plan ... -> report."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.graph import END, START, StateGraph
from langgraph.prebuilt import ToolNode

from graph.context import OpsContext
from graph.models import Planner, event_brief
from graph.specialists.base import Specialist, tool_result
from graph.state import (
    SpecialistInput,
    SpecialistOutcome,
    SpecialistOutput,
    SpecialistState,
    ToolCallRecord,
)

MAX_TURNS = 12


def build_specialist_graph(
    *, specialist: Specialist, planner: Planner
) -> StateGraph[SpecialistState, OpsContext, SpecialistInput, SpecialistOutput]:
    """One specialist's loop; returns the uncompiled graph so the caller picks the checkpointer."""

    async def plan_next(state: SpecialistState) -> dict[str, Any]:
        messages = list(state.get("messages") or [])
        opening: list[Any] = []
        if not messages:
            opening = [SystemMessage(specialist.prompt), HumanMessage(event_brief(state["event"]))]
        turns = sum(isinstance(message, AIMessage) for message in messages)
        if turns >= MAX_TURNS:
            reply = AIMessage(content=f"stopped after {MAX_TURNS} turns without finishing")
        else:
            reply = await planner.plan(specialist, state["event"], [*opening, *messages])
        return {"messages": [*opening, reply]}

    def after_plan(state: SpecialistState) -> Literal["act", "report"]:
        last = state["messages"][-1]
        return "act" if isinstance(last, AIMessage) and last.tool_calls else "report"

    def report(state: SpecialistState) -> dict[str, Any]:
        return {"outcomes": [outcome_of(specialist, state["messages"])]}

    graph = StateGraph(
        SpecialistState,
        context_schema=OpsContext,
        input_schema=SpecialistInput,
        output_schema=SpecialistOutput,
    )
    graph.add_node("plan", plan_next)
    graph.add_node("act", ToolNode(list(specialist.tools), handle_tool_errors=True))
    graph.add_node("report", report)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", after_plan, ["act", "report"])
    graph.add_edge("act", "plan")
    graph.add_edge("report", END)
    return graph


def outcome_of(specialist: Specialist, messages: list[Any]) -> SpecialistOutcome:
    """Pair each tool call with its result, and take the last answer as the summary."""
    results = {m.tool_call_id: m for m in messages if isinstance(m, ToolMessage)}
    calls: list[ToolCallRecord] = []
    for message in messages:
        if not isinstance(message, AIMessage):
            continue
        for call in message.tool_calls:
            call_id = call["id"] or ""
            result = results.get(call_id)
            calls.append(
                {
                    "id": call_id,
                    "name": call["name"],
                    "args": call["args"],
                    "result": tool_result(result) if result else None,
                    "status": result.status if result else "missing",
                }
            )
    final = messages[-1] if messages else None
    summary = (
        final.content if isinstance(final, AIMessage) and isinstance(final.content, str) else ""
    )
    return {
        "domain": specialist.domain,
        "specialist": specialist.name,
        "tool_calls": calls,
        "summary": summary,
    }
