"""Integration: classify failed events and propose which to replay."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.integration import classify_failures_tool, list_failed_events_tool

PROMPT = (
    "You triage dead letters. Call list_failed_events, then classify_failures on them, and "
    "report which to replay (transient failures) and which need a person."
)


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    failed = last_result(results, list_failed_events_tool.name)
    if failed is None:
        return [call(list_failed_events_tool, limit=int(event["payload"].get("limit", 50)))]
    if is_error(failed) or not isinstance(failed, list):
        return f"could not list failed events: {failed}"
    if not failed:
        return "no failed events"
    triage = last_result(results, classify_failures_tool.name)
    if triage is None:
        return [call(classify_failures_tool, events=failed)]
    if not isinstance(triage, dict):
        return f"triage failed: {triage}"
    return f"{len(triage['replay'])} to replay, {len(triage['investigate'])} to investigate" + (
        f"; run: {triage['command']}" if triage["command"] else ""
    )


SPECIALIST = Specialist(
    name="dead_letter_triage",
    domain="integration",
    description="Classifies failed events and proposes replays.",
    prompt=PROMPT,
    tools=(list_failed_events_tool, classify_failures_tool),
    playbook=playbook,
)
