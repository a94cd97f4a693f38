"""E-commerce: SEO title, meta description, slug and keywords for a new product."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.cms import draft_seo_copy_tool, publish_content_tool, save_content_draft_tool

PROMPT = (
    "You write product SEO. Call draft_seo_copy with the product's name, description and "
    "brand, then save_content_draft (kind product_seo) with the result; if the saved draft "
    "names where it publishes to (a shop's product), publish_content it."
)


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    payload = event["payload"]
    product_id = str(payload.get("product_id") or event["entity"].split(":", 1)[-1])
    copy = last_result(results, draft_seo_copy_tool.name)
    if copy is None:
        return [
            call(
                draft_seo_copy_tool,
                name=str(payload.get("name") or product_id),
                description=str(payload.get("description") or ""),
                brand=payload.get("brand"),
            )
        ]
    if is_error(copy) or not isinstance(copy, dict):
        return f"SEO drafting failed: {copy}"
    saved = last_result(results, save_content_draft_tool.name)
    if saved is None:
        return [
            call(
                save_content_draft_tool,
                content_id=f"seo-{product_id}",
                kind="product_seo",
                subject=f"product:{product_id}",
                title=copy["seo_title"],
                body=copy,
            )
        ]
    if is_error(saved) or not isinstance(saved, dict):
        return f"SEO for {product_id} not saved: {saved}"
    if saved.get("publishes_to"):  # the product lives in a shop: publishing writes it there
        published = last_result(results, publish_content_tool.name)
        if published is None:
            return [call(publish_content_tool, content_id=saved["content_id"])]
        if is_error(published) or not isinstance(published, dict):
            return (
                f"SEO for {product_id} saved, not published to {saved['publishes_to']}: {published}"
            )
        return f"SEO for {product_id}: {copy['seo_title']!r}, written to {saved['publishes_to']}"
    return f"SEO for {product_id}: {copy['seo_title']!r} at /{copy['slug']}"


SPECIALIST = Specialist(
    name="catalog_seo",
    domain="ecommerce",
    description="Writes SEO title, meta description (at most 155 characters), slug, keywords.",
    prompt=PROMPT,
    tools=(draft_seo_copy_tool, save_content_draft_tool, publish_content_tool),
    playbook=playbook,
)
