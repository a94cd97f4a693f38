"""Integration: sales channels kept in step with the catalog, and failed events triaged."""

from __future__ import annotations

from graph.domain import Domain, stages

CHANNEL_SYNC = stages("channel_sync")

DOMAIN = Domain(
    name="integration",
    title="Integration",
    description="The sales channels and the health of the event pipeline.",
    handles={
        "product.created": CHANNEL_SYNC,
        "product.updated": CHANNEL_SYNC,
        "stock.out": CHANNEL_SYNC,
        "stock.updated": CHANNEL_SYNC,
        "dead_letter.detected": stages("dead_letter_triage"),
    },
)
