"""CMS: draft SEO copy for a new product."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, last_result
from graph.state import EventData
from graph.tools.cms import draft_seo_copy_tool

PROMPT = "You write product copy. Call draft_seo_copy for the product, then report the title."


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    copy = last_result(results, draft_seo_copy_tool.name)
    if copy is None:
        payload = event["payload"]
        args = {
            "name": str(payload.get("name", event["entity"])),
            "description": str(payload.get("description", "")),
            "brand": payload.get("brand"),
        }
        return [{"name": draft_seo_copy_tool.name, "args": args}]
    if not isinstance(copy, dict):
        return f"drafting failed: {copy}"
    return f"SEO copy drafted: {copy['seo_title']!r} at /{copy['slug']}"


SPECIALIST = Specialist(
    name="content_drafting",
    domain="cms",
    description="Drafts SEO title, meta description, slug and keywords for a product.",
    prompt=PROMPT,
    tools=(draft_seo_copy_tool,),
    playbook=playbook,
)
