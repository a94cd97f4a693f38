"""CMS tools."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic import BaseModel, Field

from connectors.content import get_content, publish, save_draft
from graph.tools.base import ToolEnv, effect_tool, pure_tool

META_DESCRIPTION_MAX = 155
TITLE_MAX = 60
STOP_WORDS = frozenset({"a", "an", "and", "the", "for", "with", "of", "in", "on", "to", "your"})


class SeoCopyInput(BaseModel):
    """A product to write search-engine copy for."""

    name: str = Field(min_length=1)
    description: str = ""
    brand: str | None = None


def fold(text: str) -> str:
    """Accented letters as their plain ASCII base (é -> e); other scripts drop out."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def slugify(text: str, *, fallback: str = "product") -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or fallback


def shorten(text: str, limit: int) -> str:
    """Cut `text` at a word boundary so it fits `limit` characters, ellipsis included."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:|- ")
    return f"{cut}…"


def draft_seo_copy(**kwargs: Any) -> dict[str, Any]:
    """Draft an SEO title, a meta description of at most 155 characters, a slug and keywords."""
    product = SeoCopyInput(**kwargs)
    title = product.name if not product.brand else f"{product.name} | {product.brand}"
    description = product.description or f"Shop {product.name} online."
    words = re.findall(r"[a-z0-9]+", fold(f"{product.name} {product.description}"))
    keywords = list(dict.fromkeys(w for w in words if w not in STOP_WORDS and len(w) > 2))[:8]
    return {
        "seo_title": shorten(title, TITLE_MAX),
        "meta_description": shorten(description, META_DESCRIPTION_MAX),
        "slug": slugify(product.name),
        "keywords": keywords,
    }


draft_seo_copy_tool = pure_tool(
    draft_seo_copy,
    name="draft_seo_copy",
    description=draft_seo_copy.__doc__ or "",
    args_schema=SeoCopyInput,
)


class Brief(BaseModel):
    """What a piece of content should cover."""

    subject: str = Field(min_length=1, description="What it is about, e.g. a product name.")
    audience: str = "shoppers"
    points: list[str] = Field(default_factory=list, description="Points it must make.")
    tone: str = "friendly"


def draft_content(**kwargs: Any) -> dict[str, Any]:
    """Draft a title, an introduction and sections from a brief."""
    brief = Brief(**kwargs)
    sections = [
        {"heading": point.rstrip("."), "text": f"{point.rstrip('.')}."} for point in brief.points
    ] or [{"heading": f"Why {brief.subject}", "text": f"What makes {brief.subject} worth it."}]
    return {
        "title": shorten(f"{brief.subject}: what {brief.audience} should know", TITLE_MAX),
        "intro": f"A {brief.tone} introduction to {brief.subject} for {brief.audience}.",
        "sections": sections,
        "slug": slugify(brief.subject),
    }


draft_content_tool = pure_tool(
    draft_content,
    name="draft_content",
    description=draft_content.__doc__ or "",
    args_schema=Brief,
)


class ContentDraft(BaseModel):
    """A draft to store in the CMS."""

    content_id: str
    kind: str = Field(pattern="^(article|product_page|product_seo)$")
    subject: str
    title: str
    body: dict[str, Any]


async def store_draft(env: ToolEnv, args: ContentDraft) -> dict[str, Any]:
    saved = await save_draft(
        env.conn,
        tenant_id=env.tenant_id,
        content_id=args.content_id,
        kind=args.kind,
        subject=args.subject,
        title=args.title,
        body=args.body,
    )
    target = (await env.commerce()).content_target(args.kind, args.subject)
    if target is not None:
        saved["publishes_to"] = target
    return saved


save_content_draft_tool = effect_tool(
    name="save_content_draft",
    description="Store a content draft in the CMS (not yet published).",
    args_schema=ContentDraft,
    body=store_draft,
)


class ContentRef(BaseModel):
    """A CMS content item."""

    content_id: str


async def publish_draft(env: ToolEnv, args: ContentRef) -> dict[str, Any] | str:
    """Write the content where it goes live (a shop's product, when the backend has one)
    first, then mark it published: a refusal there leaves the draft a draft."""
    content = await get_content(env.conn, tenant_id=env.tenant_id, content_id=args.content_id)
    applied = None
    if content is not None:
        backend = await env.commerce()
        applied = await backend.apply_content(
            content["kind"],
            content["subject"],
            content["body"],
            idempotency_key=env.idempotency_key,
        )
        if isinstance(applied, str):
            return applied
    published = await publish(env.conn, tenant_id=env.tenant_id, content_id=args.content_id)
    if isinstance(published, dict) and applied is not None:
        published["applied"] = applied
    return published


publish_content_tool = effect_tool(
    name="publish_content",
    description="Publish a stored draft.",
    args_schema=ContentRef,
    body=publish_draft,
)

CMS_TOOLS = (draft_seo_copy_tool, draft_content_tool, save_content_draft_tool, publish_content_tool)
