"""The chat graph: the master supervisor in conversation mode.

One turn: `begin` (trim old turns, set the run's tenant) -> `route` (a plain yes/no to a
held write; else the model's structured route or the offline intent classifier; below the
confidence threshold one clarifying question) -> `plan` (offline procedure or the model with
the routed specialist's tools) <-> `act` (the same `SequentialToolNode`, ledger and approval
gate as event runs) -> `observe` (who the customer is, which order, what was done) -> reply.
Writes never run from `plan`: they are held and stated; `confirm` runs them after a yes.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.messages.tool import tool_call
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.graph import START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from graph.agent import SequentialToolNode, call_status, tool_error_message
from graph.chat.entities import is_no, is_plain_yes, starts_with_yes
from graph.chat.guards import held_results, refusals
from graph.chat.intents import CLARIFY_BELOW, INTENTS, IntentClassifier
from graph.chat.memory import KEEP_TURNS
from graph.chat.messages import last_calls, last_user_text, reply, turn_results
from graph.chat.model import plan_with_model, route_with_model, tools_for
from graph.chat.offline import Calls, Say, plan_turn
from graph.chat.state import (
    ChatAction,
    ChatInput,
    ChatOutput,
    ChatRoute,
    ChatState,
    Customer,
)
from graph.chat.writes import order_of, outcome, refusal, review_rules, statement
from graph.context import OpsContext
from graph.models import ChatModelPlanner, Planner
from graph.specialists import SPECIALISTS
from graph.specialists.base import tool_result
from graph.state import EventData
from graph.tools.knowledge import search_knowledge_base_tool
from graph.toolset import ToolRegistry

MAX_STEPS = 8
RESULT_CHARS = 300
NOTHING_PENDING = "Nothing is waiting for a yes: no change was stated in this conversation."
CLARIFY = "I am not sure what you need: {options}? Or tell me in other words."
CLARIFY_ANY = (
    "Is this about an order (its status, cancelling it, returning items), a customer, or a "
    "question about our policies?"
)
INTENT_NAMES = {
    "order_status": "the status of an order",
    "cancel_order": "to cancel an order",
    "return_items": "to return items of a delivered order",
    "customer_profile": "a customer's details",
    "identify": "to identify a customer",
    "policy_question": "an answer from our policies",
    "human_agent": "a human colleague",
    "greeting": "an overview of what I can do",
}

ChatGraph = StateGraph[ChatState, OpsContext, ChatInput, ChatOutput]


def build_chat_graph(
    *,
    planner: Planner,
    classifier: IntentClassifier | None = None,
    clarify_below: float = CLARIFY_BELOW,
    keep_turns: int = KEEP_TURNS,
) -> ChatGraph:
    """The chat graph, uncompiled: compile it with the Postgres checkpointer at the edge.

    `planner` decides the path: a `ChatModelPlanner` routes and plans with its chat model;
    any other planner (the offline `PlaybookPlanner`) uses the intent classifier (default:
    the shipped `intents.jsonl`) and the offline procedure.
    """
    model = planner.model if isinstance(planner, ChatModelPlanner) else None
    intents = classifier or IntentClassifier.shipped()
    registry = chat_registry()

    def begin(state: ChatState, config: RunnableConfig) -> dict[str, Any]:
        configurable = config.get("configurable", {})
        event = chat_event(
            str(configurable.get("tenant_id") or "default"),
            str(configurable.get("thread_id") or ""),
        )
        fresh = {"event": event, "steps": 0, "citations": [], "actions": [], "uncited": []}
        # Only what changed is written: an unchanged channel written again is stored again.
        update = {k: v for k, v in fresh.items() if state.get(k) != v}
        return {**update, "turn": state.get("turn", 0) + 1}

    finish = partial(reply, keep_turns=keep_turns)

    async def route(
        state: ChatState,
    ) -> Command[Literal["plan", "confirm", "__end__"]]:
        text = last_user_text(state["messages"])
        pending = state.get("pending")
        update: dict[str, Any] = {}
        if pending is not None:
            if is_plain_yes(text):
                return Command(goto="confirm", update={"route": rule_route("confirm")})
            if is_no(text):
                return finish(
                    state,
                    "Understood: nothing was changed.",
                    route=rule_route("decline"),
                    pending=None,
                )
            if starts_with_yes(text):
                return finish(
                    state,
                    "To go ahead I need a plain yes, with nothing else in the message; "
                    f"the change stands as stated:\n{pending['statement']}",
                    route=rule_route("confirm_unclear"),
                )
            update["pending"] = None
        elif is_plain_yes(text):
            return finish(state, NOTHING_PENDING, route=rule_route("confirm_nothing"))
        deferred = state.get("deferred")
        if model is not None:
            chosen, question = await route_with_model(model, text, state.get("summary", ""))
        else:
            guess = intents.classify(text)
            intent = INTENTS[guess.intent]
            chosen = {
                "intent": guess.intent,
                "domain": intent.domain,
                "specialist": intent.specialist,
                "confidence": guess.confidence,
                "by": "classifier",
            }
            options = [guess.intent, *([guess.runner_up] if guess.runner_up else [])]
            question = (
                CLARIFY.format(options=" or ".join(INTENT_NAMES[o] for o in options))
                if guess.confidence > 0
                else CLARIFY_ANY
            )
        if chosen["confidence"] < clarify_below and not state.get("clarified"):
            return finish(
                state,
                question
                or CLARIFY.format(options=INTENT_NAMES.get(chosen["intent"], "something else")),
                route=chosen,
                clarified=True,
                deferred={"intent": chosen["intent"], "text": text},
                **update,
            )
        request = text
        if deferred is not None:
            request = f"{deferred['text']}\n{text}"
            if chosen["intent"] == "identify" or chosen["confidence"] < clarify_below:
                chosen = {**chosen, "intent": deferred["intent"]}
        if chosen["intent"] not in INTENTS:
            chosen = {**chosen, "intent": "policy_question"}
        return Command(
            goto="plan",
            update={
                **update,
                "route": chosen,
                "request": request,
                "deferred": None,
                "clarified": False,
            },
        )

    async def confirm(state: ChatState, runtime: Runtime[OpsContext]) -> dict[str, Any]:
        """Run the held write the user said yes to: through the tool node, gate and ledger."""
        pending = state.get("pending")
        assert pending is not None
        call_id = f"chat-{state.get('turn', 0)}-write"
        rules = await review_rules(
            runtime.context,
            tenant_of(state),
            registry.effect(pending["tool"]),
            pending["args"],
            state,
        )
        note = (
            "This needs a reviewer's approval first ("
            + "; ".join(rules)
            + "): waiting for a reviewer."
            if rules
            else "Going ahead."
        )
        action: ChatAction = {
            "id": call_id,
            "tool": pending["tool"],
            "args": pending["args"],
            "status": "awaiting_approval" if rules else "confirmed",
            "result": "",
        }
        message = AIMessage(
            content=note,
            tool_calls=[tool_call(name=pending["tool"], args=pending["args"], id=call_id)],
        )
        return {"messages": [message], "pending": None, "actions": [action]}

    async def plan(
        state: ChatState, runtime: Runtime[OpsContext]
    ) -> Command[Literal["act", "plan", "__end__"]]:
        steps = state.get("steps", 0) + 1
        results = turn_results(state["messages"])
        chosen = state.get("route")
        assert chosen is not None
        if chosen["intent"] == "confirm":
            write = next((m for m in results if m.tool_call_id.endswith("-write")), None)
            if write is None:
                return finish(state, "The confirmed change did not run; please ask again.")
            return finish(state, outcome(write.name or "", tool_result(write)))
        if steps > MAX_STEPS:
            return finish(state, f"I stopped after {MAX_STEPS} steps without finishing.")
        if model is None:
            step = plan_turn(state, chosen["intent"], state.get("request", ""), results)
            if isinstance(step, Calls):
                message = AIMessage(
                    content="",
                    tool_calls=[
                        tool_call(
                            name=c["name"],
                            args=c["args"],
                            id=f"chat-{state.get('turn', 0)}-{steps}-{index}",
                        )
                        for index, c in enumerate(step.calls)
                    ],
                )
                return Command(goto="act", update={"messages": [message], "steps": steps})
            if isinstance(step, Say):
                return finish(state, step.text, citations=step.citations, deferred=step.deferred)
            return await hold(state, runtime.context, step.tool, step.args, steps=steps)
        specialist = SPECIALISTS.get(chosen["specialist"], SPECIALISTS["customer_service"])
        answer = await plan_with_model(model, specialist, state, state["messages"])
        allowed = {t.name for t in tools_for(specialist)}
        calls = answer.tool_calls
        if not calls and not answer.invalid_tool_calls:
            return finish(state, answer)
        refused = refusals(answer, allowed, state)
        if refused:
            return Command(goto="plan", update={"messages": [answer, *refused], "steps": steps})
        writes = [c for c in calls if registry.is_effect(c["name"])]
        if writes:
            held = writes[0]
            update = {"messages": [answer, *held_results(answer)]}
            return await hold(
                state, runtime.context, held["name"], held["args"], steps=steps, update=update
            )
        return Command(goto="act", update={"messages": [answer], "steps": steps})

    async def hold(
        state: ChatState,
        context: OpsContext,
        tool: str,
        args: dict[str, Any],
        *,
        steps: int,
        update: dict[str, Any] | None = None,
    ) -> Command[Literal["act", "plan", "__end__"]]:
        """State the write and keep it for the user's yes; refuse it if it may not be offered."""
        tenant_id = tenant_of(state)
        order = (
            await order_of(context, tenant_id, str(args["order_id"]))
            if args.get("order_id")
            else None
        )
        why = refusal(tool, args, state.get("customer"), order)
        if why is not None:
            return finish(
                state,
                f"I cannot offer that change. {why.removeprefix('Error: ')}.",
                **(update or {}),
            )
        said = statement(tool, args, order)
        action: ChatAction = {"id": "", "tool": tool, "args": args, "status": "held", "result": ""}
        return finish(
            state,
            said,
            pending={"tool": tool, "args": args, "statement": said},
            actions=[*state.get("actions", []), action],
            steps=steps,
            **(update or {}),
        )

    def observe(state: ChatState) -> dict[str, Any]:
        """What the last tool step established: the customer, the order in focus, actions."""
        update: dict[str, Any] = {}
        actions = list(state.get("actions", []))
        calls = last_calls(state["messages"])
        results = {m.tool_call_id: m for m in state["messages"] if isinstance(m, ToolMessage)}
        for called in calls:
            result = results.get(called["id"] or "")
            value = tool_result(result) if result else None
            status = call_status(result, value)
            record: ChatAction = {
                "id": called["id"] or "",
                "tool": called["name"],
                "args": called["args"],
                "status": status,
                "result": str(value)[:RESULT_CHARS],
            }
            actions = [a for a in actions if a["id"] != record["id"]] + [record]
            if status != "success":
                continue
            if called["name"] == "get_user_details" and isinstance(value, dict):
                update["customer"] = customer_of(called["args"]["user_id"], value)
            if isinstance(value, dict) and str(value.get("order_id", "")).startswith("#"):
                update["focus_order"] = value["order_id"]
        update["actions"] = actions
        return update

    graph = StateGraph(
        ChatState, context_schema=OpsContext, input_schema=ChatInput, output_schema=ChatOutput
    )
    graph.add_node("begin", begin)
    graph.add_node("route", route)
    graph.add_node("confirm", confirm)
    graph.add_node("plan", plan)
    graph.add_node(
        "act",
        SequentialToolNode(list(registry.tools.values()), handle_tool_errors=tool_error_message),
    )
    graph.add_node("observe", observe)
    graph.add_edge(START, "begin")
    graph.add_edge("begin", "route")
    graph.add_edge("confirm", "act")
    graph.add_edge("act", "observe")
    graph.add_edge("observe", "plan")
    return graph


