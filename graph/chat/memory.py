"""Bounded conversation state: the last turns stay as messages, older ones become summary lines.

A turn starts at a user message and runs to the next one, so a tool call and its result are
always trimmed together (a model must never see a result without its call). The summary keeps
one short line per side of each trimmed turn and only the newest lines, so neither the
messages nor the summary grow with the thread's length, and neither does the checkpoint.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    HumanMessage,
    RemoveMessage,
    ToolMessage,
)

KEEP_TURNS = 6
SUMMARY_LINES = 12
LINE_CHARS = 140
RESULT_CHARS = 400
"""A finished turn's tool results are cut to this size: the reply already says what they
meant, and the checkpoint then carries each result in full only during its own turn."""
PASSAGE_FIELDS = ("n", "chunk_id", "source", "heading_path")


def text_of(message: AnyMessage) -> str:
    """A message's text, whatever its content shape (string or content blocks)."""
    content = message.content
    if isinstance(content, str):
        return content
    parts = [
        str(block.get("text", "")) if isinstance(block, dict) else str(block) for block in content
    ]
    return " ".join(part for part in parts if part)


def turn_starts(messages: Sequence[AnyMessage]) -> list[int]:
    return [i for i, message in enumerate(messages) if isinstance(message, HumanMessage)]


def line(who: str, text: str) -> str:
    flat = " ".join(text.split())
    return f"{who}: {flat[: LINE_CHARS - len(who) - 5]}{'...' if len(flat) > LINE_CHARS else ''}"


def summary_lines(messages: Sequence[AnyMessage]) -> list[str]:
    """One line for each user message and each final reply (tool traffic is left out)."""
    lines = []
    for message in messages:
        if isinstance(message, HumanMessage):
            lines.append(line("user", text_of(message)))
        elif isinstance(message, AIMessage) and not message.tool_calls and text_of(message):
            lines.append(line("assistant", text_of(message)))
    return lines


def compacted(message: ToolMessage) -> ToolMessage | None:
    """A shorter copy of a long tool result (same id, so it replaces the original), or None.
    Knowledge-base results keep each passage's number and source, not its text."""
    content = message.content
    if not isinstance(content, str) or len(content) <= RESULT_CHARS:
        return None
    try:
        value = json.loads(content)
    except ValueError:
        value = None
    if isinstance(value, dict) and isinstance(value.get("results"), list):
        kept = [{k: hit.get(k) for k in PASSAGE_FIELDS} for hit in value["results"]]
        short = json.dumps({"query": value.get("query"), "results": kept})
    else:
        short = content
    if len(short) > RESULT_CHARS:
        short = short[:RESULT_CHARS] + " ...(cut: the turn is over)"
    return message.model_copy(update={"content": short})


def compact(messages: Sequence[AnyMessage]) -> list[ToolMessage]:
    """Shorter copies of the long tool results (for a turn that is ending)."""
    return [short for m in messages if isinstance(m, ToolMessage) and (short := compacted(m))]


def trim(
    messages: Sequence[AnyMessage], summary: str, *, keep_turns: int = KEEP_TURNS
) -> tuple[list[RemoveMessage], str]:
    """What to remove so that `keep_turns` turns remain, and the summary that replaces them."""
    starts = turn_starts(messages)
    if len(starts) <= keep_turns:
        return [], summary
    cut = starts[-keep_turns]
    dropped = messages[:cut]
    lines = [*(summary.splitlines() if summary else []), *summary_lines(dropped)]
    removals = [RemoveMessage(id=message.id) for message in dropped if message.id]
    return removals, "\n".join(lines[-SUMMARY_LINES:])
