"""Specialists whose work is one tool call: what differs between them is the call's
arguments and how its result is reported, so only that is written per specialist."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool

from graph.specialists.base import PlaybookStep, Specialist, call, last_result
from graph.state import EventData


def one_call_specialist(
    *,
    name: str,
    domain: str,
    description: str,
    prompt: str,
    tool: BaseTool,
    arguments: Callable[[EventData], dict[str, Any]],
    report: Callable[[EventData, dict[str, Any]], str],
    failure: str,
) -> Specialist:
    """A specialist that calls `tool` once with `arguments(event)` and answers
    `report(event, result)`. A result that is not a JSON object (an error) is answered as
    `failure` (formatted with the call's arguments, e.g. `{order_id}`) and the result."""

    def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
        result = last_result(results, tool.name)
        if result is None:
            return [call(tool, **arguments(event))]
        if not isinstance(result, dict):
            return f"{failure.format_map(arguments(event))}: {result}"
        return report(event, result)

    return Specialist(
        name=name,
        domain=domain,
        description=description,
        prompt=prompt,
        tools=(tool,),
        playbook=playbook,
    )
