"""CMS: content drafted for products and on request, published after review."""

from __future__ import annotations

from graph.domain import Domain, stages

DOMAIN = Domain(
    name="cms",
    title="CMS",
    description="Pages and articles: drafted, then published.",
    handles={
        "product.created": stages("content_drafting"),
        "content.requested": stages("content_drafting", "publishing"),
    },
)
