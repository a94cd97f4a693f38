"""What a specialist is: a named, prompted agent with tools and an offline playbook."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool

from graph.state import EventData


class PlannedCall(TypedDict):
    name: str
    args: dict[str, Any]


PlaybookStep = list[PlannedCall] | str
"""The next tool calls to make, or the final answer once the work is done."""

Playbook = Callable[[EventData, Sequence[ToolMessage]], PlaybookStep]


@dataclass(frozen=True)
class Specialist:
    name: str
    domain: str
    description: str
    prompt: str
    tools: tuple[BaseTool, ...]
    playbook: Playbook


def tool_result(message: ToolMessage) -> Any:
    """A tool message's content as the JSON value the tool returned, when it is JSON."""
    content = message.content
    if not isinstance(content, str):
        return content
    try:
        return json.loads(content)
    except ValueError:
        return content


def last_result(results: Sequence[ToolMessage], tool_name: str) -> Any:
    """The latest result of `tool_name`, or None if it has not run."""
    for message in reversed(results):
        if message.name == tool_name:
            return tool_result(message)
    return None


def results_of(results: Sequence[ToolMessage], tool_name: str) -> list[Any]:
    """Every result of `tool_name` so far, oldest first."""
    return [tool_result(message) for message in results if message.name == tool_name]


def call(tool: BaseTool, **args: Any) -> PlannedCall:
    """A planned call of `tool`."""
    return {"name": tool.name, "args": args}


def is_error(result: Any) -> bool:
    """Tools answer errors as text (`Error: ...`, or the tool node's error message)."""
    return isinstance(result, str) and result.startswith("Error")


def prior_outcome(event: EventData, specialist: str) -> Any:
    """What an earlier stage's specialist concluded for this event, if it ran."""
    for outcome in event.get("prior", []):
        if outcome["specialist"] == specialist:
            return outcome
    return None
