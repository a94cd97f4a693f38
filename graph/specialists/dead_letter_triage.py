"""Integration: classify failed events and propose which to replay."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.integration import classify_failures_tool, list_failed_events_tool
from graph.tools.knowledge import (
    CITATION_RULE,
    cited_answer,
    policy_question,
    search_knowledge_base_tool,
)

PROMPT = (
    "You triage dead letters. Call list_failed_events, then classify_failures on them, and "
    "report which to replay (transient failures) and which need a person." + CITATION_RULE
)


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    """Triage the failed events; with a question in the request (which runbook step
    applies, say), answer it from the knowledge base too, cited."""
    question = policy_question(event)
    runbook = ""
    if question is not None:
        found = last_result(results, search_knowledge_base_tool.name)
        if found is None:
            return [call(search_knowledge_base_tool, query=question, k=3)]
        runbook = "\n" + cited_answer(question, found)
    failed = last_result(results, list_failed_events_tool.name)
    if failed is None:
        return [call(list_failed_events_tool, limit=int(event["payload"].get("limit", 50)))]
    if is_error(failed) or not isinstance(failed, list):
        return f"could not list failed events: {failed}{runbook}"
    if not failed:
        return f"no failed events{runbook}"
    triage = last_result(results, classify_failures_tool.name)
    if triage is None:
        return [call(classify_failures_tool, events=failed)]
    if not isinstance(triage, dict):
        return f"triage failed: {triage}{runbook}"
    command = f"; run: {triage['command']}" if triage["command"] else ""
    return (
        f"{len(triage['replay'])} to replay, {len(triage['investigate'])} to investigate"
        f"{command}{runbook}"
    )


SPECIALIST = Specialist(
    name="dead_letter_triage",
    domain="integration",
    description="Classifies failed events and proposes replays.",
    prompt=PROMPT,
    tools=(list_failed_events_tool, classify_failures_tool, search_knowledge_base_tool),
    playbook=playbook,
)
