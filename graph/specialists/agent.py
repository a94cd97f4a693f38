"""The specialist agent loop: plan -> act (tools) -> plan ... -> report."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.prebuilt import ToolNode
from langgraph.prebuilt.tool_node import ToolInvocationError
from psycopg import Error as DatabaseError
from psycopg_pool import PoolTimeout

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
TRANSIENT_ERRORS = (DatabaseError, PoolTimeout)
INVALID_ARGUMENTS = (
    "Error: arguments are not valid JSON ({reason}); call the tool again with a JSON object"
)


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

    def after_plan(state: SpecialistState) -> Literal["act", "refuse", "report"]:
        last = state["messages"][-1]
        if isinstance(last, AIMessage) and last.invalid_tool_calls:
            return "refuse"
        return "act" if isinstance(last, AIMessage) and last.tool_calls else "report"

    def refuse_invalid_calls(state: SpecialistState) -> dict[str, Any]:
        """Tool calls whose arguments did not parse go back to the model as errors."""
        last = state["messages"][-1]
        if not isinstance(last, AIMessage):
            return {}
        return {
            "messages": [
                ToolMessage(
                    content=INVALID_ARGUMENTS.format(reason=bad.get("error") or "unparsable"),
                    tool_call_id=bad.get("id") or "",
                    name=bad.get("name") or "",
                    status="error",
                )
                for bad in last.invalid_tool_calls
            ]
        }

    def report(state: SpecialistState) -> dict[str, Any]:
        return {"outcomes": [outcome_of(specialist, state["messages"])]}

    graph = StateGraph(
        SpecialistState,
        context_schema=OpsContext,
        input_schema=SpecialistInput,
        output_schema=SpecialistOutput,
    )
    graph.add_node("plan", plan_next)
    tool_node = ToolNode(list(specialist.tools), handle_tool_errors=tool_error_message)

    async def act(state: SpecialistState, config: RunnableConfig) -> dict[str, Any]:
        """Run the turn's tool calls one after another, not concurrently: a gated call
        pauses with `interrupt()`, and LangGraph matches resume values to interrupts by the
        order they are reached, which only a fixed order keeps tied to the right call."""
        last = state["messages"][-1]
        if not isinstance(last, AIMessage):
            return {}
        replies: list[Any] = []
        for call in last.tool_calls:
            single = last.model_copy(update={"tool_calls": [call]})
            output = await tool_node.ainvoke(
                {**state, "messages": [*state["messages"][:-1], single]}, config
            )
            replies.extend(output["messages"])
        return {"messages": replies}

    graph.add_node("act", act)
    graph.add_node("refuse", refuse_invalid_calls)
    graph.add_node("report", report)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", after_plan, ["act", "refuse", "report"])
    graph.add_edge("act", "plan")
    graph.add_edge("refuse", "plan")
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
            value = tool_result(result) if result else None
            calls.append(
                {
                    "id": call_id,
                    "name": call["name"],
                    "args": call["args"],
                    "result": value,
                    "status": call_status(result, value),
                }
            )
        for bad in message.invalid_tool_calls:
            calls.append(
                {
                    "id": bad.get("id") or "",
                    "name": bad.get("name") or "",
                    "args": {"unparsed": bad.get("args")},
                    "result": bad.get("error"),
                    "status": "error",
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


def tool_error_message(error: Exception) -> str:
    """What the model is told when a tool call fails: bad arguments and refusals become an
    error result it can act on; database trouble is raised, so the job is retried."""
    if isinstance(error, TRANSIENT_ERRORS):
        raise error
    if isinstance(error, ToolInvocationError):
        return error.message
    return f"Error: {error!r}\n Please fix your mistakes."


def call_status(result: ToolMessage | None, value: Any) -> str:
    """success, or error when the tool raised or answered with an `Error: ...` text."""
    if result is None:
        return "missing"
    if result.status == "error" or (isinstance(value, str) and value.startswith("Error")):
        return "error"
    return "success"