def chat_registry() -> ToolRegistry:
    """The tools chat may call: every specialist's, and the knowledge base. Run chat with
    a context whose registry holds them too (`OpsContext(tools=...)`): an approved action
    the reviewer changed runs by name from the context's registry."""
    tools: list[BaseTool] = [t for s in SPECIALISTS.values() for t in s.tools]
    return ToolRegistry([*tools, search_knowledge_base_tool])


def chat_event(tenant_id: str, thread_id: str) -> EventData:
    """The chat as tools and the gate see it: the tenant to act for; no event row."""
    return {
        "event_id": "",
        "tenant_id": tenant_id,
        "source": "chat",
        "type": "chat.message",
        "entity": f"thread:{thread_id}",
        "payload": {},
    }


def tenant_of(state: ChatState) -> str:
    event = state.get("event")
    return event["tenant_id"] if event else "default"


def rule_route(intent: str) -> ChatRoute:
    return {
        "intent": intent,
        "domain": "ecommerce",
        "specialist": "customer_service",
        "confidence": 1.0,
        "by": "rule",
    }


def customer_of(user_id: str, details: dict[str, Any]) -> Customer:
    name = details.get("name") or {}
    return {
        "user_id": user_id,
        "name": f"{name.get('first_name', '')} {name.get('last_name', '')}".strip() or user_id,
        "orders": [str(order) for order in details.get("orders", [])],
    }
