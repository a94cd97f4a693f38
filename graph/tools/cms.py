"""CMS tools."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

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


draft_seo_copy_tool = StructuredTool.from_function(
    func=draft_seo_copy,
    name="draft_seo_copy",
    description=draft_seo_copy.__doc__ or "",
    args_schema=SeoCopyInput,
)

CMS_TOOLS = (draft_seo_copy_tool,)
