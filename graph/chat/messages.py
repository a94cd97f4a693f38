"""The conversation's messages: the user's latest words, this turn's tool traffic, and the
reply that ends a turn (its citations checked against the passages the turn retrieved)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langgraph.graph import END
from langgraph.types import Command

from graph.chat.citations import check_reply, passages_in
from graph.chat.memory import KEEP_TURNS, compact, text_of, trim
from graph.chat.state import ChatState, Citation


def last_user_text(messages: list[AnyMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return text_of(message)
    return ""


def turn_results(messages: list[AnyMessage]) -> list[ToolMessage]:
    """The tool results since the user's latest message."""
    found: list[ToolMessage] = []
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, ToolMessage):
            found.append(message)
    return found[::-1]


def last_calls(messages: list[AnyMessage]) -> list[Any]:
    for message in reversed(messages):
        if isinstance(message, AIMessage) and message.tool_calls:
            return list(message.tool_calls)
        if isinstance(message, HumanMessage):
            break
    return []


def reply(
    state: ChatState,
    answer: str | AIMessage,
    *,
    citations: list[Citation] | None = None,
    keep_turns: int = KEEP_TURNS,
    **update: Any,
) -> Command[Any]:
    """End the turn with a reply whose citations are checked against this turn's passages.

    The same update trims the thread to `keep_turns` turns and cuts this turn's long tool
    results: the messages are written once for that, with the reply, not again next turn."""
    message = answer if isinstance(answer, AIMessage) else AIMessage(content=answer)
    passages = passages_in(turn_results(state["messages"]))
    found, uncited = check_reply(text_of(message), passages)
    cited = citations if citations else found
    message.response_metadata = {
        **message.response_metadata,
        "citations": cited,
        "uncited_claims": uncited,
    }
    removals, summary = trim(state["messages"], state.get("summary", ""), keep_turns=keep_turns)
    removed = {r.id for r in removals}
    shorter = [m for m in compact(state["messages"]) if m.id not in removed]
    if summary != state.get("summary", ""):
        update["summary"] = summary
    earlier = list(update.pop("messages", []))
    return Command(
        goto=END,
        update={
            **update,
            "messages": [*removals, *shorter, *earlier, message],
            "citations": cited,
            "uncited": uncited,
        },
    )
