"""CMS: a draft from a brief (a product page for a new product, or a requested article)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.cms import draft_content_tool, save_content_draft_tool
from graph.tools.knowledge import (
    CITATION_RULE,
    cited_answer,
    policy_question,
    search_knowledge_base_tool,
)

PROMPT = (
    "You write content. Call draft_content with a brief (subject, audience, points), then "
    "save_content_draft with the draft. Report the title." + CITATION_RULE
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
    """With a policy question in the request (the style guide, say), look it up first and
    draft with the cited guidance as one of the points."""
    content_id, kind, brief = brief_of(event)
    question = policy_question(event)
    guidance = ""
    if question is not None:
        found = last_result(results, search_knowledge_base_tool.name)
        if found is None:
            return [call(search_knowledge_base_tool, query=question, k=3)]
        guidance = cited_answer(question, found)
        first_line = guidance.splitlines()[0]
        if first_line.endswith("[1]"):
            brief = {**brief, "points": [*brief["points"], first_line]}
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
    saved_line = f"draft {content_id} saved: {draft['title']!r}"
    return f"{saved_line}\n{guidance}" if guidance else saved_line


SPECIALIST = Specialist(
    name="content_drafting",
    domain="cms",
    description="Drafts content from a brief and stores the draft.",
    prompt=PROMPT,
    tools=(draft_content_tool, save_content_draft_tool, search_knowledge_base_tool),
    playbook=playbook,
)
