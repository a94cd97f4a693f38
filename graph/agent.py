"""The specialist agent loop: plan, then act (the tools, then the next plan) until a plan
without calls."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Literal

from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import get_config_list
from langgraph.errors import GraphBubbleUp
from langgraph.graph import END, START, StateGraph
from langgraph.prebuilt import ToolNode, ToolRuntime
from langgraph.prebuilt.tool_node import ToolInvocationError
from langgraph.runtime import Runtime, get_runtime
from langgraph.types import Command
from opentelemetry import trace
from psycopg import Error as DatabaseError
from psycopg_pool import PoolTimeout

from connectors.commerce import SaleorLinkLocked
from connectors.saleor import SaleorUnavailable
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
from runtime.secretbox import SecretBoxError

TRACER = trace.get_tracer(__name__)
MAX_TURNS = 12
TRANSIENT_ERRORS = (
    DatabaseError,
    PoolTimeout,
    SaleorUnavailable,
    SecretBoxError,  # this process cannot open the shop's token (another secret key)
    SaleorLinkLocked,
)
INVALID_ARGUMENTS = (
    "Error: arguments are not valid JSON ({reason}); call the tool again with a JSON object"
)


def build_specialist_graph(
    *, specialist: Specialist, planner: Planner
) -> StateGraph[SpecialistState, OpsContext, SpecialistInput, SpecialistOutput]:
    """One specialist's loop; returns the uncompiled graph so the caller picks the checkpointer."""

    tools = SequentialToolNode(list(specialist.tools), handle_tool_errors=tool_error_message)

    async def plan_next(
        state: SpecialistState, results: Sequence[AnyMessage] = ()
    ) -> Command[Literal["act", "refuse", "__end__"]]:
        """Plan the next turn, after `results` (the turn just taken), and go where it leads.
        The node routes itself (a `Command`) rather than through a conditional edge, which
        would copy the state to read it, and reports the outcome itself when the plan has no
        more calls (a step fewer)."""
        messages = [*(state.get("messages") or []), *results]
        opening: list[Any] = []
        if not messages:
            opening = [SystemMessage(specialist.prompt), HumanMessage(event_brief(state["event"]))]
        turns = sum(isinstance(message, AIMessage) for message in messages)
        if turns >= MAX_TURNS:
            reply = AIMessage(content=f"stopped after {MAX_TURNS} turns without finishing")
        else:
            reply = await planner.plan(specialist, state["event"], [*opening, *messages])
        goto = after_plan(reply)
        update: dict[str, Any] = {"messages": [*opening, *results, reply]}
        if goto == END:
            update["outcomes"] = [outcome_of(specialist, [*messages, *opening, reply])]
        return Command(update=update, goto=goto)

    def after_plan(reply: Any) -> Literal["act", "refuse", "__end__"]:
        if isinstance(reply, AIMessage) and reply.invalid_tool_calls:
            return "refuse"
        return "act" if isinstance(reply, AIMessage) and reply.tool_calls else "__end__"

    async def act(
        state: SpecialistState, config: RunnableConfig
    ) -> Command[Literal["act", "refuse", "__end__"]]:
        """Run the planned calls, then plan the next turn in the same step. The calls were
        planned (and, with a model, checkpointed) in the step before, so a crash or a pause
        re-runs them with the same ids (the ledger answers for those that acted) and plans
        again: a step per turn fewer, no recovery lost."""
        done = await tools._afunc(state, config, get_runtime(OpsContext))
        if not isinstance(done, dict):
            raise TypeError(f"{specialist.name}'s tools answered a Command; plain results only")
        return await plan_next(state, done["messages"])

    async def refuse(state: SpecialistState) -> Command[Literal["act", "refuse", "__end__"]]:
        """Tool calls whose arguments did not parse go back to the model as errors."""
        last = state["messages"][-1]
        if not isinstance(last, AIMessage):
            return await plan_next(state)
        refused = [
            ToolMessage(
                content=INVALID_ARGUMENTS.format(reason=bad.get("error") or "unparsable"),
                tool_call_id=bad.get("id") or "",
                name=bad.get("name") or "",
                status="error",
            )
            for bad in last.invalid_tool_calls
        ]
        return await plan_next(state, refused)

    graph = StateGraph(
        SpecialistState,
        context_schema=OpsContext,
        input_schema=SpecialistInput,
        output_schema=SpecialistOutput,
    )
    graph.add_node("plan", plan_next)
    graph.add_node("act", act)
    graph.add_node("refuse", refuse)
    graph.add_edge(START, "plan")
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


class SequentialToolNode(ToolNode):
    """LangGraph's `ToolNode`, running a turn's tool calls one after another.

    A gated call pauses with `interrupt()`, and LangGraph hands resume values to interrupts
    in the order they are reached; run concurrently, two gated calls could swap decisions.
    (Overrides `ToolNode._afunc`, which gathers the calls; the rest is LangGraph's own.)
    """

    async def _afunc(self, input: Any, config: RunnableConfig, runtime: Runtime[Any]) -> Any:
        tool_calls, input_type = self._parse_input(input)
        outputs = []
        for call, cfg in zip(tool_calls, get_config_list(config, len(tool_calls)), strict=True):
            tool_runtime = ToolRuntime(
                state=self._extract_state(input, cfg),
                tool_call_id=call["id"],
                config=cfg,
                context=runtime.context,
                store=runtime.store,
                stream_writer=runtime.stream_writer,
                tools=list(self.tools_by_name.values()),
                execution_info=runtime.execution_info,
                server_info=runtime.server_info,
            )
            with TRACER.start_as_current_span(
                f"tool {call['name']}",
                attributes={
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": call["name"],
                },
                record_exception=False,
            ) as span:
                started = time.perf_counter()
                try:
                    output = await self._arun_one(call, input_type, tool_runtime)  # type: ignore[arg-type]
                except GraphBubbleUp:
                    span.set_attribute("opsgraph.tool.paused", True)  # an approval interrupt
                    raise
                except Exception:
                    await report_time(runtime.context, call["name"], started, "error", cfg)
                    raise
                outputs.append(output)
                failed = isinstance(output, ToolMessage) and output.status == "error"
                outcome = "error" if failed else "success"
                await report_time(runtime.context, call["name"], started, outcome, cfg)
        return self._combine_tool_outputs(outputs, input_type)


async def report_time(
    context: Any, name: str, started: float, outcome: str, config: RunnableConfig
) -> None:
    """Tell the run context's `time_tool`, if it has one, how long the call took."""
    timer = getattr(context, "time_tool", None)
    if timer is not None:
        await timer(name, time.perf_counter() - started, outcome, config)


def tool_error_message(error: Exception) -> str:
    """What the model is told when a tool call fails: bad arguments and refusals become an
    error result it can act on; database trouble, an unreachable commerce platform and a
    shop's token this process cannot open are raised, so the job is retried and then fails
    (replayable once fixed) instead of the event ending as if it had acted (the ledger
    recorded nothing, so the retry acts once)."""
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
