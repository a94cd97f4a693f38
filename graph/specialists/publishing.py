"""CMS: publish the draft an earlier stage saved."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import (
    PlaybookStep,
    Specialist,
    call,
    is_error,
    last_result,
    prior_outcome,
)
from graph.state import EventData
from graph.tools.cms import publish_content_tool

PROMPT = "You publish content. Call publish_content for the draft that was just saved."


def draft_id(event: EventData) -> str | None:
    drafted = prior_outcome(event, "content_drafting")
    for tool_call in (drafted or {}).get("tool_calls", []):
        if tool_call["name"] == "save_content_draft" and isinstance(tool_call["result"], dict):
            return str(tool_call["result"]["content_id"])
    return None


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    published = last_result(results, publish_content_tool.name)
    if published is None:
        content_id = draft_id(event)
        if content_id is None:
            return "nothing to publish: no draft was saved"
        return [call(publish_content_tool, content_id=content_id)]
    if is_error(published) or not isinstance(published, dict):
        return f"publishing failed: {published}"
    return f"published {published['content_id']}: {published['title']!r}"


SPECIALIST = Specialist(
    name="publishing",
    domain="cms",
    description="Publishes a saved draft.",
    prompt=PROMPT,
    tools=(publish_content_tool,),
    playbook=playbook,
)
