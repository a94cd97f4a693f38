"""The event registry: which domains and specialists a canonical event type concerns (data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DOMAINS: tuple[str, ...] = ("crm", "ecommerce", "billing", "cms", "integration")


@dataclass(frozen=True)
class Route:
    """One domain an event type goes to, and the specialists that domain runs for it."""

    domain: str
    specialists: tuple[str, ...]


EVENT_ROUTES: Mapping[str, tuple[Route, ...]] = {
    "order.created": (Route("ecommerce", ("fraud_review",)),),
    "order.paid": (Route("billing", ("invoicing",)),),
    "product.created": (
        Route("cms", ("content_drafting",)),
        Route("integration", ("channel_sync",)),
    ),
    "product.updated": (Route("integration", ("channel_sync",)),),
    "lead.created": (Route("crm", ("lead_scoring",)),),
}


def known_event_types() -> list[str]:
    return sorted(EVENT_ROUTES)


def domains_for(event_type: str) -> list[str]:
    """The domains an event type reaches, in registry order; empty when it is not routed."""
    return [route.domain for route in EVENT_ROUTES.get(event_type, ())]


def specialists_for(event_type: str, domain: str) -> list[str]:
    """The specialists `domain` runs for `event_type`."""
    for route in EVENT_ROUTES.get(event_type, ()):
        if route.domain == domain:
            return list(route.specialists)
    return []
