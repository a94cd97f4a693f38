"""CMS: publish the draft an earlier stage saved; a blocked publication goes to a person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import (
    PlaybookStep,
    Specialist,
    call,
    is_error,
    last_result,
    prior_outcome,
    results_of,
)
from graph.state import EventData
from graph.tools.attention import (
    attention_args,
    by_reviewer,
    chosen,
    left_as_is,
    raise_attention_tool,
)
from graph.tools.cms import publish_content_tool

PROMPT = (
    "You publish content. Call publish_content for the draft that was just saved. If there "
    "is no draft or publishing is refused, call raise_attention (problem "
    "publication_blocked) with why, offering retry and keep_draft; carry out the choice."
)
REMEDIES = {
    "retry": "publish `details.content_id` again (once what blocked it is fixed)",
    "keep_draft": "leave it unpublished",
}


def draft_id(event: EventData) -> str | None:
    drafted = prior_outcome(event, "content_drafting")
    for tool_call in (drafted or {}).get("tool_calls", []):
        if tool_call["name"] == "save_content_draft" and isinstance(tool_call["result"], dict):
            return str(tool_call["result"]["content_id"])
    return None


def blocked(event: EventData, content_id: str | None, why: str) -> PlaybookStep:
    """The attention item for a publication that could not happen."""
    subject = f"content {content_id}" if content_id else f"content for {event['entity']}"
    return [
        call(
            raise_attention_tool,
            **attention_args(
                problem="publication_blocked",
                subject=subject,
                reason=f"{subject} was not published: {why}",
                remedies=REMEDIES if content_id else {"keep_draft": "publish nothing"},
                remedy="keep_draft",
                content_id=content_id,
            ),
        )
    ]


def published_text(published: dict[str, Any]) -> str:
    return f"published {published['content_id']}: {published['title']!r}"


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    content_id = draft_id(event)
    tries = results_of(results, publish_content_tool.name)
    if content_id is not None and not tries:
        return [call(publish_content_tool, content_id=content_id)]
    first = tries[0] if tries else "no draft was saved"
    if isinstance(first, dict) and not is_error(first):
        return published_text(first)
    if by_reviewer(first):
        return f"publishing failed: {first}"
    decided = last_result(results, raise_attention_tool.name)
    if decided is None:
        return blocked(event, content_id, str(first).removeprefix("Error: "))
    remedy, details = chosen(decided)
    if remedy is None:
        return f"not published ({first}); {left_as_is(decided)}"
    if remedy != "retry" or content_id is None:
        return f"not published ({first}); a reviewer chose to keep it unpublished"
    if len(tries) < 2:
        return [call(publish_content_tool, content_id=details.get("content_id") or content_id)]
    second = tries[1]
    if isinstance(second, dict) and not is_error(second):
        return f"{published_text(second)} (retried by a reviewer)"
    return f"publishing failed again after a reviewer's retry: {second}"


SPECIALIST = Specialist(
    name="publishing",
    domain="cms",
    description="Publishes a saved draft.",
    prompt=PROMPT,
    tools=(publish_content_tool, raise_attention_tool),
    playbook=playbook,
)
