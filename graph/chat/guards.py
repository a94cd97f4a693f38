"""What the code refuses a model's tool calls, whatever the model was told: calls that did
not parse, tools the routed specialist does not have, and a customer's data before the
customer is identified. Writes are never refused here: they are held (graph/chat/writes.py).
"""

from __future__ import annotations

from langchain_core.messages import AIMessage, ToolMessage

from graph.chat.messages import turn_results
from graph.chat.state import ChatState

IDENTIFY_FIRST = (
    "Error: identify the customer first (find_user_id_by_email, or find_user_id_by_name_zip)"
)


def refusals(answer: AIMessage, allowed: set[str], state: ChatState) -> list[ToolMessage]:
    """Error results for calls that may not run: unparsable, not this specialist's, or
    customer data asked for before the customer is identified. Any refusal answers every
    call of the step (none of them runs), so the model sees one result per call."""
    problems: dict[str, str] = {}
    for bad in answer.invalid_tool_calls:
        problems[bad.get("id") or ""] = f"Error: arguments are not valid JSON ({bad.get('error')})"
    found = found_user_ids(turn_results(state["messages"]))
    customer = state.get("customer")
    for called in answer.tool_calls:
        name, args = called["name"], called["args"]
        if name not in allowed:
            problems[called["id"] or ""] = f"Error: {name} is not available here"
        elif (name == "get_order_details" and customer is None) or (
            name == "get_user_details"
            and args.get("user_id") not in {*found, *([customer["user_id"]] if customer else [])}
        ):
            problems[called["id"] or ""] = IDENTIFY_FIRST
    if not problems:
        return []
    ids = [c["id"] or "" for c in answer.tool_calls] + [
        b.get("id") or "" for b in answer.invalid_tool_calls
    ]
    return [
        ToolMessage(
            content=problems.get(call_id, "Error: not run, another call of this step was refused"),
            tool_call_id=call_id,
            status="error",
        )
        for call_id in ids
    ]


def found_user_ids(results: list[ToolMessage]) -> set[str]:
    """User ids this turn's look-ups by email or by name and zip answered."""
    return {
        str(m.content)
        for m in results
        if m.name in {"find_user_id_by_email", "find_user_id_by_name_zip"}
        and m.status != "error"
        and not str(m.content).startswith("Error")
    }


def held_results(answer: AIMessage) -> list[ToolMessage]:
    """Every call of a step with a write gets a result saying nothing ran yet."""
    return [
        ToolMessage(
            content="Not run: the user is shown the exact change and must answer yes first.",
            tool_call_id=c["id"] or "",
            name=c["name"],
        )
        for c in answer.tool_calls
    ]
