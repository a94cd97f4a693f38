"""CMS: a draft from a brief (a product page for a new product, or a requested article)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.cms import draft_content_tool, save_content_draft_tool

PROMPT = (
    "You write content. Call draft_content with a brief (subject, audience, points), then "
    "save_content_draft with the draft. Report the title."
)


def brief_of(event: EventData) -> tuple[str, str, dict[str, Any]]:
    """(content id, kind, brief) for the event."""
    payload = event["payload"]
    key = event["entity"].split(":", 1)[-1]
    if event["type"] == "product.created":
        points = [str(payload["description"])] if payload.get("description") else []
        brief = {"subject": str(payload.get("name") or key), "points": points}
        return f"page-{key}", "product_page", brief
    brief = {
        "subject": str(payload.get("subject") or payload.get("title") or key),
        "audience": str(payload.get("audience") or "shoppers"),
        "points": [str(p) for p in payload.get("points") or []],
    }
    return f"article-{key}", "article", brief


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    content_id, kind, brief = brief_of(event)
    draft = last_result(results, draft_content_tool.name)
    if draft is None:
        return [call(draft_content_tool, **brief)]
    if is_error(draft) or not isinstance(draft, dict):
        return f"drafting failed: {draft}"
    saved = last_result(results, save_content_draft_tool.name)
    if is_error(saved):
        return f"draft {content_id} not saved: {saved}"
    if saved is None:
        return [
            call(
                save_content_draft_tool,
                content_id=content_id,
                kind=kind,
                subject=brief["subject"],
                title=draft["title"],
                body=draft,
            )
        ]
    return f"draft {content_id} saved: {draft['title']!r}"


SPECIALIST = Specialist(
    name="content_drafting",
    domain="cms",
    description="Drafts content from a brief and stores the draft.",
    prompt=PROMPT,
    tools=(draft_content_tool, save_content_draft_tool),
    playbook=playbook,
)
